//! The base data (基础资料) a Kingdee lookup field must name.
//!
//! Lookups are checked by number (`{"FNumber":"0003"}`) against one set per
//! base-data form id (`BD_Supplier`, `BD_MATERIAL`, …, compared
//! case-insensitively). The built-in set covers the codes of the seed
//! mappings and every code the generated 旺店通 documents use; a file can
//! replace the set of any form:
//!
//! ```toml
//! # master-data.toml: form id = [numbers]
//! BD_Supplier = ["0003", "VEN0001"]
//! BD_MATERIAL = ["A01", "A02"]
//! ```
//!
//! or the same as JSON (`{"BD_Supplier": ["0003"]}`). Forms the file does not
//! name keep their built-in numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::wdt::catalog::{unit_names, GOODS, PROVIDERS, WAREHOUSES};

/// Base-data numbers per form id.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MasterData {
    sets: BTreeMap<String, BTreeSet<String>>,
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

    /// Adds one number of `form`.
    pub fn insert(&mut self, form: &str, number: &str) {
        self.sets
            .entry(key(form))
            .or_default()
            .insert(number.to_owned());
    }

    /// Whether `number` is a known `form` record.
    pub fn contains(&self, form: &str, number: &str) -> bool {
        // Checked once per lookup field of every saved bill: the usual short
        // form ids are upper-cased on the stack.
        let form = form.trim();
        let mut buf = [0u8; 64];
        let set = match buf.get_mut(..form.len()) {
            Some(upper) => {
                upper.copy_from_slice(form.as_bytes());
                upper.make_ascii_uppercase();
                match std::str::from_utf8(upper) {
                    Ok(k) => self.sets.get(k),
                    Err(_) => self.sets.get(&key(form)),
                }
            }
            None => self.sets.get(&key(form)),
        };
        set.is_some_and(|s| s.contains(number))
    }

    /// The numbers of `form`.
    pub fn numbers(&self, form: &str) -> Vec<String> {
        self.sets
            .get(&key(form))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Replaces the sets of the forms `other` names.
    pub fn override_with(&mut self, other: MasterData) {
        for (form, set) in other.sets {
            self.sets.insert(form, set);
        }
    }

    /// Parses a master-data file's text (`json` true: JSON, else TOML).
    pub fn parse(text: &str, json: bool, path: &str) -> Result<Self, MasterDataError> {
        let err = |message: String| MasterDataError {
            path: path.to_owned(),
            message,
        };
        let table: serde_json::Map<String, serde_json::Value> = if json {
            serde_json::from_str(text).map_err(|e| err(e.to_string()))?
        } else {
            let t: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
            let mut map = serde_json::Map::new();
            for (k, v) in t {
                let list = match v {
                    toml::Value::Array(items) => items
                        .into_iter()
                        .map(|i| match i {
                            toml::Value::String(s) => Ok(serde_json::Value::String(s)),
                            toml::Value::Integer(n) => Ok(serde_json::Value::String(n.to_string())),
                            other => {
                                Err(err(format!("{k}: numbers must be strings, found {other}")))
                            }
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    other => {
                        return Err(err(format!(
                            "{k}: expected an array of numbers, found {other}"
                        )))
                    }
                };
                map.insert(k, serde_json::Value::Array(list));
            }
            map
        };
        let mut m = MasterData::empty();
        for (form, value) in table {
            let items = value
                .as_array()
                .ok_or_else(|| err(format!("{form}: expected an array of numbers")))?;
            m.sets.entry(key(&form)).or_default();
            for item in items {
                let number = match item {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
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

    /// The built-in base data with the sets of a file (`.json` = JSON, else
    /// TOML) replacing those of the forms it names.
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
        for (form, set) in &self.sets {
            map.entry(form, &set.len());
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
}
