//! The base data (基础资料) of the Kingdee sandbox: records per form
//! (`BD_MATERIAL`, `BD_Supplier`, …, form ids compared case-insensitively),
//! which lookups of saved bills must name (`{"FNumber":"0003"}`) and which
//! `ExecuteBillQuery` answers like bills.
//!
//! A record has an internal id (`100001`, `100002`, … per form, in seed
//! order), a number (`FNumber`, unique per form), a name (`FName`), its
//! statuses (`FDocumentStatus`: `A` created, `B` submitted, `C` audited;
//! `FForbidStatus`: `A` usable, `B` forbidden), its organisations
//! (`FUseOrgId`, `FCreateOrgId`: `100`), its create and modify times and the
//! text fields of its form ([`schema`]: `FSpecification`, `FBARCODE`,
//! `FBaseUnitId`, … of materials, `FShortName` of suppliers and customers).
//! Only audited, usable records satisfy a lookup, as in Kingdee. Seeded
//! records carry the time the sandbox started (audited, usable).
//!
//! The built-in records cover the codes of the seed mappings and every code
//! the generated 旺店通 documents use, named from the catalog; a file can
//! replace the records of any form, by numbers alone or as tables:
//!
//! ```toml
//! # master-data.toml: form id = [numbers or records]
//! BD_Supplier = ["0003", "VEN0001"]
//! BD_MATERIAL = ["A01", { FNumber = "SKU9", FName = "蓝牙音箱", FSpecification = "黑色", FBaseUnitId = "Pcs" }]
//! ```
//!
//! or the same as JSON (`{"BD_Supplier": ["0003", {"FNumber": "V2", "FName": "…"}]}`).
//! A record given by number alone gets the catalog's name if the catalog
//! knows it, else the form's name and the number (`供应商VEN0001`). Forms
//! the file does not name keep their built-in records.
//!
//! Records are compact ([`table`]): a generated material
//! ([`MasterData::add_generated_materials`], `M0000001`, …) stores no text
//! at all, so a million of them take some 40 MB.

pub(crate) mod schema;
pub(crate) mod table;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::wdt::catalog::{unit_names, GOODS, PROVIDERS, WAREHOUSES};
use schema::{schema_of, seed, Schema, ORG, OTHER};
use table::{NewRecord, Table, CREATE_ORG, FIRST_TEXT, NAME, SEED_TIME, USE_ORG};

/// Base-data records per form id.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MasterData {
    tables: BTreeMap<String, Table>,
    /// The time of the seeded records (unix seconds).
    seeded_at: i64,
}

/// A master-data file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("master data {path}: {message}")]
pub struct MasterDataError {
    pub path: String,
    pub message: String,
}

fn key(form: &str) -> String {
    form.trim().to_ascii_uppercase()
}

/// A field's value as text: strings and numbers as they are, a lookup
/// object by its `FNumber`, a multilingual list (`[{"Key":2052,"Value":…}]`)
/// by its first value.
pub(crate) fn field_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("FNumber"))
            .and_then(|(_, v)| field_text(v)),
        Value::Array(a) => a.iter().find_map(|item| match item {
            Value::Object(o) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("Value"))
                .and_then(|(_, v)| field_text(v)),
            other => field_text(other),
        }),
    }
}

fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Sets the fields `model` gives (`FName`, `FUseOrgId`, `FCreateOrgId`, the
/// schema's text fields, `FDocumentStatus`, `FForbidStatus`) on `rec`.
pub(crate) fn apply_model(schema: &Schema, rec: &mut NewRecord, model: &Map<String, Value>) {
    let mut set = |i: usize, key: &str| {
        if let Some(t) = get(model, key).and_then(field_text) {
            if let Some(slot) = rec.texts.get_mut(i) {
                *slot = t.trim().to_owned();
            }
        }
    };
    set(NAME, "FName");
    set(USE_ORG, "FUseOrgId");
    set(CREATE_ORG, "FCreateOrgId");
    for (i, f) in schema.texts.iter().enumerate() {
        set(FIRST_TEXT + i, f.key);
    }
    let status = |key: &str, allowed: &[u8]| {
        get(model, key)
            .and_then(field_text)
            .and_then(|t| t.trim().bytes().next())
            .map(|b| b.to_ascii_uppercase())
            .filter(|b| allowed.contains(b))
    };
    if let Some(s) = status("FDocumentStatus", b"ABCDZ") {
        rec.status = s;
    }
    if let Some(s) = status("FForbidStatus", b"AB") {
        rec.forbid = s;
    }
}

impl MasterData {
    /// No base data at all.
    pub fn empty() -> Self {
        MasterData::default()
    }

    /// The built-in base data.
    ///
    /// | form | numbers |
    /// |---|---|
    /// | `ORG_Organizations` | `100`, `101`, `102` |
    /// | `BD_Supplier` | `0001`–`0012` (the generated `provider_no`s, `0003` included) |
    /// | `BD_MATERIAL` | `A01`, `A02`, `A03`, every generated `spec_no` and `goods_no` |
    /// | `BD_STOCK` | `CK001`–`CK006` (the generated `warehouse_no`s) |
    /// | `BD_UNIT` | `Pcs`, `jian`, `kg`, and the goods' unit names (`件`, `条`, `个`, …) |
    /// | `BD_Department` | `BM000001`–`BM000003` |
    /// | `BD_Buyer` | `CGY001`–`CGY003` |
    /// | `BD_Currency` | `PRE001` (人民币)–`PRE007` |
    /// | `BD_StockStatus` | `KCZT01_SYS`–`KCZT05_SYS` |
    /// | `BOS_BillType` | `CGDD01_SYS`–`CGDD03_SYS`, `QTRKD01_SYS`, `QTRKD02_SYS`, `XSCKD01_SYS`, `RKD01_SYS`, `XSTHD01_SYS`, `TLD01_SYS` |
    /// | `BD_Customer` | `KH0001`–`KH0006` (the customers of the generated shops) |
    ///
    /// Ids follow this order: `BD_MATERIAL` `A01` is `100001`, `A02`
    /// `100002`, `A03` `100003`, then each goods' `spec_no` and `goods_no`
    /// (a `goods_no` once, at its first spec).
    pub fn builtin() -> Self {
        let mut m = MasterData::empty();
        for n in ["100", "101", "102"] {
            m.insert("ORG_Organizations", n);
        }
        for p in PROVIDERS {
            m.insert("BD_Supplier", p.no);
        }
        for n in ["A01", "A02", "A03"] {
            m.insert("BD_MATERIAL", n);
        }
        for g in GOODS {
            m.insert("BD_MATERIAL", g.spec_no);
            m.insert("BD_MATERIAL", g.goods_no);
        }
        for w in WAREHOUSES {
            m.insert("BD_STOCK", w.no);
        }
        for n in ["Pcs", "jian", "kg"] {
            m.insert("BD_UNIT", n);
        }
        for u in unit_names() {
            m.insert("BD_UNIT", u);
        }
        for n in ["BM000001", "BM000002", "BM000003"] {
            m.insert("BD_Department", n);
        }
        for n in ["CGY001", "CGY002", "CGY003"] {
            m.insert("BD_Buyer", n);
        }
        for n in 1..=7 {
            m.insert("BD_Currency", &format!("PRE{n:03}"));
        }
        for n in 1..=5 {
            m.insert("BD_StockStatus", &format!("KCZT{n:02}_SYS"));
        }
        for n in [
            "CGDD01_SYS",
            "CGDD02_SYS",
            "CGDD03_SYS",
            "QTRKD01_SYS",
            "QTRKD02_SYS",
            "XSCKD01_SYS",
            "RKD01_SYS",
            "XSTHD01_SYS",
            "TLD01_SYS",
        ] {
            m.insert("BOS_BillType", n);
        }
        for shop in crate::wdt::shops::SHOPS {
            m.insert("BD_Customer", shop.customer);
        }
        m
    }

    /// The records of `form`, made empty if it has none.
    pub(crate) fn table_mut(&mut self, form: &str) -> &mut Table {
        self.tables
            .entry(key(form))
            .or_insert_with(|| Table::new(schema_of(form).unwrap_or(&OTHER)))
    }

    /// The records of `form`.
    pub(crate) fn table(&self, form: &str) -> Option<&Table> {
        self.tables.get(&key(form))
    }

    /// A seeded record of `form` numbered `number`: audited, usable, named
    /// as [`MasterData::insert`] names it.
    fn seed_record(form: &str, number: &str) -> NewRecord {
        let schema = schema_of(form).unwrap_or(&OTHER);
        let s = seed(schema, form.trim(), number);
        let mut texts = vec![s.name, ORG.to_owned(), ORG.to_owned()];
        texts.extend(s.texts);
        texts.resize(FIRST_TEXT + schema.texts.len(), String::new());
        NewRecord {
            number: number.to_owned(),
            texts,
            status: b'C',
            forbid: b'A',
            created: SEED_TIME,
            modified: SEED_TIME,
        }
    }

    /// Adds one record of `form` (audited, usable; the catalog's name if it
    /// knows the number, else the form's name and the number). A number
    /// already there is left as it is.
    pub fn insert(&mut self, form: &str, number: &str) {
        let table = self.table_mut(form);
        if table.find(number).is_none() {
            table.push(&MasterData::seed_record(form, number));
        }
    }

    /// Adds `count` generated materials `M0000001`, `M0000002`, … to
    /// `BD_MATERIAL` (ids after the records already there; names, bar
    /// codes, units made from the number, no text stored).
    pub fn add_generated_materials(&mut self, count: u32) {
        if count > 0 {
            self.table_mut("BD_MATERIAL").push_generated(count);
        }
    }

    /// Whether `number` is an audited, usable `form` record.
    pub fn contains(&self, form: &str, number: &str) -> bool {
        // Checked once per lookup field of every saved bill: the usual short
        // form ids are upper-cased on the stack.
        let form = form.trim();
        let mut buf = [0u8; 64];
        let table = match buf.get_mut(..form.len()) {
            Some(upper) => {
                upper.copy_from_slice(form.as_bytes());
                upper.make_ascii_uppercase();
                match std::str::from_utf8(upper) {
                    Ok(k) => self.tables.get(k),
                    Err(_) => self.tables.get(&key(form)),
                }
            }
            None => self.tables.get(&key(form)),
        };
        table.is_some_and(|t| t.usable(number))
    }

    /// The numbers of `form`, in id order.
    pub fn numbers(&self, form: &str) -> Vec<String> {
        self.table(form).map(Table::numbers).unwrap_or_default()
    }

    /// How many records `form` has (whatever their status).
    pub fn count(&self, form: &str) -> usize {
        self.table(form).map_or(0, Table::len)
    }

    /// Replaces the records of the forms `other` names.
    pub fn override_with(&mut self, other: MasterData) {
        for (form, table) in other.tables {
            self.tables.insert(form, table);
        }
    }

    /// Sets the time of the seeded records (unix seconds; 0 until the
    /// sandbox sets it at start).
    pub(crate) fn set_seed_time(&mut self, t: i64) {
        self.seeded_at = t;
    }

    /// A record time: [`table::SEED_TIME`] is the seed's.
    pub(crate) fn time(&self, t: i64) -> i64 {
        if t == SEED_TIME {
            self.seeded_at
        } else {
            t
        }
    }

    /// Parses a master-data file's text (`json` true: JSON, else TOML).
    pub fn parse(text: &str, json: bool, path: &str) -> Result<Self, MasterDataError> {
        let err = |message: String| MasterDataError {
            path: path.to_owned(),
            message,
        };
        let table: Map<String, Value> = if json {
            serde_json::from_str(text).map_err(|e| err(e.to_string()))?
        } else {
            let t: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
            let mut map = Map::new();
            for (k, v) in t {
                if !v.is_array() {
                    return Err(err(format!(
                        "{k}: expected an array of numbers or records, found {v}"
                    )));
                }
                let v = serde_json::to_value(v).map_err(|e| err(format!("{k}: {e}")))?;
                map.insert(k, v);
            }
            map
        };
        let mut m = MasterData::empty();
        for (form, value) in table {
            let items = value
                .as_array()
                .ok_or_else(|| err(format!("{form}: expected an array of numbers or records")))?;
            m.table_mut(&form);
            for item in items {
                let number = match item {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Object(model) => {
                        m.insert_model(&form, model).map_err(err)?;
                        continue;
                    }
                    other => {
                        return Err(err(format!(
                            "{form}: numbers must be strings, found {other}"
                        )))
                    }
                };
                m.insert(&form, &number);
            }
        }
        Ok(m)
    }

    /// Adds (or replaces) a record of a file given as a table.
    fn insert_model(&mut self, form: &str, model: &Map<String, Value>) -> Result<(), String> {
        let number = get(model, "FNumber")
            .and_then(field_text)
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{form}: a record needs FNumber"))?;
        let mut rec = MasterData::seed_record(form, &number);
        let table = self.table_mut(form);
        apply_model(table.schema, &mut rec, model);
        match table.find(&number) {
            Some(pos) => table.replace(pos, &rec),
            None => {
                table.push(&rec);
            }
        }
        Ok(())
    }

    /// The built-in base data with the records of a file (`.json` = JSON,
    /// else TOML) replacing those of the forms it names.
    pub fn builtin_overridden_by(path: &Path) -> Result<Self, MasterDataError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| MasterDataError {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let file = MasterData::parse(&text, json, &shown)?;
        let mut m = MasterData::builtin();
        m.override_with(file);
        Ok(m)
    }
}

impl fmt::Debug for MasterData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (form, table) in &self.tables {
            map.entry(form, &table.len());
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_covers_seed_codes_and_generated_codes() {
        let m = MasterData::builtin();
        assert!(m.contains("ORG_Organizations", "100"));
        assert!(m.contains("bd_supplier", "0003"));
        assert!(m.contains("BD_MATERIAL", "A01"));
        assert!(m.contains("BD_MATERIAL", "G1001-01"));
        assert!(m.contains("BOS_BillType", "CGDD01_SYS"));
        assert!(m.contains("BOS_BillType", "QTRKD01_SYS"));
        assert!(m.contains("BD_StockStatus", "KCZT01_SYS"));
        assert!(m.contains("BD_STOCK", "CK003"));
        assert!(!m.contains("BD_Supplier", "9999"));
    }

    #[test]
    fn files_replace_named_forms() {
        let file = MasterData::parse("BD_Supplier = [\"V1\", 7]\n", false, "x.toml").unwrap();
        let mut m = MasterData::builtin();
        m.override_with(file);
        assert!(m.contains("BD_Supplier", "V1"));
        assert!(m.contains("BD_Supplier", "7"));
        assert!(!m.contains("BD_Supplier", "0003"));
        assert!(m.contains("BD_MATERIAL", "A01"));
        let json = MasterData::parse(r#"{"BD_MATERIAL": ["X"]}"#, true, "x.json").unwrap();
        assert_eq!(json.numbers("bd_material"), vec!["X".to_owned()]);
        assert!(MasterData::parse("BD_Supplier = 3", false, "x.toml").is_err());
    }

    #[test]
    fn form_ids_of_any_length_and_case() {
        let long = "BD_".to_owned() + &"x".repeat(80);
        let text = format!("{long} = [\"N1\"]\n\"BD_Ünï\" = [\"N2\"]\n");
        let m = MasterData::parse(&text, false, "x.toml").unwrap();
        assert!(m.contains(&long.to_ascii_lowercase(), "N1"));
        assert!(m.contains(&format!(" {long} "), "N1"));
        assert!(m.contains("bd_Ünï", "N2"));
        assert!(!m.contains("bd_ünï", "N2"), "only ASCII letters fold");
        assert!(!m.contains("", "N1"));
    }

    #[test]
    fn records_have_ids_in_seed_order_and_catalog_names() {
        let m = MasterData::builtin();
        let t = m.table("BD_MATERIAL").unwrap();
        assert_eq!(t.find("A01"), Some(0));
        assert_eq!(Table::id(t.find("A03").unwrap()), 100_003);
        assert_eq!(Table::id(t.find("G1001-01").unwrap()), 100_004);
        assert_eq!(Table::id(t.find("G1001").unwrap()), 100_005);
        assert_eq!(Table::id(t.find("G1001-02").unwrap()), 100_006);
        assert_eq!(t.text(0, NAME), "纯棉布料");
        let pos = t.find("G3001-01").unwrap();
        assert_eq!(t.text(pos, NAME), "蓝牙降噪耳机 黑色");
        assert_eq!(t.text(pos, FIRST_TEXT + 4), "个");
        assert_eq!(t.status(pos), b'C');
        let s = m.table("bd_supplier").unwrap();
        assert_eq!(
            s.text(s.find("0001").unwrap(), NAME),
            "杭州丝路纺织有限公司"
        );
        let c = m.table("BD_Customer").unwrap();
        assert_eq!(c.text(0, NAME), "优选生活天猫旗舰店客户");
        let w = m.table("BD_STOCK").unwrap();
        assert_eq!(w.text(w.find("CK003").unwrap(), NAME), "广州白云仓");
        let goods: std::collections::BTreeSet<_> = GOODS.iter().map(|g| g.goods_no).collect();
        assert_eq!(m.count("BD_MATERIAL"), 3 + GOODS.len() + goods.len());
        assert_eq!(m.numbers("BD_MATERIAL").len(), m.count("BD_MATERIAL"));
    }

    #[test]
    fn files_may_give_records_as_tables() {
        let text = "BD_MATERIAL = [\"A01\", { FNumber = \"SKU9\", FName = \"蓝牙音箱\", FSpecification = \"黑色\", FBaseUnitId = { FNumber = \"Pcs\" } }, { FNumber = \"OLD\", FName = \"停用品\", FForbidStatus = \"B\" }]\n";
        let m = MasterData::parse(text, false, "x.toml").unwrap();
        assert_eq!(m.numbers("BD_MATERIAL"), vec!["A01", "SKU9", "OLD"]);
        let t = m.table("BD_MATERIAL").unwrap();
        assert_eq!(t.text(1, NAME), "蓝牙音箱");
        assert_eq!(t.text(1, FIRST_TEXT), "黑色");
        assert_eq!(t.text(1, FIRST_TEXT + 4), "Pcs");
        assert!(m.contains("BD_MATERIAL", "SKU9"));
        assert!(
            !m.contains("BD_MATERIAL", "OLD"),
            "forbidden records are no lookups"
        );
        let json = MasterData::parse(
            r#"{"BD_Supplier": [{"FNumber": "V9", "FName": "温州供应商"}]}"#,
            true,
            "x.json",
        )
        .unwrap();
        assert!(json.contains("BD_Supplier", "V9"));
        assert!(
            MasterData::parse(r#"{"BD_Supplier": [{"FName": "无编码"}]}"#, true, "x.json").is_err()
        );
    }

    #[test]
    fn generated_materials_follow_the_seeded_ones() {
        let mut m = MasterData::builtin();
        let seeded = m.count("BD_MATERIAL");
        m.add_generated_materials(50);
        assert_eq!(m.count("BD_MATERIAL"), seeded + 50);
        assert!(m.contains("BD_MATERIAL", "M0000050"));
        assert!(!m.contains("BD_MATERIAL", "M0000051"));
        let t = m.table("BD_MATERIAL").unwrap();
        assert_eq!(
            Table::id(t.find("M0000001").unwrap()),
            100_001 + seeded as i64
        );
        assert_eq!(m.time(table::SEED_TIME), 0);
        m.set_seed_time(7);
        assert_eq!(m.time(table::SEED_TIME), 7);
    }
}
