//! Decoding source scalars from their raw JSON text.
//!
//! Each function takes the raw value of a field as [`crate::json`] found it
//! (`None` when the key is missing) and the field's `required` flag, and
//! gives the typed value or `None` for null. The rules (docs/language.md,
//! "Null, missing and empty"), with the choices made where the language
//! leaves room:
//!
//! | spec type | null | accepted |
//! |---|---|---|
//! | any | missing, `null` | |
//! | `decimal` | also `""` | a JSON number or a string, both as exact decimal text ([`crate::dec::parse_dec`]: `"10.0000"`, `946.9436`, `1.5e-3`); never through a float |
//! | `integer` | also `""` | a number or a string of integer text, or of decimal text with a whole value (`"3.0000"`) |
//! | `bool` | also `""` | `true`, `false`; the strings `"true"`, `"false"`, `"1"`, `"0"`; the numbers `1`, `0` |
//! | `string` | (`""` is a string) | a string; a number, as its text (WDT sends some codes as numbers) |
//! | `date`, `datetime` | also `""` and WDT's zero time `0000-00-00…` | a string in the field's chrono format; a date-time in the API's zone unless the format has an offset |
//! | `list` | | an array of strings (numbers as their text) |
//!
//! Anything else fails the record: `"abc" is not a decimal`, `expected a
//! string, found an object`. A required field that is null fails it too
//! (`required field is missing` / `… is null` / `… is empty`).

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

use crate::error::{quote, ValueError};
use crate::json::{kind_of, text_of_string, Raw};
use crate::{dec, time};

/// A raw value sorted by what the decoders care about.
enum Kind<'a> {
    /// Missing or `null`, with the reason for a required field.
    Null(&'static str),
    Str(Cow<'a, str>),
    Number(&'a str),
    Bool(bool),
    Other(&'static str),
}

fn classify(raw: Option<Raw<'_>>) -> Kind<'_> {
    let Some(raw) = raw else {
        return Kind::Null("required field is missing");
    };
    let t = raw.get();
    match t.as_bytes().first() {
        Some(b'n') => Kind::Null("required field is null"),
        Some(b'"') => match text_of_string(t) {
            Some(s) => Kind::Str(s),
            // JSON allows an escape that is half a character (`\ud800`
            // alone); text cannot hold it.
            None => Kind::Other(
                "a string that is not text (an escape such as \\ud800 that is half a character)",
            ),
        },
        Some(b't') => Kind::Bool(true),
        Some(b'f') => Kind::Bool(false),
        Some(b'-' | b'0'..=b'9') => Kind::Number(t),
        _ => Kind::Other(kind_of(t)),
    }
}

const EMPTY: &str = "required field is empty (\"\")";

fn null<T>(reason: &'static str, required: bool) -> Result<Option<T>, ValueError> {
    if required {
        Err(ValueError::new(reason))
    } else {
        Ok(None)
    }
}

fn expected(what: &str, found: &str) -> ValueError {
    ValueError::new(format!("expected {what}, found {found}"))
}

/// A `decimal` field.
pub fn dec<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
) -> Result<Option<Decimal>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Str(s) if s.is_empty() => null(EMPTY, required),
        Kind::Str(s) => dec::parse_dec(&s).map(Some),
        Kind::Number(n) => dec::parse_dec(n).map(Some),
        Kind::Bool(_) => Err(expected("a decimal", "a boolean")),
        Kind::Other(kind) => Err(expected("a decimal", kind)),
    }
}

/// An `integer` field.
pub fn int<'a>(raw: Option<impl Into<Raw<'a>>>, required: bool) -> Result<Option<i64>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Str(s) if s.is_empty() => null(EMPTY, required),
        Kind::Str(s) => dec::parse_int(&s).map(Some),
        Kind::Number(n) => dec::parse_int(n).map(Some),
        Kind::Bool(_) => Err(expected("an integer", "a boolean")),
        Kind::Other(kind) => Err(expected("an integer", kind)),
    }
}

/// A `bool` field.
pub fn boolean<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
) -> Result<Option<bool>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Bool(b) => Ok(Some(b)),
        Kind::Str(s) => match &*s {
            "" => null(EMPTY, required),
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(ValueError::new(format!("{} is not a bool", quote(&s)))),
        },
        Kind::Number("1") => Ok(Some(true)),
        Kind::Number("0") => Ok(Some(false)),
        Kind::Number(n) => Err(ValueError::new(format!("{n} is not a bool"))),
        Kind::Other(kind) => Err(expected("a bool", kind)),
    }
}

/// A `string` field; borrows from the record unless the JSON string has
/// escapes.
pub fn text<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
) -> Result<Option<Cow<'a, str>>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Str(s) => Ok(Some(s)),
        Kind::Number(n) => Ok(Some(Cow::Borrowed(n))),
        Kind::Bool(_) => Err(expected("a string", "a boolean")),
        Kind::Other(kind) => Err(expected("a string", kind)),
    }
}

/// A `date` field, in the chrono format `fmt`.
pub fn date<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
    fmt: &str,
) -> Result<Option<NaiveDate>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Str(s) if s.is_empty() => null(EMPTY, required),
        Kind::Str(s) if time::is_zero_time(&s) => {
            null("required field is WDT's zero time", required)
        }
        Kind::Str(s) => time::parse_date(&s, fmt).map(Some),
        Kind::Number(_) => Err(expected("a date string", "a number")),
        Kind::Bool(_) => Err(expected("a date string", "a boolean")),
        Kind::Other(kind) => Err(expected("a date string", kind)),
    }
}

/// A `datetime` field, in the chrono format `fmt`, in `zone` unless the
/// format has an offset.
pub fn datetime<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
    fmt: &str,
    zone: FixedOffset,
) -> Result<Option<DateTime<FixedOffset>>, ValueError> {
    match classify(raw.map(Into::into)) {
        Kind::Null(why) => null(why, required),
        Kind::Str(s) if s.is_empty() => null(EMPTY, required),
        Kind::Str(s) if time::is_zero_time(&s) => {
            null("required field is WDT's zero time", required)
        }
        Kind::Str(s) => time::parse_datetime(&s, fmt, zone).map(Some),
        Kind::Number(_) => Err(expected("a date-time string", "a number")),
        Kind::Bool(_) => Err(expected("a date-time string", "a boolean")),
        Kind::Other(kind) => Err(expected("a date-time string", kind)),
    }
}

/// A `list` field: an array of strings.
pub fn list<'a>(
    raw: Option<impl Into<Raw<'a>>>,
    required: bool,
) -> Result<Option<Vec<String>>, ValueError> {
    let raw: Option<Raw<'a>> = raw.map(Into::into);
    match classify(raw) {
        Kind::Null(why) => null(why, required),
        Kind::Other("an array") => {
            let Some(raw) = raw else {
                return null("required field is missing", required);
            };
            let items = crate::json::elements_of(Some(raw.get()))?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match classify(Some(Raw::from(item))) {
                    Kind::Str(s) => out.push(s.into_owned()),
                    Kind::Number(n) => out.push(n.to_string()),
                    Kind::Null(_) => return Err(expected("a list of strings", "a null element")),
                    Kind::Bool(_) => {
                        return Err(expected("a list of strings", "a boolean element"))
                    }
                    Kind::Other(kind) => {
                        return Err(ValueError::new(format!(
                            "expected a list of strings, found {kind} element"
                        )))
                    }
                }
            }
            Ok(Some(out))
        }
        Kind::Str(_) => Err(expected("a list", "a string")),
        Kind::Number(_) => Err(expected("a list", "a number")),
        Kind::Bool(_) => Err(expected("a list", "a boolean")),
        Kind::Other(kind) => Err(expected("a list", kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn r(s: &str) -> Option<&RawValue> {
        Some(serde_json::from_str(s).unwrap())
    }

    fn show<T: std::fmt::Display>(v: Result<Option<T>, ValueError>) -> String {
        match v {
            Ok(Some(v)) => v.to_string(),
            Ok(None) => "null".into(),
            Err(e) => format!("error: {}", e.reason),
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(show(dec(r("\"10.0000\""), false)), "10.0000");
        assert_eq!(show(dec(r("946.9436"), false)), "946.9436");
        assert_eq!(show(dec(r("1e3"), false)), "1000");
        assert_eq!(show(dec(r("\"\""), false)), "null");
        assert_eq!(show(dec(r("null"), false)), "null");
        assert_eq!(show(dec(None::<&RawValue>, false)), "null");
        assert_eq!(
            show(dec(r("\"abc\""), false)),
            "error: \"abc\" is not a decimal"
        );
        assert_eq!(
            show(dec(r("true"), false)),
            "error: expected a decimal, found a boolean"
        );
        assert_eq!(
            show(dec(r("[1]"), false)),
            "error: expected a decimal, found an array"
        );
        assert_eq!(
            show(dec(None::<&RawValue>, true)),
            "error: required field is missing"
        );
        assert_eq!(show(dec(r("null"), true)), "error: required field is null");
        assert_eq!(
            show(dec(r("\"\""), true)),
            "error: required field is empty (\"\")"
        );
        assert_eq!(show(dec(r("\"\\u0031.50\""), false)), "1.50");
    }

    #[test]
    fn integers_and_bools() {
        assert_eq!(show(int(r("\"3\""), false)), "3");
        assert_eq!(show(int(r("3"), false)), "3");
        assert_eq!(show(int(r("\"3.0000\""), false)), "3");
        assert_eq!(show(int(r("\"\""), false)), "null");
        assert!(show(int(r("\"3.5\""), false)).starts_with("error"));
        assert_eq!(show(boolean(r("true"), false)), "true");
        assert_eq!(show(boolean(r("\"0\""), false)), "false");
        assert_eq!(show(boolean(r("1"), false)), "true");
        assert_eq!(show(boolean(r("\"\""), false)), "null");
        assert_eq!(show(boolean(r("2"), false)), "error: 2 is not a bool");
        assert_eq!(
            show(boolean(r("\"yes\""), false)),
            "error: \"yes\" is not a bool"
        );
    }

    #[test]
    fn strings() {
        assert_eq!(show(text(r("\"北京仓\""), false)), "北京仓");
        assert_eq!(show(text(r("\"\""), false)), "");
        assert_eq!(show(text(r("12.50"), false)), "12.50");
        assert_eq!(show(text(r("\"a\\nb\""), false)), "a\nb");
        assert_eq!(
            show(text(r("false"), false)),
            "error: expected a string, found a boolean"
        );
        assert_eq!(
            show(text(r("{}"), false)),
            "error: expected a string, found an object"
        );
        assert!(matches!(
            text(r("\"x\""), false),
            Ok(Some(Cow::Borrowed("x")))
        ));
    }

    #[test]
    fn times() {
        let z = time::offset(28800).unwrap();
        let f = "%Y-%m-%d %H:%M:%S";
        let dt = |s: &str| match datetime(r(s), false, f, z) {
            Ok(Some(t)) => t.to_rfc3339(),
            Ok(None) => "null".into(),
            Err(e) => e.reason,
        };
        assert_eq!(dt("\"2024-01-02 10:00:00\""), "2024-01-02T10:00:00+08:00");
        assert_eq!(dt("\"0000-00-00 00:00:00\""), "null");
        assert_eq!(dt("\"\""), "null");
        assert_eq!(
            dt("1700000000"),
            "expected a date-time string, found a number"
        );
        assert!(dt("\"2024-01-02\"").contains("is not a date-time"));
        assert_eq!(
            show(date(r("\"2024-01-02\""), false, "%Y-%m-%d")),
            "2024-01-02"
        );
        assert_eq!(show(date(r("\"0000-00-00\""), false, "%Y-%m-%d")), "null");
        assert_eq!(
            show(date(r("\"0000-00-00\""), true, "%Y-%m-%d")),
            "error: required field is WDT's zero time"
        );
    }

    #[test]
    fn lists() {
        assert_eq!(
            list(r(r#"["a",1,"北"]"#), false).unwrap().unwrap(),
            ["a", "1", "北"]
        );
        assert_eq!(list(r("null"), false).unwrap(), None);
        assert!(list(r("\"a\""), false).is_err());
        assert!(list(r("[null]"), false).is_err());
    }
}
