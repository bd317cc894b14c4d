//! Property tests of the interpreter on the purchase seed scheme: random
//! records (missing fields, nulls, odd decimals, Chinese text, empty and
//! large arrays) never panic, never leave a half-written bill, and keep
//! quantities exact.

use std::path::Path;
use std::sync::OnceLock;

use duijie_compiler::interp::Interpreter;
use duijie_compiler::spec::Specs;
use duijie_maplib::{Mapped, Mapper};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn interp() -> &'static Interpreter {
    static I: OnceLock<Interpreter> = OnceLock::new();
    I.get_or_init(|| {
        let specs = Specs::load_dir(Path::new("../specs")).unwrap();
        let out =
            duijie_compiler::check_file(Path::new("../maps/wdt_purchase_to_kingdee.map"), &specs);
        Interpreter::new(out.scheme.unwrap())
    })
}

/// A JSON value for a field: usually plausible, sometimes odd.
fn scalar(plausible: BoxedStrategy<String>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => plausible.prop_map(|s| Some(Value::String(s))),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(Value::String(String::new()))),
        1 => "[北京仓库\\PC]{0,12}".prop_map(|s| Some(Value::String(s))),
        1 => (-1000i64..1000).prop_map(|n| Some(json!(n))),
    ]
}

fn decimal_text() -> BoxedStrategy<String> {
    prop_oneof![
        (0u64..100_000, 0u32..5).prop_map(|(m, s)| {
            let d = duijie_maplib::rust_decimal::Decimal::new(m as i64, s);
            d.to_string()
        }),
        Just("79228162514264337593543950335".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("1e3".to_string()),
        Just("-0.0000".to_string()),
    ]
    .boxed()
}

fn line() -> impl Strategy<Value = Value> {
    (
        scalar(decimal_text()),
        scalar(decimal_text()),
        scalar("[0-9]{1,6}".boxed()),
        scalar("[北京上海A-Z0-9]{0,8}".boxed()),
    )
        .prop_map(|(num, price, rec_id, spec_no)| {
            let mut m = Map::new();
            for (k, v) in [
                ("num", num),
                ("price", price),
                ("rec_id", rec_id),
                ("spec_no", spec_no),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            }
            Value::Object(m)
        })
}

fn record() -> impl Strategy<Value = Value> {
    (
        scalar("CG[0-9]{4}".boxed()),
        scalar(prop_oneof![Just("10".to_string()), Just("90".to_string())].boxed()),
        scalar("[0-9]{1,4}".boxed()),
        scalar(Just("2024-01-02 10:00:00".to_string()).boxed()),
        prop_oneof![
            4 => proptest::collection::vec(line(), 0..6).prop_map(|v| Some(Value::Array(v))),
            1 => proptest::collection::vec(line(), 40..60).prop_map(|v| Some(Value::Array(v))),
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            1 => Just(Some(json!("not an array"))),
        ],
    )
        .prop_map(|(no, status, provider, check_time, details)| {
            let mut m = Map::new();
            for (k, v) in [
                ("purchase_no", no),
                ("status", status),
                ("provider_id", provider),
                ("check_time", check_time),
                ("details_list", details),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            }
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn records_map_cleanly(rec in record()) {
        let text = serde_json::to_string(&rec).unwrap();
        let mut out = b"[".to_vec();
        let first = interp().map_record(&text, &mut out);
        let mut again = b"[".to_vec();
        let second = interp().map_record(&text, &mut again);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&out, &again);
        match first {
            Ok(Mapped::Bill { .. }) => {
                let bill: Value = serde_json::from_slice(&out[1..]).unwrap();
                // Every quantity is the source's decimal, exactly.
                let lines = rec["details_list"].as_array().cloned().unwrap_or_default();
                let entries = bill["FPOOrderEntry"].as_array().cloned().unwrap_or_default();
                prop_assert_eq!(lines.len(), entries.len());
                for (line, entry) in lines.iter().zip(&entries) {
                    if let Some(qty) = entry.get("FQty") {
                        let src = match &line["num"] {
                            Value::String(s) => s.clone(),
                            v => v.to_string(),
                        };
                        let want = duijie_maplib::dec::parse_dec(&src).unwrap();
                        prop_assert_eq!(qty.to_string(), want.to_string());
                    }
                }
            }
            Ok(Mapped::Skipped { .. }) => prop_assert_eq!(out, b"[".to_vec()),
            Err(e) => {
                prop_assert_eq!(out, b"[".to_vec());
                prop_assert_eq!(e.scheme, "wdt_purchase_to_kingdee");
                prop_assert!(!e.reason.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,60}") {
        let mut out = Vec::new();
        let _ = interp().map_record(&text, &mut out);
        let _ = interp().map_all([text.as_str()]);
    }
}
