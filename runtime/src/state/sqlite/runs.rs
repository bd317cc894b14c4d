//! Runs, their window pieces and the watermark: a piece completes when it
//! is fully read and none of its bills is queued, and the watermark moves
//! to the end of the last piece that, with every piece before it, is
//! complete.

use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Closes what a dead runner of `scheme` left (see [`Store::recover`]);
/// returns the number of bills put back.
pub(super) fn recover(tx: &Transaction<'_>, scheme: &str, now: i64) -> Result<i64> {
    tx.exec(
        "UPDATE runs SET outcome = 'interrupted', ended_ms = ?2,
             error = COALESCE(error, 'the process running it stopped')
         WHERE scheme = ?1 AND outcome = 'running'",
        params![scheme, now],
    )?;
    tx.exec(
        "UPDATE pieces SET state = 'abandoned' WHERE scheme = ?1 AND state = 'reading'",
        params![scheme],
    )?;
    let put_back = tx.exec(
        "UPDATE queue SET state = 'pending', verify = 1, lease_owner = NULL, lease_expires = NULL
         WHERE scheme = ?1 AND state = 'inflight'",
        params![scheme],
    )?;
    let pieces = {
        let mut stmt =
            tx.prepare_cached("SELECT id FROM pieces WHERE scheme = ?1 AND state = 'read'")?;
        let rows = stmt
            .query_map(params![scheme], |r| r.get::<_, PieceId>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows
    };
    for p in pieces {
        try_complete(tx, p, now)?;
    }
    Ok(put_back as i64)
}

pub(super) fn begin_run(
    tx: &Transaction<'_>,
    scheme: &str,
    kind: RunKind,
    now: i64,
) -> Result<RunId> {
    Ok(tx.row(
        "INSERT INTO runs (scheme, kind, started_ms, outcome) VALUES (?1, ?2, ?3, 'running')
         RETURNING id",
        params![scheme, kind.as_str(), now],
        |r| r.get(0),
    )?)
}

pub(super) fn set_run_window(tx: &Transaction<'_>, run: RunId, start: i64, end: i64) -> Result<()> {
    tx.exec(
        "UPDATE runs SET window_start_ms = ?2, window_end_ms = ?3 WHERE id = ?1",
        params![run, start, end],
    )?;
    Ok(())
}

pub(super) fn finish_run(
    tx: &Transaction<'_>,
    run: RunId,
    outcome: RunOutcome,
    error: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.exec(
        "UPDATE runs SET outcome = ?2, error = ?3, ended_ms = ?4 WHERE id = ?1",
        params![run, outcome.as_str(), error, now],
    )?;
    Ok(())
}

pub(super) fn set_run_concurrency(
    tx: &Transaction<'_>,
    run: RunId,
    c: &RunConcurrency,
) -> Result<()> {
    tx.exec(
        "UPDATE runs SET concurrency_adaptive = ?2, write_limit = ?3, write_peak = ?4, write_overloads = ?5,
             read_limit = ?6, read_peak = ?7, read_overloads = ?8
         WHERE id = ?1",
        params![
            run,
            c.adaptive,
            c.write.limit,
            c.write.peak,
            c.write.overloads as i64,
            c.read.limit,
            c.read.peak,
            c.read.overloads as i64
        ],
    )?;
    Ok(())
}

/// Where the adaptive limits of the scheme's last run that recorded them
/// settled: (writes, reads).
pub(super) fn last_concurrency(conn: &Connection, scheme: &str) -> Result<Option<(u32, u32)>> {
    Ok(conn
        .row(
            "SELECT write_limit, read_limit FROM runs
             WHERE scheme = ?1 AND concurrency_adaptive = 1 ORDER BY id DESC LIMIT 1",
            params![scheme],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Bumps a run's counters.
pub(super) fn count(tx: &Transaction<'_>, run: RunId, c: &Counts) -> Result<()> {
    tx.exec(
        "UPDATE runs SET n_read = n_read + ?1, n_mapped = n_mapped + ?2, n_skipped = n_skipped + ?3,
             n_unchanged = n_unchanged + ?4, n_written = n_written + ?5, n_failed = n_failed + ?6,
             n_waiting = n_waiting + ?8
         WHERE id = ?7",
        params![c.read, c.mapped, c.skipped, c.unchanged, c.written, c.failed, run, c.waiting],
    )?;
    Ok(())
}

/// The stored watermark of `scheme`: `None` when the scheme has no row, or a
/// row without a value.
fn stored_watermark(conn: &Connection, scheme: &str) -> Result<Option<Option<i64>>> {
    Ok(conn
        .row(
            "SELECT value_ms FROM watermarks WHERE scheme = ?1",
            params![scheme],
            |r| r.get(0),
        )
        .optional()?)
}

pub(super) fn watermark(conn: &Connection, scheme: &str) -> Result<Option<DateTime<Utc>>> {
    from_ms_opt(stored_watermark(conn, scheme)?.flatten())
}

/// Sets the watermark of `scheme` to `value`, whatever it was.
pub(super) fn put_watermark(
    tx: &Transaction<'_>,
    scheme: &str,
    value: Option<i64>,
    now: i64,
) -> Result<()> {
    let values = params![scheme, value, now];
    let n = tx.exec(
        "UPDATE watermarks SET value_ms = ?2, updated_ms = ?3 WHERE scheme = ?1",
        values,
    )?;
    if n == 0 {
        tx.exec(
            "INSERT INTO watermarks (scheme, value_ms, updated_ms) VALUES (?1, ?2, ?3)",
            values,
        )?;
    }
    Ok(())
}

pub(super) fn add_piece(
    tx: &Transaction<'_>,
    run: RunId,
    scheme: &str,
    index: i64,
    start: i64,
    end: i64,
    advances: bool,
) -> Result<PieceId> {
    Ok(tx.row(
        "INSERT INTO pieces (run_id, scheme, idx, start_ms, end_ms, advances, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'reading') RETURNING id",
        params![run, scheme, index, start, end, advances as i64],
        |r| r.get(0),
    )?)
}

/// Marks `piece` as fully read, and completes it if it can be.
pub(super) fn finish_reading(tx: &Transaction<'_>, piece: PieceId, now: i64) -> Result<bool> {
    tx.exec(
        "UPDATE pieces SET state = 'read' WHERE id = ?1 AND state = 'reading'",
        params![piece],
    )?;
    try_complete(tx, piece, now)
}

pub(super) fn piece_complete(conn: &Connection, piece: PieceId) -> Result<bool> {
    let state: Option<String> = conn
        .row(
            "SELECT state FROM pieces WHERE id = ?1",
            params![piece],
            |r| r.get(0),
        )
        .optional()?;
    Ok(state.as_deref() == Some("complete"))
}

/// Completes `piece` if it is fully read and none of its bills is queued,
/// then moves the watermark as far as its run's completed pieces allow.
pub(super) fn try_complete(tx: &Transaction<'_>, piece: PieceId, now: i64) -> Result<bool> {
    let row: Option<(String, RunId)> = tx
        .row(
            "SELECT state, run_id FROM pieces WHERE id = ?1",
            params![piece],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((state, run)) = row else {
        return Ok(false);
    };
    match state.as_str() {
        "complete" => return Ok(true),
        "read" => {}
        _ => return Ok(false),
    }
    let queued: i64 = tx.row(
        "SELECT COUNT(*) FROM queue WHERE piece_id = ?1",
        params![piece],
        |r| r.get(0),
    )?;
    if queued > 0 {
        return Ok(false);
    }
    tx.exec(
        "UPDATE pieces SET state = 'complete', completed_ms = ?2 WHERE id = ?1",
        params![piece, now],
    )?;
    advance_watermark(tx, run, now)?;
    Ok(true)
}

/// Moves the scheme's watermark to the end of the last piece of `run` such
/// that it and every piece before it are complete (never backwards).
fn advance_watermark(tx: &Transaction<'_>, run: RunId, now: i64) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "SELECT scheme, state, advances, end_ms FROM pieces WHERE run_id = ?1 ORDER BY idx",
    )?;
    let rows = stmt
        .query_map(params![run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut target: Option<(String, i64)> = None;
    for (scheme, state, advances, end) in rows {
        if state != "complete" {
            break;
        }
        if advances != 0 {
            target = Some((scheme, end));
        }
    }
    let Some((scheme, end)) = target else {
        return Ok(());
    };
    match stored_watermark(tx, &scheme)? {
        Some(Some(v)) if v >= end => Ok(()),
        _ => put_watermark(tx, &scheme, Some(end), now),
    }
}

/// A daemon starts: its row, beating now.
pub(super) fn daemon_started(
    tx: &Transaction<'_>,
    pid: u32,
    host: &str,
    schemes: &str,
    now: i64,
) -> Result<DaemonId> {
    Ok(tx.row(
        "INSERT INTO daemons (pid, host, schemes, started_ms, beat_ms) VALUES (?1, ?2, ?3, ?4, ?4)
         RETURNING id",
        params![i64::from(pid), host, schemes, now],
        |r| r.get(0),
    )?)
}

/// A daemon's heartbeat, or its stop (`stopped`).
pub(super) fn daemon_beat(
    tx: &Transaction<'_>,
    id: DaemonId,
    now: i64,
    stopped: bool,
) -> Result<()> {
    tx.exec(
        "UPDATE daemons SET beat_ms = ?2, stopped_ms = CASE WHEN ?3 THEN ?2 ELSE stopped_ms END
         WHERE id = ?1",
        params![id, now, stopped],
    )?;
    Ok(())
}

/// The daemons that have not said they stopped, and the last one that did,
/// most recent first.
pub(super) fn daemons(conn: &Connection) -> Result<Vec<DaemonBeat>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, pid, host, schemes, started_ms, beat_ms, stopped_ms FROM daemons
         WHERE stopped_ms IS NULL OR id = (SELECT MAX(id) FROM daemons)
         ORDER BY id DESC LIMIT 20",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, DaemonId>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, pid, host, schemes, started, beat, stopped)| {
            Ok(DaemonBeat {
                id,
                pid,
                host,
                schemes,
                started_at: from_ms(started)?,
                last_beat: from_ms(beat)?,
                stopped_at: from_ms_opt(stopped)?,
            })
        })
        .collect()
}
