//! The goods scheme end to end, against the sandbox over loopback: 旺店通's
//! goods archive becomes 金蝶 materials, one per spec, each once (a second
//! run writes nothing; a material 金蝶 already has is recognised by its
//! number), a deleted spec is never created, and — what the scheme is for —
//! the purchase receipts that waited for materials 金蝶 lacked are written
//! by the receipt scheme's next run once the goods scheme has saved them.

mod support;

use std::collections::BTreeSet;

use support::*;

/// The spec of the sandbox's goods archive that 旺店通 has deleted.
const DELETED_SPEC: &str = "G1001-03";

#[test]
fn the_goods_scheme_saves_missing_materials_once_and_waiting_receipts_follow() {
    let docs = duijie_sandbox::DataConfig {
        sales_outs: 0,
        ..data(40, 90, 47)
    };
    let probe = TestSandbox::start(docs.clone(), |_| {});
    let pi = expected(&probe.control, PI);
    let gm = expected(&probe.control, GM);
    drop(probe);
    // One material per spec of the archive but the deleted one, which the
    // scheme skips.
    assert_eq!(
        gm.skipped,
        [DELETED_SPEC.to_string()].into_iter().collect(),
        "{gm:?}"
    );
    assert!(gm.failed.is_empty(), "{gm:?}");
    let (m1, m2) = two_receipt_materials(&pi);
    assert!(gm.bills.contains_key(&m1) && gm.bills.contains_key(&m2));
    let waiting = receipts_with(&pi, &[&m1, &m2]);
    assert!(!waiting.is_empty() && waiting.len() < pi.bills.len());

    let sb = TestSandbox::start(docs, |c| {
        c.kingdee.master_data = master_data_without_materials(&[&m1, &m2])
    });
    let before = sb.control.master_data_count("BD_MATERIAL");
    assert!(!sb.control.master_data_contains("BD_MATERIAL", &m1));
    let dir = TempDir::new("goods");
    init(dir.path(), &sb.url);
    run_ok(dir.path(), &["run", PO.name]);

    // Receipts naming m1 or m2 wait for them.
    let r = run_json(dir.path(), PI);
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(
        int(&r["counts"]["waiting"]) as usize,
        waiting.len(),
        "{r:#}"
    );
    let written: BTreeSet<String> = pi.written().difference(&waiting).cloned().collect();
    sb.assert_target_exact(PI, &written);

    // The goods scheme: the two missing materials are created, audited, once;
    // the materials 金蝶 already had are recognised by number, not created
    // again; the deleted spec is not created.
    let r = run_json(dir.path(), GM);
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(int(&r["counts"]["failed"]), 0, "{r:#}");
    assert!(sb.control.master_data_contains("BD_MATERIAL", &m1));
    assert!(sb.control.master_data_contains("BD_MATERIAL", &m2));
    assert!(!sb.control.master_data_contains("BD_MATERIAL", DELETED_SPEC));
    assert_eq!(sb.control.master_data_count("BD_MATERIAL"), before + 2);
    assert_final(dir.path(), &sb, GM, &gm, &BTreeSet::new());

    // A second run writes nothing new.
    let r = run_json(dir.path(), GM);
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(int(&r["counts"]["written"]), 0, "{r:#}");
    assert_eq!(sb.control.master_data_count("BD_MATERIAL"), before + 2);

    // The receipts that waited are written by the receipt scheme's next run:
    // every receipt is in 金蝶 once, none waits.
    let r = run_json(dir.path(), PI);
    assert_eq!(r["outcome"], "succeeded", "{r:#}");
    assert_eq!(
        int(&r["counts"]["written"]) as usize,
        waiting.len(),
        "{r:#}"
    );
    sb.assert_target_exact(PI, &pi.written());
    assert_final(dir.path(), &sb, PI, &pi, &BTreeSet::new());
    let o = overview(&status(dir.path()), PI).clone();
    assert_eq!(int(&o["waiting"]), 0, "{o:#}");
}

#[test]
fn a_material_holds_the_specs_name_unit_and_bar_code() {
    let sb = TestSandbox::start(data(1, 1, 5), |_| {});
    let gm = expected(&sb.control, GM);
    let bill = &gm.bills["G1001-02"];
    assert_eq!(bill["FName"], "纯棉圆领短袖T恤 黑色 XL", "{bill:#}");
    assert_eq!(bill["FSpecification"], "黑色 XL");
    assert_eq!(bill["FMaterialBase"]["FBaseUnitId"]["FNumber"], "件");
    assert_eq!(bill["FMaterialBase"]["FErpClsID"], "1");
    assert_eq!(
        bill["FMaterialBase"]["FCategoryID"]["FNUMBER"],
        "CHLB05_SYS"
    );
    assert_eq!(
        bill["FMaterialBase"]["FBARCODE"].as_str().map(str::len),
        Some(13)
    );
    assert_eq!(bill["FMaterialStock"]["FStoreUnitID"]["FNumber"], "件");
    // The spec without a bar code sends none.
    let plain = &gm.bills["G5002-01"];
    assert!(
        plain["FMaterialBase"].get("FBARCODE").is_none(),
        "{plain:#}"
    );
}
