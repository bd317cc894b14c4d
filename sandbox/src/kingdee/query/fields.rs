//! What a field key of a query names ([`FieldRef`]) and its value in one
//! row of the answer: a bill, or one entry row of it ([`Row`]), typed by the
//! form's definition (decimals as numbers, lookups as internal ids — the
//! base data's ids, as `ExecuteBillQuery` on the base-data form answers
//! them —, dates in Kingdee's format).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::error::{unknown_field, QueryError};
use crate::clock::kingdee_datetime;
use crate::kingdee::forms::{get_ci, lookup_number, value_text, FieldDef, FieldType, FormSpec};
use crate::kingdee::store::Bill;
use crate::masterdata::table::Table;
use crate::masterdata::MasterData;
use crate::rng::mix;

/// What a field key refers to.
#[derive(Clone, Debug)]
pub(super) enum FieldRef {
    Fid,
    BillNo,
    Status,
    CreateDate,
    ModifyDate,
    /// Path from the bill; the last definition met (for typing).
    Header(Vec<String>, Option<FieldDef>),
    EntryId(String),
    EntrySeq(String),
    Entry(String, Vec<String>, Option<FieldDef>),
}

impl FieldRef {
    pub(super) fn entry(&self) -> Option<&str> {
        match self {
            FieldRef::EntryId(e) | FieldRef::EntrySeq(e) | FieldRef::Entry(e, _, _) => Some(e),
            _ => None,
        }
    }
}

/// The definition at the end of `path` below `def`.
fn walk<'a>(def: &'a FieldDef, path: &[String]) -> Option<&'a FieldDef> {
    let mut d = def;
    for p in path {
        d = d.child(p)?;
    }
    Some(d)
}

/// What `key` names in `spec`.
pub(super) fn resolve(spec: &FormSpec, key: &str) -> Result<FieldRef, QueryError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(unknown_field(key));
    }
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "fid" => return Ok(FieldRef::Fid),
        "fdocumentstatus" => return Ok(FieldRef::Status),
        "fcreatedate" => return Ok(FieldRef::CreateDate),
        "fmodifydate" => return Ok(FieldRef::ModifyDate),
        _ => {}
    }
    if lower == spec.number_field.to_ascii_lowercase() {
        return Ok(FieldRef::BillNo);
    }
    for entry in spec.entries() {
        let e = entry.name.to_ascii_lowercase();
        if lower == format!("{e}_fentryid") {
            return Ok(FieldRef::EntryId(entry.name.clone()));
        }
        if lower == format!("{e}_fseq") {
            return Ok(FieldRef::EntrySeq(entry.name.clone()));
        }
    }
    if lower == "fentryid" {
        if let Some(entry) = spec.entries().next() {
            return Ok(FieldRef::EntryId(entry.name.clone()));
        }
    }
    let parts: Vec<String> = key.split('.').map(str::to_owned).collect();
    let head = &parts[0];
    if let Some(def) = spec.field(head) {
        let typed = walk(def, &parts[1..]).cloned();
        return Ok(FieldRef::Header(parts.clone(), typed));
    }
    if let Some(entry) = spec.entry_of(head) {
        let def = entry
            .child(head)
            .and_then(|d| walk(d, &parts[1..]))
            .cloned();
        return Ok(FieldRef::Entry(entry.name.clone(), parts.clone(), def));
    }
    Err(unknown_field(head))
}

/// The internal id of base-data record `number` of `form`: its id in the
/// base data, else (a number the base data lacks) a stable fake one.
fn base_data_id(master: &MasterData, form: &str, number: &str) -> i64 {
    master
        .table(form)
        .and_then(|t| t.find(number))
        .map_or_else(|| internal_id(number), Table::id)
}

/// A stable fake internal id of a base-data record.
fn internal_id(number: &str) -> i64 {
    let mut h = 0u64;
    for b in number.bytes() {
        h = mix(h ^ u64::from(b));
    }
    100_000 + (h % 900_000) as i64
}

fn number_value(text: &str) -> Value {
    match text.trim().parse::<Decimal>() {
        Ok(d) => serde_json::from_str::<Value>(&d.normalize().to_string()).unwrap_or(Value::Null),
        Err(_) => Value::String(text.to_owned()),
    }
}

fn navigate<'a>(obj: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = get_ci(obj, first)?;
    if rest.is_empty() {
        return Some(v);
    }
    navigate(v.as_object()?, rest)
}

fn typed(v: Option<&Value>, def: Option<&FieldDef>, master: &MasterData) -> Value {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Value::Null;
    };
    match def.map(|d| (d.ty, d.base_data.as_deref())) {
        Some((FieldType::Decimal | FieldType::Integer, _)) => {
            value_text(v).map_or(Value::Null, |t| number_value(&t))
        }
        Some((FieldType::Object, Some(form))) => match lookup_number(v) {
            Some(n) => Value::from(base_data_id(master, form, &n)),
            None => Value::from(0),
        },
        Some((FieldType::Date | FieldType::DateTime, _)) => match value_text(v) {
            Some(t) => Value::String(kingdee_datetime(&t).unwrap_or(t)),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

/// One bill, or one entry row of it.
pub(super) struct Row<'a> {
    pub bill: Bill<'a>,
    /// The bill's stored model, parsed (empty when no field of the query
    /// needs it).
    pub data: &'a Map<String, Value>,
    pub entry: Option<(usize, &'a Map<String, Value>)>,
    /// The base data (internal ids of lookups).
    pub master: &'a MasterData,
}

impl Row<'_> {
    pub(super) fn get(&self, f: &FieldRef) -> Value {
        match f {
            FieldRef::Fid => Value::from(self.bill.id),
            FieldRef::BillNo => Value::String(self.bill.number.to_owned()),
            FieldRef::Status => Value::String(self.bill.status().to_owned()),
            FieldRef::CreateDate => Value::String(self.bill.created.to_owned()),
            FieldRef::ModifyDate => Value::String(self.bill.modified.to_owned()),
            FieldRef::Header(path, def) => {
                typed(navigate(self.data, path), def.as_ref(), self.master)
            }
            FieldRef::EntryId(_) => match self.entry {
                Some((_, r)) => typed(get_ci(r, "FEntryID"), None, self.master),
                None => Value::Null,
            },
            FieldRef::EntrySeq(_) => match self.entry {
                Some((i, _)) => Value::from(i as u64 + 1),
                None => Value::Null,
            },
            FieldRef::Entry(_, path, def) => match self.entry {
                Some((_, r)) => typed(navigate(r, path), def.as_ref(), self.master),
                None => Value::Null,
            },
        }
    }
}
