//! 旺店通·企业版 "openapi2" client (protocols.md §1).
//!
//! `POST {base}/openapi2/{api}.php`, form-encoded; common parameters `sid`,
//! `appkey`, `timestamp` (unix seconds) and `sign` ([`crate::vendors::sign::wdt_sign`]);
//! answer `{"code":0,"message":"","total_count":N,"<list_key>":[…]}`.
//!
//! Error codes ([`classify`]): `0` success; `100` call limit →
//! [`ErrorKind::RateLimited`]; other codes are not published, so a non-zero
//! code is classified by its message (sign / key / timestamp → `Auth`, busy →
//! `Transient`, otherwise `Permanent`), always carrying the server's code and
//! message.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::value::RawValue;

use crate::error::{Error, Vendor};
use crate::secret::Secret;
use crate::vendors::http::{self, code_of, text_of};
pub use crate::vendors::http::{Clock, Page};
use crate::vendors::sign::wdt_sign;
use crate::vendors::wdt_family::{check_api_name, missing_key_message, page_from, raw_to_value};
pub use crate::vendors::wdt_family::{classify, CODE_RATE_LIMITED};

mod source;
pub use source::WdtSource;

/// The common parameters the client sets itself; a business parameter of the
/// same name is dropped.
pub const RESERVED_PARAMS: [&str; 4] = ["sid", "appkey", "timestamp", "sign"];

/// Connection settings of one WDT seller account.
#[derive(Debug, Clone)]
pub struct WdtConfig {
    /// `https://api.wangdian.cn` (production), `https://sandbox.wangdian.cn`,
    /// or a local sandbox; without the `/openapi2` part.
    pub base_url: String,
    /// Seller account (`sid`).
    pub sid: String,
    /// `appkey`.
    pub appkey: String,
    /// `appsecret`: only signs, never sent.
    pub appsecret: Secret,
    /// Overall time limit of one call.
    pub timeout: Duration,
}

/// An openapi2 client. Cheap to share (`&self` methods); clone the config to
/// make another.
#[derive(Debug)]
pub struct Client {
    config: WdtConfig,
    http: reqwest::Client,
    clock: Clock,
}

impl Client {
    /// A client with the system clock.
    pub fn new(config: WdtConfig) -> Result<Self, Error> {
        let http = http::build_http(Vendor::Wdt, config.timeout)?;
        Ok(Client {
            config,
            http,
            clock: Clock::system(),
        })
    }

    /// Replaces the clock used for `timestamp` (tests sign at a fixed time).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &WdtConfig {
        &self.config
    }

    /// `{base}/openapi2/{api}.php`.
    pub fn endpoint(&self, api: &str) -> String {
        format!(
            "{}/openapi2/{api}.php",
            self.config.base_url.trim_end_matches('/')
        )
    }

    /// The complete form of a call at the clock's current time: the business
    /// parameters (minus any of [`RESERVED_PARAMS`]) followed by `sid`,
    /// `appkey`, `timestamp` and `sign`.
    pub fn signed_form(&self, params: &[(String, String)]) -> Vec<(String, String)> {
        let mut form: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| !RESERVED_PARAMS.contains(&k.as_str()))
            .cloned()
            .collect();
        form.push(("sid".to_owned(), self.config.sid.clone()));
        form.push(("appkey".to_owned(), self.config.appkey.clone()));
        form.push(("timestamp".to_owned(), self.clock.now_unix().to_string()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let sign = wdt_sign(&pairs, self.config.appsecret.expose());
        form.push(("sign".to_owned(), sign));
        form
    }

    /// Calls `api` with the business `params` and returns the page of records
    /// found under `list_key` (e.g. `purchase_list`).
    pub async fn query(
        &self,
        api: &str,
        list_key: &str,
        params: &[(String, String)],
    ) -> Result<Page, Error> {
        check_api_name(Vendor::Wdt, api)?;
        let form = self.signed_form(params);
        let request = self.http.post(self.endpoint(api)).form(&form);
        let answer = http::send(Vendor::Wdt, api, request).await?;
        parse_response(api, list_key, &answer.body)
    }
}

/// What an answer of the 旺店通 旗舰版 (`{"status":…,"data":…}`) says.
pub const ULTIMATE_ANSWER: &str =
    "the server answers as the 旺店通 旗舰版 (Y platform) API ({\"status\":…,\"data\":…}), which duijie does \
     not read: its start_time filters on creation, not modification, so edited records would be missed; point \
     the connection at 旺店通·企业版 openapi2";

/// Parses an openapi2 answer: `code` 0 gives the page under `list_key`; any
/// other code an [`Error`] with the server's code and message.
pub fn parse_response(api: &str, list_key: &str, body: &[u8]) -> Result<Page, Error> {
    let top: BTreeMap<String, Box<RawValue>> = http::parse_json(Vendor::Wdt, api, body)?;
    if !top.contains_key("code") && top.contains_key("status") {
        return Err(Error::new(
            Vendor::Wdt,
            api,
            crate::error::ErrorKind::Permanent,
            ULTIMATE_ANSWER,
        ));
    }
    let code_value = raw_to_value(&top, "code")
        .ok_or_else(|| Error::malformed(Vendor::Wdt, api, missing_key_message("code", "", &top)))?;
    let code = code_of(&code_value).ok_or_else(|| {
        Error::malformed(
            Vendor::Wdt,
            api,
            format!("`code` is not an integer: {code_value}"),
        )
    })?;
    if code != 0 {
        let message = raw_to_value(&top, "message")
            .as_ref()
            .and_then(text_of)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("code {code} without a message"));
        return Err(
            Error::new(Vendor::Wdt, api, classify(code, &message), message)
                .with_code(code.to_string()),
        );
    }
    page_from(Vendor::Wdt, api, &top, list_key, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn client() -> Client {
        Client::new(WdtConfig {
            base_url: "http://127.0.0.1:1/".to_owned(),
            sid: "apidevnew2".to_owned(),
            appkey: "rhsw02".to_owned(),
            appsecret: Secret::new("12345"),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
        .with_clock(Clock::fixed(1_700_000_000))
    }

    fn business() -> Vec<(String, String)> {
        [
            ("start_time", "2024-01-01 00:00:00"),
            ("end_time", "2024-01-02 00:00:00"),
            ("page_no", "0"),
            ("page_size", "40"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn signed_form_reproduces_vector_1() {
        let form = client().signed_form(&business());
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("sid"), Some("apidevnew2"));
        assert_eq!(get("appkey"), Some("rhsw02"));
        assert_eq!(get("timestamp"), Some("1700000000"));
        assert_eq!(get("sign"), Some("88c1997a04a3fac23928e0c4b51d4260"));
        assert!(get("appsecret").is_none());
        assert!(!form.iter().any(|(_, v)| v == "12345"));
    }

    #[test]
    fn reserved_business_params_are_dropped() {
        let mut params = business();
        params.push(("sid".to_owned(), "other".to_owned()));
        params.push(("sign".to_owned(), "forged".to_owned()));
        let form = client().signed_form(&params);
        assert_eq!(form.iter().filter(|(k, _)| k == "sid").count(), 1);
        assert_eq!(form.iter().filter(|(k, _)| k == "sign").count(), 1);
        assert_eq!(form.last().unwrap().1, "88c1997a04a3fac23928e0c4b51d4260");
    }

    #[test]
    fn endpoint_trims_the_slash() {
        assert_eq!(
            client().endpoint("purchase_order_query"),
            "http://127.0.0.1:1/openapi2/purchase_order_query.php"
        );
    }

    #[test]
    fn success_keeps_records_as_exact_text() {
        let body = br#"{"code":0,"message":"","total_count":2,"purchase_list":[{"purchase_no":"CG1","num":"10.0000","price":0.1000000000000000055511151231257827},{"purchase_no":"CG2","details_list":[]}]}"#;
        let page = parse_response("purchase_order_query", "purchase_list", body).unwrap();
        assert_eq!(page.total_count, Some(2));
        assert_eq!(page.records.len(), 2);
        assert_eq!(
            page.records[0].get(),
            r#"{"purchase_no":"CG1","num":"10.0000","price":0.1000000000000000055511151231257827}"#
        );
    }

    #[test]
    fn string_code_and_count_are_accepted() {
        let page = parse_response("a", "l", br#"{"code":"0","total_count":"1","l":[{}]}"#).unwrap();
        assert_eq!(page.total_count, Some(1));
    }

    #[test]
    fn empty_result_without_list() {
        let page = parse_response(
            "a",
            "stockin_list",
            br#"{"code":0,"message":"","total_count":0}"#,
        )
        .unwrap();
        assert!(page.records.is_empty());
    }

    #[test]
    fn a_later_page_without_total_or_list_is_empty() {
        // Servers send `total_count` on page 0 only.
        let page = parse_response("a", "stockin_list", br#"{"code":0,"message":""}"#).unwrap();
        assert!(page.records.is_empty());
        assert_eq!(page.total_count, None);
        let page = parse_response("a", "l", br#"{"code":0,"l":[{"a":1}]}"#).unwrap();
        assert_eq!((page.total_count, page.records.len()), (None, 1));
    }

    #[test]
    fn an_ultimate_answer_is_refused() {
        let e = parse_response(
            "a",
            "l",
            br#"{"status":0,"data":{"total_count":1,"order":[{}]}}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e.message().contains("旗舰版"), "{e}");
    }

    #[test]
    fn missing_list_names_the_key() {
        let e = parse_response(
            "a",
            "stockin_list",
            br#"{"code":0,"total_count":3,"stockin_order_list":[]}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("`stockin_list`"), "{}", e.message());
        assert!(
            e.message().contains("stockin_order_list"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn missing_code_is_malformed() {
        let e = parse_response("a", "l", br#"{"l":[]}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("`code`"));
        let e = parse_response("a", "l", b"not json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        let e = parse_response("a", "l", br#"{"code":0,"total_count":1,"l":{"x":1}}"#).unwrap_err();
        assert!(e.message().contains("not a list"));
    }

    #[test]
    fn rate_limit_and_errors() {
        let e = parse_response(
            "purchase_order_query",
            "purchase_list",
            "{\"code\":100,\"message\":\"超过每分钟最大调用频率限制，请稍后重试\"}".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("100"));
        assert_eq!(e.api(), "purchase_order_query");
        assert!(e.message().contains("调用频率"));
        assert!(e.is_transient());

        let e = parse_response(
            "a",
            "l",
            "{\"code\":1090,\"message\":\"签名错误\"}".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        let e = parse_response(
            "a",
            "l",
            "{\"code\":2,\"message\":\"参数错误:page_size\"}".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(
            e.to_string(),
            "wdt a: rejected (code 2): 参数错误:page_size"
        );
    }

    #[test]
    fn a_nested_list_key_gives_one_record_per_element() {
        let body = r#"{"code":0,"total_count":2,"goods_list":[
            {"goods_no":"G1","goods_name":"T恤","deleted":"0","spec_list":[
                {"spec_no":"G1-01","deleted":"0"},{"spec_no":"G1-02","deleted":"1700000000"}]},
            {"goods_no":"G2","goods_name":"围巾","spec_list":[]},
            {"goods_no":"G3","goods_name":"笔","spec_list":[{"spec_no":"G3-01","goods_name":"自有名"}]}]}"#;
        let page = parse_response("goods_query", "goods_list/spec_list", body.as_bytes()).unwrap();
        assert_eq!(page.total_count, Some(2));
        // Paging counts goods; each spec is a record, its goods' fields beside it.
        assert_eq!(page.listed, Some(3));
        let records: Vec<serde_json::Value> = page
            .records
            .iter()
            .map(|r| serde_json::from_str(r.get()).unwrap())
            .collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["spec_no"], "G1-01");
        assert_eq!(records[0]["goods_name"], "T恤");
        assert_eq!(records[1]["deleted"], "1700000000", "the spec's field wins");
        assert!(records[0].get("spec_list").is_none());
        assert_eq!(records[2]["goods_name"], "自有名");
        assert_eq!(records[2]["goods_no"], "G3");
        let e = parse_response(
            "goods_query",
            "goods_list/spec_list",
            br#"{"code":0,"goods_list":[{"spec_list":"x"}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("goods_list[].spec_list"), "{e}");
        // A plain list key counts its records.
        let page = parse_response("a", "l", br#"{"code":0,"l":[{},{}]}"#).unwrap();
        assert_eq!(page.listed, None);
    }

    #[test]
    fn api_names_are_checked() {
        assert!(check_api_name(Vendor::Wdt, "purchase_order_query").is_ok());
        assert!(check_api_name(Vendor::Wdt, "../x").is_err());
        assert!(check_api_name(Vendor::Wdt, "").is_err());
    }
}
