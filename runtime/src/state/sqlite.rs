//! The SQLite backend of the state store: one file, `state.db`, in the data
//! directory, in WAL mode.
//!
//! # Durability
//!
//! Every commit survives the process (a crash, `kill -9`): it is in the
//! operating system's hands when the call returns. Surviving the *machine*
//! (power loss, kernel panic) needs the write-ahead log synced to disk,
//! which costs a disk flush — milliseconds — per commit, so only the
//! commits that must survive it are synced (`synchronous = FULL`), the
//! others not (`NORMAL`):
//!
//! - a **claim**, because a bill is sent after it: a claim lost with the
//!   machine would put the bill back as never sent, and a bill that did
//!   reach the target would be sent again;
//! - the **end of a run** (and the recovery at its start), so that what a
//!   command reports is on disk when it exits.
//!
//! The log is replayed in order, so a lost commit takes every later one with
//! it: after a power loss the store is as it was at some commit after the
//! last synced one. Whatever is lost then is recovered without loss or
//! duplicate: pages read are read again (the watermark moves in the same
//! unsynced commits), and outcomes lost leave their bills in flight, to be
//! looked up by number before being sent again — as after a crash.
//!
//! Schema changes are numbered migrations; `PRAGMA user_version` records how
//! many are applied. Times are stored as integer Unix milliseconds (UTC).

use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The migrations, in order. Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE watermarks (
    scheme      TEXT PRIMARY KEY,
    value_ms    BIGINT,
    updated_ms  BIGINT NOT NULL
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    scheme           TEXT NOT NULL,
    kind             TEXT NOT NULL,
    window_start_ms  BIGINT,
    window_end_ms    BIGINT,
    started_ms       BIGINT NOT NULL,
    ended_ms         BIGINT,
    outcome          TEXT NOT NULL,
    error            TEXT,
    n_read           BIGINT NOT NULL DEFAULT 0,
    n_mapped         BIGINT NOT NULL DEFAULT 0,
    n_skipped        BIGINT NOT NULL DEFAULT 0,
    n_unchanged      BIGINT NOT NULL DEFAULT 0,
    n_written        BIGINT NOT NULL DEFAULT 0,
    n_failed         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_scheme ON runs (scheme, id);

-- A window piece: reading -> read -> complete, or abandoned when its
-- runner died while reading it.
CREATE TABLE pieces (
    id            INTEGER PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES runs (id),
    scheme        TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    start_ms      BIGINT NOT NULL,
    end_ms        BIGINT NOT NULL,
    advances      SMALLINT NOT NULL,
    state         TEXT NOT NULL,
    completed_ms  BIGINT
);
CREATE INDEX pieces_by_run ON pieces (run_id, idx);
CREATE INDEX pieces_by_scheme ON pieces (scheme, state);

-- Every source record seen. status: queued | written | skipped | failed.
-- written_hash and target_id stay from the last successful write.
CREATE TABLE records (
    scheme        TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    status        TEXT NOT NULL,
    number        TEXT,
    hash          TEXT,
    written_hash  TEXT,
    target_id     TEXT,
    run_id        BIGINT,
    updated_ms    BIGINT NOT NULL,
    PRIMARY KEY (scheme, record_id)
);
CREATE INDEX records_by_status ON records (scheme, status);

-- The write queue. state: pending | inflight. A row leaves the queue when
-- its outcome is recorded.
CREATE TABLE queue (
    id             INTEGER PRIMARY KEY,
    scheme         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    piece_id       BIGINT,
    number         TEXT,
    bill           TEXT NOT NULL,
    hash           TEXT NOT NULL,
    source_json    TEXT NOT NULL,
    target_id      TEXT,
    state          TEXT NOT NULL,
    verify         SMALLINT NOT NULL DEFAULT 0,
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_ms        BIGINT NOT NULL,
    lease_owner    TEXT,
    lease_expires  BIGINT,
    last_error     TEXT,
    created_ms     BIGINT NOT NULL,
    UNIQUE (scheme, record_id)
);
CREATE INDEX queue_due ON queue (scheme, state, next_ms, id);
CREATE INDEX queue_by_piece ON queue (piece_id);

-- Records that could not be mapped or written. At most one unresolved
-- dead letter per record: a repeat failure updates it.
CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY,
    scheme        TEXT NOT NULL,
    record_id     TEXT,
    stage         TEXT NOT NULL,
    target_field  TEXT NOT NULL,
    source_field  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    source_json   TEXT NOT NULL,
    bill          TEXT,
    hash          TEXT,
    run_id        BIGINT,
    first_ms      BIGINT NOT NULL,
    last_ms       BIGINT NOT NULL,
    occurrences   BIGINT NOT NULL DEFAULT 1,
    resolved_ms   BIGINT,
    resolution    TEXT
);
CREATE INDEX dead_by_record ON dead_letters (scheme, record_id, resolved_ms);
CREATE INDEX dead_open ON dead_letters (scheme, resolved_ms, id);
"#,
    // 2: claims walk due items in id order per state instead of scanning and
    // sorting the whole queue of a scheme (quadratic in the queue's length).
    r#"
CREATE INDEX queue_claim ON queue (scheme, state, id, next_ms, lease_expires);
"#,
];

/// The default store: a SQLite file in the data directory.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Where lock files go; `None` for an in-memory store.
    dir: Option<PathBuf>,
    path: String,
    /// Schemes locked through this handle (in-memory stores).
    memory_locks: Arc<Mutex<HashSet<String>>>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Every statement goes through SQLite's prepared-statement cache: the
/// engine runs the same few dozen statements for every page and batch, and
/// parsing them again each time cost about a quarter of a sync's CPU.
trait Cached {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Statements kept prepared (the store uses fewer).
const STATEMENT_CACHE: usize = 96;

impl SqliteStore {
    /// The database file's name inside the data directory.
    pub const FILE: &'static str = "state.db";

    /// Opens (creating if needed) the store of the data directory `dir`,
    /// applying any pending migrations.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let path = dir.join(Self::FILE);
        let conn = Connection::open(&path)?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            dir: Some(dir.to_path_buf()),
            path: path.display().to_string(),
            memory_locks: Arc::default(),
        };
        store.setup(true)?;
        Ok(store)
    }

    /// Opens an existing store without creating anything (for `status`):
    /// `None` when the data directory has no store yet.
    pub fn open_existing(dir: &Path) -> Result<Option<Self>> {
        if !dir.join(Self::FILE).exists() {
            return Ok(None);
        }
        Self::open(dir).map(Some)
    }

    /// A store in memory (tests).
    pub fn open_in_memory() -> Result<Self> {
        let store = SqliteStore {
            conn: Mutex::new(Connection::open_in_memory()?),
            dir: None,
            path: ":memory:".into(),
            memory_locks: Arc::default(),
        };
        store.setup(false)?;
        Ok(store)
    }

    /// The database file (or `:memory:`).
    pub fn path(&self) -> &str {
        &self.path
    }

    fn setup(&self, file: bool) -> Result<()> {
        let mut conn = self.conn();
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        if file {
            let mode: String = conn.row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(path = %self.path, mode, "state store is not in WAL mode");
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints (copying the log into the database, with two disk
        // flushes) every 10,000 pages (40 MB) rather than SQLite's 1,000:
        // a sync writes and deletes about 8 KB a bill, and checkpoints were
        // a tenth of its time. The log file is cut back after each one.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: every
        // change is inside a transaction that rolls back on drop.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        transact(&mut self.conn(), f)
    }

    /// [`Self::write`], with the commit synced to disk (see the module's
    /// "Durability"): it survives a power loss, and so does every commit
    /// before it.
    fn write_synced<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let result = transact(&mut conn, f);
        let reset = conn.pragma_update(None, "synchronous", "NORMAL");
        let out = result?;
        reset?;
        Ok(out)
    }
}

/// Runs `f` in one write transaction, committed if it succeeds.
fn transact<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| StoreError::Corrupt(format!("time {v}")))
}

fn from_ms_opt(v: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    v.map(from_ms).transpose()
}

struct FileLock {
    _file: std::fs::File,
}

struct MemoryLock {
    scheme: String,
    set: Arc<Mutex<HashSet<String>>>,
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.scheme);
    }
}

/// A file name for a scheme's lock file (scheme names are identifiers, but
/// be safe).
fn lock_file_name(scheme: &str) -> String {
    let clean: String = scheme
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}.lock")
}

/// Bumps a run's counters.
fn count(tx: &Transaction<'_>, run: RunId, c: &Counts) -> Result<()> {
    tx.exec(
        "UPDATE runs SET n_read = n_read + ?1, n_mapped = n_mapped + ?2, n_skipped = n_skipped + ?3,
             n_unchanged = n_unchanged + ?4, n_written = n_written + ?5, n_failed = n_failed + ?6
         WHERE id = ?7",
        params![c.read, c.mapped, c.skipped, c.unchanged, c.written, c.failed, run],
    )?;
    Ok(())
}

/// What the records table says of one record.
struct RecordRow {
    status: String,
    written_hash: Option<String>,
    target_id: Option<String>,
}

fn record_row(tx: &Transaction<'_>, scheme: &str, id: &str) -> Result<Option<RecordRow>> {
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

#[allow(clippy::too_many_arguments)]
fn set_record(
    tx: &Transaction<'_>,
    scheme: &str,
    id: &str,
    status: &str,
    number: Option<&str>,
    hash: Option<&str>,
    run: Option<RunId>,
    now: i64,
) -> Result<()> {
    let n = tx.exec(
        "UPDATE records SET status = ?3, number = COALESCE(?4, number), hash = COALESCE(?5, hash),
             run_id = COALESCE(?6, run_id), updated_ms = ?7
         WHERE scheme = ?1 AND record_id = ?2",
        params![scheme, id, status, number, hash, run, now],
    )?;
    if n == 0 {
        tx.exec(
            "INSERT INTO records (scheme, record_id, status, number, hash, run_id, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![scheme, id, status, number, hash, run, now],
        )?;
    }
    Ok(())
}

/// The unresolved dead letter of a record, with its bill hash.
fn open_dead_letter(
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

fn resolve_dead_letters(
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
struct NewDeadLetter<'a> {
    scheme: &'a str,
    record_id: Option<&'a str>,
    stage: DeadStage,
    target_field: &'a str,
    source_field: &'a str,
    reason: &'a str,
    source_json: &'a str,
    bill: Option<&'a str>,
    hash: Option<&'a str>,
    run: RunId,
}

fn put_dead_letter(tx: &Transaction<'_>, d: &NewDeadLetter<'_>, now: i64) -> Result<()> {
    if let Some(id) = d.record_id {
        // The record's open letter, or the one a retry requeued: a record
        // that fails again keeps its letter (and its id, which `retry --id`
        // users hold), with one more occurrence.
        let existing = match open_dead_letter(tx, d.scheme, id)? {
            Some((dl, _, _)) => Some(dl),
            None => tx
                .row(
                    "SELECT id FROM dead_letters
                     WHERE scheme = ?1 AND record_id = ?2 AND resolution = 'requeued'
                     ORDER BY id DESC LIMIT 1",
                    params![d.scheme, id],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?,
        };
        if let Some(dl) = existing {
            tx.exec(
                "UPDATE dead_letters SET stage = ?2, target_field = ?3, source_field = ?4, reason = ?5,
                     source_json = ?6, bill = ?7, hash = ?8, run_id = ?9, last_ms = ?10,
                     occurrences = occurrences + 1, resolved_ms = NULL, resolution = NULL
                 WHERE id = ?1",
                params![
                    dl,
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
            return Ok(());
        }
    }
    tx.exec(
        "INSERT INTO dead_letters (scheme, record_id, stage, target_field, source_field, reason,
             source_json, bill, hash, run_id, first_ms, last_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
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

/// Completes `piece` if it is fully read and none of its bills is queued,
/// then moves the watermark as far as its run's completed pieces allow.
fn try_complete(tx: &Transaction<'_>, piece: PieceId, now: i64) -> Result<bool> {
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
    let current: Option<Option<i64>> = tx
        .row(
            "SELECT value_ms FROM watermarks WHERE scheme = ?1",
            params![scheme],
            |r| r.get(0),
        )
        .optional()?;
    match current {
        None => {
            tx.exec(
                "INSERT INTO watermarks (scheme, value_ms, updated_ms) VALUES (?1, ?2, ?3)",
                params![scheme, end, now],
            )?;
        }
        Some(v) if v.is_none_or(|v| v < end) => {
            tx.exec(
                "UPDATE watermarks SET value_ms = ?2, updated_ms = ?3 WHERE scheme = ?1",
                params![scheme, end, now],
            )?;
        }
        Some(_) => {}
    }
    Ok(())
}

fn counts_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Counts> {
    Ok(Counts {
        read: r.get(first)?,
        mapped: r.get(first + 1)?,
        skipped: r.get(first + 2)?,
        unchanged: r.get(first + 3)?,
        written: r.get(first + 4)?,
        failed: r.get(first + 5)?,
    })
}

const RUN_COLUMNS: &str =
    "id, scheme, kind, window_start_ms, window_end_ms, started_ms, ended_ms, outcome, error,
     n_read, n_mapped, n_skipped, n_unchanged, n_written, n_failed";

type RawRun = (
    RunId,
    String,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Counts,
);

fn raw_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        counts_from_row(r, 9)?,
    ))
}

fn run_summary(raw: RawRun) -> Result<RunSummary> {
    let (id, scheme, kind, ws, we, started, ended, outcome, error, counts) = raw;
    Ok(RunSummary {
        id,
        scheme,
        kind: RunKind::parse(&kind)?,
        window_start: from_ms_opt(ws)?,
        window_end: from_ms_opt(we)?,
        started_at: from_ms(started)?,
        ended_at: from_ms_opt(ended)?,
        outcome: RunOutcome::parse(&outcome)?,
        error,
        counts,
    })
}

impl Store for SqliteStore {
    fn lock_scheme(&self, scheme: &str) -> Result<SchemeLock> {
        match &self.dir {
            Some(dir) => {
                let locks = dir.join("locks");
                std::fs::create_dir_all(&locks).map_err(|e| io_err(&locks, e))?;
                let path = locks.join(lock_file_name(scheme));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| io_err(&path, e))?;
                match file.try_lock() {
                    Ok(()) => Ok(SchemeLock {
                        _guard: Box::new(FileLock { _file: file }),
                    }),
                    Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy {
                        scheme: scheme.to_string(),
                    }),
                    Err(std::fs::TryLockError::Error(e)) => Err(io_err(&path, e)),
                }
            }
            None => {
                let mut set = self.memory_locks.lock().unwrap_or_else(|e| e.into_inner());
                if !set.insert(scheme.to_string()) {
                    return Err(StoreError::Busy {
                        scheme: scheme.to_string(),
                    });
                }
                Ok(SchemeLock {
                    _guard: Box::new(MemoryLock {
                        scheme: scheme.to_string(),
                        set: self.memory_locks.clone(),
                    }),
                })
            }
        }
    }

    fn recover(&self, scheme: &str, now: DateTime<Utc>) -> Result<i64> {
        let now = ms(now);
        self.write_synced(|tx| {
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
        })
    }

    fn begin_run(&self, scheme: &str, kind: RunKind, now: DateTime<Utc>) -> Result<RunId> {
        self.write(|tx| {
            Ok(tx.row(
                "INSERT INTO runs (scheme, kind, started_ms, outcome) VALUES (?1, ?2, ?3, 'running')
                 RETURNING id",
                params![scheme, kind.as_str(), ms(now)],
                |r| r.get(0),
            )?)
        })
    }

    fn set_run_window(&self, run: RunId, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.exec(
                "UPDATE runs SET window_start_ms = ?2, window_end_ms = ?3 WHERE id = ?1",
                params![run, ms(start), ms(end)],
            )?;
            Ok(())
        })
    }

    fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write_synced(|tx| {
            tx.exec(
                "UPDATE runs SET outcome = ?2, error = ?3, ended_ms = ?4 WHERE id = ?1",
                params![run, outcome.as_str(), error, ms(now)],
            )?;
            Ok(())
        })
    }

    fn watermark(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        let conn = self.conn();
        let v: Option<Option<i64>> = conn
            .row(
                "SELECT value_ms FROM watermarks WHERE scheme = ?1",
                params![scheme],
                |r| r.get(0),
            )
            .optional()?;
        from_ms_opt(v.flatten())
    }

    fn set_watermark(&self, scheme: &str, value: Option<DateTime<Utc>>) -> Result<()> {
        let now = Utc::now().timestamp_millis();
        self.write(|tx| {
            let v = value.map(ms);
            let n = tx.exec(
                "UPDATE watermarks SET value_ms = ?2, updated_ms = ?3 WHERE scheme = ?1",
                params![scheme, v, now],
            )?;
            if n == 0 {
                tx.exec(
                    "INSERT INTO watermarks (scheme, value_ms, updated_ms) VALUES (?1, ?2, ?3)",
                    params![scheme, v, now],
                )?;
            }
            Ok(())
        })
    }

    fn add_piece(
        &self,
        run: RunId,
        scheme: &str,
        index: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        advances: bool,
    ) -> Result<PieceId> {
        self.write(|tx| {
            Ok(tx.row(
                "INSERT INTO pieces (run_id, scheme, idx, start_ms, end_ms, advances, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'reading') RETURNING id",
                params![run, scheme, index, ms(start), ms(end), advances as i64],
                |r| r.get(0),
            )?)
        })
    }

    fn ingest(
        &self,
        run: RunId,
        scheme: &str,
        piece: Option<PieceId>,
        options: IngestOptions,
        records: &[IngestRecord],
        now: DateTime<Utc>,
    ) -> Result<IngestSummary> {
        let now = ms(now);
        self.write(|tx| {
            let mut sum = IngestSummary::default();
            let mut touched_pieces = BTreeSet::new();
            for (index, rec) in records.iter().enumerate() {
                let id = rec.record_id.as_deref();
                let queued: Option<(QueueId, String, String, Option<PieceId>)> = match id {
                    Some(id) => tx
                        .row(
                            "SELECT id, state, hash, piece_id FROM queue WHERE scheme = ?1 AND record_id = ?2",
                            params![scheme, id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                        )
                        .optional()?,
                    None => None,
                };
                if let Some((_, state, qhash, _)) = &queued {
                    let same_bill =
                        matches!(&rec.result, IngestResult::Bill { hash, .. } if hash == qhash);
                    if state == "inflight" && !same_bill {
                        // Another version of the record is being written
                        // right now: its outcome decides what this one
                        // means, so the caller offers it again later.
                        sum.busy.push(index);
                        continue;
                    }
                }
                match &rec.result {
                    IngestResult::Failed {
                        target,
                        source,
                        reason,
                    } => {
                        put_dead_letter(
                            tx,
                            &NewDeadLetter {
                                scheme,
                                record_id: id,
                                stage: DeadStage::Map,
                                target_field: target,
                                source_field: source,
                                reason,
                                source_json: &rec.source_json,
                                bill: None,
                                hash: None,
                                run,
                            },
                            now,
                        )?;
                        if let Some(id) = id {
                            set_record(tx, scheme, id, "failed", None, None, Some(run), now)?;
                        }
                        sum.failed += 1;
                    }
                    IngestResult::Skipped { .. } => {
                        let Some(id) = id else {
                            sum.skipped += 1;
                            continue;
                        };
                        // The newest version says skip: a pending older
                        // version is not written any more.
                        let removed: Option<Option<PieceId>> = tx
                            .row(
                                "DELETE FROM queue WHERE scheme = ?1 AND record_id = ?2 AND state = 'pending'
                                 RETURNING piece_id",
                                params![scheme, id],
                                |r| r.get(0),
                            )
                            .optional()?;
                        if let Some(Some(p)) = removed {
                            touched_pieces.insert(p);
                        }
                        let row = record_row(tx, scheme, id)?;
                        let status = match &row {
                            Some(r) if r.target_id.is_some() => "written",
                            _ => "skipped",
                        };
                        set_record(tx, scheme, id, status, None, None, Some(run), now)?;
                        resolve_dead_letters(tx, scheme, id, "skipped", now)?;
                        sum.skipped += 1;
                    }
                    IngestResult::Bill { bill, number, hash } => {
                        let Some(id) = id else {
                            // The engine gives every bill an id; be safe.
                            put_dead_letter(
                                tx,
                                &NewDeadLetter {
                                    scheme,
                                    record_id: None,
                                    stage: DeadStage::Map,
                                    target_field: "",
                                    source_field: "",
                                    reason: "the record has no id",
                                    source_json: &rec.source_json,
                                    bill: Some(bill),
                                    hash: Some(hash),
                                    run,
                                },
                                now,
                            )?;
                            sum.failed += 1;
                            continue;
                        };
                        if let Some((qid, state, qhash, qpiece)) = queued {
                            if state == "pending" {
                                // Replace the waiting bill with the newest
                                // version; the newest read owns it.
                                tx.exec(
                                    "UPDATE queue SET bill = ?2, hash = ?3, number = ?4, source_json = ?5,
                                         piece_id = COALESCE(?6, piece_id)
                                     WHERE id = ?1",
                                    params![qid, bill, hash, number, rec.source_json, piece],
                                )?;
                                if let (Some(old), Some(new)) = (qpiece, piece) {
                                    if old != new {
                                        touched_pieces.insert(old);
                                    }
                                }
                                set_record(
                                    tx,
                                    scheme,
                                    id,
                                    "queued",
                                    number.as_deref(),
                                    Some(hash),
                                    Some(run),
                                    now,
                                )?;
                            }
                            if qhash == *hash || state != "pending" {
                                sum.unchanged += 1;
                            } else {
                                sum.queued += 1;
                            }
                            continue;
                        }
                        let row = record_row(tx, scheme, id)?;
                        let mut target_id = None;
                        if !options.force {
                            if let Some(row) = &row {
                                if let Some(tid) = &row.target_id {
                                    if options.on_change == OnChange::Skip
                                        || row.written_hash.as_deref() == Some(hash.as_str())
                                    {
                                        sum.unchanged += 1;
                                        continue;
                                    }
                                    target_id = Some(tid.clone());
                                } else if row.status == "failed" {
                                    if let Some((_, Some(dhash), stage)) =
                                        open_dead_letter(tx, scheme, id)?
                                    {
                                        if stage == "write" && dhash == *hash {
                                            // The target rejected this very
                                            // bill: it stays a dead letter
                                            // until someone retries it.
                                            tx.exec(
                                                "UPDATE dead_letters SET occurrences = occurrences + 1, last_ms = ?3
                                                 WHERE scheme = ?1 AND record_id = ?2 AND resolved_ms IS NULL",
                                                params![scheme, id, now],
                                            )?;
                                            sum.failed += 1;
                                            continue;
                                        }
                                    }
                                }
                            }
                        } else if let Some(row) = &row {
                            target_id = row.target_id.clone();
                        }
                        tx.exec(
                            "INSERT INTO queue (scheme, record_id, piece_id, number, bill, hash, source_json,
                                 target_id, state, next_ms, created_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9)",
                            params![
                                scheme,
                                id,
                                piece,
                                number,
                                bill,
                                hash,
                                rec.source_json,
                                target_id,
                                now
                            ],
                        )?;
                        set_record(
                            tx,
                            scheme,
                            id,
                            "queued",
                            number.as_deref(),
                            Some(hash),
                            Some(run),
                            now,
                        )?;
                        resolve_dead_letters(tx, scheme, id, "requeued", now)?;
                        sum.queued += 1;
                    }
                }
            }
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
                },
            )?;
            for p in touched_pieces {
                try_complete(tx, p, now)?;
            }
            Ok(sum)
        })
    }

    fn finish_reading(&self, piece: PieceId, now: DateTime<Utc>) -> Result<bool> {
        let now = ms(now);
        self.write(|tx| {
            tx.exec(
                "UPDATE pieces SET state = 'read' WHERE id = ?1 AND state = 'reading'",
                params![piece],
            )?;
            try_complete(tx, piece, now)
        })
    }

    fn piece_complete(&self, piece: PieceId) -> Result<bool> {
        let conn = self.conn();
        let state: Option<String> = conn
            .row(
                "SELECT state FROM pieces WHERE id = ?1",
                params![piece],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state.as_deref() == Some("complete"))
    }

    fn claim(
        &self,
        scheme: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>> {
        let now = ms(now);
        let expires = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        self.write_synced(|tx| {
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
                .query_map(
                    params![owner, expires, scheme, now, limit as i64],
                    |r| {
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
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            items.sort_by_key(|i| i.id);
            Ok(items)
        })
    }

    fn record_outcomes(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(QueueId, WriteOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now = ms(now);
        self.write(|tx| {
            let mut c = Counts::default();
            let mut pieces = BTreeSet::new();
            for (qid, outcome) in outcomes {
                type Row = (String, Option<PieceId>, Option<String>, String);
                let row: Option<Row> = tx
                    .row(
                        "SELECT record_id, piece_id, number, hash FROM queue WHERE id = ?1 AND scheme = ?2",
                        params![qid, scheme],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let Some((record_id, piece, number, hash)) = row else {
                    tracing::warn!(scheme, queue_id = qid, "outcome for a bill no longer queued");
                    continue;
                };
                match outcome {
                    WriteOutcome::Written { target_id } => {
                        tx.exec("DELETE FROM queue WHERE id = ?1", params![qid])?;
                        set_record(
                            tx,
                            scheme,
                            &record_id,
                            "written",
                            number.as_deref(),
                            Some(&hash),
                            Some(run),
                            now,
                        )?;
                        tx.exec(
                            "UPDATE records SET written_hash = ?3, target_id = ?4
                             WHERE scheme = ?1 AND record_id = ?2",
                            params![scheme, record_id, hash, target_id],
                        )?;
                        resolve_dead_letters(tx, scheme, &record_id, "written", now)?;
                        c.written += 1;
                        if let Some(p) = piece {
                            pieces.insert(p);
                        }
                    }
                    WriteOutcome::Failed { reason } => {
                        // The dead letter keeps the bill and its record.
                        let (bill, source_json): (String, String) = tx.row(
                            "SELECT bill, source_json FROM queue WHERE id = ?1",
                            params![qid],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )?;
                        tx.exec("DELETE FROM queue WHERE id = ?1", params![qid])?;
                        set_record(
                            tx,
                            scheme,
                            &record_id,
                            "failed",
                            number.as_deref(),
                            Some(&hash),
                            Some(run),
                            now,
                        )?;
                        put_dead_letter(
                            tx,
                            &NewDeadLetter {
                                scheme,
                                record_id: Some(&record_id),
                                stage: DeadStage::Write,
                                target_field: "",
                                source_field: "",
                                reason,
                                source_json: &source_json,
                                bill: Some(&bill),
                                hash: Some(&hash),
                                run,
                            },
                            now,
                        )?;
                        c.failed += 1;
                        if let Some(p) = piece {
                            pieces.insert(p);
                        }
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
                    }
                }
            }
            count(tx, run, &c)?;
            for p in pieces {
                try_complete(tx, p, now)?;
            }
            Ok(())
        })
    }

    fn next_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        let conn = self.conn();
        let v: Option<i64> = conn.row(
            "SELECT MIN(next_ms) FROM queue WHERE scheme = ?1 AND state = 'pending'",
            params![scheme],
            |r| r.get(0),
        )?;
        from_ms_opt(v)
    }

    fn due_count(&self, scheme: &str, now: DateTime<Utc>, limit: usize) -> Result<usize> {
        let conn = self.conn();
        let n: i64 = conn.row(
            "SELECT (SELECT COUNT(*) FROM (
                         SELECT 1 FROM queue INDEXED BY queue_claim
                         WHERE scheme = ?1 AND state = 'pending' AND next_ms <= ?2 LIMIT ?3))
                  + (SELECT COUNT(*) FROM (
                         SELECT 1 FROM queue INDEXED BY queue_claim
                         WHERE scheme = ?1 AND state = 'inflight' AND lease_expires < ?2 LIMIT ?3))",
            params![scheme, ms(now), limit as i64],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0).min(limit))
    }

    fn queue_depth(&self, scheme: &str) -> Result<QueueDepth> {
        let conn = self.conn();
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

    fn dead_letters(&self, scheme: &str, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>> {
        let conn = self.conn();
        let limit = if filter.limit == 0 {
            -1
        } else {
            filter.limit as i64
        };
        let mut stmt = conn.prepare_cached(
            "SELECT id, scheme, record_id, stage, target_field, source_field, reason, source_json, bill,
                 first_ms, last_ms, occurrences, run_id
             FROM dead_letters
             WHERE scheme = ?1 AND resolved_ms IS NULL AND (?2 IS NULL OR id = ?2)
             ORDER BY id DESC LIMIT ?3",
        )?;
        type Raw = (
            DeadLetterId,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            i64,
            i64,
            Option<RunId>,
        );
        let raws = stmt
            .query_map(params![scheme, filter.id, limit], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<Raw>>>()?;
        raws.into_iter()
            .map(|r| {
                Ok(DeadLetter {
                    id: r.0,
                    scheme: r.1,
                    record_id: r.2,
                    stage: DeadStage::parse(&r.3)?,
                    target_field: r.4,
                    source_field: r.5,
                    reason: r.6,
                    source_json: r.7,
                    bill: r.8,
                    first_seen: from_ms(r.9)?,
                    last_seen: from_ms(r.10)?,
                    occurrences: r.11,
                    run_id: r.12,
                })
            })
            .collect()
    }

    fn overview(&self, scheme: &str, last_runs: usize) -> Result<SchemeOverview> {
        let watermark = self.watermark(scheme)?;
        let queue = self.queue_depth(scheme)?;
        let conn = self.conn();
        let runs = {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE scheme = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let raws = stmt
                .query_map(params![scheme, last_runs as i64], raw_run)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            raws.into_iter()
                .map(run_summary)
                .collect::<Result<Vec<_>>>()?
        };
        let mut records = RecordTotals::default();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT status, COUNT(*) FROM records WHERE scheme = ?1 GROUP BY status",
            )?;
            let rows = stmt
                .query_map(params![scheme], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (status, n) in rows {
                match status.as_str() {
                    "queued" => records.queued = n,
                    "written" => records.written = n,
                    "skipped" => records.skipped = n,
                    "failed" => records.failed = n,
                    _ => {}
                }
            }
        }
        let dead_letters: i64 = conn.row(
            "SELECT COUNT(*) FROM dead_letters WHERE scheme = ?1 AND resolved_ms IS NULL",
            params![scheme],
            |r| r.get(0),
        )?;
        let top_reasons = {
            let mut stmt = conn.prepare_cached(
                "SELECT stage, target_field, reason, COUNT(*) AS n FROM dead_letters
                 WHERE scheme = ?1 AND resolved_ms IS NULL
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
            rows.into_iter()
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
                .collect()
        };
        Ok(SchemeOverview {
            scheme: scheme.to_string(),
            watermark,
            runs,
            queue,
            records,
            dead_letters,
            top_reasons,
        })
    }

    fn schemes(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT scheme FROM runs UNION SELECT scheme FROM watermarks ORDER BY 1",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    fn record_status(
        &self,
        scheme: &str,
        record_id: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        let conn = self.conn();
        Ok(conn
            .row(
                "SELECT status, target_id FROM records WHERE scheme = ?1 AND record_id = ?2",
                params![scheme, record_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests;
