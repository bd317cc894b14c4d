//! The write queue: a record's queued bill, claims of due bills under a
//! lease, the outcomes of their writes, and what is due when.

use super::operate::record_answer;
use super::records::{
    put_dead_letter, resolve_dead_letters, set_record, NewDeadLetter, RecordUpdate,
};
use super::runs::{count, try_complete};
use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::BTreeSet;

/// A record's bill in the queue.
pub(super) struct Queued {
    pub id: QueueId,
    /// `pending` or `inflight`.
    pub state: String,
    pub hash: String,
    pub piece: Option<PieceId>,
}

impl Queued {
    /// Whether a new version of the record, mapped to `result`, must wait:
    /// this bill is being written right now and `result` is not the same
    /// bill, so what it means depends on that write's outcome.
    pub fn busy_for(&self, result: &IngestResult) -> bool {
        let same_bill = matches!(result, IngestResult::Bill { hash, .. } if *hash == self.hash);
        self.state == "inflight" && !same_bill
    }
}

/// The queued bill of record `id`, if any.
pub(super) fn queued(tx: &Transaction<'_>, scheme: &str, id: &str) -> Result<Option<Queued>> {
    Ok(tx
        .row(
            "SELECT id, state, hash, piece_id FROM queue WHERE scheme = ?1 AND record_id = ?2",
            params![scheme, id],
            |r| {
                Ok(Queued {
                    id: r.get(0)?,
                    state: r.get(1)?,
                    hash: r.get(2)?,
                    piece: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Claims up to `limit` due bills of `scheme` for `owner`, until `expires`
/// (see [`Store::claim`]).
pub(super) fn claim(
    tx: &Transaction<'_>,
    scheme: &str,
    owner: &str,
    limit: usize,
    expires: i64,
    now: i64,
) -> Result<Vec<QueueItem>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE queue SET state = 'inflight', lease_owner = ?1, lease_expires = ?2,
             verify = CASE WHEN state = 'inflight' THEN 1 ELSE verify END
         WHERE id IN (
             SELECT id FROM (
                 SELECT id FROM queue INDEXED BY queue_claim
                 WHERE scheme = ?3 AND state = 'pending' AND next_ms <= ?4
                 ORDER BY id LIMIT ?5)
             UNION ALL
             SELECT id FROM (
                 SELECT id FROM queue INDEXED BY queue_claim
                 WHERE scheme = ?3 AND state = 'inflight' AND lease_expires < ?4
                 ORDER BY id LIMIT ?5)
             ORDER BY id LIMIT ?5)
         RETURNING id, record_id, piece_id, number, bill, hash, target_id, verify, attempts",
    )?;
    let mut items = stmt
        .query_map(params![owner, expires, scheme, now, limit as i64], |r| {
            Ok(QueueItem {
                id: r.get(0)?,
                record_id: r.get(1)?,
                piece_id: r.get(2)?,
                number: r.get(3)?,
                bill: r.get(4)?,
                hash: r.get(5)?,
                target_id: r.get(6)?,
                verify: r.get::<_, i64>(7)? != 0,
                attempts: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    items.sort_by_key(|i| i.id);
    Ok(items)
}

/// A claimed bill whose outcome is being recorded.
struct Claimed {
    id: QueueId,
    record_id: String,
    piece: Option<PieceId>,
    number: Option<String>,
    hash: String,
}

impl Claimed {
    fn find(tx: &Transaction<'_>, id: QueueId, scheme: &str) -> Result<Option<Claimed>> {
        Ok(tx
            .row(
                "SELECT record_id, piece_id, number, hash FROM queue WHERE id = ?1 AND scheme = ?2",
                params![id, scheme],
                |r| {
                    Ok(Claimed {
                        id,
                        record_id: r.get(0)?,
                        piece: r.get(1)?,
                        number: r.get(2)?,
                        hash: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Takes the bill off the queue and gives its record `status`.
    fn dequeue(
        &self,
        tx: &Transaction<'_>,
        run: RunId,
        scheme: &str,
        status: &str,
        now: i64,
    ) -> Result<()> {
        tx.exec("DELETE FROM queue WHERE id = ?1", params![self.id])?;
        let update = RecordUpdate {
            status,
            number: self.number.as_deref(),
            hash: Some(&self.hash),
            run: Some(run),
        };
        set_record(tx, scheme, &self.record_id, &update, now)
    }
}

/// Records the outcomes of claimed bills (see [`Store::record_outcomes`]).
pub(super) fn record_outcomes(
    tx: &Transaction<'_>,
    run: RunId,
    scheme: &str,
    outcomes: &[(QueueId, WriteOutcome)],
    now: i64,
) -> Result<()> {
    let mut c = Counts::default();
    let mut pieces = BTreeSet::new();
    for (qid, outcome) in outcomes {
        let Some(item) = Claimed::find(tx, *qid, scheme)? else {
            tracing::warn!(
                scheme,
                queue_id = qid,
                "outcome for a bill no longer queued"
            );
            continue;
        };
        match outcome {
            WriteOutcome::Saved { target_id, then } => {
                super::steps::add(tx, scheme, *qid, target_id, *then, now)?;
                item.dequeue(tx, run, scheme, "written", now)?;
                tx.exec(
                    "UPDATE records SET written_hash = ?3, target_id = ?4
                     WHERE scheme = ?1 AND record_id = ?2",
                    params![scheme, item.record_id, item.hash, target_id],
                )?;
                resolve_dead_letters(tx, scheme, &item.record_id, "written", now)?;
                c.written += 1;
                pieces.extend(item.piece);
            }
            WriteOutcome::Written { target_id } => {
                item.dequeue(tx, run, scheme, "written", now)?;
                tx.exec(
                    "UPDATE records SET written_hash = ?3, target_id = ?4
                     WHERE scheme = ?1 AND record_id = ?2",
                    params![scheme, item.record_id, item.hash, target_id],
                )?;
                resolve_dead_letters(tx, scheme, &item.record_id, "written", now)?;
                c.written += 1;
                pieces.extend(item.piece);
            }
            WriteOutcome::Failed { reason } => {
                // The dead letter keeps the bill and its record.
                let (bill, source_json): (String, rusqlite::types::Value) = tx.row(
                    "SELECT bill, source_json FROM queue WHERE id = ?1",
                    params![qid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let source_json = super::packed::unpack(source_json)?;
                item.dequeue(tx, run, scheme, "failed", now)?;
                record_answer(tx, scheme, &item.record_id, run, "rejected", reason, now)?;
                put_dead_letter(
                    tx,
                    &NewDeadLetter {
                        scheme,
                        record_id: Some(&item.record_id),
                        stage: DeadStage::Write,
                        target_field: "",
                        source_field: "",
                        reason,
                        source_json: &source_json,
                        bill: Some(&bill),
                        hash: Some(&item.hash),
                        run,
                    },
                    now,
                )?;
                c.failed += 1;
                pieces.extend(item.piece);
            }
            WriteOutcome::Retry {
                at,
                verify,
                count_attempt,
                error,
            } => {
                tx.exec(
                    "UPDATE queue SET state = 'pending', lease_owner = NULL, lease_expires = NULL,
                         next_ms = ?2, verify = ?3, attempts = attempts + ?4, last_error = ?5
                     WHERE id = ?1",
                    params![qid, ms(*at), *verify as i64, *count_attempt as i64, error],
                )?;
                // A rate-limit pause is no answer about the bill.
                if *count_attempt {
                    record_answer(tx, scheme, &item.record_id, run, "retry", error, now)?;
                }
            }
        }
    }
    count(tx, run, &c)?;
    for p in pieces {
        try_complete(tx, p, now)?;
    }
    Ok(())
}

pub(super) fn next_due(conn: &Connection, scheme: &str) -> Result<Option<DateTime<Utc>>> {
    let v: Option<i64> = conn.row(
        "SELECT MIN(next_ms) FROM queue WHERE scheme = ?1 AND state = 'pending'",
        params![scheme],
        |r| r.get(0),
    )?;
    from_ms_opt(v)
}

/// How many bills a claim at `now` would get, counting at most `limit`.
pub(super) fn due_count(conn: &Connection, scheme: &str, now: i64, limit: usize) -> Result<usize> {
    let n: i64 = conn.row(
        "SELECT (SELECT COUNT(*) FROM (
                     SELECT 1 FROM queue INDEXED BY queue_claim
                     WHERE scheme = ?1 AND state = 'pending' AND next_ms <= ?2 LIMIT ?3))
              + (SELECT COUNT(*) FROM (
                     SELECT 1 FROM queue INDEXED BY queue_claim
                     WHERE scheme = ?1 AND state = 'inflight' AND lease_expires < ?2 LIMIT ?3))",
        params![scheme, now, limit as i64],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0).min(limit))
}
