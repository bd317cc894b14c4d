//! Run-time values of the interpreter.

use std::borrow::Cow;
use std::cmp::Ordering;

use duijie_maplib::chrono::{DateTime, FixedOffset, NaiveDate};
use duijie_maplib::error as merr;
use duijie_maplib::rust_decimal::Decimal;

/// A value of the language, borrowing text from the record or the scheme.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    Dec(Decimal),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<FixedOffset>),
    List(Vec<String>),
}

/// A literal of the scheme (constants, table entries, match arms), checked
/// once when the interpreter is built.
#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Null,
    Str(String),
    Dec(Decimal),
    Int(i64),
    Bool(bool),
    /// A decimal literal whose text does not parse (the checker should
    /// have caught it): evaluating it fails with this reason.
    Bad(String),
}

impl Lit {
    pub(crate) fn value(&self) -> Result<Value<'_>, String> {
        Ok(match self {
            Lit::Null => Value::Null,
            Lit::Str(s) => Value::Str(Cow::Borrowed(s)),
            Lit::Dec(d) => Value::Dec(*d),
            Lit::Int(i) => Value::Int(*i),
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Bad(reason) => return Err(reason.clone()),
        })
    }
}

impl Value<'_> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True only for `true` (null counts as false in conditions).
    pub(crate) fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// How the value appears in error messages.
    pub(crate) fn show(&self) -> String {
        match self {
            Value::Null => merr::SHOW_NULL.to_string(),
            Value::Str(s) => merr::show_str(s),
            Value::Dec(d) => merr::show_dec(d),
            Value::Int(i) => merr::show_int(*i),
            Value::Bool(b) => merr::show_bool(*b),
            Value::Date(d) => merr::show_date(*d),
            Value::DateTime(t) => merr::show_datetime(t),
            Value::List(l) => merr::show_list(l),
        }
    }

    /// `==` of the language: null equals null; decimals compare by value
    /// (`1.0 == 1.00`), an integer equals the same decimal; date-times
    /// compare as instants.
    pub(crate) fn equals(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Dec(a), Value::Dec(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Dec(a), Value::Int(b)) | (Value::Int(b), Value::Dec(a)) => {
                *a == Decimal::from(*b)
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            _ => false,
        }
    }

    /// Ordering of the language; `None` when either side is null or the
    /// kinds do not compare (the comparison is then false).
    pub(crate) fn order(&self, other: &Value<'_>) -> Option<Ordering> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.as_ref().cmp(b.as_ref())),
            (Value::Dec(a), Value::Dec(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Dec(a), Value::Int(b)) => Some(a.cmp(&Decimal::from(*b))),
            (Value::Int(a), Value::Dec(b)) => Some(Decimal::from(*a).cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The kind, for internal type errors.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Str(_) => "str",
            Value::Dec(_) => "dec",
            Value::Int(_) => "int",
            Value::Bool(_) => "bool",
            Value::Date(_) => "date",
            Value::DateTime(_) => "datetime",
            Value::List(_) => "list",
        }
    }
}
