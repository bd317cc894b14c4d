use super::schema::MIGRATIONS;
use super::*;
use chrono::TimeZone;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn bill(id: &str, hash: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: format!(r#"{{"id":"{id}"}}"#),
        result: IngestResult::Bill {
            bill: format!(r#"{{"FBillNo":"{id}","h":"{hash}"}}"#),
            number: Some(id.into()),
            hash: hash.into(),
        },
    }
}

fn failed(id: &str, reason: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: format!(r#"{{"id":"{id}"}}"#),
        result: IngestResult::Failed {
            target: "FQty".into(),
            source: "num".into(),
            reason: reason.into(),
        },
    }
}

fn skipped(id: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: "{}".into(),
        result: IngestResult::Skipped {
            reason: "status = 10".into(),
        },
    }
}

const LEASE: Duration = Duration::from_secs(60);

/// Written records read again are updated when their bill changed.
const UPDATE: IngestOptions = IngestOptions {
    on_change: OnChange::Update,
    force: false,
};

/// Queued whatever their status (a retry).
const FORCE: IngestOptions = IngestOptions {
    on_change: OnChange::Skip,
    force: true,
};

fn written(id: QueueId, fid: &str) -> (QueueId, WriteOutcome) {
    (
        id,
        WriteOutcome::Written {
            target_id: fid.into(),
        },
    )
}

fn rejected(id: QueueId, reason: &str) -> (QueueId, WriteOutcome) {
    (
        id,
        WriteOutcome::Failed {
            reason: reason.into(),
        },
    )
}

fn retry(id: QueueId, at: DateTime<Utc>, verify: bool, error: &str) -> (QueueId, WriteOutcome) {
    (
        id,
        WriteOutcome::Retry {
            at,
            verify,
            count_attempt: true,
            error: error.into(),
        },
    )
}

// The tests work on the scheme `po`.

/// Starts an incremental run of `po` at `at`.
fn begin(s: &SqliteStore, at: DateTime<Utc>) -> RunId {
    s.begin_run("po", RunKind::Incremental, at).unwrap()
}

/// A store in memory, with a run of `po` started at t(0).
fn store_with_run() -> (SqliteStore, RunId) {
    let s = SqliteStore::open_in_memory().unwrap();
    let run = begin(&s, t(0));
    (s, run)
}

/// Adds the window piece `index` of `run`, from `start` to `end`, that
/// moves the watermark.
fn piece(s: &SqliteStore, run: RunId, index: i64, start: i64, end: i64) -> PieceId {
    s.add_piece(run, "po", index, t(start), t(end), true)
        .unwrap()
}

/// Stores `records` with the default options.
fn ingest(
    s: &SqliteStore,
    run: RunId,
    piece: Option<PieceId>,
    records: &[IngestRecord],
    at: DateTime<Utc>,
) -> IngestSummary {
    ingest_with(s, run, IngestOptions::default(), piece, records, at)
}

/// Stores `records` with `options`.
fn ingest_with(
    s: &SqliteStore,
    run: RunId,
    options: IngestOptions,
    piece: Option<PieceId>,
    records: &[IngestRecord],
    at: DateTime<Utc>,
) -> IngestSummary {
    s.ingest(run, "po", piece, options, records, at).unwrap()
}

/// Claims up to `limit` bills for `owner`.
fn claim(s: &SqliteStore, owner: &str, limit: usize, at: DateTime<Utc>) -> Vec<QueueItem> {
    s.claim("po", owner, limit, LEASE, at).unwrap()
}

fn record(s: &SqliteStore, run: RunId, outcomes: &[(QueueId, WriteOutcome)], at: DateTime<Utc>) {
    s.record_outcomes(run, "po", outcomes, at).unwrap()
}

/// Every open dead letter of `po`.
fn open_letters(s: &SqliteStore) -> Vec<DeadLetter> {
    s.dead_letters("po", &DeadLetterFilter::default()).unwrap()
}

#[test]
fn migrations_apply_once_and_refuse_newer_files() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.set_watermark("a", Some(t(5))).unwrap();
    }
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.watermark("a").unwrap(), Some(t(5)));
    let v: i64 = s
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, MIGRATIONS.len() as i64);
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    s.conn().pragma_update(None, "user_version", 99).unwrap();
    drop(s);
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

#[test]
fn open_existing_does_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("data");
    assert!(SqliteStore::open_existing(&sub).unwrap().is_none());
    assert!(!sub.exists());
}

#[test]
fn watermark_moves_only_when_the_piece_is_fully_written() {
    let (s, run) = store_with_run();
    let p = piece(&s, run, 0, -100, -10);
    let sum = ingest(&s, run, Some(p), &[bill("A", "h1"), bill("B", "h1")], t(1));
    assert_eq!(sum.queued, 2);
    assert!(!s.finish_reading(p, t(2)).unwrap());
    assert_eq!(s.watermark("po").unwrap(), None);

    let items = claim(&s, "w1", 20, t(3));
    assert_eq!(items.len(), 2);
    assert!(!items[0].verify);
    // Nothing more to claim while they are in flight.
    assert!(claim(&s, "w1", 20, t(3)).is_empty());
    record(&s, run, &[written(items[0].id, "100")], t(4));
    assert_eq!(s.watermark("po").unwrap(), None, "B is not written yet");
    record(&s, run, &[written(items[1].id, "101")], t(5));
    assert_eq!(s.watermark("po").unwrap(), Some(t(-10)));
    assert!(s.piece_complete(p).unwrap());
    assert_eq!(
        s.record_status("po", "B").unwrap(),
        Some(("written".into(), Some("101".into())))
    );

    s.finish_run(run, RunOutcome::Succeeded, None, t(6))
        .unwrap();
    let o = s.overview("po", 5).unwrap();
    assert_eq!(o.runs.len(), 1);
    assert_eq!(o.runs[0].outcome, RunOutcome::Succeeded);
    assert_eq!(o.runs[0].counts.read, 2);
    assert_eq!(o.runs[0].counts.mapped, 2);
    assert_eq!(o.runs[0].counts.written, 2);
    assert_eq!(o.records.written, 2);
    assert_eq!(o.queue.total(), 0);
}

#[test]
fn an_empty_piece_completes_when_read() {
    let (s, run) = store_with_run();
    let p = piece(&s, run, 0, -100, -10);
    ingest(&s, run, Some(p), &[skipped("A")], t(1));
    assert!(s.finish_reading(p, t(2)).unwrap());
    assert_eq!(s.watermark("po").unwrap(), Some(t(-10)));
}

#[test]
fn pieces_move_the_watermark_in_order_and_never_back() {
    let s = SqliteStore::open_in_memory().unwrap();
    s.set_watermark("po", Some(t(-50))).unwrap();
    let run = begin(&s, t(0));
    let p0 = piece(&s, run, 0, -300, -200);
    let p1 = piece(&s, run, 1, -200, -20);
    ingest(&s, run, Some(p0), &[bill("A", "h")], t(1));
    s.finish_reading(p0, t(1)).unwrap();
    // p1 completes first: its end is not reached while p0 is open.
    assert!(s.finish_reading(p1, t(2)).unwrap());
    assert_eq!(s.watermark("po").unwrap(), Some(t(-50)));
    let items = claim(&s, "w", 20, t(3));
    record(&s, run, &[written(items[0].id, "1")], t(4));
    assert_eq!(s.watermark("po").unwrap(), Some(t(-20)));

    // A backfill piece never moves it; an older end never moves it back.
    let run2 = s.begin_run("po", RunKind::Backfill, t(5)).unwrap();
    let b = s.add_piece(run2, "po", 0, t(-900), t(10), false).unwrap();
    assert!(s.finish_reading(b, t(6)).unwrap());
    let run3 = begin(&s, t(7));
    let old = piece(&s, run3, 0, -900, -800);
    assert!(s.finish_reading(old, t(8)).unwrap());
    assert_eq!(s.watermark("po").unwrap(), Some(t(-20)));
}

#[test]
fn rereads_are_deduplicated_and_updates_carry_the_target_id() {
    let (s, run) = store_with_run();
    ingest(&s, run, None, &[bill("A", "h1")], t(1));
    // Read again while still queued: the same bill is unchanged, a new
    // version replaces the waiting one.
    assert_eq!(ingest(&s, run, None, &[bill("A", "h1")], t(1)).unchanged, 1);
    assert_eq!(ingest(&s, run, None, &[bill("A", "h2")], t(1)).queued, 1);
    let items = claim(&s, "w", 20, t(2));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].hash, "h2");
    record(&s, run, &[written(items[0].id, "100")], t(3));

    // Written: skip mode ignores changes.
    assert_eq!(ingest(&s, run, None, &[bill("A", "h3")], t(4)).unchanged, 1);
    assert_eq!(s.queue_depth("po").unwrap().total(), 0);

    // Update mode: same content is unchanged, new content is queued as an
    // update of FID 100.
    let sum = ingest_with(&s, run, UPDATE, None, &[bill("A", "h2")], t(5));
    assert_eq!(sum.unchanged, 1);
    let sum = ingest_with(&s, run, UPDATE, None, &[bill("A", "h3")], t(5));
    assert_eq!(sum.queued, 1);
    let items = claim(&s, "w", 20, t(6));
    assert_eq!(items[0].target_id.as_deref(), Some("100"));
}

#[test]
fn mapping_failures_are_dead_letters_once_per_record() {
    let (s, run) = store_with_run();
    let sum = ingest(
        &s,
        run,
        None,
        &[failed("A", "not a decimal"), bill("B", "h")],
        t(1),
    );
    assert_eq!((sum.failed, sum.queued), (1, 1));
    ingest(&s, run, None, &[failed("A", "not a decimal")], t(2));
    let dl = open_letters(&s);
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].occurrences, 2);
    assert_eq!(dl[0].stage, DeadStage::Map);
    assert_eq!(dl[0].target_field, "FQty");
    assert_eq!(dl[0].source_json, r#"{"id":"A"}"#);
    let o = s.overview("po", 1).unwrap();
    assert_eq!(o.dead_letters, 1);
    assert_eq!(
        o.top_reasons,
        vec![ReasonCount {
            reason: "map: FQty: not a decimal".to_string(),
            count: 1
        }]
    );

    // Fixed mapping: the record maps, is queued, the dead letter resolves.
    ingest(&s, run, None, &[bill("A", "h")], t(3));
    assert!(open_letters(&s).is_empty());
    assert_eq!(s.queue_depth("po").unwrap().pending, 2);
}

#[test]
fn records_without_id_are_dead_letters() {
    let (s, run) = store_with_run();
    let mut r = failed("x", "the record has no `purchase_no`");
    r.record_id = None;
    ingest(&s, run, None, &[r.clone(), r], t(1));
    assert_eq!(open_letters(&s).len(), 2);
}

#[test]
fn rejected_bills_stay_dead_until_changed_or_retried() {
    let (s, run) = store_with_run();
    ingest(&s, run, None, &[bill("A", "h")], t(1));
    let items = claim(&s, "w", 20, t(2));
    record(&s, run, &[rejected(items[0].id, "物料不存在")], t(3));
    let dl = open_letters(&s);
    assert_eq!(dl[0].stage, DeadStage::Write);
    assert_eq!(dl[0].bill.as_deref(), Some(r#"{"FBillNo":"A","h":"h"}"#));
    // Read again, same bill: not sent again.
    assert_eq!(ingest(&s, run, None, &[bill("A", "h")], t(4)).failed, 1);
    assert_eq!(s.queue_depth("po").unwrap().total(), 0);
    // Retried: queued whatever its status.
    let sum = ingest_with(&s, run, FORCE, None, &[bill("A", "h")], t(5));
    assert_eq!(sum.queued, 1);
    assert!(open_letters(&s).is_empty());
}

#[test]
fn a_skip_of_a_newer_version_drops_the_waiting_bill() {
    let (s, run) = store_with_run();
    let p = piece(&s, run, 0, -10, -1);
    ingest(&s, run, Some(p), &[bill("A", "h")], t(1));
    ingest(&s, run, Some(p), &[skipped("A")], t(1));
    assert_eq!(s.queue_depth("po").unwrap().total(), 0);
    assert!(s.finish_reading(p, t(2)).unwrap());
    assert_eq!(s.record_status("po", "A").unwrap().unwrap().0, "skipped");
}

#[test]
fn retries_wait_and_expired_leases_come_back_to_verify() {
    let (s, run) = store_with_run();
    ingest(&s, run, None, &[bill("A", "h"), bill("B", "h")], t(1));
    let items = claim(&s, "w", 1, t(2));
    assert_eq!(items.len(), 1);
    record(
        &s,
        run,
        &[retry(items[0].id, t(30), true, "timed out")],
        t(3),
    );
    assert_eq!(s.queue_depth("po").unwrap().to_verify, 1);
    // B is due, A waits until t(30).
    let b = claim(&s, "w", 20, t(4));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].record_id, "B");
    assert_eq!(s.next_due("po").unwrap(), Some(t(30)));
    let a = claim(&s, "w", 20, t(31));
    assert_eq!(a.len(), 1);
    assert!(a[0].verify);
    assert_eq!(a[0].attempts, 1);
    // B's writer died: after its lease expires B comes back to verify.
    let b2 = claim(&s, "w2", 20, t(4 + 61));
    assert_eq!(b2.len(), 1);
    assert_eq!(b2[0].record_id, "B");
    assert!(b2[0].verify);
}

#[test]
fn recover_closes_what_a_dead_runner_left() {
    let dir = tempfile::tempdir().unwrap();
    let (p0, p1) = {
        let s = SqliteStore::open(dir.path()).unwrap();
        let run = begin(&s, t(0));
        let p0 = piece(&s, run, 0, -100, -50);
        let p1 = piece(&s, run, 1, -50, -10);
        ingest(&s, run, Some(p0), &[bill("A", "h")], t(1));
        s.finish_reading(p0, t(1)).unwrap();
        ingest(&s, run, Some(p1), &[bill("B", "h")], t(2));
        // A is claimed; the process dies before recording its outcome.
        assert_eq!(claim(&s, "w", 20, t(3)).len(), 2);
        (p0, p1)
    };
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.recover("po", t(10)).unwrap(), 2);
    let o = s.overview("po", 1).unwrap();
    assert_eq!(o.runs[0].outcome, RunOutcome::Interrupted);
    assert_eq!(o.queue.to_verify, 2);
    let items = claim(&s, "w", 20, t(11));
    assert!(items.iter().all(|i| i.verify));
    let run2 = begin(&s, t(11));
    let outcomes: Vec<_> = items.iter().map(|i| written(i.id, "7")).collect();
    record(&s, run2, &outcomes, t(12));
    // p0 was fully read: it completes; p1 was abandoned mid-read.
    assert!(s.piece_complete(p0).unwrap());
    assert!(!s.piece_complete(p1).unwrap());
    assert_eq!(s.watermark("po").unwrap(), Some(t(-50)));
}

#[test]
fn a_scheme_has_one_runner_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open(dir.path()).unwrap();
    let b = SqliteStore::open(dir.path()).unwrap();
    let lock = a.lock_scheme("po").unwrap();
    assert!(matches!(b.lock_scheme("po"), Err(StoreError::Busy { .. })));
    let _other = b.lock_scheme("stockin").unwrap();
    drop(lock);
    let _again = b.lock_scheme("po").unwrap();

    let m = SqliteStore::open_in_memory().unwrap();
    let l = m.lock_scheme("po").unwrap();
    assert!(m.lock_scheme("po").is_err());
    drop(l);
    assert!(m.lock_scheme("po").is_ok());
}

#[test]
fn schemes_lists_what_the_store_knows() {
    let s = SqliteStore::open_in_memory().unwrap();
    s.begin_run("b", RunKind::Incremental, t(0)).unwrap();
    s.set_watermark("a", Some(t(0))).unwrap();
    assert_eq!(s.schemes().unwrap(), vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn another_version_of_a_bill_being_written_waits_for_its_outcome() {
    let (s, run) = store_with_run();
    ingest_with(
        &s,
        run,
        UPDATE,
        None,
        &[bill("A", "h1"), bill("B", "h1")],
        t(1),
    );
    let items = claim(&s, "w", 20, t(2));
    assert_eq!(items.len(), 2);

    // While A and B are in flight: the same bill is just unchanged; a new
    // version, a skip or a mapping failure of the record is left for later
    // (and not counted), the other records of the page are stored.
    let page = [
        bill("A", "h1"),
        bill("A", "h2"),
        bill("C", "h1"),
        skipped("B"),
    ];
    let sum = ingest_with(&s, run, UPDATE, None, &page, t(3));
    assert_eq!(sum.busy, vec![1, 3]);
    assert_eq!((sum.unchanged, sum.queued), (1, 1));
    let sum = ingest_with(&s, run, UPDATE, None, &[failed("A", "bad")], t(3));
    assert_eq!(sum.busy, vec![0]);
    assert_eq!(sum.failed, 0);
    assert!(open_letters(&s).is_empty());
    assert_eq!(s.overview("po", 1).unwrap().runs[0].counts.read, 4);

    // A's write is recorded: the newer version is now an update of it, and
    // B, written, is skipped as the newer version says.
    record(
        &s,
        run,
        &[written(items[0].id, "100"), written(items[1].id, "101")],
        t(4),
    );
    let sum = ingest_with(
        &s,
        run,
        UPDATE,
        None,
        &[bill("A", "h2"), skipped("B")],
        t(5),
    );
    assert!(sum.busy.is_empty());
    assert_eq!((sum.queued, sum.skipped), (1, 1));
    let items = claim(&s, "w", 20, t(6));
    let a = items.iter().find(|i| i.record_id == "A").unwrap();
    assert_eq!(
        (a.hash.as_str(), a.target_id.as_deref()),
        ("h2", Some("100"))
    );
}

#[test]
fn due_count_counts_what_a_claim_would_take() {
    let (s, run) = store_with_run();
    let recs: Vec<_> = (0..5).map(|i| bill(&format!("R{i}"), "h")).collect();
    ingest(&s, run, None, &recs, t(1));
    let due = |at: i64, limit: usize| s.due_count("po", t(at), limit).unwrap();
    assert_eq!(due(1, 20), 5);
    assert_eq!(due(1, 3), 3);
    assert_eq!(s.due_count("other", t(1), 20).unwrap(), 0);
    let items = claim(&s, "w", 2, t(2));
    assert_eq!(due(2, 20), 3);
    // One back in backoff until t(30); the claimed lease expires at t(62).
    record(
        &s,
        run,
        &[retry(items[0].id, t(30), false, "HTTP 500")],
        t(3),
    );
    assert_eq!(due(3, 20), 3);
    assert_eq!(due(30, 20), 4);
    assert_eq!(due(63, 20), 5);
    assert_eq!(claim(&s, "w", 20, t(63)).len(), 5);
    assert_eq!(due(63, 20), 0);
}

#[test]
fn only_synced_commits_flush_and_the_log_checkpoints_every_40_mb() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path()).unwrap();
    let pragma = |s: &SqliteStore, name: &str| -> i64 {
        s.conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    // synchronous: 1 NORMAL, 2 FULL.
    assert_eq!(pragma(&s, "synchronous"), 1);
    assert_eq!(pragma(&s, "wal_autocheckpoint"), 10_000);
    let run = begin(&s, t(0));
    ingest(&s, run, None, &[bill("A", "h")], t(1));
    assert_eq!(claim(&s, "w", 20, t(2)).len(), 1);
    // A synced commit puts the connection back to NORMAL, failed or not.
    assert_eq!(pragma(&s, "synchronous"), 1);
    let err = s.write_synced(|tx| {
        tx.exec("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(err.is_err());
    assert_eq!(pragma(&s, "synchronous"), 1);
}

#[test]
fn stores_opened_at_once_on_a_new_directory_migrate_it_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || SqliteStore::open(&path).map(|_| ()))
            })
            .collect();
        for o in opens {
            o.join().unwrap().unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_the_state_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a").join(".duijie");
    let store = SqliteStore::open(&data).unwrap();
    store.begin_run("po", RunKind::Incremental, t(0)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join(SqliteStore::FILE)), 0o600);
    let wal = data.join(format!("{}-wal", SqliteStore::FILE));
    assert_eq!(mode(&wal), 0o600);
}

#[test]
fn a_store_error_says_what_it_means_once_and_names_the_file() {
    let e = StoreError::from(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
        Some("attempt to write a readonly database".into()),
    ))
    .at(".duijie/state.db");
    let m = e.to_string();
    assert_eq!(
        m,
        "state store .duijie/state.db: the file is read-only: check the permissions of the file and its directory (SQLite code 8)"
    );
    let full = StoreError::from(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_WRITE),
        Some("disk I/O error".into()),
    ));
    let m = full.to_string();
    assert!(
        m.starts_with("state store: could not write to the disk"),
        "{m}"
    );
    assert_eq!(m.matches("disk I/O error").count(), 0, "{m}");
}

#[test]
fn a_run_keeps_where_its_concurrency_settled_and_the_next_starts_there() {
    let s = SqliteStore::open_in_memory().unwrap();
    assert_eq!(s.last_concurrency("po").unwrap(), None);
    let first = s.begin_run("po", RunKind::Incremental, t(0)).unwrap();
    let o = s.overview("po", 1).unwrap();
    assert_eq!(o.runs[0].concurrency, None, "not recorded yet");
    let found = RunConcurrency {
        adaptive: true,
        write: Settled {
            limit: 6,
            peak: 8,
            overloads: 2,
        },
        read: Settled {
            limit: 3,
            peak: 3,
            overloads: 0,
        },
    };
    s.set_run_concurrency(first, &found).unwrap();
    s.finish_run(first, RunOutcome::Succeeded, None, t(1))
        .unwrap();
    assert_eq!(
        s.overview("po", 1).unwrap().runs[0].concurrency,
        Some(found)
    );
    assert_eq!(s.last_concurrency("po").unwrap(), Some((6, 3)));
    assert_eq!(s.last_concurrency("other").unwrap(), None);
    // A run with fixed limits is shown, but is not where adaptive ones start.
    let fixed = s.begin_run("po", RunKind::Incremental, t(2)).unwrap();
    let two = Settled {
        limit: 2,
        peak: 2,
        overloads: 0,
    };
    s.set_run_concurrency(
        fixed,
        &RunConcurrency {
            adaptive: false,
            write: two,
            read: two,
        },
    )
    .unwrap();
    let runs = s.overview("po", 2).unwrap().runs;
    assert_eq!(runs[0].concurrency.map(|c| c.adaptive), Some(false));
    assert_eq!(s.last_concurrency("po").unwrap(), Some((6, 3)));
}

fn waiting(id: &str, sku: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: format!(r#"{{"id":"{id}","sku":"{sku}"}}"#),
        result: IngestResult::Waiting {
            target: "FEntity[0].FMaterialId.FNumber".into(),
            source: "details_list[0].spec_no".into(),
            reason: format!("物料 {sku} 不在金蝶 (BD_MATERIAL.FNumber): the record waits for it"),
            waiting: duijie_maplib::Waiting {
                form: "BD_MATERIAL".into(),
                by: "FNumber".into(),
                key: sku.into(),
            },
        },
    }
}

#[test]
fn waiting_records_are_parked_apart_from_failures_and_queued_once_they_map() {
    let (s, run) = store_with_run();
    let p = piece(&s, run, 0, 0, 100);
    let sum = ingest(
        &s,
        run,
        Some(p),
        &[
            waiting("A", "SKU1"),
            waiting("B", "SKU1"),
            failed("C", "bad"),
        ],
        t(1),
    );
    assert_eq!((sum.waiting, sum.failed, sum.queued), (2, 1, 0));
    // The piece holds nothing left to write: it completes, the watermark moves.
    assert!(s.finish_reading(p, t(2)).unwrap());
    assert_eq!(s.watermark("po").unwrap(), Some(t(100)));
    let o = s.overview("po", 1).unwrap();
    assert_eq!((o.dead_letters, o.waiting), (1, 2));
    assert_eq!(o.records.waiting, 2);
    assert_eq!(o.top_waiting.len(), 1);
    assert_eq!(o.top_waiting[0].count, 2);
    assert_eq!(o.top_waiting[0].waiting.key, "SKU1");
    assert!(o.top_reasons.iter().all(|r| !r.reason.contains("SKU1")));
    assert_eq!(o.runs[0].counts.waiting, 2);
    assert_eq!(o.runs[0].counts.failed, 1);
    let letters = s.dead_letters("po", &DeadLetterFilter::waiting()).unwrap();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .all(|d| d.waiting.as_ref().is_some_and(|w| w.key == "SKU1")));
    // Still missing: the same letter, once more; found: queued, the letter closed.
    let again = ingest(
        &s,
        run,
        None,
        &[waiting("A", "SKU1"), bill("B", "h1")],
        t(3),
    );
    assert_eq!((again.waiting, again.queued), (1, 1));
    let left = s.dead_letters("po", &DeadLetterFilter::waiting()).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].record_id.as_deref(), Some("A"));
    assert_eq!(left[0].occurrences, 2);
    // A waiting record that then fails for another reason is a failure, no longer waiting.
    ingest(&s, run, None, &[failed("A", "bad date")], t(4));
    let o = s.overview("po", 1).unwrap();
    assert_eq!((o.dead_letters, o.waiting), (2, 0));
    let a = open_letters(&s)
        .into_iter()
        .find(|d| d.record_id.as_deref() == Some("A"))
        .unwrap();
    assert_eq!((a.stage, a.waiting), (DeadStage::Map, None));
}

fn row(key: &str, fields: Option<&str>) -> LookupRow {
    LookupRow {
        key: key.into(),
        id: Some(1),
        fields: fields.map(str::to_string),
    }
}

#[test]
fn lookup_caches_keep_rows_by_key_and_full_refreshes_drop_the_unseen() {
    let s = SqliteStore::open_in_memory().unwrap();
    assert_eq!(s.lookup_cache("BD_MATERIAL", "FNumber").unwrap(), None);
    s.put_lookup_rows(
        "BD_MATERIAL",
        "FNumber",
        &[
            row("A01", Some(r#"{"FName":"甲"}"#)),
            row("A02", Some(r#"{"FName":"乙"}"#)),
        ],
        t(0),
    )
    .unwrap();
    let fields = vec!["FName".to_string()];
    let n = s
        .finish_lookup_refresh(
            "BD_MATERIAL",
            "FNumber",
            &fields,
            true,
            t(0),
            Some(("2026-12-04T10:00:00", 7)),
            t(1),
        )
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        s.lookup_row("BD_MATERIAL", "FNumber", "A01")
            .unwrap()
            .as_deref(),
        Some(r#"{"FName":"甲"}"#)
    );
    // Incremental: A01 changed, A02 forbidden (leaves), nothing else dropped.
    s.put_lookup_rows(
        "BD_MATERIAL",
        "FNumber",
        &[
            row("A01", Some(r#"{"FName":"甲2"}"#)),
            row("A02", None),
            row("A03", Some("{}")),
        ],
        t(10),
    )
    .unwrap();
    let n = s
        .finish_lookup_refresh("BD_MATERIAL", "FNumber", &fields, false, t(10), None, t(11))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(s.lookup_row("BD_MATERIAL", "FNumber", "A02").unwrap(), None);
    let c = s.lookup_cache("BD_MATERIAL", "FNumber").unwrap().unwrap();
    // An incremental refresh that saw nothing newer keeps where it had read to.
    assert_eq!(c.modified_to.as_deref(), Some("2026-12-04T10:00:00"));
    assert_eq!(c.modified_id, Some(7));
    assert_eq!(
        (c.rows, c.fields.clone(), c.full),
        (2, fields.clone(), Some(t(1)))
    );
    assert_eq!(c.refreshed, Some(t(11)));
    // Full: only what this refresh saw stays.
    s.put_lookup_rows("BD_MATERIAL", "FNumber", &[row("A03", Some("{}"))], t(20))
        .unwrap();
    let n = s
        .finish_lookup_refresh("BD_MATERIAL", "FNumber", &fields, true, t(20), None, t(21))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s.lookup_row("BD_MATERIAL", "FNumber", "A01").unwrap(), None);
    // Another key field of the same form is another cache.
    assert_eq!(
        s.lookup_row("BD_MATERIAL", "FBARCODE", "A03").unwrap(),
        None
    );
    assert_eq!(s.lookup_caches().unwrap().len(), 1);
}

#[test]
fn a_written_record_waits_only_when_its_changes_are_written_and_stops_waiting_when_it_maps() {
    let (s, run) = store_with_run();
    ingest(&s, run, None, &[bill("A", "h1")], t(1));
    let items = claim(&s, "w", 10, t(2));
    record(&s, run, &[written(items[0].id, "100")], t(3));
    // Changes are skipped: the written record read again needs nothing.
    let sum = ingest(&s, run, None, &[waiting("A", "SKU1")], t(4));
    assert_eq!((sum.waiting, sum.unchanged), (0, 1));
    assert_eq!(s.overview("po", 1).unwrap().waiting, 0);
    // Changes are written: the new version waits, then maps to what is
    // written already, and waits no more.
    let sum = ingest_with(&s, run, UPDATE, None, &[waiting("A", "SKU1")], t(5));
    assert_eq!(sum.waiting, 1);
    let sum = ingest_with(&s, run, UPDATE, None, &[bill("A", "h1")], t(6));
    assert_eq!(sum.unchanged, 1);
    let o = s.overview("po", 1).unwrap();
    assert_eq!((o.waiting, o.records.written, o.records.waiting), (0, 1, 0));
}
