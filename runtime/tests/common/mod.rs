//! Test helpers of the engine tests: a small hand-written mapper for the
//! purchase-order and stock-in APIs, a fake source and a fake target.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use duijie_maplib::{MapError, Mapped, Mapper, SchemeMeta};
use duijie_runtime::engine::{BillResult, BoxFuture, Source, SourcePage, StepResult, Target};
use duijie_runtime::error::{Error, ErrorKind, Vendor};
use duijie_runtime::state::Step;
use serde_json::value::RawValue;
use serde_json::Value;

pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

pub fn utc8() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Which test scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 旺店通 purchase_order_query → PUR_PurchaseOrder.
    Purchase,
    /// Qimen wdt.stockin.order.query → STK_MISCELLANEOUS.
    Stockin,
}

/// A mapper written by hand: header number, supplier, and lines with exact
/// decimal quantities. A record whose `status` is `10` (cancelled) is
/// skipped; a line quantity that is not a decimal fails the record.
pub struct TestMapper {
    meta: SchemeMeta,
    kind: Kind,
    /// When set, a malformed quantity maps to 0 instead of failing (a "fixed"
    /// mapping for retry tests).
    pub lenient: AtomicBool,
    /// Adds this text to every bill (changes content hashes).
    pub version: Mutex<String>,
}

impl TestMapper {
    pub fn new(kind: Kind) -> Self {
        // The shared fixture is the purchase-order scheme.
        let mut meta: SchemeMeta =
            serde_json::from_str(include_str!("../../../testdata/scheme_meta.json")).unwrap();
        if kind == Kind::Stockin {
            meta.name = "test_stockin".into();
            meta.source.system = "wdtqm".into();
            meta.source.api = "wdt.stockin.order.query".into();
            meta.source.list_key = "stockin_list".into();
            meta.target.form_id = "STK_MISCELLANEOUS".into();
            meta.id_field = "stockin_no".into();
            meta.number_field = "stockin_no".into();
        }
        TestMapper {
            meta,
            kind,
            lenient: AtomicBool::new(false),
            version: Mutex::new(String::new()),
        }
    }

    fn fail(&self, id: Option<String>, target: &str, source: &str, reason: &str) -> MapError {
        MapError {
            scheme: self.meta.name.clone(),
            record_id: id,
            target: target.into(),
            source: source.into(),
            reason: reason.into(),
            waiting: None,
        }
    }
}

fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let mut parts = s.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
}

impl Mapper for TestMapper {
    fn meta(&self) -> &SchemeMeta {
        &self.meta
    }

    fn map_record_with<'r>(
        &self,
        record: &'r str,
        out: &mut Vec<u8>,
        _: &dyn duijie_maplib::Lookups,
    ) -> Result<Mapped<'r>, MapError> {
        let v: Value = serde_json::from_str(record)
            .map_err(|e| self.fail(None, "", "", &format!("not JSON: {e}")))?;
        let id_key = self.meta.id_field.as_str();
        let id = v
            .get(id_key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let Some(number) = id.clone() else {
            return Err(self.fail(None, "FBillNo", id_key, "missing"));
        };
        if v.get("status").and_then(Value::as_str) == Some("10") {
            return Ok(Mapped::Skipped {
                id: id.map(Cow::Owned),
                reason: "status = \"10\"".into(),
            });
        }
        let mut lines = Vec::new();
        if let Some(details) = v.get("details_list").and_then(Value::as_array) {
            for (i, d) in details.iter().enumerate() {
                let num = d.get("num").and_then(Value::as_str).unwrap_or("");
                let qty = if is_decimal(num) {
                    num.to_string()
                } else if self.lenient.load(Ordering::SeqCst) {
                    "0".to_string()
                } else {
                    return Err(self.fail(
                        Some(number),
                        &format!("FEntity[{i}].FQty"),
                        &format!("details_list[{i}].num"),
                        &format!("`{num}` is not a decimal"),
                    ));
                };
                let spec = d.get("spec_no").and_then(Value::as_str).unwrap_or("");
                lines.push(format!(
                    r#"{{"FMaterialId":{{"FNumber":{}}},"FQty":{qty}}}"#,
                    Value::String(spec.into())
                ));
            }
        }
        let supplier = v
            .get("provider_no")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let version = self.version.lock().unwrap().clone();
        let entry = match self.kind {
            Kind::Purchase => "FPOOrderEntry",
            Kind::Stockin => "FEntity",
        };
        let bill = format!(
            r#"{{"FBillNo":{},"FSupplierId":{{"FNumber":{}}},"FNote":{},"{entry}":[{}]}}"#,
            Value::String(number.clone()),
            Value::String(supplier),
            Value::String(version),
            lines.join(",")
        );
        out.extend_from_slice(bill.as_bytes());
        Ok(Mapped::Bill {
            id: id.map(Cow::Owned),
            number: Some(Cow::Owned(number)),
        })
    }
}

// ---------------------------------------------------------------------------
// Fake source.

/// One source record: its id, modified time and JSON.
#[derive(Clone, Debug)]
pub struct FakeRecord {
    pub id: String,
    pub modified: DateTime<Utc>,
    pub status: String,
    pub num: String,
}

impl FakeRecord {
    pub fn json(&self, id_key: &str) -> String {
        serde_json::json!({
            id_key: self.id,
            "modified": self.modified.with_timezone(&utc8()).format(FORMAT).to_string(),
            "status": self.status,
            "provider_no": "P001",
            "details_list": [{"spec_no": "SKU1", "num": self.num}],
        })
        .to_string()
    }
}

/// A hook run before each query: the call number (from 1) and the page
/// number; may change the records or return an error.
pub type SourceHook = Box<dyn FnMut(u64, u32, &mut Vec<FakeRecord>) -> Option<Error> + Send>;

/// A 旺店通-like source: records filtered by modified time (both ends
/// inclusive, UTC+8 text), sorted by modified time then id, paged from 0.
pub struct FakeSource {
    pub records: Mutex<Vec<FakeRecord>>,
    pub id_key: String,
    pub calls: AtomicU64,
    pub hook: Mutex<Option<SourceHook>>,
    /// Largest window accepted, days.
    pub max_days: i64,
}

impl FakeSource {
    pub fn new(id_key: &str, records: Vec<FakeRecord>) -> Arc<Self> {
        Arc::new(FakeSource {
            records: Mutex::new(records),
            id_key: id_key.into(),
            calls: AtomicU64::new(0),
            hook: Mutex::new(None),
            max_days: 30,
        })
    }

    pub fn set_hook(&self, hook: SourceHook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    pub fn modify(&self, id: &str, at: DateTime<Utc>, num: Option<&str>) {
        let mut recs = self.records.lock().unwrap();
        let r = recs.iter_mut().find(|r| r.id == id).unwrap();
        r.modified = at;
        if let Some(n) = num {
            r.num = n.into();
        }
    }
}

fn parse_local(s: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, FORMAT).unwrap();
    utc8()
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

impl Source for FakeSource {
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(p, _)| p == k)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            let page_no: u32 = get("page_no").parse().unwrap();
            let page_size: usize = get("page_size").parse().unwrap();
            let mut recs = self.records.lock().unwrap();
            if let Some(hook) = self.hook.lock().unwrap().as_mut() {
                if let Some(e) = hook(n, page_no, &mut recs) {
                    return Err(e);
                }
            }
            let start = parse_local(&get("start_time"));
            let end = parse_local(&get("end_time"));
            assert!(
                end - start <= chrono::Duration::days(self.max_days),
                "window longer than 30 days"
            );
            let mut matching: Vec<&FakeRecord> = recs
                .iter()
                .filter(|r| r.modified >= start && r.modified <= end)
                .collect();
            matching.sort_by(|a, b| (a.modified, &a.id).cmp(&(b.modified, &b.id)));
            let total = matching.len() as u64;
            let records = matching
                .iter()
                .skip(page_no as usize * page_size)
                .take(page_size)
                .map(|r| RawValue::from_string(r.json(&self.id_key)).unwrap())
                .collect();
            Ok(SourcePage {
                total_count: Some(total),
                records,
                listed: None,
            })
        })
    }
}

// ---------------------------------------------------------------------------
// Fake target.

/// What a fake save call does.
#[derive(Clone, Debug)]
pub enum SaveFault {
    /// Carries the bills out, then the answer is lost (timeout).
    LostAnswer,
    /// Nothing happens; HTTP 500 (outcome unknown).
    Http500,
    /// Nothing happens; the connection could not be made.
    NoConnection,
    /// Rate limit answer.
    RateLimited,
    /// Session lost even after re-login.
    SessionLost,
    /// Bad credentials.
    Auth,
}

pub type TargetHook = Box<dyn FnMut(u64) -> Option<SaveFault> + Send>;

/// A 金蝶-like target: bills by number, ids from 100001.
#[derive(Default)]
pub struct FakeTarget {
    pub bills: Mutex<BTreeMap<String, (String, String)>>,
    /// How many times each number was saved (created or updated).
    pub saves: Mutex<HashMap<String, u32>>,
    pub next_id: AtomicU64,
    pub save_calls: AtomicU64,
    pub find_calls: AtomicU64,
    pub hook: Mutex<Option<TargetHook>>,
    /// Fails `check` with an auth error.
    pub bad_credentials: AtomicBool,
    /// Rejects bills whose supplier is this.
    pub reject_supplier: Mutex<Option<String>>,
    /// Hangs (never answers) on this save call number, after carrying it out.
    pub hang_on_call: AtomicU64,
    /// Rejects the bills with these numbers.
    pub reject_numbers: Mutex<std::collections::BTreeSet<String>>,
    /// An older server: a batch of several bills with a rejected one saves
    /// none of them and answers an error that names no bill.
    pub all_or_nothing: AtomicBool,
    /// The Submit and Audit calls made: the step and the ids.
    pub steps: Mutex<Vec<(Step, Vec<String>)>>,
    /// Audits fail (target unavailable) while this is set.
    pub audits_down: AtomicBool,
    /// Ids audited.
    pub audited: Mutex<std::collections::BTreeSet<String>>,
}

impl FakeTarget {
    pub fn new() -> Arc<Self> {
        let t = FakeTarget::default();
        t.next_id.store(100_001, Ordering::SeqCst);
        Arc::new(t)
    }

    pub fn set_hook(&self, hook: TargetHook) {
        *self.hook.lock().unwrap() = Some(hook);
    }

    pub fn numbers(&self) -> Vec<String> {
        self.bills.lock().unwrap().keys().cloned().collect()
    }

    /// Panics unless every number was created exactly once.
    pub fn assert_each_once(&self) {
        let saves = self.saves.lock().unwrap();
        for (n, c) in saves.iter() {
            assert_eq!(*c, 1, "bill {n} saved {c} times");
        }
    }

    fn apply(&self, bills: &[&str]) -> Vec<BillResult> {
        let rejected = |b: &&str| {
            let v: Value = serde_json::from_str(b).unwrap();
            let number = v["FBillNo"].as_str().unwrap_or_default().to_string();
            self.reject_numbers.lock().unwrap().contains(&number)
        };
        if bills.len() > 1
            && self.all_or_nothing.load(Ordering::SeqCst)
            && bills.iter().any(rejected)
        {
            return bills
                .iter()
                .map(|_| BillResult::Unattributed {
                    message: "物料不存在".into(),
                })
                .collect();
        }
        let mut stored = self.bills.lock().unwrap();
        let mut saves = self.saves.lock().unwrap();
        bills
            .iter()
            .map(|b| {
                let v: Value = serde_json::from_str(b).unwrap();
                let number = v["FBillNo"].as_str().unwrap().to_string();
                if self.reject_numbers.lock().unwrap().contains(&number) {
                    return BillResult::Rejected {
                        message: "物料不存在".into(),
                    };
                }
                if let Some(bad) = self.reject_supplier.lock().unwrap().as_deref() {
                    if v["FSupplierId"]["FNumber"].as_str() == Some(bad) {
                        return BillResult::Rejected {
                            message: format!("供应商 {bad} 不存在"),
                        };
                    }
                }
                if let Some(fid) = v.get("FID") {
                    let fid = fid.to_string();
                    let Some(entry) = stored.get_mut(&number) else {
                        return BillResult::Rejected {
                            message: "FID not found".into(),
                        };
                    };
                    assert_eq!(entry.0, fid, "update of {number} with the wrong FID");
                    entry.1 = b.to_string();
                    *saves.entry(format!("{number}#update")).or_default() += 1;
                    return BillResult::Saved { id: fid };
                }
                if stored.contains_key(&number) {
                    return BillResult::Duplicate {
                        message: format!(
                            "违反字段唯一性要求：编码唯一。[{number}]在当前系统中已经被使用。"
                        ),
                    };
                }
                let id = self.next_id.fetch_add(1, Ordering::SeqCst).to_string();
                stored.insert(number.clone(), (id.clone(), b.to_string()));
                *saves.entry(number).or_default() += 1;
                BillResult::Saved { id }
            })
            .collect()
    }
}

fn kd_err(kind: ErrorKind, msg: &str) -> Error {
    Error::new(Vendor::Kingdee, "DynamicFormService.BatchSave", kind, msg)
}

impl Target for FakeTarget {
    fn save<'a>(
        &'a self,
        _form_id: &'a str,
        bills: &'a [&'a str],
        _options: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<Vec<BillResult>, Error>> {
        Box::pin(async move {
            let n = self.save_calls.fetch_add(1, Ordering::SeqCst) + 1;
            let fault = self.hook.lock().unwrap().as_mut().and_then(|h| h(n));
            if self.hang_on_call.load(Ordering::SeqCst) == n {
                self.apply(bills);
                std::future::pending::<()>().await;
            }
            match fault {
                None => Ok(self.apply(bills)),
                Some(SaveFault::LostAnswer) => {
                    self.apply(bills);
                    Err(kd_err(ErrorKind::Transient, "request timed out")
                        .with_outcome_unknown(true))
                }
                Some(SaveFault::Http500) => {
                    Err(kd_err(ErrorKind::Transient, "HTTP 500").with_outcome_unknown(true))
                }
                Some(SaveFault::NoConnection) => {
                    Err(kd_err(ErrorKind::Transient, "could not connect"))
                }
                Some(SaveFault::RateLimited) => {
                    Err(kd_err(ErrorKind::RateLimited, "调用次数超过限制").with_code("14"))
                }
                Some(SaveFault::SessionLost) => {
                    Err(kd_err(ErrorKind::SessionLost, "会话信息已丢失，请重新登录").with_code("1"))
                }
                Some(SaveFault::Auth) => Err(kd_err(ErrorKind::Auth, "用户名或密码错误")),
            }
        })
    }

    fn find<'a>(
        &'a self,
        _form_id: &'a str,
        _number_field: &'a str,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, Error>> {
        Box::pin(async move {
            self.find_calls.fetch_add(1, Ordering::SeqCst);
            let stored = self.bills.lock().unwrap();
            Ok(numbers
                .iter()
                .filter_map(|n| stored.get(n).map(|(id, _)| (n.clone(), id.clone())))
                .collect())
        })
    }

    fn step<'a>(
        &'a self,
        _form_id: &'a str,
        step: Step,
        ids: &'a [String],
        _options: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<Vec<StepResult>, Error>> {
        Box::pin(async move {
            self.steps.lock().unwrap().push((step, ids.to_vec()));
            if step == Step::Audit && self.audits_down.load(Ordering::SeqCst) {
                return Err(kd_err(ErrorKind::Transient, "HTTP 503"));
            }
            if step == Step::Audit {
                self.audited.lock().unwrap().extend(ids.iter().cloned());
            }
            Ok(ids.iter().map(|_| StepResult::Done).collect())
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            if self.bad_credentials.load(Ordering::SeqCst) {
                Err(Error::new(
                    Vendor::Kingdee,
                    "AuthService.LoginBySign",
                    ErrorKind::Auth,
                    "签名验证失败",
                ))
            } else {
                Ok(())
            }
        })
    }
}

/// A clock that runs with real time from a settable point.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<(DateTime<Utc>, std::time::Instant)>>);

impl TestClock {
    pub fn new(t: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Mutex::new((t, std::time::Instant::now()))))
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = (t, std::time::Instant::now());
    }
    pub fn get(&self) -> DateTime<Utc> {
        let (base, at) = *self.0.lock().unwrap();
        base + chrono::Duration::from_std(at.elapsed()).unwrap()
    }
    pub fn now(&self) -> duijie_runtime::engine::Now {
        let c = self.clone();
        Arc::new(move || c.get())
    }
}

// ---------------------------------------------------------------------------
// A mapper the Kingdee sandbox accepts.

/// Maps the sandbox's generated documents to bills its Kingdee accepts:
/// purchase orders (旺店通 openapi2) → PUR_PurchaseOrder, stock-ins (Qimen)
/// → STK_MISCELLANEOUS. Cancelled documents (status 10) are skipped; a
/// purchase order never audited has no `check_time`, so it has no date and
/// fails (a dead letter), as a real mapping `FDate = date(check_time)` does.
pub struct SeedMapper {
    meta: SchemeMeta,
    kind: Kind,
}

impl SeedMapper {
    pub fn new(kind: Kind) -> Self {
        let mut meta = TestMapper::new(kind).meta().clone();
        meta.name = match kind {
            Kind::Purchase => "sb_purchase".into(),
            Kind::Stockin => "sb_stockin".into(),
        };
        meta.target.options = vec![("IsVerifyBaseDataField".into(), Value::Bool(true))];
        SeedMapper { meta, kind }
    }

    fn fail(&self, id: &str, target: &str, source: &str, reason: &str) -> MapError {
        MapError {
            scheme: self.meta.name.clone(),
            record_id: Some(id.to_string()).filter(|s| !s.is_empty()),
            target: target.into(),
            source: source.into(),
            reason: reason.into(),
            waiting: None,
        }
    }

    /// What this mapper does with a document as the sandbox serves it.
    pub fn expect(&self, doc: &Value) -> Expect {
        if doc["status"].as_str() == Some("10") {
            return Expect::Skipped;
        }
        if self.kind == Kind::Purchase
            && doc["check_time"]
                .as_str()
                .is_none_or(|t| t.starts_with("0000"))
        {
            return Expect::Failed;
        }
        Expect::Written
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Written,
    Skipped,
    Failed,
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

impl Mapper for SeedMapper {
    fn meta(&self) -> &SchemeMeta {
        &self.meta
    }

    fn map_record_with<'r>(
        &self,
        record: &'r str,
        out: &mut Vec<u8>,
        _: &dyn duijie_maplib::Lookups,
    ) -> Result<Mapped<'r>, MapError> {
        let v: Value = serde_json::from_str(record)
            .map_err(|e| self.fail("", "", "", &format!("not JSON: {e}")))?;
        let id = text(&v, &self.meta.id_field).to_string();
        let record_id = Some(id.clone()).filter(|s| !s.is_empty());
        if text(&v, "status") == "10" {
            return Ok(Mapped::Skipped {
                id: record_id.map(Cow::Owned),
                reason: "status == \"10\"".into(),
            });
        }
        let mut lines = Vec::new();
        for (i, d) in v["details_list"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let num = text(d, "num");
            if !is_decimal(num) {
                return Err(self.fail(
                    &id,
                    &format!("FEntity[{i}].FQty"),
                    &format!("details_list[{i}].num"),
                    "not a decimal",
                ));
            }
            let spec = Value::String(text(d, "spec_no").into());
            lines.push(match self.kind {
                Kind::Purchase => format!(r#"{{"FMaterialId":{{"FNumber":{spec}}},"FQty":{num}}}"#),
                Kind::Stockin => format!(
                    r#"{{"FMATERIALID":{{"FNumber":{spec}}},"FSTOCKID":{{"FNumber":{}}},"FQty":{num}}}"#,
                    Value::String(text(&v, "warehouse_no").into())
                ),
            });
        }
        let bill = match self.kind {
            Kind::Purchase => {
                let check = text(&v, "check_time");
                if check.len() < 10 || check.starts_with("0000") {
                    return Err(self.fail(
                        &id,
                        "FDate",
                        "check_time",
                        &format!("`{check}` is not a date"),
                    ));
                }
                format!(
                    r#"{{"FBillNo":{},"FDate":"{}","FBillTypeID":{{"FNUMBER":"CGDD01_SYS"}},"FSupplierId":{{"FNumber":{}}},"FPurchaseOrgId":{{"FNumber":"100"}},"FPOOrderEntry":[{}]}}"#,
                    Value::String(id.clone()),
                    &check[..10],
                    Value::String(text(&v, "provider_no").into()),
                    lines.join(",")
                )
            }
            Kind::Stockin => {
                let created = text(&v, "created_time");
                format!(
                    r#"{{"FBillNo":{},"FDate":"{}","FBillTypeID":{{"FNUMBER":"QTRKD01_SYS"}},"FStockOrgId":{{"FNumber":"100"}},"FEntity":[{}]}}"#,
                    Value::String(id.clone()),
                    created.get(..10).unwrap_or(""),
                    lines.join(",")
                )
            }
        };
        out.extend_from_slice(bill.as_bytes());
        Ok(Mapped::Bill {
            number: record_id.clone().map(Cow::Owned),
            id: record_id.map(Cow::Owned),
        })
    }
}
