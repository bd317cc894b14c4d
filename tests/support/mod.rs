//! Helpers of the end-to-end tests of the `duijie` binary: a sandbox served
//! from the test process, temporary installations, editing `duijie.toml`,
//! running the binary, reading `duijie status --format json`, and what the
//! sandbox's documents should become (computed with `duijie map`, the
//! compiled schemes themselves, so that these tests check the engine and the
//! CLI rather than the mappings).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use duijie_sandbox::{
    Control, DataConfig, DocKind, LibraryKind, MasterData, Sandbox, SandboxConfig,
};
use serde_json::Value;

/// The purchase-order scheme: 旺店通 openapi2 → 金蝶 采购订单.
pub const PO: SchemeInfo = SchemeInfo {
    name: "wdt_purchase_to_kingdee",
    api: "purchase_order_query",
    docs: Docs::Seed(DocKind::PurchaseOrder),
    form: "PUR_PurchaseOrder",
    number_key: "purchase_no",
};

/// The stock-in scheme: 旺店通 Qimen → 金蝶 其他入库单.
pub const SI: SchemeInfo = SchemeInfo {
    name: "wdtqm_stockin_to_kingdee",
    api: "wdt.stockin.order.query",
    docs: Docs::Seed(DocKind::StockIn),
    form: "STK_MISCELLANEOUS",
    number_key: "stockin_no",
};

/// The library's sales scheme: 旺店通 销售出库单 → 金蝶 销售出库单.
pub const SO: SchemeInfo = SchemeInfo {
    name: "wdt_sales_out_to_kingdee",
    api: "stockout_order_query_trade",
    docs: Docs::Library(LibraryKind::SalesOut),
    form: "SAL_OUTSTOCK",
    number_key: "order_no",
};

/// The library's purchase stock-in scheme: 旺店通 采购入库 → 金蝶 采购入库单.
pub const PI: SchemeInfo = SchemeInfo {
    name: "wdt_stockin_purchase_to_kingdee",
    api: "stockin_order_query_purchase",
    docs: Docs::Library(LibraryKind::PurchaseIn),
    form: "STK_InStock",
    number_key: "stockin_no",
};

/// The library's return scheme: 旺店通 退货入库 → 金蝶 销售退货单.
pub const RF: SchemeInfo = SchemeInfo {
    name: "wdt_refund_to_kingdee",
    api: "stockin_order_query_refund",
    docs: Docs::Library(LibraryKind::Refund),
    form: "SAL_RETURNSTOCK",
    number_key: "order_no",
};

/// The library's purchase return scheme: 旺店通 采购退货 → 金蝶 采购退料单.
pub const PR: SchemeInfo = SchemeInfo {
    name: "wdt_purchase_return_to_kingdee",
    api: "stockout_order_query_return",
    docs: Docs::Library(LibraryKind::PurchaseReturn),
    form: "PUR_MRB",
    number_key: "order_no",
};

/// The library's goods scheme: 旺店通 货品档案 → 金蝶 物料 (one material per spec).
pub const GM: SchemeInfo = SchemeInfo {
    name: "wdt_goods_to_kingdee",
    api: "goods_query",
    docs: Docs::Goods,
    form: "BD_MATERIAL",
    number_key: "spec_no",
};

/// The sandbox documents a scheme reads.
#[derive(Clone, Copy, Debug)]
pub enum Docs {
    /// Those of the seed APIs.
    Seed(DocKind),
    /// Those of the library's APIs.
    Library(LibraryKind),
    /// The goods archive (`goods_query`), one record per spec.
    Goods,
}

/// One scheme as the tests see it.
#[derive(Clone, Copy, Debug)]
pub struct SchemeInfo {
    /// The scheme's name (in `duijie.toml` and the compiled registry).
    pub name: &'static str,
    /// Its source API (openapi2 API or Qimen method).
    pub api: &'static str,
    /// The sandbox documents it reads.
    pub docs: Docs,
    /// The Kingdee form it writes.
    pub form: &'static str,
    /// The source field holding the bill number (and the record id).
    pub number_key: &'static str,
}

// ---------------------------------------------------------------- temp dirs

/// A fresh directory under the system's temporary directory, removed when
/// dropped (kept when `DUIJIE_KEEP_TEST_DIRS` is set, to look at).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "duijie-e2e-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn config(&self) -> PathBuf {
        self.path.join("duijie.toml")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("DUIJIE_KEEP_TEST_DIRS").is_some() {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

// ---------------------------------------------------------------- random

/// A small seeded generator (splitmix64): the tests' random choices are
/// reproducible from their seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

// ---------------------------------------------------------------- sandbox

/// A sandbox served by a runtime of its own, so that the test thread can
/// block on child processes while the sandbox answers them.
pub struct TestSandbox {
    sandbox: Option<Sandbox>,
    pub control: Control,
    pub url: String,
    runtime: tokio::runtime::Runtime,
}

/// The data of a test sandbox: `orders` purchase orders and `stockins`
/// stock-ins, modified over the 20 days before two hours ago, so that every
/// document lies in the first run's window (from midnight 30 days ago to
/// now less the lag) and none is edited "now" unless a test touches it.
pub fn data(orders: u32, stockins: u32, seed: u64) -> DataConfig {
    DataConfig {
        seed,
        purchase_orders: orders,
        stockins,
        sales_outs: 0,
        spread_days: 20,
        anchor: Some(chrono::Utc::now().timestamp() - 2 * 3600),
        ..DataConfig::default()
    }
}

impl TestSandbox {
    /// A sandbox on a free loopback port serving `data`; `tweak` adjusts
    /// the rest of its settings (master data, faults…).
    pub fn start(data: DataConfig, tweak: impl FnOnce(&mut SandboxConfig)) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = SandboxConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data,
            ..SandboxConfig::default()
        };
        tweak(&mut config);
        let sandbox = runtime.block_on(Sandbox::start(config)).unwrap();
        TestSandbox {
            control: sandbox.control(),
            url: sandbox.base_url(),
            sandbox: Some(sandbox),
            runtime,
        }
    }

    /// Saves base data through 金蝶's own API (`Save` of `form`, submitted
    /// and audited), as a user adding a material or a supplier would; the
    /// answer, which must be a success.
    pub fn save_base_data(&self, form: &str, model: Value) -> Value {
        use duijie_runtime::secret::Secret;
        use duijie_runtime::vendors::kingdee::{Client, KingdeeAuth, KingdeeConfig, SERVICE_SAVE};
        let d = SandboxConfig::default().kingdee;
        let auth = KingdeeAuth::Signed {
            app_id: d.app_id,
            app_secret: Secret::new(d.app_secret),
        };
        let cfg = KingdeeConfig::new(
            format!("{}/k3cloud/", self.url),
            d.acct_id,
            d.user_name,
            auth,
        );
        let client = Client::new(cfg).unwrap();
        let body = serde_json::json!({
            "formid": form,
            "data": { "Model": model, "IsAutoSubmitAndAudit": true }
        })
        .to_string();
        let answer = self
            .runtime
            .block_on(client.call(SERVICE_SAVE, body))
            .unwrap();
        assert_eq!(
            answer["Result"]["ResponseStatus"]["IsSuccess"], true,
            "{answer:#}"
        );
        answer
    }

    /// Number of bills of `scheme`'s form in Kingdee (of records, for a
    /// base-data form).
    pub fn bills(&self, scheme: SchemeInfo) -> usize {
        if is_base_data(scheme.form) {
            return self.control.master_data_count(scheme.form);
        }
        self.control.bill_count(scheme.form)
    }

    /// Every bill of `scheme`'s form is there once, and the numbers are
    /// exactly `expected`. For a base-data form (whose numbers are unique,
    /// and which holds records duijie did not write): every number of
    /// `expected` is an audited record.
    pub fn assert_target_exact(&self, scheme: SchemeInfo, expected: &BTreeSet<String>) {
        if is_base_data(scheme.form) {
            let missing: Vec<&String> = expected
                .iter()
                .filter(|n| !self.control.master_data_contains(scheme.form, n))
                .collect();
            assert!(missing.is_empty(), "{}: missing {missing:?}", scheme.form);
            return;
        }
        let counts = self.control.bill_counts(scheme.form);
        for (number, n) in &counts {
            assert_eq!(*n, 1, "{number} is in {} {n} times", scheme.form);
        }
        let numbers: BTreeSet<String> = counts.keys().cloned().collect();
        let missing: Vec<_> = expected.difference(&numbers).collect();
        let extra: Vec<_> = numbers.difference(expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: {} bills missing {missing:?}, {} unexpected {extra:?}",
            scheme.form,
            missing.len(),
            extra.len()
        );
        assert_eq!(self.control.bill_count(scheme.form), expected.len());
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        if let Some(s) = self.sandbox.take() {
            self.runtime.block_on(s.shutdown());
        }
    }
}

/// A sandbox over `docs` whose Kingdee lacks one material of the stock-ins.
pub struct LacksMaterial {
    pub sandbox: TestSandbox,
    /// What the stock-in scheme makes of the documents.
    pub expected: Expected,
    /// The material Kingdee lacks.
    pub material: String,
    /// The stock-ins with a line of it: Kingdee rejects them.
    pub rejected: BTreeSet<String>,
}

/// Starts a sandbox over `docs` whose Kingdee lacks one material of the
/// stock-ins (found on a probe sandbox over the same documents).
pub fn sandbox_lacking_a_material(docs: &DataConfig) -> LacksMaterial {
    let probe = TestSandbox::start(docs.clone(), |_| {});
    let expected = expected(&probe.control, SI);
    drop(probe);
    let material = some_material(&expected);
    let rejected = stockins_with_material(&expected, &material);
    let missing = master_data_without_material(&material);
    let sandbox = TestSandbox::start(docs.clone(), |c| c.kingdee.master_data = missing);
    LacksMaterial {
        sandbox,
        expected,
        material,
        rejected,
    }
}

/// Whether Kingdee keeps `form` as base data rather than as bills.
pub fn is_base_data(form: &str) -> bool {
    form.starts_with("BD_")
}

/// Built-in master data without the material `spec_no`: stock-ins with a
/// line of it are rejected by Kingdee (the stock-in scheme verifies base
/// data).
pub fn master_data_without_material(spec_no: &str) -> MasterData {
    master_data_without_materials(&[spec_no])
}

/// Built-in master data without the materials `missing`.
pub fn master_data_without_materials(missing: &[&str]) -> MasterData {
    let builtin = MasterData::builtin();
    let mut materials = MasterData::empty();
    for n in builtin.numbers("BD_MATERIAL") {
        if !missing.contains(&n.as_str()) {
            materials.insert("BD_MATERIAL", &n);
        }
    }
    let mut m = builtin;
    m.override_with(materials);
    for spec_no in missing {
        assert!(!m.contains("BD_MATERIAL", spec_no));
    }
    m
}

/// The materials of a purchase receipt bill (`STK_InStock`).
pub fn receipt_materials(bill: &Value) -> BTreeSet<String> {
    bill["FInStockEntry"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["FMaterialId"]["FNumber"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The purchase receipts (bill numbers) with a line of one of `missing`.
pub fn receipts_with(e: &Expected, missing: &[&str]) -> BTreeSet<String> {
    e.bills
        .iter()
        .filter(|(_, b)| {
            receipt_materials(b)
                .iter()
                .any(|m| missing.contains(&m.as_str()))
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// Two materials each used by a few purchase receipts only.
pub fn two_receipt_materials(e: &Expected) -> (String, String) {
    let mut found: Vec<String> = Vec::new();
    for bill in e.bills.values() {
        for m in receipt_materials(bill) {
            let n = receipts_with(e, &[&m]).len();
            if n > 0 && n * 4 < e.bills.len() && !found.contains(&m) {
                found.push(m);
            }
        }
        if found.len() >= 2 {
            return (found[0].clone(), found[1].clone());
        }
    }
    panic!("no two materials used by a few receipts only");
}

// ---------------------------------------------------------------- binary

/// `duijie` with `dir` as its working directory, quiet logs, no colour.
pub fn duijie(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_duijie"));
    c.current_dir(dir)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// Runs `duijie args…` in `dir` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    duijie(dir).args(args).output().unwrap()
}

/// Standard output and error of `out`, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `duijie run args…` in `dir` and asserts every run finished: exit 0,
/// or 4 when records became dead letters.
pub fn run_done(dir: &Path, args: &[&str]) -> Output {
    let out = run(dir, args);
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "duijie {args:?}\n{}",
        text(&out)
    );
    out
}

/// Runs `duijie args…` in `dir` and asserts it exits 0.
pub fn run_ok(dir: &Path, args: &[&str]) -> Output {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "duijie {args:?}\n{}",
        text(&out)
    );
    out
}

/// The report of `duijie run SCHEME --format json` (which must exit 0).
pub fn run_json(dir: &Path, scheme: SchemeInfo) -> Value {
    let out = run_ok(dir, &["run", scheme.name, "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    if r.is_array() {
        r[0].clone()
    } else {
        r
    }
}

/// The standard output of `out`, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `duijie init --sandbox URL` in `dir`.
pub fn init(dir: &Path, url: &str) {
    let out = run_ok(dir, &["init", "--sandbox", url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("wrote duijie.toml"), "{stdout}");
    assert!(dir.join("duijie.toml").is_file());
}

/// [`init`], with the goods scheme disabled, for tests whose 金蝶 lacks a
/// material on purpose: `run --all` would otherwise save it first (the
/// goods scheme runs before the bills).
pub fn init_without_goods(dir: &Path, url: &str) {
    init(dir, url);
    set_key(dir, &format!("schemes.{}", GM.name), "enabled", "false");
}

/// `duijie run --all` until every run finished (exit 0, or 4: finished with
/// dead letters), at most `n` times; the exit codes.
pub fn run_until_done(dir: &Path, n: usize) -> Vec<i32> {
    let mut codes = Vec::new();
    for _ in 0..n {
        let out = run(dir, &["run", "--all"]);
        let code = out.status.code().unwrap_or(-1);
        codes.push(code);
        match code {
            0 | 4 => return codes,
            3 => continue,
            _ => panic!("duijie run --all\n{}", text(&out)),
        }
    }
    panic!("no complete run in {n}: exit codes {codes:?}");
}

// ---------------------------------------------------------------- duijie.toml

/// Sets `key = value` (`value` is TOML text) in table `[table]` of
/// `dir/duijie.toml`: replaces the key's line if the table has one,
/// otherwise adds it under the header.
pub fn set_key(dir: &Path, table: &str, key: &str, value: &str) {
    let path = dir.join("duijie.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let header = format!("[{table}]");
    let mut out = Vec::new();
    let mut in_table = false;
    let mut header_at = None;
    let mut replaced = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_table = trimmed.trim_end() == header;
            if in_table {
                header_at = Some(out.len());
            }
        } else if in_table && !replaced {
            let name = trimmed.split('=').next().unwrap_or("").trim();
            if name == key && !trimmed.starts_with('#') {
                out.push(format!("{key} = {value}"));
                replaced = true;
                continue;
            }
        }
        out.push(line.to_string());
    }
    let at = header_at.unwrap_or_else(|| panic!("no [{table}] in {}", path.display()));
    if !replaced {
        out.insert(at + 1, format!("{key} = {value}"));
    }
    let mut new = out.join("\n");
    new.push('\n');
    std::fs::write(&path, new).unwrap();
}

/// Sets `key = value` in both seed schemes' tables.
pub fn set_scheme_key(dir: &Path, key: &str, value: &str) {
    for s in [PO, SI] {
        set_key(dir, &format!("schemes.{}", s.name), key, value);
    }
}

// ---------------------------------------------------------------- status

/// `duijie status --format json` of the installation in `dir`.
pub fn status(dir: &Path) -> Value {
    let out = run_ok(dir, &["status", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `duijie status --format json --runs N`: the last `runs` runs per scheme.
pub fn status_runs(dir: &Path, runs: usize) -> Value {
    let n = runs.to_string();
    let out = run_ok(dir, &["status", "--format", "json", "--runs", &n]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The overview of `scheme` in a status document.
pub fn overview(status: &Value, scheme: SchemeInfo) -> &Value {
    let schemes = status["schemes"].as_array().unwrap();
    let s = schemes
        .iter()
        .find(|s| s["scheme"] == scheme.name)
        .unwrap_or_else(|| panic!("no {} in the status: {status:#}", scheme.name));
    &s["overview"]
}

/// An integer field of a JSON value.
pub fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// The open dead letters of `scheme` (`duijie retry SCHEME --format json`).
pub fn dead_letters(dir: &Path, scheme: SchemeInfo) -> Vec<Value> {
    let out = run_ok(dir, &["retry", scheme.name, "--format", "json"]);
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The record ids of dead letters.
pub fn dead_letter_ids(letters: &[Value]) -> BTreeSet<String> {
    letters
        .iter()
        .map(|d| d["record_id"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------- expectations

/// What the sandbox's documents of one scheme should become.
#[derive(Debug, Default)]
pub struct Expected {
    /// Bill numbers the mapping produces, with their bills.
    pub bills: BTreeMap<String, Value>,
    /// Numbers of documents a `skip if` filter leaves out.
    pub skipped: BTreeSet<String>,
    /// Numbers of documents the mapping fails on.
    pub failed: BTreeSet<String>,
}

impl Expected {
    pub fn documents(&self) -> usize {
        self.bills.len() + self.skipped.len() + self.failed.len()
    }

    pub fn written(&self) -> BTreeSet<String> {
        self.bills.keys().cloned().collect()
    }
}

impl SchemeInfo {
    /// The documents the scheme's source query returns: all of a seed API's;
    /// of the library's, those the scheme asks for (the purchase stock-in
    /// scheme asks for status 80) or the API returns by default (the return
    /// query: status 80; the purchase return query: 95 and 110).
    pub fn documents(&self, control: &Control) -> Vec<Value> {
        match self.docs {
            Docs::Seed(kind) => {
                let n = u64::from(control.document_count(kind));
                (1..=n)
                    .map(|id| control.document(kind, id).unwrap())
                    .collect()
            }
            Docs::Library(kind) => {
                let mut docs = control.library_documents(kind);
                if matches!(kind, LibraryKind::PurchaseIn | LibraryKind::Refund) {
                    docs.retain(|d| d["status"] == "80" || d["status"] == 80);
                }
                if matches!(kind, LibraryKind::PurchaseReturn) {
                    docs.retain(|d| d["status"] == "95" || d["status"] == "110");
                }
                docs
            }
            Docs::Goods => goods_records(control),
        }
    }
}

/// The records the goods scheme reads: one per spec of each goods record the
/// sandbox's `goods_query` serves, the goods' fields beside the spec's (the
/// spec's win), as duijie reads the list key `goods_list/spec_list`.
pub fn goods_records(control: &Control) -> Vec<Value> {
    let mut out = Vec::new();
    for goods in control.goods_archive() {
        let outer = goods.as_object().unwrap();
        for spec in goods["spec_list"].as_array().unwrap() {
            let mut merged = spec.as_object().unwrap().clone();
            for (k, v) in outer {
                if k != "spec_list" && !merged.contains_key(k) {
                    merged.insert(k.clone(), v.clone());
                }
            }
            out.push(Value::Object(merged));
        }
    }
    out
}

/// The sandbox's built-in master data as a master-data file for `duijie
/// map --master-data` (every number a row; the schemes' lookups of the
/// library read only the key field).
pub fn builtin_master_data_file() -> PathBuf {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let builtin = MasterData::builtin();
        let mut forms = serde_json::Map::new();
        for form in ["BD_MATERIAL", "BD_Supplier", "BD_Customer", "BD_STOCK"] {
            let rows: serde_json::Map<String, Value> = builtin
                .numbers(form)
                .into_iter()
                .map(|n| (n, Value::Object(serde_json::Map::new())))
                .collect();
            forms.insert(
                form.to_string(),
                serde_json::json!({ "FNumber": Value::Object(rows) }),
            );
        }
        let path = std::env::temp_dir().join(format!(
            "duijie-test-master-data-{}.json",
            std::process::id()
        ));
        std::fs::write(&path, Value::Object(forms).to_string()).unwrap();
        path
    })
    .clone()
}

/// Maps every document of `scheme` the sandbox serves it with `duijie map`
/// (the compiled scheme, its lookups finding the sandbox's built-in master
/// data) and sorts them into bills, skipped and failed.
pub fn expected(control: &Control, scheme: SchemeInfo) -> Expected {
    let docs = scheme.documents(control);
    let mut input = String::new();
    for d in &docs {
        input.push_str(&serde_json::to_string(d).unwrap());
        input.push('\n');
    }
    let master_data = builtin_master_data_file();
    let mut child = duijie(&std::env::temp_dir())
        .args(["map", scheme.name, "--master-data"])
        .arg(&master_data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "duijie map {}: {stderr}",
        scheme.name
    );
    let mut e = Expected::default();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("line ") {
            let no: usize = rest.split(':').next().unwrap().parse().unwrap();
            let number = docs[no - 1][scheme.number_key].as_str().unwrap();
            e.failed.insert(number.to_string());
        }
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let bill: Value = serde_json::from_str(line).unwrap();
        // Bills are numbered by FBillNo, base data by FNumber.
        let number = bill["FBillNo"]
            .as_str()
            .or_else(|| bill["FNumber"].as_str())
            .unwrap()
            .to_string();
        e.bills.insert(number, bill);
    }
    for d in &docs {
        let number = d[scheme.number_key].as_str().unwrap();
        if !e.bills.contains_key(number) && !e.failed.contains(number) {
            e.skipped.insert(number.to_string());
        }
    }
    assert_eq!(e.documents(), docs.len(), "{stderr}");
    e
}

/// The numbers of the stock-in bills with a line of material `spec_no`.
pub fn stockins_with_material(e: &Expected, spec_no: &str) -> BTreeSet<String> {
    e.bills
        .iter()
        .filter(|(_, bill)| {
            bill["FEntity"].as_array().is_some_and(|lines| {
                lines
                    .iter()
                    .any(|l| l["FMATERIALID"]["FNumber"].as_str() == Some(spec_no))
            })
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// The numbers of the sales stock-out bills with a line of material `spec_no`.
pub fn sales_with_material(e: &Expected, spec_no: &str) -> BTreeSet<String> {
    e.bills
        .iter()
        .filter(|(_, bill)| {
            bill["FEntity"].as_array().is_some_and(|lines| {
                lines
                    .iter()
                    .any(|l| l["FMaterialID"]["FNumber"].as_str() == Some(spec_no))
            })
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// The material of the first line of the first stock-in bill that has one
/// and that not every bill uses (so that removing it rejects some bills).
pub fn some_material(e: &Expected) -> String {
    for bill in e.bills.values() {
        if let Some(m) = bill["FEntity"][0]["FMATERIALID"]["FNumber"].as_str() {
            let n = stockins_with_material(e, m).len();
            if n > 0 && n < e.bills.len() / 2 {
                return m.to_string();
            }
        }
    }
    panic!("no material used by some stock-ins only");
}

/// Checks the final state of an installation against `e` for `scheme`:
/// the target holds exactly the bills that map and Kingdee accepts, the
/// dead letters are exactly the rejected ones (`rejected`) and the mapping
/// failures, the status's record counts add up to the documents, and
/// nothing is left queued.
pub fn assert_final(
    dir: &Path,
    sandbox: &TestSandbox,
    scheme: SchemeInfo,
    e: &Expected,
    rejected: &BTreeSet<String>,
) {
    let written: BTreeSet<String> = e.written().difference(rejected).cloned().collect();
    sandbox.assert_target_exact(scheme, &written);
    let letters = dead_letters(dir, scheme);
    let ids = dead_letter_ids(&letters);
    let expected_dead: BTreeSet<String> = e.failed.union(rejected).cloned().collect();
    assert_eq!(ids, expected_dead, "dead letters of {}", scheme.name);
    assert_eq!(ids.len(), letters.len(), "one dead letter per record");
    for d in &letters {
        let reason = d["reason"].as_str().unwrap();
        assert!(
            !reason.contains("唯一性"),
            "a bill of ours taken for someone else's: {d:#}"
        );
    }
    let st = status(dir);
    let o = overview(&st, scheme);
    let r = &o["records"];
    assert_eq!(int(&r["written"]) as usize, written.len(), "{o:#}");
    assert_eq!(int(&r["skipped"]) as usize, e.skipped.len(), "{o:#}");
    assert_eq!(int(&r["failed"]) as usize, expected_dead.len(), "{o:#}");
    assert_eq!(int(&r["queued"]), 0, "{o:#}");
    assert_eq!(
        int(&o["dead_letters"]) as usize,
        expected_dead.len(),
        "{o:#}"
    );
    assert_eq!(
        int(&r["written"]) + int(&r["failed"]) + int(&r["skipped"]),
        e.documents() as i64,
        "every document is written, dead-lettered or skipped"
    );
    let q = &o["queue"];
    assert_eq!((int(&q["pending"]), int(&q["inflight"])), (0, 0), "{o:#}");
    assert!(o["watermark"].is_string(), "{o:#}");
}
