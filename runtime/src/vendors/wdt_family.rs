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
    let (list_key, nested) = split_list_key(list_key);
    let list = map.get(list_key).filter(|raw| raw.get().trim() != "null");
    let Some(list) = list else {
        if total_count.is_none_or(|t| t == 0) {
            return Ok(Page {
                total_count,
                records: Vec::new(),
                listed: None,
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
    let Some(nested) = nested else {
        return Ok(Page {
            total_count,
            records,
            listed: None,
        });
    };
    let listed = Some(records.len() as u64);
    let mut flat = Vec::new();
    for record in &records {
        flatten(record, nested, &mut flat).map_err(|e| {
            Error::malformed(vendor, api, format!("`{prefix}{list_key}[].{nested}`: {e}"))
        })?;
    }
    Ok(Page {
        total_count,
        records: flat,
        listed,
    })
}

/// `goods_list/spec_list` → (`goods_list`, Some(`spec_list`)): a list key
/// naming an array inside each listed record makes one record per element
/// of it (旺店通 `goods_query`: one record per 规格 of each 货品).
pub fn split_list_key(list_key: &str) -> (&str, Option<&str>) {
    match list_key.split_once('/') {
        Some((outer, inner)) => (outer, Some(inner)),
        None => (list_key, None),
    }
}

/// The records of `record`'s array `nested`: each element's fields, then
/// the record's own fields the element does not have (the array itself
/// left out), so a spec record carries its goods' name, unit and class.
/// A record without the array, or with `null` or `[]`, gives none.
fn flatten(record: &RawValue, nested: &str, out: &mut Vec<Box<RawValue>>) -> Result<(), String> {
    let outer: serde_json::Map<String, serde_json::Value> = serde_json::from_str(record.get())
        .map_err(|e| format!("a record is not an object: {e}"))?;
    let elements = match outer.get(nested) {
        None | Some(serde_json::Value::Null) => return Ok(()),
        Some(serde_json::Value::Array(a)) => a,
        Some(_) => return Err("is not a list".to_owned()),
    };
    for element in elements {
        let serde_json::Value::Object(fields) = element else {
            return Err("an element is not an object".to_owned());
        };
        let mut merged = fields.clone();
        for (k, v) in &outer {
            if k != nested && !merged.contains_key(k) {
                merged.insert(k.clone(), v.clone());
            }
        }
        let text = serde_json::to_string(&merged).map_err(|e| e.to_string())?;
        out.push(RawValue::from_string(text).map_err(|e| e.to_string())?);
    }
    Ok(())
}
