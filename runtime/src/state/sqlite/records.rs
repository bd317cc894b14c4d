//! The records table (what became of each source record, the hash and
//! target id of its last write) and the dead letters: the rows that both
//! ingest and write outcomes keep up to date.

use super::*;
use rusqlite::{params, OptionalExtension, Transaction};

/// What the records table says of one record.
pub(super) struct RecordRow {
    pub status: String,
    pub written_hash: Option<String>,
    pub target_id: Option<String>,
}

pub(super) fn record_row(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
) -> Result<Option<RecordRow>> {
    Ok(tx
        .row(
            "SELECT status, written_hash, target_id FROM records WHERE scheme = ?1 AND record_id = ?2",
            params![scheme, id],
            |r| {
                Ok(RecordRow {
                    status: r.get(0)?,
                    written_hash: r.get(1)?,
                    target_id: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// What to set on a record: its status, and what is known of it (the
/// fields left `None` keep their stored value).
pub(super) struct RecordUpdate<'a> {
    pub status: &'a str,
    pub number: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub run: Option<RunId>,
}

/// Sets a record's row (adding it when the record is new).
pub(super) fn set_record(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
    u: &RecordUpdate<'_>,
    now: i64,
) -> Result<()> {
    let values = params![scheme, id, u.status, u.number, u.hash, u.run, now];
    let n = tx.exec(
        "UPDATE records SET status = ?3, number = COALESCE(?4, number), hash = COALESCE(?5, hash),
             run_id = COALESCE(?6, run_id), updated_ms = ?7
         WHERE scheme = ?1 AND record_id = ?2",
        values,
    )?;
    if n == 0 {
        tx.exec(
            "INSERT INTO records (scheme, record_id, status, number, hash, run_id, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            values,
        )?;
    }
    Ok(())
}

/// The unresolved dead letter of a record: its id, bill hash and stage.
pub(super) fn open_dead_letter(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
) -> Result<Option<(DeadLetterId, Option<String>, String)>> {
    Ok(tx
        .row(
            "SELECT id, hash, stage FROM dead_letters
             WHERE scheme = ?1 AND record_id = ?2 AND resolved_ms IS NULL
             ORDER BY id DESC LIMIT 1",
            params![scheme, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Counts one more occurrence of a record's unresolved dead letter.
pub(super) fn repeat_dead_letter(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
    now: i64,
) -> Result<()> {
    tx.exec(
        "UPDATE dead_letters SET occurrences = occurrences + 1, last_ms = ?3
         WHERE scheme = ?1 AND record_id = ?2 AND resolved_ms IS NULL",
        params![scheme, id, now],
    )?;
    Ok(())
}

pub(super) fn resolve_dead_letters(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
    resolution: &str,
    now: i64,
) -> Result<()> {
    tx.exec(
        "UPDATE dead_letters SET resolved_ms = ?3, resolution = ?4
         WHERE scheme = ?1 AND record_id = ?2 AND resolved_ms IS NULL",
        params![scheme, id, now, resolution],
    )?;
    Ok(())
}

/// A dead letter to record (new, or a repeat of the record's open one).
pub(super) struct NewDeadLetter<'a> {
    pub scheme: &'a str,
    pub record_id: Option<&'a str>,
    pub stage: DeadStage,
    pub target_field: &'a str,
    pub source_field: &'a str,
    pub reason: &'a str,
    pub source_json: &'a str,
    pub bill: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub run: RunId,
}

/// Updates the letter `?1` with what `?4`… say of the failure. Takes the
/// same parameters as [`INSERT_DEAD_LETTER`].
const UPDATE_DEAD_LETTER: &str =
    "UPDATE dead_letters SET stage = ?4, target_field = ?5, source_field = ?6, reason = ?7,
         source_json = ?8, bill = ?9, hash = ?10, run_id = ?11, last_ms = ?12,
         occurrences = occurrences + 1, resolved_ms = NULL, resolution = NULL,
         wait_form = NULL, wait_by = NULL, wait_key = NULL
     WHERE id = ?1";

/// Adds a letter for the record `?3` of the scheme `?2`; `?1`, the letter
/// to update, is not used.
const INSERT_DEAD_LETTER: &str =
    "INSERT INTO dead_letters (scheme, record_id, stage, target_field, source_field, reason,
         source_json, bill, hash, run_id, first_ms, last_ms)
     VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";

pub(super) fn put_dead_letter(tx: &Transaction<'_>, d: &NewDeadLetter<'_>, now: i64) -> Result<()> {
    let existing = match d.record_id {
        Some(id) => letter_to_reuse(tx, d.scheme, id)?,
        None => None,
    };
    let sql = match existing {
        Some(_) => UPDATE_DEAD_LETTER,
        None => INSERT_DEAD_LETTER,
    };
    tx.exec(
        sql,
        params![
            existing,
            d.scheme,
            d.record_id,
            d.stage.as_str(),
            d.target_field,
            d.source_field,
            d.reason,
            d.source_json,
            d.bill,
            d.hash,
            d.run,
            now
        ],
    )?;
    Ok(())
}

/// The record's open letter, or the one a retry requeued: a record that
/// fails again keeps its letter (and its id, which `retry --id` users
/// hold), with one more occurrence.
fn letter_to_reuse(tx: &Transaction<'_>, scheme: &str, id: &str) -> Result<Option<DeadLetterId>> {
    if let Some((dl, _, _)) = open_dead_letter(tx, scheme, id)? {
        return Ok(Some(dl));
    }
    Ok(tx
        .row(
            "SELECT id FROM dead_letters
             WHERE scheme = ?1 AND record_id = ?2 AND resolution = 'requeued'
             ORDER BY id DESC LIMIT 1",
            params![scheme, id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?)
}
