//! Reading source records and writing bills, as JSON text.
//!
//! # Reading
//!
//! A record is read without building a tree: [`record`] scans the record's
//! object once and keeps, for each key the mapping reads, the raw JSON text
//! of its value (`&RawValue`, borrowed from the record); every other key is
//! skipped. A nested object is read the same way with [`object`], an array's
//! elements are listed with [`elements`], and a scalar's raw text is decoded
//! only when an expression reads it ([`crate::decode`]). Both execution paths
//! read records through these functions, so they accept and reject exactly
//! the same input:
//!
//! - a record must be a JSON object, and valid JSON with nothing after it;
//! - a key the mapping reads may appear once in its object (a repeated key is
//!   an error: which value counts would be a guess); other keys are ignored,
//!   repeated or not;
//! - a missing or `null` nested object reads as an object whose fields are
//!   all missing; a missing or `null` array has no elements; anything else
//!   where an object or an array is expected is an error.
//!
//! Keys are matched after JSON unescaping (`"num"` and `"n\u0075m"` are the
//! same key).
//!
//! # Writing
//!
//! [`write_str`], [`write_dec`], [`write_int`], … append compact JSON to a
//! `Vec<u8>`. They produce exactly the bytes `serde_json` produces for a
//! `#[derive(Serialize)]` struct written with `serde_json::to_writer`, where
//! decimals go through [`ser::dec`] (a JSON number with the decimal's exact
//! text: `10.0000` is written `10.0000`). Note that `rust_decimal`'s own
//! `Serialize` writes a *string*: a serde struct field of type `Decimal`
//! must say `#[serde(serialize_with = "::duijie_maplib::json::ser::dec")]`.
//!
//! The interpreter and the generated `write_json` of compiled schemes both
//! write bills with these functions, so they write the same bytes. None of
//! them allocates: decimals and integers are formatted on the stack, strings
//! are escaped straight into the output.

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::ValueError;

/// Maps the keys of an object the mapping reads to slots `0..len`.
///
/// Generated code implements it with a `match` on the key; a slice of names
/// is an implementation by linear search.
pub trait Keys {
    /// The slot of `key`, or `None` for a key the mapping does not read.
    fn index(&self, key: &str) -> Option<usize>;
    /// The key of slot `i` (for error messages).
    fn name(&self, i: usize) -> &str;
}

impl Keys for [&str] {
    fn index(&self, key: &str) -> Option<usize> {
        self.iter().position(|k| *k == key)
    }

    fn name(&self, i: usize) -> &str {
        self.get(i).copied().unwrap_or("")
    }
}

impl<const N: usize> Keys for [&str; N] {
    fn index(&self, key: &str) -> Option<usize> {
        self.as_slice().index(key)
    }

    fn name(&self, i: usize) -> &str {
        self.as_slice().name(i)
    }
}

/// What kind of JSON value a raw text is: `"a string"`, `"a number"`,
/// `"a boolean"`, `"null"`, `"an object"`, `"an array"`.
pub fn kind_of(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ => "nothing",
    }
}

/// True when the raw text is JSON `null`.
#[inline]
pub fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// Reads a record: `json` must be one JSON object. Fills `out[i]` with the
/// raw value of the key of slot `i` (`None` when missing; JSON `null` is
/// kept as the raw text `null`). `out` must have one slot per key.
pub fn record<'a, K: Keys + ?Sized>(
    json: &'a str,
    keys: &K,
    out: &mut [Option<&'a RawValue>],
) -> Result<(), ValueError> {
    let kind = kind_of(json);
    if kind != "an object" {
        out.fill(None);
        // The first byte only guesses the kind (`not json` starts like
        // `null`): say "not valid JSON" unless the text really is JSON.
        return Err(match serde_json::from_str::<IgnoredAny>(json) {
            Err(_) if json.starts_with('\u{feff}') => ValueError::new(
                "the record starts with a byte-order mark (U+FEFF), which JSON text does not have: save the input without it",
            ),
            Err(e) => ValueError::new(format!("the record is not valid JSON: {e}")),
            Ok(_) if kind == "nothing" => ValueError::new("the record is not a JSON object"),
            Ok(_) => ValueError::new(format!("the record is {kind}, not a JSON object")),
        });
    }
    fields(json, keys, out).map_err(|e| match e {
        FieldsError::Json(e) => ValueError::new(format!("the record is not valid JSON: {e}")),
        FieldsError::Duplicate(key) => {
            ValueError::new(format!("the record has the key {key:?} more than once"))
        }
    })
}

/// Reads a nested object (see [`record`]). A missing or `null` value gives
/// all slots `None`; another kind of value is an error.
pub fn object<'a, K: Keys + ?Sized>(
    raw: Option<&'a RawValue>,
    keys: &K,
    out: &mut [Option<&'a RawValue>],
) -> Result<(), ValueError> {
    out.fill(None);
    let Some(raw) = raw else {
        return Ok(());
    };
    match kind_of(raw.get()) {
        "null" => Ok(()),
        "an object" => fields(raw.get(), keys, out).map_err(|e| match e {
            FieldsError::Json(e) => ValueError::new(format!("not valid JSON: {e}")),
            FieldsError::Duplicate(key) => {
                ValueError::new(format!("the object has the key {key:?} more than once"))
            }
        }),
        kind => Err(ValueError::new(format!("expected an object, found {kind}"))),
    }
}

/// The elements of an array value: none for a missing or `null` value, an
/// error for anything but an array.
pub fn elements(raw: Option<&RawValue>) -> Result<Vec<&RawValue>, ValueError> {
    elements_of(raw.map(RawValue::get))
}

/// [`elements`] of raw JSON text.
pub(crate) fn elements_of(raw: Option<&str>) -> Result<Vec<&RawValue>, ValueError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    match kind_of(raw) {
        "null" => Ok(Vec::new()),
        "an array" => serde_json::from_str::<Vec<&RawValue>>(raw)
            .map_err(|e| ValueError::new(format!("not valid JSON: {e}"))),
        kind => Err(ValueError::new(format!("expected an array, found {kind}"))),
    }
}

/// The largest record mapped, in bytes of JSON text. Mapping holds the
/// record, what it reads of it and the bill, together several times the
/// record's size: a record above this fails alone, with an error saying
/// so, instead of taking the memory of the run (docs/language.md).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Fails a record of more than [`MAX_RECORD_BYTES`].
pub fn check_record_size(json: &str) -> Result<(), ValueError> {
    if json.len() <= MAX_RECORD_BYTES {
        return Ok(());
    }
    let tenths = json.len() / (1024 * 1024 / 10);
    Err(ValueError::new(format!(
        "the record is {}.{} MiB of JSON, more than the {} MiB a record may have",
        tenths / 10,
        tenths % 10,
        MAX_RECORD_BYTES >> 20
    )))
}

/// The record's identity: the value at the dotted path `id_field` (through
/// nested objects), by the rule of [`id_text`]. `None` also when the record
/// is not a JSON object, a key on the path is given twice, or an object on
/// the path is missing or null.
pub fn record_id(json: &str, id_field: &str) -> Option<String> {
    if id_field.is_empty() {
        return None;
    }
    let mut raw: Option<&RawValue> = None;
    for (n, key) in id_field.split('.').enumerate() {
        let keys = [key];
        let mut slot = [None];
        let ok = if n == 0 {
            record(json, &keys, &mut slot).is_ok()
        } else {
            object(raw, &keys, &mut slot).is_ok()
        };
        if !ok {
            return None;
        }
        raw = slot[0];
        raw?;
    }
    id_text(raw?.get()).map(std::borrow::Cow::into_owned)
}

/// The one rule for what identifies a record or a bill, given the JSON
/// text of a value (the record's `id` field, the bill's number field): a
/// string is its content, a number its exact text (`12`, `12.50`); an
/// empty string, `true`/`false`, `null`, an object or an array identify
/// nothing (`None`). `value` is the text of one valid JSON value (as read
/// from a record or written to a bill). docs/language.md says what a record
/// without an id becomes.
pub fn id_text(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    // JSON whitespace is ASCII; the first byte tells the kind (`kind_of`).
    let value = value.trim_ascii();
    match value.as_bytes().first() {
        Some(b'"') => text_of_string(value).filter(|s| !s.is_empty()),
        Some(b'-' | b'0'..=b'9') => Some(std::borrow::Cow::Borrowed(value)),
        _ => None,
    }
}

enum FieldsError {
    Json(serde_json::Error),
    Duplicate(String),
}

fn fields<'a, K: Keys + ?Sized>(
    json: &'a str,
    keys: &K,
    out: &mut [Option<&'a RawValue>],
) -> Result<(), FieldsError> {
    out.fill(None);
    let mut duplicate = None;
    let mut de = serde_json::Deserializer::from_str(json);
    FieldsSeed {
        keys,
        out,
        duplicate: &mut duplicate,
    }
    .deserialize(&mut de)
    .map_err(FieldsError::Json)?;
    de.end().map_err(FieldsError::Json)?;
    match duplicate {
        Some(i) => Err(FieldsError::Duplicate(keys.name(i).to_string())),
        None => Ok(()),
    }
}

struct FieldsSeed<'k, 'o, 'a, K: ?Sized> {
    keys: &'k K,
    out: &'o mut [Option<&'a RawValue>],
    duplicate: &'o mut Option<usize>,
}

impl<'de, K: Keys + ?Sized> DeserializeSeed<'de> for FieldsSeed<'_, '_, 'de, K> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K: Keys + ?Sized> Visitor<'de> for FieldsSeed<'_, '_, 'de, K> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(slot) = map.next_key_seed(KeySeed(self.keys))? {
            match slot {
                Some(i) if i < self.out.len() => {
                    let raw: &'de RawValue = map.next_value()?;
                    if self.out[i].is_some() {
                        if self.duplicate.is_none() {
                            *self.duplicate = Some(i);
                        }
                    } else {
                        self.out[i] = Some(raw);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct KeySeed<'k, K: ?Sized>(&'k K);

impl<'de, K: Keys + ?Sized> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, K: Keys + ?Sized> Visitor<'de> for KeySeed<'_, K> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.index(v))
    }
}

pub use crate::raw::Raw;

/// The text of a JSON string's raw value, unescaped only when it has
/// escapes. `None` when `raw` is not a string.
pub fn string_text(raw: &RawValue) -> Option<std::borrow::Cow<'_, str>> {
    text_of_string(raw.get())
}

/// [`string_text`] of raw JSON text.
pub(crate) fn text_of_string(t: &str) -> Option<std::borrow::Cow<'_, str>> {
    if t.len() < 2 || !t.starts_with('"') || !t.ends_with('"') {
        return None;
    }
    let inner = t.get(1..t.len() - 1)?;
    if inner.bytes().any(|b| b == b'\\') {
        serde_json::from_str::<String>(t)
            .ok()
            .map(std::borrow::Cow::Owned)
    } else {
        Some(std::borrow::Cow::Borrowed(inner))
    }
}

/// What [`write_str`] writes for each byte: 0 for the byte itself, else
/// the character after the backslash (`u` for `\u00XX`). serde_json's table.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a JSON string (serde_json's escaping: `"`, `\` and control
/// characters; everything else as UTF-8).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings have nothing to escape: found eight bytes at a time.
    if crate::raw::string_stop(bytes, 0) == bytes.len() {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends an object key and its colon: `"FQty":`.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

/// The longest text of a decimal: a sign, 29 digits and a point, or a sign,
/// `0.` and 28 digits.
const DEC_TEXT_MAX: usize = 32;

/// The digits of a mantissa, least significant first; 64-bit arithmetic
/// once the rest fits (it always does but for mantissas of 20 digits and
/// more).
struct Digits {
    wide: u128,
    narrow: u64,
    is_wide: bool,
}

impl Digits {
    fn new(m: u128) -> Digits {
        match u64::try_from(m) {
            Ok(narrow) => Digits {
                wide: 0,
                narrow,
                is_wide: false,
            },
            Err(_) => Digits {
                wide: m,
                narrow: 0,
                is_wide: true,
            },
        }
    }

    /// The next digit (0 once the mantissa runs out).
    #[inline]
    fn next(&mut self) -> u8 {
        if self.is_wide {
            let r = (self.wide % 10) as u8;
            self.wide /= 10;
            if let Ok(n) = u64::try_from(self.wide) {
                self.narrow = n;
                self.is_wide = false;
            }
            return r;
        }
        let r = (self.narrow % 10) as u8;
        self.narrow /= 10;
        r
    }

    fn done(&self) -> bool {
        !self.is_wide && self.narrow == 0
    }
}

/// A decimal's exact text (what its `Display` writes: `10.0000`, `-0.50`,
/// `0`), written at the end of `buf` without allocating.
fn dec_text<'b>(d: &Decimal, buf: &'b mut [u8; DEC_TEXT_MAX]) -> &'b [u8] {
    // Written backwards from the end: the fraction's digits (`scale` of
    // them, zeros once the mantissa runs out), the point, the whole part (at
    // least one digit), the sign: at most 1 + 29 + 1 + 1 bytes.
    let mut pos = buf.len();
    let mut put = |buf: &mut [u8; DEC_TEXT_MAX], b: u8| {
        pos = pos.saturating_sub(1);
        if let Some(slot) = buf.get_mut(pos) {
            *slot = b;
        }
    };
    let mut digits = Digits::new(d.mantissa().unsigned_abs());
    let scale = d.scale();
    for _ in 0..scale {
        put(buf, b'0' + digits.next());
    }
    if scale > 0 {
        put(buf, b'.');
    }
    loop {
        put(buf, b'0' + digits.next());
        if digits.done() {
            break;
        }
    }
    if d.is_sign_negative() {
        put(buf, b'-');
    }
    &buf[pos..]
}

/// Appends a decimal as a JSON number with its exact text (`10.0000`).
pub fn write_dec(out: &mut Vec<u8>, d: &Decimal) {
    let mut buf = [0u8; DEC_TEXT_MAX];
    out.extend_from_slice(dec_text(d, &mut buf));
}

/// Appends an integer.
pub fn write_int(out: &mut Vec<u8>, i: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[pos..]);
}

/// Appends `true` or `false`.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Appends a JSON array of strings.
pub fn write_list<S: AsRef<str>>(out: &mut Vec<u8>, list: &[S]) {
    out.push(b'[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, s.as_ref());
    }
    out.push(b']');
}

/// `serialize_with` functions for target structs, byte-identical to the
/// `write_*` functions.
pub mod ser {
    use rust_decimal::Decimal;
    use serde::{Serialize, Serializer};
    use serde_json::value::RawValue;

    /// A decimal as a JSON number with its exact text. The text is written
    /// on the stack and handed over as a borrowed raw JSON value: nothing
    /// is allocated.
    pub fn dec<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; super::DEC_TEXT_MAX];
        let text =
            std::str::from_utf8(super::dec_text(d, &mut buf)).map_err(serde::ser::Error::custom)?;
        let raw: &RawValue = serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }

    /// An optional decimal (use with `skip_serializing_if = "Option::is_none"`;
    /// `None` writes `null`).
    pub fn opt_dec<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => dec(d, s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod record_kind_tests {
    use super::*;

    #[test]
    fn a_line_that_is_not_json_is_called_so() {
        let mut out = [None];
        let e = record("not json", &["a"], &mut out).unwrap_err();
        assert!(
            e.reason.starts_with("the record is not valid JSON"),
            "{}",
            e.reason
        );
        let e = record("null", &["a"], &mut out).unwrap_err();
        assert_eq!(e.reason, "the record is null, not a JSON object");
        let e = record("[1]", &["a"], &mut out).unwrap_err();
        assert_eq!(e.reason, "the record is an array, not a JSON object");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn reads_records() {
        let json = r#" {"a":"1","skip":{"x":[1,2,{"y":null}]},"b":null,"n\u0075m":"10.0000","c":[{"d":1}]} "#;
        let keys = ["num", "a", "b", "c", "missing"];
        let mut out = [None; 5];
        record(json, &keys, &mut out).unwrap();
        let text: Vec<Option<&str>> = out.iter().map(|r| r.map(RawValue::get)).collect();
        assert_eq!(
            text,
            [
                Some("\"10.0000\""),
                Some("\"1\""),
                Some("null"),
                Some("[{\"d\":1}]"),
                None
            ]
        );
        let els = elements(out[3]).unwrap();
        assert_eq!(els.len(), 1);
        let mut inner = [None];
        object(Some(els[0]), &["d"], &mut inner).unwrap();
        assert_eq!(inner[0].unwrap().get(), "1");
    }

    #[test]
    fn rejects_bad_records() {
        let keys = ["a"];
        let mut out = [None];
        let err = |json: &str| {
            let mut out = [None];
            record(json, &keys, &mut out).unwrap_err().reason
        };
        assert_eq!(err("[1]"), "the record is an array, not a JSON object");
        assert_eq!(err("\"x\""), "the record is a string, not a JSON object");
        assert_eq!(err("null"), "the record is null, not a JSON object");
        assert!(err("").starts_with("the record is not valid JSON: EOF"));
        assert!(err("{\"a\":1").starts_with("the record is not valid JSON"));
        assert!(err("{\"a\":1} x").starts_with("the record is not valid JSON: trailing"));
        assert_eq!(
            err(r#"{"a":1,"a":2}"#),
            "the record has the key \"a\" more than once"
        );
        // Repeated keys nobody reads are fine.
        record(r#"{"b":1,"b":2,"a":3}"#, &keys, &mut out).unwrap();
        assert_eq!(out[0].unwrap().get(), "3");
    }

    #[test]
    fn nested_values() {
        let mut out = [Some(raw("1"))];
        object(None, &["a"], &mut out).unwrap();
        assert!(out[0].is_none());
        object(Some(raw("null")), &["a"], &mut out).unwrap();
        assert_eq!(
            object(Some(raw("\"x\"")), &["a"], &mut out)
                .unwrap_err()
                .reason,
            "expected an object, found a string"
        );
        assert!(elements(None).unwrap().is_empty());
        assert!(elements(Some(raw("null"))).unwrap().is_empty());
        assert!(elements(Some(raw("[]"))).unwrap().is_empty());
        assert_eq!(
            elements(Some(raw("{}"))).unwrap_err().reason,
            "expected an array, found an object"
        );
    }

    #[test]
    fn ids() {
        assert_eq!(
            record_id(r#"{"purchase_no":"CG001"}"#, "purchase_no").as_deref(),
            Some("CG001")
        );
        assert_eq!(record_id(r#"{"id":12}"#, "id").as_deref(), Some("12"));
        assert_eq!(
            record_id(r#"{"a":{"b":"北\n"}}"#, "a.b").as_deref(),
            Some("北\n")
        );
        assert_eq!(record_id(r#"{"a":null}"#, "a.b"), None);
        assert_eq!(record_id(r#"{"id":true}"#, "id"), None);
        assert_eq!(record_id(r#"{"id":""}"#, "id"), None);
        assert_eq!(
            record_id(r#"{"id":12.5000}"#, "id").as_deref(),
            Some("12.5000")
        );
        assert_eq!(record_id(r#"{"id":"a","id":"b"}"#, "id"), None);
        assert_eq!(
            record_id(r#"{"o":{"a":{"b":"deep"}}}"#, "o.a.b").as_deref(),
            Some("deep")
        );
        assert_eq!(record_id(r#"{"o":{"a":{"b":"deep"}}}"#, "o.a"), None);
        assert_eq!(record_id(r#"{"id":[1]}"#, "id"), None);
        assert_eq!(id_text(r#""CG\u0030""#).as_deref(), Some("CG0"));
        assert!(matches!(
            id_text(r#""CG1""#),
            Some(std::borrow::Cow::Borrowed("CG1"))
        ));
        assert_eq!(id_text("false"), None);
        assert_eq!(record_id("[", "id"), None);
        assert_eq!(record_id(r#"{"id":"x"}"#, ""), None);
    }

    #[test]
    fn writes_like_serde() {
        #[derive(serde::Serialize)]
        struct Bill {
            #[serde(rename = "FNote")]
            note: String,
            #[serde(rename = "FQty", serialize_with = "ser::dec")]
            qty: Decimal,
            #[serde(
                rename = "FPrice",
                serialize_with = "ser::opt_dec",
                skip_serializing_if = "Option::is_none"
            )]
            price: Option<Decimal>,
            #[serde(rename = "FId")]
            id: i64,
            #[serde(rename = "FOk")]
            ok: bool,
            #[serde(rename = "FList")]
            list: Vec<String>,
        }
        let note = "北京\"仓\"\n\t\u{1}\u{7f}\\/\u{2028}😀";
        let qty: Decimal = crate::dec::parse_dec("10.0000").unwrap();
        let bill = Bill {
            note: note.to_string(),
            qty,
            price: None,
            id: -42,
            ok: true,
            list: vec!["a".into(), "北".into()],
        };
        let by_serde = serde_json::to_vec(&bill).unwrap();
        let mut mine = Vec::new();
        mine.push(b'{');
        write_key(&mut mine, "FNote");
        write_str(&mut mine, note);
        mine.push(b',');
        write_key(&mut mine, "FQty");
        write_dec(&mut mine, &qty);
        mine.push(b',');
        write_key(&mut mine, "FId");
        write_int(&mut mine, -42);
        mine.push(b',');
        write_key(&mut mine, "FOk");
        write_bool(&mut mine, true);
        mine.push(b',');
        write_key(&mut mine, "FList");
        write_list(&mut mine, &["a", "北"]);
        mine.push(b'}');
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(by_serde).unwrap()
        );
        assert!(String::from_utf8(serde_json::to_vec(&bill).unwrap())
            .unwrap()
            .contains(r#""FQty":10.0000,"#));
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut cases: Vec<Decimal> = [
            "0",
            "-0",
            "0.00",
            "-0.00",
            "10.0000",
            "-10.0000",
            "1",
            "-1",
            "0.5",
            "-0.0001",
            "946.9436",
            "123456789012345678901234567.8",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "7922816251426433759354395033.5",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551617",
            "1844674407370955161.6",
        ]
        .iter()
        .map(|t| crate::dec::parse_dec(t).unwrap())
        .collect();
        cases.extend([Decimal::MAX, Decimal::MIN, Decimal::ZERO, Decimal::ONE]);
        for scale in 0..=28 {
            for m in [
                0i128,
                1,
                -1,
                7,
                10,
                12345,
                -99999,
                i64::MAX as i128,
                1 << 70,
                -(1 << 95),
            ] {
                cases.push(Decimal::from_i128_with_scale(m, scale));
            }
        }
        for d in cases {
            let mut out = Vec::new();
            write_dec(&mut out, &d);
            assert_eq!(String::from_utf8(out).unwrap(), d.to_string(), "{d:?}");
            let by_serde = serde_json::to_string(&Wrapped(d)).unwrap();
            assert_eq!(by_serde, d.to_string());
        }
    }

    #[derive(serde::Serialize)]
    struct Wrapped(#[serde(serialize_with = "ser::dec")] Decimal);

    proptest::proptest! {
        #[test]
        fn any_decimal_is_written_as_display_writes_it(
            lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28,
        ) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            let mut out = Vec::new();
            write_dec(&mut out, &d);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), d.to_string());
        }

        #[test]
        fn any_string_is_escaped_as_serde_escapes_it(s in "\\PC*|[\\x00-\\x7f]*") {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            proptest::prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn integers_and_strings_as_serde_writes_them() {
        for i in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            1234567890,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = Vec::new();
            write_int(&mut out, i);
            assert_eq!(out, serde_json::to_vec(&i).unwrap());
        }
        let every_ascii: String = (0u8..=0x7f).map(char::from).collect();
        for s in [
            "",
            "abc",
            "北京\"仓\"\n",
            "\u{2028}😀\\",
            every_ascii.as_str(),
        ] {
            let mut out = b"x".to_vec();
            write_str(&mut out, s);
            assert_eq!(out[1..], serde_json::to_vec(s).unwrap());
        }
    }

    #[test]
    fn strings() {
        assert_eq!(string_text(raw(r#""abc""#)).unwrap(), "abc");
        assert!(matches!(
            string_text(raw(r#""abc""#)).unwrap(),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(string_text(raw(r#""a\"b\u4e2d""#)).unwrap(), "a\"b中");
        assert_eq!(string_text(raw("12")), None);
    }
}
