//! The interpreter on the seed schemes of `maps/`, checked from their text.

use std::path::Path;

use duijie_compiler::diag::render;
use duijie_compiler::interp::{Interpreter, Outcome};
use duijie_compiler::model::Scheme;
use duijie_compiler::spec::Specs;
use duijie_maplib::Mapper;
use duijie_runtime::vendors;

fn scheme(name: &str) -> Scheme {
    let specs = Specs::load_dir(Path::new("../specs")).unwrap();
    let out = duijie_compiler::check_file(&Path::new("../maps").join(name), &specs);
    assert!(
        !out.has_errors(),
        "{}",
        render(&out.diagnostics, &out.files, false)
    );
    out.scheme.unwrap()
}

fn map(interp: &Interpreter, record: &str) -> String {
    let mut out = Vec::new();
    match interp.map_record(record, &mut out) {
        Ok(duijie_maplib::Mapped::Bill { .. }) => String::from_utf8(out).unwrap(),
        Ok(duijie_maplib::Mapped::Skipped { reason, .. }) => {
            assert!(out.is_empty());
            format!("skipped: {reason}")
        }
        Err(e) => {
            assert!(out.is_empty());
            format!("error: {e:?}")
        }
    }
}

const ORDER: &str = r#"{
  "purchase_no": "CG2024010200001", "status": "90", "provider_id": "12", "provider_no": "GYS001",
  "check_time": "2024-01-02 10:00:00", "remark": "加急", "warehouse_no": "北京仓",
  "details_list": [
    {"rec_id": "1001", "spec_no": "A01", "num": "10.0000", "price": "94.6944", "tax": "0.1300",
     "tax_amount": "1070.0467", "tax_price": "107.0047"},
    {"rec_id": "1002", "spec_no": "A02", "num": 2, "price": "", "tax": null, "tax_amount": "0.0000"}
  ]
}"#;

#[test]
fn purchase_order() {
    let interp = Interpreter::new(scheme("wdt_purchase_to_kingdee.map"));
    insta::assert_snapshot!(map(&interp, ORDER));
}

#[test]
fn purchase_order_errors_and_skips() {
    let interp = Interpreter::new(scheme("wdt_purchase_to_kingdee.map"));
    let cancelled = r#"{"purchase_no":"CG9","status":"10","details_list":[]}"#;
    assert_eq!(
        map(&interp, cancelled),
        "skipped: skip if status in [\"10\", \"20\", \"30\", \"35\"]"
    );
    let bad = r#"{"purchase_no":"CG8","status":"90","check_time":"2024-01-02 10:00:00",
        "provider_id":"12","details_list":[{"rec_id":"1","num":"1"},{"rec_id":"2","num":"x"}]}"#;
    insta::assert_snapshot!(map(&interp, bad));
}

const STOCKIN_RESPONSE: &str = r#"{"response":{"errorcode":0,"message":"","total_count":2,"stockin_list":[
  {"stockin_no":"RK2024010200001","warehouse_no":"WH002","stockin_time":"2024-01-02 10:00:00",
   "created_time":"2024-01-02 09:00:00","stockin_reason":"采购入库",
   "details_list":[
     {"spec_no":"A01","spec_code":"6901234567890","num":"5.0000","cost_price":"12.5000","remark":"第一行"},
     {"spec_no":"A02","num":"0.0000","cost_price":"1.0000"},
     {"spec_no":"A03","num":"1","cost_price":""}]},
  {"stockin_no":"RK2024010200002","stockin_time":"","created_time":"2024-01-03 00:30:00",
   "details_list":[{"spec_no":"A04","num":"2"}]}
]}}"#;

#[test]
fn stockin_preview_body() {
    let interp = Interpreter::new(scheme("wdtqm_stockin_to_kingdee.map"));
    let page =
        vendors::parse_source_answer(&interp.meta().source, STOCKIN_RESPONSE.as_bytes()).unwrap();
    let outcomes = interp.map_all(page.records.iter().map(|r| r.get()));
    let bills: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Bill(b) => b.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    let bodies = vendors::kingdee::save_requests(&interp.meta().target, &bills).unwrap();
    insta::assert_snapshot!(bodies.join("\n"));
}
