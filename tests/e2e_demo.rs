//! `duijie demo`, the README's first command: it starts the sandboxes in
//! its own process, syncs both seed schemes and prints the overview; the
//! state it leaves is the same one `duijie status` shows afterwards.

mod support;

use duijie_sandbox::{DataConfig, DocKind};
use support::*;

const ORDERS: u32 = 150;
const STOCKINS: u32 = 120;
const SEED: u64 = 3;

/// What the demo's sandbox serves, rebuilt here from the same settings
/// (documents are a function of the seed and the anchor, which the demo
/// takes to be its start): how each document maps does not depend on the
/// anchor, and no document is modified within the last five minutes before
/// it, so all of them lie in the demo's window (which ends one minute — the
/// lag — before the run starts).
fn demo_data(anchor: i64) -> (TestSandbox, Expected, Expected) {
    let sb = TestSandbox::start(
        DataConfig {
            seed: SEED,
            purchase_orders: ORDERS,
            stockins: STOCKINS,
            anchor: Some(anchor),
            ..DataConfig::default()
        },
        |_| {},
    );
    for (kind, n) in [
        (DocKind::PurchaseOrder, ORDERS),
        (DocKind::StockIn, STOCKINS),
    ] {
        for id in 1..=u64::from(n) {
            let age = anchor - sb.control.modified(kind, id).unwrap().timestamp();
            assert!(
                age >= 300,
                "{kind:?} {id} is modified {age} s before the anchor: choose another SEED"
            );
        }
    }
    let po = expected(&sb.control, PO);
    let si = expected(&sb.control, SI);
    (sb, po, si)
}

/// The report line of a scheme that read `e`'s documents.
fn report_line(scheme: SchemeInfo, e: &Expected) -> String {
    format!(
        "{}: succeeded — read {}, mapped {}, skipped {}, unchanged 0, written {}, failed {}",
        scheme.name,
        e.documents(),
        e.bills.len(),
        e.skipped.len(),
        e.bills.len(),
        e.failed.len()
    )
}

/// The overview's record line of a scheme whose documents are `e`.
fn records_line(e: &Expected) -> String {
    format!(
        "records       {} written · {} skipped · {} failed · 0 queued",
        e.bills.len(),
        e.skipped.len(),
        e.failed.len()
    )
}

#[test]
fn demo_syncs_both_schemes_and_status_shows_the_same() {
    let dir = TempDir::new("demo");
    let demo_dir = dir.path().join("demo");
    let started = chrono::Utc::now().timestamp();
    let out = run(
        dir.path(),
        &[
            "demo",
            "--dir",
            demo_dir.to_str().unwrap(),
            "--orders",
            &ORDERS.to_string(),
            "--stockins",
            &STOCKINS.to_string(),
            "--seed",
            &SEED.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let (_sb, po, si) = demo_data(started);
    assert_eq!(po.documents(), ORDERS as usize);
    assert_eq!(si.documents(), STOCKINS as usize);
    assert!(!po.skipped.is_empty(), "unaudited orders are skipped");

    // The run reports and the overview it prints.
    for (scheme, e) in [(PO, &po), (SI, &si)] {
        assert!(
            stdout.contains(&report_line(scheme, e)),
            "{}\n{stdout}",
            report_line(scheme, e)
        );
    }
    assert!(stdout.contains("运行概况"), "{stdout}");
    let section = |name: &str| {
        let at = stdout
            .find(&format!("\n{name}  "))
            .unwrap_or_else(|| panic!("no section {name}:\n{stdout}"));
        stdout[at..].lines().take(8).collect::<Vec<_>>().join("\n")
    };
    for (scheme, e) in [(PO, &po), (SI, &si)] {
        let s = section(scheme.name);
        assert!(s.contains(&records_line(e)), "{s}");
        assert!(s.contains("dead letters  0"), "{s}");
        assert!(s.contains("write queue   0 pending · 0 in flight"), "{s}");
    }
    let config = demo_dir.join("duijie.toml");
    assert!(
        stdout.contains(&format!("duijie status --config {}", config.display())),
        "{stdout}"
    );
    assert!(demo_dir.join(".duijie").is_dir());

    // `duijie status --config DIR/duijie.toml` afterwards, from elsewhere.
    let config_arg = config.to_str().unwrap();
    let out = run_ok(dir.path(), &["status", "--config", config_arg]);
    let status_text = String::from_utf8_lossy(&out.stdout);
    for e in [&po, &si] {
        assert!(status_text.contains(&records_line(e)), "{status_text}");
    }
    let out = run_ok(
        dir.path(),
        &["status", "--config", config_arg, "--format", "json"],
    );
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["schemes"].as_array().unwrap().len(), 2, "{st:#}");
    for (scheme, e) in [(PO, &po), (SI, &si)] {
        let o = overview(&st, scheme);
        let runs = o["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{o:#}");
        let run = &runs[0];
        assert_eq!(run["outcome"], "succeeded", "{o:#}");
        let c = &run["counts"];
        assert_eq!(int(&c["read"]) as usize, e.documents(), "{o:#}");
        assert_eq!(int(&c["written"]) as usize, e.bills.len(), "{o:#}");
        assert_eq!(int(&c["skipped"]) as usize, e.skipped.len(), "{o:#}");
        assert_eq!(int(&c["failed"]) as usize, e.failed.len(), "{o:#}");
        assert_eq!(
            int(&c["written"]) + int(&c["skipped"]) + int(&c["failed"]),
            int(&c["read"]),
            "{o:#}"
        );
        let r = &o["records"];
        assert_eq!(int(&r["written"]) as usize, e.bills.len(), "{o:#}");
        assert_eq!(int(&r["skipped"]) as usize, e.skipped.len(), "{o:#}");
        assert_eq!(int(&r["queued"]), 0, "{o:#}");
        assert_eq!(int(&o["dead_letters"]) as usize, e.failed.len(), "{o:#}");
        assert!(o["watermark"].is_string(), "{o:#}");
    }
}
