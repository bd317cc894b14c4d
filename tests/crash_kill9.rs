//! The crash test: `duijie run --all` is killed with SIGKILL at random
//! moments, several times, then run to completion. Afterwards Kingdee holds
//! every bill that maps exactly once, every bill Kingdee rejects is a dead
//! letter (once), and the counts add up to the source's documents — for the
//! seed schemes and for the library's sales scheme.
//!
//! Kingdee answers slowly now and then (and drops some answers after saving,
//! the case that makes exactly-once hard), the sources answer slowly now and
//! then, and batches are small, so that a run lasts long enough to be killed
//! while it reads, while a batch is in flight and between the two. The kill
//! times are drawn (seeded: `DUIJIE_CRASH_SEED` replays another draw) across
//! the span a full run takes, scaled down as the work left shrinks; the log
//! tells which iterations really interrupted a run.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use duijie_sandbox::{DataConfig, FaultConfig, MasterData, SandboxConfig};
use support::*;

const ITERATIONS: usize = 8;

/// Slow answers from every service; Kingdee also drops a few answers (after
/// saving the bill, by the sandbox's second draw).
fn faults(config: &mut SandboxConfig, master: MasterData) {
    config.kingdee.master_data = master;
    config.faults.kingdee = FaultConfig {
        slow: 0.3,
        drop: 0.04,
        slow_delay: Duration::from_millis(120),
        ..FaultConfig::default()
    };
    let source = FaultConfig {
        slow: 0.3,
        slow_delay: Duration::from_millis(80),
        ..FaultConfig::default()
    };
    config.faults.wdt = source.clone();
    config.faults.qimen = source;
}

/// An installation for the sandbox at `url`: small pages and batches, quick
/// retries; the goods scheme disabled, so the material 金蝶 lacks stays
/// missing and its bills are rejected.
fn install(dir: &Path, url: &str) {
    init_without_goods(dir, url);
    set_scheme_key(dir, "page_size", "20");
    set_scheme_key(dir, "batch_size", "5");
    set_scheme_key(dir, "retry_base", "\"10ms\"");
    set_scheme_key(dir, "retry_max", "\"200ms\"");
    set_scheme_key(dir, "max_attempts", "20");
}

fn spawn_run(dir: &Path) -> Child {
    duijie(dir)
        .args(["run", "--all"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// What a run was doing when it was watched last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No source read and nothing written yet: starting, recovering,
    /// checking the target.
    Starting,
    /// The last request went to the source.
    Reading,
    /// The last request went to Kingdee after the run had read or written.
    Writing,
}

/// A watched run of `duijie run --all`.
struct Watched {
    /// Killed while running (false: it had finished by itself).
    killed: bool,
    exit: std::process::ExitStatus,
    phase: Phase,
    elapsed: Duration,
    /// Since the start: the first source request, the first bill saved.
    first_read: Option<Duration>,
    first_bill: Option<Duration>,
}

/// Runs `duijie run --all` in `dir`, watching the sandbox's request
/// counters every few milliseconds, and kills it with SIGKILL at `kill_at`
/// if it is still running (`None`: lets it finish).
/// When to kill the watched run.
#[derive(Clone, Copy)]
enum Kill {
    Never,
    /// At this time after the start.
    At(Duration),
    /// As soon as its first source request is seen (it is then reading;
    /// nothing is written before a page is read).
    OnFirstRead,
    /// As soon as it has saved a bill (it is then writing, with the rest of
    /// its batch and of the queue still to go).
    OnFirstWrite,
}

/// The schemes whose bills the test follows.
const WATCHED: [SchemeInfo; 3] = [PO, SI, SO];

/// Their bills in Kingdee.
fn watched_bills(sb: &TestSandbox) -> usize {
    WATCHED.iter().map(|s| sb.bills(*s)).sum()
}

fn watch(dir: &Path, sb: &TestSandbox, kill: Kill) -> Watched {
    let kill_at = match kill {
        Kill::At(t) => Some(t),
        Kill::Never | Kill::OnFirstRead | Kill::OnFirstWrite => None,
    };
    let start = Instant::now();
    let base = sb.control.request_counts();
    let bills0 = watched_bills(sb);
    let mut last = base;
    let mut phase = Phase::Starting;
    let mut first_read = None;
    let mut first_bill = None;
    let mut child = spawn_run(dir);
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if kill_at.is_some_and(|k| start.elapsed() >= k) {
            child.kill().unwrap();
            break true;
        }
        std::thread::sleep(Duration::from_millis(3));
        let now = sb.control.request_counts();
        let bills = watched_bills(sb);
        if now.wdt + now.qimen > last.wdt + last.qimen {
            phase = Phase::Reading;
            first_read.get_or_insert(start.elapsed());
            if matches!(kill, Kill::OnFirstRead) && bills == bills0 {
                child.kill().unwrap();
                break true;
            }
        } else if now.kingdee > last.kingdee && (phase != Phase::Starting || bills > bills0) {
            phase = Phase::Writing;
        }
        if bills > bills0 {
            phase = if now.kingdee > last.kingdee {
                Phase::Writing
            } else {
                phase
            };
            first_bill.get_or_insert(start.elapsed());
            if matches!(kill, Kill::OnFirstWrite) {
                phase = Phase::Writing;
                child.kill().unwrap();
                break true;
            }
        }
        last = now;
    };
    let exit = child.wait().unwrap();
    Watched {
        killed,
        exit,
        phase,
        elapsed: start.elapsed(),
        first_read,
        first_bill,
    }
}

#[test]
fn kill_9_at_random_moments_then_complete() {
    let seed = std::env::var("DUIJIE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x006b_696c_6c39_u64);
    let docs = DataConfig {
        sales_outs: 150,
        ..data(260, 180, 21)
    };

    // What the documents become; one material Kingdee will lack.
    let probe = TestSandbox::start(docs.clone(), |_| {});
    let po = expected(&probe.control, PO);
    let si = expected(&probe.control, SI);
    let so = expected(&probe.control, SO);
    drop(probe);
    let material = some_material(&si);
    let rejected = stockins_with_material(&si, &material);
    let none = BTreeSet::new();
    let so_rejected = sales_with_material(&so, &material);
    let to_write =
        po.bills.len() + si.bills.len() + so.bills.len() - rejected.len() - so_rejected.len();
    assert!(!rejected.is_empty() && !po.skipped.is_empty());

    // How an uninterrupted run goes, on a twin sandbox: how long it takes,
    // when it starts reading and when it saves its first bill.
    let twin = TestSandbox::start(docs.clone(), |c| {
        faults(c, master_data_without_material(&material))
    });
    let twin_dir = TempDir::new("crash-twin");
    install(twin_dir.path(), &twin.url);
    let profile = watch(twin_dir.path(), &twin, Kill::Never);
    // Rejected bills are dead letters: the run finishes with exit 4.
    assert_eq!(
        profile.exit.code(),
        Some(4),
        "an uninterrupted run completes, with dead letters"
    );
    assert_final(twin_dir.path(), &twin, PO, &po, &none);
    assert_final(twin_dir.path(), &twin, SI, &si, &rejected);
    assert_final(twin_dir.path(), &twin, SO, &so, &so_rejected);
    let idle = watch(twin_dir.path(), &twin, Kill::Never);
    drop(twin);
    let full = profile.elapsed;
    let (read_at, bill_at) = (profile.first_read.unwrap(), profile.first_bill.unwrap());
    eprintln!(
        "seed {seed:#x}: {} purchase orders, {} stock-ins, {} sales, {to_write} bills to write, {} rejected; \
         a full run takes {full:?} (reads from {read_at:?}, first bill saved at {bill_at:?}); \
         a run with nothing to do {:?}",
        po.documents(),
        si.documents(),
        so.documents(),
        rejected.len() + so_rejected.len(),
        idle.elapsed
    );

    let sb = TestSandbox::start(docs, |c| faults(c, master_data_without_material(&material)));
    let dir = TempDir::new("crash");
    install(dir.path(), &sb.url);
    let mut rng = Rng::new(seed);
    let mut killed = Vec::new();
    for i in 0..ITERATIONS {
        let bills_before = watched_bills(&sb);
        let kill = if i == 0 {
            // The first run is killed while it reads: a kill time taken from
            // the twin's profile is racy on a loaded machine (this run may
            // reach its first write sooner), so kill on the first request.
            Kill::OnFirstRead
        } else if i == 1 {
            // The second while it writes, for the same reason.
            Kill::OnFirstWrite
        } else {
            // Somewhere in the first 80% of what is left to do.
            let left = 1.0 - bills_before as f64 / to_write as f64;
            let span = idle.elapsed + (full.saturating_sub(idle.elapsed)).mul_f64(left);
            Kill::At(span.mul_f64(0.02 + 0.78 * rng.unit()))
        };
        let w = watch(dir.path(), &sb, kill);
        let bills = watched_bills(&sb);
        let what = if w.killed {
            killed.push((i, w.phase, bills > bills_before));
            format!("KILLED while {:?}", w.phase).to_lowercase()
        } else {
            format!("finished before the kill ({})", w.exit)
        };
        let when = match kill {
            Kill::At(t) => format!("at {:>5} ms", t.as_millis()),
            Kill::OnFirstRead => "on its first read".to_string(),
            Kill::OnFirstWrite => "on its first saved bill".to_string(),
            Kill::Never => "never".to_string(),
        };
        eprintln!(
            "iteration {i}: kill {when}: {what}; bills {bills_before} → {bills} of {to_write}"
        );
    }
    eprintln!("{} of {ITERATIONS} runs killed", killed.len());
    assert!(
        killed.len() > ITERATIONS / 2,
        "too few runs were really interrupted: the test did not bite"
    );
    assert!(
        killed
            .iter()
            .any(|(i, phase, wrote)| *i == 0 && *phase == Phase::Reading && !wrote),
        "the first run was killed while reading: {killed:?}"
    );
    assert!(
        killed
            .iter()
            .any(|(_, phase, wrote)| *phase == Phase::Writing && *wrote),
        "a run was killed while writing: {killed:?}"
    );

    // Runs to completion, then once more: nothing is left to do.
    let codes = run_until_done(dir.path(), 3);
    eprintln!("completing runs exit with {codes:?}");
    let bills = watched_bills(&sb);
    let out = run_ok(dir.path(), &["run", "--all", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in reports.as_array().unwrap() {
        assert_eq!(r["outcome"], "succeeded", "{r:#}");
        assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
        assert_eq!(int(&r["queue_left"]), 0, "{r:#}");
    }
    assert_eq!(watched_bills(&sb), bills);

    assert_final(dir.path(), &sb, PO, &po, &none);
    assert_final(dir.path(), &sb, SI, &si, &rejected);
    assert_final(dir.path(), &sb, SO, &so, &so_rejected);
    assert_eq!(watched_bills(&sb), to_write);

    // The killed runs are recorded as interrupted, none as still running.
    let st = status_runs(dir.path(), 100);
    let mut recorded_interrupted = 0;
    for scheme in WATCHED {
        for run in overview(&st, scheme)["runs"].as_array().unwrap() {
            let outcome = run["outcome"].as_str().unwrap();
            assert!(
                matches!(
                    outcome,
                    "succeeded" | "succeeded_with_dead_letters" | "incomplete" | "interrupted"
                ),
                "{run:#}"
            );
            if outcome == "interrupted" {
                recorded_interrupted += 1;
            }
        }
    }
    assert!(
        (1..=killed.len()).contains(&recorded_interrupted),
        "{recorded_interrupted} runs recorded as interrupted, {} killed",
        killed.len()
    );
}
