//! The vendors: one folder a vendor, each with its client (signing, paging,
//! answers and errors) and the adapter that gives the engine its
//! [`crate::engine::Source`] or [`crate::engine::Target`].
//!
//! - [`wdt`]: 旺店通·企业版 openapi2; [`qimen`]: 旺店通 through 企业奇门; what
//!   the two share is in `wdt_family`.
//! - [`kingdee`]: 金蝶云星空 WebAPI, with every request body it is sent
//!   ([`kingdee::save_request`] is what `duijie preview` prints).
//! - [`http`]: the HTTP call shared by all clients (timeouts, status, JSON);
//!   [`sign`]: every vendor's signature, checked against protocols.md's
//!   vectors.
//!
//! A new vendor is a new folder here and an arm in [`crate::connect`].

pub mod http;
pub mod kingdee;
pub mod qimen;
pub mod sign;
pub mod wdt;
mod wdt_family;

use crate::config::ConnectionKind;
use crate::error::{Error, ErrorKind, Vendor};

/// Whether a vendor's message says "too many calls" in any platform's words:
/// per-minute frequency (`频率`, `频繁`, `调用次数超过上限`), concurrency
/// (`并发`), throttling (`限流`, `流控`), `call limit`, `too many requests`.
/// Codes differ between platforms and versions; the words do not.
pub fn says_rate_limited(message: &str) -> bool {
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    has(&[
        "频率",
        "频繁",
        "并发",
        "限流",
        "流控",
        "次数超",
        "call limit",
        "calls limit",
        "call-limit",
        "too many requests",
        "rate limit",
    ]) || (lower.contains("次数") && has(&["上限", "超过", "超出"]))
}

/// Reads one answer of a scheme's source API exactly as its connector does:
/// the same envelope (`{"code":0,…,"purchase_list":[…]}` for openapi2,
/// `{"response":{…}}` for Qimen) and the same error for a vendor error
/// answer, a malformed body or a missing list.
pub fn parse_source_answer(
    source: &duijie_maplib::SourceMeta,
    body: &[u8],
) -> Result<http::Page, Error> {
    match ConnectionKind::parse(&source.system) {
        Some(ConnectionKind::Wdt) => wdt::parse_response(&source.api, &source.list_key, body),
        Some(ConnectionKind::WdtQm) => qimen::parse_response(&source.api, &source.list_key, body),
        _ => Err(Error::new(
            Vendor::Wdt,
            &source.api,
            ErrorKind::Permanent,
            format!("`{}` is not a source system", source.system),
        )),
    }
}

/// The top-level keys only an answer of a WDT-family API has: openapi2's
/// `code`, Qimen's `response` envelope, `error_response` and `errorcode`.
const ANSWER_KEYS: [&str; 5] = ["code", "errorcode", "response", "error_response", "flag"];

/// Whether `body`, a JSON object, is a whole answer of the scheme's source
/// API rather than one record: it has the list key (`purchase_list`) or one
/// of the envelope's keys at the top.
pub fn is_source_answer(source: &duijie_maplib::SourceMeta, body: &str) -> bool {
    let Ok(top) = serde_json::from_str::<
        std::collections::BTreeMap<String, &serde_json::value::RawValue>,
    >(body) else {
        return false;
    };
    top.contains_key(wdt_family::split_list_key(&source.list_key).0)
        || ANSWER_KEYS.iter().any(|k| top.contains_key(*k))
}

#[cfg(test)]
mod tests {
    use super::says_rate_limited;

    #[test]
    fn rate_limits_in_each_platforms_words() {
        for m in [
            "超过每分钟最大调用频率限制，请稍后重试",
            "并发请求数超过限制，请稍后重试",
            "每分钟调用次数超过上限，请降低调用频率",
            "接口调用次数已超出上限",
            "当前接口并发请求数超过限制，请稍后重试",
            "App Call Limited",
            "Too Many Requests",
        ] {
            assert!(says_rate_limited(m), "{m}");
        }
        for m in [
            "签名错误",
            "page_size超过上限100",
            "参数错误：时间跨度超过30天",
        ] {
            assert!(!says_rate_limited(m), "{m}");
        }
    }
}
