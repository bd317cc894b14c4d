//! The library that compiled schemes link against.
//!
//! Everything a mapping needs at run time lives here, and nothing else: the
//! scheme metadata the sync engine reads ([`SchemeMeta`]), the [`Mapper`]
//! interface shared by compiled schemes and the interpreter, the error a
//! record fails with ([`MapError`]), and the value functions of the `.map`
//! language (exact decimals, date-times with explicit offsets, text).
//! Both execution paths call the same functions, so they cannot disagree.

pub mod meta;

pub mod dec;
pub mod decode;
pub mod error;
pub mod json;
pub mod lookup;
pub mod raw;
pub mod read;
pub mod scan;
pub mod text;
pub mod time;

pub use meta::{ParamMeta, ParamValue, SchemeMeta, SourceMeta, TargetMeta, WindowMeta};

pub use error::{element_path, fill_path, ValueError};
pub use lookup::{Found, LookupMeta, Lookups, NoLookups, Waiting};
pub use time::check_format;

/// The crates whose types appear in this crate's API, for generated code
/// (`::duijie_maplib::rust_decimal::Decimal`, …).
pub use chrono;
pub use rust_decimal;
pub use serde_json;

use std::borrow::Cow;
use std::fmt;

/// Why one source record could not be turned into a bill.
///
/// A failing record fails alone: the run records this error (a dead letter)
/// and goes on with the next record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MapError {
    /// The scheme that was mapping.
    pub scheme: String,
    /// The record's identity (the scheme's `id` field), when it could be read.
    pub record_id: Option<String>,
    /// The target field being computed, e.g. `FPOOrderEntry[2].FQty`; empty
    /// for an error about the whole record.
    pub target: String,
    /// The source field involved, e.g. `details_list[2].num`; empty when none.
    pub source: String,
    /// What went wrong, for people.
    pub reason: String,
    /// Set when the record waits for base data (a lookup missed) rather
    /// than failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Box<Waiting>>,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.scheme)?;
        if let Some(id) = &self.record_id {
            write!(f, " record {id}")?;
        }
        if !self.target.is_empty() {
            write!(f, ": {}", self.target)?;
        }
        if !self.source.is_empty() {
            write!(f, " <- {}", self.source)?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for MapError {}

/// What mapping one record produced.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// The id and the number borrow from the record's text when they can (a
/// string without escapes), so that a caller that does not keep them pays
/// nothing for them.
pub enum Mapped<'r> {
    /// A bill was appended to the output buffer.
    Bill {
        /// The record's identity: its `id` field by the rule of
        /// [`json::id_text`].
        id: Option<Cow<'r, str>>,
        /// The bill's number: the value written to the target's number
        /// field (`FBillNo`), by the same rule; `None` when the scheme has
        /// no number field or the bill leaves it out.
        number: Option<Cow<'r, str>>,
    },
    /// A record filter (`skip if …`) matched; nothing was appended.
    Skipped {
        /// The record's identity, as for a bill.
        id: Option<Cow<'r, str>>,
        /// The filter that matched, as written in the `.map` file.
        reason: String,
    },
}

/// One scheme, ready to map records: a compiled scheme or the interpreter.
pub trait Mapper: Send + Sync {
    /// The scheme's metadata: source API and request, target form and options.
    fn meta(&self) -> &SchemeMeta;

    /// Maps one source record, given as JSON text, and appends the bill (the
    /// `Model` object, compact JSON) to `out`. On error nothing is appended.
    /// Lookups miss ([`NoLookups`]).
    fn map_record<'r>(&self, record: &'r str, out: &mut Vec<u8>) -> Result<Mapped<'r>, MapError> {
        self.map_record_with(record, out, &NoLookups)
    }

    /// [`Mapper::map_record`], with the scheme's lookups answered by
    /// `lookups`.
    fn map_record_with<'r>(
        &self,
        record: &'r str,
        out: &mut Vec<u8>,
        lookups: &dyn Lookups,
    ) -> Result<Mapped<'r>, MapError>;
}
