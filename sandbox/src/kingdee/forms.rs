//! The Kingdee forms the sandbox stores, read from the project's field specs
//! (`specs/kingdee/<form>.toml`, embedded at build time): which fields exist,
//! which are required, which are lookups into which base data, which are
//! entries (单据体).
//!
//! Checking a bill ([`FormSpec::check`]) mirrors what Kingdee reports on
//! save, with `FieldName` the field's key and these messages:
//!
//! | case | message |
//! |---|---|
//! | required header field missing or empty | `字段“{label}”是必填项。` |
//! | required entry missing or empty | `单据体“{label}”至少需要一行分录。` |
//! | required field of entry row n missing | `{entry label}第{n}行：字段“{label}”是必填项。` |
//! | lookup not an object | `字段“{label}”是基础资料，值应为 {"FNumber":"编码"} 形式。` |
//! | lookup number unknown | `字段“{label}”的值“{number}”在系统中不存在或未审核（{base data}）。` |
//! | decimal not a number | `字段“{label}”的值“{value}”不是有效的数值。` |
//! | date not a date | `字段“{label}”的值“{value}”不是有效的日期。` |
//!
//! Unknown lookup numbers are errors when `IsVerifyBaseDataField` is true or
//! the field is required; otherwise (Kingdee then silently leaves the field
//! empty) the sandbox keeps the value as sent. With `ValidateFlag` false the
//! required checks are skipped. Keys are compared case-insensitively.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::clock::kingdee_datetime;
use crate::masterdata::MasterData;

const PUR_PURCHASE_ORDER: &str = include_str!("../../../specs/kingdee/PUR_PurchaseOrder.toml");
const STK_MISCELLANEOUS: &str = include_str!("../../../specs/kingdee/STK_MISCELLANEOUS.toml");
/// The forms the scheme library writes.
const LIBRARY_FORMS: [&str; 4] = [
    include_str!("../../../specs/kingdee/SAL_OUTSTOCK.toml"),
    include_str!("../../../specs/kingdee/STK_InStock.toml"),
    include_str!("../../../specs/kingdee/SAL_RETURNSTOCK.toml"),
    include_str!("../../../specs/kingdee/PUR_MRB.toml"),
];

#[derive(Debug, Deserialize)]
struct SpecFile {
    form: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    number_field: Option<String>,
    fields: Vec<SpecRow>,
}

#[derive(Debug, Deserialize)]
struct SpecRow {
    name: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    base_data: Option<String>,
}

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldType {
    Text,
    Decimal,
    Integer,
    Bool,
    DateTime,
    Date,
    Object,
    Array,
}

impl FieldType {
    fn parse(s: &str) -> Self {
        match s {
            "decimal" => FieldType::Decimal,
            "integer" => FieldType::Integer,
            "bool" => FieldType::Bool,
            "datetime" => FieldType::DateTime,
            "date" => FieldType::Date,
            "object" => FieldType::Object,
            "array" => FieldType::Array,
            _ => FieldType::Text,
        }
    }
}

/// One field and its children.
#[derive(Clone, Debug)]
pub(crate) struct FieldDef {
    /// Key within its parent (`FMaterialId`).
    pub name: String,
    pub label: String,
    pub ty: FieldType,
    pub required: bool,
    pub base_data: Option<String>,
    pub children: Vec<FieldDef>,
}

impl FieldDef {
    pub(crate) fn child(&self, name: &str) -> Option<&FieldDef> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A form: its fields as a tree.
#[derive(Clone, Debug)]
pub(crate) struct FormSpec {
    pub form_id: String,
    /// The form's Chinese name (`销售出库单`).
    pub label: String,
    pub number_field: String,
    pub fields: Vec<FieldDef>,
}

/// One problem of one bill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field_name: String,
    pub message: String,
}

/// A key of `map`, compared case-insensitively.
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The value of the first key of `map` (in the map's key order) equal to
/// `key` case-insensitively: the field a write of `key` goes to. Unlike
/// [`get_ci`], an exact match is not preferred.
pub(crate) fn first_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter().find(|(k, _)| ci_eq(k, key)).map(|(_, v)| v)
}

/// `eq_ignore_ascii_case`, quicker to say no: keys of a bill mostly differ
/// in length or in their last letter.
fn ci_eq(a: &str, b: &str) -> bool {
    let last = |s: &str| s.as_bytes().last().map(u8::to_ascii_lowercase);
    a.len() == b.len() && last(a) == last(b) && a.eq_ignore_ascii_case(b)
}

/// [`first_ci`], mutable.
pub(crate) fn first_ci_mut<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Value> {
    map.iter_mut().find(|(k, _)| ci_eq(k, key)).map(|(_, v)| v)
}

/// Writes `value` to the field [`first_ci`] finds, or adds it as `key`.
pub(crate) fn set_ci<K: AsRef<str> + Into<String>>(
    map: &mut Map<String, Value>,
    key: K,
    value: Value,
) {
    match first_ci_mut(map, key.as_ref()) {
        Some(slot) => *slot = value,
        None => {
            map.insert(key.into(), value);
        }
    }
}

/// Removes and returns the value [`get_ci`] finds.
pub(crate) fn take_ci(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(v) = map.remove(key) {
        return Some(v);
    }
    let k = map.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
    map.remove(&k)
}

/// A value as text: strings as they are, numbers by their text.
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`value_text`], borrowed when the value is a string.
pub(crate) fn value_str(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        other => value_text(other).map(Cow::Owned),
    }
}

/// A Kingdee option flag: `true`, `"true"` (any case), `1`, `"1"`.
pub(crate) fn flag(v: Option<&Value>, default: bool) -> bool {
    match v {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => default,
        },
        Some(Value::Number(n)) => n.to_string() != "0",
        Some(_) => default,
    }
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

/// The code a lookup object carries (`FNumber`, any case).
pub(crate) fn lookup_number(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    let n = value_str(get_ci(obj, "FNumber")?)?;
    let n = n.trim();
    (!n.is_empty()).then(|| n.to_owned())
}

fn build_tree(rows: Vec<SpecRow>) -> Vec<FieldDef> {
    fn insert(level: &mut Vec<FieldDef>, path: &[&str], row: &SpecRow) {
        match path {
            [] => {}
            [last] => level.push(FieldDef {
                name: (*last).to_owned(),
                label: row.label.clone().unwrap_or_else(|| (*last).to_owned()),
                ty: FieldType::parse(&row.ty),
                required: row.required,
                base_data: row.base_data.clone(),
                children: Vec::new(),
            }),
            [first, rest @ ..] => {
                if let Some(parent) = level.iter_mut().find(|f| f.name == *first) {
                    insert(&mut parent.children, rest, row);
                }
            }
        }
    }
    let mut top = Vec::new();
    for row in &rows {
        let path: Vec<&str> = row.name.split('.').collect();
        insert(&mut top, &path, row);
    }
    top
}

impl FormSpec {
    fn parse(text: &str) -> Result<Self, String> {
        let file: SpecFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(FormSpec {
            number_field: file.number_field.unwrap_or_else(|| "FBillNo".to_owned()),
            label: file.label.unwrap_or_else(|| file.form.clone()),
            form_id: file.form,
            fields: build_tree(file.fields),
        })
    }

    /// The forms the sandbox stores: `PUR_PurchaseOrder`, `STK_MISCELLANEOUS`,
    /// and the library's `SAL_OUTSTOCK`, `STK_InStock`, `SAL_RETURNSTOCK`, `PUR_MRB`.
    pub(crate) fn builtin() -> Vec<FormSpec> {
        [PUR_PURCHASE_ORDER, STK_MISCELLANEOUS]
            .into_iter()
            .chain(LIBRARY_FORMS)
            .filter_map(|text| match FormSpec::parse(text) {
                Ok(spec) => Some(spec),
                Err(e) => {
                    tracing::error!("embedded Kingdee form spec does not parse: {e}");
                    None
                }
            })
            .collect()
    }

    pub(crate) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The entries (top-level arrays).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.ty == FieldType::Array)
    }

    /// The entry that has a field `name`.
    pub(crate) fn entry_of(&self, name: &str) -> Option<&FieldDef> {
        self.entries().find(|e| e.child(name).is_some())
    }

    /// Checks `bill` and normalises its date fields to Kingdee's
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub(crate) fn check(
        &self,
        bill: &mut Map<String, Value>,
        rules: &Rules<'_>,
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_level(&self.fields, bill, rules, None, &mut errors);
        errors
    }
}

/// How strictly bills are checked.
pub(crate) struct Rules<'a> {
    pub master: &'a MasterData,
    /// `IsVerifyBaseDataField`.
    pub verify_base_data: bool,
    /// `ValidateFlag`.
    pub validate: bool,
}

/// Where a field sits: `None` for the header, else (entry label, 1-based row).
type RowCtx<'a> = Option<(&'a str, usize)>;

fn prefix(row: RowCtx<'_>) -> String {
    match row {
        None => String::new(),
        Some((entry, n)) => format!("{entry}第{n}行："),
    }
}

fn check_level(
    defs: &[FieldDef],
    obj: &mut Map<String, Value>,
    rules: &Rules<'_>,
    row: RowCtx<'_>,
    errors: &mut Vec<FieldError>,
) {
    for def in defs {
        let value = first_ci(obj, &def.name);
        let err = |message: String| FieldError {
            field_name: def.name.clone(),
            message,
        };
        let required_error = || err(format!("{}字段“{}”是必填项。", prefix(row), def.label));
        match def.ty {
            FieldType::Object => {
                let Some(value) = value.filter(|v| !v.is_null()) else {
                    if def.required && rules.validate {
                        errors.push(required_error());
                    }
                    continue;
                };
                if let Some(base) = &def.base_data {
                    if !value.is_object() {
                        errors.push(err(format!(
                            "{}字段“{}”是基础资料，值应为 {{\"FNumber\":\"编码\"}} 形式。",
                            prefix(row),
                            def.label
                        )));
                        continue;
                    }
                    match lookup_number(value) {
                        None => {
                            if def.required && rules.validate {
                                errors.push(required_error());
                            }
                        }
                        Some(number) => {
                            if !rules.master.contains(base, &number)
                                && (rules.verify_base_data || def.required)
                            {
                                errors.push(err(format!(
                                    "{}字段“{}”的值“{}”在系统中不存在或未审核（{}）。",
                                    prefix(row),
                                    def.label,
                                    number,
                                    base
                                )));
                            }
                        }
                    }
                } else if let Some(Value::Object(inner)) = first_ci_mut(obj, &def.name) {
                    check_level(&def.children, inner, rules, row, errors);
                }
            }
            FieldType::Array => {
                let label = def.label.as_str();
                let rows_blank = is_blank(value);
                if rows_blank {
                    if def.required && rules.validate && row.is_none() {
                        errors.push(err(format!("单据体“{label}”至少需要一行分录。")));
                    }
                    continue;
                }
                if let Some(Value::Array(items)) = first_ci_mut(obj, &def.name) {
                    for (n, item) in items.iter_mut().enumerate() {
                        if let Value::Object(inner) = item {
                            // Nested arrays (link tables) are checked with their entry's row.
                            let ctx = row.or(Some((label, n + 1)));
                            check_level(&def.children, inner, rules, ctx, errors);
                        }
                    }
                }
            }
            FieldType::Date | FieldType::DateTime => {
                if is_blank(value) {
                    if def.required && rules.validate {
                        errors.push(required_error());
                    }
                    continue;
                }
                let text = value.and_then(value_str).unwrap_or_default();
                match kingdee_datetime(&text) {
                    Some(normal) => {
                        if let Some(slot) = first_ci_mut(obj, &def.name) {
                            *slot = Value::String(normal);
                        }
                    }
                    None => errors.push(err(format!(
                        "{}字段“{}”的值“{}”不是有效的日期。",
                        prefix(row),
                        def.label,
                        text
                    ))),
                }
            }
            FieldType::Decimal | FieldType::Integer => {
                if is_blank(value) {
                    if def.required && rules.validate {
                        errors.push(required_error());
                    }
                    continue;
                }
                // A JSON number always reads as a float (if not as a decimal).
                if matches!(value, Some(Value::Number(_))) {
                    continue;
                }
                let text = value.and_then(value_str).unwrap_or_default();
                if text.trim().parse::<rust_decimal::Decimal>().is_err()
                    && text.trim().parse::<f64>().is_err()
                {
                    errors.push(err(format!(
                        "{}字段“{}”的值“{}”不是有效的数值。",
                        prefix(row),
                        def.label,
                        text
                    )));
                }
            }
            FieldType::Text | FieldType::Bool => {
                if is_blank(value) && def.required && rules.validate {
                    errors.push(required_error());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn purchase_spec() -> FormSpec {
        FormSpec::builtin()
            .into_iter()
            .find(|f| f.form_id == "PUR_PurchaseOrder")
            .unwrap()
    }

    fn check(bill: Value, verify: bool) -> (Vec<FieldError>, Value) {
        let master = MasterData::builtin();
        let rules = Rules {
            master: &master,
            verify_base_data: verify,
            validate: true,
        };
        let mut map = bill.as_object().unwrap().clone();
        let errors = purchase_spec().check(&mut map, &rules);
        (errors, Value::Object(map))
    }

    fn good_bill() -> Value {
        json!({
            "FBillNo": "CG001",
            "FDate": "2024-01-02",
            "FBillTypeID": {"FNUMBER": "CGDD01_SYS"},
            "FSupplierId": {"FNumber": "0003"},
            "FPurchaseOrgId": {"FNumber": "100"},
            "FPOOrderEntry": [{"FMaterialId": {"FNumber": "A01"}, "FQty": "10.0000", "FPrice": 5}]
        })
    }

    #[test]
    fn specs_load_as_trees() {
        let specs = FormSpec::builtin();
        assert_eq!(specs.len(), 6);
        let pur = purchase_spec();
        let entry = pur.field("FPOOrderEntry").unwrap();
        assert_eq!(entry.ty, FieldType::Array);
        let material = entry.child("fmaterialid").unwrap();
        assert_eq!(material.base_data.as_deref(), Some("BD_MATERIAL"));
        assert!(material.required);
        assert_eq!(pur.entry_of("FQty").unwrap().name, "FPOOrderEntry");
    }

    #[test]
    fn a_good_bill_passes_and_dates_are_normalised() {
        let (errors, bill) = check(good_bill(), true);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(bill["FDate"], "2024-01-02T00:00:00");
    }

    #[test]
    fn keys_are_case_insensitive() {
        let bill = json!({
            "fdate": "2024-01-02",
            "FBILLTYPEID": {"fnumber": "CGDD01_SYS"},
            "fsupplierid": {"FNUMBER": "0003"},
            "FPurchaseOrgID": {"FNumber": "100"},
            "fpoorderentry": [{"FMATERIALID": {"FNumber": "A01"}, "fqty": 1}]
        });
        let (errors, _) = check(bill, true);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn missing_and_unknown_fields_are_reported() {
        let mut bill = good_bill();
        bill.as_object_mut().unwrap().remove("FSupplierId");
        bill["FPOOrderEntry"][0]["FMaterialId"] = json!({"FNumber": "NOPE"});
        bill["FPOOrderEntry"][0]["FQty"] = json!("ten");
        let (errors, _) = check(bill, false);
        let names: Vec<&str> = errors.iter().map(|e| e.field_name.as_str()).collect();
        assert_eq!(
            names,
            vec!["FSupplierId", "FMaterialId", "FQty"],
            "{errors:?}"
        );
        assert_eq!(errors[0].message, "字段“供应商”是必填项。");
        assert!(
            errors[1].message.starts_with("明细信息第1行："),
            "{}",
            errors[1].message
        );
    }

    #[test]
    fn optional_unknown_lookups_pass_unless_verified() {
        let mut bill = good_bill();
        bill["FPurchaseDeptId"] = json!({"FNumber": "NOPE"});
        assert!(check(bill.clone(), false).0.is_empty());
        assert_eq!(check(bill, true).0.len(), 1);
    }

    #[test]
    fn any_json_number_is_a_valid_quantity() {
        // Decimal cannot hold these; they read as floats, as any JSON number does.
        for text in ["1e400", "-0", "123456789012345678901234567890123.5", "2E-5"] {
            let mut bill = good_bill();
            bill["FPOOrderEntry"][0]["FQty"] = serde_json::from_str(text).unwrap();
            assert!(check(bill, true).0.is_empty(), "{text}");
        }
        let mut bill = good_bill();
        bill["FPOOrderEntry"][0]["FQty"] = json!("1e400");
        assert!(check(bill, true).0.is_empty());
    }

    #[test]
    fn empty_entry_is_an_error() {
        let mut bill = good_bill();
        bill["FPOOrderEntry"] = json!([]);
        let (errors, _) = check(bill, false);
        assert_eq!(errors[0].field_name, "FPOOrderEntry");
    }
}
