//! The scheme library end to end: `duijie init --sandbox` and `duijie run
//! --all` against a sandbox serving the library's APIs, every library
//! scheme writing each of its bills once (what `duijie map` computes from
//! the sandbox's documents), and a purchase receipt waiting for the
//! purchase order it names.

mod support;

use std::collections::BTreeSet;

use duijie_sandbox::DataConfig;
use serde_json::Value;
use support::*;

fn library_data(seed: u64) -> DataConfig {
    DataConfig {
        sales_outs: 90,
        ..data(40, 90, seed)
    }
}

#[test]
fn every_library_scheme_writes_each_bill_once() {
    let sb = TestSandbox::start(library_data(31), |_| {});
    let dir = TempDir::new("library");
    init(dir.path(), &sb.url);
    let out = run_ok(dir.path(), &["run", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let none = BTreeSet::new();
    for scheme in [GM, PO, SI, SO, PI, RF, PR] {
        let e = expected(&sb.control, scheme);
        assert!(!e.bills.is_empty(), "{}: {e:?}", scheme.name);
        assert!(
            stdout.contains(&format!("{}: succeeded", scheme.name)),
            "{stdout}"
        );
        assert_final(dir.path(), &sb, scheme, &e, &none);
    }

    // What the bills hold: gifts at price 0, multi-line orders, the shop's
    // customer, the purchase order each receipt names.
    let sales = sb.control.bills(SO.form);
    let lines: Vec<&Value> = sales
        .iter()
        .flat_map(|b| b["FEntity"].as_array().unwrap())
        .collect();
    let gifts: Vec<&&Value> = lines.iter().filter(|l| l["FIsFree"] == true).collect();
    assert!(!gifts.is_empty());
    assert!(gifts.iter().all(|l| l["FTaxPrice"].as_f64() == Some(0.0)));
    assert!(sales
        .iter()
        .any(|b| b["FEntity"].as_array().unwrap().len() > 1));
    assert!(sales.iter().all(|b| b["FCustomerID"]["FNumber"]
        .as_str()
        .unwrap()
        .starts_with("KH")));
    let skipped = expected(&sb.control, SO).skipped;
    assert!(!skipped.is_empty(), "异常发货 stock-outs are skipped");

    let orders: BTreeSet<String> = sb.control.bill_numbers(PO.form).into_iter().collect();
    for receipt in sb.control.bills(PI.form) {
        for line in receipt["FInStockEntry"].as_array().unwrap() {
            let order = line["FPOOrderNo"].as_str().unwrap();
            assert!(orders.contains(order), "{order} of {}", receipt["FBillNo"]);
        }
    }
    let returns = sb.control.bills(RF.form);
    assert!(returns.len() >= 3, "{} returns", returns.len());
    assert!(returns.iter().all(|b| b["FRetcustId"]["FNumber"]
        .as_str()
        .unwrap()
        .starts_with("KH")));

    let returns = sb.control.bills(PR.form);
    assert!(returns.len() >= 3, "{} purchase returns", returns.len());
    for b in &returns {
        assert_eq!(b["FBillTypeID"]["FNUMBER"], "TLD01_SYS", "{b:#}");
        assert!(b["FSupplierID"]["FNumber"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        for line in b["FPURMRBENTRY"].as_array().unwrap() {
            assert!(
                line["FRMREALQTY"].as_f64().is_some_and(|q| q > 0.0),
                "{line:#}"
            );
            let order = line["FORDERNO"].as_str().unwrap();
            assert!(orders.contains(order), "{order} of {}", b["FBillNo"]);
        }
    }

    // A second run finds nothing new and writes nothing.
    let out = run_ok(dir.path(), &["run", "--all", "--format", "json"]);
    let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in reports.as_array().unwrap() {
        assert_eq!(r["outcome"], "succeeded", "{r:#}");
        assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
    }
    for scheme in [SO, PI, RF, PR] {
        let e = expected(&sb.control, scheme);
        sb.assert_target_exact(scheme, &e.written());
    }
}

#[test]
fn a_receipt_waits_for_its_purchase_order_and_retry_writes_it() {
    let sb = TestSandbox::start(library_data(32), |_| {});
    let dir = TempDir::new("library-order");
    init(dir.path(), &sb.url);
    let pi = expected(&sb.control, PI);
    assert!(!pi.bills.is_empty());

    // The receipts first: Kingdee has none of their purchase orders.
    let out = run(dir.path(), &["run", PI.name]);
    assert_eq!(sb.bills(PI), 0, "{}", text(&out));
    let letters = dead_letters(dir.path(), PI);
    assert_eq!(dead_letter_ids(&letters), pi.written());
    for d in &letters {
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.contains("采购订单") && reason.contains("不存在"),
            "{d:#}"
        );
    }

    // Then the orders, and the receipts are retried.
    run_ok(dir.path(), &["run", PO.name]);
    run_ok(dir.path(), &["retry", PI.name, "--all"]);
    run_ok(dir.path(), &["run", PI.name]);
    assert_final(dir.path(), &sb, PI, &pi, &BTreeSet::new());
}

/// As a new user would: a project from the sales scheme, its organisation
/// changed, its payload snapshot failing on exactly that and accepted, then
/// the changed scheme run (interpreted from its file) against the sandbox.
#[test]
fn a_new_user_starts_from_the_sales_scheme_changes_an_org_and_runs_it() {
    let dir = TempDir::new("library-new");
    let out = run_ok(dir.path(), &["new", "shop-sync", "--from", SO.name]);
    assert!(
        text(&out).contains("made shop-sync (1 scheme)"),
        "{}",
        text(&out)
    );
    let root = dir.path().join("shop-sync");
    for file in [
        "maps/wdt_sales_out_to_kingdee.map",
        "maps/shared/wdt_shops_and_stocks.map",
        "fixtures/wdt_sales_out_to_kingdee/answer.json",
        "fixtures/wdt_sales_out_to_kingdee/answer.snap",
    ] {
        assert!(root.join(file).is_file(), "no {file}");
    }
    run_ok(&root, &["check"]);
    run_ok(&root, &["test"]);

    let codes = root.join("maps/shared/wdt_shops_and_stocks.map");
    let text_of = std::fs::read_to_string(&codes).unwrap();
    let from = "def ORG_SALE  = \"100\"";
    assert!(text_of.contains(from), "{text_of}");
    std::fs::write(&codes, text_of.replacen(from, "def ORG_SALE  = \"101\"", 1)).unwrap();
    let out = run(&root, &["test"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("+ request 1 $.data.Model[0].FSaleOrgId.FNumber: \"FNumber\": \"101\""),
        "{t}"
    );
    let changed = t
        .lines()
        .filter(|l| l.trim_start().starts_with("+ request"))
        .count();
    assert_eq!(changed, 3, "one change per bill, nothing else: {t}");
    run_ok(&root, &["test", "--update"]);
    run_ok(&root, &["test"]);

    let sb = TestSandbox::start(library_data(33), |_| {});
    run_ok(&root, &["init", "--sandbox", &sb.url, "--force"]);
    set_key(
        &root,
        &format!("schemes.{}", SO.name),
        "map",
        "\"maps/wdt_sales_out_to_kingdee.map\"",
    );
    let out = run_ok(&root, &["run", SO.name]);
    assert!(
        text(&out).contains("(interpreted from maps/wdt_sales_out_to_kingdee.map)"),
        "{}",
        text(&out)
    );
    let bills = sb.control.bills(SO.form);
    assert_eq!(bills.len(), expected(&sb.control, SO).bills.len());
    assert!(bills.iter().all(|b| b["FSaleOrgId"]["FNumber"] == "101"));
}
