//! The steps after a save (Submit, then Audit) of schemes that take them as
//! separate calls: added with the save's outcome, in its transaction, so
//! that a saved bill is never left without its steps; each step's outcome
//! recorded as it comes, so that a run stopped between two steps resumes at
//! the one left.

use super::records::{put_dead_letter, NewDeadLetter};
use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Adds the step `then` for the queued bill `qid`, saved as `target_id`
/// (call before the bill leaves the queue: its bill and record are copied).
pub(super) fn add(
    tx: &Transaction<'_>,
    scheme: &str,
    qid: QueueId,
    target_id: &str,
    then: Step,
    now: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO steps (scheme, record_id, number, target_id, step, bill, hash, source_json,
                            attempts, next_ms, created_ms)
         SELECT scheme, record_id, number, ?3, ?4, bill, hash, source_json, 0, ?5, ?5
         FROM queue WHERE id = ?1 AND scheme = ?2
         ON CONFLICT (scheme, record_id) DO UPDATE SET
             number = excluded.number, target_id = excluded.target_id, step = excluded.step,
             bill = excluded.bill, hash = excluded.hash, source_json = excluded.source_json,
             attempts = 0, next_ms = excluded.next_ms, last_error = NULL",
        params![qid, scheme, target_id, then.as_str(), now],
    )?;
    Ok(())
}

/// Up to `limit` steps of `scheme` due at `now`, oldest first.
pub(super) fn due(
    conn: &Connection,
    scheme: &str,
    limit: usize,
    now: i64,
) -> Result<Vec<StepItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, record_id, number, target_id, step, attempts FROM steps
         WHERE scheme = ?1 AND next_ms <= ?2 ORDER BY next_ms, id LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![scheme, now, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut items = Vec::new();
    for row in rows {
        let (id, record_id, number, target_id, step, attempts) = row?;
        let Some(step) = Step::parse(&step) else {
            return Err(StoreError::Corrupt(format!(
                "step {id} of {scheme} is `{step}`, neither submit nor audit"
            )));
        };
        items.push(StepItem {
            id,
            record_id,
            number,
            target_id,
            step,
            attempts,
        });
    }
    Ok(items)
}

/// Records step outcomes (see [`Store::record_steps`]).
pub(super) fn record(
    tx: &Transaction<'_>,
    run: RunId,
    scheme: &str,
    outcomes: &[(StepId, StepOutcome)],
    now: i64,
) -> Result<()> {
    for (id, outcome) in outcomes {
        let row: Option<(String, String, String, String, String, String)> = tx
            .row(
                "SELECT step, record_id, target_id, bill, hash, source_json FROM steps
                 WHERE id = ?1 AND scheme = ?2",
                params![id, scheme],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((step, record_id, target_id, bill, hash, source_json)) = row else {
            tracing::warn!(scheme, step_id = id, "outcome for a step no longer waiting");
            continue;
        };
        match outcome {
            StepOutcome::Done => match Step::parse(&step).and_then(Step::next) {
                Some(next) => {
                    tx.exec(
                        "UPDATE steps SET step = ?2, attempts = 0, next_ms = ?3, last_error = NULL
                         WHERE id = ?1",
                        params![id, next.as_str(), now],
                    )?;
                }
                None => {
                    tx.exec("DELETE FROM steps WHERE id = ?1", params![id])?;
                }
            },
            StepOutcome::Failed { reason } => {
                tx.exec("DELETE FROM steps WHERE id = ?1", params![id])?;
                let reason =
                    format!("saved (id {target_id}), but its {step} was refused: {reason}");
                put_dead_letter(
                    tx,
                    &NewDeadLetter {
                        scheme,
                        record_id: Some(&record_id),
                        stage: DeadStage::Write,
                        target_field: "",
                        source_field: "",
                        reason: &reason,
                        source_json: &source_json,
                        bill: Some(&bill),
                        hash: Some(&hash),
                        run,
                    },
                    now,
                )?;
                // The record stays written: the bill is in the target.
            }
            StepOutcome::Retry {
                at,
                count_attempt,
                error,
            } => {
                tx.exec(
                    "UPDATE steps SET next_ms = ?2, attempts = attempts + ?3, last_error = ?4
                     WHERE id = ?1",
                    params![id, ms(*at), *count_attempt as i64, error],
                )?;
            }
        }
    }
    Ok(())
}

/// When the next step of `scheme` falls due.
pub(super) fn next_due(conn: &Connection, scheme: &str) -> Result<Option<DateTime<Utc>>> {
    let v: Option<i64> = conn.row(
        "SELECT MIN(next_ms) FROM steps WHERE scheme = ?1",
        params![scheme],
        |r| r.get(0),
    )?;
    from_ms_opt(v)
}
