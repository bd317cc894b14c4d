//! Lookups of master data: what a scheme asks of the target's base data
//! (`lookup material = kingdee BD_MATERIAL by FNumber`), the interface both
//! execution paths ask through ([`Lookups`]), and the miss that makes a
//! record wait ([`Waiting`]).
//!
//! A compiled scheme and the interpreter call the same [`find`] with the
//! same [`LookupMeta`], so they cannot disagree on what a row holds.

use serde::{Deserialize, Serialize};

use crate::ValueError;

/// One `lookup` declaration of a scheme, as the runtime needs it to fill
/// and read its cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupMeta {
    /// The name in the `.map` file (`material`).
    pub name: String,
    /// Connector kind: `kingdee`.
    pub system: String,
    /// The form queried, e.g. `BD_MATERIAL`.
    pub form: String,
    /// The form's label (`物料`), for messages.
    pub label: String,
    /// The query field a key is compared with (`FNumber`).
    pub by: String,
    /// The query fields the scheme reads from a row, in order of first use.
    pub fields: Vec<String>,
    /// The form's internal id field (`FMATERIALID`): rows are paged by it.
    pub id_field: String,
    /// The field of the last change (`FModifyDate`): refreshes read rows
    /// changed since the last one.
    pub modify_field: String,
}

impl LookupMeta {
    /// The cache's identity: one cache per form and key field.
    pub fn cache_key(&self) -> (String, String) {
        (self.form.clone(), self.by.clone())
    }
}

/// What a lookup found for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No usable row has this key.
    Missing,
    /// The row's value of the field asked for; `None` when Kingdee gives
    /// it no value.
    Value(Option<String>),
}

/// Where lookups are answered: the runtime's cache, or a fake in tests.
pub trait Lookups: Sync {
    /// The value of `field` in the row of `lookup` whose key field equals
    /// `key`. An error is a cache that cannot be read (the record fails with
    /// it and is retried), not a miss.
    fn find(&self, lookup: &LookupMeta, key: &str, field: &str) -> Result<Found, ValueError>;
}

/// Lookups that find nothing: every lookup misses (previews and tools that
/// have no cache).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLookups;

impl Lookups for NoLookups {
    fn find(&self, _: &LookupMeta, _: &str, _: &str) -> Result<Found, ValueError> {
        Ok(Found::Missing)
    }
}

/// A record waits for this base data: the lookup that missed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The form, e.g. `BD_MATERIAL`.
    pub form: String,
    /// The key field, e.g. `FNumber`.
    pub by: String,
    /// The key looked for, e.g. `SKU12345`.
    pub key: String,
}

/// The error of a lookup without `??` that found no row: the record waits
/// for the base data. The reason reads as operators expect: `物料 SKU12345
/// 不在金蝶 (BD_MATERIAL.FNumber)`.
pub fn waiting(lookup: &LookupMeta, key: &str) -> ValueError {
    let label = if lookup.label.is_empty() {
        lookup.form.as_str()
    } else {
        lookup.label.as_str()
    };
    let mut e = ValueError::new(format!(
        "{label} {key} 不在金蝶 ({}.{}): the record waits for it",
        lookup.form, lookup.by
    ));
    e.waiting = Some(Box::new(Waiting {
        form: lookup.form.clone(),
        by: lookup.by.clone(),
        key: key.to_string(),
    }));
    e
}

/// Looks `key` up and gives the text of `field`. A miss is the waiting
/// error when `wait`, else `None`; a row without a value is `None`, or an
/// error when the spec says the field always has one (`required`).
pub fn text(
    lookups: &dyn Lookups,
    lookup: &LookupMeta,
    key: &str,
    field: &str,
    wait: bool,
    required: bool,
) -> Result<Option<String>, ValueError> {
    match lookups.find(lookup, key, field)? {
        Found::Missing if wait => Err(waiting(lookup, key)),
        Found::Missing => Ok(None),
        Found::Value(Some(v)) => Ok(Some(v)),
        Found::Value(None) if required => Err(ValueError::new(format!(
            "the {} row {key} ({}.{}) has no {field}",
            lookup.form, lookup.form, lookup.by
        ))),
        Found::Value(None) => Ok(None),
    }
}

/// [`text`] read as an integer (Kingdee may answer `100001.0` for an id).
pub fn int(
    lookups: &dyn Lookups,
    lookup: &LookupMeta,
    key: &str,
    field: &str,
    wait: bool,
    required: bool,
) -> Result<Option<i64>, ValueError> {
    text(lookups, lookup, key, field, wait, required)?
        .map(|t| {
            let t = t.trim();
            crate::dec::try_parse_int(t)
                .or_else(|| crate::dec::try_parse_dec(t).and_then(crate::dec::try_dec_to_int))
                .ok_or_else(|| not_a(lookup, key, field, "an integer", t))
        })
        .transpose()
}

/// [`text`] read as a decimal.
pub fn dec(
    lookups: &dyn Lookups,
    lookup: &LookupMeta,
    key: &str,
    field: &str,
    wait: bool,
    required: bool,
) -> Result<Option<rust_decimal::Decimal>, ValueError> {
    text(lookups, lookup, key, field, wait, required)?
        .map(|t| {
            crate::dec::try_parse_dec(t.trim())
                .ok_or_else(|| not_a(lookup, key, field, "a decimal", &t))
        })
        .transpose()
}

/// [`text`] read as a bool (`true`/`false`, `1`/`0`).
pub fn boolean(
    lookups: &dyn Lookups,
    lookup: &LookupMeta,
    key: &str,
    field: &str,
    wait: bool,
    required: bool,
) -> Result<Option<bool>, ValueError> {
    text(lookups, lookup, key, field, wait, required)?
        .map(|t| match t.trim() {
            "true" | "True" | "1" => Ok(true),
            "false" | "False" | "0" => Ok(false),
            other => Err(not_a(lookup, key, field, "a bool", other)),
        })
        .transpose()
}

fn not_a(lookup: &LookupMeta, key: &str, field: &str, what: &str, text: &str) -> ValueError {
    ValueError::new(format!(
        "the {} row {key} has {field} = {}, which is not {what}",
        lookup.form,
        crate::error::show_str(text)
    ))
}

/// The value of a lookup that the checker knows is present.
pub fn present<T>(value: Option<T>) -> Result<T, ValueError> {
    value.ok_or_else(|| ValueError::new("the lookup gave no value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material() -> LookupMeta {
        LookupMeta {
            name: "material".into(),
            system: "kingdee".into(),
            form: "BD_MATERIAL".into(),
            label: "物料".into(),
            by: "FNumber".into(),
            fields: vec!["FMATERIALID".into()],
            id_field: "FMATERIALID".into(),
            modify_field: "FModifyDate".into(),
        }
    }

    #[test]
    fn a_miss_names_the_form_and_the_key() {
        let e = waiting(&material(), "SKU12345");
        assert!(e
            .reason
            .starts_with("物料 SKU12345 不在金蝶 (BD_MATERIAL.FNumber)"));
        let w = e.waiting.as_deref().cloned();
        assert_eq!(
            w,
            Some(Waiting {
                form: "BD_MATERIAL".into(),
                by: "FNumber".into(),
                key: "SKU12345".into()
            })
        );
        assert_eq!(
            text(&NoLookups, &material(), "A01", "FMATERIALID", false, true),
            Ok(None)
        );
        let e = int(&NoLookups, &material(), "A01", "FMATERIALID", true, true).unwrap_err();
        assert!(e.waiting.is_some());
    }

    struct One(Option<&'static str>);

    impl Lookups for One {
        fn find(&self, _: &LookupMeta, _: &str, _: &str) -> Result<Found, ValueError> {
            Ok(Found::Value(self.0.map(str::to_string)))
        }
    }

    #[test]
    fn values_are_read_by_type() {
        let m = material();
        assert_eq!(
            int(&One(Some("100001.0")), &m, "A01", "F", true, true),
            Ok(Some(100001))
        );
        assert_eq!(
            int(&One(Some(" 7 ")), &m, "A01", "F", true, true),
            Ok(Some(7))
        );
        assert!(int(&One(Some("x")), &m, "A01", "F", true, true).is_err());
        assert_eq!(
            dec(&One(Some("1.50")), &m, "A01", "F", true, true).map(|d| d.map(|d| d.to_string())),
            Ok(Some("1.50".to_string()))
        );
        assert_eq!(
            boolean(&One(Some("1")), &m, "A01", "F", true, true),
            Ok(Some(true))
        );
        assert_eq!(text(&One(None), &m, "A01", "F", true, false), Ok(None));
        let e = text(&One(None), &m, "A01", "FName", true, true).unwrap_err();
        assert!(e.reason.contains("has no FName"), "{e}");
    }
}
