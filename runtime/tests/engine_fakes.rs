//! The sync engine against a fake source and a fake target: windows,
//! dedup, moved records, faults, dead letters, exactly-once writes.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use duijie_maplib::Mapper;
use duijie_runtime::config::FirstStart;
use duijie_runtime::engine::window::WindowSettings;
use duijie_runtime::engine::{Engine, RetrySelection, RunOptions, Scheme, Settings, Shutdown};
use duijie_runtime::error::{Error, ErrorKind, Vendor};
use duijie_runtime::ratelimit::Bucket;
use duijie_runtime::state::Step;
use duijie_runtime::state::{
    DeadLetterFilter, DeadStage, OnChange, RunKind, RunOutcome, SqliteStore, Store,
};

const NOW: &str = "2024-03-01T00:00:00Z";

struct Setup {
    store: Arc<SqliteStore>,
    clock: TestClock,
    source: Arc<FakeSource>,
    target: Arc<FakeTarget>,
    mapper: Arc<TestMapper>,
    settings: Settings,
    _dir: tempfile::TempDir,
}

fn minutes(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
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

fn setup(recs: Vec<FakeRecord>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let mapper = Arc::new(TestMapper::new(Kind::Purchase));
    let mut settings = Settings::defaults(mapper.meta());
    settings.page_size = 10;
    settings.batch_size = 5;
    settings.concurrency = 3;
    settings.retry.base = Duration::from_millis(2);
    settings.retry.max = Duration::from_millis(20);
    settings.window = WindowSettings::new(
        &mapper.meta().source,
        Duration::from_secs(600),
        Duration::from_secs(60),
        FirstStart::DaysAgo(45),
    );
    Setup {
        store,
        clock: TestClock::new(utc(NOW)),
        source: FakeSource::new("purchase_no", recs),
        target: FakeTarget::new(),
        mapper,
        settings,
        _dir: dir,
    }
}

impl Setup {
    fn scheme(&self) -> Scheme {
        Scheme {
            name: "po".into(),
            mapper: self.mapper.clone(),
            settings: self.settings.clone(),
            source: self.source.clone(),
            source_limit: Arc::new(Bucket::new("wdt:test", 0)),
            target: self.target.clone(),
            target_limit: Arc::new(Bucket::new("kingdee:test", 0)),
        }
    }

    fn engine(&self) -> Engine {
        Engine::new(self.store.clone()).with_clock(self.clock.now())
    }

    async fn run(&self) -> duijie_runtime::engine::RunReport {
        self.engine()
            .run(&self.scheme(), &RunOptions::default())
            .await
            .unwrap()
    }

    /// Sets the clock to an hour after `NOW`; returns that time.
    fn an_hour_later(&self) -> DateTime<Utc> {
        let later = utc(NOW) + chrono::Duration::hours(1);
        self.clock.set(later);
        later
    }

    fn watermark(&self) -> Option<DateTime<Utc>> {
        self.store.watermark("po").unwrap()
    }

    /// The watermark has not passed the oldest record: at most the end of
    /// the empty first piece.
    fn assert_watermark_before_records(&self) {
        let oldest = self
            .source
            .records
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.modified)
            .min()
            .unwrap();
        if let Some(wm) = self.watermark() {
            assert!(
                wm < oldest,
                "watermark {wm} passed the oldest record {oldest}"
            );
        }
    }
}

#[tokio::test]
async fn full_sync_writes_every_record_once_and_moves_the_watermark() {
    let s = setup(records(95)); // ~36 days: two pieces
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.counts.read, 95);
    assert_eq!(r.counts.mapped, 95);
    assert_eq!(r.counts.written, 95);
    assert_eq!(r.queue_left, 0);
    assert_eq!(s.target.numbers().len(), 95);
    s.target.assert_each_once();
    // The window ends at now − lag.
    let wm = s.watermark().unwrap();
    assert!(
        wm <= s.clock.get() - chrono::Duration::seconds(59)
            && wm > utc(NOW) - chrono::Duration::seconds(61)
    );
    assert_eq!(r.window_end, Some(wm));
    let o = s.store.overview("po", 5).unwrap();
    assert_eq!(o.records.written, 95);
    assert_eq!(o.runs[0].kind, RunKind::Incremental);
}

#[tokio::test]
async fn an_incremental_run_reads_only_what_changed() {
    let s = setup(records(30));
    assert_eq!(s.run().await.counts.written, 30);
    let calls_before = s.source.calls.load(Ordering::SeqCst);

    // An hour later: two records changed, one is new.
    let later = s.an_hour_later();
    s.source
        .modify("CG0003", later - minutes(30), Some("99.0000"));
    s.source.modify("CG0007", later - minutes(20), None);
    s.source.records.lock().unwrap().push(FakeRecord {
        id: "CG9999".into(),
        modified: later - minutes(10),
        status: "40".into(),
        num: "1.0000".into(),
    });
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    // The window is watermark − overlap … now − lag: only the three.
    assert_eq!(r.counts.read, 3);
    assert_eq!(r.counts.unchanged, 2, "on_change = skip");
    assert_eq!(r.counts.written, 1);
    assert_eq!(
        s.source.calls.load(Ordering::SeqCst) - calls_before,
        1,
        "one page"
    );
    assert_eq!(s.target.numbers().len(), 31);
    s.target.assert_each_once();
}

#[tokio::test]
async fn on_change_update_rewrites_the_same_bill() {
    let mut s = setup(records(12));
    s.settings.on_change = OnChange::Update;
    s.run().await;
    let fid = s.target.bills.lock().unwrap()["CG0005"].0.clone();
    let later = s.an_hour_later();
    s.source
        .modify("CG0005", later - minutes(30), Some("77.0000"));
    s.source.modify("CG0006", later - minutes(30), None); // same content
    let r = s.run().await;
    assert_eq!(r.counts.mapped, 1);
    assert_eq!(r.counts.unchanged, 1);
    assert_eq!(r.counts.written, 1);
    let bills = s.target.bills.lock().unwrap();
    assert_eq!(bills["CG0005"].0, fid, "the same bill");
    assert!(bills["CG0005"].1.contains("77.0000"));
    assert!(bills["CG0005"].1.starts_with(&format!("{{\"FID\":{fid},")));
    assert_eq!(bills.len(), 12);
}

#[tokio::test]
async fn a_record_moving_between_pages_while_reading_is_not_lost() {
    let mut s = setup(records(50));
    s.settings.concurrency = 1;
    // One piece of 50 records.
    s.settings.window.first_start = FirstStart::DaysAgo(20);
    // Pages: 0 first, then 4, 3, 2, 1. After page 4 is read, a record of
    // page 0 is modified: it leaves the window and every later record moves
    // one place down, so CG0010 (page 1's first) slides onto page 0, which
    // was read already.
    let clock = s.clock.clone();
    let mut moved = false;
    s.source.set_hook(Box::new(move |_, page, recs| {
        if page == 3 && !moved {
            moved = true;
            let r = recs.iter_mut().find(|r| r.id == "CG0005").unwrap();
            r.modified = clock.get();
        }
        None
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert!(
        s.source.calls.load(Ordering::SeqCst) >= 12,
        "the piece was read twice"
    );
    let numbers = s.target.numbers();
    assert!(
        numbers.contains(&"CG0010".to_string()),
        "the shifted record was read again"
    );
    assert_eq!(numbers.len(), 50);
    // CG0005 was read before it changed; the next run sees its new version.
    s.an_hour_later();
    let r2 = s.run().await;
    assert_eq!(r2.counts.read, 1);
    assert_eq!(r2.counts.unchanged, 1);
    s.target.assert_each_once();
}

#[tokio::test]
async fn a_piece_that_keeps_moving_stops_the_run_without_moving_the_watermark() {
    let mut s = setup(records(30));
    s.settings.max_rereads = 2;
    // Every call, a record *enters* the window before all the others (which
    // edits never do: they move records to the end): every record shifts
    // one place up, and one may cross onto a page already read.
    let mut k = 0;
    let oldest = s.source.records.lock().unwrap()[0].modified;
    s.source.set_hook(Box::new(move |_, _, recs| {
        k += 1;
        recs.push(FakeRecord {
            id: format!("NEW{k:03}"),
            modified: oldest - chrono::Duration::seconds(k),
            status: "40".into(),
            num: "1".into(),
        });
        None
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Incomplete);
    assert!(r.error.unwrap().contains("records kept moving"));
    s.assert_watermark_before_records();
}

#[tokio::test]
async fn records_edited_all_through_the_read_are_all_written() {
    let mut s = setup(records(60));
    s.settings.window.first_start = FirstStart::DaysAgo(30);
    // Every call, the oldest record in the window is edited (it moves to the
    // end, after the window): the total keeps falling.
    let clock = s.clock.clone();
    s.source.set_hook(Box::new(move |call, _, recs| {
        if call > 1 {
            let oldest = recs
                .iter_mut()
                .filter(|r| r.modified < clock.get())
                .min_by_key(|r| r.modified)
                .unwrap();
            oldest.modified = clock.get() + chrono::Duration::seconds(1);
        }
        None
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    // Edited records belong to the next window; the next run reads them.
    s.an_hour_later();
    *s.source.hook.lock().unwrap() = None;
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert_eq!(s.target.numbers().len(), 60);
    s.target.assert_each_once();
}

#[tokio::test]
async fn source_faults_and_rate_limits_do_not_fail_the_run() {
    let s = setup(records(60));
    s.source.set_hook(Box::new(|call, _, _| {
        let e = |kind, msg: &str| Error::new(Vendor::Wdt, "purchase_order_query", kind, msg);
        match call % 4 {
            1 => Some(e(ErrorKind::Transient, "HTTP 500").with_outcome_unknown(true)),
            2 => Some(
                e(
                    ErrorKind::RateLimited,
                    "超过每分钟最大调用频率限制，请稍后重试",
                )
                .with_code("100"),
            ),
            _ => None,
        }
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(s.target.numbers().len(), 60);
}

#[tokio::test]
async fn target_faults_lose_and_duplicate_nothing() {
    let mut s = setup(records(40));
    // Four calls in five fail, and batches go up to three at a time, so a
    // batch can meet several failures in a row: more attempts than the
    // default, to see every bill through in one run.
    s.settings.retry.max_attempts = 40;
    s.target.set_hook(Box::new(|call| match call % 5 {
        1 => Some(SaveFault::LostAnswer),
        2 => Some(SaveFault::Http500),
        3 => Some(SaveFault::RateLimited),
        4 => Some(SaveFault::SessionLost),
        _ => None,
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.counts.written, 40);
    assert_eq!(s.target.numbers().len(), 40);
    s.target.assert_each_once();
    assert!(
        s.target.find_calls.load(Ordering::SeqCst) > 0,
        "unknown outcomes were verified"
    );
    assert_eq!(s.store.queue_depth("po").unwrap().total(), 0);
}

#[tokio::test]
async fn a_target_that_stays_down_leaves_the_bills_queued_and_the_watermark_still() {
    let mut s = setup(records(10));
    s.settings.retry.max_attempts = 3;
    s.target.set_hook(Box::new(|_| Some(SaveFault::LostAnswer)));
    // Every save is carried out but its answer lost: verification finds
    // them all, so this converges; make it fail before anything is saved.
    s.target
        .set_hook(Box::new(|_| Some(SaveFault::NoConnection)));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Incomplete);
    assert!(
        r.error.as_deref().unwrap().contains("could not connect"),
        "{:?}",
        r.error
    );
    s.assert_watermark_before_records();
    assert_eq!(s.store.queue_depth("po").unwrap().pending, 10);
    // The target is back: the next run writes the queue first, which
    // completes the first run's window and moves the watermark to its end;
    // then its own window holds nothing new.
    *s.target.hook.lock().unwrap() = None;
    let first_end = s.store.overview("po", 1).unwrap().runs[0]
        .window_end
        .unwrap();
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert_eq!(r.counts.written, 10);
    assert_eq!(r.counts.read, 0);
    assert!(s.watermark().unwrap() >= first_end);
    s.target.assert_each_once();
}

#[tokio::test]
async fn malformed_records_are_dead_lettered_while_the_rest_is_written() {
    let mut recs = records(20);
    recs[3].num = "abc".into();
    recs[11].num = "1,5".into();
    recs[15].status = "10".into();
    let s = setup(recs);
    *s.target.reject_supplier.lock().unwrap() = None;
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::SucceededWithDeadLetters);
    assert_eq!(r.counts.read, 20);
    assert_eq!(r.counts.failed, 2);
    assert_eq!(r.counts.skipped, 1);
    assert_eq!(r.counts.written, 17);
    assert!(
        s.watermark().is_some(),
        "dead letters do not hold the watermark"
    );
    let dl = s
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap();
    assert_eq!(dl.len(), 2);
    let d = dl
        .iter()
        .find(|d| d.record_id.as_deref() == Some("CG0003"))
        .unwrap();
    assert_eq!(d.stage, DeadStage::Map);
    assert_eq!(d.target_field, "FEntity[0].FQty");
    assert_eq!(d.source_field, "details_list[0].num");
    assert_eq!(d.reason, "`abc` is not a decimal");
    assert!(d.source_json.contains("\"abc\""));

    // Fix the mapping and retry one, then all.
    s.mapper.lenient.store(true, Ordering::SeqCst);
    let engine = s.engine();
    let r = engine
        .retry(&s.scheme(), &RetrySelection::Ids(vec![d.id]), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert_eq!(r.counts.written, 1);
    assert_eq!(
        s.store
            .dead_letters("po", &DeadLetterFilter::default())
            .unwrap()
            .len(),
        1
    );
    let r = engine
        .retry(&s.scheme(), &RetrySelection::All, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.counts.written, 1);
    assert!(s
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap()
        .is_empty());
    assert_eq!(s.target.numbers().len(), 19);
    s.target.assert_each_once();
    // Nothing left to retry: no run is recorded.
    let runs = s.store.overview("po", 100).unwrap().runs.len();
    let none = engine
        .retry(&s.scheme(), &RetrySelection::All, true)
        .await
        .unwrap();
    assert!(none.is_none(), "{none:?}");
    // A dead letter that does not exist is an error, and no run either.
    let bad = engine
        .retry(&s.scheme(), &RetrySelection::Ids(vec![9999]), true)
        .await
        .unwrap_err();
    assert!(
        bad.to_string().contains("no open dead letter 9999"),
        "{bad}"
    );
    assert_eq!(s.store.overview("po", 100).unwrap().runs.len(), runs);
}

#[tokio::test]
async fn rejected_bills_become_dead_letters_with_the_target_message() {
    let mut recs = records(6);
    recs[2].id = "CG-BAD".into();
    let s = setup(recs);
    *s.target.reject_supplier.lock().unwrap() = Some("P001".into());
    let r = s.run().await;
    // Every bill rejected: not a plain success.
    assert_eq!(r.outcome, RunOutcome::SucceededWithDeadLetters);
    assert_eq!(r.outcome.to_string(), "succeeded with dead letters");
    assert!(
        r.error
            .as_deref()
            .unwrap_or("")
            .contains("6 record(s) became dead letters"),
        "{:?}",
        r.error
    );
    assert_eq!(r.counts.failed, 6);
    let dl = s
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap();
    assert_eq!(dl.len(), 6);
    assert_eq!(dl[0].stage, DeadStage::Write);
    assert_eq!(dl[0].reason, "供应商 P001 不存在");
    assert!(dl[0].bill.as_deref().unwrap().contains("FBillNo"));
    // The supplier is created in the target: retry writes them.
    *s.target.reject_supplier.lock().unwrap() = None;
    let r = s
        .engine()
        .retry(&s.scheme(), &RetrySelection::All, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.counts.written, 6);
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    s.target.assert_each_once();
}

/// An older server fails a batch with a bad bill as a whole: nothing saved,
/// an error naming no bill. The writer looks the bills up (none found) and
/// halves the batch down to the bad bills alone: they are dead letters with
/// the target's message, every other bill is written once.
#[tokio::test]
async fn a_batch_failing_as_a_whole_is_halved_down_to_its_bad_bills() {
    let mut s = setup(records(20));
    s.settings.batch_size = 8;
    s.settings.concurrency = 1;
    s.target.all_or_nothing.store(true, Ordering::SeqCst);
    *s.target.reject_numbers.lock().unwrap() = ["CG0003".to_string(), "CG0011".to_string()]
        .into_iter()
        .collect();
    let r = s.run().await;
    assert_eq!(
        r.outcome,
        RunOutcome::SucceededWithDeadLetters,
        "{:?}",
        r.error
    );
    assert_eq!(r.counts.written, 18);
    assert_eq!(r.counts.failed, 2);
    assert_eq!(r.queue_left, 0);
    s.target.assert_each_once();
    assert_eq!(s.target.numbers().len(), 18);
    let dl = s
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap();
    let mut bad: Vec<&str> = dl.iter().filter_map(|d| d.record_id.as_deref()).collect();
    bad.sort();
    assert_eq!(bad, vec!["CG0003", "CG0011"]);
    assert!(dl.iter().all(|d| d.reason == "物料不存在"), "{dl:?}");
    // Two batches of 8 with a bad bill each: 8 → 4 + 4 → 2 + 2 → 1 + 1,
    // seven saves each; the batch of 4 without one, a save.
    assert_eq!(s.target.save_calls.load(Ordering::SeqCst), 15);
}

/// A scheme that submits and audits as separate calls: every saved bill is
/// submitted, then audited. A run stopped between Save and Audit (here the
/// target's audits fail until the run gives up) leaves the audits waiting;
/// the next run neither saves nor submits again, and audits.
#[tokio::test]
async fn submit_and_audit_resume_at_the_step_left() {
    let mut s = setup(records(12));
    s.settings.submit_and_audit = true;
    s.settings.retry.max_attempts = 3;
    s.target.audits_down.store(true, Ordering::SeqCst);
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Incomplete, "{:?}", r.error);
    assert!(
        r.error.as_deref().unwrap_or("").contains("audit"),
        "{:?}",
        r.error
    );
    assert_eq!(r.counts.written, 12);
    let saves = s.target.save_calls.load(Ordering::SeqCst);
    let submitted: usize = s
        .target
        .steps
        .lock()
        .unwrap()
        .iter()
        .filter(|(step, _)| *step == Step::Submit)
        .map(|(_, ids)| ids.len())
        .sum();
    assert_eq!(submitted, 12, "each saved bill submitted once");
    assert!(s.target.audited.lock().unwrap().is_empty());

    // The target is back: the next run audits, and only audits.
    s.target.audits_down.store(false, Ordering::SeqCst);
    s.target.steps.lock().unwrap().clear();
    s.clock.set(utc(NOW) + chrono::Duration::minutes(5));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(
        s.target.save_calls.load(Ordering::SeqCst),
        saves,
        "nothing saved again"
    );
    let steps = s.target.steps.lock().unwrap().clone();
    assert!(
        steps.iter().all(|(step, _)| *step == Step::Audit),
        "{steps:?}"
    );
    let ids: std::collections::BTreeSet<String> = s
        .target
        .bills
        .lock()
        .unwrap()
        .values()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        *s.target.audited.lock().unwrap(),
        ids,
        "every saved bill audited"
    );
    s.target.assert_each_once();
}

#[tokio::test]
async fn wrong_credentials_give_a_clear_error_and_no_partial_state() {
    // Source.
    let s = setup(records(10));
    s.source.set_hook(Box::new(|_, _, _| {
        Some(
            Error::new(
                Vendor::Wdt,
                "purchase_order_query",
                ErrorKind::Auth,
                "签名错误",
            )
            .with_code("1060"),
        )
    }));
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(
        e.contains("authentication failed") && e.contains("签名错误"),
        "{e}"
    );
    assert_eq!(s.watermark(), None);
    assert_eq!(s.store.queue_depth("po").unwrap().total(), 0);
    assert_eq!(s.store.overview("po", 1).unwrap().records.queued, 0);

    // Target: refused before anything is read.
    let s = setup(records(10));
    s.target.bad_credentials.store(true, Ordering::SeqCst);
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    assert!(r.error.unwrap().contains("签名验证失败"));
    assert_eq!(s.source.calls.load(Ordering::SeqCst), 0);
    assert_eq!(s.store.queue_depth("po").unwrap().total(), 0);
}

#[tokio::test]
async fn a_run_killed_mid_write_resumes_without_duplicates() {
    let s = setup(records(23));
    // The third save is carried out, then the process "dies" (the run's
    // future is dropped while waiting for the answer).
    s.target.hang_on_call.store(3, Ordering::SeqCst);
    let engine = s.engine();
    let scheme = s.scheme();
    let killed = tokio::time::timeout(
        Duration::from_millis(500),
        engine.run(&scheme, &RunOptions::default()),
    )
    .await;
    assert!(killed.is_err(), "the run hung as planned");
    // The other batches (up to `concurrency` at a time) went on beside the
    // hung one, which was carried out too: every bill is in the target.
    assert_eq!(s.target.numbers().len(), 23);
    s.assert_watermark_before_records();
    // A new process runs again.
    s.target.hang_on_call.store(0, Ordering::SeqCst);
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.recovered, 5, "the batch in flight comes back to verify");
    assert_eq!(s.target.numbers().len(), 23);
    s.target.assert_each_once();
    let o = s.store.overview("po", 5).unwrap();
    assert_eq!(o.runs[1].outcome, RunOutcome::Interrupted);
}

#[tokio::test]
async fn shutdown_finishes_the_batch_in_flight_and_the_next_run_goes_on() {
    let s = setup(records(40));
    let (trigger, signal) = Shutdown::new();
    let t2 = trigger.clone();
    s.target.set_hook(Box::new(move |call| {
        if call == 2 {
            t2.trigger();
        }
        None
    }));
    let r = s
        .engine()
        .with_shutdown(signal)
        .run(&s.scheme(), &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(r.outcome, RunOutcome::Incomplete);
    // The batches in flight when the shutdown came (the second, and any
    // sent beside it) finished and were recorded; no new one was sent.
    let sent = s.target.numbers().len();
    assert!(
        (10..40).contains(&sent) && sent.is_multiple_of(5),
        "{sent} bills sent"
    );
    assert_eq!(r.counts.written as usize, sent);
    let r = s.run().await;
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert_eq!(r.recovered, 0, "nothing was left in flight");
    assert_eq!(s.target.numbers().len(), 40);
    s.target.assert_each_once();
    drop(trigger);
}

#[tokio::test]
async fn backfill_rereads_old_days_without_moving_the_watermark() {
    let s = setup(records(30));
    s.run().await;
    let wm = s.watermark();
    let r = s
        .engine()
        .run(
            &s.scheme(),
            &RunOptions {
                backfill_days: Some(3),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.kind, RunKind::Backfill);
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert!(r.counts.read > 0 && r.counts.read < 30);
    assert_eq!(r.counts.unchanged, r.counts.read);
    assert_eq!(s.watermark(), wm);
}

#[tokio::test]
async fn a_second_runner_of_the_same_scheme_is_refused() {
    let s = setup(records(3));
    let _lock = s.store.lock_scheme("po").unwrap();
    let e = s
        .engine()
        .run(&s.scheme(), &RunOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already being run"), "{e}");
}

/// What a progress display was told.
#[derive(Default)]
struct Told {
    totals: std::sync::Mutex<Vec<u64>>,
    pauses: std::sync::Mutex<Vec<(String, Duration)>>,
    zones: std::sync::Mutex<Vec<i32>>,
}

impl duijie_runtime::engine::Progress for Told {
    fn piece(
        &self,
        _: &str,
        _: usize,
        _: usize,
        start: DateTime<chrono::FixedOffset>,
        _: DateTime<chrono::FixedOffset>,
    ) {
        self.zones
            .lock()
            .unwrap()
            .push(start.offset().local_minus_utc());
    }
    fn total(&self, _: &str, total: u64) {
        self.totals.lock().unwrap().push(total);
    }
    fn paused(&self, _: &str, who: &str, pause: Duration) {
        self.pauses.lock().unwrap().push((who.to_string(), pause));
    }
}

#[tokio::test]
async fn progress_hears_each_piece_once_in_the_source_zone_and_every_rate_limit_pause() {
    let s = setup(records(95));
    s.source.set_hook(Box::new(|call, _, _| {
        (call == 2).then(|| {
            Error::new(
                Vendor::Wdt,
                "purchase_order_query",
                ErrorKind::RateLimited,
                "超过每分钟最大调用频率限制",
            )
            .with_code("100")
        })
    }));
    let told = Arc::new(Told::default());
    let r = s
        .engine()
        .with_progress(told.clone())
        .run(&s.scheme(), &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    // Two pieces of the window: the totals add up to the records, no more.
    assert_eq!(told.totals.lock().unwrap().iter().sum::<u64>(), 95);
    assert!(told.zones.lock().unwrap().iter().all(|z| *z == 8 * 3600));
    let pauses = told.pauses.lock().unwrap();
    assert_eq!(pauses.len(), 1, "{pauses:?}");
    assert_eq!(pauses[0].0, "旺店通");
}
