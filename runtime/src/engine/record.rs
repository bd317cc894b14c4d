//! One record through the mapping: its id, its bill, the bill's number and
//! content hash, or the reason it failed.

use std::collections::BTreeMap;

use duijie_maplib::{Mapped, Mapper, SchemeMeta};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::state::{IngestRecord, IngestResult};

/// The text of the value at a dotted `path` (`purchase_no`,
/// `details_list.0.spec_no`) of a JSON object: a string's content, a
/// number's exact text, `true`/`false`; `None` when absent, null, an empty
/// string, or not a scalar.
pub fn field_text(json: &str, path: &str) -> Option<String> {
    let mut current: &str = json;
    // Parsed objects must outlive the borrowed raw values: keep them.
    let mut holder: Vec<Box<RawValue>> = Vec::new();
    for segment in path.split('.') {
        let trimmed = current.trim_start();
        let next: Box<RawValue> = if trimmed.starts_with('{') {
            let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(current).ok()?;
            map.into_iter()
                .find(|(k, _)| k == segment)
                .map(|(_, v)| v)?
        } else if trimmed.starts_with('[') {
            let index: usize = segment.parse().ok()?;
            let list: Vec<Box<RawValue>> = serde_json::from_str(current).ok()?;
            list.into_iter().nth(index)?
        } else {
            return None;
        };
        holder.push(next);
        current = holder.last()?.get();
    }
    scalar_text(current)
}

fn scalar_text(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.starts_with('"') {
        let s: String = serde_json::from_str(t).ok()?;
        (!s.is_empty()).then_some(s)
    } else if t == "null" || t.starts_with('{') || t.starts_with('[') || t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

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
/// between records.
pub fn map_one(
    mapper: &dyn Mapper,
    meta: &SchemeMeta,
    raw: &str,
    buf: &mut Vec<u8>,
) -> IngestRecord {
    let record_id = field_text(raw, &meta.id_field);
    let source_json = raw.to_string();
    let Some(id) = record_id.clone() else {
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
    buf.clear();
    let result = match mapper.map_record(raw, buf) {
        Ok(Mapped::Bill) => match String::from_utf8(std::mem::take(buf)) {
            Ok(bill) => {
                let number = match &meta.number_target {
                    Some(field) => field_text(&bill, field),
                    None => None,
                };
                let hash = content_hash(&bill);
                IngestResult::Bill { bill, number, hash }
            }
            Err(_) => IngestResult::Failed {
                target: String::new(),
                source: String::new(),
                reason: "the mapping produced a bill that is not UTF-8".into(),
            },
        },
        Ok(Mapped::Skipped { reason }) => IngestResult::Skipped { reason },
        Err(e) => IngestResult::Failed {
            target: e.target,
            source: e.source,
            reason: e.reason,
        },
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
    fn reads_dotted_paths_exactly() {
        let j = r#"{"purchase_no":"CG001","n":12.5000,"empty":"","z":null,
                    "details_list":[{"spec_no":"S1"},{"spec_no":"S2"}],"o":{"a":{"b":"deep"}}}"#;
        assert_eq!(field_text(j, "purchase_no").as_deref(), Some("CG001"));
        assert_eq!(field_text(j, "n").as_deref(), Some("12.5000"));
        assert_eq!(field_text(j, "empty"), None);
        assert_eq!(field_text(j, "z"), None);
        assert_eq!(field_text(j, "missing"), None);
        assert_eq!(
            field_text(j, "details_list.1.spec_no").as_deref(),
            Some("S2")
        );
        assert_eq!(field_text(j, "o.a.b").as_deref(), Some("deep"));
        assert_eq!(field_text(j, "o.a"), None);
        assert_eq!(field_text("not json", "a"), None);
    }

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
