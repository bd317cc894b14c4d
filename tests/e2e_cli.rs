//! The `duijie` binary as a user runs it, against a sandbox served by the
//! test process: `init --sandbox`, `run`, `status`, `retry`; an incremental
//! run, wrong credentials, dead letters and their retry, faults.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use duijie_sandbox::{DocKind, FaultConfig, Service};
use serde_json::Value;
use support::*;

/// The last run of `scheme` in a status document.
fn last_run(status: &Value, scheme: SchemeInfo) -> Value {
    overview(status, scheme)["runs"][0].clone()
}

/// The reports `duijie run --format json` printed.
fn reports(out: &std::process::Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(out)))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn init_run_and_status_sync_both_schemes() {
    let sb = TestSandbox::start(data(120, 90, 11), |_| {});
    let dir = TempDir::new("full");
    init(dir.path(), &sb.url);
    let out = run_ok(dir.path(), &["run", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);

    for (scheme, documents) in [(PO, 120), (SI, 90)] {
        let e = expected(&sb.control, scheme);
        assert_eq!(e.documents(), documents);
        assert!(stdout.contains(&format!(
            "{}: succeeded — read {documents}, mapped {}, skipped {}, unchanged 0, written {}, failed {}",
            scheme.name,
            e.bills.len(),
            e.skipped.len(),
            e.bills.len(),
            e.failed.len()
        )), "{stdout}");
        assert_final(dir.path(), &sb, scheme, &e, &BTreeSet::new());
        let st = status(dir.path());
        let run = last_run(&st, scheme);
        assert_eq!(run["outcome"], "succeeded");
        assert_eq!(run["kind"], "incremental");
        let c = &run["counts"];
        assert_eq!(int(&c["read"]), documents as i64);
        assert_eq!(int(&c["written"]) as usize, e.bills.len());
        assert_eq!(int(&c["skipped"]) as usize, e.skipped.len());
        assert_eq!(int(&c["failed"]) as usize, e.failed.len());
        assert_eq!(
            int(&c["written"]) + int(&c["skipped"]) + int(&c["failed"]),
            int(&c["read"])
        );
    }
    // The purchase-order filter is exercised: unaudited orders are skipped.
    assert!(!expected(&sb.control, PO).skipped.is_empty());

    // The overview as text, from another directory through --config.
    let elsewhere = TempDir::new("elsewhere");
    let config = dir.config();
    let out = run_ok(
        elsewhere.path(),
        &["status", "--config", config.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("运行概况"), "{text}");
    let po = expected(&sb.control, PO);
    assert!(
        text.contains(&format!(
            "records       {} written · {} skipped · 0 failed · 0 queued",
            po.bills.len(),
            po.skipped.len()
        )),
        "{text}"
    );
    assert!(text.contains(SI.name) && text.contains(PO.name), "{text}");
    // Nothing was created in the other directory.
    assert!(!elsewhere.path().join(".duijie").exists());
}

#[test]
fn an_incremental_run_reads_only_what_changed() {
    let sb = TestSandbox::start(data(100, 10, 12), |_| {});
    let dir = TempDir::new("incremental");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "lag", "\"0s\"");
    set_scheme_key(dir.path(), "overlap", "\"1m\"");
    run_ok(dir.path(), &["run", "--all"]);
    let first = status(dir.path());
    let watermark = overview(&first, PO)["watermark"]
        .as_str()
        .unwrap()
        .to_string();
    let e = expected(&sb.control, PO);
    let bills_before = sb.control.bills(PO.form);

    // Three written orders and two skipped ones are edited.
    let id_of = |number: &str| {
        (1..=100u64)
            .find(|id| {
                sb.control.document(DocKind::PurchaseOrder, *id).unwrap()[PO.number_key] == number
            })
            .unwrap()
    };
    let written: Vec<u64> = e.bills.keys().take(3).map(|n| id_of(n)).collect();
    let skipped: Vec<u64> = e.skipped.iter().take(2).map(|n| id_of(n)).collect();
    assert_eq!(skipped.len(), 2, "the data holds unaudited orders");
    let touched: Vec<u64> = written.iter().chain(&skipped).copied().collect();
    assert_eq!(
        sb.control
            .touch(DocKind::PurchaseOrder, &touched, &chrono::Utc::now()),
        5
    );
    std::thread::sleep(Duration::from_millis(1100));

    let before = sb.control.request_counts();
    let out = run_ok(dir.path(), &["run", PO.name, "--format", "json"]);
    let after = sb.control.request_counts();
    let r = &reports(&out)[0];
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    let c = &r["counts"];
    assert_eq!(int(&c["read"]), 5, "only the edited orders: {r:#}");
    assert_eq!(int(&c["skipped"]), 2, "{r:#}");
    assert_eq!(int(&c["unchanged"]), 3, "already written, same bill: {r:#}");
    assert_eq!(int(&c["written"]), 0, "nothing is sent again: {r:#}");
    assert_eq!(int(&c["failed"]), 0, "{r:#}");
    assert!(
        after.wdt - before.wdt <= 2,
        "one page and its re-check: {before:?} → {after:?}"
    );
    assert_eq!(after.qimen, before.qimen, "the other scheme did not run");
    // Kingdee holds the same bills, each once, unchanged.
    assert_eq!(sb.control.bills(PO.form), bills_before);
    sb.assert_target_exact(PO, &e.written());

    let second = status(dir.path());
    let o = overview(&second, PO);
    assert_eq!(o["runs"].as_array().unwrap().len(), 2);
    assert!(
        o["watermark"].as_str().unwrap() > watermark.as_str(),
        "the watermark moves on: {watermark} → {}",
        o["watermark"]
    );
    assert_eq!(
        overview(&second, SI)["runs"].as_array().unwrap().len(),
        1,
        "only the named scheme ran"
    );
}

/// What a wrong secret leaves: nothing read, queued, written or moved.
fn assert_untouched(st: &Value, scheme: SchemeInfo) {
    let o = overview(st, scheme);
    assert!(o["watermark"].is_null(), "{o:#}");
    let r = &o["records"];
    for k in ["queued", "written", "skipped", "failed"] {
        assert_eq!(int(&r[k]), 0, "{k}: {o:#}");
    }
    assert_eq!(int(&o["dead_letters"]), 0, "{o:#}");
    assert_eq!(int(&o["queue"]["pending"]), 0, "{o:#}");
    let run = &o["runs"][0];
    assert_eq!(run["outcome"], "failed", "{o:#}");
    assert!(
        run["error"].as_str().unwrap().contains("authentication"),
        "{o:#}"
    );
}

#[test]
fn a_wrong_kingdee_secret_fails_clearly_and_leaves_no_state() {
    let sb = TestSandbox::start(data(40, 30, 13), |_| {});
    let dir = TempDir::new("badkd");
    init(dir.path(), &sb.url);
    set_key(
        dir.path(),
        "connections.kingdee",
        "app_secret",
        "\"ffffffffffffffffffffffffffffffff\"",
    );
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("kingdee") && all.contains("authentication failed"),
        "the message names the connection and the cause:\n{all}"
    );
    assert!(
        !all.contains("ffffffffffffffff"),
        "the secret is not shown:\n{all}"
    );
    // Checked before anything is read.
    let counts = sb.control.request_counts();
    assert_eq!((counts.wdt, counts.qimen), (0, 0), "{counts:?}");
    assert_eq!(sb.bills(PO) + sb.bills(SI), 0);
    let st = status(dir.path());
    assert_untouched(&st, PO);
    assert_untouched(&st, SI);
}

#[test]
fn a_wrong_wdt_secret_fails_that_scheme_only() {
    let sb = TestSandbox::start(data(40, 30, 14), |_| {});
    let dir = TempDir::new("badwdt");
    init(dir.path(), &sb.url);
    set_key(
        dir.path(),
        "connections.wdt",
        "appsecret",
        "\"wrong-secret\"",
    );
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("wdt purchase_order_query") && all.contains("authentication failed"),
        "the message names the connection and the cause:\n{all}"
    );
    assert!(
        !all.contains("wrong-secret"),
        "the secret is not shown:\n{all}"
    );
    let st = status(dir.path());
    assert_untouched(&st, PO);
    assert_eq!(sb.bills(PO), 0);
    // The stock-in scheme has its own connection and went on.
    let si = expected(&sb.control, SI);
    assert_final(dir.path(), &sb, SI, &si, &BTreeSet::new());
    assert_eq!(last_run(&st, SI)["outcome"], "succeeded");

    // Fixed, the next run reads the purchase orders from the start.
    set_key(dir.path(), "connections.wdt", "appsecret", "\"12345\"");
    run_ok(dir.path(), &["run", "--all"]);
    let po = expected(&sb.control, PO);
    assert_final(dir.path(), &sb, PO, &po, &BTreeSet::new());
}

#[test]
fn rejected_bills_are_dead_letters_and_retry_writes_them_once_fixed() {
    // Kingdee lacks one material: stock-ins with a line of it are rejected.
    let docs = data(20, 80, 15);
    let LacksMaterial {
        sandbox: sb,
        expected: e,
        material,
        rejected,
    } = sandbox_lacking_a_material(&docs);
    let dir = TempDir::new("retry");
    init_without_goods(dir.path(), &sb.url);
    let out = run(dir.path(), &["run", "--all"]);
    // Finished, with dead letters: an exit status of its own, and one line
    // for the rejections rather than one log line per bill.
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}: succeeded with dead letters", SI.name))
            && stdout.contains(&format!("{} record(s) became dead letters", rejected.len())),
        "{stdout}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("rejected"),
        "{}",
        text(&out)
    );
    assert_final(dir.path(), &sb, SI, &e, &rejected);
    let letters = dead_letters(dir.path(), SI);
    for d in &letters {
        assert_eq!(d["stage"], "write", "{d:#}");
        let reason = d["reason"].as_str().unwrap();
        assert!(reason.contains(&material), "Kingdee's message: {d:#}");
        assert!(d["bill"].as_str().unwrap().contains(&material), "{d:#}");
        assert_eq!(int(&d["occurrences"]), 1);
    }
    let st = status(dir.path());
    let top = &overview(&st, SI)["top_reasons"];
    assert_eq!(
        top.as_array()
            .unwrap()
            .iter()
            .map(|r| int(&r["count"]))
            .sum::<i64>(),
        rejected.len() as i64,
        "{top:#}"
    );
    // The text listing names them too.
    let out = run_ok(dir.path(), &["retry", SI.name]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains(&format!("{}: {} dead letters", SI.name, rejected.len())),
        "{listing}"
    );

    // Retried while the cause is still there: rejected again, counted.
    let out = run(dir.path(), &["retry", SI.name, "--all", "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        int(&r["counts"]["failed"]) as usize,
        rejected.len(),
        "{r:#}"
    );
    assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
    let again = dead_letters(dir.path(), SI);
    assert_eq!(dead_letter_ids(&again), rejected);
    // A letter that fails again keeps its id (what `retry --id` takes),
    // with one more occurrence, recorded by the retry run.
    let letter_ids = |ls: &[Value]| {
        let mut ids: Vec<i64> = ls.iter().map(|d| int(&d["id"])).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(letter_ids(&again), letter_ids(&letters), "{again:#?}");
    assert!(
        again.iter().all(|d| d["run_id"] == r["run_id"]
            && int(&d["occurrences"]) == 2
            && d["reason"].as_str().unwrap().contains(&material)),
        "{again:#?}"
    );

    // The material is added: here, the installation moves to a Kingdee that
    // has it (the sandbox's base data is fixed at start).
    let fixed = TestSandbox::start(docs, |_| {});
    set_key(
        dir.path(),
        "connections.kingdee",
        "base_url",
        &format!("\"{}/k3cloud\"", fixed.url),
    );
    let out = run_ok(dir.path(), &["retry", SI.name, "--all", "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["kind"], "retry", "{r:#}");
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(
        int(&r["counts"]["written"]) as usize,
        rejected.len(),
        "{r:#}"
    );
    fixed.assert_target_exact(SI, &rejected);
    assert!(dead_letters(dir.path(), SI).is_empty());
    let st = status(dir.path());
    let o = overview(&st, SI);
    assert_eq!(int(&o["dead_letters"]), 0, "{o:#}");
    assert_eq!(int(&o["records"]["failed"]), 0, "{o:#}");
    assert_eq!(
        int(&o["records"]["written"]) as usize,
        e.bills.len(),
        "{o:#}"
    );
    // A second retry has nothing to do.
    let out = run_ok(dir.path(), &["retry", SI.name]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no dead letters"),
        "{}",
        text(&out)
    );
}

#[test]
fn malformed_source_records_are_dead_letters_and_the_others_are_written() {
    // Unset times come as text no date parser accepts: stock-ins not yet
    // stocked in cannot be mapped.
    let data = duijie_sandbox::DataConfig {
        empty_time: "--".into(),
        ..data(10, 80, 16)
    };
    let sb = TestSandbox::start(data, |_| {});
    let e = expected(&sb.control, SI);
    assert!(!e.failed.is_empty() && !e.bills.is_empty(), "{e:?}");
    let dir = TempDir::new("malformed");
    init(dir.path(), &sb.url);
    run_done(dir.path(), &["run", "--all"]);
    assert_final(dir.path(), &sb, SI, &e, &BTreeSet::new());
    for d in dead_letters(dir.path(), SI) {
        assert_eq!(d["stage"], "map", "{d:#}");
        assert_eq!(d["target_field"], "FDate", "{d:#}");
        assert!(d["source_json"]
            .as_str()
            .unwrap()
            .contains("\"stockin_no\""));
    }
}

#[test]
fn faults_lose_and_duplicate_nothing() {
    let sb = TestSandbox::start(data(120, 100, 17), |_| {});
    let faults = FaultConfig {
        http_500: 0.08,
        slow: 0.04,
        drop: 0.08,
        rate_limit: 0.08,
        session_loss: 0.0,
        slow_delay: Duration::from_millis(1500),
    };
    sb.control.set_faults(Service::Wdt, faults.clone());
    sb.control.set_faults(Service::Qimen, faults.clone());
    sb.control.set_faults(
        Service::Kingdee,
        FaultConfig {
            session_loss: 0.08,
            ..faults
        },
    );
    let dir = TempDir::new("faults");
    init(dir.path(), &sb.url);
    for conn in ["wdt", "wdtqm", "kingdee"] {
        set_key(
            dir.path(),
            &format!("connections.{conn}"),
            "timeout",
            "\"1s\"",
        );
    }
    set_scheme_key(dir.path(), "page_size", "20");
    set_scheme_key(dir.path(), "batch_size", "5");
    set_scheme_key(dir.path(), "retry_base", "\"5ms\"");
    set_scheme_key(dir.path(), "retry_max", "\"100ms\"");
    set_scheme_key(dir.path(), "max_attempts", "12");
    let codes = run_until_done(dir.path(), 5);
    eprintln!("exit codes of the runs under faults: {codes:?}");
    let f = sb.control.fault_counts();
    assert!(
        f.http_500 > 0 && f.drop > 0 && f.rate_limit > 0 && f.session_loss > 0 && f.slow > 0,
        "{f:?}"
    );
    for scheme in [PO, SI] {
        let e = expected(&sb.control, scheme);
        assert_final(dir.path(), &sb, scheme, &e, &BTreeSet::new());
    }
}

#[test]
fn without_a_configuration_or_state_commands_say_what_to_do() {
    let dir = TempDir::new("empty");
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("duijie.toml not found") && stderr.contains("duijie init"),
        "{stderr}"
    );
    init(dir.path(), "http://127.0.0.1:9");
    let out = run(dir.path(), &["init", "--sandbox", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &["init", "--force", "--sandbox", "127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--sandbox wants a URL"),
        "{}",
        text(&out)
    );
    // The overview before any run: every scheme (the seed schemes and the
    // library's), nothing yet, no state made.
    let out = run_ok(dir.path(), &["status"]);
    let overview = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        overview.matches("runs          none yet").count(),
        7,
        "{overview}"
    );
    assert!(!dir.path().join(".duijie").exists());
}

#[test]
fn an_unreachable_target_leaves_the_run_incomplete_and_the_next_goes_on() {
    let docs = data(30, 20, 18);
    let first = TestSandbox::start(docs.clone(), |_| {});
    let addr = first.url.trim_start_matches("http://").to_string();
    let dir = TempDir::new("down");
    init(dir.path(), &first.url);
    drop(first); // the sandboxes are down
    set_scheme_key(dir.path(), "retry_base", "\"5ms\"");
    set_scheme_key(dir.path(), "retry_max", "\"20ms\"");
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("target unavailable") && all.contains("kingdee"),
        "{all}"
    );
    let st = status(dir.path());
    for scheme in [PO, SI] {
        let o = overview(&st, scheme);
        assert_eq!(o["runs"][0]["outcome"], "incomplete", "{o:#}");
        assert!(o["watermark"].is_null(), "{o:#}");
        assert_eq!(int(&o["records"]["queued"]), 0, "{o:#}");
    }
    // Back up on the same address: the next run does everything.
    let sb = TestSandbox::start(docs, |c| c.listen = addr.parse().unwrap());
    run_ok(dir.path(), &["run", "--all"]);
    for scheme in [PO, SI] {
        let e = expected(&sb.control, scheme);
        assert_final(dir.path(), &sb, scheme, &e, &BTreeSet::new());
    }
}

/// Sends `signal` (`INT`, `TERM`) to the process `pid`.
fn signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// Waits until `cond` holds, at most `secs` seconds.
fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn ctrl_c_stops_a_run_after_the_batch_in_flight() {
    let sb = TestSandbox::start(data(150, 10, 19), |c| {
        c.faults.kingdee = FaultConfig {
            slow: 1.0,
            slow_delay: Duration::from_millis(100),
            ..FaultConfig::default()
        };
    });
    let dir = TempDir::new("sigint");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "batch_size", "5");
    let child = duijie(dir.path())
        .args(["run", "--all"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(30, "the first bills", || sb.bills(PO) > 0);
    signal(child.id(), "INT");
    let stopped = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = stopped.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(took < Duration::from_secs(3), "stopped after {took:?}");
    let e = expected(&sb.control, PO);
    let written = sb.bills(PO);
    assert!(written < e.bills.len(), "stopped before the end: {written}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stopping after the batches in flight"),
        "{}",
        text(&out)
    );
    // A clean stop: recorded as incomplete, nothing left in flight or to
    // verify, what was written is recorded as written.
    let st = status(dir.path());
    let o = overview(&st, PO);
    assert_eq!(o["runs"][0]["outcome"], "incomplete", "{o:#}");
    assert_eq!(int(&o["queue"]["inflight"]), 0, "{o:#}");
    assert_eq!(int(&o["queue"]["to_verify"]), 0, "{o:#}");
    assert_eq!(int(&o["records"]["written"]) as usize, written, "{o:#}");
    assert_eq!(
        overview(&st, SI)["runs"].as_array().unwrap().len(),
        0,
        "the next scheme did not start"
    );
    run_ok(dir.path(), &["run", "--all"]);
    assert_final(dir.path(), &sb, PO, &e, &BTreeSet::new());
}

#[test]
fn the_daemon_runs_every_scheme_and_stops_on_sigterm() {
    let sb = TestSandbox::start(data(60, 40, 20), |_| {});
    let dir = TempDir::new("daemon");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "every", "\"1s\"");
    let po = expected(&sb.control, PO);
    let si = expected(&sb.control, SI);
    let child = duijie(dir.path())
        .arg("daemon")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(30, "every bill", || {
        sb.bills(PO) == po.bills.len() && sb.bills(SI) == si.bills.len()
    });
    // Two runs of each scheme at least (one per second).
    wait_for(30, "second runs", || {
        let st = status(dir.path());
        [PO, SI]
            .iter()
            .all(|s| overview(&st, *s)["runs"].as_array().unwrap().len() >= 2)
    });
    signal(child.id(), "TERM");
    let stopped = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(stopped.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}: succeeded", PO.name)),
        "{stdout}"
    );
    let st = status_runs(dir.path(), 100);
    for (scheme, e) in [(PO, &po), (SI, &si)] {
        assert_final(dir.path(), &sb, scheme, e, &BTreeSet::new());
        let runs = overview(&st, scheme)["runs"].as_array().unwrap().clone();
        // A run the signal caught stops cleanly, as incomplete.
        assert!(
            runs.iter().all(|r| r["outcome"] == "succeeded"
                || (r["outcome"] == "incomplete"
                    && r["error"].as_str().unwrap().contains("stopped on request"))),
            "{runs:#?}"
        );
    }
    for s in st["schemes"].as_array().unwrap() {
        assert_eq!(s["running"], false, "{s:#}");
    }
}
