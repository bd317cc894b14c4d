//! `duijie run` against sandboxes that answer as real 旺店通 servers do:
//! the same documents with their fields as strings, numbers or `null`
//! (`loose-types`) give the same bills, byte for byte, as the textbook
//! answers.

mod support;

use std::collections::BTreeMap;

use duijie_sandbox::WdtQuirks;
use support::*;

/// The bills every BatchSave sent, by form and bill number (a stock-in's
/// number is the bill number of each scheme that reads it), as their exact
/// JSON text, and whether a source answer had a quantity as a JSON number.
fn sent_bills(sb: &TestSandbox) -> (BTreeMap<String, String>, bool) {
    let mut bills = BTreeMap::new();
    let mut numbers = false;
    for x in sb.control.take_exchanges() {
        if !x.path.contains("kdsvc") {
            let answer = String::from_utf8_lossy(&x.answer);
            numbers |= answer
                .match_indices("\"num\":")
                .any(|(i, m)| answer[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()));
            continue;
        }
        if !x.path.contains("BatchSave") && !x.path.ends_with(".Save.common.kdsvc") {
            continue;
        }
        let body: serde_json::Value = serde_json::from_slice(&x.request).unwrap();
        let form = body["formid"].as_str().unwrap().to_string();
        let model = &body["data"]["Model"];
        let list = model
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![model.clone()]);
        for bill in list {
            // Bills by FBillNo, base data (materials) by FNumber.
            let number = bill["FBillNo"]
                .as_str()
                .or_else(|| bill["FNumber"].as_str())
                .unwrap();
            let number = format!("{form} {number}");
            let previous = bills.insert(number.clone(), bill.to_string());
            assert!(previous.is_none(), "{number} sent twice");
        }
    }
    (bills, numbers)
}

fn sync(sb: &TestSandbox, label: &str) -> (BTreeMap<String, String>, bool) {
    sb.control.record_exchanges(true);
    let dir = TempDir::new(label);
    init(dir.path(), &sb.url);
    run_ok(dir.path(), &["run", "--all"]);
    sent_bills(sb)
}

#[test]
fn fields_as_strings_numbers_or_null_give_the_same_bills() {
    let data = data(60, 60, 23);
    let strict = TestSandbox::start(data.clone(), |_| {});
    let loose = TestSandbox::start(data, |c| {
        c.wdt_quirks = WdtQuirks {
            loose_types: true,
            ..WdtQuirks::default()
        };
    });
    let (expected, strings_only) = sync(&strict, "strict");
    let (got, numbers) = sync(&loose, "loose");
    assert!(
        !strings_only && numbers,
        "the loose sandbox sends quantities as numbers"
    );
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(got, expected);
}
