//! A project of its own, as an integration engineer makes one: `duijie
//! new` from a ready scheme, `duijie check` and `duijie test` on it (no
//! build), its own specs (a new API, an override of one field), and, in
//! one test that builds once, its `cargo build`, `cargo test` and binary
//! against the sandbox, offline, on this workspace's target directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const SCHEME: &str = "wdt_purchase_to_kingdee";

/// `duijie new <dir>/acme-sync --from wdt_purchase_to_kingdee`; the
/// project's directory.
fn new_project(dir: &TempDir) -> PathBuf {
    let out = run_ok(dir.path(), &["new", "acme-sync", "--from", SCHEME]);
    assert!(
        text(&out).contains("made acme-sync (1 scheme)"),
        "{}",
        text(&out)
    );
    dir.path().join("acme-sync")
}

/// `duijie test args…` in `root`, outside CI whatever the environment of
/// this test says (insta's rules depend on `CI` and `INSTA_UPDATE`).
fn duijie_test(root: &Path, args: &[&str]) -> std::process::Output {
    duijie(root)
        .arg("test")
        .args(args)
        .env_remove("CI")
        .env_remove("INSTA_UPDATE")
        .output()
        .unwrap()
}

fn test_ok(root: &Path, args: &[&str]) -> std::process::Output {
    let out = duijie_test(root, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "duijie test {args:?}\n{}",
        text(&out)
    );
    out
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn new_writes_a_project_whose_payload_snapshots_pass_and_fail_as_insta_s() {
    let dir = TempDir::new("new");
    let root = new_project(&dir);
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src/main.rs",
        "tests/snapshots.rs",
        "maps/wdt_purchase_to_kingdee.map",
        "maps/shared/kingdee_codes.map",
        "specs/README.md",
        "fixtures/wdt_purchase_to_kingdee/answer.json",
        "fixtures/wdt_purchase_to_kingdee/answer.snap",
        "duijie.toml",
        ".gitignore",
        "README.md",
    ] {
        assert!(root.join(file).is_file(), "no {file}");
    }
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let checkout = env!("CARGO_MANIFEST_DIR");
    assert!(
        cargo.contains(&format!("duijie = {{ path = {checkout:?} }}")),
        "{cargo}"
    );
    assert!(cargo.contains("[workspace]"), "{cargo}");

    // An existing directory is never written into.
    let again = run(dir.path(), &["new", "acme-sync", "--from", SCHEME]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let unknown = run(dir.path(), &["new", "other", "--from", "no_such"]);
    assert!(
        text(&unknown).contains("ready schemes: "),
        "{}",
        text(&unknown)
    );
    assert!(!dir.path().join("other").exists());

    run_ok(&root, &["check"]);
    let out = test_ok(&root, &[]);
    assert!(
        text(&out).contains("1 case: 1 passed, 0 failed"),
        "{}",
        text(&out)
    );

    // A changed mapping line fails with the JSON path of each change, and
    // leaves the new snapshot beside the old one for review.
    let map = root.join("maps/wdt_purchase_to_kingdee.map");
    edit(
        &map,
        "FQty                      = num",
        "FQty                      = num * 2",
    );
    let out = duijie_test(&root, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("- request 1 $.data.Model[0].FPOOrderEntry[0].FQty: \"FQty\": 10.0000,"),
        "{t}"
    );
    assert!(
        t.contains("+ request 1 $.data.Model[0].FPOOrderEntry[0].FQty: \"FQty\": 20.0000,"),
        "{t}"
    );
    let pending = root.join("fixtures/wdt_purchase_to_kingdee/answer.snap.new");
    assert!(pending.is_file());
    // In CI nothing is written, and it still fails.
    std::fs::remove_file(&pending).unwrap();
    let out = duijie(&root)
        .arg("test")
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!pending.exists());
    // --update accepts it.
    test_ok(&root, &["--update"]);
    let snap =
        std::fs::read_to_string(root.join("fixtures/wdt_purchase_to_kingdee/answer.snap")).unwrap();
    assert!(snap.contains("\"FQty\": 20.0000,"), "{snap}");
    assert!(snap.starts_with("---\nsource: maps/wdt_purchase_to_kingdee.map\nexpression: fixtures/wdt_purchase_to_kingdee/answer.json\n---\n"));
    test_ok(&root, &[]);

    // A fixture that is a vendor error answer gives that error, not a
    // snapshot.
    let error = root.join("fixtures/wdt_purchase_to_kingdee/error.json");
    std::fs::write(&error, r#"{"code":100,"message":"签名错误"}"#).unwrap();
    let out = duijie_test(&root, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("FAILED  fixtures/wdt_purchase_to_kingdee/error.json: "),
        "{t}"
    );
    assert!(t.contains("签名错误"), "{t}");
    assert!(!root
        .join("fixtures/wdt_purchase_to_kingdee/error.snap")
        .exists());
    std::fs::remove_file(&error).unwrap();

    // A new case: missing in CI fails; otherwise it is written and passes.
    std::fs::copy(
        root.join("fixtures/wdt_purchase_to_kingdee/answer.json"),
        root.join("fixtures/wdt_purchase_to_kingdee/again.json"),
    )
    .unwrap();
    let out = duijie(&root)
        .arg("test")
        .env("CI", "1")
        .env_remove("INSTA_UPDATE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no snapshot"), "{}", text(&out));
    let out = duijie_test(&root, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(root
        .join("fixtures/wdt_purchase_to_kingdee/again.snap")
        .is_file());
}

const TRADE_SPEC: &str = r#"
system = "wdt"
api = "trade_query"
label = "查询订单"
role = "source"
list_key = "trades"
paging = { page_no = "page_no", page_size = "page_size", first_page = 0, default_size = 40, max_size = 100 }
window = { start = "start_time", end = "end_time", max_days = 1 }
request = [
  { name = "start_time", label = "开始时间", type = "datetime", wire = "string" },
  { name = "end_time", label = "结束时间", type = "datetime", wire = "string" },
  { name = "page_size", label = "分页大小", type = "integer", wire = "string" },
  { name = "page_no", label = "页号", type = "integer", wire = "string" },
]
response = [
  { name = "trade_no", label = "订单编号", type = "string", required = true },
  { name = "trade_time", label = "下单时间", type = "datetime" },
  { name = "goods_list", label = "货品列表", type = "array" },
  { name = "goods_list.spec_no", label = "商家编码", type = "string" },
  { name = "goods_list.num", label = "数量", type = "decimal", wire = "string" },
]
"#;

const TRADE_MAP: &str = r#"scheme wdt_trade_to_kingdee "旺店通订单 → 金蝶其他入库单"

source wdt.trade_query {
    start_time = LAST_SYNC_TIME
    end_time   = CURRENT_TIME
    page_size  = PAGE_SIZE
    page_no    = PAGE_NO
}

target kingdee.Save STK_MISCELLANEOUS {}

id     trade_no
number trade_no

FBillNo             = trade_no
FBillTypeID.FNUMBER = "QTRKD01_SYS"
FStockOrgId.FNumber = "100"
FDate               = date(trade_time)
FEntity[] <- goods_list <
    FMATERIALID.FNumber = spec_no
    FSTOCKID.FNumber    = "CK001"
    FQty                = num
>
"#;

#[test]
fn a_project_s_own_specs_add_an_api_and_override_a_field() {
    let dir = TempDir::new("specs");
    let root = new_project(&dir);
    std::fs::create_dir_all(root.join("specs/wdt")).unwrap();
    std::fs::write(root.join("specs/wdt/trade_query.toml"), TRADE_SPEC).unwrap();
    std::fs::write(root.join("maps/wdt_trade_to_kingdee.map"), TRADE_MAP).unwrap();
    let answer = r#"{"code":0,"message":"","total_count":1,"trades":[{"trade_no":"T001","trade_time":"2024-01-02 10:00:00","goods_list":[{"spec_no":"A01","num":"2.0000"}]}]}"#;
    std::fs::create_dir_all(root.join("fixtures/wdt_trade_to_kingdee")).unwrap();
    std::fs::write(
        root.join("fixtures/wdt_trade_to_kingdee/answer.json"),
        answer,
    )
    .unwrap();

    // It checks, previews and compiles with nothing of duijie's tree changed.
    let out = run_ok(&root, &["check"]);
    assert!(
        text(&out).contains("(2 schemes): 0 errors"),
        "{}",
        text(&out)
    );
    let out = run_ok(
        &root,
        &[
            "preview",
            "maps/wdt_trade_to_kingdee.map",
            "--input",
            "fixtures/wdt_trade_to_kingdee/answer.json",
            "--wire",
        ],
    );
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        body.starts_with(r#"{"formid":"STK_MISCELLANEOUS","#),
        "{body}"
    );
    assert!(
        body.contains(r#""FBillNo":"T001""#) && body.contains(r#""FQty":2.0000"#),
        "{body}"
    );
    let build = duijie_compiler::project::compile_project(&root);
    assert!(!build.failed(), "{}", build.report);
    assert!(build
        .schemes
        .as_deref()
        .unwrap_or("")
        .contains("pub mod wdt_trade_to_kingdee"));
    assert!(build
        .inputs
        .contains(&root.join("specs/wdt/trade_query.toml")));
    let out = test_ok(&root, &[]);
    assert!(text(&out).contains("2 cases: 2 passed"), "{}", text(&out));

    // Without the project's spec the same scheme is an error.
    let bare = TempDir::new("bare");
    std::fs::write(bare.path().join("x.map"), TRADE_MAP).unwrap();
    let out = run(bare.path(), &["check", "x.map"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // An override of one field's type is honoured, and explained.
    std::fs::write(
        root.join("specs/tenant.toml"),
        r#"role = "override"
system = "kingdee"
form = "PUR_PurchaseOrder"
fields = [
  { name = "FPOOrderEntry.FEntryNote", type = "date", reason = "this tenant made the line note a date" },
]
"#,
    )
    .unwrap();
    let out = run(&root, &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("error[E0401]: `FPOOrderEntry[].FEntryNote` (备注) is a date"),
        "{t}"
    );
    assert!(t.contains("maps/wdt_purchase_to_kingdee.map:"), "{t}");
    let out = run(&root, &["check", "--explain", "FPOOrderEntry.FEntryNote"]);
    let t = text(&out);
    assert!(
        t.contains("checked against specs/kingdee/PUR_PurchaseOrder.toml (built in)"),
        "{t}"
    );
    assert!(
        t.contains("overridden by specs/tenant.toml: type: string → date (reason: this tenant made the line note a date)"),
        "{t}"
    );
    let out = run(
        &root,
        &[
            "check",
            "--explain",
            "FPOOrderEntry.FEntryNote",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["type"], "date");
    assert_eq!(json[0]["overrides"][0]["file"], "specs/tenant.toml");
}

/// The workspace's target directory (`target/`), which the project's build
/// shares so that nothing is compiled twice.
fn target_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_duijie"));
    // target/<profile>/duijie
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn cargo(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

#[test]
fn a_new_project_builds_offline_tests_its_compiled_code_and_runs_against_the_sandbox() {
    let dir = TempDir::new("build");
    let root = new_project(&dir);
    let out = cargo(&root, &["build"]);
    assert!(out.status.success(), "cargo build\n{}", text(&out));
    let out = cargo(&root, &["test"]);
    assert!(out.status.success(), "cargo test\n{}", text(&out));
    assert!(
        text(&out).contains("payloads_match_their_snapshots ... ok"),
        "{}",
        text(&out)
    );

    // Its binary is the whole CLI over its schemes.
    let exe = target_dir().join("debug/acme-sync");
    let sb = TestSandbox::start(data(30, 0, 21), |_| {});
    let bin = |args: &[&str]| {
        Command::new(&exe)
            .args(args)
            .current_dir(&root)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = bin(&["schemes"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(SCHEME),
        "{}",
        text(&out)
    );
    let out = bin(&["init", "--sandbox", &sb.url, "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = bin(&["run", "--all"]);
    assert!(out.status.success(), "{}", text(&out));
    let e = expected(&sb.control, PO);
    assert!(!e.bills.is_empty());
    sb.assert_target_exact(PO, &e.written());

    // A misspelt field fails its build with the .map line and column.
    edit(
        &root.join("maps/wdt_purchase_to_kingdee.map"),
        "FQty                      = num",
        "FQty                      = nmu",
    );
    let out = cargo(&root, &["build"]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("maps/wdt_purchase_to_kingdee.map:35:33: error[E0"),
        "{t}"
    );
    assert!(t.contains("`nmu`"), "{t}");
}

#[test]
fn a_scheme_named_by_its_map_file_is_checked_and_interpreted_without_a_rebuild() {
    let dir = TempDir::new("interpreted");
    let root = new_project(&dir);
    let sb = TestSandbox::start(data(20, 0, 31), |_| {});
    run_ok(&root, &["init", "--sandbox", &sb.url, "--force"]);
    set_key(
        &root,
        &format!("schemes.{SCHEME}"),
        "map",
        "\"maps/wdt_purchase_to_kingdee.map\"",
    );
    // A change no compiled scheme has.
    let map = root.join("maps/wdt_purchase_to_kingdee.map");
    edit(
        &map,
        "FEntryNote                = rec_id",
        "FEntryNote                = \"line \" + rec_id",
    );
    let out = run_ok(&root, &["run", "--all"]);
    let t = text(&out);
    assert!(
        t.contains(&format!("{SCHEME}: succeeded"))
            && t.contains("(interpreted from maps/wdt_purchase_to_kingdee.map)"),
        "{t}"
    );
    let bills = sb.control.bills("PUR_PurchaseOrder");
    assert!(!bills.is_empty());
    for bill in &bills {
        for line in bill["FPOOrderEntry"].as_array().unwrap() {
            let note = line["FEntryNote"].as_str().unwrap();
            assert!(note.starts_with("line "), "{bill}");
        }
    }
    let st = status(&root);
    let po = st["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == SCHEME)
        .unwrap();
    assert_eq!(
        po["path"],
        "interpreted from maps/wdt_purchase_to_kingdee.map"
    );

    // A scheme with errors does not start; nothing is read or written.
    let before = sb.control.bill_count("PUR_PurchaseOrder");
    edit(
        &map,
        "FQty                      = num",
        "FQty                      = nmu",
    );
    let out = run(&root, &["run", "--all"]);
    let t = text(&out);
    assert_ne!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("maps/wdt_purchase_to_kingdee.map:35:33"), "{t}");
    assert!(t.contains("does not start"), "{t}");
    assert_eq!(sb.control.bill_count("PUR_PurchaseOrder"), before);
    // `duijie map` takes the file too.
    let out = run(&root, &["map", "maps/wdt_purchase_to_kingdee.map"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
