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
//!
//! # Parts
//!
//! This file holds the store itself: opening it, its connection and its
//! transactions, and the [`Store`] methods, each one transaction that the
//! parts below carry out:
//!
//! - `schema`: the tables, as numbered migrations;
//! - `lock`: one runner per scheme;
//! - `runs`: runs, window pieces and the watermark they move;
//! - `records`: what became of each source record, and its dead letter;
//! - `ingest`: putting a page of mapped records in;
//! - `queue`: claiming bills to write and recording their outcomes;
//! - `report`: what `status` and `dead-letters` show;
//! - `operate`: what operators read and do (`state::operate`).

use super::*;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

mod ingest;
mod lock;
mod lookups;
mod operate;
mod packed;
mod queue;
mod records;
mod report;
mod runs;
mod schema;
mod steps;

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

/// Creates `dir` (and its parents) if missing, readable by its owner only.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the file `path`, empty and readable by its owner only, unless it
/// exists.
fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
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
    ///
    /// The state holds whole source records (names, phone numbers,
    /// addresses): a data directory it creates is the owner's only (0700),
    /// and so is a new state file (0600; SQLite gives its log files the
    /// same mode).
    pub fn open(dir: &Path) -> Result<Self> {
        private_dir(dir).map_err(|e| io_err(dir, e))?;
        let path = dir.join(Self::FILE);
        private_file(&path).map_err(|e| io_err(&path, e))?;
        let shown = path.display().to_string();
        let conn = Connection::open(&path).map_err(|e| StoreError::from(e).at(&shown))?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            dir: Some(dir.to_path_buf()),
            path: shown,
            memory_locks: Arc::default(),
        };
        // Another process opening the same new store (a daemon and
        // `status`) can hold it while it turns on WAL or migrates, and
        // SQLite answers "busy" at once there rather than waiting: try
        // again for a while.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match store.setup(true) {
                Ok(()) => return Ok(store),
                Err(StoreError::Sqlite {
                    error: rusqlite::Error::SqliteFailure(f, _),
                    ..
                }) if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e.at(&store.path)),
            }
        }
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
        schema::migrate(&mut conn, &self.path)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: every
        // change is inside a transaction that rolls back on drop.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        transact(&mut self.conn(), f).map_err(|e| e.at(&self.path))
    }

    /// Runs `f` on the connection (reads); errors name the file.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.conn()).map_err(|e| e.at(&self.path))
    }

    /// [`Self::write`], with the commit synced to disk (see the module's
    /// "Durability"): it survives a power loss, and so does every commit
    /// before it.
    fn write_synced<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let synced = || -> Result<T> {
            conn.pragma_update(None, "synchronous", "FULL")?;
            let result = transact(&mut conn, f);
            let reset = conn.pragma_update(None, "synchronous", "NORMAL");
            let out = result?;
            reset?;
            Ok(out)
        };
        synced().map_err(|e| e.at(&self.path))
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

/// What operators read and do (`state::operate`), each one transaction.
impl SqliteStore {
    /// The open dead letters of `scheme` that `query` selects, most recent
    /// first.
    pub fn list_dead_letters(
        &self,
        scheme: &str,
        query: &DeadLetterQuery,
    ) -> Result<Vec<DeadLetterInfo>> {
        operate::list(&self.conn(), scheme, query)
    }

    /// One dead letter, open or closed, with every answer the target gave to
    /// its record's bills and the actions taken on it.
    pub fn dead_letter_detail(&self, id: DeadLetterId) -> Result<Option<DeadLetterDetail>> {
        operate::detail(&self.conn(), id)
    }

    /// Closes the open dead letter `id` on purpose, with `note` (why) and
    /// `actor` (who) in the action log. It is kept and never resent: the
    /// same record read again stays discarded; a changed record goes through
    /// as any new version does.
    pub fn discard_dead_letter(
        &self,
        id: DeadLetterId,
        note: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Discard> {
        self.write(|tx| operate::discard(tx, id, note, actor, ms(now)))
    }

    /// The last `limit` actions of operators (on `scheme`, or on all),
    /// most recent first.
    pub fn actions(&self, scheme: Option<&str>, limit: usize) -> Result<Vec<Action>> {
        operate::actions(&self.conn(), scheme, limit)
    }

    /// Logs an action of an operator that changes nothing in the store by
    /// itself (a retry asked for, a run started): who, when, what.
    pub fn record_action(
        &self,
        actor: &str,
        scheme: &str,
        action: &str,
        dead_letter: Option<DeadLetterId>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| operate::log_action(tx, actor, scheme, action, dead_letter, note, ms(now)))
    }

    /// Pauses (`paused`) or resumes `scheme`, with the action logged;
    /// whether anything changed.
    pub fn set_paused(
        &self,
        scheme: &str,
        paused: bool,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write(|tx| operate::set_paused(tx, scheme, paused, actor, ms(now)))
    }

    /// Whether (and by whom) `scheme` is paused.
    pub fn paused(&self, scheme: &str) -> Result<Option<Pause>> {
        self.read(|c| operate::paused(c, scheme))
    }

    /// The runs of `scheme` started at or after `since`, most recent first.
    pub fn runs_since(&self, scheme: &str, since: DateTime<Utc>) -> Result<Vec<RunSummary>> {
        self.read(|c| report::runs_since(c, scheme, ms(since)))
    }

    /// One run by id.
    pub fn run(&self, id: RunId) -> Result<Option<RunSummary>> {
        self.read(|c| report::run(c, id))
    }

    /// The counters of every run of `scheme`, added up.
    pub fn run_totals(&self, scheme: &str) -> Result<Counts> {
        self.read(|c| report::run_totals(c, scheme))
    }
}

/// Claims and the end of a run are synced commits (see "Durability"); the
/// rest are plain ones.
impl Store for SqliteStore {
    fn lock_scheme(&self, scheme: &str) -> Result<SchemeLock> {
        match &self.dir {
            Some(dir) => lock::lock_in_dir(dir, scheme),
            None => lock::lock_in_memory(&self.memory_locks, scheme),
        }
    }

    fn recover(&self, scheme: &str, now: DateTime<Utc>) -> Result<i64> {
        self.write_synced(|tx| runs::recover(tx, scheme, ms(now)))
    }

    fn begin_run(&self, scheme: &str, kind: RunKind, now: DateTime<Utc>) -> Result<RunId> {
        self.write(|tx| runs::begin_run(tx, scheme, kind, ms(now)))
    }

    fn set_run_window(&self, run: RunId, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()> {
        self.write(|tx| runs::set_run_window(tx, run, ms(start), ms(end)))
    }

    fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write_synced(|tx| runs::finish_run(tx, run, outcome, error, ms(now)))
    }

    fn set_run_concurrency(&self, run: RunId, concurrency: &RunConcurrency) -> Result<()> {
        self.write(|tx| runs::set_run_concurrency(tx, run, concurrency))
    }

    fn last_concurrency(&self, scheme: &str) -> Result<Option<(u32, u32)>> {
        self.read(|c| runs::last_concurrency(c, scheme))
    }

    fn watermark(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| runs::watermark(c, scheme))
    }

    fn set_watermark(&self, scheme: &str, value: Option<DateTime<Utc>>) -> Result<()> {
        let now = Utc::now().timestamp_millis();
        self.write(|tx| runs::put_watermark(tx, scheme, value.map(ms), now))
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
        self.write(|tx| runs::add_piece(tx, run, scheme, index, ms(start), ms(end), advances))
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
        self.write(|tx| ingest::ingest(tx, run, scheme, piece, options, records, ms(now)))
    }

    fn finish_reading(&self, piece: PieceId, now: DateTime<Utc>) -> Result<bool> {
        self.write(|tx| runs::finish_reading(tx, piece, ms(now)))
    }

    fn piece_complete(&self, piece: PieceId) -> Result<bool> {
        self.read(|c| runs::piece_complete(c, piece))
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
        self.write_synced(|tx| queue::claim(tx, scheme, owner, limit, expires, now))
    }

    fn record_outcomes(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(QueueId, WriteOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| queue::record_outcomes(tx, run, scheme, outcomes, ms(now)))
    }

    fn next_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| queue::next_due(c, scheme))
    }

    fn due_steps(&self, scheme: &str, limit: usize, now: DateTime<Utc>) -> Result<Vec<StepItem>> {
        steps::due(&self.conn(), scheme, limit, ms(now))
    }

    fn record_steps(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(StepId, StepOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| steps::record(tx, run, scheme, outcomes, ms(now)))
    }

    fn next_step_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        steps::next_due(&self.conn(), scheme)
    }

    fn due_count(&self, scheme: &str, now: DateTime<Utc>, limit: usize) -> Result<usize> {
        self.read(|c| queue::due_count(c, scheme, ms(now), limit))
    }

    fn queue_depth(&self, scheme: &str) -> Result<QueueDepth> {
        self.read(|c| report::queue_depth(c, scheme))
    }

    fn dead_letters(&self, scheme: &str, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>> {
        self.read(|c| report::dead_letters(c, scheme, filter))
    }

    fn overview(&self, scheme: &str, last_runs: usize) -> Result<SchemeOverview> {
        self.read(|c| report::overview(c, scheme, last_runs))
    }

    fn schemes(&self) -> Result<Vec<String>> {
        self.read(report::schemes)
    }

    fn record_status(
        &self,
        scheme: &str,
        record_id: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        self.read(|c| report::record_status(c, scheme, record_id))
    }

    fn daemon_started(
        &self,
        pid: u32,
        host: &str,
        schemes: &str,
        now: DateTime<Utc>,
    ) -> Result<DaemonId> {
        self.write(|tx| runs::daemon_started(tx, pid, host, schemes, ms(now)))
    }

    fn daemon_beat(&self, id: DaemonId, now: DateTime<Utc>, stopped: bool) -> Result<()> {
        self.write(|tx| runs::daemon_beat(tx, id, ms(now), stopped))
    }

    fn daemons(&self) -> Result<Vec<DaemonBeat>> {
        self.read(runs::daemons)
    }

    fn lookup_cache(&self, form: &str, by: &str) -> Result<Option<LookupCache>> {
        self.read(|c| lookups::lookup_cache(c, form, by))
    }

    fn lookup_caches(&self) -> Result<Vec<LookupCache>> {
        self.read(lookups::lookup_caches)
    }

    fn put_lookup_rows(
        &self,
        form: &str,
        by: &str,
        rows: &[LookupRow],
        seen: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| lookups::put_rows(tx, form, by, rows, ms(seen)))
    }

    fn finish_lookup_refresh(
        &self,
        form: &str,
        by: &str,
        fields: &[String],
        full: bool,
        started: DateTime<Utc>,
        modified_to: Option<(&str, i64)>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.write(|tx| {
            lookups::finish_refresh(
                tx,
                form,
                by,
                fields,
                full,
                ms(started),
                modified_to,
                ms(now),
            )
        })
    }

    fn lookup_row(&self, form: &str, by: &str, key: &str) -> Result<Option<String>> {
        self.read(|c| lookups::lookup_row(c, form, by, key))
    }
}

#[cfg(test)]
mod tests;
