//! The test vectors of /work/shared/protocols.md §1–3, reproduced exactly.

use duijie_runtime::vendors::sign::*;

fn vector1_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("sid", "apidevnew2"),
        ("appkey", "rhsw02"),
        ("timestamp", "1700000000"),
        ("start_time", "2024-01-01 00:00:00"),
        ("end_time", "2024-01-02 00:00:00"),
        ("page_no", "0"),
        ("page_size", "40"),
    ]
}

#[test]
fn vector1_wdt_openapi2() {
    let params = vector1_params();
    assert_eq!(
        wdt_sign_payload(&params),
        "06-appkey:0006-rhsw02;08-end_time:0019-2024-01-02 00:00:00;07-page_no:0001-0;\
         09-page_size:0002-40;03-sid:0010-apidevnew2;10-start_time:0019-2024-01-01 00:00:00;\
         09-timestamp:0010-1700000000"
    );
    assert_eq!(
        wdt_sign(&params, "12345"),
        "88c1997a04a3fac23928e0c4b51d4260"
    );
}

#[test]
fn vector1_ignores_a_sign_parameter() {
    let mut params = vector1_params();
    params.push(("sign", "88c1997a04a3fac23928e0c4b51d4260"));
    assert_eq!(
        wdt_sign(&params, "12345"),
        "88c1997a04a3fac23928e0c4b51d4260"
    );
}

#[test]
fn vector2_wdt_counts_characters_not_bytes() {
    let mut params = vector1_params();
    params.push(("warehouse_no", "北京仓"));
    let payload = wdt_sign_payload(&params);
    assert!(
        payload.contains(";12-warehouse_no:0003-北京仓"),
        "{payload}"
    );
    assert_eq!(
        wdt_sign(&params, "12345"),
        "912945cb74cf7a62e60a58ba55e07af4"
    );

    // The byte-counting port (0009 for the nine UTF-8 bytes) gives another,
    // wrong, signature.
    let byte_counting = payload.replace("0003-北京仓", "0009-北京仓") + "12345";
    let wrong = format!("{:x}", md5_of(&byte_counting));
    assert_eq!(wrong, "59c8c16b9e6c74009daed5dafcaa7cc5");
    assert_ne!(wrong, wdt_sign(&params, "12345"));
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
    let params = [
        ("method", "wdt.stockin.order.query"),
        ("app_key", "12345678"),
        ("target_app_key", "23456789"),
        ("sign_method", "md5"),
        ("timestamp", "2024-01-02 10:00:00"),
        ("format", "json"),
        ("v", "2.0"),
        ("sid", "apidevnew2"),
        ("start_time", "2024-01-01 00:00:00"),
        ("end_time", "2024-01-02 00:00:00"),
        ("page_no", "0"),
        ("page_size", "40"),
    ];
    assert_eq!(
        top_md5_sign(&params, "qimensecret", None),
        "1A631981C54F544BABCF5C3C90E4DB55"
    );
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
