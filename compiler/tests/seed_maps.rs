//! The seed schemes in `maps/` check clean and say what the runtime needs.

use std::path::Path;

use duijie_compiler::diag::render;
use duijie_compiler::model::{Base, TargetValue};
use duijie_compiler::spec::Specs;

fn check(name: &str) -> duijie_compiler::model::Scheme {
    let specs = Specs::load_dir(Path::new("../specs")).expect("specs");
    let path = Path::new("../maps").join(name);
    let out = duijie_compiler::check_file(&path, &specs);
    assert!(
        out.diagnostics.is_empty(),
        "{}",
        render(&out.diagnostics, &out.files, false)
    );
    out.scheme.expect("a scheme")
}

#[test]
fn purchase_scheme_checks_clean() {
    let s = check("wdt_purchase_to_kingdee.map");
    assert_eq!(s.meta.name, "wdt_purchase_to_kingdee");
    assert_eq!(s.meta.source.system, "wdt");
    assert_eq!(s.meta.source.api, "purchase_order_query");
    assert_eq!(s.meta.source.list_key, "purchase_list");
    assert_eq!(s.meta.target.form_id, "PUR_PurchaseOrder");
    assert_eq!(s.meta.target.operation, "BatchSave");
    assert_eq!(s.meta.id_field, "purchase_no");
    assert_eq!(s.meta.number_target.as_deref(), Some("FBillNo"));
    assert_eq!(s.source_time.utc_offset_secs, 8 * 3600);
    let names: Vec<&str> = s.body.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "FBillNo",
            "FDate",
            "FPurchaseOrgId",
            "FSupplierId",
            "FBillTypeID",
            "FBusinessType",
            "FPOOrderEntry"
        ]
    );
    let entry = s
        .body
        .fields
        .iter()
        .find(|f| f.name == "FPOOrderEntry")
        .expect("entries");
    let TargetValue::Array {
        source,
        level,
        body,
        ..
    } = &entry.value
    else {
        panic!("FPOOrderEntry is an array")
    };
    assert_eq!(source.path, ["details_list"]);
    assert_eq!(*level, 1);
    let link = body
        .fields
        .iter()
        .find(|f| f.name == "FPOOrderEntry_Link")
        .expect("link");
    let TargetValue::List(elements) = &link.value else {
        panic!("a literal list")
    };
    assert_eq!(elements.len(), 1);
    // The header's provider_id is read inside each line: from level 0.
    let bill_id = elements[0]
        .fields
        .iter()
        .find(|f| f.name == "FPOOrderEntry_Link_FSBillId")
        .expect("FSBillId");
    let TargetValue::Scalar { sources, .. } = &bill_id.value else {
        panic!("scalar")
    };
    assert_eq!(sources, "provider_id");
    // Only the fields read are in the shape.
    let read: Vec<&str> = s.reads.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(
        read.contains(&"purchase_no")
            && read.contains(&"details_list")
            && read.contains(&"provider_id")
    );
    assert!(!read.contains(&"goods_name"));
}

#[test]
fn stockin_scheme_checks_clean() {
    let s = check("wdtqm_stockin_to_kingdee.map");
    assert_eq!(s.meta.source.system, "wdtqm");
    assert_eq!(s.meta.source.api, "wdt.stockin.order.query");
    assert_eq!(s.meta.target.form_id, "STK_MISCELLANEOUS");
    assert_eq!(s.tables.len(), 1);
    assert_eq!(s.tables[0].name, "stock_of_warehouse");
    assert_eq!(s.tables[0].key, Base::Str);
    assert!(s.tables[0].default.is_some());
}
