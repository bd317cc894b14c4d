//! Saved bills, in memory for the life of the process.
//!
//! Each form keeps its bills in save order with an index by bill number
//! (unique per form, like Kingdee's `FBillNo` rule) and by internal id
//! (`FID`). Ids start at 100001 per form; entry rows get `FEntryID`s from
//! one counter. A bill sent without `FBillNo` is numbered `CGDD000001`,
//! `QTRK000001`, … (Kingdee's default coding rules for the two forms).
//!
//! A bill is stored compactly, as its compact JSON text (parsed again only
//! when read: View, the queries) and a small record of its system fields
//! (id, number, status, create and modify times). The texts of a form are
//! appended to chunks of 1 MiB rather than each allocated apart: a stored
//! bill costs about its text (1–2 KB) where the parsed tree cost ten times
//! more, and hundreds of thousands of long-lived small allocations would
//! fragment the heap and slow every later allocation down. An update (`FID`)
//! appends the merged text; the old one stays in its chunk unused.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::forms::{first_ci_mut, get_ci, set_ci, value_text, FormSpec};

/// The first internal id (`FID`) of each form, and the first `FEntryID`.
const FIRST_ID: i64 = 100_001;

/// The size of a text chunk (a longer text gets a chunk of its own).
const CHUNK: usize = 1 << 20;

/// Where a text is in a form's [`Texts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    chunk: u32,
    start: u32,
    len: u32,
}

/// Append-only text storage: full chunks are shared (`Arc`) so that a
/// snapshot of the bills copies no text but the open chunk's.
#[derive(Debug, Default)]
struct Texts {
    sealed: Vec<Arc<str>>,
    open: String,
    /// The last time stamp stored: bills saved in the same second share it.
    last_stamp: Option<Span>,
}

impl Texts {
    fn push(&mut self, text: &str) -> Span {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        if self.open.len() + text.len() > CHUNK && !self.open.is_empty() {
            self.seal();
        }
        if text.len() > CHUNK {
            self.sealed.push(Arc::from(text));
            return Span {
                chunk: self.open_index().saturating_sub(1),
                start: 0,
                len,
            };
        }
        if self.open.capacity() == 0 {
            self.open.reserve_exact(CHUNK);
        }
        let start = u32::try_from(self.open.len()).unwrap_or(u32::MAX);
        self.open.push_str(text);
        Span {
            chunk: self.open_index(),
            start,
            len,
        }
    }

    /// Stores a time stamp, sharing the last one when equal.
    fn push_stamp(&mut self, stamp: &str) -> Span {
        if let Some(last) = self.last_stamp {
            if self.get(last) == stamp {
                return last;
            }
        }
        let span = self.push(stamp);
        self.last_stamp = Some(span);
        span
    }

    fn open_index(&self) -> u32 {
        u32::try_from(self.sealed.len()).unwrap_or(u32::MAX)
    }

    fn seal(&mut self) {
        self.sealed.push(Arc::from(self.open.as_str()));
        self.open.clear();
    }

    fn get(&self, span: Span) -> &str {
        let chunk = match self.sealed.get(span.chunk as usize) {
            Some(c) => &**c,
            None => self.open.as_str(),
        };
        slice(chunk, span)
    }

    /// Every chunk, the open one copied: indexes as in the spans.
    fn snapshot(&self) -> Vec<Arc<str>> {
        let mut chunks = Vec::with_capacity(self.sealed.len() + 1);
        chunks.extend(self.sealed.iter().cloned());
        chunks.push(Arc::from(self.open.as_str()));
        chunks
    }
}

fn slice(chunk: &str, span: Span) -> &str {
    let start = span.start as usize;
    chunk
        .get(start..start + span.len as usize)
        .unwrap_or_default()
}

/// One stored bill's record; its texts are in the form's [`Texts`].
#[derive(Clone, Copy, Debug)]
struct Rec {
    id: i64,
    /// `FDocumentStatus` `C` (audited) rather than `A` (created, 暂存/创建).
    audited: bool,
    number: Span,
    /// `YYYY-MM-DDTHH:MM:SS` (UTC+8).
    created: Span,
    modified: Span,
    /// The model as sent, dates normalised, with `FID`, `FBillNo`,
    /// `FDocumentStatus` and entry `FEntryID`s filled in, as compact JSON.
    text: Span,
}

/// A stored bill, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bill<'a> {
    pub id: i64,
    pub number: &'a str,
    audited: bool,
    /// `YYYY-MM-DDTHH:MM:SS` (UTC+8).
    pub created: &'a str,
    pub modified: &'a str,
    text: &'a str,
}

impl Bill<'_> {
    /// `FDocumentStatus`: `A` created (暂存/创建), `C` audited.
    pub(crate) fn status(&self) -> &'static str {
        if self.audited {
            "C"
        } else {
            "A"
        }
    }

    /// The stored model: the bill as sent, dates normalised, with `FID`,
    /// `FBillNo`, `FDocumentStatus` and entry `FEntryID`s filled in.
    pub(crate) fn data(&self) -> Map<String, Value> {
        // The text was written from a map: it always parses back to it.
        serde_json::from_str(self.text).unwrap_or_default()
    }

    /// The stored model as compact JSON text.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        self.text
    }

    /// How many rows the array `entry` (exact key) of the stored model has,
    /// without building the model: 0 when it is missing or not an array.
    pub(crate) fn entry_rows(&self, entry: &str) -> usize {
        let mut de = serde_json::Deserializer::from_str(self.text);
        EntryRows(entry).deserialize(&mut de).unwrap_or(0)
    }
}

/// The bills of a form at one moment, in save order.
#[derive(Debug, Default)]
pub(crate) struct Bills {
    recs: Vec<Rec>,
    chunks: Vec<Arc<str>>,
}

impl Bills {
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    pub(crate) fn get(&self, i: usize) -> Option<Bill<'_>> {
        let rec = self.recs.get(i)?;
        let text = |span: Span| {
            self.chunks
                .get(span.chunk as usize)
                .map_or("", |c| slice(c, span))
        };
        Some(Bill {
            id: rec.id,
            number: text(rec.number),
            audited: rec.audited,
            created: text(rec.created),
            modified: text(rec.modified),
            text: text(rec.text),
        })
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Bill<'_>> {
        (0..self.recs.len()).filter_map(|i| self.get(i))
    }
}

/// Serialises `data` compactly and hands the text to `f`.
fn with_stored_text<R>(data: &Map<String, Value>, f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        // One buffer per thread, reused: no growing of a fresh one per bill.
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buf| {
        buf.clear();
        // Serialising a map with string keys into memory cannot fail, and
        // serde_json writes UTF-8.
        let r = match serde_json::to_writer(&mut *buf, data) {
            Ok(()) => f(std::str::from_utf8(buf).unwrap_or("{}")),
            Err(_) => f("{}"),
        };
        if buf.capacity() > CHUNK {
            *buf = Vec::new();
        }
        r
    })
}

/// Counts the rows of one top-level array of a JSON object.
struct EntryRows<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for EntryRows<'_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntryRows<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut rows = 0;
        while let Some(hit) = map.next_key_seed(KeyIs(self.0))? {
            if hit {
                rows = map.next_value_seed(ArrayLen)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(rows)
    }
}

/// Whether a key is the one looked for.
struct KeyIs<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

/// The length of an array; 0 for anything else.
struct ArrayLen;

impl<'de> DeserializeSeed<'de> for ArrayLen {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArrayLen {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(0)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(0)
    }
}

/// What a successful save tells the caller.
#[derive(Debug, PartialEq)]
pub(crate) struct Saved<R> {
    pub id: i64,
    pub number: String,
    /// What the caller's `returned` function made of the stored model.
    pub returned: R,
}

#[derive(Debug, Default)]
struct FormBills {
    /// In save order, which is id order: `recs[i].id == FIRST_ID + i`.
    recs: Vec<Rec>,
    texts: Texts,
    by_number: HashMap<Box<str>, usize>,
    next_id: i64,
    next_auto_number: u64,
}

impl FormBills {
    fn position(&self, id: i64) -> Option<usize> {
        let pos = usize::try_from(id.checked_sub(FIRST_ID)?).ok()?;
        self.recs.get(pos).filter(|r| r.id == id).map(|_| pos)
    }

    fn bill(&self, pos: usize) -> Option<Bill<'_>> {
        let rec = self.recs.get(pos)?;
        Some(Bill {
            id: rec.id,
            number: self.texts.get(rec.number),
            audited: rec.audited,
            created: self.texts.get(rec.created),
            modified: self.texts.get(rec.modified),
            text: self.texts.get(rec.text),
        })
    }

    /// The bill at `pos` alone, copied out.
    fn single(&self, pos: usize) -> Option<Bills> {
        let b = self.bill(pos)?;
        let mut texts = Texts::default();
        let rec = Rec {
            id: b.id,
            audited: b.audited,
            number: texts.push(b.number),
            created: texts.push(b.created),
            modified: texts.push(b.modified),
            text: texts.push(b.text),
        };
        Some(Bills {
            recs: vec![rec],
            chunks: texts.snapshot(),
        })
    }
}

/// Why a bill was not saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// `FBillNo` already used.
    Duplicate(String),
    /// `FID` names no bill.
    NoSuchId(i64),
}

pub(crate) struct BillStore {
    forms: Mutex<HashMap<String, FormBills>>,
    next_entry_id: Mutex<i64>,
}

fn form_key(form: &str) -> String {
    form.to_ascii_uppercase()
}

fn auto_prefix(form: &str) -> &'static str {
    match form_key(form).as_str() {
        "PUR_PURCHASEORDER" => "CGDD",
        "STK_MISCELLANEOUS" => "QTRK",
        _ => "BILL",
    }
}

/// The bill's internal id if it names one (`FID` > 0).
pub(crate) fn bill_fid(data: &Map<String, Value>) -> Option<i64> {
    let v = get_ci(data, "FID")?;
    let n: i64 = value_text(v)?.trim().parse().ok()?;
    (n > 0).then_some(n)
}

impl fmt::Debug for BillStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: HashMap<String, usize> = self
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.recs.len()))
            .collect();
        f.debug_struct("BillStore").field("bills", &counts).finish()
    }
}

impl BillStore {
    pub(crate) fn new() -> Self {
        BillStore {
            forms: Mutex::new(HashMap::new()),
            next_entry_id: Mutex::new(FIRST_ID),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, FormBills>> {
        self.forms.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn assign_entry_ids(&self, spec: &FormSpec, data: &mut Map<String, Value>) {
        let mut next = self.next_entry_id.lock().unwrap_or_else(|e| e.into_inner());
        for entry in spec.entries() {
            if let Some(Value::Array(rows)) = first_ci_mut(data, &entry.name) {
                for row in rows.iter_mut() {
                    if let Value::Object(r) = row {
                        let has_id = get_ci(r, "FEntryID")
                            .and_then(value_text)
                            .and_then(|t| t.parse::<i64>().ok())
                            .is_some_and(|n| n > 0);
                        if !has_id {
                            set_ci(r, "FEntryID", Value::from(*next));
                            *next += 1;
                        }
                    }
                }
            }
        }
    }

    /// Saves one bill (new, or an update of `FID`, whose fields are merged
    /// into the stored ones). `returned` is given the id and the stored
    /// model (after the store's lock is released); its result comes back in
    /// [`Saved::returned`].
    pub(crate) fn save<R>(
        &self,
        spec: &FormSpec,
        mut data: Map<String, Value>,
        audit: bool,
        now: &str,
        returned: impl FnOnce(i64, &Map<String, Value>) -> R,
    ) -> Result<Saved<R>, SaveError> {
        let number_field = spec.number_field.as_str();
        let given_number = get_ci(&data, number_field)
            .and_then(value_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        self.assign_entry_ids(spec, &mut data);
        let mut forms = self.lock();
        let bills = forms
            .entry(form_key(&spec.form_id))
            .or_insert_with(|| FormBills {
                next_id: FIRST_ID,
                next_auto_number: 1,
                ..FormBills::default()
            });

        if let Some(fid) = bill_fid(&data) {
            let Some(pos) = bills.position(fid) else {
                return Err(SaveError::NoSuchId(fid));
            };
            let old = bills.recs[pos];
            let old_number = bills.texts.get(old.number).to_owned();
            let number = given_number.unwrap_or_else(|| old_number.clone());
            if number != old_number && bills.by_number.contains_key(number.as_str()) {
                return Err(SaveError::Duplicate(number));
            }
            let mut merged: Map<String, Value> =
                serde_json::from_str(bills.texts.get(old.text)).unwrap_or_default();
            for (k, v) in data {
                set_ci(&mut merged, k, v);
            }
            set_system_fields(&mut merged, fid, &number, audit, number_field);
            let texts = &mut bills.texts;
            let text = with_stored_text(&merged, |t| texts.push(t));
            let number_span = if number == old_number {
                old.number
            } else {
                texts.push(&number)
            };
            bills.recs[pos] = Rec {
                id: fid,
                audited: audit,
                number: number_span,
                created: old.created,
                modified: texts.push_stamp(now),
                text,
            };
            bills.by_number.remove(old_number.as_str());
            bills.by_number.insert(number.as_str().into(), pos);
            drop(forms);
            let returned = returned(fid, &merged);
            return Ok(Saved {
                id: fid,
                number,
                returned,
            });
        }

        let number = match given_number {
            Some(n) => {
                if bills.by_number.contains_key(n.as_str()) {
                    return Err(SaveError::Duplicate(n));
                }
                n
            }
            None => loop {
                let n = format!(
                    "{}{:06}",
                    auto_prefix(&spec.form_id),
                    bills.next_auto_number
                );
                bills.next_auto_number += 1;
                if !bills.by_number.contains_key(n.as_str()) {
                    break n;
                }
            },
        };
        let id = bills.next_id;
        bills.next_id += 1;
        set_system_fields(&mut data, id, &number, audit, number_field);
        let texts = &mut bills.texts;
        let stamp = texts.push_stamp(now);
        let rec = Rec {
            id,
            audited: audit,
            number: texts.push(&number),
            created: stamp,
            modified: stamp,
            text: with_stored_text(&data, |t| texts.push(t)),
        };
        let pos = bills.recs.len();
        bills.recs.push(rec);
        bills.by_number.insert(number.as_str().into(), pos);
        drop(forms);
        let returned = returned(id, &data);
        Ok(Saved {
            id,
            number,
            returned,
        })
    }

    /// Every bill of `form`, in save order: a snapshot that shares the
    /// stored texts (but copies the last 1 MiB chunk and the records).
    pub(crate) fn all(&self, form: &str) -> Bills {
        self.lock()
            .get(&form_key(form))
            .map(|f| Bills {
                recs: f.recs.clone(),
                chunks: f.texts.snapshot(),
            })
            .unwrap_or_default()
    }

    /// The bill numbers of `form`, in save order.
    pub(crate) fn numbers(&self, form: &str) -> Vec<String> {
        self.lock()
            .get(&form_key(form))
            .map(|f| {
                f.recs
                    .iter()
                    .map(|r| f.texts.get(r.number).to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn count(&self, form: &str) -> usize {
        self.lock().get(&form_key(form)).map_or(0, |f| f.recs.len())
    }

    /// The bill numbered `number`, alone (see [`Bills::get`]).
    pub(crate) fn by_number(&self, form: &str, number: &str) -> Option<Bills> {
        let forms = self.lock();
        let f = forms.get(&form_key(form))?;
        f.single(*f.by_number.get(number)?)
    }

    /// The bill of internal id `id`, alone (see [`Bills::get`]).
    pub(crate) fn by_id(&self, form: &str, id: i64) -> Option<Bills> {
        let forms = self.lock();
        let f = forms.get(&form_key(form))?;
        f.single(f.position(id)?)
    }

    /// Marks bill `id` audited (`FDocumentStatus` C); false when no such bill.
    pub(crate) fn set_audited(&self, form: &str, id: i64) -> bool {
        let mut forms = self.lock();
        let Some(f) = forms.get_mut(&form_key(form)) else {
            return false;
        };
        match f.position(id) {
            Some(pos) => {
                f.recs[pos].audited = true;
                true
            }
            None => false,
        }
    }
}

fn set_system_fields(
    data: &mut Map<String, Value>,
    id: i64,
    number: &str,
    audited: bool,
    number_field: &str,
) {
    set_ci(data, "FID", Value::from(id));
    set_ci(data, number_field, Value::String(number.to_owned()));
    let status = if audited { "C" } else { "A" };
    set_ci(data, "FDocumentStatus", Value::String(status.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> FormSpec {
        FormSpec::builtin().into_iter().next().unwrap()
    }

    fn bill(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    const NOW: &str = "2024-01-02T10:00:00";

    /// Saves, returning the id, the number and the stored model.
    fn save(s: &BillStore, v: Value, audit: bool) -> Result<Saved<Map<String, Value>>, SaveError> {
        s.save(&spec(), bill(v), audit, NOW, |_, data| data.clone())
    }

    #[test]
    fn numbers_are_unique_and_generated() {
        let s = BillStore::new();
        let a = save(
            &s,
            json!({"FBillNo": "CG001", "FPOOrderEntry": [{"FQty": 1}, {"FQty": 2}]}),
            true,
        )
        .unwrap();
        assert_eq!((a.id, a.number.as_str()), (100_001, "CG001"));
        assert_eq!(a.returned["FPOOrderEntry"][1]["FEntryID"], 100_002);
        assert_eq!(a.returned["FDocumentStatus"], "C");
        assert_eq!(
            save(&s, json!({"FBillNo": "CG001"}), false).map(|s| s.id),
            Err(SaveError::Duplicate("CG001".into()))
        );
        let b = save(&s, json!({}), false).unwrap();
        assert_eq!(b.number, "CGDD000001");
        assert_eq!(s.count("pur_purchaseorder"), 2);
        let found = s.by_number("PUR_PurchaseOrder", "CG001").unwrap();
        let stored = found.get(0).unwrap();
        assert_eq!((stored.id, stored.status()), (100_001, "C"));
        assert_eq!(stored.data(), a.returned);
        let found = s.by_id("PUR_PurchaseOrder", 100_002).unwrap();
        assert_eq!(found.get(0).unwrap().number, "CGDD000001");
        assert!(s.by_id("PUR_PurchaseOrder", 100_003).is_none());
        assert!(s.by_id("PUR_PurchaseOrder", 1).is_none());
        assert_eq!(s.numbers("PUR_PURCHASEORDER"), vec!["CG001", "CGDD000001"]);
    }

    #[test]
    fn fid_updates_in_place() {
        let s = BillStore::new();
        let a = save(&s, json!({"FBillNo": "X1", "FNote": "a"}), false).unwrap();
        let b = save(&s, json!({"FID": a.id, "FNote": "b"}), false).unwrap();
        assert_eq!((b.id, b.number.as_str()), (a.id, "X1"));
        assert_eq!(b.returned["FNote"], "b");
        assert_eq!(s.count("PUR_PurchaseOrder"), 1);
        assert_eq!(
            save(&s, json!({"FID": 5}), false).map(|s| s.id),
            Err(SaveError::NoSuchId(5))
        );
    }

    #[test]
    fn an_updated_bill_reads_back_merged() {
        let s = BillStore::new();
        let first: Value = serde_json::from_str(
            r#"{"FBillNo": "X1", "FNote": "a", "FQty": "1.50",
                "FPOOrderEntry": [{"FQty": 1}, {"FQty": 2.000}]}"#,
        )
        .unwrap();
        let a = save(&s, first, false).unwrap();
        let b = s
            .save(
                &spec(),
                bill(json!({"fid": "100001", "fnote": "b", "FBillNo": " X2 ", "FExtra": [1]})),
                true,
                "2024-01-03T11:00:00",
                |id, data| (id, data.clone()),
            )
            .unwrap();
        assert_eq!((b.id, b.number.as_str(), b.returned.0), (a.id, "X2", a.id));
        let found = s.by_id("PUR_PurchaseOrder", a.id).unwrap();
        let stored = found.get(0).unwrap();
        let expected = json!({
            "FID": 100_001, "FBillNo": "X2", "FDocumentStatus": "C", "FNote": "b",
            "FQty": "1.50", "FExtra": [1],
            "FPOOrderEntry": [{"FQty": 1, "FEntryID": 100_001}, {"FQty": 2, "FEntryID": 100_002}]
        });
        let mut expected = expected;
        expected["FPOOrderEntry"][1]["FQty"] = serde_json::from_str("2.000").unwrap();
        assert_eq!(Value::Object(stored.data()), expected);
        assert_eq!(Value::Object(b.returned.1), expected);
        // Numbers keep their text.
        assert!(
            stored.text().contains(r#""FQty":2.000"#),
            "{}",
            stored.text()
        );
        assert_eq!(stored.status(), "C");
        assert_eq!(
            (stored.created, stored.modified),
            (NOW, "2024-01-03T11:00:00")
        );
        // The snapshot of the form reads the same.
        let all = s.all("PUR_PurchaseOrder");
        assert_eq!(all.get(0), Some(stored));
        // The number index follows the new number.
        assert!(s.by_number("PUR_PurchaseOrder", "X1").is_none());
        let found = s.by_number("PUR_PurchaseOrder", "X2").unwrap();
        assert_eq!(found.get(0).unwrap().id, a.id);
        assert_eq!(
            save(&s, json!({"FBillNo": "X1"}), false).unwrap().id,
            100_002
        );
        assert_eq!(
            save(&s, json!({"FID": 100_002, "FBillNo": "X2"}), false).map(|s| s.id),
            Err(SaveError::Duplicate("X2".into()))
        );
    }

    #[test]
    fn entry_rows_are_counted_from_the_text() {
        let s = BillStore::new();
        save(
            &s,
            json!({"FBillNo": "A", "FPOOrderEntry": [{"FQty": 1, "FLink": [{}, {}]}, {"FQty": 2.5}, {}],
                   "FPOOrderFinance": {"FExchangeRate": 6.5}, "FZ": [1, 2, 3, 4]}),
            false,
        )
        .unwrap();
        save(&s, json!({"FBillNo": "B", "FPOOrderEntry": "none"}), false).unwrap();
        save(&s, json!({"FBillNo": "C"}), false).unwrap();
        let rows: Vec<usize> = s
            .all("PUR_PurchaseOrder")
            .iter()
            .map(|b| b.entry_rows("FPOOrderEntry"))
            .collect();
        assert_eq!(rows, vec![3, 0, 0]);
    }

    #[test]
    fn texts_fill_chunks_and_long_ones_get_their_own() {
        let mut t = Texts::default();
        let a = "a".repeat(CHUNK / 2);
        let b = "é".repeat(CHUNK / 4 + 1); // more than half a chunk, in bytes
        let long = "x".repeat(CHUNK + 1);
        let spans = [
            t.push(&a),
            t.push(&b),
            t.push("tail"),
            t.push(&long),
            t.push("next"),
        ];
        // `b` does not fit beside `a`: a new chunk; the long text gets one of
        // its own after sealing the open one; "next" opens another.
        assert_eq!(spans.map(|s| s.chunk), [0, 1, 1, 2, 3]);
        for (span, text) in spans.iter().zip([&*a, &*b, "tail", &*long, "next"]) {
            assert_eq!(t.get(*span), text);
        }
        let chunks = t.snapshot();
        assert_eq!(chunks.len(), 4);
        for (span, text) in spans.iter().zip([&*a, &*b, "tail", &*long, "next"]) {
            assert_eq!(slice(&chunks[span.chunk as usize], *span), text);
        }
        let stamp = t.push_stamp("2024-01-02T10:00:00");
        assert_eq!(t.push_stamp("2024-01-02T10:00:00"), stamp);
        assert_ne!(t.push_stamp("2024-01-02T10:00:01"), stamp);
    }

    #[test]
    fn many_bills_read_back_from_a_snapshot() {
        let s = BillStore::new();
        let note = "备注".repeat(300);
        for i in 0..700 {
            save(
                &s,
                json!({"FBillNo": format!("N{i}"), "FNote": note, "FPOOrderEntry": [{"FQty": i}]}),
                i % 2 == 0,
            )
            .unwrap();
        }
        let all = s.all("PUR_PurchaseOrder");
        assert_eq!(all.len(), 700);
        for (i, b) in all.iter().enumerate() {
            assert_eq!(b.id, 100_001 + i as i64);
            assert_eq!(b.number, format!("N{i}"));
            assert_eq!(b.status(), if i % 2 == 0 { "C" } else { "A" });
            assert_eq!(b.created, NOW);
            let data = b.data();
            assert_eq!(data["FNote"], note.as_str());
            assert_eq!(data["FPOOrderEntry"][0]["FQty"], i);
        }
        // Saving goes on after a snapshot; the snapshot stays as it was.
        save(&s, json!({"FID": 100_001, "FNote": "new"}), false).unwrap();
        assert_eq!(all.get(0).unwrap().data()["FNote"], note.as_str());
        let now = s.all("PUR_PurchaseOrder");
        assert_eq!(now.get(0).unwrap().data()["FNote"], "new");
        assert_eq!(now.get(699).unwrap().number, "N699");
        assert!(now.chunks.len() > 1);
    }
}
