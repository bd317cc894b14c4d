//! The two execution paths of a scheme against each other: the code
//! generated at build time (`src/schemes.rs`, linked here as into the
//! binary) and the interpreter on the same checked model. On the seed
//! schemes, the fixtures and property-generated records (missing fields,
//! nulls, odd decimals, Chinese text, empty and large arrays), and on the
//! library's schemes their fixtures and every document the sandbox
//! generates for them, they must give the same bytes or the same error. Also here: the BatchSave bodies of the
//! fixtures (snapshots) and `duijie map`'s streaming.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use duijie_compiler::interp::Interpreter;
use duijie_compiler::spec::Specs;
use duijie_maplib::{MapError, Mapped, Mapper};
use duijie_runtime::vendors::kingdee;
use proptest::prelude::*;
use serde_json::value::RawValue;

mod schemes {
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}

/// The schemes of the code generation tests (`tests/fixtures/codegen/*.map`:
/// every construct of the language), compiled by their test crate.
use duijie_codegen_fixtures as test_schemes;

const KITCHEN_SINK: &str = "codegen_kitchen_sink";

// The commands' cores are exercised here (as `duijie …` runs them); their
// `run` functions are not.
use duijie::cmd;

const PURCHASE: &str = "wdt_purchase_to_kingdee";
const STOCKIN: &str = "wdtqm_stockin_to_kingdee";
const SALES_OUT: &str = "wdt_sales_out_to_kingdee";
const PURCHASE_IN: &str = "wdt_stockin_purchase_to_kingdee";
const REFUND: &str = "wdt_refund_to_kingdee";
const PURCHASE_RETURN: &str = "wdt_purchase_return_to_kingdee";
const GOODS: &str = "wdt_goods_to_kingdee";

fn compiled(name: &str) -> Arc<dyn Mapper> {
    schemes::by_name(name).expect("compiled scheme")
}

fn interpreted(name: &str) -> Interpreter {
    Interpreter::new(schemes::registry().model(name).expect("model"))
}

/// Master data for the lookups of the kitchen sink: a key is missing when
/// it is empty or four characters long (so that generated records both find
/// and miss); a row's FSpecification is absent for keys of even length.
struct FakeLookups;

impl duijie_maplib::Lookups for FakeLookups {
    fn find(
        &self,
        lookup: &duijie_maplib::LookupMeta,
        key: &str,
        field: &str,
    ) -> Result<duijie_maplib::Found, duijie_maplib::ValueError> {
        use duijie_maplib::Found;
        let n = key.chars().count();
        if n == 0 || n.is_multiple_of(4) {
            return Ok(Found::Missing);
        }
        Ok(Found::Value(match (lookup.form.as_str(), field) {
            ("BD_MATERIAL", "FNumber") => Some(key.to_uppercase()),
            ("BD_MATERIAL", "FName") => Some(format!("物料{key}")),
            ("BD_MATERIAL", "FMATERIALID") => Some(format!("{}.0", 100_000 + n)),
            ("BD_MATERIAL", "FSpecification") => {
                (!n.is_multiple_of(2)).then(|| format!("规格 {key}"))
            }
            ("BD_STOCK", "FNumber") => Some(format!("S-{key}")),
            _ => None,
        }))
    }
}

/// The master data of the library's fixtures (`fixtures/master_data.json`).
fn fixture_master_data() -> duijie_runtime::lookups::MasterDataFile {
    duijie::snapshots::master_data(Path::new(".")).unwrap()
}

/// Master data that has every key: the sandbox's 金蝶 has every material and
/// supplier its documents name.
struct EveryKey;

impl duijie_maplib::Lookups for EveryKey {
    fn find(
        &self,
        lookup: &duijie_maplib::LookupMeta,
        key: &str,
        field: &str,
    ) -> Result<duijie_maplib::Found, duijie_maplib::ValueError> {
        Ok(duijie_maplib::Found::Value(
            (field == lookup.by).then(|| key.to_string()),
        ))
    }
}

/// Maps one record both ways with the kitchen sink's master data; panics
/// when they differ.
fn same<'r>(
    name: &str,
    compiled: &dyn Mapper,
    interp: &Interpreter,
    record: &'r str,
) -> (Result<Mapped<'r>, MapError>, String) {
    same_with(name, compiled, interp, record, &FakeLookups)
}

/// [`same`], with the lookups answered by `lookups`.
fn same_with<'r>(
    name: &str,
    compiled: &dyn Mapper,
    interp: &Interpreter,
    record: &'r str,
    lookups: &dyn duijie_maplib::Lookups,
) -> (Result<Mapped<'r>, MapError>, String) {
    let (mut a, mut b) = (b"prefix:".to_vec(), b"prefix:".to_vec());
    let ra = compiled.map_record_with(record, &mut a, lookups);
    let rb = interp.map_record_with(record, &mut b, lookups);
    let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
    assert_eq!(
        ra, rb,
        "{name}: compiled and interpreted results differ for\n{record}"
    );
    assert_eq!(
        a, b,
        "{name}: compiled and interpreted bills differ for\n{record}"
    );
    (ra, a["prefix:".len()..].to_string())
}

/// The records of an API response (`list_key` at the top or inside a Qimen
/// `response` envelope).
/// The records of an answer under `list_key`, as the connectors read them
/// (`outer/inner`: one record per element of each listed record's `inner`,
/// the listed record's other fields beside it).
fn records(json: &str, list_key: &str) -> Vec<String> {
    let top: BTreeMap<&str, &RawValue> = serde_json::from_str(json).unwrap();
    let (outer, inner) = match list_key.split_once('/') {
        Some((o, i)) => (o, Some(i)),
        None => (list_key, None),
    };
    let list = match top.get(outer) {
        Some(list) => *list,
        None => {
            let envelope: BTreeMap<&str, &RawValue> =
                serde_json::from_str(top["response"].get()).unwrap();
            envelope[outer]
        }
    };
    let items: Vec<&RawValue> = serde_json::from_str(list.get()).unwrap();
    let Some(inner) = inner else {
        return items.into_iter().map(|r| r.get().to_string()).collect();
    };
    let mut out = Vec::new();
    for item in items {
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(item.get()).unwrap();
        for element in record[inner].as_array().unwrap() {
            let mut merged = element.as_object().unwrap().clone();
            for (k, v) in &record {
                if k != inner && !merged.contains_key(k) {
                    merged.insert(k.clone(), v.clone());
                }
            }
            out.push(serde_json::Value::Object(merged).to_string());
        }
    }
    out
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new("fixtures").join(name)).unwrap()
}

const FIXTURES: &[(&str, &str, &str, &str)] = &[
    (
        PURCHASE,
        "maps/wdt_purchase_to_kingdee.map",
        "wdt_purchase_to_kingdee/answer.json",
        "purchase_list",
    ),
    (
        STOCKIN,
        "maps/wdtqm_stockin_to_kingdee.map",
        "wdtqm_stockin_to_kingdee/answer.json",
        "stockin_list",
    ),
    (
        SALES_OUT,
        "maps/wdt_sales_out_to_kingdee.map",
        "wdt_sales_out_to_kingdee/answer.json",
        "stockout_list",
    ),
    (
        PURCHASE_IN,
        "maps/wdt_stockin_purchase_to_kingdee.map",
        "wdt_stockin_purchase_to_kingdee/answer.json",
        "stockin_list",
    ),
    (
        REFUND,
        "maps/wdt_refund_to_kingdee.map",
        "wdt_refund_to_kingdee/answer.json",
        "stockin_list",
    ),
    (
        PURCHASE_RETURN,
        "maps/wdt_purchase_return_to_kingdee.map",
        "wdt_purchase_return_to_kingdee/answer.json",
        "stockout_list",
    ),
    (
        GOODS,
        "maps/wdt_goods_to_kingdee.map",
        "wdt_goods_to_kingdee/answer.json",
        "goods_list/spec_list",
    ),
];

/// The library's schemes on every document the sandbox generates for
/// them (gifts, multi-line orders, zero quantities, defective returns,
/// numbers where strings are usual): compiled and interpreted give the same
/// bytes, and most documents make a bill.
#[test]
fn library_schemes_map_the_sandbox_documents_the_same_both_ways() {
    use duijie_sandbox::{DataConfig, LibraryKind, Sandbox, SandboxConfig};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data: DataConfig {
                seed: 5,
                purchase_orders: 200,
                stockins: 800,
                sales_outs: 400,
                ..DataConfig::default()
            },
            ..SandboxConfig::default()
        }))
        .unwrap();
    let control = sandbox.control();
    for (name, kind) in [
        (SALES_OUT, LibraryKind::SalesOut),
        (PURCHASE_IN, LibraryKind::PurchaseIn),
        (REFUND, LibraryKind::Refund),
        (PURCHASE_RETURN, LibraryKind::PurchaseReturn),
    ] {
        let (c, i) = (compiled(name), interpreted(name));
        let docs = control.library_documents(kind);
        assert!(docs.len() > 50, "{name}: {} documents", docs.len());
        let mut bills = 0;
        for doc in &docs {
            let record = serde_json::to_string(doc).unwrap();
            if let (Ok(Mapped::Bill { .. }), _) =
                same_with(name, c.as_ref(), &i, &record, &EveryKey)
            {
                bills += 1;
            }
        }
        assert!(
            bills * 10 > docs.len() * 7,
            "{name}: {bills} bills of {}",
            docs.len()
        );
    }
    // The goods archive, one record per spec: every spec but the deleted
    // one makes a material.
    let answer = serde_json::json!({"code": 0, "goods_list": control.goods_archive()}).to_string();
    let specs = records(&answer, "goods_list/spec_list");
    assert!(specs.len() > 30, "{} specs", specs.len());
    let (c, i) = (compiled(GOODS), interpreted(GOODS));
    let mut bills = 0;
    for record in &specs {
        if let (Ok(Mapped::Bill { .. }), _) = same_with(GOODS, c.as_ref(), &i, record, &EveryKey) {
            bills += 1;
        }
    }
    assert_eq!(bills, specs.len() - 1);
    runtime.block_on(sandbox.shutdown());
}

#[test]
fn registry_lists_the_compiled_schemes() {
    let all = [
        GOODS,
        PURCHASE_RETURN,
        PURCHASE,
        REFUND,
        SALES_OUT,
        PURCHASE_IN,
        STOCKIN,
    ];
    assert_eq!(schemes::NAMES, all);
    let names: Vec<String> = schemes::all()
        .iter()
        .map(|m| m.meta().name.clone())
        .collect();
    assert_eq!(names, all);
    assert!(schemes::by_name("no_such_scheme").is_none());
    let metas: Vec<_> = schemes::all().iter().map(|m| m.meta().clone()).collect();
    let refs: Vec<_> = metas.iter().collect();
    insta::assert_snapshot!(cmd::schemes::table(&refs));
}

#[test]
fn models_in_the_binary_are_the_checked_schemes() {
    let specs = Specs::load_dir(Path::new("specs")).unwrap();
    for (name, map, _, _) in FIXTURES {
        let checked = duijie_compiler::check_file(Path::new(map), &specs)
            .scheme
            .expect("checks");
        assert_eq!(
            schemes::registry().model(name).as_ref(),
            Some(&checked),
            "{name}"
        );
        assert_eq!(compiled(name).meta(), &checked.meta, "{name}");
    }
}

#[test]
fn fixtures_map_the_same_both_ways() {
    for (name, _, file, list_key) in FIXTURES {
        let (c, i) = (compiled(name), interpreted(name));
        let json = fixture(file);
        let mut outcomes = Vec::new();
        let master_data = fixture_master_data();
        for record in records(&json, list_key) {
            let (result, bill) = same_with(name, c.as_ref(), &i, &record, &master_data);
            outcomes.push(match result {
                Ok(Mapped::Bill { .. }) => bill,
                Ok(Mapped::Skipped { reason, .. }) => format!("skipped: {reason}"),
                Err(e) => format!("error: {e}"),
            });
        }
        insta::assert_snapshot!(format!("outcomes_{name}"), outcomes.join("\n"));
    }
}

/// The request bodies `duijie preview` prints for the fixtures, and the
/// records left out; the compiled code gives the same body.
#[test]
fn batch_save_bodies_of_the_fixtures() {
    let specs = Specs::load_dir(Path::new("specs")).unwrap();
    for (name, map, file, list_key) in FIXTURES {
        let json = fixture(file);
        let preview =
            cmd::preview::preview(Path::new(map), &json, &specs, false, &fixture_master_data())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut shown = preview.bodies.join("\n");
        shown.push_str("\n\n");
        shown.push_str(&preview.notes.join("\n"));
        insta::assert_snapshot!(format!("batch_save_{name}"), shown);

        let c = compiled(name);
        let mut bills = Vec::new();
        for record in records(&json, list_key) {
            let mut out = Vec::new();
            if let Ok(Mapped::Bill { .. }) =
                c.map_record_with(&record, &mut out, &fixture_master_data())
            {
                bills.push(String::from_utf8(out).unwrap());
            }
        }
        let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
        let sent = kingdee::save_requests(&c.meta().target, &refs).unwrap();
        assert_eq!(preview.wire, sent, "{name}");
        let body = cmd::preview::pretty(&sent[0]);
        assert_eq!(preview.bodies, [body], "{name}");
    }
}

/// Input that is no record, array or answer is an error naming what was
/// expected, never a panic.
#[test]
fn preview_of_bad_input_says_what_it_expected() {
    let specs = Specs::load_dir(Path::new("specs")).unwrap();
    let map = Path::new("maps/wdt_purchase_to_kingdee.map");
    for (input, why) in [
        ("1", "the input is not a JSON object or array"),
        ("x", "expected value"),
        ("[{}", "EOF"),
        ("", "EOF"),
    ] {
        match cmd::preview::preview(map, input, &specs, false, &duijie_maplib::NoLookups) {
            Err(cmd::preview::PreviewError::Input(e)) => {
                assert!(
                    e.starts_with(
                        "not a record, an array of records or an answer of purchase_order_query: "
                    ),
                    "{input:?}: {e}"
                );
                assert!(e.contains(why), "{input:?}: {e}");
            }
            other => panic!("{input:?}: {other:?}"),
        }
    }
}

#[test]
fn preview_of_a_single_record_and_of_a_bad_scheme() {
    let specs = Specs::load_dir(Path::new("specs")).unwrap();
    let json = fixture("wdt_purchase_to_kingdee/answer.json");
    let all = records(&json, "purchase_list");
    let one = all[0].as_str();
    let p = cmd::preview::preview(
        Path::new("maps/wdt_purchase_to_kingdee.map"),
        one,
        &specs,
        false,
        &duijie_maplib::NoLookups,
    )
    .unwrap();
    assert_eq!(p.bodies.len(), 1);
    assert!(p.bodies[0].contains("\"FBillNo\": \"CG2024010200001\""));
    assert!(p.notes.is_empty());

    let dir = std::env::temp_dir().join(format!("duijie-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.map");
    let text = std::fs::read_to_string("maps/wdt_purchase_to_kingdee.map")
        .unwrap()
        .replace(
            "include \"shared/kingdee_codes.map\"",
            "def ORG_PURCHASE = \"100\"",
        )
        .replace(
            "FQty                      = num",
            "FQty                      = nmu",
        );
    std::fs::write(&bad, text).unwrap();
    match cmd::preview::preview(&bad, one, &specs, false, &duijie_maplib::NoLookups) {
        Err(cmd::preview::PreviewError::Check(report)) => {
            assert!(
                report.contains("error[E0101]: unknown source field `nmu`"),
                "{report}"
            );
            assert!(report.contains("did you mean `num`"), "{report}");
        }
        other => panic!("expected check errors, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn map_streams_json_lines_both_ways() {
    let json = fixture("wdt_purchase_to_kingdee/answer.json");
    let mut input: String = records(&json, "purchase_list")
        .iter()
        .map(|r| {
            format!(
                "{}\n",
                serde_json::to_string(&serde_json::from_str::<serde_json::Value>(r).unwrap())
                    .unwrap()
            )
        })
        .collect();
    input.push_str("\n   \n{\"purchase_no\":\"X1\",\"details_list\":\"oops\"}\r\nnot json\n");
    let mut runs = Vec::new();
    for interpret in [false, true] {
        let mapper = cmd::map::mapper(&schemes::registry(), PURCHASE, interpret).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let summary =
            cmd::map::map_stream(mapper.as_ref(), input.as_bytes(), &mut out, &mut err).unwrap();
        runs.push((
            summary,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        ));
    }
    assert_eq!(runs[0], runs[1], "compiled and interpreted runs differ");
    let (summary, out, err) = &runs[0];
    assert_eq!(
        *summary,
        cmd::map::Summary {
            records: 8,
            bills: 2,
            skipped: 1,
            failed: 5
        }
    );
    assert_eq!(out.lines().count(), 2);
    insta::assert_snapshot!("map_stderr", err);
    // Invalid UTF-8 fails its line only.
    let mapper = cmd::map::mapper(&schemes::registry(), PURCHASE, false).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bytes = b"\xff\xfe\n{\"purchase_no\":\"A\",\"check_time\":\"2024-01-01 00:00:00\",\"details_list\":[{\"rec_id\":\"1\",\"num\":\"1\"}]}\n";
    let summary = cmd::map::map_stream(mapper.as_ref(), &bytes[..], &mut out, &mut err).unwrap();
    assert_eq!(
        summary,
        cmd::map::Summary {
            records: 2,
            bills: 1,
            skipped: 0,
            failed: 1
        }
    );
    assert!(String::from_utf8(err)
        .unwrap()
        .starts_with("line 1: the record is not UTF-8"));
}

// ------------------------------------------------------------ properties

/// A JSON value as text, or `None` for a missing key.
fn value(texts: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some("null".to_string())),
        6 => proptest::sample::select(texts).prop_map(|t| Some(t.to_string())),
    ]
}

const DECIMALS: &[&str] = &[
    "\"10.0000\"",
    "\"946.9436\"",
    "\"0.0000\"",
    "\"-0.00\"",
    "\"1e3\"",
    "\"1.5E-3\"",
    "\"\"",
    "\"abc\"",
    "\"12.5\"",
    "\"0.1234567890123456789012345678\"",
    "\"79228162514264337593543950335\"",
    "\"79228162514264337593543950336\"",
    "\"-3.10\"",
    "\" 1\"",
    "\"1,000\"",
    "5",
    "12.5",
    "0",
    "-0.5",
    "1e2",
    "true",
    "[]",
    "{}",
    "\"十\"",
];

const TEXTS: &[&str] = &[
    "\"A01\"",
    "\"北京仓\"",
    "\"\"",
    "\"纯棉T恤（红色，L码）\"",
    "\"a\\\"b\\\\c\"",
    "\"\\u4e2d\\u6587\"",
    "\"tab\\there\"",
    "12",
    "3.50",
    "true",
    "{}",
    "[\"x\"]",
    "\"😀 emoji\"",
];

const IDS: &[&str] = &[
    "\"12\"",
    "17",
    "\"0\"",
    "\"-5\"",
    "\"3.0000\"",
    "\"3.5\"",
    "\"abc\"",
    "\"\"",
    "\"9223372036854775808\"",
    "1e3",
];

const TIMES: &[&str] = &[
    "\"2024-01-02 10:15:30\"",
    "\"\"",
    "\"0000-00-00 00:00:00\"",
    "\"2024-13-01 00:00:00\"",
    "\"2024-02-29 23:59:59\"",
    "\"2024-01-02\"",
    "1700000000",
    "\"2024-01-02T10:00:00\"",
];

const STATUSES: &[&str] = &["\"10\"", "\"40\"", "\"90\"", "10", "\"\""];

const WAREHOUSES: &[&str] = &[
    "\"WH001\"",
    "\"WH002\"",
    "\"WH003\"",
    "\"WH999\"",
    "\"\"",
    "\"北京仓\"",
    "7",
];

fn object(fields: Vec<(&'static str, Option<String>)>, extra: bool) -> String {
    let mut parts: Vec<String> = fields
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("\"{k}\":{v}")))
        .collect();
    if extra && parts.len() > 2 {
        // A key the mapping reads, given twice.
        let again = parts[parts.len() - 2].clone();
        parts.push(again);
    }
    if extra {
        parts.insert(
            0,
            "\"unknown\":{\"nested\":[1,2,{\"num\":\"x\"}],\"s\":\"北\"}".to_string(),
        );
    }
    format!("{{{}}}", parts.join(","))
}

fn purchase_line() -> BoxedStrategy<String> {
    (
        value(IDS),
        value(TEXTS),
        value(DECIMALS),
        value(DECIMALS),
        value(DECIMALS),
        value(DECIMALS),
        value(DECIMALS),
        value(TEXTS),
        any::<bool>(),
    )
        .prop_map(
            |(rec_id, spec_no, num, price, tax, tax_price, tax_amount, remark, extra)| {
                object(
                    vec![
                        ("rec_id", rec_id),
                        ("spec_no", spec_no),
                        ("num", num),
                        ("price", price),
                        ("tax", tax),
                        ("tax_price", tax_price),
                        ("tax_amount", tax_amount),
                        ("remark", remark),
                    ],
                    extra,
                )
            },
        )
        .boxed()
}

/// An array of `line`s: usually short, sometimes empty or large; or not an
/// array at all.
fn lines(line: BoxedStrategy<String>) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some("null".to_string())),
        1 => Just(Some("[]".to_string())),
        1 => Just(Some("\"\"".to_string())),
        1 => Just(Some("[null]".to_string())),
        1 => proptest::sample::select(&["[[]]", "[1]", "[{}, \"x\"]", "{}", "[{\"num\":\"1\"},[{}]]"][..])
            .prop_map(|t| Some(t.to_string())),
        8 => proptest::collection::vec(line.clone(), 1..6).prop_map(|l| Some(format!("[{}]", l.join(",")))),
        1 => proptest::collection::vec(line, 100..160).prop_map(|l| Some(format!("[{}]", l.join(",")))),
    ]
}

fn purchase_record() -> impl Strategy<Value = String> {
    (
        value(TEXTS),
        value(STATUSES),
        value(IDS),
        value(TIMES),
        lines(purchase_line()),
        any::<bool>(),
    )
        .prop_map(
            |(purchase_no, status, provider_id, check_time, details, extra)| {
                object(
                    vec![
                        ("purchase_no", purchase_no),
                        ("status", status),
                        ("provider_id", provider_id),
                        ("check_time", check_time),
                        ("details_list", details),
                    ],
                    extra,
                )
            },
        )
}

fn stockin_line() -> BoxedStrategy<String> {
    (
        value(TEXTS),
        value(TEXTS),
        value(DECIMALS),
        value(DECIMALS),
        value(TEXTS),
    )
        .prop_map(|(spec_no, spec_code, num, cost_price, remark)| {
            object(
                vec![
                    ("spec_no", spec_no),
                    ("spec_code", spec_code),
                    ("num", num),
                    ("cost_price", cost_price),
                    ("remark", remark),
                ],
                false,
            )
        })
        .boxed()
}

fn stockin_record() -> impl Strategy<Value = String> {
    (
        value(TEXTS),
        value(TIMES),
        value(TIMES),
        value(TEXTS),
        value(WAREHOUSES),
        lines(stockin_line()),
    )
        .prop_map(
            |(stockin_no, stockin_time, created_time, reason, warehouse, details)| {
                object(
                    vec![
                        ("stockin_no", stockin_no),
                        ("stockin_time", stockin_time),
                        ("created_time", created_time),
                        ("stockin_reason", reason),
                        ("warehouse_no", warehouse),
                        ("details_list", details),
                    ],
                    false,
                )
            },
        )
}

const BOOLS: &[&str] = &[
    "true", "false", "\"true\"", "\"0\"", "\"1\"", "1", "2", "\"yes\"", "\"\"",
];
const DATES: &[&str] = &[
    "\"2024-01-02\"",
    "\"\"",
    "\"0000-00-00\"",
    "\"2024-02-30\"",
    "20240102",
];
const LISTS: &[&str] = &[
    "[\"a\",\"b\"]",
    "[]",
    "[1,\"北\"]",
    "\"x\"",
    "[null]",
    "[\"a|b\"]",
];
const KINDS: &[&str] = &["\"a\"", "\"b\"", "\"c\"", "\"void\"", "\"z\"", "\"\"", "3"];
const RATES: &[&str] = &[
    "\"0.13\"", "\"0.10\"", "\"0.\"", "\"abc\"", "\"\"", "\"1e-2\"", "0.13",
];
const LEVELS: &[&str] = &["1", "2", "3", "4", "\"2\"", "\"x\"", "0"];
const FEE_NAMES: &[&str] = &["\"ship\"", "\"pack\"", "\"tip\"", "\"\""];

fn kitchen_batch() -> BoxedStrategy<String> {
    (value(TEXTS), value(DECIMALS))
        .prop_map(|(batch_no, qty)| object(vec![("batch_no", batch_no), ("qty", qty)], false))
        .boxed()
}

fn kitchen_line() -> BoxedStrategy<String> {
    (
        value(TEXTS),
        value(DECIMALS),
        value(DECIMALS),
        value(TEXTS),
        lines(kitchen_batch()),
        any::<bool>(),
    )
        .prop_map(|(sku, qty, price, remark, batches, extra)| {
            object(
                vec![
                    ("sku", sku),
                    ("qty", qty),
                    ("price", price),
                    ("remark", remark),
                    ("batches", batches),
                ],
                extra,
            )
        })
        .boxed()
}

fn kitchen_fee() -> BoxedStrategy<String> {
    (value(FEE_NAMES), value(DECIMALS))
        .prop_map(|(name, amount)| object(vec![("name", name), ("amount", amount)], false))
        .boxed()
}

fn kitchen_buyer() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some("null".to_string())),
        1 => Just(Some("\"张三\"".to_string())),
        6 => (value(TEXTS), value(LEVELS), prop_oneof![Just(None), Just(Some("null".to_string())), Just(Some("[]".to_string())), value(TEXTS).prop_map(|city| Some(object(vec![("city", city)], false)))])
            .prop_map(|(name, level, address)| Some(object(vec![("name", name), ("level", level), ("address", address)], false))),
    ]
}

fn kitchen_record() -> impl Strategy<Value = String> {
    (
        (
            value(TEXTS),
            value(TEXTS),
            value(DECIMALS),
            value(IDS),
            value(BOOLS),
            value(TIMES),
            value(DATES),
        ),
        (
            value(LISTS),
            value(WAREHOUSES),
            value(KINDS),
            value(RATES),
            kitchen_buyer(),
            lines(kitchen_line()),
            lines(kitchen_fee()),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (order_no, remark, amount, count, paid, created, due),
                (tags, warehouse, kind, rate, buyer, lines, fees),
                extra,
            )| {
                object(
                    vec![
                        ("order_no", order_no),
                        ("remark", remark),
                        ("amount", amount),
                        ("count", count),
                        ("paid", paid),
                        ("created", created),
                        ("due", due),
                        ("tags", tags),
                        ("warehouse", warehouse),
                        ("kind", kind),
                        ("rate", rate),
                        ("buyer", buyer),
                        ("lines", lines),
                        ("fees", fees),
                    ],
                    extra,
                )
            },
        )
}

/// A record of the kitchen-sink scheme's source that maps to a bill.
const KITCHEN_RECORD: &str = r#"{"order_no":" x-1 ","remark":"第一行\n第二行","amount":"99.995","count":"3","paid":true,"created":"2024-01-31 23:30:00","due":"2024-02-29","tags":["a","b"],"warehouse":"北京仓","kind":"c","rate":"0.13","buyer":{"name":"张三","level":2,"address":{"city":"杭州"}},"lines":[{"sku":"A01","qty":"2.5000","price":"50","remark":null,"batches":[{"batch_no":"B1","qty":"1"},{"batch_no":"B2","qty":0},null]},{"sku":"A02","qty":"0","price":"1"}],"fees":[{"name":"ship","amount":"8.00"}]}"#;

#[test]
fn kitchen_sink_maps_the_same_both_ways() {
    let c = test_schemes::by_name(KITCHEN_SINK).expect("compiled");
    let i = Interpreter::new(test_schemes::models::models().remove(0));
    let (result, bill) = same(KITCHEN_SINK, c.as_ref(), &i, KITCHEN_RECORD);
    assert!(matches!(result, Ok(Mapped::Bill { .. })), "{result:?}");
    insta::assert_snapshot!("kitchen_sink_bill", bill);
}

/// A line whose material is not in the master data: both ways the record
/// waits, naming the form, the key and the field; a stock that is not there
/// takes the `??` value.
#[test]
fn kitchen_sink_lookup_misses_wait_the_same_both_ways() {
    let c = test_schemes::by_name(KITCHEN_SINK).expect("compiled");
    let i = Interpreter::new(test_schemes::models::models().remove(0));
    let missing = KITCHEN_RECORD.replace(r#""sku":"A01""#, r#""sku":"A001""#);
    let (result, _) = same(KITCHEN_SINK, c.as_ref(), &i, &missing);
    let e = result.expect_err("a missing material makes the record wait");
    assert_eq!(e.target, "FEntity[0].FSku");
    assert_eq!(e.source, "lines[0].sku");
    assert_eq!(
        e.waiting,
        Some(Box::new(duijie_maplib::Waiting {
            form: "BD_MATERIAL".into(),
            by: "FNumber".into(),
            key: "A001".into(),
        }))
    );
    assert!(e.reason.starts_with("物料 A001 不在金蝶"), "{}", e.reason);
    let no_stock = KITCHEN_RECORD.replace(r#""warehouse":"北京仓""#, r#""warehouse":"WH01""#);
    let (result, bill) = same(KITCHEN_SINK, c.as_ref(), &i, &no_stock);
    assert!(result.is_ok(), "{result:?}");
    assert!(bill.contains(r#""FStock":{"FNumber":"CK999"}"#), "{bill}");
}

/// Records the one-pass scanner reads, and records it leaves to the lazy
/// reading (escaped keys, keys given twice, values of another kind, text
/// after the record): both ways give the same bill or the same error.
#[test]
fn records_read_in_one_pass_or_lazily_map_the_same() {
    let (c, i) = (compiled(PURCHASE), interpreted(PURCHASE));
    let line = r#"{"rec_id":"11","num":"41.0000","price":"10.6400","tax":"0.1300","tax_amount":"443.6561","tax_price":"12.0232","remark":"a\/b \"q\" \u4e2d","extra":{"deep":[[{"k\u0065y":null}],-1.5e+3,true]}}"#;
    let base = format!(
        r#"{{"purchase_no":"CG1","status":"90","check_time":"2024-01-19 08:19:07","provider_id":"2","details_list":[{line},{line}]}}"#
    );
    let (result, bill) = same(PURCHASE, c.as_ref(), &i, &base);
    let cg1 = Ok(Mapped::Bill {
        id: Some("CG1".into()),
        number: Some("CG1".into()),
    });
    assert_eq!(result, cg1);
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&base).unwrap())
            .unwrap();
    let same_bill = [
        pretty.as_str(),
        &base.replace("\"purchase_no\"", "\"purchase_n\\u006f\""),
        &base.replace("\"num\"", "\"n\\u0075m\""),
        &base.replace("\"status\"", "\"other\":1,\"other\":2,\"status\""),
        &base.replace("\"41.0000\"", "41.0000"),
        &format!(" \n{base}\t\r\n"),
    ];
    for record in same_bill {
        let (result, other) = same(PURCHASE, c.as_ref(), &i, record);
        assert_eq!(
            (result, other.as_str()),
            (cg1.clone(), bill.as_str()),
            "{record}"
        );
    }
    for record in [
        base.replace("\"status\"", "\"status\":\"90\",\"status\""),
        base.replace("\"num\"", "\"num\":\"1\",\"num\""),
        base.replace("[{", "[null,{"),
        base.replace("\"details_list\":[", "\"details_list\":null,\"x\":["),
        base.replace("\"details_list\":[", "\"details_list\":\"oops\",\"x\":["),
        base.replace("\"details_list\":[", "\"details_list\":[1,"),
        base.replace("\"41.0000\"", "\"41\\u0000\""),
        base.replace("-1.5e+3", "01"),
        base.replace("-1.5e+3", "1.5e"),
        base.replace(",true]", ",true,]"),
        base.replace("null}", "nul}"),
        format!("{base} x"),
        format!("[{base}]"),
        base.replacen('}', "", 1),
    ] {
        let _ = same(PURCHASE, c.as_ref(), &i, &record);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn kitchen_sink_records_map_the_same_both_ways(record in kitchen_record()) {
        let c = test_schemes::by_name(KITCHEN_SINK).expect("compiled");
        let i = Interpreter::new(test_schemes::models::models().remove(0));
        let _ = same(KITCHEN_SINK, c.as_ref(), &i, &record);
    }

    #[test]
    fn purchase_records_map_the_same_both_ways(record in purchase_record()) {
        let (c, i) = (compiled(PURCHASE), interpreted(PURCHASE));
        let _ = same(PURCHASE, c.as_ref(), &i, &record);
    }

    #[test]
    fn stockin_records_map_the_same_both_ways(record in stockin_record()) {
        let (c, i) = (compiled(STOCKIN), interpreted(STOCKIN));
        let _ = same(STOCKIN, c.as_ref(), &i, &record);
    }

    #[test]
    fn any_text_maps_the_same_both_ways(text in "\\PC{0,40}") {
        for name in [PURCHASE, STOCKIN] {
            let (c, i) = (compiled(name), interpreted(name));
            let _ = same(name, c.as_ref(), &i, &text);
        }
    }
}

/// A record above the size limit fails alone, the same both ways, with its
/// id and the limit named; one just below it maps.
#[test]
fn a_record_above_the_size_limit_fails_alone() {
    let limit = duijie_maplib::json::MAX_RECORD_BYTES;
    let record = |size: usize| {
        let head = r#"{"purchase_no":"BIG","check_time":"2024-01-02 10:00:00","details_list":[{"rec_id":"1","num":"1"}],"remark":""#;
        let pad = size - head.len() - 2;
        format!("{head}{}\"}}", "x".repeat(pad))
    };
    let big = record(limit + 1);
    assert_eq!(big.len(), limit + 1);
    let (result, _) = same(
        PURCHASE,
        compiled(PURCHASE).as_ref(),
        &interpreted(PURCHASE),
        &big,
    );
    let e = result.unwrap_err();
    assert_eq!(e.record_id.as_deref(), Some("BIG"));
    assert!(
        e.reason.contains("more than the 16 MiB a record may have"),
        "{e}"
    );
    let fits = record(limit);
    let (result, _) = same(
        PURCHASE,
        compiled(PURCHASE).as_ref(),
        &interpreted(PURCHASE),
        &fits,
    );
    assert!(result.is_ok(), "{result:?}");
}
