//! A strict JSON scanner for reading records in one pass.
//!
//! Compiled schemes read a record with a [`Scanner`]: they walk the objects
//! and arrays the mapping reads, take the raw text of the values it reads
//! ([`Scanner::raw`]) and skip everything else ([`Scanner::skip`]). The
//! scanner never says why it stops: any surprise gives [`Reject`], and the
//! caller then reads the record again with [`crate::json`] (serde_json), as
//! the interpreter does, which finds the error and words it.
//!
//! So the scanner must never accept text that serde_json rejects; it may
//! reject text that serde_json accepts (it then only costs the second read).
//! It accepts exactly serde_json's JSON — whitespace ` \n\t\r`, strings
//! without control characters and with valid escapes (`\uXXXX` of any hex
//! value, as serde_json when it skips a string), numbers of JSON's grammar,
//! `true`, `false`, `null` — and rejects on top of that:
//!
//! - keys with escapes in the objects it reads (their keys are compared with
//!   the mapping's as written);
//! - values nested more than [`MAX_DEPTH`] deep.
//!
//! A raw value ([`Scanner::raw`]) is the text of the value without the
//! whitespace around it: what serde_json gives as a `&RawValue` and
//! [`crate::json::record`] as a slot.

use crate::raw::{string_stop, Raw};

/// The scanner gives up on the text: read it with [`crate::json`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject;

/// How deep [`Scanner::skip`] follows nested arrays and objects.
pub const MAX_DEPTH: u32 = 128;

/// A position in one JSON text.
pub struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace; the next byte.
    #[inline]
    fn next_token(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    #[inline]
    fn expect(&mut self, b: u8) -> Result<(), Reject> {
        if self.next_token() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Reject)
        }
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Result<(), Reject> {
        match self.next_token() {
            None => Ok(()),
            Some(_) => Err(Reject),
        }
    }

    /// Takes a `null` if one comes next: `true` when it did.
    #[inline]
    pub fn null(&mut self) -> Result<bool, Reject> {
        if self.next_token() != Some(b'n') {
            return Ok(false);
        }
        self.literal(b"null")?;
        Ok(true)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Reject> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Reject)
        }
    }

    /// Enters an object: `{` must come next.
    pub fn begin_object(&mut self) -> Result<(), Reject> {
        self.expect(b'{')
    }

    /// After `{` (`first`) or a member: `}` (consumed; `false`), or a key
    /// to come (`true`; the position is at its opening quote).
    #[inline(always)]
    fn key_follows(&mut self, first: bool) -> Result<bool, Reject> {
        match self.next_token() {
            Some(b'}') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                if self.next_token() == Some(b'"') {
                    Ok(true)
                } else {
                    Err(Reject)
                }
            }
            Some(b'"') if first => Ok(true),
            _ => Err(Reject),
        }
    }

    /// The next key of the object entered last (its UTF-8 bytes, between
    /// the quotes) and its colon, or `None` at its end (`}` taken). `first`
    /// is true for the first call after [`Scanner::begin_object`]. A key
    /// with escapes is rejected.
    #[inline(always)]
    pub fn next_key(&mut self, first: bool) -> Result<Option<&'a [u8]>, Reject> {
        if !self.key_follows(first)? {
            return Ok(None);
        }
        let start = self.pos + 1;
        let stop = string_stop(self.bytes, start);
        if self.bytes.get(stop) != Some(&b'"') {
            return Err(Reject);
        }
        let key = self.bytes.get(start..stop).ok_or(Reject)?;
        self.pos = stop + 1;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// Enters an array: `[` must come next.
    pub fn begin_array(&mut self) -> Result<(), Reject> {
        self.expect(b'[')
    }

    /// Whether another element of the array entered last comes (its comma
    /// taken), or its end (`]` taken). `first` is true for the first call
    /// after [`Scanner::begin_array`].
    #[inline]
    pub fn next_element(&mut self, first: bool) -> Result<bool, Reject> {
        match self.next_token() {
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if first => Ok(true),
            _ => Err(Reject),
        }
    }

    /// The raw text of the next value, checked (what serde_json takes as a
    /// `&RawValue`: the value without the whitespace around it).
    #[inline]
    pub fn raw(&mut self) -> Result<Raw<'a>, Reject> {
        self.next_token();
        let start = self.pos;
        self.skip()?;
        let text = self.text.get(start..self.pos).ok_or(Reject)?;
        Ok(Raw::checked(text))
    }

    /// Skips the next value, checking that it is JSON.
    #[inline(always)]
    pub fn skip(&mut self) -> Result<(), Reject> {
        // Strings first: most values are.
        if self.next_token() == Some(b'"') {
            self.pos += 1;
            return self.skip_string_rest();
        }
        self.skip_nested(MAX_DEPTH)
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), Reject> {
        match self.next_token() {
            Some(b'"') => {
                self.pos += 1;
                self.skip_string_rest()
            }
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'{') if depth > 0 => {
                self.pos += 1;
                let mut first = true;
                loop {
                    if !self.key_follows(first)? {
                        return Ok(());
                    }
                    first = false;
                    self.pos += 1;
                    self.skip_string_rest()?;
                    self.expect(b':')?;
                    self.skip_nested(depth - 1)?;
                }
            }
            Some(b'[') if depth > 0 => {
                self.pos += 1;
                let mut first = true;
                loop {
                    match self.next_token() {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        Some(b',') if !first => self.pos += 1,
                        Some(_) if first => {}
                        _ => return Err(Reject),
                    }
                    first = false;
                    self.skip_nested(depth - 1)?;
                }
            }
            _ => Err(Reject),
        }
    }

    /// Skips the rest of a string after its opening quote.
    #[inline(always)]
    fn skip_string_rest(&mut self) -> Result<(), Reject> {
        loop {
            let stop = string_stop(self.bytes, self.pos);
            match self.bytes.get(stop) {
                Some(b'"') => {
                    self.pos = stop + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos = stop + 2;
                    match self.bytes.get(stop + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            let hex = self.bytes.get(stop + 2..stop + 6).ok_or(Reject)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Reject);
                            }
                            self.pos = stop + 6;
                        }
                        _ => return Err(Reject),
                    }
                }
                // A control character, or the end of the text.
                _ => return Err(Reject),
            }
        }
    }

    /// Skips a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn skip_number(&mut self) -> Result<(), Reject> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(Reject);
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Reject),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Reject);
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Reject);
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IgnoredAny;

    /// Skips one value and checks the end.
    fn skips(text: &str) -> bool {
        let mut scan = Scanner::new(text);
        scan.skip().and_then(|()| scan.end()).is_ok()
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<IgnoredAny>(text).is_ok()
    }

    #[test]
    fn stops_in_strings() {
        let text = "abcdefghijklmnopqrstuvwxyz\"";
        assert_eq!(string_stop(text.as_bytes(), 0), 26);
        for (i, stop) in [b'"', b'\\', 0x00, 0x1f].into_iter().enumerate() {
            for at in 0..20 {
                let mut bytes = vec![b'a'; 24];
                bytes[at] = stop;
                bytes[at + 1 + i % 2] = b'"';
                assert_eq!(string_stop(&bytes, 0), at, "{stop} at {at}");
            }
        }
        let text = "北京仓 ~\u{7f}é\"";
        assert_eq!(string_stop(text.as_bytes(), 0), text.len() - 1);
    }

    #[test]
    fn agrees_with_serde_json() {
        for text in [
            "{}",
            "[]",
            " { \"a\" : [ 1 , -0.5e+3 , true , false , null , \"x\\n\\u00e9\\ud800\" ] } ",
            r#"{"a":{"b":[{},[],""]}}"#,
            "0",
            "-0",
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "-",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{,}",
            "[,1]",
            "{\"a\" 1}",
            "{\"a\":}",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\t\"",
            "tru",
            "nul",
            "[1 2]",
            "1 2",
            "{\"a\":1}}",
            "\u{a0}1",
            "",
            "\"abc",
        ] {
            assert_eq!(skips(text), serde_accepts(text), "{text:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(!skips(&deep), "deeper than MAX_DEPTH: rejected");
    }

    #[test]
    fn reads_objects() {
        let text = r#" {"a" : "x", "b":[1, {"c":null}] ,"d":{} } "#;
        let mut scan = Scanner::new(text);
        scan.begin_object().unwrap();
        assert_eq!(scan.next_key(true).unwrap(), Some(&b"a"[..]));
        assert_eq!(scan.raw().unwrap().get(), "\"x\"");
        assert_eq!(scan.next_key(false).unwrap(), Some(&b"b"[..]));
        scan.begin_array().unwrap();
        assert!(scan.next_element(true).unwrap());
        assert_eq!(scan.raw().unwrap().get(), "1");
        assert!(scan.next_element(false).unwrap());
        scan.skip().unwrap();
        assert!(!scan.next_element(false).unwrap());
        assert_eq!(scan.next_key(false).unwrap(), Some(&b"d"[..]));
        assert!(!scan.null().unwrap());
        scan.begin_object().unwrap();
        assert_eq!(scan.next_key(true).unwrap(), None);
        assert_eq!(scan.next_key(false).unwrap(), None);
        scan.end().unwrap();

        let mut scan = Scanner::new(r#"{"n\u0075m":1}"#);
        scan.begin_object().unwrap();
        assert_eq!(scan.next_key(true), Err(Reject), "keys with escapes");
        let mut scan = Scanner::new("null x");
        assert!(scan.null().unwrap());
        assert_eq!(scan.end(), Err(Reject));
    }

    /// JSON-like text: valid pieces and the characters that break them.
    fn jsonish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("\"k\"".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\\u00".to_string()),
            Just("\n".to_string()),
            Just("\u{1}".to_string()),
            Just("null".to_string()),
            Just("true".to_string()),
            Just("fals".to_string()),
            Just("北".to_string()),
            "[-+.eE0-9]{1,4}",
            "[a-z\\\\/\"]{1,3}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    fn value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            "\\PC{0,8}".prop_map(serde_json::Value::from),
            "[\\x00-\\x7f]{0,4}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("\\PC{0,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn accepts_what_serde_json_accepts(text in jsonish()) {
            prop_assert_eq!(skips(&text), serde_accepts(&text), "{:?}", text);
        }

        #[test]
        fn accepts_json_and_not_its_mutations(
            v in value(),
            pretty: bool,
            at: prop::sample::Index,
            byte in prop::sample::select(b"{}[],:\" \\0-.eE1tnu\x01".to_vec()),
            edit in 0..3u8,
        ) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            prop_assert!(skips(&text), "{:?}", text);
            let spaced = format!(" \n{text}\t ");
            let raw = Scanner::new(&spaced).raw().map(Raw::get);
            let by_serde = serde_json::from_str::<&serde_json::value::RawValue>(&spaced).unwrap();
            prop_assert_eq!(raw, Ok(by_serde.get()));
            let mut bytes = text.into_bytes();
            let i = at.index(bytes.len() + 1);
            match edit {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => bytes.push(byte),
            }
            if let Ok(text) = String::from_utf8(bytes) {
                prop_assert_eq!(skips(&text), serde_accepts(&text), "{:?}", text);
            }
        }
    }
}
