//! The test vectors of /work/shared/protocols.md §1–3
//! (testdata/sign_vectors.json), reproduced exactly.

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

#[test]
fn vector4_kingdee_client_secret() {
    let v = vectors().vector_4;
    assert_eq!(kingdee_client_secret(&v.app_id), v.client_sec);
    assert_eq!(kingdee_client_id(&v.app_id), v.header("X-Api-ClientID"));
}

#[test]
fn vector4_kingdee_parts() {
    let v = vectors().vector_4;
    let path = v.path();
    assert_eq!(
        kingdee_url_path_encode(path),
        "%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc"
    );
    let client_sec = kingdee_client_secret(&v.app_id);
    let (ts, nonce) = (v.header("x-api-timestamp"), v.header("x-api-nonce"));
    // Path or full URL give the same signature.
    assert_eq!(
        kingdee_api_signature(&client_sec, path, ts, nonce),
        v.header("X-Api-Signature")
    );
    assert_eq!(
        kingdee_api_signature(&client_sec, &v.url, ts, nonce),
        v.header("X-Api-Signature")
    );
    let app_data = kingdee_app_data(&v.acct_id, &v.user, v.lcid, &v.org);
    assert_eq!(app_data, v.app_data);
    assert_eq!(
        kingdee_kd_signature(&v.app_secret, &v.app_id, &app_data),
        v.header("X-Kd-Signature")
    );
}

#[test]
fn vector4_kingdee_signed_headers() {
    let v = vectors().vector_4;
    let h = kingdee_signed_headers(
        &v.app_id,
        &v.app_secret,
        &v.acct_id,
        &v.user,
        v.lcid,
        &v.org,
        &v.url,
        &v.now.to_string(),
    );
    assert_eq!(h.client_id, v.header("X-Api-ClientID"));
    assert_eq!(h.timestamp, v.header("x-api-timestamp"));
    assert_eq!(h.nonce, v.header("x-api-nonce"));
    assert_eq!(h.app_key, v.app_id);
    assert_eq!(h.api_signature, v.header("X-Api-Signature"));
    assert_eq!(h.app_data_b64, v.header("X-Kd-Appdata"));
    assert_eq!(h.kd_signature, v.header("X-Kd-Signature"));
    let pairs = h.pairs();
    for name in [
        "X-Api-Auth-Version",
        "x-api-signheaders",
        "X-Api-Signature",
        "X-Kd-Appdata",
        "X-Kd-Signature",
    ] {
        assert!(pairs.contains(&(name, v.header(name))), "{name}");
    }
}

#[test]
fn vector5_kingdee_login_by_sign() {
    let v = vectors().vector_5;
    assert_eq!(
        kingdee_login_sign(&v.acct_id, &v.user, &v.app_id, &v.app_secret, &v.timestamp),
        v.sign
    );
}
