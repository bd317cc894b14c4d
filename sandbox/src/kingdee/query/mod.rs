//! `DynamicFormService.ExecuteBillQuery` (and `BillQuery`) over the saved
//! bills.
//!
//! `FieldKeys` (comma-separated) may name `FID`, `FBillNo`,
//! `FDocumentStatus`, `FCreateDate`, `FModifyDate`, header fields
//! (`FDate`), lookups (`FSupplierId.FNumber`; the bare lookup gives the
//! record's internal id in the base data, a stable made-up one for a number
//! the base data lacks), sub-head fields (`FPOOrderFinance.FExchangeRate`), entry
//! fields (`FQty`, `FMaterialId.FNumber`) and entry keys
//! (`FPOOrderEntry_FEntryID`, `FPOOrderEntry_FSeq`). When an entry field is
//! asked for, the answer has one row per entry row, as Kingdee's join does.
//!
//! The same request over a base-data form (`BD_MATERIAL`, `BD_Supplier`,
//! …) queries the base data ([`master`]).
//!
//! `FilterString` is a small SQL: comparisons (`= <> != > >= < <=`),
//! `[NOT] IN (…)`, `[NOT] LIKE '…'` (`%`, `_`), `IS [NOT] NULL`, `AND`, `OR`,
//! `NOT`, parentheses, string literals `'…'` (`''` escapes a quote, `N'…'`
//! accepted) and numbers. `OrderString` is `field [ASC|DESC], …` (default
//! `FID`, then entry order). `TopRowCount` caps the rows, `StartRow` skips,
//! `Limit` (≤ 10000, 0 = 10000) pages.
//!
//! Field keys are resolved in [`fields`], the filter parsed and tested in
//! [`filter`]; errors ([`QueryError`]) carry MsgCode 9 for an unknown field,
//! 4 for an unknown form or a filter that does not parse, 8 for a bad
//! paging parameter.

mod error;
mod fields;
mod filter;
mod master;

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::forms::{get_ci, value_text, FormSpec};
use super::store::Bills;
use crate::masterdata::MasterData;
pub(crate) use error::QueryError;
use fields::{resolve, FieldRef, Row};
use filter::{eval, fields_of, filter_ref, parse_filter};
pub(crate) use master::Resumes;

/// Largest `Limit`.
pub(crate) const MAX_LIMIT: usize = 10_000;

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => {
            let (x, y) = (
                value_text(a).unwrap_or_default(),
                value_text(b).unwrap_or_default(),
            );
            match (x.parse::<Decimal>(), y.parse::<Decimal>()) {
                (Ok(p), Ok(q)) => p.cmp(&q),
                _ => x.cmp(&y),
            }
        }
    }
}

/// Rows' sort keys compared in `OrderString` order, each ascending or
/// descending (the second of each `order` pair).
pub(crate) fn compare_keys<T>(a: &[Value], b: &[Value], order: &[(T, bool)]) -> Ordering {
    for ((x, y), (_, desc)) in a.iter().zip(b).zip(order) {
        let o = compare_values(x, y);
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A parsed `ExecuteBillQuery` request.
#[derive(Debug)]
pub(crate) struct QueryRequest {
    pub form_id: String,
    field_keys: Vec<String>,
    filter: String,
    order: String,
    top: usize,
    start: usize,
    limit: usize,
}

fn count_param(data: &Map<String, Value>, name: &str) -> Result<usize, QueryError> {
    match get_ci(data, name) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => {
            let text = value_text(v).unwrap_or_default();
            let text = text.trim();
            if text.is_empty() {
                return Ok(0);
            }
            text.parse::<usize>()
                .map_err(|_| QueryError::new(8, format!("参数{name}必须是非负整数，收到“{text}”")))
        }
    }
}

impl QueryRequest {
    pub(crate) fn parse(data: &Map<String, Value>) -> Result<Self, QueryError> {
        let form_id = get_ci(data, "FormId")
            .and_then(value_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| QueryError::new(5, "表单Id（FormId）不能为空"))?;
        let field_keys = match get_ci(data, "FieldKeys") {
            Some(Value::String(s)) => s
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            Some(Value::Array(a)) => a.iter().filter_map(value_text).collect(),
            _ => Vec::new(),
        };
        if field_keys.is_empty() {
            return Err(QueryError::new(8, "查询字段（FieldKeys）不能为空"));
        }
        let filter = match get_ci(data, "FilterString") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) if a.is_empty() => String::new(),
            Some(_) => return Err(QueryError::new(4, "沙箱只支持字符串形式的FilterString")),
        };
        let order = get_ci(data, "OrderString")
            .and_then(value_text)
            .unwrap_or_default();
        let top = count_param(data, "TopRowCount")?;
        let start = count_param(data, "StartRow")?;
        let limit = count_param(data, "Limit")?;
        if limit > MAX_LIMIT {
            return Err(QueryError::new(
                8,
                format!("Limit不能超过{MAX_LIMIT}，收到{limit}"),
            ));
        }
        Ok(QueryRequest {
            form_id,
            field_keys,
            filter,
            order,
            top,
            start,
            limit: if limit == 0 { MAX_LIMIT } else { limit },
        })
    }

    /// `OrderString`'s parts: (field key, descending).
    fn order_parts(&self) -> Result<Vec<(&str, bool)>, QueryError> {
        let mut parts = Vec::new();
        for part in self
            .order
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut words = part.split_whitespace();
            let key = words.next().unwrap_or_default();
            let desc = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("ASC") => false,
                Some("DESC") => true,
                Some(other) => {
                    return Err(QueryError::new(
                        4,
                        format!("排序条件OrderString有误：{other}"),
                    ));
                }
            };
            parts.push((key, desc));
        }
        Ok(parts)
    }

    /// The field keys asked for.
    pub(crate) fn keys(&self) -> &[String] {
        &self.field_keys
    }

    /// Runs the query over `bills` (save order): rows of values in
    /// `FieldKeys` order; lookups' internal ids are `master`'s.
    pub(crate) fn run(
        &self,
        spec: &FormSpec,
        bills: &Bills,
        master: &MasterData,
    ) -> Result<Vec<Vec<Value>>, QueryError> {
        let columns: Vec<FieldRef> = self
            .field_keys
            .iter()
            .map(|k| resolve(spec, k))
            .collect::<Result<_, _>>()?;
        let filter = parse_filter(&self.filter)?;
        let mut filter_fields = Vec::new();
        if let Some(f) = &filter {
            fields_of(f, &mut filter_fields);
        }
        let filter_refs: Vec<(String, FieldRef)> = filter_fields
            .iter()
            .map(|k| resolve(spec, k).map(|r| (k.to_ascii_lowercase(), r)))
            .collect::<Result<_, _>>()?;
        let mut order: Vec<(FieldRef, bool)> = Vec::new();
        for (key, desc) in self.order_parts()? {
            order.push((resolve(spec, key)?, desc));
        }
        // The entry whose rows the answer is made of.
        let entity: Option<String> = columns
            .iter()
            .chain(filter_refs.iter().map(|(_, r)| r))
            .chain(order.iter().map(|(r, _)| r))
            .find_map(|r| r.entry().map(str::to_owned));

        // Only fields of the bill's model need it parsed.
        let needs_data = entity.is_some()
            || columns
                .iter()
                .chain(filter_refs.iter().map(|(_, r)| r))
                .chain(order.iter().map(|(r, _)| r))
                .any(|r| matches!(r, FieldRef::Header(..)));

        let lookup = |k: &str| filter_ref(&filter_refs, k);
        let top = if self.top == 0 { usize::MAX } else { self.top };
        // Rows past this one are never answered when the order is save order.
        let end = top.min(self.start.saturating_add(self.limit));
        let mut answer: Vec<Vec<Value>> = Vec::new();
        // With an order: (sort keys, columns) of every row that passes.
        let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
        let mut passed = 0usize;
        let no_data = Map::new();
        'bills: for bill in bills.iter() {
            let parsed;
            let data = if needs_data {
                parsed = bill.data();
                &parsed
            } else {
                &no_data
            };
            let entries: Vec<Option<(usize, &Map<String, Value>)>> = match &entity {
                None => vec![None],
                Some(e) => {
                    let list: Vec<_> = get_ci(data, e)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_object)
                                .enumerate()
                                .map(Some)
                                .collect()
                        })
                        .unwrap_or_default();
                    if list.is_empty() {
                        vec![None]
                    } else {
                        list
                    }
                }
            };
            for entry in entries {
                let row = Row {
                    bill,
                    data,
                    entry,
                    master,
                };
                let value = |k: &str| lookup(k).map_or(Value::Null, |r| row.get(r));
                if !filter.as_ref().is_none_or(|f| eval(f, &value)) {
                    continue;
                }
                let values = || columns.iter().map(|c| row.get(c)).collect::<Vec<_>>();
                if !order.is_empty() {
                    let keys = order.iter().map(|(r, _)| row.get(r)).collect();
                    keyed.push((keys, values()));
                    continue;
                }
                if passed >= end {
                    break 'bills;
                }
                if passed >= self.start {
                    answer.push(values());
                }
                passed += 1;
            }
        }
        if order.is_empty() {
            return Ok(answer);
        }
        // A stable sort: equal keys keep save (then entry) order.
        keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, &order));
        Ok(keyed
            .into_iter()
            .take(top)
            .skip(self.start)
            .take(self.limit)
            .map(|(_, values)| values)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::filter::like;
    use super::*;
    use crate::kingdee::store::BillStore;
    use serde_json::json;

    fn setup() -> (FormSpec, Bills) {
        let spec = FormSpec::builtin().into_iter().next().unwrap();
        let store = BillStore::new();
        for (no, qtys) in [("CG001", vec![1, 2]), ("CG002", vec![5]), ("X'1", vec![7])] {
            let rows: Vec<Value> = qtys
                .iter()
                .map(|q| json!({"FMaterialId": {"FNumber": "A01"}, "FQty": q.to_string()}))
                .collect();
            let bill =
                json!({"FBillNo": no, "FSupplierId": {"FNumber": "0003"}, "FPOOrderEntry": rows});
            store
                .save(
                    &spec,
                    bill.as_object().unwrap().clone(),
                    no != "CG002",
                    "2024-01-02T10:00:00",
                    |_, _| (),
                )
                .unwrap();
        }
        let bills = store.all("PUR_PurchaseOrder");
        (spec, bills)
    }

    fn query(data: Value) -> Result<Vec<Vec<Value>>, QueryError> {
        let (spec, bills) = setup();
        QueryRequest::parse(data.as_object().unwrap())?.run(&spec, &bills, &MasterData::builtin())
    }

    #[test]
    fn header_query_with_filters() {
        let rows = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FID,FBillNo,FDocumentStatus,FSupplierId.FNumber",
            "FilterString": "FBillNo='CG001'"}))
        .unwrap();
        assert_eq!(
            rows,
            vec![vec![
                json!(100_001),
                json!("CG001"),
                json!("C"),
                json!("0003")
            ]]
        );
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo",
            "FilterString": "FBillNo in ('CG001', 'X''1') ", "OrderString": "FBillNo DESC"}),
        )
        .unwrap();
        assert_eq!(rows, vec![vec![json!("X'1")], vec![json!("CG001")]]);
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": ""}),
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo",
            "FilterString": "FDocumentStatus = 'A' or (FID >= 100003 and FBillNo like 'X%')"}),
        )
        .unwrap();
        assert_eq!(rows, vec![vec![json!("CG002")], vec![json!("X'1")]]);
    }

    #[test]
    fn entry_queries_expand_rows() {
        let rows = query(json!({"FormId": "PUR_PurchaseOrder",
            "FieldKeys": "FBillNo,FPOOrderEntry_FEntryID,FMaterialId.FNumber,FQty",
            "FilterString": "FBillNo='CG001'"}))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            vec![json!("CG001"), json!(100_002), json!("A01"), json!(2)]
        );
        let rows = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": "FQty > 4"})).unwrap();
        assert_eq!(rows, vec![vec![json!("CG002")], vec![json!("X'1")]]);
    }

    #[test]
    fn a_date_is_its_midnight() {
        // As on a real server: `<= 'day'` drops the day's later times, `<`
        // the next day keeps them.
        let q = |filter: &str| {
            query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": filter}))
                .unwrap()
                .len()
        };
        assert_eq!(q("FModifyDate <= '2024-01-02'"), 0);
        assert_eq!(q("FModifyDate < '2024-01-03'"), 3);
        assert_eq!(q("FModifyDate >= '2024-01-02'"), 3);
    }

    #[test]
    fn paging_parameters() {
        let base = json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo,FQty"});
        let mut q = base.clone();
        q["StartRow"] = json!(1);
        q["Limit"] = json!(2);
        assert_eq!(query(q).unwrap().len(), 2);
        let mut q = base.clone();
        q["TopRowCount"] = json!("3");
        q["StartRow"] = json!(2);
        assert_eq!(query(q).unwrap().len(), 1);
        let mut q = base;
        q["Limit"] = json!(10_001);
        assert_eq!(query(q).unwrap_err().msg_code, 8);
    }

    #[test]
    fn paging_in_save_order_matches_paging_after_a_sort() {
        // Without OrderString the scan stops at the page's end; sorted by
        // FID (stable: entry order kept) every row is gathered first. Both
        // must page alike.
        for top in [0usize, 1, 2, 3, 5] {
            for start in [0, 1, 2, 4] {
                for limit in [1, 2, 10] {
                    let q = json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo,FQty",
                        "TopRowCount": top, "StartRow": start, "Limit": limit});
                    let mut sorted = q.clone();
                    sorted["OrderString"] = json!("FID");
                    let plain = query(q).unwrap();
                    assert_eq!(plain, query(sorted).unwrap(), "{top} {start} {limit}");
                    let all = if top == 0 { 4 } else { top.min(4) };
                    assert_eq!(plain.len(), all.saturating_sub(start).min(limit));
                }
            }
        }
    }

    #[test]
    fn errors() {
        let e =
            query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FNoSuchField"})).unwrap_err();
        assert_eq!(e.msg_code, 9);
        assert_eq!(e.message, "元数据中标识为FNoSuchField的字段不存在");
        let e = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": "FBillNo = "}))
            .unwrap_err();
        assert_eq!(e.msg_code, 4);
        assert!(like("CG001", "cg%1"));
        assert!(!like("CG001", "CG_1"));
    }
}
