//! What 旺店通's two gateways share: openapi2 and Qimen answer with the same
//! codes and the same page shape (`total_count` and a list under the API's
//! list key), and take the same API names.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Vendor};
use crate::vendors::http::{self, Page};

/// WDT's call-limit code.
pub const CODE_RATE_LIMITED: i64 = 100;

/// API and method names go into URLs and form fields: letters, digits, `_`
/// and `.` only.
pub fn check_api_name(vendor: Vendor, api: &str) -> Result<(), Error> {
    if !api.is_empty()
        && api
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        Ok(())
    } else {
        Err(Error::new(
            vendor,
            api,
            ErrorKind::Permanent,
            "API name may contain only letters, digits, '_' and '.'",
        ))
    }
}

/// The kind of a non-zero openapi2 (or Qimen `errorcode`) code.
pub fn classify(code: i64, message: &str) -> ErrorKind {
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if code == CODE_RATE_LIMITED || has(&["limit"]) || crate::vendors::says_rate_limited(message) {
        ErrorKind::RateLimited
    } else if has(&[
        "签名",
        "sign",
        "appkey",
        "app_key",
        "密钥",
        "secret",
        "授权",
        "时间戳",
        "timestamp",
        "卖家",
    ]) {
        ErrorKind::Auth
    } else if has(&["繁忙", "busy", "超时", "timeout", "稍后"]) {
        ErrorKind::Transient
    } else {
        ErrorKind::Permanent
    }
}

pub fn raw_to_value(map: &BTreeMap<String, Box<RawValue>>, key: &str) -> Option<serde_json::Value> {
    map.get(key)
        .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw.get()).ok())
}

pub fn missing_key_message(
    key: &str,
    prefix: &str,
    map: &BTreeMap<String, Box<RawValue>>,
) -> String {
    let present: Vec<&str> = map.keys().map(String::as_str).collect();
    format!(
        "missing `{prefix}{key}` (keys present: {})",
        present.join(", ")
    )
}

/// `total_count` and the records under `list_key` of a success object.
/// A missing or `null` list is an empty page when `total_count` is 0, or
/// absent (servers send it on page 0 only: a later page past the end may
/// have neither); with another total it is a malformed answer naming the
/// key (a wrong list key must not read as "no records": page 0 has the
/// total).
pub fn page_from(
    vendor: Vendor,
    api: &str,
    map: &BTreeMap<String, Box<RawValue>>,
    list_key: &str,
    prefix: &str,
) -> Result<Page, Error> {
    let total_count = raw_to_value(map, "total_count")
        .as_ref()
        .and_then(http::count_of);
    let list = map.get(list_key).filter(|raw| raw.get().trim() != "null");
    let Some(list) = list else {
        if total_count.is_none_or(|t| t == 0) {
            return Ok(Page {
                total_count,
                records: Vec::new(),
            });
        }
        return Err(Error::malformed(
            vendor,
            api,
            missing_key_message(list_key, prefix, map),
        ));
    };
    let records: Vec<Box<RawValue>> = serde_json::from_str(list.get()).map_err(|e| {
        Error::malformed(
            vendor,
            api,
            format!("`{prefix}{list_key}` is not a list: {e}"),
        )
    })?;
    Ok(Page {
        total_count,
        records,
    })
}
