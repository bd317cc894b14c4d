use super::super::*;
use chrono::TimeZone;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn bill(id: &str, hash: &str, source: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: source.into(),
        result: IngestResult::Bill {
            bill: format!(r#"{{"FBillNo":"NO-{id}","h":"{hash}"}}"#),
            number: Some(format!("NO-{id}")),
            hash: hash.into(),
        },
    }
}

fn unmappable(id: &str, source: &str) -> IngestRecord {
    IngestRecord {
        record_id: Some(id.into()),
        source_json: source.into(),
        result: IngestResult::Failed {
            target: "FDate".into(),
            source: "stockin_time".into(),
            reason: "required by the form but null".into(),
        },
    }
}

const LEASE: Duration = Duration::from_secs(60);

fn ingest(s: &SqliteStore, run: RunId, records: &[IngestRecord], at: i64) -> IngestSummary {
    s.ingest(run, "po", None, IngestOptions::default(), records, t(at))
        .unwrap()
}

/// Claims every due bill of `po` and gives each the outcome `f` says.
fn write_all(s: &SqliteStore, run: RunId, at: i64, f: impl Fn(&QueueItem) -> WriteOutcome) {
    let items = s.claim("po", "w", 100, LEASE, t(at)).unwrap();
    let outcomes: Vec<_> = items.iter().map(|i| (i.id, f(i))).collect();
    s.record_outcomes(run, "po", &outcomes, t(at)).unwrap();
}

fn all(s: &SqliteStore) -> Vec<DeadLetterInfo> {
    s.list_dead_letters("po", &DeadLetterQuery::default())
        .unwrap()
}

/// A store with A rejected by the target after one failed attempt, and B
/// that could not be mapped.
fn store_with_letters() -> (SqliteStore, RunId) {
    let s = SqliteStore::open_in_memory().unwrap();
    let run = s.begin_run("po", RunKind::Incremental, t(0)).unwrap();
    ingest(&s, run, &[bill("A", "h1", r#"{"id":"A"}"#)], 1);
    write_all(&s, run, 2, |_| WriteOutcome::Retry {
        at: t(3),
        verify: true,
        count_attempt: true,
        error: "timed out after 30s".into(),
    });
    // A rate-limit pause is not an answer about the bill.
    write_all(&s, run, 3, |_| WriteOutcome::Retry {
        at: t(4),
        verify: true,
        count_attempt: false,
        error: "rate limited".into(),
    });
    write_all(&s, run, 4, |_| WriteOutcome::Failed {
        reason: "物料编码 M-9 不存在".into(),
    });
    ingest(&s, run, &[unmappable("B", r#"{"id":"B"}"#)], 100);
    (s, run)
}

#[test]
fn dead_letters_list_with_their_number_and_filter_by_reason_and_time() {
    let (s, _) = store_with_letters();
    let letters = all(&s);
    let ids: Vec<_> = letters
        .iter()
        .map(|d| d.letter.record_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["B", "A"], "most recent first");
    assert_eq!(letters[1].number.as_deref(), Some("NO-A"));
    assert_eq!(letters[0].number, None, "B was never mapped to a bill");
    assert!(letters.iter().all(|d| d.resolution.is_none()));

    let q = |reason: Option<&str>, since: Option<i64>, limit| DeadLetterQuery {
        reason: reason.map(str::to_string),
        since: since.map(t),
        limit,
        waiting: false,
    };
    let only = |q: DeadLetterQuery| -> Vec<String> {
        s.list_dead_letters("po", &q)
            .unwrap()
            .into_iter()
            .map(|d| d.letter.record_id.unwrap())
            .collect()
    };
    assert_eq!(only(q(Some("M-9"), None, 0)), ["A"]);
    // The field path matches too, without case.
    assert_eq!(only(q(Some("fdate"), None, 0)), ["B"]);
    assert_eq!(only(q(Some("stockin_time"), None, 0)), ["B"]);
    assert!(only(q(Some("nothing like it"), None, 0)).is_empty());
    assert_eq!(only(q(None, Some(50), 0)), ["B"]);
    assert_eq!(
        only(q(None, Some(4), 0)),
        ["B", "A"],
        "the bound is inclusive"
    );
    assert_eq!(only(q(None, None, 1)), ["B"]);
    assert!(s
        .list_dead_letters("other", &DeadLetterQuery::default())
        .unwrap()
        .is_empty());
}

#[test]
fn a_dead_letter_in_full_has_its_bill_and_every_answer() {
    let (s, run) = store_with_letters();
    let a = all(&s)
        .into_iter()
        .find(|d| d.letter.record_id.as_deref() == Some("A"))
        .unwrap();
    let d = s.dead_letter_detail(a.letter.id).unwrap().unwrap();
    assert_eq!(d.info, a);
    assert_eq!(d.info.letter.source_json, r#"{"id":"A"}"#);
    assert!(d.info.letter.bill.as_deref().unwrap().contains("NO-A"));
    let answers: Vec<_> = d
        .answers
        .iter()
        .map(|x| (x.outcome.as_str(), x.message.as_str(), x.at, x.run_id))
        .collect();
    assert_eq!(
        answers,
        [
            ("retry", "timed out after 30s", t(2), Some(run)),
            ("rejected", "物料编码 M-9 不存在", t(4), Some(run)),
        ]
    );
    assert!(d.actions.is_empty());
    assert_eq!(s.dead_letter_detail(9_999).unwrap(), None);
}

#[test]
fn a_discarded_letter_is_kept_marked_logged_and_never_resent() {
    let (s, _) = store_with_letters();
    let letters = all(&s);
    let (b, a) = (letters[0].letter.id, letters[1].letter.id);

    let Discard::Discarded(info) = s
        .discard_dead_letter(a, "测试单据, not a real order", "cli:ops", t(200))
        .unwrap()
    else {
        panic!("not discarded")
    };
    assert_eq!(info.resolution.as_deref(), Some("discarded"));
    assert_eq!(info.resolved_at, Some(t(200)));
    assert_eq!(info.note.as_deref(), Some("测试单据, not a real order"));
    assert_eq!(
        s.discard_dead_letter(a, "again", "cli:ops", t(201))
            .unwrap(),
        Discard::AlreadyResolved("discarded".into())
    );
    assert_eq!(
        s.discard_dead_letter(9_999, "x", "cli:ops", t(201))
            .unwrap(),
        Discard::NotFound
    );
    // No longer listed, still readable, with the action.
    let open: Vec<_> = all(&s).iter().map(|d| d.letter.id).collect();
    assert_eq!(open, [b]);
    let d = s.dead_letter_detail(a).unwrap().unwrap();
    assert_eq!(d.info.resolution.as_deref(), Some("discarded"));
    assert_eq!(d.actions.len(), 1);
    assert_eq!(
        (
            d.actions[0].actor.as_str(),
            d.actions[0].action.as_str(),
            d.actions[0].at
        ),
        ("cli:ops", "discard", t(200))
    );
    assert_eq!(s.actions(Some("po"), 10).unwrap(), d.actions);
    assert!(s.actions(Some("other"), 10).unwrap().is_empty());
    assert_eq!(s.overview("po", 1).unwrap().dead_letters, 1);
    assert_eq!(
        s.record_status("po", "A").unwrap(),
        Some(("discarded".into(), None))
    );

    // Read again, the same record is not queued, nor a dead letter again.
    let run = s.begin_run("po", RunKind::Incremental, t(300)).unwrap();
    let sum = ingest(&s, run, &[bill("A", "h1", r#"{"id":"A"}"#)], 301);
    assert_eq!((sum.queued, sum.unchanged, sum.failed), (0, 1, 0));
    assert_eq!(s.queue_depth("po").unwrap().pending, 0);
    // The same bill from a record whose text changed (an unrelated field)
    // is not sent either.
    let sum = ingest(&s, run, &[bill("A", "h1", r#"{"id":"A","memo":"x"}"#)], 302);
    assert_eq!((sum.queued, sum.unchanged), (0, 1));
    assert_eq!(open_ids(&s), [b]);

    // Discarding a mapping failure: read again unchanged, it stays closed.
    assert!(matches!(
        s.discard_dead_letter(b, "obsolete", "cli:ops", t(400))
            .unwrap(),
        Discard::Discarded(_)
    ));
    let sum = ingest(&s, run, &[unmappable("B", r#"{"id":"B"}"#)], 401);
    assert_eq!((sum.failed, sum.unchanged), (0, 1));
    assert!(all(&s).is_empty());

    // A record edited at the source is a new version: it goes through.
    let sum = ingest(&s, run, &[bill("A", "h2", r#"{"id":"A","qty":2}"#)], 500);
    assert_eq!(sum.queued, 1);
    let sum = ingest(&s, run, &[unmappable("B", r#"{"id":"B","v":2}"#)], 501);
    assert_eq!(sum.failed, 1);
    assert_eq!(all(&s).len(), 1, "a new letter for B's new version");
    assert_ne!(open_ids(&s), [b]);
}

fn open_ids(s: &SqliteStore) -> Vec<DeadLetterId> {
    all(s).iter().map(|d| d.letter.id).collect()
}

#[test]
fn the_migration_adds_to_a_store_of_the_previous_version() {
    use super::super::schema::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    {
        // A store as the previous version left it, with a dead letter.
        let mut conn = rusqlite::Connection::open(dir.path().join(SqliteStore::FILE)).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO dead_letters (scheme, record_id, stage, target_field, source_field,
                 reason, source_json, first_ms, last_ms)
             VALUES ('po', 'A', 'map', 'FDate', '', 'null', '{}', 1, 1)",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let s = SqliteStore::open(dir.path()).unwrap();
    let letters = all(&s);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].note, None);
    assert!(matches!(
        s.discard_dead_letter(letters[0].letter.id, "old", "cli:ops", t(1))
            .unwrap(),
        Discard::Discarded(_)
    ));
}

#[test]
fn a_scheme_is_paused_once_resumed_once_and_both_are_logged() {
    let s = SqliteStore::open_in_memory().unwrap();
    assert_eq!(s.paused("po").unwrap(), None);
    assert!(s.set_paused("po", true, "web:127.0.0.1", t(1)).unwrap());
    // Pausing it again changes nothing and logs nothing.
    assert!(!s.set_paused("po", true, "web:127.0.0.1", t(2)).unwrap());
    let p = s.paused("po").unwrap().unwrap();
    assert_eq!(
        (p.scheme.as_str(), p.at, p.actor.as_str()),
        ("po", t(1), "web:127.0.0.1")
    );
    assert_eq!(s.paused("other").unwrap(), None);
    assert!(s.set_paused("po", false, "cli:ops", t(3)).unwrap());
    assert!(!s.set_paused("po", false, "cli:ops", t(4)).unwrap());
    assert_eq!(s.paused("po").unwrap(), None);
    let log: Vec<(String, String)> = s
        .actions(Some("po"), 10)
        .unwrap()
        .into_iter()
        .map(|a| (a.action, a.actor))
        .collect();
    assert_eq!(
        log,
        [
            ("resume".to_string(), "cli:ops".to_string()),
            ("pause".to_string(), "web:127.0.0.1".to_string())
        ]
    );
}

#[test]
fn runs_are_read_by_id_since_a_time_and_added_up() {
    let (s, run) = store_with_letters();
    let one = s.run(run).unwrap().unwrap();
    assert_eq!(one.id, run);
    assert_eq!(s.run(run + 100).unwrap(), None);
    assert_eq!(s.runs_since("po", t(-10)).unwrap().len(), 1);
    assert!(s.runs_since("po", t(1_000_000)).unwrap().is_empty());
    assert_eq!(s.run_totals("po").unwrap(), one.counts);
    assert_eq!(s.run_totals("other").unwrap(), Counts::default());
    s.record_action("web:127.0.0.1", "po", "run", None, None, t(5))
        .unwrap();
    assert_eq!(s.actions(Some("po"), 1).unwrap()[0].action, "run");
}
