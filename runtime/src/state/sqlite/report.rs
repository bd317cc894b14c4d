//! What `duijie status` and `duijie dead-letters` show: queue depths, open
//! dead letters, the overview of a scheme's runs and records, and the
//! status of one record.

use super::runs::watermark;
use super::*;
use rusqlite::{params, Connection, OptionalExtension};

pub(super) fn queue_depth(conn: &Connection, scheme: &str) -> Result<QueueDepth> {
    Ok(conn.row(
        "SELECT
             COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
             COALESCE(SUM(CASE WHEN state = 'inflight' THEN 1 ELSE 0 END), 0),
             COALESCE(SUM(CASE WHEN state = 'pending' AND verify <> 0 THEN 1 ELSE 0 END), 0)
         FROM queue WHERE scheme = ?1",
        params![scheme],
        |r| {
            Ok(QueueDepth {
                pending: r.get(0)?,
                inflight: r.get(1)?,
                to_verify: r.get(2)?,
            })
        },
    )?)
}

pub(super) fn dead_letters(
    conn: &Connection,
    scheme: &str,
    filter: &DeadLetterFilter,
) -> Result<Vec<DeadLetter>> {
    let limit = if filter.limit == 0 {
        -1
    } else {
        filter.limit as i64
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, scheme, record_id, stage, target_field, source_field, reason, source_json, bill,
             first_ms, last_ms, occurrences, run_id, wait_form, wait_by, wait_key
         FROM dead_letters
         WHERE scheme = ?1 AND resolved_ms IS NULL AND (?2 IS NULL OR id = ?2)
             AND (?4 IS NULL OR stage = ?4)
         ORDER BY id DESC LIMIT ?3",
    )?;
    let stage = filter.stage.map(DeadStage::as_str);
    let rows = stmt.query_map(params![scheme, filter.id, limit, stage], |r| {
        Ok(dead_letter(r))
    })?;
    // Each row is read by SQLite, then checked: either can fail.
    rows.map(|row| row?).collect()
}

/// A row of the dead-letter query above.
pub(super) fn dead_letter(r: &rusqlite::Row<'_>) -> Result<DeadLetter> {
    Ok(DeadLetter {
        id: r.get(0)?,
        scheme: r.get(1)?,
        record_id: r.get(2)?,
        stage: DeadStage::parse(&r.get::<_, String>(3)?)?,
        target_field: r.get(4)?,
        source_field: r.get(5)?,
        reason: r.get(6)?,
        source_json: r.get(7)?,
        bill: r.get(8)?,
        first_seen: from_ms(r.get(9)?)?,
        last_seen: from_ms(r.get(10)?)?,
        occurrences: r.get(11)?,
        run_id: r.get(12)?,
        waiting: match (
            r.get::<_, Option<String>>("wait_form")?,
            r.get::<_, Option<String>>("wait_by")?,
            r.get::<_, Option<String>>("wait_key")?,
        ) {
            (Some(form), Some(by), Some(key)) => Some(duijie_maplib::Waiting { form, by, key }),
            _ => None,
        },
    })
}

pub(super) fn overview(
    conn: &Connection,
    scheme: &str,
    last_runs: usize,
) -> Result<SchemeOverview> {
    Ok(SchemeOverview {
        scheme: scheme.to_string(),
        watermark: watermark(conn, scheme)?,
        queue: queue_depth(conn, scheme)?,
        runs: last_runs_of(conn, scheme, last_runs)?,
        records: record_totals(conn, scheme)?,
        dead_letters: conn.row(
            "SELECT COUNT(*) FROM dead_letters
             WHERE scheme = ?1 AND resolved_ms IS NULL AND stage <> 'wait'",
            params![scheme],
            |r| r.get(0),
        )?,
        top_reasons: top_reasons(conn, scheme)?,
        waiting: conn.row(
            "SELECT COUNT(*) FROM dead_letters
             WHERE scheme = ?1 AND resolved_ms IS NULL AND stage = 'wait'",
            params![scheme],
            |r| r.get(0),
        )?,
        top_waiting: top_waiting(conn, scheme)?,
    })
}

pub(super) fn schemes(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT scheme FROM runs UNION SELECT scheme FROM watermarks ORDER BY 1")?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

pub(super) fn record_status(
    conn: &Connection,
    scheme: &str,
    record_id: &str,
) -> Result<Option<(String, Option<String>)>> {
    Ok(conn
        .row(
            "SELECT status, target_id FROM records WHERE scheme = ?1 AND record_id = ?2",
            params![scheme, record_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

const RUN_COLUMNS: &str = "id, scheme, kind, window_start_ms, window_end_ms, started_ms, ended_ms, outcome, error,
     n_read, n_mapped, n_skipped, n_unchanged, n_written, n_failed,
     concurrency_adaptive, write_limit, write_peak, write_overloads, read_limit, read_peak, read_overloads, n_waiting";

/// The runs of `scheme` started at or after `since` (ms), most recent first.
pub(super) fn runs_since(conn: &Connection, scheme: &str, since: i64) -> Result<Vec<RunSummary>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE scheme = ?1 AND started_ms >= ?2 ORDER BY id DESC"
    ))?;
    let rows = stmt.query_map(params![scheme, since], |r| Ok(run_summary(r)))?;
    rows.map(|row| row?).collect()
}

/// One run by id.
pub(super) fn run(conn: &Connection, id: RunId) -> Result<Option<RunSummary>> {
    conn.row(
        &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
        params![id],
        |r| Ok(run_summary(r)),
    )
    .optional()?
    .transpose()
}

/// The counters of every run of `scheme`, added up.
pub(super) fn run_totals(conn: &Connection, scheme: &str) -> Result<Counts> {
    Ok(conn.row(
        "SELECT COALESCE(SUM(n_read), 0), COALESCE(SUM(n_mapped), 0), COALESCE(SUM(n_skipped), 0),
             COALESCE(SUM(n_unchanged), 0), COALESCE(SUM(n_written), 0), COALESCE(SUM(n_failed), 0),
             COALESCE(SUM(n_waiting), 0)
         FROM runs WHERE scheme = ?1",
        params![scheme],
        |r| {
            Ok(Counts {
                read: r.get(0)?,
                mapped: r.get(1)?,
                skipped: r.get(2)?,
                unchanged: r.get(3)?,
                written: r.get(4)?,
                failed: r.get(5)?,
                waiting: r.get(6)?,
            })
        },
    )?)
}

/// The last `n` runs of `scheme`, most recent first.
fn last_runs_of(conn: &Connection, scheme: &str, n: usize) -> Result<Vec<RunSummary>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE scheme = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![scheme, n as i64], |r| Ok(run_summary(r)))?;
    // Each row is read by SQLite, then checked: either can fail.
    rows.map(|row| row?).collect()
}

/// A row of the run query above.
fn run_summary(r: &rusqlite::Row<'_>) -> Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        scheme: r.get(1)?,
        kind: RunKind::parse(&r.get::<_, String>(2)?)?,
        window_start: from_ms_opt(r.get(3)?)?,
        window_end: from_ms_opt(r.get(4)?)?,
        started_at: from_ms(r.get(5)?)?,
        ended_at: from_ms_opt(r.get(6)?)?,
        outcome: RunOutcome::parse(&r.get::<_, String>(7)?)?,
        error: r.get(8)?,
        counts: Counts {
            read: r.get(9)?,
            mapped: r.get(10)?,
            skipped: r.get(11)?,
            unchanged: r.get(12)?,
            written: r.get(13)?,
            failed: r.get(14)?,
            waiting: r.get("n_waiting")?,
        },
        concurrency: match r.get::<_, Option<bool>>(15)? {
            None => None,
            Some(adaptive) => Some(RunConcurrency {
                adaptive,
                write: settled(r, 16)?,
                read: settled(r, 19)?,
            }),
        },
    })
}

/// A limit's three columns from `at`: limit, peak, overloads.
fn settled(r: &rusqlite::Row<'_>, at: usize) -> Result<Settled> {
    Ok(Settled {
        limit: r.get::<_, Option<u32>>(at)?.unwrap_or(1),
        peak: r.get::<_, Option<u32>>(at + 1)?.unwrap_or(1),
        overloads: r
            .get::<_, Option<i64>>(at + 2)?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
    })
}

fn record_totals(conn: &Connection, scheme: &str) -> Result<RecordTotals> {
    let mut stmt = conn
        .prepare_cached("SELECT status, COUNT(*) FROM records WHERE scheme = ?1 GROUP BY status")?;
    let rows = stmt
        .query_map(params![scheme], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut records = RecordTotals::default();
    for (status, n) in rows {
        match status.as_str() {
            "queued" => records.queued = n,
            "written" => records.written = n,
            "skipped" => records.skipped = n,
            "failed" => records.failed = n,
            "waiting" => records.waiting = n,
            _ => {}
        }
    }
    Ok(records)
}

/// The five most frequent reasons of the open dead letters.
fn top_reasons(conn: &Connection, scheme: &str) -> Result<Vec<ReasonCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT stage, target_field, reason, COUNT(*) AS n FROM dead_letters
         WHERE scheme = ?1 AND resolved_ms IS NULL AND stage <> 'wait'
         GROUP BY stage, target_field, reason
         ORDER BY n DESC, reason LIMIT 5",
    )?;
    let rows = stmt
        .query_map(params![scheme], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|(stage, field, reason, n)| {
            let text = if field.is_empty() {
                format!("{stage}: {reason}")
            } else {
                format!("{stage}: {field}: {reason}")
            };
            ReasonCount {
                reason: text,
                count: n,
            }
        })
        .collect())
}

/// The five pieces of base data most waited for by open records.
fn top_waiting(conn: &Connection, scheme: &str) -> Result<Vec<WaitingCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT wait_form, wait_by, wait_key, COUNT(*) AS n FROM dead_letters
         WHERE scheme = ?1 AND resolved_ms IS NULL AND stage = 'wait' AND wait_key IS NOT NULL
         GROUP BY wait_form, wait_by, wait_key
         ORDER BY n DESC, wait_key LIMIT 5",
    )?;
    let rows = stmt.query_map(params![scheme], |r| {
        Ok(WaitingCount {
            waiting: duijie_maplib::Waiting {
                form: r.get(0)?,
                by: r.get(1)?,
                key: r.get(2)?,
            },
            count: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
