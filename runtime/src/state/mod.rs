//! The state store: everything the sync engine must remember between runs.
//!
//! One store per installation (a data directory). It holds, per scheme:
//!
//! - the **watermark**: the end of the last window whose records are all
//!   written, skipped or dead-lettered; the next run reads from there;
//! - the **runs**: window, start, end, outcome and counts of each run;
//! - the **window pieces** of each run, so the watermark moves one piece at a
//!   time, in the same transaction as the outcome that finishes the piece;
//! - the **records**: the status of every source record ever seen
//!   (queued, written, skipped, failed), its bill's content hash and the
//!   target's id for it — this is what deduplicates re-reads;
//! - the **write queue**: mapped bills waiting to be written, claimed with a
//!   lease (owner + expiry) while a writer sends them;
//! - the **dead letters**: records that could not be mapped or that the
//!   target rejected, with the reason and the source record.
//!
//! No secret is ever stored.
//!
//! The engine only sees the [`Store`] trait. [`SqliteStore`] is the default
//! backend; the schema and the statements stay within SQL that Postgres also
//! speaks (no `INSERT OR REPLACE`, no rowid tricks, claims by lease rather
//! than by file lock), so a backend shared by several workers can be added
//! without touching the engine.

mod operate;
mod sqlite;

pub use operate::{
    Action, Answer, DeadLetterDetail, DeadLetterInfo, DeadLetterQuery, Discard, Pause,
};
pub use sqlite::SqliteStore;

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

pub use crate::limit::Settled;

/// Identifies a run.
pub type RunId = i64;
/// Identifies a window piece.
pub type PieceId = i64;
/// Identifies a write-queue item.
pub type QueueId = i64;
/// Identifies a dead letter.
pub type DeadLetterId = i64;
/// Identifies a daemon's heartbeat.
pub type DaemonId = i64;

/// A `duijie daemon`'s heartbeat: who it is, when it started, when it last
/// said it was alive, and when it said it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaemonBeat {
    pub id: DaemonId,
    pub pid: i64,
    pub host: String,
    /// The schemes it runs, comma-separated.
    pub schemes: String,
    pub started_at: DateTime<Utc>,
    pub last_beat: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// A failure of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error: what it means for an operator
    /// (disk full, read-only, locked, damaged), and the file when known.
    #[error("state store{}: {}", path.as_deref().map(|p| format!(" {p}")).unwrap_or_default(), describe_sqlite(.error))]
    Sqlite {
        path: Option<String>,
        error: rusqlite::Error,
    },
    /// The data directory or a lock file could not be used.
    #[error("state store: {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer duijie.
    #[error("state store {path} has schema version {found}, newer than this duijie knows ({known}); use a newer duijie")]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// Another process is running this scheme on the same data directory.
    #[error(
        "scheme `{scheme}` is already being run by another duijie process on this data directory"
    )]
    Busy { scheme: String },
    /// A stored value could not be read back.
    #[error("state store holds an unreadable value: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite { path: None, error }
    }
}

impl StoreError {
    /// The same error, naming the database file `path` if it does not yet.
    pub fn at(self, path: &str) -> Self {
        match self {
            StoreError::Sqlite { path: None, error } => StoreError::Sqlite {
                path: Some(path.to_string()),
                error,
            },
            other => other,
        }
    }
}

/// What a SQLite error means to an operator, said once (rusqlite's own text
/// repeats SQLite's message after its code's).
fn describe_sqlite(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::*;
    let rusqlite::Error::SqliteFailure(f, message) = e else {
        return e.to_string();
    };
    let what = match f.code {
        DiskFull => "disk full: free some space; nothing is lost, the next run goes on",
        SystemIoFailure => {
            "could not write to the disk (disk full, over the file-size limit, or failing): \
             free some space or check the disk; nothing is lost, the next run goes on"
        }
        ReadOnly => "the file is read-only: check the permissions of the file and its directory",
        CannotOpen => "cannot open the file: check that the data directory exists and is writable",
        DatabaseBusy | DatabaseLocked => {
            "the database is locked by another process for too long (is another duijie writing to it?)"
        }
        DatabaseCorrupt | NotADatabase => {
            "the file is damaged or is not a duijie state store"
        }
        _ => {
            return match message {
                Some(m) => format!("{m} (SQLite code {})", f.extended_code),
                None => format!("{f}"),
            }
        }
    };
    format!("{what} (SQLite code {})", f.extended_code)
}

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// From the watermark to now: the normal run.
    Incremental,
    /// Re-reads an older window on demand; does not move the watermark.
    Backfill,
    /// Re-maps dead letters and writes them.
    Retry,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Incremental => "incremental",
            RunKind::Backfill => "backfill",
            RunKind::Retry => "retry",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "incremental" => RunKind::Incremental,
            "backfill" => RunKind::Backfill,
            "retry" => RunKind::Retry,
            other => return Err(StoreError::Corrupt(format!("run kind `{other}`"))),
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still going (or its process died; the next run marks it `interrupted`).
    Running,
    /// Every record of the window is written or skipped.
    Succeeded,
    /// Every record of the window is written, skipped or dead-lettered, and
    /// some were dead-lettered in this run (`duijie retry` lists them).
    SucceededWithDeadLetters,
    /// Stopped with work left (shutdown requested, target unavailable); the
    /// queue keeps it and the next run goes on from there.
    Incomplete,
    /// Stopped by an error (bad credential, source error, …).
    Failed,
    /// Its process died; found and closed by a later run.
    Interrupted,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::SucceededWithDeadLetters => "succeeded_with_dead_letters",
            RunOutcome::Incomplete => "incomplete",
            RunOutcome::Failed => "failed",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "running" => RunOutcome::Running,
            "succeeded" => RunOutcome::Succeeded,
            "succeeded_with_dead_letters" => RunOutcome::SucceededWithDeadLetters,
            "incomplete" => RunOutcome::Incomplete,
            "failed" => RunOutcome::Failed,
            "interrupted" => RunOutcome::Interrupted,
            other => return Err(StoreError::Corrupt(format!("run outcome `{other}`"))),
        })
    }
}

impl RunOutcome {
    /// Whether the run did all its work (dead letters included).
    pub fn finished(self) -> bool {
        matches!(
            self,
            RunOutcome::Succeeded | RunOutcome::SucceededWithDeadLetters
        )
    }
}

/// For people: `succeeded with dead letters`.
impl fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunOutcome::SucceededWithDeadLetters => f.write_str("succeeded with dead letters"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// What to do with a record that was already written and is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnChange {
    /// Never write a record twice (the default).
    #[default]
    Skip,
    /// Write it again, as an update of the same target bill, when its mapped
    /// bill changed.
    Update,
}

/// Counters of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records received from the source (re-reads included).
    pub read: i64,
    /// Records mapped to a bill and queued for writing.
    pub mapped: i64,
    /// Records a filter of the scheme skipped.
    pub skipped: i64,
    /// Records read again whose bill was already written (or queued)
    /// unchanged: nothing to do.
    pub unchanged: i64,
    /// Bills written to the target.
    pub written: i64,
    /// Records dead-lettered (mapping failed or the target rejected them).
    pub failed: i64,
    /// Records parked to wait for base data (a lookup found no row).
    #[serde(default)]
    pub waiting: i64,
}

/// What mapping one source record gave, ready to be stored.
#[derive(Debug, Clone)]
pub struct IngestRecord {
    /// The record's identity (the scheme's id field); `None` when the record
    /// has none, which makes it a dead letter.
    pub record_id: Option<String>,
    /// The source record, JSON text (kept for dead letters and retries).
    pub source_json: String,
    /// The mapping's result.
    pub result: IngestResult,
}

/// The mapping's result for one record.
#[derive(Debug, Clone)]
pub enum IngestResult {
    /// A bill to write.
    Bill {
        /// The bill (`Model` object), compact JSON.
        bill: String,
        /// The bill's business number (FBillNo), used to verify a write.
        number: Option<String>,
        /// Content hash of `bill`.
        hash: String,
    },
    /// A filter of the scheme skipped the record.
    Skipped { reason: String },
    /// Mapping failed.
    Failed {
        /// Target field being computed (may be empty).
        target: String,
        /// Source field involved (may be empty).
        source: String,
        reason: String,
    },
    /// A lookup found no row: the record waits for the base data (a dead
    /// letter of stage `wait`, not counted as failed).
    Waiting {
        target: String,
        source: String,
        reason: String,
        waiting: duijie_maplib::Waiting,
    },
}

/// How [`Store::ingest`] treats records already known.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestOptions {
    pub on_change: OnChange,
    /// Queue the bill whatever the record's status (retry of dead letters).
    pub force: bool,
}

/// What [`Store::ingest`] did with a batch of records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    pub queued: i64,
    pub skipped: i64,
    pub unchanged: i64,
    pub failed: i64,
    pub waiting: i64,
    /// Records left alone, by position in the batch, because another
    /// version of the same record is being written (claimed from the queue)
    /// and this one is not the same bill: what this version means depends
    /// on that write's outcome. They are not counted; ingest them again
    /// once the write is recorded.
    pub busy: Vec<usize>,
}

/// A bill claimed from the write queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub id: QueueId,
    pub record_id: String,
    pub piece_id: Option<PieceId>,
    /// The bill's number (FBillNo), when the scheme has one.
    pub number: Option<String>,
    /// The bill, compact JSON.
    pub bill: String,
    pub hash: String,
    /// The target's id of the bill, when this is an update of a written one.
    pub target_id: Option<String>,
    /// The bill may already be in the target (an earlier attempt's outcome is
    /// unknown): look it up by number before sending it again.
    pub verify: bool,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// The outcome of writing one queued bill, recorded by
/// [`Store::record_outcomes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The bill is in the target.
    Written {
        /// The target's id (FID).
        target_id: String,
    },
    /// The bill is in the target, and `then` is its next step (a scheme that
    /// submits and audits as separate calls): written, and the step waits
    /// in the store until done.
    Saved {
        /// The target's id (FID).
        target_id: String,
        then: Step,
    },
    /// The target rejected the bill for good: a dead letter.
    Failed { reason: String },
    /// Try again later.
    Retry {
        /// Not before this instant.
        at: DateTime<Utc>,
        /// The bill may have been written (outcome unknown): verify first.
        verify: bool,
        /// Whether this counts as a failed attempt (a rate-limit pause does not).
        count_attempt: bool,
        error: String,
    },
}

/// A step after a save, for targets where saving does not submit and audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Submit,
    Audit,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Audit => "audit",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        match s {
            "submit" => Some(Step::Submit),
            "audit" => Some(Step::Audit),
            _ => None,
        }
    }

    /// The step after this one.
    pub fn next(self) -> Option<Step> {
        match self {
            Step::Submit => Some(Step::Audit),
            Step::Audit => None,
        }
    }
}

/// Id of a waiting step.
pub type StepId = i64;

/// A saved bill waiting for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepItem {
    pub id: StepId,
    pub record_id: String,
    pub number: Option<String>,
    /// The target's id of the saved bill.
    pub target_id: String,
    pub step: Step,
    /// Failed attempts of this step so far.
    pub attempts: i64,
}

/// The outcome of one step of one bill, recorded by [`Store::record_steps`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Done (or found already done): the next step waits, or none is left.
    Done,
    /// Refused for good: a dead letter saying the bill is saved but not
    /// through this step.
    Failed { reason: String },
    /// Try again at `at`.
    Retry {
        at: DateTime<Utc>,
        count_attempt: bool,
        error: String,
    },
}

/// How many bills wait in the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    /// Waiting to be sent.
    pub pending: i64,
    /// Claimed by a writer (or left by a process that died).
    pub inflight: i64,
    /// Of the pending, how many wait for an unknown outcome to be verified.
    pub to_verify: i64,
}

impl QueueDepth {
    pub fn total(&self) -> i64 {
        self.pending + self.inflight
    }
}

/// Where a dead letter failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadStage {
    /// The mapping failed.
    Map,
    /// The target rejected the bill.
    Write,
    /// Not a failure: the record waits for base data (a lookup missed).
    Wait,
}

impl DeadStage {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadStage::Map => "map",
            DeadStage::Write => "write",
            DeadStage::Wait => "wait",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "map" => DeadStage::Map,
            "write" => DeadStage::Write,
            "wait" => DeadStage::Wait,
            other => return Err(StoreError::Corrupt(format!("dead-letter stage `{other}`"))),
        })
    }
}

/// A record that could not be mapped or written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub id: DeadLetterId,
    pub scheme: String,
    pub record_id: Option<String>,
    pub stage: DeadStage,
    /// Target field (mapping failures), may be empty.
    pub target_field: String,
    /// Source field (mapping failures), may be empty.
    pub source_field: String,
    /// Why, for people (the mapping's reason or the target's message).
    pub reason: String,
    /// The source record, JSON text.
    pub source_json: String,
    /// The rejected bill (write failures).
    pub bill: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// How many times the record failed this way.
    pub occurrences: i64,
    pub run_id: Option<RunId>,
    /// What a waiting record waits for (stage `wait`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<duijie_maplib::Waiting>,
}

/// A run, as the overview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub id: RunId,
    pub scheme: String,
    pub kind: RunKind,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    pub error: Option<String>,
    pub counts: Counts,
    /// Where the run's concurrency limits settled (runs before migration 5
    /// and runs that ended early have none).
    pub concurrency: Option<RunConcurrency>,
}

/// How many calls a run had in flight at once: where its limits settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunConcurrency {
    /// Whether the run found the limits itself (no `concurrency` in
    /// `duijie.toml`).
    pub adaptive: bool,
    /// Save requests.
    pub write: Settled,
    /// Source pages.
    pub read: Settled,
}

/// How many records of a scheme are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordTotals {
    pub queued: i64,
    pub written: i64,
    pub skipped: i64,
    pub failed: i64,
    pub waiting: i64,
}

/// One scheme's state, for `duijie status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemeOverview {
    pub scheme: String,
    pub watermark: Option<DateTime<Utc>>,
    /// Most recent first.
    pub runs: Vec<RunSummary>,
    pub queue: QueueDepth,
    pub records: RecordTotals,
    /// Unresolved dead letters.
    pub dead_letters: i64,
    /// The most frequent reasons of the unresolved dead letters.
    pub top_reasons: Vec<ReasonCount>,
    /// Records waiting for base data.
    pub waiting: i64,
    /// The base data most waited for.
    pub top_waiting: Vec<WaitingCount>,
}

/// Base data records wait for, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingCount {
    pub waiting: duijie_maplib::Waiting,
    pub count: i64,
}

/// The cache of one lookup: a form and its key field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupCache {
    pub form: String,
    pub by: String,
    /// The fields kept of each row.
    pub fields: Vec<String>,
    /// The newest modify date read (the form's own text and zone), and the
    /// highest internal id among the rows of that date: the next refresh
    /// reads the rows after them.
    pub modified_to: Option<String>,
    pub modified_id: Option<i64>,
    pub rows: i64,
    pub refreshed: Option<DateTime<Utc>>,
    /// The last full refresh.
    pub full: Option<DateTime<Utc>>,
}

/// A row fetched for a lookup's cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRow {
    pub key: String,
    /// The form's internal id.
    pub id: Option<i64>,
    /// The fields as a JSON object of texts (or nulls); `None` when the row
    /// is not usable (not audited, forbidden) and leaves the cache.
    pub fields: Option<String>,
}

/// A dead-letter reason and how many unresolved dead letters give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    /// `stage: field: reason`, e.g. `map: FDate: required by the form but null`.
    pub reason: String,
    pub count: i64,
}

/// Which dead letters to list.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    /// One dead letter by id.
    pub id: Option<DeadLetterId>,
    /// At most this many (most recent first); 0 for all.
    pub limit: usize,
    /// Only those of this stage (`Wait`: records waiting for base data).
    pub stage: Option<DeadStage>,
}

impl DeadLetterFilter {
    /// Every record waiting for base data.
    pub fn waiting() -> Self {
        DeadLetterFilter {
            stage: Some(DeadStage::Wait),
            ..DeadLetterFilter::default()
        }
    }
}

/// Holds a scheme for one runner; dropping it lets another runner in.
pub struct SchemeLock {
    _guard: Box<dyn Send + Sync>,
}

impl fmt::Debug for SchemeLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SchemeLock")
    }
}

/// The engine's view of the state store. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Takes the scheme for this runner; fails with [`StoreError::Busy`] if
    /// another runner holds it. Released when the lock is dropped, or when
    /// the holding process dies.
    fn lock_scheme(&self, scheme: &str) -> Result<SchemeLock>;

    /// Closes what a dead runner of `scheme` left: runs still `running`
    /// become `interrupted`, their pieces that were still being read are
    /// abandoned, and bills claimed but not recorded go back to the queue
    /// marked *to verify* (their outcome is unknown). Call with the scheme
    /// locked. Returns the number of bills put back.
    fn recover(&self, scheme: &str, now: DateTime<Utc>) -> Result<i64>;

    /// Starts a run.
    fn begin_run(&self, scheme: &str, kind: RunKind, now: DateTime<Utc>) -> Result<RunId>;

    /// Records the window a run reads.
    fn set_run_window(&self, run: RunId, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()>;

    /// Ends a run.
    fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Records where the run's concurrency limits settled.
    fn set_run_concurrency(&self, run: RunId, concurrency: &RunConcurrency) -> Result<()>;

    /// Where the adaptive limits of the scheme's last run that found them
    /// settled: (writes, reads) in flight at once.
    fn last_concurrency(&self, scheme: &str) -> Result<Option<(u32, u32)>>;

    /// The scheme's watermark.
    fn watermark(&self, scheme: &str) -> Result<Option<DateTime<Utc>>>;

    /// Sets the watermark by hand (operators; tests).
    fn set_watermark(&self, scheme: &str, value: Option<DateTime<Utc>>) -> Result<()>;

    /// Adds a window piece to a run. Pieces of a run are numbered from 0 in
    /// time order; when `advances` is set, completing a piece (and all pieces
    /// before it) moves the watermark to its end.
    fn add_piece(
        &self,
        run: RunId,
        scheme: &str,
        index: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        advances: bool,
    ) -> Result<PieceId>;

    /// Stores one page of mapped records: queues new or changed bills,
    /// records skips, dead-letters failures, and counts them all in the run.
    fn ingest(
        &self,
        run: RunId,
        scheme: &str,
        piece: Option<PieceId>,
        options: IngestOptions,
        records: &[IngestRecord],
        now: DateTime<Utc>,
    ) -> Result<IngestSummary>;

    /// Marks a piece as fully read. If none of its bills waits in the queue
    /// it is complete, and the watermark moves in this same transaction.
    /// Returns whether the piece is complete.
    fn finish_reading(&self, piece: PieceId, now: DateTime<Utc>) -> Result<bool>;

    /// Whether a piece is complete.
    fn piece_complete(&self, piece: PieceId) -> Result<bool>;

    /// Up to `limit` steps of `scheme` due at `now`, oldest first. (Only the
    /// scheme's runner, which holds its lock, takes them.)
    fn due_steps(&self, scheme: &str, limit: usize, now: DateTime<Utc>) -> Result<Vec<StepItem>>;

    /// Records the outcomes of steps: a step done makes way for the next one
    /// (or leaves), a refused one becomes a dead letter, in one transaction.
    fn record_steps(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(StepId, StepOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// When the next step of `scheme` falls due, if one waits.
    fn next_step_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>>;

    /// Claims up to `limit` bills of `scheme` that are due, for `lease`.
    /// Bills whose lease expired (their writer died) come back marked
    /// *to verify*.
    fn claim(
        &self,
        scheme: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>>;

    /// Records the outcomes of claimed bills, counts them in the run, and
    /// completes the pieces they finish (moving the watermark), all in one
    /// transaction.
    fn record_outcomes(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(QueueId, WriteOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// When the next queued bill of `scheme` is due, if any is pending.
    fn next_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>>;

    /// How many bills of `scheme` a [`Store::claim`] at `now` would get,
    /// counting at most `limit`.
    fn due_count(&self, scheme: &str, now: DateTime<Utc>, limit: usize) -> Result<usize>;

    /// The queue's depth for `scheme`.
    fn queue_depth(&self, scheme: &str) -> Result<QueueDepth>;

    /// Dead letters of `scheme` not yet resolved, most recent first.
    fn dead_letters(&self, scheme: &str, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>>;

    /// The run overview of one scheme, with its last `last_runs` runs.
    fn overview(&self, scheme: &str, last_runs: usize) -> Result<SchemeOverview>;

    /// Schemes the store knows anything about.
    fn schemes(&self) -> Result<Vec<String>>;

    /// The status of one record: `queued`, `written`, `skipped` or `failed`,
    /// and its target id.
    fn record_status(
        &self,
        scheme: &str,
        record_id: &str,
    ) -> Result<Option<(String, Option<String>)>>;

    /// A daemon starts (process `pid` on `host`, running `schemes`).
    fn daemon_started(
        &self,
        pid: u32,
        host: &str,
        schemes: &str,
        now: DateTime<Utc>,
    ) -> Result<DaemonId>;

    /// A daemon is alive at `now`, or (`stopped`) it stops.
    fn daemon_beat(&self, id: DaemonId, now: DateTime<Utc>, stopped: bool) -> Result<()>;

    /// The daemons not known to have stopped, and the last one started,
    /// most recent first.
    fn daemons(&self) -> Result<Vec<DaemonBeat>>;

    /// The cache of lookups of `form` by `by`, if it was ever filled.
    fn lookup_cache(&self, form: &str, by: &str) -> Result<Option<LookupCache>>;

    /// Every lookup cache.
    fn lookup_caches(&self) -> Result<Vec<LookupCache>>;

    /// Stores one page of a refresh: usable rows replace their key's row,
    /// the others leave the cache; each is marked seen at `seen`.
    fn put_lookup_rows(
        &self,
        form: &str,
        by: &str,
        rows: &[LookupRow],
        seen: DateTime<Utc>,
    ) -> Result<()>;

    /// Ends a refresh of the cache: a full one (`full`) drops the rows not
    /// seen since `started`. Records the fields kept, how far it read and
    /// when; gives the cache's row count.
    #[allow(clippy::too_many_arguments)]
    fn finish_lookup_refresh(
        &self,
        form: &str,
        by: &str,
        fields: &[String],
        full: bool,
        started: DateTime<Utc>,
        modified_to: Option<(&str, i64)>,
        now: DateTime<Utc>,
    ) -> Result<i64>;

    /// The cached row of `key`: its fields as a JSON object of texts.
    fn lookup_row(&self, form: &str, by: &str, key: &str) -> Result<Option<String>>;
}
