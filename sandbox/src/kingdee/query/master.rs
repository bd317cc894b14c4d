//! `ExecuteBillQuery` over the base data (`BD_MATERIAL`, `BD_Supplier`, …):
//! the same request, filter, order and paging as over bills, on the
//! records of [`crate::masterdata`].
//!
//! Field keys of every form: its internal id (`FMATERIALID`,
//! `FSupplierId`, `FCUSTID`, `FStockId`, `FDEPTID`, `FUNITID`, …),
//! `FNumber`, `FName`, `FDocumentStatus`, `FForbidStatus`, `FCreateDate`,
//! `FModifyDate`, `FUseOrgId` / `FCreateOrgId` (bare: the organisation's
//! internal id; `.FNumber`, `.FName`), and the form's text fields
//! (`FSpecification`, `FOldNumber`, `FMnemonicCode`, `FBARCODE`,
//! `FBaseUnitId` (bare, `.FNumber`, `.FName`), `FErpClsID` of materials;
//! `FShortName` of suppliers and customers). Keys are case-insensitive; an
//! unknown one is MsgCode 9. Without `OrderString` (or ordered by the
//! internal id, ascending) records come in id order and a page stops the
//! scan at its end.

use std::cell::RefCell;
use std::cmp::Ordering;

use serde_json::Value;

use super::error::unknown_field;
use super::filter::{eval, fields_of, parse_filter};
use super::{compare_values, QueryError, QueryRequest};
use crate::clock::fmt_cst;
use crate::masterdata::schema::{schema_of, Schema, OTHER};
use crate::masterdata::table::{Table, CREATE_ORG, FIRST_TEXT, NAME, USE_ORG};
use crate::masterdata::MasterData;

/// What a field key of a base-data form names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Id,
    Number,
    Status,
    Forbid,
    Created,
    Modified,
    /// Text `i` of the record (see [`NAME`]…).
    Text(usize),
    /// The internal id of the record text `i` names in `form`.
    LookupId(usize, &'static str),
    /// The name of the record text `i` names in `form`.
    LookupName(usize, &'static str),
}

/// What `key` names in `schema`.
fn resolve(schema: &Schema, key: &str) -> Result<Col, QueryError> {
    let key = key.trim();
    let (head, sub) = match key.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (key, None),
    };
    let is = |name: &str| head.eq_ignore_ascii_case(name);
    // A lookup: text index and the form it names.
    let lookup = if is("FUseOrgId") {
        Some((USE_ORG, "ORG_Organizations"))
    } else if is("FCreateOrgId") {
        Some((CREATE_ORG, "ORG_Organizations"))
    } else {
        schema
            .texts
            .iter()
            .enumerate()
            .find(|(_, t)| t.lookup.is_some() && is(t.key))
            .and_then(|(i, t)| t.lookup.map(|f| (FIRST_TEXT + i, f)))
    };
    if let Some((i, form)) = lookup {
        return match sub {
            None => Ok(Col::LookupId(i, form)),
            Some(s) if s.eq_ignore_ascii_case("FNumber") => Ok(Col::Text(i)),
            Some(s) if s.eq_ignore_ascii_case("FName") => Ok(Col::LookupName(i, form)),
            Some(_) => Err(unknown_field(key)),
        };
    }
    if sub.is_some() {
        return Err(unknown_field(head));
    }
    let col = if is(schema.id_key) {
        Col::Id
    } else if is("FNumber") {
        Col::Number
    } else if is("FName") {
        Col::Text(NAME)
    } else if is("FDocumentStatus") {
        Col::Status
    } else if is("FForbidStatus") {
        Col::Forbid
    } else if is("FCreateDate") {
        Col::Created
    } else if is("FModifyDate") {
        Col::Modified
    } else {
        match schema.texts.iter().position(|t| is(t.key)) {
            Some(i) => Col::Text(FIRST_TEXT + i),
            None => return Err(unknown_field(head)),
        }
    };
    Ok(col)
}

/// A time as Kingdee answers it (`2026-12-04T10:00:00`, UTC+8); the last
/// one made is kept, since records saved together share their time.
struct Times(RefCell<Option<(i64, String)>>);

impl Times {
    fn get(&self, t: i64) -> String {
        let mut last = self.0.borrow_mut();
        match &*last {
            Some((at, text)) if *at == t => text.clone(),
            _ => {
                let text = fmt_cst(t).replacen(' ', "T", 1);
                *last = Some((t, text.clone()));
                text
            }
        }
    }
}

struct Reader<'a> {
    md: &'a MasterData,
    table: Option<&'a Table>,
    times: Times,
}

impl Reader<'_> {
    fn value(&self, pos: usize, col: Col) -> Value {
        let Some(t) = self.table else {
            return Value::Null;
        };
        match col {
            Col::Id => Value::from(Table::id(pos)),
            Col::Number => Value::String(t.number(pos).into_owned()),
            Col::Status => Value::String(char::from(t.status(pos)).to_string()),
            Col::Forbid => Value::String(char::from(t.forbid(pos)).to_string()),
            Col::Created => Value::String(self.times.get(self.md.time(t.times(pos).0))),
            Col::Modified => Value::String(self.times.get(self.md.time(t.times(pos).1))),
            Col::Text(i) => Value::String(t.text(pos, i).into_owned()),
            Col::LookupId(i, form) => {
                let number = t.text(pos, i);
                let id = self
                    .md
                    .table(form)
                    .and_then(|o| o.find(&number))
                    .map_or(0, Table::id);
                Value::from(id)
            }
            Col::LookupName(i, form) => {
                let number = t.text(pos, i);
                let name = self
                    .md
                    .table(form)
                    .and_then(|o| o.find(&number).map(|p| o.text(p, NAME).into_owned()))
                    .unwrap_or_default();
                Value::String(name)
            }
        }
    }
}

impl QueryRequest {
    /// Runs the query over the base data of its form; `None` when the form
    /// is no base-data form the sandbox knows or holds.
    pub(crate) fn run_master(
        &self,
        md: &MasterData,
    ) -> Option<Result<Vec<Vec<Value>>, QueryError>> {
        let table = md.table(&self.form_id);
        let schema: &Schema = match table {
            Some(t) => t.schema,
            None => schema_of(&self.form_id)?,
        };
        if std::ptr::eq(schema, &OTHER) && table.is_none() {
            return None;
        }
        Some(self.master_rows(md, schema, table))
    }

    fn master_rows(
        &self,
        md: &MasterData,
        schema: &Schema,
        table: Option<&Table>,
    ) -> Result<Vec<Vec<Value>>, QueryError> {
        let columns: Vec<Col> = self
            .field_keys
            .iter()
            .map(|k| resolve(schema, k))
            .collect::<Result<_, _>>()?;
        let filter = parse_filter(&self.filter)?;
        let mut names = Vec::new();
        if let Some(f) = &filter {
            fields_of(f, &mut names);
        }
        let filter_cols: Vec<(String, Col)> = names
            .into_iter()
            .map(|n| resolve(schema, &n).map(|c| (n, c)))
            .collect::<Result<_, _>>()?;
        let mut order = Vec::new();
        for (key, desc) in self.order_parts()? {
            order.push((resolve(schema, key)?, desc));
        }
        let reader = Reader {
            md,
            table,
            times: Times(RefCell::new(None)),
        };
        let len = table.map_or(0, Table::len);
        let passes = |pos: usize| {
            filter.as_ref().is_none_or(|f| {
                let value = |name: &str| {
                    filter_cols
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map_or(Value::Null, |(_, c)| reader.value(pos, *c))
                };
                eval(f, &value)
            })
        };
        let values =
            |pos: usize| -> Vec<Value> { columns.iter().map(|c| reader.value(pos, *c)).collect() };
        let top = if self.top == 0 { usize::MAX } else { self.top };
        let in_id_order = order.iter().all(|(c, desc)| *c == Col::Id && !desc);
        if in_id_order {
            let end = top.min(self.start.saturating_add(self.limit));
            let mut answer = Vec::new();
            let mut passed = 0usize;
            for pos in 0..len {
                if passed >= end {
                    break;
                }
                if !passes(pos) {
                    continue;
                }
                if passed >= self.start {
                    answer.push(values(pos));
                }
                passed += 1;
            }
            return Ok(answer);
        }
        let mut keyed: Vec<(Vec<Value>, usize)> = (0..len)
            .filter(|p| passes(*p))
            .map(|p| (order.iter().map(|(c, _)| reader.value(p, *c)).collect(), p))
            .collect();
        // Stable: equal keys keep id order.
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, desc)) in a.iter().zip(b).zip(&order) {
                let o = compare_values(x, y);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        Ok(keyed
            .into_iter()
            .take(top)
            .skip(self.start)
            .take(self.limit)
            .map(|(_, pos)| values(pos))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Built-in data seeded at 2026-12-04 10:00:00 (UTC+8), 30 generated
    /// materials.
    fn data() -> MasterData {
        let mut md = MasterData::builtin();
        md.add_generated_materials(30);
        md.set_seed_time(1_796_349_600);
        md
    }

    fn query(md: &MasterData, q: Value) -> Result<Vec<Vec<Value>>, QueryError> {
        QueryRequest::parse(q.as_object().unwrap())?
            .run_master(md)
            .unwrap()
    }

    #[test]
    fn material_fields_and_filters() {
        let md = data();
        let rows = query(&md, json!({"FormId": "BD_MATERIAL",
            "FieldKeys": "FMATERIALID,FNumber,FName,FSpecification,FBaseUnitId.FNumber,FBaseUnitId,FBaseUnitId.FName,FErpClsID,FDocumentStatus,FForbidStatus,FUseOrgId.FNumber,FUseOrgId,FModifyDate",
            "FilterString": "FNumber IN ('A01','G1001-01')", "OrderString": "FMATERIALID ASC"}))
        .unwrap();
        let units = md.table("BD_UNIT").unwrap();
        let jian = Table::id(units.find("件").unwrap());
        assert_eq!(
            rows,
            vec![
                vec![
                    json!(100_001),
                    json!("A01"),
                    json!("纯棉布料"),
                    json!("幅宽150cm"),
                    json!("Pcs"),
                    json!(Table::id(0)),
                    json!("Pcs"),
                    json!("1"),
                    json!("C"),
                    json!("A"),
                    json!("100"),
                    json!(100_001),
                    json!("2026-12-04T10:00:00")
                ],
                vec![
                    json!(100_004),
                    json!("G1001-01"),
                    json!("纯棉圆领短袖T恤 白色 L"),
                    json!("白色 L"),
                    json!("件"),
                    json!(jian),
                    json!("件"),
                    json!("1"),
                    json!("C"),
                    json!("A"),
                    json!("100"),
                    json!(100_001),
                    json!("2026-12-04T10:00:00")
                ],
            ]
        );
        let count = |filter: &str| {
            query(
                &md,
                json!({"FormId": "bd_material", "FieldKeys": "FNumber", "FilterString": filter}),
            )
            .unwrap()
            .len()
        };
        let all = md.count("BD_MATERIAL");
        assert_eq!(count("FModifyDate >= '2026-12-04 10:00:00' AND FDocumentStatus = 'C' AND FForbidStatus = 'A'"), all);
        assert_eq!(count("FModifyDate > '2026-12-04 10:00:00'"), 0);
        assert_eq!(count("FNumber LIKE 'M%'"), 30);
        assert_eq!(count("FBARCODE LIKE '693%'"), 30);
    }

    #[test]
    fn paging_in_id_order_matches_paging_after_a_sort() {
        let md = data();
        for (start, limit) in [(0, 7), (7, 7), (60, 100), (0, 0)] {
            let q = json!({"FormId": "BD_MATERIAL", "FieldKeys": "FMATERIALID,FNumber", "StartRow": start, "Limit": limit});
            let mut sorted = q.clone();
            sorted["OrderString"] = json!("FNumber DESC, FMATERIALID");
            let plain = query(&md, q).unwrap();
            let mut by_number = query(&md, sorted.clone()).unwrap();
            let total = md.count("BD_MATERIAL");
            let expect = total
                .saturating_sub(start)
                .min(if limit == 0 { 10_000 } else { limit });
            assert_eq!(plain.len(), expect);
            assert_eq!(by_number.len(), expect);
            by_number.sort_by_key(|r| r[0].as_i64());
            if start == 0 && limit == 0 {
                assert_eq!(plain, by_number);
            }
        }
        let q = json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "TopRowCount": 3, "StartRow": 1});
        assert_eq!(
            query(&md, q).unwrap(),
            vec![vec![json!("A02")], vec![json!("A03")]]
        );
    }

    #[test]
    fn every_form_has_its_id_key_and_unknown_keys_fail() {
        let md = data();
        for (form, id) in [
            ("BD_Supplier", "FSupplierId"),
            ("BD_Customer", "FCUSTID"),
            ("BD_STOCK", "FStockId"),
            ("BD_Department", "FDEPTID"),
            ("BD_UNIT", "FUNITID"),
        ] {
            let rows = query(&md, json!({"FormId": form, "FieldKeys": format!("{id},FNumber,FName,FCreateOrgId.FNumber,FCreateDate"), "TopRowCount": 1})).unwrap();
            assert_eq!(rows[0][0], json!(100_001), "{form}");
            assert_eq!(rows[0][3], json!("100"), "{form}");
        }
        let rows = query(&md, json!({"FormId": "BD_Supplier", "FieldKeys": "FShortName", "FilterString": "FNumber = '0003'"})).unwrap();
        assert_eq!(rows, vec![vec![json!("佳佳百货")]]);
        let e = query(
            &md,
            json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber,FNoSuch"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.msg_code, e.message.as_str()),
            (9, "元数据中标识为FNoSuch的字段不存在")
        );
        let e = query(
            &md,
            json!({"FormId": "BD_STOCK", "FieldKeys": "FSpecification"}),
        )
        .unwrap_err();
        assert_eq!(e.msg_code, 9);
        let e = query(
            &md,
            json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "FilterString": "FNope = 1"}),
        )
        .unwrap_err();
        assert_eq!(e.msg_code, 9);
        let q = json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FNumber"});
        assert!(QueryRequest::parse(q.as_object().unwrap())
            .unwrap()
            .run_master(&md)
            .is_none());
    }
}
