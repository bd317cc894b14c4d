//! The pieces both readers of JSON share, [`crate::json`] (serde_json) and
//! the one-pass [`crate::scan`]: the raw text of one value ([`Raw`]) and
//! the search for the end of a run of plain string bytes.

use serde_json::value::RawValue;

/// The raw JSON text of one value, borrowed from a record: from a
/// `&RawValue`, or from the one-pass reader of compiled schemes
/// ([`crate::scan`]), which checks the text as serde_json does. What the
/// decoders of [`crate::decode`] take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// `text` must be one JSON value, without whitespace around it.
    pub(crate) fn checked(text: &'a str) -> Raw<'a> {
        Raw(text)
    }

    /// The JSON text.
    pub fn get(self) -> &'a str {
        self.0
    }
}

impl<'a> From<&'a RawValue> for Raw<'a> {
    fn from(raw: &'a RawValue) -> Raw<'a> {
        Raw(raw.get())
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = ONES << 7;

/// The index of the first byte at or after `pos` that ends a run of plain
/// string bytes: `"`, `\` or a control character (or `bytes.len()`).
#[inline(always)]
pub(crate) fn string_stop(bytes: &[u8], mut pos: usize) -> usize {
    // Eight bytes at a time: a byte below 0x20, or equal to `"` or `\`,
    // sets its high bit in `found`; the lowest set bit is the first such
    // byte (a borrow only carries past a byte that is found itself).
    while let Some(chunk) = bytes
        .get(pos..pos + 8)
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let word = u64::from_le_bytes(chunk);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & HIGHS;
        if found != 0 {
            return pos + (found.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            return pos;
        }
        pos += 1;
    }
    pos
}
