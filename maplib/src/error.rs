//! Value errors and the paths that [`MapError`] reports.
//!
//! Every value function of this crate fails with a [`ValueError`]: a reason
//! for people, without any location. The caller (generated code or the
//! interpreter) knows where it is and turns it into a [`MapError`] with
//! [`ValueError::at`], filling the indexes of the current array elements into
//! the path templates of the checked model with [`fill_path`].
//!
//! # Where an error is reported
//!
//! Both execution paths follow these rules, so that they report the same
//! [`MapError`] for the same record:
//!
//! | what fails | `target` | `source` |
//! |---|---|---|
//! | the record is not a JSON object / not JSON | `""` | `""` |
//! | a `let` or `skip` of the top-level block | `""` | see below |
//! | a `let` or `skip` of an array element's block | the element's path, `FPOOrderEntry[2]` ([`element_path`]) | see below |
//! | an array element is not an object | the element's path | the element's source path, `details_list[2]` |
//! | a source array is not an array | the array field's path, indexes of the enclosing elements filled | the array's source path |
//! | a nested source object is not an object | the path of the block being entered (as above) | the object's source path |
//! | computing a target scalar | the field's path, `FPOOrderEntry[2].FQty` | see below |
//! | a required target field is null | the field's path | the scalar's `sources`, indexes filled |
//!
//! "See below": when the failure is decoding a source field (bad text, a
//! required source field missing) the source is that field's path with its
//! indexes; any other failure (division by zero, a table miss, …) reports
//! the target scalar's `sources` (indexes filled), or `""` in a prelude.
//!
//! Indexes are **0-based**, as in JSON paths and jq (`details_list[0]` is the
//! first line). A target index counts the elements of the target array
//! (a skipped element takes no index); a source index is the element's
//! position in the source array.

use std::fmt;

use crate::MapError;

/// Why a value could not be read or computed: a reason for people, without a
/// location. See the module documentation for how it becomes a [`MapError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ValueError {
    pub reason: String,
    /// Set when a lookup missed: the record waits for this base data
    /// instead of failing.
    pub waiting: Option<Box<crate::lookup::Waiting>>,
}

impl ValueError {
    pub fn new(reason: impl Into<String>) -> ValueError {
        ValueError {
            reason: reason.into(),
            waiting: None,
        }
    }

    /// Puts the error at a place in the record.
    pub fn at(
        self,
        scheme: &str,
        record_id: Option<String>,
        target: String,
        source: String,
    ) -> MapError {
        MapError {
            scheme: scheme.to_string(),
            record_id,
            target,
            source,
            reason: self.reason,
            waiting: self.waiting,
        }
    }
}

/// The error of a required target field whose value is null.
pub fn required_target_null() -> ValueError {
    ValueError::new("required by the form but null")
}

/// The error of a required target array that gets no element.
pub fn required_target_empty() -> ValueError {
    ValueError::new("required by the form but no element is left (the source array is missing, null, empty or every element is skipped)")
}

/// How a value is shown in an error message: strings quoted (`"北京仓"`,
/// Rust string syntax, cut after 60 characters), numbers and bools as
/// written, dates as `2024-01-02`, date-times as `2024-01-02 10:00:00
/// +08:00`, null as `null`.
pub fn show_str(s: &str) -> String {
    quote(s)
}

pub fn show_dec(d: &rust_decimal::Decimal) -> String {
    d.to_string()
}

pub fn show_int(i: i64) -> String {
    i.to_string()
}

pub fn show_bool(b: bool) -> String {
    b.to_string()
}

pub fn show_date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn show_datetime(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

pub fn show_list<S: AsRef<str>>(list: &[S]) -> String {
    let items: Vec<String> = list.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

pub const SHOW_NULL: &str = "null";

/// A lookup in a table without `_` found no entry; `key` as shown by the
/// `show_*` functions.
pub fn table_miss(table: &str, key: &str) -> ValueError {
    ValueError::new(format!(
        "{key} is not in the table {table}, which has no `_` entry"
    ))
}

/// A `match` without `_` found no arm; `value` as shown by the `show_*`
/// functions.
pub fn no_match(value: &str) -> ValueError {
    ValueError::new(format!(
        "no arm of the match takes {value}, and it has no `_` arm"
    ))
}

/// Fills `[]` markers of a path template with indexes, left to right:
/// `fill_path("FPOOrderEntry[].FEntryLink[].FSId", &[2, 0])` is
/// `FPOOrderEntry[2].FEntryLink[0].FSId`. A template holding several paths
/// joined by `, ` (a scalar's `sources`) is filled path by path, each from
/// the first index. Markers beyond the given indexes stay `[]`.
pub fn fill_path(template: &str, indexes: &[usize]) -> String {
    if !template.contains("[]") {
        return template.to_string();
    }
    let mut out = String::with_capacity(template.len() + 4 * indexes.len());
    for (n, part) in template.split(", ").enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let mut rest = part;
        let mut next = indexes.iter();
        while let Some(at) = rest.find("[]") {
            out.push_str(&rest[..at]);
            match next.next() {
                Some(i) => {
                    use fmt::Write;
                    let _ = write!(out, "[{i}]");
                }
                None => out.push_str("[]"),
            }
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
    }
    out
}

/// The path of one element of a target array, from the array field's path
/// template and the target indexes including the element's own:
/// `element_path("FPOOrderEntry[]", &[2])` and `element_path("FPOOrderEntry",
/// &[2])` are both `FPOOrderEntry[2]`.
pub fn element_path(array_template: &str, indexes: &[usize]) -> String {
    if array_template.ends_with("[]") {
        fill_path(array_template, indexes)
    } else {
        let mut t = String::with_capacity(array_template.len() + 2);
        t.push_str(array_template);
        t.push_str("[]");
        fill_path(&t, indexes)
    }
}

/// Quotes a text for an error message: Rust string syntax, cut after 60
/// characters.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        None => format!("{s:?}"),
        Some((at, _)) => format!("{:?}…", &s[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_paths() {
        assert_eq!(fill_path("FBillNo", &[1]), "FBillNo");
        assert_eq!(
            fill_path("FPOOrderEntry[].FQty", &[2]),
            "FPOOrderEntry[2].FQty"
        );
        assert_eq!(fill_path("a[].b[].c", &[2, 0]), "a[2].b[0].c");
        assert_eq!(fill_path("a[].b[].c", &[2]), "a[2].b[].c");
        assert_eq!(
            fill_path(
                "details_list[].num, details_list[].price, provider_id",
                &[3]
            ),
            "details_list[3].num, details_list[3].price, provider_id"
        );
        assert_eq!(element_path("E[]", &[1]), "E[1]");
        assert_eq!(element_path("E", &[1]), "E[1]");
        assert_eq!(element_path("E[].L[]", &[1, 4]), "E[1].L[4]");
    }

    #[test]
    fn messages() {
        assert_eq!(
            table_miss("stock_of", &show_str("WH9")).reason,
            "\"WH9\" is not in the table stock_of, which has no `_` entry"
        );
        assert_eq!(
            no_match(SHOW_NULL).reason,
            "no arm of the match takes null, and it has no `_` arm"
        );
        assert_eq!(show_list(&["a", "北"]), "[\"a\", \"北\"]");
        let t = crate::time::parse_datetime(
            "2024-01-02 10:00:00",
            "%Y-%m-%d %H:%M:%S",
            crate::time::offset(28800).unwrap(),
        )
        .unwrap();
        assert_eq!(show_datetime(&t), "2024-01-02 10:00:00 +08:00");
    }

    #[test]
    fn quotes() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote("北京\"仓"), "\"北京\\\"仓\"");
        let long = "数".repeat(100);
        let q = quote(&long);
        assert!(q.ends_with('…'));
        assert_eq!(q.chars().filter(|c| *c == '数').count(), 60);
    }
}
