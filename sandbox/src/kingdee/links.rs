//! What Kingdee checks beyond the fields of a form ([`super::forms`]): that
//! a bill's type belongs to its form, and that a bill linked to a source
//! bill names one that exists. Errors are reported like the field errors
//! (`FieldName`, `Message`, the bill's `DIndex`):
//!
//! | case | `FieldName` | message |
//! |---|---|---|
//! | the bill type is another form's (`XSCKD01_SYS` on a 采购入库单) | `FBillTypeID` | `字段“单据类型”的值“{number}”不是{form label}的单据类型。` |
//! | `STK_InStock` line: `FPOOrderNo` (or `FSRCBillNo` with source type `PUR_PurchaseOrder`) names no purchase order | `FPOOrderNo` / `FSRCBillNo` | `明细信息第{n}行：采购订单“{number}”不存在或已被删除，不能入库。` |
//! | `STK_InStock` link row: `…_FSBillId` names no purchase order, or `…_FSId` no line of it | `FInStockEntry_Link_FSBillId` / `…_FSId` | `明细信息第{n}行：关联的采购订单（内码{id}）不存在或已被删除。` / `明细信息第{n}行：采购订单（内码{id}）没有分录内码为{entry}的明细。` |
//!
//! A bill type is the form's when its number starts with the form's prefix
//! (`CGDD` 采购订单, `QTRKD` 其他入库单, `XSCKD` 销售出库单, `RKD` 采购入库单,
//! `XSTHD` 销售退货单, `TLD` 采购退料单); a number unknown to the base data is already a
//! field error.

use serde_json::{Map, Value};

use super::forms::{get_ci, lookup_number, value_str, value_text, FieldError, FormSpec};
use super::state::KingdeeState;
use crate::masterdata::MasterData;

const PURCHASE_ORDER: &str = "PUR_PurchaseOrder";

/// The bill-type prefix of a form.
fn bill_type_prefix(form: &str) -> Option<&'static str> {
    let prefixes = [
        ("PUR_PurchaseOrder", "CGDD"),
        ("STK_MISCELLANEOUS", "QTRKD"),
        ("SAL_OUTSTOCK", "XSCKD"),
        ("STK_InStock", "RKD"),
        ("SAL_RETURNSTOCK", "XSTHD"),
        ("PUR_MRB", "TLD"),
    ];
    prefixes
        .iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(form))
        .map(|(_, p)| *p)
}

/// The problems of `bill` (of form `spec`) with what it refers to.
pub(crate) fn check(
    k: &KingdeeState,
    master: &MasterData,
    spec: &FormSpec,
    bill: &Map<String, Value>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let (Some(prefix), Some(number)) = (
        bill_type_prefix(&spec.form_id),
        get_ci(bill, "FBillTypeID").and_then(lookup_number),
    ) {
        let known = master.contains("BOS_BillType", &number);
        if known && !number.to_ascii_uppercase().starts_with(prefix) {
            let form_label = spec.label.as_str();
            errors.push(FieldError {
                field_name: "FBillTypeID".into(),
                message: format!("字段“单据类型”的值“{number}”不是{form_label}的单据类型。"),
            });
        }
    }
    if spec.form_id.eq_ignore_ascii_case("STK_InStock") {
        check_purchase_links(k, bill, &mut errors);
    }
    errors
}

fn text_of(row: &Map<String, Value>, key: &str) -> Option<String> {
    let v = get_ci(row, key)?;
    let t = value_str(v)?.trim().to_owned();
    (!t.is_empty()).then_some(t)
}

fn int_of(row: &Map<String, Value>, key: &str) -> Option<i64> {
    value_text(get_ci(row, key)?)?.trim().parse().ok()
}

fn check_purchase_links(k: &KingdeeState, bill: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(Value::Array(rows)) = get_ci(bill, "FInStockEntry") else {
        return;
    };
    for (n, row) in rows.iter().enumerate() {
        let Some(row) = row.as_object() else { continue };
        let line = n + 1;
        let from_order =
            text_of(row, "FSRCBILLTYPEID").is_some_and(|t| t.eq_ignore_ascii_case(PURCHASE_ORDER));
        let mut named = vec![("FPOOrderNo", text_of(row, "FPOOrderNo"))];
        if from_order {
            named.push(("FSRCBillNo", text_of(row, "FSRCBillNo")));
        }
        for (field, number) in named {
            let Some(number) = number else { continue };
            if k.store.by_number(PURCHASE_ORDER, &number).is_none() {
                errors.push(FieldError {
                    field_name: field.into(),
                    message: format!(
                        "明细信息第{line}行：采购订单“{number}”不存在或已被删除，不能入库。"
                    ),
                });
            }
        }
        let Some(Value::Array(links)) = get_ci(row, "FInStockEntry_Link") else {
            continue;
        };
        for link in links.iter().filter_map(Value::as_object) {
            let Some(bill_id) = int_of(link, "FInStockEntry_Link_FSBillId") else {
                continue;
            };
            let Some(order) = k.store.by_id(PURCHASE_ORDER, bill_id) else {
                errors.push(FieldError {
                    field_name: "FInStockEntry_Link_FSBillId".into(),
                    message: format!(
                        "明细信息第{line}行：关联的采购订单（内码{bill_id}）不存在或已被删除。"
                    ),
                });
                continue;
            };
            let Some(entry) = int_of(link, "FInStockEntry_Link_FSId") else {
                continue;
            };
            let has_entry = order.get(0).is_some_and(|b| {
                let data = b.data();
                match get_ci(&data, "FPOOrderEntry") {
                    Some(Value::Array(lines)) => lines
                        .iter()
                        .filter_map(Value::as_object)
                        .any(|l| int_of(l, "FEntryID") == Some(entry)),
                    _ => false,
                }
            });
            if !has_entry {
                errors.push(FieldError {
                    field_name: "FInStockEntry_Link_FSId".into(),
                    message: format!(
                        "明细信息第{line}行：采购订单（内码{bill_id}）没有分录内码为{entry}的明细。"
                    ),
                });
            }
        }
    }
}
