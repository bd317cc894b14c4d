//! The test vectors of /work/shared/protocols.md §1–3, reproduced exactly
//! (those of 旺店通 and Qimen from testdata/sign_vectors.json).

use duijie_runtime::vendors::sign::*;

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::{borrowed, vectors};

#[test]
fn vector1_wdt_openapi2() {
    let v = vectors().vector_1;
    let pairs = v.pairs();
    let params = borrowed(&pairs);
    assert_eq!(Some(wdt_sign_payload(&params)), v.payload);
    assert_eq!(wdt_sign(&params, &v.secret), v.sign);
}

#[test]
fn vector1_ignores_a_sign_parameter() {
    let v = vectors().vector_1;
    let form = v.signed_form();
    assert_eq!(wdt_sign(&borrowed(&form), &v.secret), v.sign);
}

#[test]
fn vector2_wdt_counts_characters_not_bytes() {
    let vectors = vectors();
    let (v1, v2) = (vectors.vector_1, vectors.vector_2);
    let pairs = v2.pairs(&v1);
    let params = borrowed(&pairs);
    let payload = wdt_sign_payload(&params);
    assert!(payload.contains(&format!(";{}", v2.segment)), "{payload}");
    assert_eq!(wdt_sign(&params, &v1.secret), v2.sign);

    // The byte-counting port (the value's UTF-8 bytes for its length) gives
    // another, wrong, signature.
    let (key, value) = &v2.pair;
    let bytes_segment = format!("{:02}-{key}:{:04}-{value}", key.len(), value.len());
    let byte_counting = payload.replace(&v2.segment, &bytes_segment) + &v1.secret;
    let wrong = format!("{:x}", md5_of(&byte_counting));
    assert_eq!(wrong, v2.byte_counting_sign);
    assert_ne!(wrong, wdt_sign(&params, &v1.secret));
}

fn md5_of(s: &str) -> Md5Hex {
    use md5::Digest;
    Md5Hex(md5::Md5::digest(s.as_bytes()).to_vec())
}

struct Md5Hex(Vec<u8>);
impl std::fmt::LowerHex for Md5Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[test]
fn vector3_qimen_top_md5() {
    let v = vectors().vector_3;
    let pairs = v.pairs();
    assert_eq!(top_md5_sign(&borrowed(&pairs), &v.secret, None), v.sign);
}

const V4_APP_ID: &str = "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0";
const V4_APP_SECRET: &str = "0123456789abcdef0123456789abcdef";
const V4_URL: &str =
    "http://127.0.0.1:8090/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc";
const V4_API_SIGNATURE: &str =
    "OGVjMWY4NjlmYTE2M2VmOGQ1YjZmNmJlNTMzYmI4NmY2OWJjMGJmNTBjNzE4ZGNjM2UxOTY3MDc0N2U0MWFlZg==";
const V4_APP_DATA: &str = "NjRmMGMwZmZlZTAwMDEsd2ViYXBpLDIwNTIsMA==";
const V4_KD_SIGNATURE: &str =
    "MDlmZjA2MWY2M2E3NTI3MTZjNjJlZGJlYjFkYzVjM2NhYjNmNWIyNWUwMDcwMzg4NjQ1ZTM0YjUzMWYyODkyYw==";

#[test]
fn vector4_kingdee_client_secret() {
    assert_eq!(
        kingdee_client_secret(V4_APP_ID),
        "RFVGQBVWWkUGQkZWR0dEXQFCXBcVUhdH"
    );
    assert_eq!(kingdee_client_id(V4_APP_ID), "123456");
}

#[test]
fn vector4_kingdee_parts() {
    let path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc";
    assert_eq!(
        kingdee_url_path_encode(path),
        "%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc"
    );
    let client_sec = kingdee_client_secret(V4_APP_ID);
    // Path or full URL give the same signature.
    assert_eq!(
        kingdee_api_signature(&client_sec, path, "1700000000", "1700000000"),
        V4_API_SIGNATURE
    );
    assert_eq!(
        kingdee_api_signature(&client_sec, V4_URL, "1700000000", "1700000000"),
        V4_API_SIGNATURE
    );
    let app_data = kingdee_app_data("64f0c0ffee0001", "webapi", 2052, "0");
    assert_eq!(app_data, "64f0c0ffee0001,webapi,2052,0");
    assert_eq!(
        kingdee_kd_signature(V4_APP_SECRET, V4_APP_ID, &app_data),
        V4_KD_SIGNATURE
    );
}

#[test]
fn vector4_kingdee_signed_headers() {
    let h = kingdee_signed_headers(
        V4_APP_ID,
        V4_APP_SECRET,
        "64f0c0ffee0001",
        "webapi",
        2052,
        "0",
        V4_URL,
        "1700000000",
    );
    assert_eq!(h.client_id, "123456");
    assert_eq!(h.timestamp, "1700000000");
    assert_eq!(h.nonce, "1700000000");
    assert_eq!(h.app_key, V4_APP_ID);
    assert_eq!(h.api_signature, V4_API_SIGNATURE);
    assert_eq!(h.app_data_b64, V4_APP_DATA);
    assert_eq!(h.kd_signature, V4_KD_SIGNATURE);
    let pairs = h.pairs();
    assert!(pairs.contains(&("X-Api-Auth-Version", "2.0")));
    assert!(pairs.contains(&("x-api-signheaders", "x-api-timestamp,x-api-nonce")));
    assert!(pairs.contains(&("X-Api-Signature", V4_API_SIGNATURE)));
    assert!(pairs.contains(&("X-Kd-Appdata", V4_APP_DATA)));
    assert!(pairs.contains(&("X-Kd-Signature", V4_KD_SIGNATURE)));
}

#[test]
fn vector5_kingdee_login_by_sign() {
    assert_eq!(
        kingdee_login_sign(
            "64f0c0ffee0001",
            "webapi",
            "123456_appid",
            V4_APP_SECRET,
            "1700000000"
        ),
        "0b86c57ab8d653c96eece1576b12e7960bbce164ad6f81931a1cd9477f6302f1"
    );
}
