//! Request signatures of the three vendor protocols (protocols.md §1–3).
//!
//! Pure functions over strings: the clients call them with the clock's time,
//! the sandbox calls them to verify what it receives, and
//! `tests/sign_vectors.rs` pins them to the test vectors of protocols.md.
//!
//! | function | protocol |
//! |---|---|
//! | [`wdt_sign`] | 旺店通 openapi2: `LL-key:VVVV-value` pieces, lengths in characters, MD5 lowercase |
//! | [`top_md5_sign`] | Taobao TOP / Qimen `sign_method=md5`: secret-wrapped `key+value…`, MD5 uppercase |
//! | [`kingdee_signed_headers`] | 金蝶云星空 WebAPI SDK v8 signed headers (HMAC-SHA256, hex then base64) |
//! | [`kingdee_login_sign`] | 金蝶 `AuthService.LoginBySign` (SHA-256 of the sorted strings) |

use base64::prelude::{Engine as _, BASE64_STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

// ---------------------------------------------------------------------------
// 旺店通 openapi2

/// The string that openapi2 hashes, before the appsecret is appended.
///
/// Every parameter but `sign`, sorted by key (byte order, stable for repeated
/// keys), each written `LL-key:VVVV-value` where `LL` is the key length
/// zero-padded to 2 digits and `VVVV` the value length zero-padded to 4 (a
/// longer value gets a wider number), joined with `;`. Lengths count Unicode
/// characters, not bytes, as the official PHP (`iconv_strlen`) and Java
/// (`String.length()` — identical for the BMP) SDKs do.
pub fn wdt_sign_payload(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().filter(|(k, _)| *k != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (i, (key, value)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(&format!(
            "{:02}-{}:{:04}-{}",
            key.chars().count(),
            key,
            value.chars().count(),
            value
        ));
    }
    out
}

/// The openapi2 `sign`: MD5 (lowercase hex) of [`wdt_sign_payload`] followed
/// directly by the appsecret, as UTF-8. A `sign` entry in `params` is ignored.
pub fn wdt_sign(params: &[(&str, &str)], appsecret: &str) -> String {
    let mut payload = wdt_sign_payload(params);
    payload.push_str(appsecret);
    hex_lower(&Md5::digest(payload.as_bytes()))
}

// ---------------------------------------------------------------------------
// Taobao TOP / 奇门

/// The TOP `sign_method=md5` signature used by the Qimen gateway.
///
/// Parameters but `sign` sorted by key (byte order); each with a non-empty key
/// and value contributes `key + value` (the official TOP SDKs skip empty
/// values, and do not send them either); then the raw body if one is sent;
/// the whole wrapped with the secret on both ends; MD5, uppercase hex.
pub fn top_md5_sign(params: &[(&str, &str)], secret: &str, body: Option<&str>) -> String {
    let mut sorted: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(k, v)| *k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = String::from(secret);
    for (key, value) in sorted {
        s.push_str(key);
        s.push_str(value);
    }
    if let Some(body) = body {
        s.push_str(body);
    }
    s.push_str(secret);
    hex_upper(&Md5::digest(s.as_bytes()))
}

// ---------------------------------------------------------------------------
// 金蝶云星空 WebAPI

/// The XOR key of the SDK v8 (`0054s397…` of `encode_util.generate_code`,
/// de-rotated by its ROT13 and with the random digits dropped).
const KINGDEE_XOR_KEY: &[u8; 32] = b"0054f397c6234378b09ca7d3e5debce7";

/// The `client_sec` derived from an SDK-v8 `app_id` (`<client_id>_<enc>`):
/// base64(base64decode(enc) XOR K).
///
/// As in the official SDK it is the empty string when `app_id` does not split
/// into exactly two parts on `_`, when `enc` is not 32 characters, or when
/// `enc` is not padding-free standard base64 (the SDK's decoder rejects `=`
/// and any character outside `A–Z a–z 0–9 + /`).
pub fn kingdee_client_secret(app_id: &str) -> String {
    let Some((_, enc)) = kingdee_split_app_id(app_id) else {
        return String::new();
    };
    if enc.chars().count() != 32
        || !enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return String::new();
    }
    let Ok(decoded) = BASE64_STANDARD.decode(enc) else {
        return String::new();
    };
    let xored: Vec<u8> = decoded
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ KINGDEE_XOR_KEY[i % KINGDEE_XOR_KEY.len()])
        .collect();
    BASE64_STANDARD.encode(xored)
}

/// `X-Api-ClientID`: the part of `app_id` before `_`; empty, as in the SDK,
/// when `app_id` does not split into exactly two parts.
pub fn kingdee_client_id(app_id: &str) -> &str {
    kingdee_split_app_id(app_id).map_or("", |(id, _)| id)
}

fn kingdee_split_app_id(app_id: &str) -> Option<(&str, &str)> {
    let mut parts = app_id.split('_');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(enc), None) => Some((id, enc)),
        _ => None,
    }
}

/// Percent-encodes a URL path as the SDK does (Python's `quote(path)` then
/// `/` → `%2F`): UTF-8 bytes, everything but `A–Z a–z 0–9 _ . - ~` written
/// `%XX` with uppercase hex.
pub fn kingdee_url_path_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len() * 3);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path part `P` of the signed string: for a full URL (`http://…` or
/// `https://…`) everything from the first `/` after the host (query included,
/// as in the SDK); any other input is taken as the path already.
pub fn kingdee_url_path(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let after_scheme = &url[scheme_end + 3..];
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "",
    }
}

/// `X-Api-Signature`: `H(client_sec, "POST\n" + P + "\n\nx-api-nonce:" + nonce +
/// "\nx-api-timestamp:" + timestamp + "\n")`, `P` = [`kingdee_url_path_encode`]
/// of `url_path` (a full URL is cut to its path first, see
/// [`kingdee_url_path`]).
pub fn kingdee_api_signature(
    client_sec: &str,
    url_path: &str,
    timestamp: &str,
    nonce: &str,
) -> String {
    let p = kingdee_url_path_encode(kingdee_url_path(url_path));
    let msg = format!("POST\n{p}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n");
    hmac_hex_base64(client_sec.as_bytes(), msg.as_bytes())
}

/// The raw (not base64) app data: `acct_id,user_name,lcid,org_num`.
pub fn kingdee_app_data(acct_id: &str, user_name: &str, lcid: u32, org_num: &str) -> String {
    format!("{acct_id},{user_name},{lcid},{org_num}")
}

/// `X-Kd-Signature`: `H(app_secret, app_id + app_data_raw)`.
pub fn kingdee_kd_signature(app_secret: &str, app_id: &str, app_data_raw: &str) -> String {
    let msg = format!("{app_id}{app_data_raw}");
    hmac_hex_base64(app_secret.as_bytes(), msg.as_bytes())
}

/// The values of the SDK-v8 signed headers of one request.
///
/// Header names (the SDK's spelling; HTTP header names are case-insensitive):
/// `X-Api-ClientID`, `X-Api-Auth-Version` (`2.0`), `x-api-timestamp`,
/// `x-api-nonce`, `x-api-signheaders` (`x-api-timestamp,x-api-nonce`),
/// `X-Api-Signature`, `X-Kd-Appkey`, `X-Kd-Appdata`, `X-Kd-Signature`; see
/// [`KingdeeSignedHeaders::pairs`].
#[derive(Clone, PartialEq, Eq)]
pub struct KingdeeSignedHeaders {
    /// `X-Api-ClientID`.
    pub client_id: String,
    /// `X-Api-Signature`.
    pub api_signature: String,
    /// `x-api-timestamp`.
    pub timestamp: String,
    /// `x-api-nonce` (the SDK sends the timestamp again).
    pub nonce: String,
    /// `X-Kd-Appkey`: the whole `app_id`.
    pub app_key: String,
    /// `X-Kd-Appdata`: base64 of the raw app data.
    pub app_data_b64: String,
    /// `X-Kd-Signature`.
    pub kd_signature: String,
}

impl KingdeeSignedHeaders {
    /// `(name, value)` of every signed header, in the SDK's order and spelling.
    pub fn pairs(&self) -> [(&'static str, &str); 9] {
        [
            ("X-Api-ClientID", &self.client_id),
            ("X-Api-Auth-Version", "2.0"),
            ("x-api-timestamp", &self.timestamp),
            ("x-api-nonce", &self.nonce),
            ("x-api-signheaders", "x-api-timestamp,x-api-nonce"),
            ("X-Api-Signature", &self.api_signature),
            ("X-Kd-Appkey", &self.app_key),
            ("X-Kd-Appdata", &self.app_data_b64),
            ("X-Kd-Signature", &self.kd_signature),
        ]
    }
}

/// Signatures are not secrets, but they are not useful in logs either.
impl std::fmt::Debug for KingdeeSignedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeSignedHeaders")
            .field("client_id", &self.client_id)
            .field("timestamp", &self.timestamp)
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

/// All signed-header values for one request at `timestamp` (unix seconds as
/// text; the nonce is the same value, as in the SDK). `url_path` is the
/// request URL or its path.
#[allow(clippy::too_many_arguments)]
pub fn kingdee_signed_headers(
    app_id: &str,
    app_secret: &str,
    acct_id: &str,
    user_name: &str,
    lcid: u32,
    org_num: &str,
    url_path: &str,
    timestamp: &str,
) -> KingdeeSignedHeaders {
    let client_sec = kingdee_client_secret(app_id);
    let app_data = kingdee_app_data(acct_id, user_name, lcid, org_num);
    KingdeeSignedHeaders {
        client_id: kingdee_client_id(app_id).to_owned(),
        api_signature: kingdee_api_signature(&client_sec, url_path, timestamp, timestamp),
        timestamp: timestamp.to_owned(),
        nonce: timestamp.to_owned(),
        app_key: app_id.to_owned(),
        app_data_b64: BASE64_STANDARD.encode(app_data.as_bytes()),
        kd_signature: kingdee_kd_signature(app_secret, app_id, &app_data),
    }
}

/// The `sign` of `AuthService.LoginBySign`: the five strings `[acct_id,
/// user_name, app_id, app_secret, timestamp]` sorted (ordinal), concatenated,
/// SHA-256, lowercase hex.
pub fn kingdee_login_sign(
    acct_id: &str,
    user_name: &str,
    app_id: &str,
    app_secret: &str,
    timestamp: &str,
) -> String {
    let mut parts = [acct_id, user_name, app_id, app_secret, timestamp];
    parts.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    hex_lower(&Sha256::digest(parts.concat().as_bytes()))
}

// ---------------------------------------------------------------------------
// helpers

/// `H(key, msg)` of the SDK: base64 of the lowercase hex text of
/// HMAC-SHA256(key, msg) (not of the raw digest).
fn hmac_hex_base64(key: &[u8], msg: &[u8]) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(msg);
    let hex = hex_lower(&mac.finalize().into_bytes());
    BASE64_STANDARD.encode(hex.as_bytes())
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

fn hex_upper(bytes: &[u8]) -> String {
    hex_lower(bytes).to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wdt_payload_skips_sign_and_sorts_by_bytes() {
        let p = wdt_sign_payload(&[("b", "x"), ("sign", "zzz"), ("B", "y"), ("a", "")]);
        assert_eq!(p, "01-B:0001-y;01-a:0000-;01-b:0001-x");
    }

    #[test]
    fn wdt_long_value_gets_a_wider_number() {
        let v = "x".repeat(12345);
        assert!(wdt_sign_payload(&[("k", &v)]).starts_with("01-k:12345-x"));
    }

    #[test]
    fn top_skips_empty_values_and_sign() {
        let a = top_md5_sign(&[("a", "1"), ("b", ""), ("sign", "S")], "s", None);
        let b = top_md5_sign(&[("a", "1")], "s", None);
        assert_eq!(a, b);
        assert_eq!(a, hex_upper(&Md5::digest(b"sa1s")));
        let with_body = top_md5_sign(&[("a", "1")], "s", Some("{}"));
        assert_eq!(with_body, hex_upper(&Md5::digest(b"sa1{}s")));
    }

    #[test]
    fn client_secret_edge_cases() {
        assert_eq!(kingdee_client_secret("123_short"), "");
        assert_eq!(kingdee_client_secret("no-underscore"), "");
        assert_eq!(
            kingdee_client_secret("1_2_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0"),
            ""
        );
        // 32 characters but padded: the SDK's decoder rejects '='.
        assert_eq!(
            kingdee_client_secret("1_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZQ=="),
            ""
        );
        assert_eq!(kingdee_client_id("1_2_3"), "");
        assert_eq!(kingdee_client_id("123456_abc"), "123456");
    }

    #[test]
    fn url_path_cut_and_encode() {
        assert_eq!(
            kingdee_url_path("http://h:1/k3cloud/A.b.kdsvc"),
            "/k3cloud/A.b.kdsvc"
        );
        assert_eq!(kingdee_url_path("https://a/x"), "/x");
        assert_eq!(kingdee_url_path("http://host"), "");
        assert_eq!(kingdee_url_path("/already/path"), "/already/path");
        assert_eq!(
            kingdee_url_path_encode("/a b/中~_.-:!*"),
            "%2Fa%20b%2F%E4%B8%AD~_.-%3A%21%2A"
        );
    }

    #[test]
    fn signed_headers_debug_hides_signatures() {
        let h = kingdee_signed_headers("1_x", "secret", "a", "u", 2052, "0", "/p", "1");
        let dbg = format!("{h:?}");
        assert!(!dbg.contains(&h.kd_signature));
        assert!(!dbg.contains(&h.api_signature));
    }
}
