//! The records of one base-data form, stored compactly.
//!
//! A record is a small fixed-size [`Rec`]: its statuses, its create and
//! modify times (unix seconds; seeded records share the seed's time) and
//! where its texts are. The texts of a record (name, organisations, the
//! form's text fields) are one run of a form-wide text arena, separated by
//! U+001F; the generated materials store none at all: their texts are a
//! pure function of their sequence number, made when read. Internal ids are
//! positions: the record at index `i` has id `100001 + i`. Numbers are
//! found through a hash index, the generated ones by parsing them.

use std::borrow::Cow;
use std::collections::HashMap;

use super::schema::{
    generated_index, generated_material, generated_number, generated_text, Schema, ORG,
};

/// The internal id of a form's first record.
pub(crate) const FIRST_ID: i64 = 100_001;

/// A record's time that is the seed's (see [`super::MasterData`]).
pub(crate) const SEED_TIME: i64 = i64::MIN;

const SEP: char = '\u{1f}';

/// Texts of a record: name, use org, create org, then the schema's texts.
pub(crate) const NAME: usize = 0;
pub(crate) const USE_ORG: usize = 1;
pub(crate) const CREATE_ORG: usize = 2;
/// Index of the schema's first text field.
pub(crate) const FIRST_TEXT: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Texts {
    /// `len` bytes of the arena from `start`.
    Stored { start: usize, len: u32 },
    /// Generated material `n`.
    Generated(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec {
    created: i64,
    modified: i64,
    texts: Texts,
    /// `FDocumentStatus`: `A` created, `B` submitted, `C` audited.
    status: u8,
    /// `FForbidStatus`: `A` usable, `B` forbidden.
    forbid: u8,
}

/// A record to store: number, texts (see [`NAME`]…), statuses, times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewRecord {
    pub number: String,
    /// Name, use org, create org, then the schema's texts, in order.
    pub texts: Vec<String>,
    pub status: u8,
    pub forbid: u8,
    pub created: i64,
    pub modified: i64,
}

/// The records of one form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Table {
    pub schema: &'static Schema,
    recs: Vec<Rec>,
    arena: String,
    /// Stored numbers → position.
    index: HashMap<Box<str>, u32>,
    /// Position of generated material 1, and how many there are.
    generated: Option<(u32, u32)>,
    /// Changes so far (a scan of an unchanged table can be resumed).
    version: u64,
}

impl Table {
    pub(crate) fn new(schema: &'static Schema) -> Self {
        Table {
            schema,
            recs: Vec::new(),
            arena: String::new(),
            index: HashMap::new(),
            generated: None,
            version: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// How many changes the table has had.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// The internal id of the record at `pos`.
    pub(crate) fn id(pos: usize) -> i64 {
        FIRST_ID + pos as i64
    }

    /// The position of internal id `id`.
    pub(crate) fn position(&self, id: i64) -> Option<usize> {
        let pos = usize::try_from(id.checked_sub(FIRST_ID)?).ok()?;
        (pos < self.recs.len()).then_some(pos)
    }

    /// The position of the record numbered `number`.
    /// A stored record wins over a generated one of the same number.
    pub(crate) fn find(&self, number: &str) -> Option<usize> {
        if let Some(p) = self.index.get(number) {
            return Some(*p as usize);
        }
        if let Some((base, count)) = self.generated {
            if let Some(n) = generated_index(number).filter(|n| (1..=count).contains(n)) {
                let pos = (base + n - 1) as usize;
                if self
                    .recs
                    .get(pos)
                    .is_some_and(|r| r.texts == Texts::Generated(n))
                {
                    return Some(pos);
                }
            }
        }
        None
    }

    /// Whether `number` is an audited (C) record not forbidden (A).
    pub(crate) fn usable(&self, number: &str) -> bool {
        self.find(number)
            .and_then(|p| self.recs.get(p))
            .is_some_and(|r| r.status == b'C' && r.forbid == b'A')
    }

    fn store_texts(&mut self, number: &str, texts: &[String]) -> Texts {
        let start = self.arena.len();
        self.arena.push_str(&clean(number));
        for t in texts {
            self.arena.push(SEP);
            self.arena.push_str(&clean(t));
        }
        let len = u32::try_from(self.arena.len() - start).unwrap_or(u32::MAX);
        Texts::Stored { start, len }
    }

    /// Adds a record; its number must not be in use. Returns its position.
    pub(crate) fn push(&mut self, rec: &NewRecord) -> usize {
        let pos = self.recs.len();
        self.version += 1;
        let texts = self.store_texts(&rec.number, &rec.texts);
        self.recs.push(Rec {
            created: rec.created,
            modified: rec.modified,
            texts,
            status: rec.status,
            forbid: rec.forbid,
        });
        self.index.insert(
            rec.number.as_str().into(),
            u32::try_from(pos).unwrap_or(u32::MAX),
        );
        pos
    }

    /// Replaces the record at `pos`; a new number must not be in use.
    pub(crate) fn replace(&mut self, pos: usize, rec: &NewRecord) {
        self.version += 1;
        let old = self.number(pos).into_owned();
        if self.index.get(old.as_str()) == Some(&(pos as u32)) {
            self.index.remove(old.as_str());
        }
        let texts = self.store_texts(&rec.number, &rec.texts);
        if let Some(r) = self.recs.get_mut(pos) {
            *r = Rec {
                created: rec.created,
                modified: rec.modified,
                texts,
                status: rec.status,
                forbid: rec.forbid,
            };
        }
        self.index.insert(
            rec.number.as_str().into(),
            u32::try_from(pos).unwrap_or(u32::MAX),
        );
    }

    /// Sets the status of the record at `pos` (its times stay).
    pub(crate) fn set_status(&mut self, pos: usize, status: u8) {
        self.version += 1;
        if let Some(r) = self.recs.get_mut(pos) {
            r.status = status;
        }
    }

    /// Adds `count` generated materials `M0000001`… (audited, seed time).
    pub(crate) fn push_generated(&mut self, count: u32) {
        self.version += 1;
        let base = u32::try_from(self.recs.len()).unwrap_or(u32::MAX);
        self.recs.reserve(count as usize);
        for n in 1..=count {
            self.recs.push(Rec {
                created: SEED_TIME,
                modified: SEED_TIME,
                texts: Texts::Generated(n),
                status: b'C',
                forbid: b'A',
            });
        }
        // Only one generated run per table.
        self.generated = Some((base, count));
    }

    fn stored(&self, pos: usize) -> Option<Result<&str, u32>> {
        let rec = self.recs.get(pos)?;
        Some(match rec.texts {
            Texts::Stored { start, len } => Ok(self
                .arena
                .get(start..start + len as usize)
                .unwrap_or_default()),
            Texts::Generated(n) => Err(n),
        })
    }

    /// The number of the record at `pos`.
    pub(crate) fn number(&self, pos: usize) -> Cow<'_, str> {
        match self.stored(pos) {
            Some(Ok(s)) => Cow::Borrowed(s.split(SEP).next().unwrap_or_default()),
            Some(Err(n)) => Cow::Owned(generated_number(n)),
            None => Cow::Borrowed(""),
        }
    }

    /// Text `i` of the record at `pos` ([`NAME`], [`USE_ORG`], …).
    pub(crate) fn text(&self, pos: usize, i: usize) -> Cow<'_, str> {
        match self.stored(pos) {
            Some(Ok(s)) => Cow::Borrowed(s.split(SEP).nth(i + 1).unwrap_or_default()),
            Some(Err(n)) => Cow::Owned(match i {
                NAME => generated_material(n).0,
                USE_ORG | CREATE_ORG => ORG.to_owned(),
                i => generated_text(n, i - FIRST_TEXT),
            }),
            None => Cow::Borrowed(""),
        }
    }

    /// Every text of the record at `pos`, as [`NewRecord::texts`] holds them.
    pub(crate) fn texts(&self, pos: usize) -> Vec<String> {
        (0..FIRST_TEXT + self.schema.texts.len())
            .map(|i| self.text(pos, i).into_owned())
            .collect()
    }

    pub(crate) fn status(&self, pos: usize) -> u8 {
        self.recs.get(pos).map_or(b'A', |r| r.status)
    }

    pub(crate) fn forbid(&self, pos: usize) -> u8 {
        self.recs.get(pos).map_or(b'A', |r| r.forbid)
    }

    /// (created, modified), [`SEED_TIME`] for the seed's.
    pub(crate) fn times(&self, pos: usize) -> (i64, i64) {
        self.recs
            .get(pos)
            .map_or((SEED_TIME, SEED_TIME), |r| (r.created, r.modified))
    }

    /// The record at `pos` as a [`NewRecord`] (to change and store again).
    pub(crate) fn record(&self, pos: usize) -> NewRecord {
        let (created, modified) = self.times(pos);
        NewRecord {
            number: self.number(pos).into_owned(),
            texts: self.texts(pos),
            status: self.status(pos),
            forbid: self.forbid(pos),
            created,
            modified,
        }
    }

    /// Numbers of every record findable by its number, in id order.
    pub(crate) fn numbers(&self) -> Vec<String> {
        (0..self.recs.len())
            .filter(|p| {
                let n = self.number(*p);
                !n.is_empty() && self.find(&n) == Some(*p)
            })
            .map(|p| self.number(p).into_owned())
            .collect()
    }
}

/// A text without the separator.
fn clean(s: &str) -> Cow<'_, str> {
    if s.contains(SEP) {
        Cow::Owned(s.replace(SEP, " "))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::schema_of;
    use super::*;

    fn record(number: &str, name: &str) -> NewRecord {
        NewRecord {
            number: number.into(),
            texts: vec![
                name.into(),
                "100".into(),
                "100".into(),
                "规格\u{1f}x".into(),
            ],
            status: b'C',
            forbid: b'A',
            created: SEED_TIME,
            modified: SEED_TIME,
        }
    }

    #[test]
    fn records_are_found_by_number_and_id() {
        let mut t = Table::new(schema_of("BD_MATERIAL").unwrap());
        assert_eq!(t.push(&record("A01", "布")), 0);
        assert_eq!(t.push(&record("A02", "扣")), 1);
        assert_eq!(Table::id(1), 100_002);
        assert_eq!(t.position(100_002), Some(1));
        assert_eq!(t.position(100_003), None);
        assert_eq!(t.find("A02"), Some(1));
        assert_eq!(t.text(1, NAME), "扣");
        assert_eq!(t.text(1, FIRST_TEXT), "规格 x");
        assert_eq!(t.text(1, FIRST_TEXT + 1), "");
        assert!(t.usable("A01"));
        t.set_status(0, b'A');
        assert!(!t.usable("A01"));
        assert_eq!(t.times(0), (SEED_TIME, SEED_TIME));
    }

    #[test]
    fn generated_materials_cost_no_texts() {
        let mut t = Table::new(schema_of("BD_MATERIAL").unwrap());
        t.push(&record("A01", "布"));
        t.push_generated(1000);
        assert_eq!(t.len(), 1001);
        assert!(t.arena.len() < 100);
        assert_eq!(t.find("M0000001"), Some(1));
        assert_eq!(t.find("M0001000"), Some(1000));
        assert_eq!(t.find("M0001001"), None);
        assert_eq!(t.number(1000), "M0001000");
        assert_eq!(t.text(1, USE_ORG), "100");
        assert_eq!(t.text(1, FIRST_TEXT + 3).len(), 13);
        assert!(!t.text(1, NAME).is_empty());
        // Renaming a generated material frees its number.
        let mut r = t.record(1);
        r.number = "RENAMED".into();
        t.replace(1, &r);
        assert_eq!(t.find("M0000001"), None);
        assert_eq!(t.find("RENAMED"), Some(1));
        assert_eq!(t.numbers().len(), 1001);
        // Updating one keeps its number findable (now stored).
        let r = t.record(2);
        t.replace(2, &r);
        assert_eq!(t.find("M0000002"), Some(2));
        assert_eq!(t.numbers()[2], "M0000002");
    }

    #[test]
    fn a_million_generated_materials_are_small() {
        let mut t = Table::new(schema_of("BD_MATERIAL").unwrap());
        t.push_generated(1_000_000);
        assert!(std::mem::size_of::<Rec>() <= 48);
        assert_eq!(t.find("M1000000"), Some(999_999));
        assert!(t.usable("M0500000"));
    }
}
