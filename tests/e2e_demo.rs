//! `duijie demo`, the README's first command: it starts the sandboxes in
//! its own process, syncs the seed schemes and the library's, purchase
//! orders before the receipts that name them, and prints the overview; the
//! state it leaves is the same one `duijie status` shows afterwards.

mod support;

use duijie_sandbox::{DataConfig, DocKind, LibraryKind};
use support::*;

const ORDERS: u32 = 150;
const STOCKINS: u32 = 120;
const SALES_OUTS: u32 = 100;
const SEED: u64 = 3;

/// What the demo's sandbox serves, rebuilt here from the same settings
/// (documents are a function of the seed and the anchor, which the demo
/// takes to be its start): how each document maps does not depend on the
/// anchor, and no document is modified within the last five minutes before
/// it, so all of them lie in the demo's window (which ends one minute — the
/// lag — before the run starts).
fn demo_data(anchor: i64) -> (TestSandbox, Vec<(SchemeInfo, Expected)>) {
    let sb = TestSandbox::start(
        DataConfig {
            seed: SEED,
            purchase_orders: ORDERS,
            stockins: STOCKINS,
            sales_outs: SALES_OUTS,
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
    // Return stock-ins are stock-ins, checked above.
    for (kind, n) in [(LibraryKind::SalesOut, SALES_OUTS)] {
        for id in 1..=u64::from(n) {
            let doc = sb.control.library_document(kind, id).unwrap();
            let modified = doc["modified"].as_str().unwrap();
            let at = chrono::NaiveDateTime::parse_from_str(modified, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp()
                - 8 * 3600;
            assert!(
                anchor - at >= 300,
                "{kind:?} {id} is modified at {modified}: choose another SEED"
            );
        }
    }
    let schemes = [PO, SI, SO, PI, RF, PR, GM]
        .into_iter()
        .map(|s| (s, expected(&sb.control, s)))
        .collect();
    (sb, schemes)
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
fn demo_syncs_every_scheme_and_status_shows_the_same() {
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
            "--sales-outs",
            &SALES_OUTS.to_string(),
            "--seed",
            &SEED.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let (_sb, schemes) = demo_data(started);
    let (po, si) = (&schemes[0].1, &schemes[1].1);
    assert_eq!(po.documents(), ORDERS as usize);
    assert_eq!(si.documents(), STOCKINS as usize);
    assert!(!po.skipped.is_empty(), "unaudited orders are skipped");
    for (scheme, e) in &schemes {
        assert!(!e.bills.is_empty(), "{}: {e:?}", scheme.name);
    }

    // The run reports, purchase orders before the receipts that name them,
    // and the overview it prints.
    let at = |name: &str| {
        stdout
            .find(&format!("{name}: succeeded"))
            .unwrap_or(usize::MAX)
    };
    assert!(at(PO.name) < at(PI.name), "{stdout}");
    assert!(at(GM.name) < at(PO.name), "materials first: {stdout}");
    for &(scheme, ref e) in &schemes {
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
    for (scheme, e) in &schemes {
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
    for (_, e) in &schemes {
        assert!(status_text.contains(&records_line(e)), "{status_text}");
    }
    let out = run_ok(
        dir.path(),
        &["status", "--config", config_arg, "--format", "json"],
    );
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["schemes"].as_array().unwrap().len(), 7, "{st:#}");
    for &(scheme, ref e) in &schemes {
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
