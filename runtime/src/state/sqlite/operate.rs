//! What operators read and do (see `state::operate`): dead letters with
//! their bill's number and resolution, one in full with the target's
//! answers, discarding one, and the action log.

use super::report::dead_letter;
use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The columns of a dead letter as [`info`] reads them: those of
/// `report::dead_letter`, then the bill's number, the resolution, its time
/// and the note.
const INFO_COLUMNS: &str = "d.id, d.scheme, d.record_id, d.stage, d.target_field, d.source_field,
     d.reason, d.source_json, d.bill, d.first_ms, d.last_ms, d.occurrences, d.run_id,
     r.number, d.resolution, d.resolved_ms, d.note, d.wait_form, d.wait_by, d.wait_key";

fn info(r: &rusqlite::Row<'_>) -> Result<DeadLetterInfo> {
    Ok(DeadLetterInfo {
        letter: dead_letter(r)?,
        number: r.get(13)?,
        resolution: r.get(14)?,
        resolved_at: from_ms_opt(r.get(15)?)?,
        note: r.get(16)?,
    })
}

/// The open dead letters of `scheme` that `q` selects, most recent first.
pub(super) fn list(
    conn: &Connection,
    scheme: &str,
    q: &DeadLetterQuery,
) -> Result<Vec<DeadLetterInfo>> {
    let sql = format!(
        "SELECT {INFO_COLUMNS} FROM dead_letters d
         LEFT JOIN records r ON r.scheme = d.scheme AND r.record_id = d.record_id
         WHERE d.scheme = ?1 AND d.resolved_ms IS NULL AND (?2 IS NULL OR d.last_ms >= ?2)
             AND (d.stage = 'wait') = ?3
         ORDER BY d.id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![scheme, q.since.map(ms), q.waiting], |r| Ok(info(r)))?;
    let mut out = Vec::new();
    for row in rows {
        let d = row??;
        if q.matches_reason(&d.letter) {
            out.push(d);
            if q.limit != 0 && out.len() == q.limit {
                break;
            }
        }
    }
    Ok(out)
}

/// One dead letter, open or not.
fn one(conn: &Connection, id: DeadLetterId) -> Result<Option<DeadLetterInfo>> {
    let sql = format!(
        "SELECT {INFO_COLUMNS} FROM dead_letters d
         LEFT JOIN records r ON r.scheme = d.scheme AND r.record_id = d.record_id
         WHERE d.id = ?1"
    );
    conn.row(&sql, params![id], |r| Ok(info(r)))
        .optional()?
        .transpose()
}

/// One dead letter in full: the letter, the answers of the target to its
/// record's bills, and the actions taken on it.
pub(super) fn detail(conn: &Connection, id: DeadLetterId) -> Result<Option<DeadLetterDetail>> {
    let Some(info) = one(conn, id)? else {
        return Ok(None);
    };
    let answers = match &info.letter.record_id {
        Some(record) => answers(conn, &info.letter.scheme, record)?,
        None => Vec::new(),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACTION_COLUMNS} FROM actions WHERE dead_letter = ?1 ORDER BY id"
    ))?;
    let actions = stmt
        .query_map(params![id], |r| Ok(action(r)))?
        .map(|row| row?)
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(DeadLetterDetail {
        info,
        answers,
        actions,
    }))
}

fn answers(conn: &Connection, scheme: &str, record: &str) -> Result<Vec<Answer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, run_id, outcome, message FROM answers
         WHERE scheme = ?1 AND record_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![scheme, record], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (at, run_id, outcome, message) = row?;
        Ok(Answer {
            at: from_ms(at)?,
            run_id,
            outcome,
            message,
        })
    })
    .collect()
}

/// Keeps one answer of the target to the bill of `record`.
pub(super) fn record_answer(
    tx: &Transaction<'_>,
    scheme: &str,
    record: &str,
    run: RunId,
    outcome: &str,
    message: &str,
    now: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO answers (scheme, record_id, run_id, at_ms, outcome, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![scheme, record, run, now, outcome, message],
    )?;
    Ok(())
}

/// Closes the open dead letter `id` on purpose: it is kept, marked
/// `discarded` with the note, its record too (so that reading the same
/// record again does not bring it back), and the action is logged.
pub(super) fn discard(
    tx: &Transaction<'_>,
    id: DeadLetterId,
    note: &str,
    actor: &str,
    now: i64,
) -> Result<Discard> {
    let Some(found) = one(tx, id)? else {
        return Ok(Discard::NotFound);
    };
    if let Some(resolution) = found.resolution {
        return Ok(Discard::AlreadyResolved(resolution));
    }
    tx.exec(
        "UPDATE dead_letters SET resolved_ms = ?2, resolution = 'discarded', note = ?3
         WHERE id = ?1",
        params![id, now, note],
    )?;
    if let Some(record) = &found.letter.record_id {
        tx.exec(
            "UPDATE records SET status = 'discarded', updated_ms = ?3
             WHERE scheme = ?1 AND record_id = ?2 AND status = 'failed'",
            params![found.letter.scheme, record, now],
        )?;
    }
    log_action(
        tx,
        actor,
        &found.letter.scheme,
        "discard",
        Some(id),
        Some(note),
        now,
    )?;
    match one(tx, id)? {
        Some(info) => Ok(Discard::Discarded(Box::new(info))),
        None => Err(StoreError::Corrupt(format!("dead letter {id} vanished"))),
    }
}

/// What a discarded record left: the bill's hash and the source record of
/// its last discarded dead letter.
pub(super) fn discarded(
    tx: &Transaction<'_>,
    scheme: &str,
    record: &str,
) -> Result<Option<(Option<String>, String)>> {
    Ok(tx
        .row(
            "SELECT hash, source_json FROM dead_letters
             WHERE scheme = ?1 AND record_id = ?2 AND resolution = 'discarded'
             ORDER BY id DESC LIMIT 1",
            params![scheme, record],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub(super) fn log_action(
    tx: &Transaction<'_>,
    actor: &str,
    scheme: &str,
    action: &str,
    dead_letter: Option<DeadLetterId>,
    note: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO actions (at_ms, actor, scheme, action, dead_letter, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now, actor, scheme, action, dead_letter, note],
    )?;
    Ok(())
}

const ACTION_COLUMNS: &str = "id, at_ms, actor, scheme, action, dead_letter, note";

fn action(r: &rusqlite::Row<'_>) -> Result<Action> {
    Ok(Action {
        id: r.get(0)?,
        at: from_ms(r.get(1)?)?,
        actor: r.get(2)?,
        scheme: r.get(3)?,
        action: r.get(4)?,
        dead_letter: r.get(5)?,
        note: r.get(6)?,
    })
}

/// The last `limit` actions (of `scheme`, or of all), most recent first.
pub(super) fn actions(
    conn: &Connection,
    scheme: Option<&str>,
    limit: usize,
) -> Result<Vec<Action>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACTION_COLUMNS} FROM actions WHERE (?1 IS NULL OR scheme = ?1)
         ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![scheme, limit as i64], |r| Ok(action(r)))?;
    rows.map(|row| row?).collect()
}

/// Pauses (`paused`) or resumes `scheme`, logging the action; whether
/// anything changed (pausing a paused scheme does not). A scheme is paused
/// while its last `pause` or `resume` in the action log is a `pause`.
pub(super) fn set_paused(
    tx: &Transaction<'_>,
    scheme: &str,
    paused: bool,
    actor: &str,
    now: i64,
) -> Result<bool> {
    if self::paused(tx, scheme)?.is_some() == paused {
        return Ok(false);
    }
    let action = if paused { "pause" } else { "resume" };
    log_action(tx, actor, scheme, action, None, None, now)?;
    Ok(true)
}

/// Whether (and by whom) `scheme` is paused: its last `pause` or `resume`
/// is a `pause`.
pub(super) fn paused(conn: &Connection, scheme: &str) -> Result<Option<Pause>> {
    conn.row(
        "SELECT action, at_ms, actor FROM actions
         WHERE scheme = ?1 AND action IN ('pause', 'resume') ORDER BY id DESC LIMIT 1",
        params![scheme],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?)),
    )
    .optional()?
    .filter(|(action, _, _)| action == "pause")
    .map(|(_, at, actor)| {
        Ok(Pause {
            scheme: scheme.to_string(),
            at: from_ms(at)?,
            actor,
        })
    })
    .transpose()
}

#[cfg(test)]
#[path = "operate_tests.rs"]
mod tests;
