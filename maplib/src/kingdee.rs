//! Request bodies of Kingdee's write operations, shared by `duijie preview`
//! and the runtime's Kingdee client so that the preview shows exactly what
//! is sent.

use crate::json::write_key;
use crate::SchemeMeta;

/// The body of `DynamicFormService.BatchSave`:
/// `{"formid":FORM,"data":{"Model":[bill,…],OPTION:VALUE,…}}`, with the
/// options in `.map` order. `bills` are compact JSON objects as a
/// [`crate::Mapper`] writes them; they are inserted as they are.
pub fn batch_save_body(meta: &SchemeMeta, bills: &[&str]) -> String {
    let mut out = Vec::with_capacity(64 + bills.iter().map(|b| b.len() + 1).sum::<usize>());
    open(meta, &mut out);
    out.push(b'[');
    for (i, bill) in bills.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(bill.as_bytes());
    }
    out.push(b']');
    close(meta, &mut out);
    into_string(out)
}

/// The body of `DynamicFormService.Save` (one bill):
/// `{"formid":FORM,"data":{"Model":bill,OPTION:VALUE,…}}`.
pub fn save_body(meta: &SchemeMeta, bill: &str) -> String {
    let mut out = Vec::with_capacity(64 + bill.len());
    open(meta, &mut out);
    out.extend_from_slice(bill.as_bytes());
    close(meta, &mut out);
    into_string(out)
}

fn open(meta: &SchemeMeta, out: &mut Vec<u8>) {
    out.push(b'{');
    write_key(out, "formid");
    crate::json::write_str(out, &meta.target.form_id);
    out.push(b',');
    write_key(out, "data");
    out.push(b'{');
    write_key(out, "Model");
}

fn close(meta: &SchemeMeta, out: &mut Vec<u8>) {
    for (name, value) in &meta.target.options {
        out.push(b',');
        write_key(out, name);
        // Writing a Value to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
    }
    out.extend_from_slice(b"}}");
}

fn into_string(out: Vec<u8>) -> String {
    // Every piece is UTF-8: JSON written by serde_json and the bills' text.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceMeta, TargetMeta};

    fn meta() -> SchemeMeta {
        SchemeMeta {
            name: "s".into(),
            title: None,
            file: "maps/s.map".into(),
            source: SourceMeta {
                system: "wdt".into(),
                api: "purchase_order_query".into(),
                list_key: "purchase_list".into(),
                params: vec![],
                page_no_param: "page_no".into(),
                page_size_param: "page_size".into(),
                first_page: 0,
                default_page_size: 40,
                max_page_size: 100,
                window: None,
            },
            target: TargetMeta {
                system: "kingdee".into(),
                operation: "BatchSave".into(),
                form_id: "PUR_PurchaseOrder".into(),
                options: vec![
                    ("IsAutoSubmitAndAudit".into(), serde_json::Value::Bool(true)),
                    ("NeedReturnFields".into(), serde_json::json!(["FBillNo"])),
                    ("BatchCount".into(), serde_json::from_str("4").unwrap()),
                ],
            },
            id_field: "purchase_no".into(),
            number_field: "purchase_no".into(),
            number_target: Some("FBillNo".into()),
        }
    }

    #[test]
    fn bodies() {
        let m = meta();
        assert_eq!(
            batch_save_body(&m, &[r#"{"FBillNo":"A"}"#, r#"{"FBillNo":"B"}"#]),
            r#"{"formid":"PUR_PurchaseOrder","data":{"Model":[{"FBillNo":"A"},{"FBillNo":"B"}],"IsAutoSubmitAndAudit":true,"NeedReturnFields":["FBillNo"],"BatchCount":4}}"#
        );
        assert_eq!(
            batch_save_body(&m, &[]),
            r#"{"formid":"PUR_PurchaseOrder","data":{"Model":[],"IsAutoSubmitAndAudit":true,"NeedReturnFields":["FBillNo"],"BatchCount":4}}"#
        );
        assert_eq!(
            save_body(&m, r#"{"FBillNo":"A"}"#),
            r#"{"formid":"PUR_PurchaseOrder","data":{"Model":{"FBillNo":"A"},"IsAutoSubmitAndAudit":true,"NeedReturnFields":["FBillNo"],"BatchCount":4}}"#
        );
    }
}
