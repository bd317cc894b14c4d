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
//! scan at its end; the next page of the same filter resumes the scan
//! where it stopped ([`Resumes`]) while the form's records are unchanged,
//! so paging through a million records costs one pass, not one per page.

use std::cell::RefCell;
use std::sync::Mutex;

use serde_json::Value;

use super::error::unknown_field;
use super::filter::{eval, fields_of, parse_filter};
use super::{compare_keys, QueryError, QueryRequest};
use crate::clock::fmt_cst;
use crate::masterdata::schema::{schema_of, Schema};
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

/// Where a scan in id order stopped: after `passed` records passing
/// `filter`, at position `pos`, of `form`'s records at `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Resume {
    form: String,
    filter: String,
    version: u64,
    passed: usize,
    pos: usize,
}

/// The last scans in id order (a few, for callers paging at once).
#[derive(Debug, Default)]
pub(crate) struct Resumes(Mutex<Vec<Resume>>);

/// How many scans are remembered.
const RESUMES: usize = 16;

impl Resumes {
    /// (passed, position) to start a scan at for a page from `start`.
    fn find(&self, form: &str, filter: &str, version: u64, start: usize) -> (usize, usize) {
        let list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        list.iter()
            .filter(|r| r.form == form && r.filter == filter && r.version == version)
            .filter(|r| r.passed <= start)
            .max_by_key(|r| r.passed)
            .map_or((0, 0), |r| (r.passed, r.pos))
    }

    fn keep(&self, resume: Resume) {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|r| !(r.form == resume.form && r.filter == resume.filter));
        if list.len() >= RESUMES {
            list.remove(0);
        }
        list.push(resume);
    }
}

impl QueryRequest {
    /// Runs the query over the base data of its form; `None` when the form
    /// is no base-data form the sandbox knows or holds.
    pub(crate) fn run_master(
        &self,
        md: &MasterData,
        resumes: &Resumes,
    ) -> Option<Result<Vec<Vec<Value>>, QueryError>> {
        let table = md.table(&self.form_id);
        let schema: &Schema = match table {
            Some(t) => t.schema,
            None => schema_of(&self.form_id)?,
        };
        Some(self.master_rows(md, schema, table, resumes))
    }

    fn master_rows(
        &self,
        md: &MasterData,
        schema: &Schema,
        table: Option<&Table>,
        resumes: &Resumes,
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
            let form = self.form_id.to_ascii_uppercase();
            let version = table.map_or(0, Table::version);
            let (mut passed, from) = resumes.find(&form, &self.filter, version, self.start);
            let mut answer = Vec::new();
            let mut pos = from;
            while pos < len && passed < end {
                if passes(pos) {
                    if passed >= self.start {
                        answer.push(values(pos));
                    }
                    passed += 1;
                }
                pos += 1;
            }
            resumes.keep(Resume {
                form,
                filter: self.filter.clone(),
                version,
                passed,
                pos,
            });
            return Ok(answer);
        }
        let mut keyed: Vec<(Vec<Value>, usize)> = (0..len)
            .filter(|p| passes(*p))
            .map(|p| (order.iter().map(|(c, _)| reader.value(p, *c)).collect(), p))
            .collect();
        // Stable: equal keys keep id order.
        keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, &order));
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
            .run_master(md, &Resumes::default())
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
            .run_master(&md, &Resumes::default())
            .is_none());
    }

    #[test]
    fn resumed_pages_are_the_pages_of_a_fresh_scan() {
        let mut md = data();
        let resumes = Resumes::default();
        let page = |md: &MasterData, resumes: &Resumes, start: usize, limit: usize| {
            let q = json!({"FormId": "BD_MATERIAL", "FieldKeys": "FMATERIALID",
                "FilterString": "FNumber LIKE 'M%' OR FNumber LIKE 'G1%'", "OrderString": "FMATERIALID",
                "StartRow": start, "Limit": limit});
            QueryRequest::parse(q.as_object().unwrap())
                .unwrap()
                .run_master(md, resumes)
                .unwrap()
                .unwrap()
        };
        let fresh = |md: &MasterData, start, limit| page(md, &Resumes::default(), start, limit);
        for (start, limit) in [(0, 5), (5, 5), (10, 7), (3, 4), (17, 100), (17, 2), (60, 5)] {
            assert_eq!(
                page(&md, &resumes, start, limit),
                fresh(&md, start, limit),
                "{start} {limit}"
            );
        }
        // A change of the records: the next page scans afresh.
        let t = md.table_mut("BD_MATERIAL");
        let mut r = t.record(t.find("G1001-01").unwrap());
        r.number = "X1".into();
        t.replace(3, &r);
        assert_eq!(page(&md, &resumes, 5, 5), fresh(&md, 5, 5));
        assert_eq!(page(&md, &resumes, 10, 5), fresh(&md, 10, 5));
    }
}
