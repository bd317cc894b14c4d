//! One record through the mapping: its id, its bill, the bill's number and
//! content hash, or the reason it failed.

use std::borrow::Cow;

use duijie_maplib::{Lookups, Mapped, Mapper, SchemeMeta};
use sha2::{Digest, Sha256};

use crate::state::{IngestRecord, IngestResult};

/// Content hash of a bill: SHA-256, lowercase hex.
pub fn content_hash(bill: &str) -> String {
    let digest = Sha256::digest(bill.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The bill with the target's id set (`"FID": …` first), so that saving it
/// updates the bill written earlier instead of adding one.
pub fn with_target_id(bill: &str, target_id: &str) -> String {
    let id = if !target_id.is_empty() && target_id.bytes().all(|b| b.is_ascii_digit()) {
        target_id.to_string()
    } else {
        serde_json::Value::String(target_id.to_string()).to_string()
    };
    let t = bill.trim();
    let Some(rest) = t.strip_prefix('{') else {
        return bill.to_string();
    };
    if rest.trim_start().starts_with('}') {
        format!("{{\"FID\":{id}}}")
    } else {
        format!("{{\"FID\":{id},{rest}")
    }
}

/// Maps one source record into what the store keeps of it. `buf` is reused
/// between records. The record's id and the bill's number come from the
/// mapper, which read them (the rule is `duijie_maplib::json::id_text`); a
/// record without an id fails, whatever its mapping gave.
pub fn map_one(
    mapper: &dyn Mapper,
    meta: &SchemeMeta,
    lookups: &dyn Lookups,
    raw: &str,
    buf: &mut Vec<u8>,
) -> IngestRecord {
    let source_json = raw.to_string();
    buf.clear();
    let (record_id, result) = match mapper.map_record_with(raw, buf, lookups) {
        Ok(Mapped::Bill { id, number }) => match String::from_utf8(std::mem::take(buf)) {
            Ok(bill) => {
                let hash = content_hash(&bill);
                let number = number.map(Cow::into_owned);
                (
                    id.map(Cow::into_owned),
                    IngestResult::Bill { bill, number, hash },
                )
            }
            Err(_) => (
                id.map(Cow::into_owned),
                IngestResult::Failed {
                    target: String::new(),
                    source: String::new(),
                    reason: "the mapping produced a bill that is not UTF-8".into(),
                },
            ),
        },
        Ok(Mapped::Skipped { id, reason }) => {
            (id.map(Cow::into_owned), IngestResult::Skipped { reason })
        }
        Err(e) => match e.waiting {
            Some(waiting) => (
                e.record_id,
                IngestResult::Waiting {
                    target: e.target,
                    source: e.source,
                    reason: e.reason,
                    waiting: *waiting,
                },
            ),
            None => (
                e.record_id,
                IngestResult::Failed {
                    target: e.target,
                    source: e.source,
                    reason: e.reason,
                },
            ),
        },
    };
    let Some(id) = record_id else {
        return IngestRecord {
            record_id: None,
            source_json,
            result: IngestResult::Failed {
                target: String::new(),
                source: meta.id_field.clone(),
                reason: format!("the record has no `{}` (the scheme's id)", meta.id_field),
            },
        };
    };
    IngestRecord {
        record_id: Some(id),
        source_json,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn sets_the_target_id() {
        assert_eq!(
            with_target_id(r#"{"FBillNo":"A"}"#, "100"),
            r#"{"FID":100,"FBillNo":"A"}"#
        );
        assert_eq!(with_target_id("{}", "7"), r#"{"FID":7}"#);
        assert_eq!(
            with_target_id(r#"{"a":1}"#, "x\"y"),
            r#"{"FID":"x\"y","a":1}"#
        );
    }
}
