//! Reading source records for compiled schemes: in one pass, or lazily as
//! the interpreter does.
//!
//! A record is first read in **one pass** with [`crate::scan`] (a strict
//! JSON scanner; objects only where objects are expected, `null` for a
//! missing object or array, each key read once, keys without escapes): the
//! arrays are read as the record is, the values the mapping reads are kept
//! as raw text and everything else is skipped. If that pass rejects the
//! record (not JSON, not an object, an array that is not an array, a key
//! given twice…), the generated `Record::read` reads it **lazily** with
//! [`crate::json`], exactly as the interpreter reads it: arrays and objects
//! are read when the mapping reaches them, so a bad value fails the same
//! field, with the same error, as in the interpreter. On a record the one
//! pass accepts, lazy reading could not fail, so both give the same bill.
//!
//! The generated source structs implement [`Fields`]; this module is the
//! same for every scheme.

use ::std::borrow::Cow;

use crate::scan::{Reject, Scanner};
use crate::ValueError;
use serde_json::value::RawValue;

/// A source struct: the fields of one JSON object that a mapping
/// reads.
pub trait Fields<'a>: Default + Clone {
    /// The field a key (its UTF-8 bytes, as written in the JSON
    /// text) goes to, `None` for a key the mapping does not read.
    fn slot(key: &[u8]) -> Option<usize>;

    /// Reads the value of the key of field `slot` in the one pass
    /// (a key given twice is rejected).
    fn read_field(&mut self, slot: usize, scan: &mut Scanner<'a>) -> Result<(), Reject>;

    /// Reads the object from its raw text when the mapping reaches
    /// it (`duijie_maplib::json::object`).
    fn read_lazy(raw: Option<&'a RawValue>) -> Result<Self, ValueError>;
}

/// An array of objects: read in the one pass, or raw text read
/// when mapped.
#[derive(Clone)]
pub enum Elements<'a, E> {
    Raw(Option<&'a RawValue>),
    Read(Vec<E>),
}

impl<E> Default for Elements<'_, E> {
    fn default() -> Self {
        Elements::Raw(None)
    }
}

impl<'a, E: Fields<'a>> Elements<'a, E> {
    /// Whether the key has not been seen.
    pub fn is_unread(&self) -> bool {
        matches!(self, Elements::Raw(None))
    }

    /// The elements (`duijie_maplib::json::elements` on raw text:
    /// none for a missing or `null` array).
    pub fn get(&self) -> Result<ElementsRef<'_, 'a, E>, ValueError> {
        match self {
            Elements::Raw(raw) => crate::json::elements(*raw).map(ElementsRef::Raw),
            Elements::Read(items) => Ok(ElementsRef::Read(items)),
        }
    }
}

/// The elements of an array, ready to be mapped one by one.
pub enum ElementsRef<'r, 'a, E> {
    Raw(Vec<&'a RawValue>),
    Read(&'r [E]),
}

impl<'r, 'a, E: Fields<'a>> ElementsRef<'r, 'a, E> {
    /// The number of elements.
    pub fn count(&self) -> usize {
        match self {
            ElementsRef::Raw(items) => items.len(),
            ElementsRef::Read(items) => items.len(),
        }
    }

    /// Element `index` (read from its raw text if need be).
    pub fn item(&self, index: usize) -> Result<Cow<'r, E>, ValueError> {
        match self {
            ElementsRef::Raw(items) => E::read_lazy(items.get(index).copied()).map(Cow::Owned),
            ElementsRef::Read(items) => Ok(items
                .get(index)
                .map_or_else(|| Cow::Owned(E::default()), Cow::Borrowed)),
        }
    }
}

/// A nested object: read in the one pass, or raw text read when
/// its block is entered.
#[derive(Clone)]
pub enum Object<'a, O> {
    Raw(Option<&'a RawValue>),
    Read(O),
}

impl<O> Default for Object<'_, O> {
    fn default() -> Self {
        Object::Raw(None)
    }
}

impl<'a, O: Fields<'a>> Object<'a, O> {
    /// Whether the key has not been seen.
    pub fn is_unread(&self) -> bool {
        matches!(self, Object::Raw(None))
    }

    /// The object (a missing or `null` one has all fields missing).
    pub fn get(&self) -> Result<Cow<'_, O>, ValueError> {
        match self {
            Object::Raw(raw) => O::read_lazy(*raw).map(Cow::Owned),
            Object::Read(object) => Ok(Cow::Borrowed(object)),
        }
    }
}

/// Reads a record in one pass: one JSON object, nothing after it.
pub fn record<'a, T: Fields<'a>>(text: &'a str) -> Result<T, Reject> {
    let mut scan = Scanner::new(text);
    scan.begin_object()?;
    let value = fields(&mut scan)?;
    scan.end()?;
    Ok(value)
}

/// The fields of an object entered with `begin_object`, up to
/// its end.
fn fields<'a, T: Fields<'a>>(scan: &mut Scanner<'a>) -> Result<T, Reject> {
    let mut value = T::default();
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        match T::slot(key) {
            Some(slot) => value.read_field(slot, scan)?,
            None => scan.skip()?,
        }
    }
    Ok(value)
}

/// An object value: `null` reads as an object whose fields are
/// all missing.
pub fn object<'a, T: Fields<'a>>(scan: &mut Scanner<'a>) -> Result<T, Reject> {
    if scan.null()? {
        return Ok(T::default());
    }
    scan.begin_object()?;
    fields(scan)
}

/// An array of objects: `null` reads as no elements.
pub fn elements<'a, T: Fields<'a>>(scan: &mut Scanner<'a>) -> Result<Vec<T>, Reject> {
    if scan.null()? {
        return Ok(Vec::new());
    }
    scan.begin_array()?;
    if !scan.next_element(true)? {
        return Ok(Vec::new());
    }
    // JSON text gives no length: room for 8 elements at once
    // rather than growing from 4.
    let mut items = Vec::with_capacity(8);
    loop {
        items.push(object(scan)?);
        if !scan.next_element(false)? {
            return Ok(items);
        }
    }
}
