//! The sync engine end to end over loopback, against the sandboxes of
//! 旺店通 openapi2, Qimen and 金蝶, through the real clients and a
//! configuration file: full and incremental syncs, records moving during a
//! run, faults, dead letters, wrong credentials.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use duijie_maplib::Mapper;
use duijie_runtime::config::Config;
use duijie_runtime::connect::{connect, Clients};
use duijie_runtime::engine::{Engine, RunOptions, RunReport, Scheme};
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::{DeadLetterFilter, RunOutcome, SqliteStore, Store};
use duijie_sandbox::{
    Control, DataConfig, DocKind, FaultConfig, KingdeeQuirks, MasterData, Sandbox, SandboxConfig,
    Service, WdtQuirks,
};

const PO_FORM: &str = "PUR_PurchaseOrder";
const SI_FORM: &str = "STK_MISCELLANEOUS";

async fn sandbox(purchase_orders: u32, stockins: u32) -> Sandbox {
    Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: DataConfig {
            seed: 7,
            purchase_orders,
            stockins,
            spread_days: 40,
            ..DataConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// A configuration for the sandbox at `base`; `wdt_secret` and `kd_secret`
/// replace the default credentials.
fn config_text(base: &str, wdt_secret: &str, kd_secret: &str, extra: &str) -> String {
    format!(
        r#"
[connections.wdt]
kind = "wdt"
base_url = "{base}"
sid = "apidevnew2"
appkey = "rhsw02"
appsecret = "{wdt_secret}"
timeout = "1s"
rate_limit_per_minute = 0

[connections.qm]
kind = "wdtqm"
base_url = "{base}"
sid = "apidevnew2"
app_key = "12345678"
target_app_key = "23456789"
app_secret = "qimensecret"
timeout = "1s"
rate_limit_per_minute = 0

[connections.kd]
kind = "kingdee"
base_url = "{base}/k3cloud"
acct_id = "64f0c0ffee0001"
user_name = "webapi"
app_id = "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0"
app_secret = "{kd_secret}"
timeout = "1s"

[schemes.po]
map = "sb_purchase"
source = "wdt"
target = "kd"
start_days_ago = 45
lag = "0s"
overlap = "60s"
page_size = 20
concurrency = 3
retry_base = "5ms"
retry_max = "100ms"
max_attempts = 12
{extra}

[schemes.si]
map = "sb_stockin"
source = "qm"
target = "kd"
start_days_ago = 45
lag = "0s"
overlap = "60s"
page_size = 25
retry_base = "5ms"
retry_max = "100ms"
max_attempts = 12
{extra}
"#
    )
}

const WDT_SECRET: &str = "12345";
const KD_SECRET: &str = "0123456789abcdef0123456789abcdef";

struct Env {
    sandbox: Sandbox,
    control: Control,
    store: Arc<SqliteStore>,
    schemes: BTreeMap<String, Scheme>,
    mappers: BTreeMap<String, Arc<SeedMapper>>,
    _dir: tempfile::TempDir,
}

fn mappers() -> Vec<Arc<dyn Mapper>> {
    vec![
        Arc::new(SeedMapper::new(Kind::Purchase)),
        Arc::new(SeedMapper::new(Kind::Stockin)),
    ]
}

fn build(base: &str, dir: &Path, text: &str) -> BTreeMap<String, Scheme> {
    let config = Config::parse(text, &dir.join("duijie.toml")).unwrap();
    let limits = RateLimits::new();
    let mut clients = Clients::new();
    let maps = mappers();
    let _ = base;
    config
        .schemes
        .iter()
        .map(|cfg| {
            let mapper = maps
                .iter()
                .find(|m| m.meta().name == cfg.map)
                .unwrap()
                .clone();
            let scheme = connect(&config, cfg, mapper, &mut clients, &limits).unwrap();
            (cfg.name.clone(), scheme)
        })
        .collect()
}

async fn env_with(
    purchase_orders: u32,
    stockins: u32,
    wdt_secret: &str,
    kd_secret: &str,
    extra: &str,
) -> Env {
    let sandbox = sandbox(purchase_orders, stockins).await;
    env_on(sandbox, wdt_secret, kd_secret, extra)
}

/// An environment on a sandbox already started.
fn env_on(sandbox: Sandbox, wdt_secret: &str, kd_secret: &str, extra: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&sandbox.base_url(), wdt_secret, kd_secret, extra);
    let schemes = build(&sandbox.base_url(), dir.path(), &text);
    let store = Arc::new(SqliteStore::open(&dir.path().join(".duijie")).unwrap());
    let mut mappers = BTreeMap::new();
    mappers.insert("po".to_string(), Arc::new(SeedMapper::new(Kind::Purchase)));
    mappers.insert("si".to_string(), Arc::new(SeedMapper::new(Kind::Stockin)));
    Env {
        control: sandbox.control(),
        sandbox,
        store,
        schemes,
        mappers,
        _dir: dir,
    }
}

async fn env(purchase_orders: u32, stockins: u32) -> Env {
    env_with(purchase_orders, stockins, WDT_SECRET, KD_SECRET, "").await
}

/// What the sandbox's documents should become.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    written: Vec<String>,
    skipped: usize,
    failed: usize,
}

impl Env {
    async fn run(&self, scheme: &str) -> RunReport {
        Engine::new(self.store.clone())
            .run(&self.schemes[scheme], &RunOptions::default())
            .await
            .unwrap()
    }

    /// Runs until a run succeeds (faults may stop some), at most `n` times.
    async fn run_until_done(&self, scheme: &str, n: usize) -> Vec<RunReport> {
        let mut reports = Vec::new();
        for _ in 0..n {
            let r = self.run(scheme).await;
            let done = r.outcome.finished();
            reports.push(r);
            if done {
                return reports;
            }
        }
        panic!("no successful run in {n}: {reports:#?}");
    }

    fn expected(&self, scheme: &str) -> Expected {
        let (kind, key) = match scheme {
            "po" => (DocKind::PurchaseOrder, "purchase_no"),
            _ => (DocKind::StockIn, "stockin_no"),
        };
        let mapper = &self.mappers[scheme];
        let mut e = Expected::default();
        for id in 1..=u64::from(self.control.document_count(kind)) {
            let doc = self.control.document(kind, id).unwrap();
            match mapper.expect(&doc) {
                Expect::Written => e.written.push(doc[key].as_str().unwrap().to_string()),
                Expect::Skipped => e.skipped += 1,
                Expect::Failed => e.failed += 1,
            }
        }
        e.written.sort();
        e
    }

    /// Every expected bill is in the target exactly once, and nothing else.
    fn assert_target_exact(&self, scheme: &str) {
        let form = if scheme == "po" { PO_FORM } else { SI_FORM };
        let counts = self.control.bill_counts(form);
        for (number, n) in &counts {
            assert_eq!(*n, 1, "{number} is in {form} {n} times");
        }
        let numbers: Vec<String> = counts.keys().cloned().collect();
        assert_eq!(numbers, self.expected(scheme).written, "bills of {form}");
        assert_eq!(self.control.bill_count(form), numbers.len());
    }
}

#[tokio::test]
async fn full_sync_of_both_schemes() {
    let env = env(150, 120).await;
    for scheme in ["po", "si"] {
        let r = env.run(scheme).await;
        let e = env.expected(scheme);
        // Records that do not map are dead letters: the outcome says so.
        let outcome = if e.failed > 0 {
            RunOutcome::SucceededWithDeadLetters
        } else {
            RunOutcome::Succeeded
        };
        assert_eq!(r.outcome, outcome, "{scheme}: {:?}", r.error);
        let documents = if scheme == "po" { 150 } else { 120 };
        assert_eq!(r.counts.read, documents, "each record once");
        assert_eq!(r.counts.written as usize, e.written.len(), "{scheme}");
        assert_eq!(r.counts.skipped as usize, e.skipped, "{scheme}");
        assert_eq!(r.counts.failed as usize, e.failed, "{scheme}");
        assert_eq!(r.queue_left, 0);
        env.assert_target_exact(scheme);
        let dl = env
            .store
            .dead_letters(scheme, &DeadLetterFilter::default())
            .unwrap();
        assert_eq!(dl.len(), e.failed);
        assert!(env.store.watermark(scheme).unwrap().is_some());
    }
    // Unaudited purchase orders are dead letters naming the field.
    let dl = env
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap();
    assert!(!dl.is_empty(), "the seeded data holds unaudited orders");
    assert!(dl
        .iter()
        .all(|d| d.target_field == "FDate" && d.source_field == "check_time"));
    assert!(dl[0].source_json.contains("\"purchase_no\""));
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_incremental_run_reads_only_what_changed() {
    let env = env(150, 10).await;
    env.run("po").await;
    let before = env.control.request_counts();
    let wm = env.store.watermark("po").unwrap().unwrap();
    // Three documents are edited after the first run.
    let at = chrono::Utc::now() + chrono::Duration::seconds(1);
    env.control
        .touch(DocKind::PurchaseOrder, &[3, 50, 120], &at);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = env.run("po").await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    // The window starts one overlap before the watermark: the three edited
    // documents and whatever was modified in that last minute.
    let in_overlap = (1..=150u64)
        .filter(|id| ![3, 50, 120].contains(id))
        .filter(|id| {
            env.control.modified(DocKind::PurchaseOrder, *id).unwrap()
                >= wm - chrono::Duration::seconds(60)
        })
        .count() as i64;
    assert_eq!(r.counts.read, 3 + in_overlap);
    assert_eq!(r.counts.written, 0, "nothing new: already written");
    let after = env.control.request_counts();
    assert!(after.wdt - before.wdt <= 2, "one page (and no re-check)");
    env.assert_target_exact("po");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn records_modified_during_a_run_are_not_lost() {
    let env = env(300, 10).await;
    let control = env.control.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    // While the run reads, documents keep being edited (their modified time
    // becomes now: they move to the end of the order).
    let editor = tokio::spawn(async move {
        let mut n = 0;
        while !stop2.load(std::sync::atomic::Ordering::SeqCst) && n < 40 {
            control.touch_random_at(DocKind::PurchaseOrder, 2, &chrono::Utc::now());
            n += 1;
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    });
    let first = env.run("po").await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    editor.await.unwrap();
    // The first run may stop if records kept moving; the next ones finish.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reports = env.run_until_done("po", 4).await;
    assert!(
        matches!(
            first.outcome,
            RunOutcome::Succeeded | RunOutcome::SucceededWithDeadLetters | RunOutcome::Incomplete
        ),
        "{:?}",
        first.error
    );
    env.assert_target_exact("po");
    let dl = env
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap();
    assert_eq!(dl.len(), env.expected("po").failed);
    assert!(reports.iter().all(|r| r
        .error
        .as_deref()
        .is_none_or(|e| !e.contains("authentication"))));
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn faults_lose_and_duplicate_nothing() {
    let env = env(200, 150).await;
    let faults = FaultConfig {
        http_500: 0.08,
        slow: 0.04,
        drop: 0.08,
        rate_limit: 0.08,
        session_loss: 0.0,
        slow_delay: Duration::from_millis(1500),
    };
    env.control.set_faults(Service::Wdt, faults.clone());
    env.control.set_faults(Service::Qimen, faults.clone());
    env.control.set_faults(
        Service::Kingdee,
        // Batches are full while reading goes on, so 金蝶 gets few calls
        // (about twenty): a lost session often enough to be met.
        FaultConfig {
            session_loss: 0.3,
            ..faults
        },
    );
    for scheme in ["po", "si"] {
        env.run_until_done(scheme, 5).await;
        env.assert_target_exact(scheme);
        assert_eq!(env.store.queue_depth(scheme).unwrap().total(), 0);
    }
    let f = env.control.fault_counts();
    assert!(
        f.http_500 > 0 && f.drop > 0 && f.rate_limit > 0 && f.session_loss > 0,
        "{f:?}"
    );
    env.control.expire_sessions();
    // A lost session is renewed by the client.
    let r = env.run("po").await;
    assert!(
        matches!(
            r.outcome,
            RunOutcome::Succeeded | RunOutcome::SucceededWithDeadLetters | RunOutcome::Incomplete
        ),
        "{:?}",
        r.error
    );
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_give_a_clear_error_and_no_partial_state() {
    let env = env_with(40, 10, "wrong-secret", KD_SECRET, "").await;
    let r = env.run("po").await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(e.contains("wdt purchase_order_query"), "{e}");
    assert!(e.contains("authentication failed"), "{e}");
    assert_eq!(env.store.watermark("po").unwrap(), None);
    assert_eq!(env.store.queue_depth("po").unwrap().total(), 0);
    let o = env.store.overview("po", 1).unwrap();
    assert_eq!(o.records, Default::default());
    assert_eq!(o.dead_letters, 0);
    assert_eq!(env.control.bill_count(PO_FORM), 0);
    env.sandbox.shutdown().await;

    let env = env_with(40, 10, WDT_SECRET, "0000000000000000000000000000000f", "").await;
    let r = env.run("po").await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(
        e.contains("kingdee") && e.contains("authentication failed"),
        "{e}"
    );
    assert_eq!(env.control.request_counts().wdt, 0, "nothing read");
    assert_eq!(env.store.queue_depth("po").unwrap().total(), 0);
    env.sandbox.shutdown().await;
}

/// An older 金蝶 server answers a batch with one bad bill by an error that
/// names no bill (no `DIndex`, no `SuccessEntitys`, and the pseudo-error
/// besides). The writer looks the 50 bills up: the 49 saved are recorded as
/// written, and the one not found is sent alone, which gets Kingdee's
/// message as a dead letter. The run succeeds; nothing is written twice.
#[tokio::test]
async fn a_batch_with_one_unattributed_error_dead_letters_only_the_bad_bill() {
    let data = DataConfig {
        seed: 7,
        purchase_orders: 200,
        stockins: 1,
        spread_days: 40,
        ..DataConfig::default()
    };
    // The first documents up to the 50th that maps to a bill, and a material
    // that only one of those 50 bills names.
    let probe = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: data.clone(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mapper = SeedMapper::new(Kind::Purchase);
    let mut bills: Vec<serde_json::Value> = Vec::new();
    let mut documents = 0;
    for id in 1..=200 {
        let doc = probe
            .control()
            .document(DocKind::PurchaseOrder, id)
            .unwrap();
        if mapper.expect(&doc) == Expect::Written {
            bills.push(doc);
            if bills.len() == 50 {
                documents = id as u32;
                break;
            }
        }
    }
    probe.shutdown().await;
    assert_eq!(bills.len(), 50);
    let specs = |doc: &serde_json::Value| -> std::collections::BTreeSet<String> {
        doc["details_list"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["spec_no"].as_str().unwrap().to_string())
            .collect()
    };
    let (bad_number, bad_spec) = bills
        .iter()
        .find_map(|doc| {
            specs(doc)
                .into_iter()
                .find(|spec| bills.iter().filter(|d| specs(d).contains(spec)).count() == 1)
                .map(|spec| (doc["purchase_no"].as_str().unwrap().to_string(), spec))
        })
        .expect("a material named by one bill only");
    let builtin = MasterData::builtin();
    let mut materials = MasterData::empty();
    for n in builtin.numbers("BD_MATERIAL") {
        if n != bad_spec {
            materials.insert("BD_MATERIAL", &n);
        }
    }
    let mut master = builtin;
    master.override_with(materials);

    let mut config = SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: DataConfig {
            purchase_orders: documents,
            ..data
        },
        ..SandboxConfig::default()
    };
    config.kingdee.master_data = master;
    config.kingdee.quirks = KingdeeQuirks {
        legacy_save: true,
        pseudo_error: true,
        ..KingdeeQuirks::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let env = env_on(sandbox, WDT_SECRET, KD_SECRET, "batch_size = 50");
    env.control.record_exchanges(true);
    let r = env.run("po").await;
    assert_eq!(
        r.outcome,
        if r.counts.failed > 0 {
            RunOutcome::SucceededWithDeadLetters
        } else {
            RunOutcome::Succeeded
        },
        "{:?}",
        r.error
    );

    // One BatchSave of the 50 bills, then the bad bill alone.
    let saves: Vec<serde_json::Value> = env
        .control
        .take_exchanges()
        .into_iter()
        .filter(|x| x.path.contains("BatchSave"))
        .map(|x| serde_json::from_slice(&x.request).unwrap())
        .collect();
    let models: Vec<usize> = saves
        .iter()
        .map(|b| b["data"]["Model"].as_array().unwrap().len())
        .collect();
    assert_eq!(models, vec![50, 1], "the batch, then the bad bill alone");
    assert_eq!(
        saves[1]["data"]["Model"][0]["FBillNo"].as_str(),
        Some(bad_number.as_str())
    );

    // 49 bills in Kingdee once each, the bad one not at all.
    let counts = env.control.bill_counts(PO_FORM);
    assert_eq!(counts.len(), 49);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(!counts.contains_key(&bad_number));
    assert_eq!(r.counts.written, 49);
    assert_eq!(r.queue_left, 0);

    // One write dead letter, with Kingdee's message naming the material.
    let dl: Vec<_> = env
        .store
        .dead_letters("po", &DeadLetterFilter::default())
        .unwrap()
        .into_iter()
        .filter(|d| d.record_id.as_deref() == Some(bad_number.as_str()))
        .collect();
    assert_eq!(dl.len(), 1, "{dl:?}");
    assert!(dl[0].reason.contains(&bad_spec), "{}", dl[0].reason);
    assert!(
        !dl[0].reason.contains("InteractionContext"),
        "{}",
        dl[0].reason
    );
    env.sandbox.shutdown().await;
}

/// 旺店通 sends `total_count` on page 0 only (as a string there): reading
/// never depends on the later pages' total, and every record is written.
#[tokio::test]
async fn a_total_count_on_page_0_only_reads_every_page() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: DataConfig {
            seed: 7,
            purchase_orders: 90,
            stockins: 80,
            spread_days: 40,
            ..DataConfig::default()
        },
        wdt_quirks: WdtQuirks {
            total_first_page: true,
            ..WdtQuirks::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let env = env_on(sandbox, WDT_SECRET, KD_SECRET, "");
    for scheme in ["po", "si"] {
        let r = env.run(scheme).await;
        assert_eq!(
            r.outcome,
            if r.counts.failed > 0 {
                RunOutcome::SucceededWithDeadLetters
            } else {
                RunOutcome::Succeeded
            },
            "{scheme}: {:?}",
            r.error
        );
        let documents = if scheme == "po" { 90 } else { 80 };
        assert_eq!(r.counts.read, documents, "{scheme}: each record once");
        env.assert_target_exact(scheme);
    }
    env.sandbox.shutdown().await;
}

/// A tenant where `IsAutoSubmitAndAudit` is not honoured, and a scheme that
/// submits and audits as separate calls: every bill written ends audited.
#[tokio::test]
async fn submit_and_audit_as_separate_calls_audit_every_bill() {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: DataConfig {
            seed: 7,
            purchase_orders: 60,
            stockins: 1,
            spread_days: 40,
            ..DataConfig::default()
        },
        kingdee: duijie_sandbox::KingdeeConfig {
            quirks: KingdeeQuirks {
                no_auto_audit: true,
                ..KingdeeQuirks::default()
            },
            ..duijie_sandbox::KingdeeConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let env = env_on(sandbox, WDT_SECRET, KD_SECRET, "submit_and_audit = true");
    let r = env.run("po").await;
    assert_eq!(
        r.outcome,
        if r.counts.failed > 0 {
            RunOutcome::SucceededWithDeadLetters
        } else {
            RunOutcome::Succeeded
        },
        "{:?}",
        r.error
    );
    env.assert_target_exact("po");
    let numbers = env.control.bill_numbers(PO_FORM);
    assert!(!numbers.is_empty());
    for n in &numbers {
        assert_eq!(env.control.bill_status(PO_FORM, n), Some("C"), "{n}");
    }
    // A second run finds nothing to do, and audits nothing twice.
    let r = env.run("po").await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.counts.written, 0);
    env.sandbox.shutdown().await;
}
