//! Putting a page of mapped records in: new or changed bills are queued,
//! skips and mapping failures recorded, re-reads of what is already written
//! (or rejected) counted as unchanged (or failed), and records whose other
//! version is being written left for later.

use super::operate::discarded;
use super::queue::{queued, Queued};
use super::records::{
    open_dead_letter, put_dead_letter, record_row, repeat_dead_letter, resolve_dead_letters,
    set_record, NewDeadLetter, RecordUpdate,
};
use super::runs::{count, try_complete};
use super::*;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::BTreeSet;

/// Stores one page of mapped records (see [`Store::ingest`]).
pub(super) fn ingest(
    tx: &Transaction<'_>,
    run: RunId,
    scheme: &str,
    piece: Option<PieceId>,
    options: IngestOptions,
    records: &[IngestRecord],
    now: i64,
) -> Result<IngestSummary> {
    let mut page = Page {
        tx,
        run,
        scheme,
        piece,
        options,
        now,
        sum: IngestSummary::default(),
        touched_pieces: BTreeSet::new(),
    };
    for (index, rec) in records.iter().enumerate() {
        page.record(index, rec)?;
    }
    let Page {
        sum,
        touched_pieces,
        ..
    } = page;
    count(
        tx,
        run,
        &Counts {
            read: (records.len() - sum.busy.len()) as i64,
            mapped: sum.queued,
            skipped: sum.skipped,
            unchanged: sum.unchanged,
            written: 0,
            failed: sum.failed,
            waiting: sum.waiting,
        },
    )?;
    for p in touched_pieces {
        try_complete(tx, p, now)?;
    }
    Ok(sum)
}

/// One page being stored: what its records share, and what was done.
struct Page<'a> {
    tx: &'a Transaction<'a>,
    run: RunId,
    scheme: &'a str,
    piece: Option<PieceId>,
    options: IngestOptions,
    now: i64,
    sum: IngestSummary,
    /// Pieces that lost a queued bill to this page: they may be complete.
    touched_pieces: BTreeSet<PieceId>,
}

impl Page<'_> {
    /// Stores the record at `index` of the page.
    fn record(&mut self, index: usize, rec: &IngestRecord) -> Result<()> {
        let id = rec.record_id.as_deref();
        let queued = match id {
            Some(id) => queued(self.tx, self.scheme, id)?,
            None => None,
        };
        if queued.as_ref().is_some_and(|q| q.busy_for(&rec.result)) {
            // Another version of the record is being written right now: its
            // outcome decides what this one means, so the caller offers it
            // again later.
            self.sum.busy.push(index);
            return Ok(());
        }
        match &rec.result {
            IngestResult::Failed {
                target,
                source,
                reason,
            } => self.failed(id, rec, target, source, reason),
            IngestResult::Waiting {
                target,
                source,
                reason,
                waiting,
            } => self.waiting(id, rec, target, source, reason, waiting),
            IngestResult::Skipped { .. } => self.skipped(id),
            IngestResult::Bill { bill, number, hash } => {
                let bill = Bill {
                    bill,
                    number: number.as_deref(),
                    hash,
                    source_json: &rec.source_json,
                };
                match id {
                    Some(id) => self.bill(id, &bill, queued),
                    None => self.bill_without_id(&bill),
                }
            }
        }
    }

    /// The record's row, for this run.
    fn set(&self, id: &str, status: &str, number: Option<&str>, hash: Option<&str>) -> Result<()> {
        let update = RecordUpdate {
            status,
            number,
            hash,
            run: Some(self.run),
        };
        set_record(self.tx, self.scheme, id, &update, self.now)
    }

    fn failed(
        &mut self,
        id: Option<&str>,
        rec: &IngestRecord,
        target: &str,
        source: &str,
        reason: &str,
    ) -> Result<()> {
        if let Some(id) = id {
            let discarded =
                record_row(self.tx, self.scheme, id)?.is_some_and(|row| row.status == "discarded");
            if discarded && self.still_discarded(id, "", &rec.source_json)? {
                // The record its operator discarded, failing again.
                self.sum.unchanged += 1;
                return Ok(());
            }
        }
        put_dead_letter(
            self.tx,
            &NewDeadLetter {
                scheme: self.scheme,
                record_id: id,
                stage: DeadStage::Map,
                target_field: target,
                source_field: source,
                reason,
                source_json: &rec.source_json,
                bill: None,
                hash: None,
                run: self.run,
            },
            self.now,
        )?;
        if let Some(id) = id {
            self.set(id, "failed", None, None)?;
        }
        self.sum.failed += 1;
        Ok(())
    }

    /// A record that waits for base data: a dead letter of stage `wait`
    /// naming what it waits for, the record `waiting`; not a failure.
    fn waiting(
        &mut self,
        id: Option<&str>,
        rec: &IngestRecord,
        target: &str,
        source: &str,
        reason: &str,
        waiting: &duijie_maplib::Waiting,
    ) -> Result<()> {
        let Some(id) = id else {
            // Without an id a record cannot be found again: it fails.
            return self.failed(id, rec, target, source, reason);
        };
        let discarded =
            record_row(self.tx, self.scheme, id)?.is_some_and(|row| row.status == "discarded");
        if discarded && self.still_discarded(id, "", &rec.source_json)? {
            self.sum.unchanged += 1;
            return Ok(());
        }
        put_dead_letter(
            self.tx,
            &NewDeadLetter {
                scheme: self.scheme,
                record_id: Some(id),
                stage: DeadStage::Wait,
                target_field: target,
                source_field: source,
                reason,
                source_json: &rec.source_json,
                bill: None,
                hash: None,
                run: self.run,
            },
            self.now,
        )?;
        self.tx.exec(
            "UPDATE dead_letters SET wait_form = ?3, wait_by = ?4, wait_key = ?5
             WHERE scheme = ?1 AND record_id = ?2 AND resolved_ms IS NULL",
            params![self.scheme, id, waiting.form, waiting.by, waiting.key],
        )?;
        self.set(id, "waiting", None, None)?;
        self.sum.waiting += 1;
        Ok(())
    }

    /// Whether a discarded record, read again with the bill `hash` (empty:
    /// none) from `source_json`, is what was discarded: the same source
    /// record or the same bill. A changed record goes through as any new
    /// version does.
    fn still_discarded(&self, id: &str, hash: &str, source_json: &str) -> Result<bool> {
        Ok(match discarded(self.tx, self.scheme, id)? {
            Some((old_hash, old_source)) => {
                old_source == source_json || (!hash.is_empty() && old_hash.as_deref() == Some(hash))
            }
            None => false,
        })
    }

    fn skipped(&mut self, id: Option<&str>) -> Result<()> {
        let Some(id) = id else {
            self.sum.skipped += 1;
            return Ok(());
        };
        // The newest version says skip: a pending older version is not
        // written any more.
        let removed: Option<Option<PieceId>> = self
            .tx
            .row(
                "DELETE FROM queue WHERE scheme = ?1 AND record_id = ?2 AND state = 'pending'
                 RETURNING piece_id",
                params![self.scheme, id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(Some(p)) = removed {
            self.touched_pieces.insert(p);
        }
        let row = record_row(self.tx, self.scheme, id)?;
        let status = match &row {
            Some(r) if r.target_id.is_some() => "written",
            _ => "skipped",
        };
        self.set(id, status, None, None)?;
        resolve_dead_letters(self.tx, self.scheme, id, "skipped", self.now)?;
        self.sum.skipped += 1;
        Ok(())
    }

    /// The engine gives every bill an id; be safe.
    fn bill_without_id(&mut self, b: &Bill<'_>) -> Result<()> {
        put_dead_letter(
            self.tx,
            &NewDeadLetter {
                scheme: self.scheme,
                record_id: None,
                stage: DeadStage::Map,
                target_field: "",
                source_field: "",
                reason: "the record has no id",
                source_json: b.source_json,
                bill: Some(b.bill),
                hash: Some(b.hash),
                run: self.run,
            },
            self.now,
        )?;
        self.sum.failed += 1;
        Ok(())
    }

    fn bill(&mut self, id: &str, b: &Bill<'_>, queued: Option<Queued>) -> Result<()> {
        if let Some(q) = queued {
            return self.bill_already_queued(id, b, q);
        }
        let row = record_row(self.tx, self.scheme, id)?;
        let mut target_id = None;
        if !self.options.force {
            if let Some(row) = &row {
                if let Some(tid) = &row.target_id {
                    if self.options.on_change == OnChange::Skip
                        || row.written_hash.as_deref() == Some(b.hash)
                    {
                        self.sum.unchanged += 1;
                        return Ok(());
                    }
                    target_id = Some(tid.clone());
                } else if row.status == "failed" {
                    if let Some((_, Some(dhash), stage)) =
                        open_dead_letter(self.tx, self.scheme, id)?
                    {
                        if stage == "write" && dhash == b.hash {
                            // The target rejected this very bill: it stays a
                            // dead letter until someone retries it.
                            repeat_dead_letter(self.tx, self.scheme, id, self.now)?;
                            self.sum.failed += 1;
                            return Ok(());
                        }
                    }
                } else if row.status == "discarded"
                    && self.still_discarded(id, b.hash, b.source_json)?
                {
                    // Closed on purpose: the same record or bill is never
                    // sent.
                    self.sum.unchanged += 1;
                    return Ok(());
                }
            }
        } else if let Some(row) = &row {
            target_id = row.target_id.clone();
        }
        self.tx.exec(
            "INSERT INTO queue (scheme, record_id, piece_id, number, bill, hash, source_json,
                 target_id, state, next_ms, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9)",
            params![
                self.scheme,
                id,
                self.piece,
                b.number,
                b.bill,
                b.hash,
                super::packed::pack(b.source_json),
                target_id,
                self.now
            ],
        )?;
        self.set(id, "queued", b.number, Some(b.hash))?;
        resolve_dead_letters(self.tx, self.scheme, id, "requeued", self.now)?;
        self.sum.queued += 1;
        Ok(())
    }

    /// A bill of a record that has one in the queue (not being written, or
    /// this same bill: see [`Queued::busy_for`]).
    fn bill_already_queued(&mut self, id: &str, b: &Bill<'_>, q: Queued) -> Result<()> {
        if q.state == "pending" {
            // Replace the waiting bill with the newest version; the newest
            // read owns it.
            self.tx.exec(
                "UPDATE queue SET bill = ?2, hash = ?3, number = ?4, source_json = ?5,
                     piece_id = COALESCE(?6, piece_id)
                 WHERE id = ?1",
                params![
                    q.id,
                    b.bill,
                    b.hash,
                    b.number,
                    super::packed::pack(b.source_json),
                    self.piece
                ],
            )?;
            if let (Some(old), Some(new)) = (q.piece, self.piece) {
                if old != new {
                    self.touched_pieces.insert(old);
                }
            }
            self.set(id, "queued", b.number, Some(b.hash))?;
        }
        if q.hash == b.hash || q.state != "pending" {
            self.sum.unchanged += 1;
        } else {
            self.sum.queued += 1;
        }
        Ok(())
    }
}

/// A mapped bill, with the source record it came from.
struct Bill<'a> {
    bill: &'a str,
    number: Option<&'a str>,
    hash: &'a str,
    source_json: &'a str,
}
