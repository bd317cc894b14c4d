//! The sync engine when the state store fails (a full disk, a read-only
//! file): whichever task meets the error — the reader, the writer, the
//! mapping of a page — the run ends promptly with the store's error, is
//! recorded as failed where the store still allows it, and a later run on a
//! healthy store loses and duplicates nothing.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use duijie_maplib::Mapper;
use duijie_runtime::config::FirstStart;
use duijie_runtime::engine::window::WindowSettings;
use duijie_runtime::engine::{Engine, RunOptions, Scheme, Settings};
use duijie_runtime::ratelimit::Bucket;
use duijie_runtime::state::*;

const NOW: &str = "2024-03-01T00:00:00Z";

/// A store that fails the `n`-th call of one operation (and every later call
/// of every writing operation, as a full disk does), over a real one.
struct FailingStore {
    inner: SqliteStore,
    /// The operation that fails, and on which call (1-based).
    op: &'static str,
    nth: usize,
    calls: Mutex<HashMap<&'static str, usize>>,
    full: AtomicBool,
    /// Whether every later write fails too (a full disk), or only that one.
    sticky: bool,
}

impl FailingStore {
    fn new(inner: SqliteStore, op: &'static str, nth: usize) -> Self {
        FailingStore {
            inner,
            op,
            nth,
            calls: Mutex::new(HashMap::new()),
            full: AtomicBool::new(false),
            sticky: true,
        }
    }

    /// Fails the one call only.
    fn once(mut self) -> Self {
        self.sticky = false;
        self
    }

    /// Counts a call of `op`; fails it when the disk is "full".
    fn check(&self, op: &'static str, writes: bool) -> Result<()> {
        let mut calls = self.calls.lock().unwrap();
        let n = calls.entry(op).or_default();
        *n += 1;
        let this = op == self.op && *n == self.nth;
        if this {
            self.full.store(true, Ordering::SeqCst);
        }
        if (this || self.sticky && writes) && self.full.load(Ordering::SeqCst) {
            return Err(StoreError::Io {
                path: "state.db".into(),
                source: std::io::Error::from_raw_os_error(27), // EFBIG
            });
        }
        Ok(())
    }

    fn heal(&self) {
        self.full.store(false, Ordering::SeqCst);
    }
}

impl Store for FailingStore {
    fn lock_scheme(&self, scheme: &str) -> Result<SchemeLock> {
        self.inner.lock_scheme(scheme)
    }
    fn recover(&self, scheme: &str, now: DateTime<Utc>) -> Result<i64> {
        self.check("recover", true)?;
        self.inner.recover(scheme, now)
    }
    fn begin_run(&self, scheme: &str, kind: RunKind, now: DateTime<Utc>) -> Result<RunId> {
        self.check("begin_run", true)?;
        self.inner.begin_run(scheme, kind, now)
    }
    fn set_run_window(&self, run: RunId, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<()> {
        self.check("set_run_window", true)?;
        self.inner.set_run_window(run, start, end)
    }
    fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.check("finish_run", true)?;
        self.inner.finish_run(run, outcome, error, now)
    }
    fn set_run_concurrency(&self, run: RunId, concurrency: &RunConcurrency) -> Result<()> {
        self.check("set_run_concurrency", true)?;
        self.inner.set_run_concurrency(run, concurrency)
    }
    fn last_concurrency(&self, scheme: &str) -> Result<Option<(u32, u32)>> {
        self.check("last_concurrency", false)?;
        self.inner.last_concurrency(scheme)
    }
    fn watermark(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        self.check("watermark", false)?;
        self.inner.watermark(scheme)
    }
    fn set_watermark(&self, scheme: &str, value: Option<DateTime<Utc>>) -> Result<()> {
        self.check("set_watermark", true)?;
        self.inner.set_watermark(scheme, value)
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
        self.check("add_piece", true)?;
        self.inner
            .add_piece(run, scheme, index, start, end, advances)
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
        self.check("ingest", true)?;
        self.inner.ingest(run, scheme, piece, options, records, now)
    }
    fn finish_reading(&self, piece: PieceId, now: DateTime<Utc>) -> Result<bool> {
        self.check("finish_reading", true)?;
        self.inner.finish_reading(piece, now)
    }
    fn piece_complete(&self, piece: PieceId) -> Result<bool> {
        self.check("piece_complete", false)?;
        self.inner.piece_complete(piece)
    }
    fn due_steps(&self, scheme: &str, limit: usize, now: DateTime<Utc>) -> Result<Vec<StepItem>> {
        self.check("due_steps", false)?;
        self.inner.due_steps(scheme, limit, now)
    }
    fn record_steps(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(StepId, StepOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.check("record_steps", true)?;
        self.inner.record_steps(run, scheme, outcomes, now)
    }
    fn next_step_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        self.check("next_step_due", false)?;
        self.inner.next_step_due(scheme)
    }
    fn claim(
        &self,
        scheme: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>> {
        self.check("claim", true)?;
        self.inner.claim(scheme, owner, limit, lease, now)
    }
    fn record_outcomes(
        &self,
        run: RunId,
        scheme: &str,
        outcomes: &[(QueueId, WriteOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.check("record_outcomes", true)?;
        self.inner.record_outcomes(run, scheme, outcomes, now)
    }
    fn next_due(&self, scheme: &str) -> Result<Option<DateTime<Utc>>> {
        self.check("next_due", false)?;
        self.inner.next_due(scheme)
    }
    fn due_count(&self, scheme: &str, now: DateTime<Utc>, limit: usize) -> Result<usize> {
        self.check("due_count", false)?;
        self.inner.due_count(scheme, now, limit)
    }
    fn queue_depth(&self, scheme: &str) -> Result<QueueDepth> {
        self.inner.queue_depth(scheme)
    }
    fn dead_letters(&self, scheme: &str, filter: &DeadLetterFilter) -> Result<Vec<DeadLetter>> {
        self.inner.dead_letters(scheme, filter)
    }
    fn overview(&self, scheme: &str, last_runs: usize) -> Result<SchemeOverview> {
        self.inner.overview(scheme, last_runs)
    }
    fn schemes(&self) -> Result<Vec<String>> {
        self.inner.schemes()
    }
    fn record_status(
        &self,
        scheme: &str,
        record_id: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        self.inner.record_status(scheme, record_id)
    }
    fn daemon_started(
        &self,
        pid: u32,
        host: &str,
        schemes: &str,
        now: DateTime<Utc>,
    ) -> Result<DaemonId> {
        self.inner.daemon_started(pid, host, schemes, now)
    }
    fn daemon_beat(&self, id: DaemonId, now: DateTime<Utc>, stopped: bool) -> Result<()> {
        self.inner.daemon_beat(id, now, stopped)
    }
    fn daemons(&self) -> Result<Vec<DaemonBeat>> {
        self.inner.daemons()
    }
    fn lookup_cache(&self, form: &str, by: &str) -> Result<Option<LookupCache>> {
        self.inner.lookup_cache(form, by)
    }
    fn lookup_caches(&self) -> Result<Vec<LookupCache>> {
        self.inner.lookup_caches()
    }
    fn put_lookup_rows(
        &self,
        form: &str,
        by: &str,
        rows: &[LookupRow],
        seen: DateTime<Utc>,
    ) -> Result<()> {
        self.check("put_lookup_rows", true)?;
        self.inner.put_lookup_rows(form, by, rows, seen)
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
        self.check("finish_lookup_refresh", true)?;
        self.inner
            .finish_lookup_refresh(form, by, fields, full, started, modified_to, now)
    }
    fn lookup_row(&self, form: &str, by: &str, key: &str) -> Result<Option<String>> {
        self.inner.lookup_row(form, by, key)
    }
}

/// `n` records modified one every 9 hours back from `NOW` − 2 h.
fn records(n: usize) -> Vec<FakeRecord> {
    let end = utc(NOW) - chrono::Duration::hours(2);
    (0..n)
        .map(|i| FakeRecord {
            id: format!("CG{i:04}"),
            modified: end - chrono::Duration::hours(9 * (n - 1 - i) as i64),
            status: "40".into(),
            num: format!("{}.0000", i + 1),
        })
        .collect()
}

fn scheme(source: &Arc<FakeSource>, target: &Arc<FakeTarget>) -> Scheme {
    let mapper = Arc::new(TestMapper::new(Kind::Purchase));
    let mut settings = Settings::defaults(mapper.meta());
    settings.page_size = 10;
    settings.batch_size = 5;
    settings.concurrency = duijie_runtime::limit::Concurrency::Fixed(3);
    settings.retry.base = Duration::from_millis(2);
    settings.retry.max = Duration::from_millis(20);
    settings.window = WindowSettings::new(
        &mapper.meta().source,
        Duration::from_secs(600),
        Duration::from_secs(60),
        FirstStart::DaysAgo(45),
    );
    Scheme {
        name: "po".into(),
        mapper,
        settings,
        source: source.clone(),
        source_limit: Arc::new(Bucket::new("wdt:test", 0)),
        target: target.clone(),
        target_limit: Arc::new(Bucket::new("kingdee:test", 0)),
    }
}

/// For each operation and each of its first calls: the run that meets the
/// failure ends within seconds with the store's error; a second run on the
/// still-failing store ends too; once the disk has room again, a run
/// finishes the work with every bill written exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_store_ends_the_run_promptly_in_every_task_and_loses_nothing() {
    let ops: &[(&str, usize)] = &[
        ("recover", 1),
        ("begin_run", 1),
        ("set_run_window", 1),
        ("add_piece", 2),
        ("ingest", 4),
        ("finish_reading", 2),
        ("claim", 6),
        ("record_outcomes", 6),
        ("finish_run", 1),
        ("due_count", 3),
        ("next_due", 3),
        ("watermark", 1),
    ];
    for &(op, max) in ops {
        for nth in 1..=max {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(FailingStore::new(
                SqliteStore::open(dir.path()).unwrap(),
                op,
                nth,
            ));
            let source = FakeSource::new("purchase_no", records(95));
            let target = FakeTarget::new();
            let sch = scheme(&source, &target);
            let clock = TestClock::new(utc(NOW));
            let engine = Engine::new(store.clone()).with_clock(clock.now());
            for attempt in ["first", "second"] {
                let out = tokio::time::timeout(
                    Duration::from_secs(10),
                    engine.run(&sch, &RunOptions::default()),
                )
                .await
                .unwrap_or_else(|_| panic!("{attempt} run hung: {op} failing on call {nth}"));
                let failed = match out {
                    Err(e) => e.to_string(),
                    Ok(r) => {
                        assert_ne!(
                            r.outcome,
                            RunOutcome::Succeeded,
                            "{op} #{nth}: a run whose store failed cannot have succeeded"
                        );
                        r.error.unwrap_or_default()
                    }
                };
                if store.full.load(Ordering::SeqCst) {
                    assert!(
                        failed.contains("state store") && failed.contains("File too large"),
                        "{op} #{nth}, {attempt} run: {failed}"
                    );
                }
            }
            store.heal();
            let r = tokio::time::timeout(
                Duration::from_secs(10),
                engine.run(&sch, &RunOptions::default()),
            )
            .await
            .unwrap_or_else(|_| panic!("healed run hung: {op} #{nth}"))
            .unwrap();
            assert_eq!(
                r.outcome,
                RunOutcome::Succeeded,
                "{op} #{nth}: {:?}",
                r.error
            );
            assert_eq!(target.numbers().len(), 95, "{op} #{nth}");
            target.assert_each_once();
        }
    }
}

/// A store that fails once, in any task, and then takes writes again: the
/// run is recorded as failed, with the store's error, and the next run
/// finishes the work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fails_once_records_the_run_as_failed_with_its_cause() {
    for (op, nth) in [
        ("ingest", 3),
        ("claim", 4),
        ("record_outcomes", 4),
        ("add_piece", 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Arc::new(FailingStore::new(SqliteStore::open(dir.path()).unwrap(), op, nth).once());
        let source = FakeSource::new("purchase_no", records(95));
        let target = FakeTarget::new();
        let sch = scheme(&source, &target);
        let engine = Engine::new(store.clone()).with_clock(TestClock::new(utc(NOW)).now());
        let e = tokio::time::timeout(
            Duration::from_secs(10),
            engine.run(&sch, &RunOptions::default()),
        )
        .await
        .unwrap_or_else(|_| panic!("{op} #{nth}: hung"))
        .unwrap_err();
        assert!(e.to_string().contains("File too large"), "{op} #{nth}: {e}");
        let runs = store.overview("po", 1).unwrap().runs;
        assert_eq!(runs[0].outcome, RunOutcome::Failed, "{op} #{nth}");
        assert!(
            runs[0]
                .error
                .as_deref()
                .unwrap_or("")
                .contains("File too large"),
            "{op} #{nth}: {:?}",
            runs[0].error
        );
        let r = engine.run(&sch, &RunOptions::default()).await.unwrap();
        assert_eq!(
            r.outcome,
            RunOutcome::Succeeded,
            "{op} #{nth}: {:?}",
            r.error
        );
        assert_eq!(target.numbers().len(), 95, "{op} #{nth}");
        target.assert_each_once();
    }
}
