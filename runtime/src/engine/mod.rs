//! The sync engine: keeps a target in step with a source, scheme by scheme,
//! without losing or duplicating a document whatever fails.
//!
//! A run of a scheme ([`Engine::run`]):
//!
//! 1. takes the scheme's lock, closes what a dead runner left (bills it had
//!    claimed come back marked *to verify*), and starts a run record;
//! 2. checks the target answers and accepts the credentials;
//! 3. writes what the queue still holds (earlier runs' leftovers);
//! 4. plans the window (watermark − overlap … now − lag, pieces of at most
//!    the API's span) and for each piece: reads every page, maps each
//!    record, stores the page in one transaction (bills queued, skips,
//!    dead letters, counts), then writes the queue;
//! 5. the piece completes — and the watermark moves to its end — in the
//!    transaction that records the last outcome of its bills.
//!
//! The write path is exactly-once: a bill is durably queued before it is
//! sent; a bill whose outcome is unknown (timeout, dropped connection,
//! crash) is looked up by its number before it is sent again; a
//! "duplicate number" answer is resolved the same way. See `docs/sync.md`.

mod io;
mod reader;
pub mod record;
mod steps;
pub mod window;
mod writer;

pub use io::{BillResult, BoxFuture, RowsQuery, Source, SourcePage, StepResult, Target};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use duijie_maplib::Mapper;
use serde::Serialize;
use tokio::sync::watch;

use crate::config::{FirstStart, SchemeConfig};
use crate::limit::{Concurrency, Limit};
use crate::ratelimit::Bucket;
use crate::state::{
    Counts, DeadLetterFilter, DeadLetterId, IngestOptions, OnChange, RunConcurrency, RunId,
    RunKind, RunOutcome, Store, StoreError,
};
use window::WindowSettings;

/// Runs `f` on the blocking pool, so that the task's requests in flight go
/// on meanwhile. A panic in `f` goes on here; `f` cancelled because the
/// runtime is shutting down is a shutdown.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Stop> {
    match tokio::task::spawn_blocking(f).await {
        Ok(out) => Ok(out),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Stop::Shutdown),
    }
}

/// The engine's clock.
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Now {
    Arc::new(Utc::now)
}

/// How a failing call is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts of one call (or one bill) in a run before the run stops
    /// for now. Rate-limit answers do not count.
    pub max_attempts: u32,
    /// First delay, doubled at each attempt, with jitter.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
    /// How long rate-limit answers may hold a run back in a row before it
    /// stops for now.
    pub rate_limit_patience: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
            rate_limit_patience: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` (attempt ≥ 1): `base × 2^(attempt−1)`
    /// capped at `max`, then a random point of its upper half.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        let half = exp / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        if jitter_ms == 0 {
            return exp;
        }
        half + Duration::from_millis(rand::random_range(0..=jitter_ms))
    }

    /// The pause after the `streak`-th rate-limit answer in a row: twice the
    /// backoff, at most a minute.
    pub fn rate_limit_pause(&self, streak: u32) -> Duration {
        self.backoff(streak.saturating_add(1))
            .saturating_mul(2)
            .min(Duration::from_secs(60))
    }
}

/// How a scheme runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Records per page.
    pub page_size: u32,
    /// Bills per save request.
    pub batch_size: usize,
    /// Pages read at once, and batches written at once: fixed, or found by
    /// each run.
    pub concurrency: Concurrency,
    pub on_change: OnChange,
    pub window: WindowSettings,
    pub retry: RetryPolicy,
    /// How long a claimed bill stays with its writer.
    pub lease: Duration,
    /// How many times a piece is read again when records moved while it
    /// was read, before the run stops for now.
    pub max_rereads: u32,
    /// Submit, then audit, every saved bill as separate calls.
    pub submit_and_audit: bool,
    /// Lookup caches refreshed less than this long ago are not refreshed
    /// again before a run (zero: before every run).
    pub lookup_refresh: Duration,
}

impl Settings {
    /// The settings of a scheme from its metadata alone (defaults).
    pub fn defaults(meta: &duijie_maplib::SchemeMeta) -> Self {
        Settings {
            page_size: meta.source.default_page_size.max(1),
            batch_size: 20,
            concurrency: Concurrency::default(),
            on_change: OnChange::Skip,
            window: WindowSettings::new(
                &meta.source,
                Duration::from_secs(600),
                Duration::from_secs(60),
                FirstStart::DaysAgo(30),
            ),
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(600),
            max_rereads: 4,
            submit_and_audit: false,
            lookup_refresh: Duration::ZERO,
        }
    }

    /// The settings of a configured scheme.
    pub fn from_config(cfg: &SchemeConfig, meta: &duijie_maplib::SchemeMeta) -> Self {
        let mut s = Settings::defaults(meta);
        s.page_size = cfg.page_size.unwrap_or(s.page_size);
        s.batch_size = cfg.batch_size;
        s.concurrency = cfg.concurrency;
        s.on_change = cfg.on_change;
        s.window = WindowSettings::new(&meta.source, cfg.overlap, cfg.lag, cfg.start);
        s.retry.max_attempts = cfg.max_attempts;
        s.retry.base = cfg.retry_base;
        s.retry.max = cfg.retry_max;
        s.submit_and_audit = cfg.submit_and_audit;
        s.lookup_refresh = cfg.lookup_refresh;
        s
    }
}

/// The concurrency limits of one run: save requests and source pages in
/// flight at once.
#[derive(Debug)]
pub(crate) struct Limits {
    pub(crate) write: Limit,
    pub(crate) read: Limit,
}

impl Limits {
    /// The limits of a run of `s`; adaptive ones start where the scheme's
    /// last run settled (`last`: writes, reads).
    pub(crate) fn new(s: &Settings, last: Option<(u32, u32)>) -> Self {
        Limits {
            write: Limit::new(s.concurrency, last.map(|l| l.0)),
            read: Limit::new(s.concurrency, last.map(|l| l.1)),
        }
    }

    /// Where they settled, for the run's record.
    pub(crate) fn settled(&self) -> RunConcurrency {
        RunConcurrency {
            adaptive: self.write.is_adaptive(),
            write: self.write.settled(),
            read: self.read.settled(),
        }
    }
}

/// A scheme ready to run: its mapping, settings, and connected ends.
pub struct Scheme {
    /// The scheme's name in the configuration and the state store.
    pub name: String,
    pub mapper: Arc<dyn Mapper>,
    pub settings: Settings,
    pub source: Arc<dyn Source>,
    /// The rate limit of the source's account.
    pub source_limit: Arc<Bucket>,
    pub target: Arc<dyn Target>,
    /// The rate limit of the target's account.
    pub target_limit: Arc<Bucket>,
}

impl std::fmt::Debug for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheme")
            .field("name", &self.name)
            .field("map", &self.mapper.meta().name)
            .field("settings", &self.settings)
            .finish()
    }
}

/// Asks running work to stop after the batch in flight.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(Arc<watch::Sender<bool>>);

impl ShutdownTrigger {
    /// Requests the stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

/// Tells running work whether to stop.
#[derive(Debug, Clone)]
pub struct Shutdown(Option<watch::Receiver<bool>>);

impl Shutdown {
    /// A trigger and the signal it sets.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(Arc::new(tx)), Shutdown(Some(rx)))
    }

    /// A signal that never fires.
    pub fn never() -> Shutdown {
        Shutdown(None)
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Resolves when a stop is requested (never if the trigger was dropped
    /// without firing).
    pub async fn wait(&self) {
        let Some(rx) = &self.0 else {
            return std::future::pending::<()>().await;
        };
        let mut rx = rx.clone();
        loop {
            if *rx.borrow_and_update() {
                return;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// What a long run tells a progress display. Every method has a default
/// that does nothing.
pub trait Progress: Send + Sync {
    /// A window piece starts; its ends are in the source's zone.
    fn piece(
        &self,
        _scheme: &str,
        _index: usize,
        _count: usize,
        _start: DateTime<FixedOffset>,
        _end: DateTime<FixedOffset>,
    ) {
    }
    /// The source says the piece holds `total` records (once a piece: a
    /// piece read again for moved records does not add to it).
    fn total(&self, _scheme: &str, _total: u64) {}
    /// Calls wait `pause` for `who`'s rate limit (`旺店通`, `金蝶`).
    fn paused(&self, _scheme: &str, _who: &str, _pause: Duration) {}
    /// `n` records read.
    fn read(&self, _scheme: &str, _n: u64) {}
    /// `n` bills written.
    fn written(&self, _scheme: &str, _n: u64) {}
    /// `n` bills wait in the queue.
    fn queued(&self, _scheme: &str, _n: u64) {}
    /// The run is over.
    fn done(&self, _scheme: &str) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Re-read from the start of the day this many days ago, without moving
    /// the watermark (`run --backfill-days N`).
    pub backfill_days: Option<u32>,
}

/// Which dead letters `retry` takes.
#[derive(Debug, Clone)]
pub enum RetrySelection {
    All,
    Ids(Vec<DeadLetterId>),
    /// The records waiting for base data (after refreshing the lookups).
    Waiting,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub scheme: String,
    pub run_id: RunId,
    pub kind: RunKind,
    pub outcome: RunOutcome,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub counts: Counts,
    /// Why the run did not succeed.
    pub error: Option<String>,
    /// Bills left in the queue.
    pub queue_left: i64,
    /// Bills a dead runner had left claimed, put back to verify.
    pub recovered: i64,
    /// Where the run's concurrency limits settled.
    pub concurrency: Option<RunConcurrency>,
}

/// What keeps a run from being recorded at all.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `retry --id` names a dead letter the scheme does not have open.
    #[error("scheme `{scheme}` has no open dead letter {id} (`duijie retry {scheme}` lists them)")]
    NoDeadLetter { id: DeadLetterId, scheme: String },
}

/// Why a run stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Shutdown requested: finish cleanly, the next run goes on.
    Shutdown,
    /// Work is left (retries exhausted for now); the next run goes on.
    Incomplete(String),
    /// An error that needs someone: bad credentials, a rejected request…
    Failed(String),
    /// The state store failed.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// Runs schemes against a state store.
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Now,
    shutdown: Shutdown,
    progress: Arc<dyn Progress>,
    owner: String,
    /// The mapping's lookups, answered from the store's caches.
    lookups: Arc<crate::lookups::StoreLookups>,
}

impl Engine {
    /// An engine on `store`, with the system clock, no shutdown signal and
    /// no progress display.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let owner = format!(
            "pid{}-{:08x}",
            std::process::id(),
            rand::random_range(0..u32::MAX)
        );
        Engine {
            lookups: Arc::new(crate::lookups::StoreLookups::new(store.clone())),
            store,
            clock: system_clock(),
            shutdown: Shutdown::never(),
            progress: Arc::new(NoProgress),
            owner,
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Now) -> Self {
        self.clock = clock;
        self
    }

    /// Stops runs after the batch in flight when `shutdown` fires.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Reports progress to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The state store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Sleeps `d`, or less if a shutdown is requested (then `Err`).
    pub(crate) async fn sleep(&self, d: Duration) -> Result<(), Stop> {
        if self.shutdown.requested() {
            return Err(Stop::Shutdown);
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.shutdown.wait() => Err(Stop::Shutdown),
        }
    }

    /// Waits for a call slot of `bucket`, or a shutdown (then `Err`).
    /// Runs a store operation on the blocking pool (see [`blocking`]): SQLite
    /// works and waits for the disk while the requests in flight go on.
    pub(crate) async fn stored<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Stop> {
        let store = self.store.clone();
        Ok(blocking(move || op(store.as_ref())).await??)
    }

    pub(crate) async fn acquire(&self, bucket: &Bucket) -> Result<(), Stop> {
        tokio::select! {
            _ = bucket.acquire() => Ok(()),
            _ = self.shutdown.wait() => Err(Stop::Shutdown),
        }
    }

    /// Runs `scheme` once: leftovers, then the window.
    pub async fn run(
        &self,
        scheme: &Scheme,
        options: &RunOptions,
    ) -> Result<RunReport, EngineError> {
        let kind = if options.backfill_days.is_some() {
            RunKind::Backfill
        } else {
            RunKind::Incremental
        };
        let _lock = self.store.lock_scheme(&scheme.name)?;
        let recovered = self.store.recover(&scheme.name, self.now())?;
        if recovered > 0 {
            tracing::warn!(
                scheme = %scheme.name,
                bills = recovered,
                "an earlier run stopped while writing; its bills will be looked up before being sent again"
            );
        }
        let limits = Limits::new(&scheme.settings, self.store.last_concurrency(&scheme.name)?);
        let run = self.store.begin_run(&scheme.name, kind, self.now())?;
        tracing::info!(scheme = %scheme.name, run, kind = kind.as_str(), "run started");
        let tries = writer::Tries::default();
        let result = self.run_inner(scheme, run, options, &tries, &limits).await;
        self.finish(scheme, run, kind, recovered, &limits, result)
    }

    async fn run_inner(
        &self,
        scheme: &Scheme,
        run: RunId,
        options: &RunOptions,
        tries: &writer::Tries,
        limits: &Limits,
    ) -> Result<(), Stop> {
        self.check_target(scheme).await?;
        self.drain(scheme, run, tries, limits, None).await?;
        if self.refresh_lookups(scheme, false).await? {
            self.remap_waiting(scheme, run).await?;
        }
        let watermark = self.store.watermark(&scheme.name)?;
        let plan = window::plan(
            &scheme.settings.window,
            watermark,
            self.now(),
            options.backfill_days,
        );
        self.store.set_run_window(run, plan.start, plan.end)?;
        tracing::info!(
            scheme = %scheme.name,
            start = %plan.start,
            end = %plan.end,
            pieces = plan.pieces.len(),
            "window planned"
        );
        // Reading and writing overlap: the writer sends what the reader
        // queued while the reader goes on. A writer that stops (shutdown,
        // a target that refuses) stops the reader; a reader that stops
        // lets the writer write what was queued first.
        let feed = writer::Feed::default();
        let reader = async {
            let result = self
                .read_pieces(scheme, run, &plan, &limits.read, &feed)
                .await;
            match &result {
                Err(Stop::Store(_)) => feed.abandon(),
                _ => feed.finish(),
            }
            result
        };
        let writer = self.drain(scheme, run, tries, limits, Some(&feed));
        tokio::pin!(reader, writer);
        tokio::select! {
            read = &mut reader => {
                let written = writer.await;
                read.and(written)?;
            }
            written = &mut writer => {
                written?;
                reader.await?;
            }
        }
        // Both done: the queue is empty (a last look costs one query).
        self.drain(scheme, run, tries, limits, None).await
    }

    async fn read_pieces(
        &self,
        scheme: &Scheme,
        run: RunId,
        plan: &window::Plan,
        limit: &Limit,
        feed: &writer::Feed,
    ) -> Result<(), Stop> {
        let count = plan.pieces.len();
        for (i, piece) in plan.pieces.iter().enumerate() {
            if self.shutdown.requested() {
                return Err(Stop::Shutdown);
            }
            let zone = scheme.settings.window.zone;
            self.progress.piece(
                &scheme.name,
                i,
                count,
                piece.start.with_timezone(&zone),
                piece.end.with_timezone(&zone),
            );
            let pid = self.store.add_piece(
                run,
                &scheme.name,
                i as i64,
                piece.start,
                piece.end,
                plan.advances,
            )?;
            self.read_piece(scheme, run, piece, pid, limit, feed)
                .await?;
            self.store.finish_reading(pid, self.now())?;
        }
        Ok(())
    }

    /// Maps the selected dead letters again, queues them and (with `write`)
    /// writes them, as a run of kind retry. Nothing to retry is `Ok(None)`,
    /// and no run is recorded; a dead letter that is not open is an error,
    /// before any run is recorded.
    pub async fn retry(
        &self,
        scheme: &Scheme,
        selection: &RetrySelection,
        write: bool,
    ) -> Result<Option<RunReport>, EngineError> {
        let _lock = self.store.lock_scheme(&scheme.name)?;
        if matches!(selection, RetrySelection::Waiting) {
            if let Err(Stop::Store(e)) = self.refresh_lookups(scheme, true).await {
                return Err(EngineError::Store(e));
            }
        }
        let letters = match selection {
            RetrySelection::All => self
                .store
                .dead_letters(&scheme.name, &DeadLetterFilter::default())?,
            RetrySelection::Waiting => self
                .store
                .dead_letters(&scheme.name, &DeadLetterFilter::waiting())?,
            RetrySelection::Ids(ids) => {
                let mut all = Vec::new();
                for id in ids {
                    let found = self.store.dead_letters(
                        &scheme.name,
                        &DeadLetterFilter {
                            id: Some(*id),
                            limit: 1,
                            stage: None,
                        },
                    )?;
                    if found.is_empty() {
                        return Err(EngineError::NoDeadLetter {
                            id: *id,
                            scheme: scheme.name.clone(),
                        });
                    }
                    all.extend(found);
                }
                all
            }
        };
        if letters.is_empty() {
            return Ok(None);
        }
        let recovered = self.store.recover(&scheme.name, self.now())?;
        let limits = Limits::new(&scheme.settings, self.store.last_concurrency(&scheme.name)?);
        let run = self
            .store
            .begin_run(&scheme.name, RunKind::Retry, self.now())?;
        let tries = writer::Tries::default();
        let result = async {
            let meta = scheme.mapper.meta();
            let mut buf = Vec::new();
            let mut records = Vec::new();
            for dl in &letters {
                if dl.record_id.is_none() {
                    tracing::warn!(
                        scheme = %scheme.name,
                        dead_letter = dl.id,
                        "the record has no id and cannot be retried"
                    );
                    continue;
                }
                records.push(record::map_one(
                    scheme.mapper.as_ref(),
                    meta,
                    self.lookups.as_ref(),
                    &dl.source_json,
                    &mut buf,
                ));
            }
            for chunk in records.chunks(200) {
                self.store.ingest(
                    run,
                    &scheme.name,
                    None,
                    IngestOptions {
                        on_change: scheme.settings.on_change,
                        force: true,
                    },
                    chunk,
                    self.now(),
                )?;
            }
            if write {
                self.check_target(scheme).await?;
                self.drain(scheme, run, &tries, &limits, None).await?;
            }
            Ok(())
        }
        .await;
        self.finish(scheme, run, RunKind::Retry, recovered, &limits, result)
            .map(Some)
    }

    /// Refreshes the lookup caches the scheme reads by modify date (those
    /// refreshed less than `lookup_refresh` ago are left, unless `force`:
    /// `retry --waiting`). A cache that
    /// cannot be refreshed is used as it is: a lookup it cannot answer makes
    /// its record wait, never a wrong bill. True when the scheme has lookups.
    pub(crate) async fn refresh_lookups(&self, scheme: &Scheme, force: bool) -> Result<bool, Stop> {
        let meta = scheme.mapper.meta();
        if meta.lookups.is_empty() {
            return Ok(false);
        }
        for w in crate::lookups::wanted(&meta.lookups) {
            if !force {
                let cache = self.store.lookup_cache(&w.form, &w.by)?;
                // Recent, and keeping every field the scheme reads.
                let fresh = cache.is_some_and(|c| {
                    w.fields.iter().all(|f| c.fields.contains(f))
                        && c.refreshed.is_some_and(|at| {
                            (self.now() - at)
                                .to_std()
                                .is_ok_and(|age| age < scheme.settings.lookup_refresh)
                        })
                });
                if fresh {
                    continue;
                }
            }
            let clock = self.clock.clone();
            match crate::lookups::refresh(
                &self.store,
                scheme.target.as_ref(),
                &w,
                force,
                move || clock(),
            )
            .await
            {
                Ok(r) => tracing::info!(
                    scheme = %scheme.name,
                    form = %r.form,
                    by = %r.by,
                    full = r.full,
                    read = r.read,
                    rows = r.rows,
                    "lookup cache refreshed"
                ),
                Err(crate::lookups::RefreshError::Store(e)) => return Err(Stop::Store(e)),
                Err(crate::lookups::RefreshError::Target(e)) => tracing::warn!(
                    scheme = %scheme.name,
                    form = %w.form,
                    error = %e,
                    "the lookup cache could not be refreshed; records it cannot answer wait"
                ),
            }
        }
        self.lookups.forget();
        Ok(true)
    }

    /// Refreshes the lookup caches `scheme` reads now (fully with `full`),
    /// whatever their age; a target that cannot be queried is an error.
    pub async fn refresh_lookups_now(
        &self,
        scheme: &Scheme,
        full: bool,
    ) -> Result<Vec<crate::lookups::Refreshed>, crate::lookups::RefreshError> {
        let mut out = Vec::new();
        for w in crate::lookups::wanted(&scheme.mapper.meta().lookups) {
            let clock = self.clock.clone();
            out.push(
                crate::lookups::refresh(&self.store, scheme.target.as_ref(), &w, full, move || {
                    clock()
                })
                .await?,
            );
        }
        self.lookups.forget();
        Ok(out)
    }

    /// Maps the records waiting for base data again: those the caches now
    /// answer are queued, the others go on waiting.
    async fn remap_waiting(&self, scheme: &Scheme, run: RunId) -> Result<(), Stop> {
        let letters = self
            .store
            .dead_letters(&scheme.name, &DeadLetterFilter::waiting())?;
        if letters.is_empty() {
            return Ok(());
        }
        let (mapper, lookups) = (scheme.mapper.clone(), self.lookups.clone());
        let records = blocking(move || {
            let meta = mapper.meta();
            let mut buf = Vec::new();
            letters
                .iter()
                .map(|dl| {
                    record::map_one(
                        mapper.as_ref(),
                        meta,
                        lookups.as_ref(),
                        &dl.source_json,
                        &mut buf,
                    )
                })
                .collect::<Vec<_>>()
        })
        .await?;
        let options = IngestOptions {
            on_change: scheme.settings.on_change,
            force: false,
        };
        for chunk in records.chunks(200) {
            let sum = self
                .store
                .ingest(run, &scheme.name, None, options, chunk, self.now())?;
            if sum.queued > 0 {
                tracing::info!(scheme = %scheme.name, queued = sum.queued, "records that waited for base data are queued");
            }
        }
        Ok(())
    }

    fn finish(
        &self,
        scheme: &Scheme,
        run: RunId,
        kind: RunKind,
        recovered: i64,
        limits: &Limits,
        result: Result<(), Stop>,
    ) -> Result<RunReport, EngineError> {
        let (outcome, error) = match result {
            Ok(()) => (RunOutcome::Succeeded, None),
            Err(Stop::Shutdown) => (
                RunOutcome::Incomplete,
                Some("stopped on request; the next run goes on from here".to_string()),
            ),
            Err(Stop::Incomplete(m)) => (RunOutcome::Incomplete, Some(m)),
            Err(Stop::Failed(m)) => (RunOutcome::Failed, Some(m)),
            Err(Stop::Store(e)) => {
                self.progress.done(&scheme.name);
                // Try to record the failure; the store may be unusable.
                if let Err(also) =
                    self.store
                        .finish_run(run, RunOutcome::Failed, Some(&e.to_string()), self.now())
                {
                    tracing::debug!(scheme = %scheme.name, run, error = %also, "the failed run could not be recorded either");
                }
                return Err(EngineError::Store(e));
            }
        };
        self.progress.done(&scheme.name);
        self.store.set_run_concurrency(run, &limits.settled())?;
        let overview = self.store.overview(&scheme.name, 1)?;
        let summary = overview.runs.into_iter().find(|r| r.id == run);
        let failed = summary.as_ref().map_or(0, |s| s.counts.failed);
        // Everything done, but some records are dead letters: a word of its
        // own, so that an unattended installation does not read success.
        let (outcome, error) = if outcome == RunOutcome::Succeeded && failed > 0 {
            (
                RunOutcome::SucceededWithDeadLetters,
                Some(format!(
                    "{failed} record(s) became dead letters; `duijie retry {}` lists them",
                    scheme.name
                )),
            )
        } else {
            (outcome, error)
        };
        self.store
            .finish_run(run, outcome, error.as_deref(), self.now())?;
        let report = RunReport {
            scheme: scheme.name.clone(),
            run_id: run,
            kind,
            outcome,
            window_start: summary.as_ref().and_then(|s| s.window_start),
            window_end: summary.as_ref().and_then(|s| s.window_end),
            counts: summary.as_ref().map(|s| s.counts).unwrap_or_default(),
            concurrency: summary.and_then(|s| s.concurrency),
            error,
            queue_left: overview.queue.total(),
            recovered,
        };
        match outcome {
            RunOutcome::Succeeded => tracing::info!(
                scheme = %scheme.name,
                run,
                read = report.counts.read,
                written = report.counts.written,
                failed = report.counts.failed,
                "run succeeded"
            ),
            RunOutcome::SucceededWithDeadLetters => tracing::warn!(
                scheme = %scheme.name,
                run,
                read = report.counts.read,
                written = report.counts.written,
                failed = report.counts.failed,
                "run finished with dead letters"
            ),
            _ => tracing::warn!(
                scheme = %scheme.name,
                run,
                outcome = outcome.as_str(),
                error = report.error.as_deref().unwrap_or(""),
                "run did not complete"
            ),
        }
        Ok(report)
    }

    /// Checks the target once (login), retrying transient failures.
    async fn check_target(&self, scheme: &Scheme) -> Result<(), Stop> {
        let policy = scheme.settings.retry;
        let mut attempts = 0;
        let mut streak = 0;
        let started = tokio::time::Instant::now();
        loop {
            self.acquire(&scheme.target_limit).await?;
            match scheme.target.check().await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_rate_limited() => {
                    streak += 1;
                    if started.elapsed() > policy.rate_limit_patience {
                        return Err(Stop::Incomplete(format!("target still rate-limited: {e}")));
                    }
                    scheme.target_limit.pause(policy.rate_limit_pause(streak));
                }
                Err(e) if e.is_transient() || e.kind() == crate::error::ErrorKind::SessionLost => {
                    attempts += 1;
                    if attempts >= policy.max_attempts {
                        return Err(Stop::Incomplete(format!(
                            "target unavailable: {e} (after {attempts} attempts)"
                        )));
                    }
                    self.sleep(policy.backoff(attempts)).await?;
                }
                Err(e) => return Err(Stop::Failed(format!("target: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.backoff(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d9 = p.backoff(9);
            assert!(
                d9 >= Duration::from_millis(500) && d9 <= Duration::from_secs(1),
                "{d9:?}"
            );
        }
        assert!(p.rate_limit_pause(40) <= Duration::from_secs(60));
    }

    #[tokio::test]
    async fn shutdown_wakes_waiters() {
        let (trigger, signal) = Shutdown::new();
        assert!(!signal.requested());
        let waiter = tokio::spawn({
            let s = signal.clone();
            async move { s.wait().await }
        });
        trigger.trigger();
        waiter.await.unwrap();
        assert!(signal.requested());
        let never = Shutdown::never();
        let r = tokio::time::timeout(Duration::from_millis(20), never.wait()).await;
        assert!(r.is_err());
    }
}
