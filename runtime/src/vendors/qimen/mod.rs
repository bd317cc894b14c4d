//! 旺店通·企业奇门 client: WDT through the Taobao Qimen gateway (protocols.md §2).
//!
//! A form POST to the gateway URL with the TOP system parameters (`method`,
//! `app_key`, `target_app_key`, `sign_method=md5`, `timestamp` as
//! `yyyy-MM-dd HH:mm:ss` in UTC+8 whatever the host zone, `format=json`,
//! `v=2.0`, `sign` by [`crate::vendors::sign::top_md5_sign`]), the business parameters
//! and `sid`. Empty values are neither signed nor sent (the TOP SDKs' rule).
//!
//! Answers:
//! - success `{"response":{"errorcode":0,"message":"","total_count":N,"<list_key>":[…]}}`;
//! - business error `{"response":{"errorcode":<non-zero>,"message":"…"}}`, classified
//!   like WDT codes ([`classify`]: 100 → rate limited);
//! - gateway error, either `{"error_response":{"code":…,"msg":…,"sub_code":…,"sub_msg":…}}`
//!   or `{"response":{"flag":"failure","code":"sign-check-failure","message":"…"}}`,
//!   classified by [`classify_gateway`]: TOP codes 7 and `*limit*` sub-codes →
//!   rate limited; 11, 12, 25–31, `*sign*`, `*app-key*`/`*appkey*`, `*permission*` →
//!   auth; 10, 15 and `isp.*` → transient; anything else → permanent.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Vendor};
use crate::secret::Secret;
use crate::vendors::http::{self, code_of, text_of};
pub use crate::vendors::http::{Clock, Page};
use crate::vendors::sign::top_md5_sign;
use crate::vendors::wdt_family::{
    check_api_name, classify, missing_key_message, page_from, raw_to_value,
};

mod source;
pub use source::{qimen_url, QimenSource};

/// The parameters the client sets itself; a business parameter of the same
/// name is dropped.
pub const RESERVED_PARAMS: [&str; 9] = [
    "method",
    "app_key",
    "target_app_key",
    "sign_method",
    "timestamp",
    "format",
    "v",
    "sign",
    "sid",
];

/// Connection settings of one Qimen app and WDT seller account.
#[derive(Debug, Clone)]
pub struct QimenConfig {
    /// The full gateway URL, e.g. `http://hu3cgwt0tc.api.taobao.com/router/qm`
    /// or `{sandbox}/router/qm`.
    pub url: String,
    /// The Qimen `app_key` (the caller's).
    pub app_key: String,
    /// WDT's key on Qimen.
    pub target_app_key: String,
    /// The Qimen app secret belonging to `app_key`.
    pub secret: Secret,
    /// WDT seller account, sent as the business parameter `sid`.
    pub sid: String,
    /// Overall time limit of one call.
    pub timeout: Duration,
}

/// A Qimen gateway client. Cheap to share (`&self` methods).
#[derive(Debug)]
pub struct Client {
    config: QimenConfig,
    http: reqwest::Client,
    clock: Clock,
}

/// `yyyy-MM-dd HH:mm:ss` of `unix_seconds` in UTC+8 (the TOP timestamp).
pub fn top_timestamp(unix_seconds: i64) -> String {
    let Some(utc8) = FixedOffset::east_opt(8 * 3600) else {
        return String::new();
    };
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(t) => t
            .with_timezone(&utc8)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => String::new(),
    }
}

impl Client {
    /// A client with the system clock.
    pub fn new(config: QimenConfig) -> Result<Self, Error> {
        let http = http::build_http(Vendor::Qimen, config.timeout)?;
        Ok(Client {
            config,
            http,
            clock: Clock::system(),
        })
    }

    /// Replaces the clock used for `timestamp`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &QimenConfig {
        &self.config
    }

    /// The complete form of a call to `method` at the clock's current time:
    /// system parameters, `sid`, the business parameters (minus
    /// [`RESERVED_PARAMS`] and empty values), and `sign` last.
    pub fn signed_form(&self, method: &str, params: &[(String, String)]) -> Vec<(String, String)> {
        let c = &self.config;
        let mut form: Vec<(String, String)> = vec![
            ("method".to_owned(), method.to_owned()),
            ("app_key".to_owned(), c.app_key.clone()),
            ("target_app_key".to_owned(), c.target_app_key.clone()),
            ("sign_method".to_owned(), "md5".to_owned()),
            ("timestamp".to_owned(), top_timestamp(self.clock.now_unix())),
            ("format".to_owned(), "json".to_owned()),
            ("v".to_owned(), "2.0".to_owned()),
            ("sid".to_owned(), c.sid.clone()),
        ];
        form.extend(
            params
                .iter()
                .filter(|(k, v)| {
                    !RESERVED_PARAMS.contains(&k.as_str()) && !k.is_empty() && !v.is_empty()
                })
                .cloned(),
        );
        form.retain(|(_, v)| !v.is_empty());
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let sign = top_md5_sign(&pairs, c.secret.expose(), None);
        form.push(("sign".to_owned(), sign));
        form
    }

    /// Calls `method` (e.g. `wdt.stockin.order.query`) and returns the page of
    /// records under `list_key` (e.g. `stockin_list`).
    pub async fn query(
        &self,
        method: &str,
        list_key: &str,
        params: &[(String, String)],
    ) -> Result<Page, Error> {
        check_api_name(Vendor::Qimen, method)?;
        let form = self.signed_form(method, params);
        let request = self.http.post(&self.config.url).form(&form);
        let answer = http::send(Vendor::Qimen, method, request).await?;
        parse_response(method, list_key, &answer.body)
    }
}

/// Parses a gateway answer (see the module for the shapes).
pub fn parse_response(method: &str, list_key: &str, body: &[u8]) -> Result<Page, Error> {
    let top: BTreeMap<String, Box<RawValue>> = http::parse_json(Vendor::Qimen, method, body)?;
    if let Some(err) = raw_to_value(&top, "error_response") {
        return Err(top_error_response(method, &err));
    }
    let (inner, prefix): (BTreeMap<String, Box<RawValue>>, &str) = match top.get("response") {
        Some(raw) => {
            let inner = serde_json::from_str(raw.get()).map_err(|_| {
                Error::malformed(Vendor::Qimen, method, "`response` is not an object")
            })?;
            (inner, "response.")
        }
        // Tolerated: an unwrapped answer.
        None if top.contains_key("errorcode") => (top, ""),
        None => {
            return Err(Error::malformed(
                Vendor::Qimen,
                method,
                missing_key_message("response", "", &top),
            ))
        }
    };
    let message = raw_to_value(&inner, "message")
        .as_ref()
        .and_then(text_of)
        .unwrap_or_default();
    let flag = raw_to_value(&inner, "flag").as_ref().and_then(text_of);
    if flag.as_deref() == Some("failure") {
        let code = raw_to_value(&inner, "code")
            .as_ref()
            .and_then(text_of)
            .unwrap_or_default();
        let kind = match classify_gateway(&code, "") {
            ErrorKind::Permanent if crate::vendors::says_rate_limited(&message) => {
                ErrorKind::RateLimited
            }
            kind => kind,
        };
        let mut e = Error::new(Vendor::Qimen, method, kind, message);
        if !code.is_empty() {
            e = e.with_code(code);
        }
        return Err(e);
    }
    let code_value = raw_to_value(&inner, "errorcode").ok_or_else(|| {
        Error::malformed(
            Vendor::Qimen,
            method,
            missing_key_message("errorcode", prefix, &inner),
        )
    })?;
    let code = code_of(&code_value).ok_or_else(|| {
        Error::malformed(
            Vendor::Qimen,
            method,
            format!("`{prefix}errorcode` is not an integer: {code_value}"),
        )
    })?;
    if code != 0 {
        let message = if message.is_empty() {
            format!("errorcode {code} without a message")
        } else {
            message
        };
        let kind = classify(code, &message);
        return Err(Error::new(Vendor::Qimen, method, kind, message).with_code(code.to_string()));
    }
    page_from(Vendor::Qimen, method, &inner, list_key, prefix)
}

/// `{"error_response":{"code":…,"msg":…,"sub_code":…,"sub_msg":…}}`.
fn top_error_response(method: &str, err: &serde_json::Value) -> Error {
    let field = |k: &str| err.get(k).and_then(text_of).unwrap_or_default();
    let (code, msg, sub_code, sub_msg) = (
        field("code"),
        field("msg"),
        field("sub_code"),
        field("sub_msg"),
    );
    let message = match (msg.is_empty(), sub_msg.is_empty()) {
        (_, true) => msg,
        (true, false) => sub_msg,
        (false, false) => format!("{msg}: {sub_msg}"),
    };
    let full_code = if sub_code.is_empty() {
        code.clone()
    } else {
        format!("{code}/{sub_code}")
    };
    let kind = match classify_gateway(&code, &sub_code) {
        ErrorKind::Permanent if crate::vendors::says_rate_limited(&message) => {
            ErrorKind::RateLimited
        }
        kind => kind,
    };
    Error::new(Vendor::Qimen, method, kind, message).with_code(full_code)
}

/// The kind of a gateway error from its code (TOP number or Qimen text code)
/// and TOP sub-code.
pub fn classify_gateway(code: &str, sub_code: &str) -> ErrorKind {
    let text = format!("{code} {sub_code}").to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match code.trim().parse::<i64>().ok() {
        Some(7) => return ErrorKind::RateLimited,
        Some(10 | 15) => return ErrorKind::Transient,
        Some(11 | 12 | 25..=31) => return ErrorKind::Auth,
        _ => {}
    }
    if has(&["limit", "flow-control", "call-limited"]) {
        ErrorKind::RateLimited
    } else if has(&[
        "sign",
        "app-key",
        "appkey",
        "app_key",
        "permission",
        "session",
        "timestamp",
    ]) {
        ErrorKind::Auth
    } else if has(&["isp.", "unavailable", "timeout", "service-error"]) {
        ErrorKind::Transient
    } else {
        ErrorKind::Permanent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new(QimenConfig {
            url: "http://127.0.0.1:1/router/qm".to_owned(),
            app_key: "12345678".to_owned(),
            target_app_key: "23456789".to_owned(),
            secret: Secret::new("qimensecret"),
            sid: "apidevnew2".to_owned(),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
        // 2024-01-02 10:00:00 in UTC+8.
        .with_clock(Clock::fixed(1_704_160_800))
    }

    fn business() -> Vec<(String, String)> {
        [
            ("start_time", "2024-01-01 00:00:00"),
            ("end_time", "2024-01-02 00:00:00"),
            ("page_no", "0"),
            ("page_size", "40"),
            ("status", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn timestamp_is_utc8() {
        assert_eq!(top_timestamp(1_704_160_800), "2024-01-02 10:00:00");
        assert_eq!(top_timestamp(0), "1970-01-01 08:00:00");
    }

    #[test]
    fn signed_form_reproduces_vector_3() {
        let form = client().signed_form("wdt.stockin.order.query", &business());
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("timestamp"), Some("2024-01-02 10:00:00"));
        assert_eq!(get("sign_method"), Some("md5"));
        assert_eq!(get("format"), Some("json"));
        assert_eq!(get("v"), Some("2.0"));
        assert_eq!(get("sid"), Some("apidevnew2"));
        assert_eq!(get("status"), None, "empty values are not sent");
        assert_eq!(get("sign"), Some("1A631981C54F544BABCF5C3C90E4DB55"));
        assert!(!form.iter().any(|(_, v)| v == "qimensecret"));
    }

    #[test]
    fn success_unwraps_response() {
        let body = br#"{"response":{"errorcode":0,"message":"","total_count":1,"stockin_list":[{"stockin_no":"RK1","num":"2.0000"}]}}"#;
        let page = parse_response("wdt.stockin.order.query", "stockin_list", body).unwrap();
        assert_eq!(page.total_count, Some(1));
        assert_eq!(
            page.records[0].get(),
            r#"{"stockin_no":"RK1","num":"2.0000"}"#
        );
    }

    #[test]
    fn business_error() {
        let body = "{\"response\":{\"errorcode\":100,\"message\":\"超过每分钟最大调用频率限制\"}}";
        let e = parse_response("m", "l", body.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("100"));
        let e = parse_response(
            "m",
            "l",
            br#"{"response":{"errorcode":3,"message":"bad page_size"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.message(), "bad page_size");
    }

    #[test]
    fn gateway_error_shape_top() {
        let body = br#"{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature","sub_msg":"sign mismatch","request_id":"x"}}"#;
        let e = parse_response("m", "l", body).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.code(), Some("25/isv.invalid-signature"));
        assert_eq!(e.message(), "Invalid signature: sign mismatch");
        let body = br#"{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count"}}"#;
        assert_eq!(
            parse_response("m", "l", body).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        let body = br#"{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.unknown-error"}}"#;
        assert_eq!(
            parse_response("m", "l", body).unwrap_err().kind(),
            ErrorKind::Transient
        );
    }

    #[test]
    fn gateway_error_shape_qimen_flag() {
        let body = br#"{"response":{"flag":"failure","code":"sign-check-failure","message":"Illegal request"}}"#;
        let e = parse_response("m", "l", body).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.code(), Some("sign-check-failure"));
        assert_eq!(e.message(), "Illegal request");
        let body = br#"{"response":{"flag":"failure","code":"invalid-parameter","message":"bad"}}"#;
        assert_eq!(
            parse_response("m", "l", body).unwrap_err().kind(),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn malformed_answers_name_the_key() {
        let e = parse_response("m", "l", br#"{"foo":1}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("`response`"), "{}", e.message());
        let e = parse_response("m", "l", br#"{"response":{"message":""}}"#).unwrap_err();
        assert!(
            e.message().contains("`response.errorcode`"),
            "{}",
            e.message()
        );
        let e = parse_response(
            "m",
            "stockin_list",
            br#"{"response":{"errorcode":0,"total_count":5}}"#,
        )
        .unwrap_err();
        assert!(
            e.message().contains("`response.stockin_list`"),
            "{}",
            e.message()
        );
        let e = parse_response("m", "l", b"").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
    }
}
