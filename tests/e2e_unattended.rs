//! An unattended installation, tried as an operator would against the
//! sandbox: a disk that fills (`ulimit -f`) and empties, a scheme another
//! process holds, a run that dead-letters records, a daemon that starts
//! and stops; each ends or recovers on its own, says why, and loses
//! nothing.

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// Waits for `child` at most `secs` seconds; kills it and fails if it is
/// still running then (a run must never hang).
fn wait_at_most(mut child: Child, secs: u64, what: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{what} still running after {secs} s\n{}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `duijie run --all` in `dir` with files limited to `bytes` (`ulimit -f`).
fn run_with_file_limit(dir: &std::path::Path, bytes: u64) -> Output {
    let mut cmd = duijie(dir);
    cmd.args(["run", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    wait_at_most(cmd.spawn().unwrap(), 60, "a run on a full disk")
}

#[test]
fn a_full_disk_ends_each_run_with_its_cause_and_nothing_is_lost() {
    let sb = TestSandbox::start(data(120, 90, 31), |_| {});
    let dir = TempDir::new("full-disk");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "batch_size", "5");
    // Limits that the state store meets at different moments: creating
    // it, storing pages, recording outcomes.
    let mut seen = 0;
    for kib in [8u64, 96, 160, 240, 320, 480] {
        let size =
            |p: &str| std::fs::metadata(dir.path().join(".duijie").join(p)).map_or(0, |m| m.len());
        if size("state.db").max(size("state.db-wal")) >= kib * 1024 {
            continue; // this limit is already passed
        }
        for attempt in ["first", "second"] {
            let out = run_with_file_limit(dir.path(), kib * 1024);
            let all = text(&out);
            // Never killed by the signal, never a hang: an exit with a word.
            assert!(out.status.code().is_some(), "{kib} KiB, {attempt}: {all}");
            if out.status.code() == Some(1) {
                seen += 1;
                assert!(
                    all.contains("state store") && all.contains("could not write to the disk"),
                    "{kib} KiB, {attempt}: {all}"
                );
                assert!(
                    !all.contains("disk I/O error: disk I/O error"),
                    "said once: {all}"
                );
            }
        }
    }
    assert!(seen >= 4, "the limits met the store {seen} times");
    // The disk has room again: the runs go on and every document ends up
    // written once, dead-lettered or skipped.
    run_until_done(dir.path(), 6);
    for scheme in [PO, SI] {
        let e = expected(&sb.control, scheme);
        assert_final(dir.path(), &sb, scheme, &e, &BTreeSet::new());
    }
}

#[test]
fn run_all_runs_every_scheme_it_can_and_says_which_could_not_start() {
    // Kingdee lacks one material: the stock-ins that use it are rejected.
    let docs = data(40, 30, 32);
    let LacksMaterial {
        sandbox: sb,
        expected: si,
        material: _,
        rejected,
    } = sandbox_lacking_a_material(&docs);
    let dir = TempDir::new("held");
    init_without_goods(dir.path(), &sb.url);
    // Another process holds the purchase-order scheme.
    let locks = dir.path().join(".duijie").join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join(format!("{}.lock", PO.name))).unwrap();
    held.try_lock().unwrap();
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}: not started", PO.name))
            && stdout.contains("already being run by another duijie process"),
        "{stdout}"
    );
    // The other scheme ran; its rejected bills are dead letters, said in
    // the outcome's own word, in one line.
    assert!(
        stdout.contains(&format!("{}: succeeded with dead letters", SI.name))
            && stdout.contains(&format!("{} record(s) became dead letters", rejected.len())),
        "the other scheme ran: {stdout}"
    );
    let st = status(dir.path());
    assert_eq!(
        overview(&st, SI)["runs"][0]["outcome"],
        "succeeded_with_dead_letters"
    );
    assert_final(dir.path(), &sb, SI, &si, &rejected);
    drop(held);

    // Now it runs too, and that is the exit status of the run.
    let po = expected(&sb.control, PO);
    let out = run(dir.path(), &["run", "--all"]);
    let want = if po.failed.is_empty() { 0 } else { 4 };
    assert_eq!(out.status.code(), Some(want), "{}", text(&out));
    assert_final(dir.path(), &sb, PO, &po, &BTreeSet::new());

    // `run --help` documents the exit statuses.
    let help = run_ok(dir.path(), &["run", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for line in [
        "0  every run succeeded",
        "4  finished, but records became dead letters",
        "3  incomplete",
        "1  failed",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }

    // Retry: an unknown dead letter is an error and records no run; after
    // all are retried, nothing is left and no run is recorded either.
    let runs = || {
        overview(&status_runs(dir.path(), 100), PO)["runs"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = runs();
    let out = run(dir.path(), &["retry", PO.name, "--id", "999999"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no open dead letter 999999"),
        "{}",
        text(&out)
    );
    assert_eq!(runs(), before);

    // Nothing to retry: said so, and no run recorded.
    let fresh = TempDir::new("nothing-to-retry");
    init(fresh.path(), &sb.url);
    let out = run_ok(fresh.path(), &["retry", PO.name, "--all"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing to retry"),
        "{}",
        text(&out)
    );
    let st = status(fresh.path());
    assert_eq!(overview(&st, PO)["runs"].as_array().unwrap().len(), 0);
}

/// `kill -SIGNAL pid`.
fn signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// `duijie status` as text.
fn status_text(dir: &std::path::Path) -> String {
    String::from_utf8_lossy(&run_ok(dir, &["status"]).stdout).to_string()
}

#[test]
fn status_tells_a_live_daemon_from_none_and_files_are_private() {
    let sb = TestSandbox::start(data(20, 10, 33), |_| {});
    let dir = TempDir::new("heartbeat");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "every", "\"1s\"");
    let before = status_text(dir.path());
    assert!(before.contains("no daemon running"), "{before}");
    assert!(
        !before.contains("due now"),
        "no next run without a daemon: {before}"
    );

    let child = duijie(dir.path())
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    let live = loop {
        let s = status_text(dir.path());
        if s.contains("daemon: running since") && !s.contains("runs          none yet") {
            break s;
        }
        assert!(Instant::now() < deadline, "no live daemon in status:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(live.contains(&format!("pid {pid} on ")), "{live}");
    assert!(!live.contains("no daemon running"), "{live}");
    signal(pid, "TERM");
    let out = wait_at_most(child, 10, "the daemon after SIGTERM");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Its lines carry the time, in the sources' zone.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or("");
    assert!(
        first.len() > 26 && first.as_bytes()[4] == b'-' && first[19..25] == *"+08:00",
        "{stdout}"
    );
    let after = status_text(dir.path());
    assert!(
        after.contains(&format!("no daemon running (the last one, pid {pid} on "))
            && after.contains("stopped at")
            && after.contains("none scheduled: no daemon running"),
        "{after}"
    );

    // What the state holds (whole source records) and the file holding
    // the credentials are the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("duijie.toml")), 0o600);
    assert_eq!(mode(&dir.path().join(".duijie")), 0o700);
    assert_eq!(mode(&dir.path().join(".duijie/state.db")), 0o600);
    let wal = dir.path().join(".duijie/state.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}

#[test]
fn with_json_logs_a_fatal_error_is_json_too() {
    let dir = TempDir::new("json-logs");
    let out = run(dir.path(), &["--log-format", "json", "run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "{stderr}");
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(v["level"], "ERROR", "{line}");
        assert!(
            v["fields"]["error"]
                .as_str()
                .unwrap_or("")
                .contains("duijie.toml not found"),
            "{line}"
        );
    }
}

#[test]
fn a_mistyped_key_is_shown_like_a_map_diagnostic_with_a_suggestion() {
    let dir = TempDir::new("typo");
    init(dir.path(), "http://127.0.0.1:9");
    let path = dir.path().join("duijie.toml");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replacen("every = \"5m\"", "evry = \"5m\"", 1),
    )
    .unwrap();
    let out = run(dir.path(), &["run", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[C0003]: schemes.")
            && stderr.contains("unknown key `evry`")
            && stderr.contains("--> duijie.toml:")
            && stderr.contains("^^^^")
            && stderr.contains("= help: did you mean `every`?"),
        "{stderr}"
    );
    let out = run(dir.path(), &["status", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["code"], "C0003", "{json:#}");
    assert_eq!(json[0]["help"], "did you mean `every`?", "{json:#}");

    // A bare number for a duration asks for a unit.
    std::fs::write(&path, original.replacen("every = \"5m\"", "every = 5", 1)).unwrap();
    let out = run(dir.path(), &["run", "--all"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[C0002]") && stderr.contains("a duration needs a unit"),
        "{stderr}"
    );
}

/// Removes the line of `key` from table `[table]` of `dir/duijie.toml`.
fn remove_key(dir: &std::path::Path, table: &str, key: &str) {
    let path = dir.join("duijie.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_table = t.trim_end() == format!("[{table}]");
        }
        if in_table && t.starts_with(&format!("{key} ")) {
            continue;
        }
        out.push(line);
    }
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
}

#[test]
fn the_daemon_follows_cron_expressions_and_a_scheduled_backfill() {
    let sb = TestSandbox::start(data(20, 10, 34), |_| {});
    let dir = TempDir::new("schedules");
    init(dir.path(), &sb.url);
    // Stock-ins every second by cron; purchase orders hourly, with a
    // backfill of the last day every second.
    let si = format!("schemes.{}", SI.name);
    remove_key(dir.path(), &si, "every");
    set_key(dir.path(), &si, "cron", "\"* * * * * *\"");
    set_key(dir.path(), &si, "only", "\"00:00-23:59\"");
    let po = format!("schemes.{}", PO.name);
    set_key(dir.path(), &po, "every", "\"1h\"");
    set_key(dir.path(), &po, "backfill_days", "1");
    set_key(dir.path(), &po, "backfill_every", "\"1s\"");
    let child = duijie(dir.path())
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let st = status_runs(dir.path(), 100);
        let runs = |s| overview(&st, s)["runs"].as_array().unwrap().clone();
        let backfills = runs(PO).iter().filter(|r| r["kind"] == "backfill").count();
        let incremental = runs(PO)
            .iter()
            .filter(|r| r["kind"] == "incremental")
            .count();
        let si_runs = runs(SI).len();
        if backfills >= 2 && si_runs >= 2 {
            // Hourly: the first run only.
            assert_eq!(incremental, 1, "{:#}", overview(&st, PO));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "backfills {backfills}, stock-in runs {si_runs}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(child.id(), "TERM");
    let out = wait_at_most(child, 10, "the daemon after SIGTERM");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} cron \"* * * * * *\" within 00:00-23:59",
            SI.name
        )) && stderr.contains(&format!(
            "{} every 1h, backfill of the last 1 day(s) every 1s",
            PO.name
        )),
        "{stderr}"
    );
    // Read again and again, written once.
    for scheme in [PO, SI] {
        let e = expected(&sb.control, scheme);
        assert_final(dir.path(), &sb, scheme, &e, &BTreeSet::new());
    }
}

#[test]
fn a_daemon_on_a_disk_that_fills_says_so_and_recovers_once_it_empties() {
    let sb = TestSandbox::start(data(80, 60, 35), |_| {});
    let dir = TempDir::new("daemon-full-disk");
    init(dir.path(), &sb.url);
    set_scheme_key(dir.path(), "every", "\"1s\"");
    set_scheme_key(dir.path(), "batch_size", "5");
    let limit: u64 = 224 * 1024;
    let mut cmd = duijie(dir.path());
    cmd.arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: as in `run_with_file_limit`.
    unsafe {
        cmd.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let said = said.clone();
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stderr, &mut buf) {
                if n == 0 {
                    break;
                }
                said.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    // The disk is full: the daemon says why, and that it goes on.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !said.lock().unwrap().contains("trying again at") {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon stopped: {}",
            said.lock().unwrap()
        );
        assert!(
            Instant::now() < deadline,
            "no word of the full disk: {}",
            said.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        said.lock().unwrap().contains("could not write to the disk"),
        "{}",
        said.lock().unwrap()
    );
    // The disk has room again (the limit is lifted on the running daemon):
    // it recovers by itself on its schedule.
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit on our own child, with a valid limit.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &unlimited,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
    let po = expected(&sb.control, PO);
    let si = expected(&sb.control, SI);
    let deadline = Instant::now() + Duration::from_secs(60);
    while sb.bills(PO) < po.bills.len() || sb.bills(SI) < si.bills.len() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon stopped: {}",
            said.lock().unwrap()
        );
        assert!(
            Instant::now() < deadline,
            "not recovered: {}",
            said.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Bills sent while their outcome could not be recorded are looked up
    // and recorded by a later round.
    let settled = |st: &serde_json::Value| {
        [(PO, &po), (SI, &si)].iter().all(|(scheme, e)| {
            let o = overview(st, *scheme);
            int(&o["records"]["written"]) as usize == e.bills.len()
                && int(&o["queue"]["pending"]) + int(&o["queue"]["inflight"]) == 0
        })
    };
    while !settled(&status(dir.path())) {
        assert!(
            Instant::now() < deadline,
            "not settled: {}",
            said.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(pid, "TERM");
    let out = wait_at_most(child, 10, "the daemon after SIGTERM");
    reader.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said.lock().unwrap());
    for (scheme, e) in [(PO, &po), (SI, &si)] {
        assert_final(dir.path(), &sb, scheme, e, &BTreeSet::new());
    }
}
