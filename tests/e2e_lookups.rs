//! Lookups of master data end to end, against the sandbox's 金蝶 over
//! loopback: purchase receipts naming materials 金蝶 lacks wait for them
//! (not sent, not dead letters, the watermark past them), are written on
//! their own once the materials are saved in 金蝶 (by the next run, or at
//! once by `duijie retry --waiting`), and every receipt is written once.

mod support;

use std::collections::BTreeSet;

use duijie_sandbox::DataConfig;
use serde_json::{json, Value};
use support::*;

fn waiting_ids(dir: &std::path::Path) -> BTreeSet<String> {
    let out = run_ok(
        dir,
        &["dead-letters", PI.name, "--waiting", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0]["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["stage"], "wait", "{d:#}");
            d["record_id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn save_material(sb: &TestSandbox, number: &str) {
    sb.save_base_data(
        "BD_MATERIAL",
        json!({
            "FNumber": number,
            "FName": format!("补建物料 {number}"),
            "FBaseUnitId": { "FNumber": "Pcs" },
            "FCreateOrgId": { "FNumber": "100" },
            "FUseOrgId": { "FNumber": "100" },
        }),
    );
}

#[test]
fn receipts_wait_for_missing_materials_and_are_written_once_they_exist() {
    let docs = DataConfig {
        sales_outs: 0,
        ..data(40, 90, 47)
    };
    let probe = TestSandbox::start(docs.clone(), |_| {});
    let pi = expected(&probe.control, PI);
    drop(probe);
    let (m1, m2) = two_receipt_materials(&pi);
    let waiting_first = receipts_with(&pi, &[&m1, &m2]);
    let waiting_then = receipts_with(&pi, &[&m2]);
    assert!(!waiting_first.is_empty() && waiting_first.len() < pi.bills.len());
    let sb = TestSandbox::start(docs, |c| {
        c.kingdee.master_data = master_data_without_materials(&[&m1, &m2])
    });
    let dir = TempDir::new("lookups");
    init(dir.path(), &sb.url);
    run_ok(dir.path(), &["run", PO.name]);

    // The receipts naming m1 or m2 wait; the others are written; the run
    // succeeded and left no dead letter.
    let r = run_json(dir.path(), PI);
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(
        int(&r["counts"]["waiting"]) as usize,
        waiting_first.len(),
        "{r:#}"
    );
    assert_eq!(int(&r["counts"]["failed"]), 0, "{r:#}");
    let written: BTreeSet<String> = pi.written().difference(&waiting_first).cloned().collect();
    sb.assert_target_exact(PI, &written);
    assert_eq!(waiting_ids(dir.path()), waiting_first);
    let st = status(dir.path());
    let o = overview(&st, PI);
    assert_eq!(int(&o["waiting"]) as usize, waiting_first.len(), "{o:#}");
    assert_eq!(int(&o["dead_letters"]), 0, "{o:#}");
    assert_eq!(
        int(&o["records"]["waiting"]) as usize,
        waiting_first.len(),
        "{o:#}"
    );
    let keys: BTreeSet<&str> = o["top_waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            assert_eq!(w["waiting"]["form"], "BD_MATERIAL", "{w:#}");
            w["waiting"]["key"].as_str().unwrap()
        })
        .collect();
    assert_eq!(keys, [m1.as_str(), m2.as_str()].into_iter().collect());
    let shown = stdout(&run_ok(dir.path(), &["status", PI.name]));
    assert!(
        shown.contains(&format!("物料 {m1} 不在金蝶 (BD_MATERIAL.FNumber)")),
        "{shown}"
    );
    // The watermark moved past the waiting receipts.
    assert!(o["watermark"].is_string(), "{o:#}");
    // The caches the scheme reads, one per form and key field.
    let caches: Value = serde_json::from_slice(
        &run_ok(dir.path(), &["lookups", "status", "--format", "json"]).stdout,
    )
    .unwrap();
    let forms: BTreeSet<(String, String)> = caches
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(int(&c["rows"]) > 0, "{c:#}");
            (
                c["form"].as_str().unwrap().into(),
                c["by"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        forms,
        [("BD_MATERIAL", "FNumber"), ("BD_Supplier", "FNumber")]
            .into_iter()
            .map(|(f, b)| (f.to_string(), b.to_string()))
            .collect()
    );

    // m1 is saved in 金蝶: the next run's refresh finds it and writes the
    // receipts that waited for it alone.
    save_material(&sb, &m1);
    let r = run_json(dir.path(), PI);
    let now_written = waiting_first.len() - waiting_then.len();
    assert_eq!(int(&r["counts"]["written"]) as usize, now_written, "{r:#}");
    let written: BTreeSet<String> = pi.written().difference(&waiting_then).cloned().collect();
    sb.assert_target_exact(PI, &written);
    assert_eq!(waiting_ids(dir.path()), waiting_then);

    // m2 is saved while caches refreshed within the hour are used as they
    // are: a run does not see it and the rest go on waiting; `retry
    // --waiting` refreshes whatever the setting and writes them now.
    set_key(
        dir.path(),
        &format!("schemes.{}", PI.name),
        "lookup_refresh",
        "\"1h\"",
    );
    save_material(&sb, &m2);
    let r = run_json(dir.path(), PI);
    assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
    assert_eq!(waiting_ids(dir.path()), waiting_then);
    run_ok(dir.path(), &["retry", PI.name, "--waiting"]);
    sb.assert_target_exact(PI, &pi.written());
    assert!(waiting_ids(dir.path()).is_empty());
    let out = run_ok(dir.path(), &["retry", PI.name, "--waiting"]);
    assert!(
        stdout(&out).contains("no record waits for base data"),
        "{}",
        text(&out)
    );

    // Nothing is sent twice: a last run writes nothing, and every receipt is
    // in 金蝶 once.
    let r = run_json(dir.path(), PI);
    assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
    assert_final(dir.path(), &sb, PI, &pi, &BTreeSet::new());
    let o = overview(&status(dir.path()), PI).clone();
    assert_eq!(int(&o["waiting"]), 0, "{o:#}");
}
