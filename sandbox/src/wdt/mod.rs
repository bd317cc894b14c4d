//! 旺店通: the generated documents and the two doors to them, openapi2
//! ([`openapi2`]) and the Qimen gateway ([`qimen`]).
//!
//! Both doors run the same query ([`DataSet::query`]) after their own
//! authentication, and share the business checks of [`DocQuery::from_params`]:
//!
//! | code | message | when |
//! |---|---|---|
//! | 100 | 超过每分钟最大调用频率限制，请稍后重试 | more calls this minute than `rate_limit_per_min` for the `sid` |
//! | 1000 | 缺少参数：{name} | a required parameter is missing |
//! | 1001 | 参数错误：… | a parameter is malformed or out of range (page_size outside 1–100, time format, window over 30 days, end before start) |
//! | 1010 | appkey不存在或已停用 | openapi2 `appkey` unknown |
//! | 1011 | 卖家账号不存在 | `sid` unknown |
//! | 1020 | 签名错误 | openapi2 `sign` does not match |
//! | 1021 | 请求已过期，请检查服务器时间 | `timestamp` more than `max_skew_secs` away from the clock |
//! | 1030 | 接口不存在：{api} | unknown openapi2 API |
//!
//! 旺店通 does not publish its codes for the errors other than 100
//! [uncertain in protocols.md]: these are the sandbox's, with realistic
//! messages; clients must treat any non-zero code as an error carrying the
//! message.

pub(crate) mod catalog;
pub(crate) mod generator;
pub(crate) mod goods;
pub(crate) mod index;
pub(crate) mod library;
pub(crate) mod openapi2;
pub(crate) mod purchase;
pub(crate) mod purchase_in;
pub(crate) mod purchase_return;
pub(crate) mod qimen;
pub(crate) mod records;
pub(crate) mod refund;
pub(crate) mod sales;
pub(crate) mod shops;
pub(crate) mod stockin;

use std::collections::HashMap;
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;

use crate::clock::parse_cst;
use crate::config::DataConfig;
use crate::rng::Rng;
use generator::Generator;
use index::DocIndex;
pub use library::LibraryKind;
pub use records::DocKind;

/// Longest `start_time`..`end_time` span.
pub(crate) const MAX_WINDOW_SECS: i64 = 30 * 86_400;

pub(crate) const RATE_LIMIT_CODE: i64 = 100;
pub(crate) const RATE_LIMIT_MESSAGE: &str = "超过每分钟最大调用频率限制，请稍后重试";

/// A business error: `{"code":…,"message":…}` (Qimen: `errorcode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BizError {
    pub code: i64,
    pub message: String,
}

impl BizError {
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        BizError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn missing(name: &str) -> Self {
        BizError::new(1000, format!("缺少参数：{name}"))
    }

    pub(crate) fn invalid(detail: impl std::fmt::Display) -> Self {
        BizError::new(1001, format!("参数错误：{detail}"))
    }

    pub(crate) fn rate_limited() -> Self {
        BizError::new(RATE_LIMIT_CODE, RATE_LIMIT_MESSAGE)
    }

    /// The rate-limit answer of `app`: code 100, or (quirk
    /// `rate-limit-words`) the concurrency and the per-minute wordings, by
    /// turns, with other codes.
    pub(crate) fn rate_limited_by(app: &crate::app::App) -> Self {
        if !app.wdt_quirks().rate_limit_words {
            return BizError::rate_limited();
        }
        match app.turn() % 2 {
            0 => BizError::new(5, "并发请求数超过限制，请稍后重试"),
            _ => BizError::new(6, "每分钟调用次数超过上限，请降低调用频率"),
        }
    }
}

/// The records of a page as the answer writes them: as generated, or (quirk
/// `loose-types`) every other record with its number-like strings as JSON
/// numbers of the same text and its unset times as `null`.
pub(crate) fn records_text(app: &crate::app::App, records: String) -> String {
    if !app.wdt_quirks().loose_types {
        return records;
    }
    fn loosen(v: serde_json::Value, empty_time: &str) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) if s == empty_time => Value::Null,
            Value::String(s) if is_json_number(&s) => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            Value::Array(a) => Value::Array(a.into_iter().map(|x| loosen(x, empty_time)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, x)| (k, loosen(x, empty_time)))
                    .collect(),
            ),
            other => other,
        }
    }
    let Ok(serde_json::Value::Array(list)) = serde_json::from_str::<serde_json::Value>(&records)
    else {
        return records;
    };
    let empty_time = app.config.data.empty_time.clone();
    let list: Vec<serde_json::Value> = list
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            if i % 2 == 1 {
                loosen(r, &empty_time)
            } else {
                r
            }
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Whether `s` is a JSON number as written (`10.0000`, `-3`, `0.5`; not
/// `0003` or `1,000`).
fn is_json_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
#[test]
fn json_numbers_as_written() {
    for s in ["10.0000", "-3", "0", "0.5", "946.9436"] {
        assert!(is_json_number(s), "{s}");
    }
    for s in [
        "0003", "1,000", "", "-", "1.", ".5", "1e3", "CG001", "10.0000 ",
    ] {
        assert!(!is_json_number(s), "{s}");
    }
}

/// The `total_count` of a page as the answer writes it: a number, or (quirk
/// `total-first-page`) a string on page 0 and nothing on the others.
pub(crate) fn total_field(app: &crate::app::App, page_no: u32, total: u64) -> String {
    if !app.wdt_quirks().total_first_page {
        return format!("\"total_count\":{total},");
    }
    if page_no == 0 {
        format!("\"total_count\":\"{total}\",")
    } else {
        String::new()
    }
}

/// Request parameters, the last value of a repeated key winning.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Query string pairs, then form body pairs (the body wins).
    pub(crate) fn parse(query: Option<&str>, body: &[u8]) -> Self {
        let mut map = HashMap::new();
        if let Some(q) = query {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        for (k, v) in form_urlencoded::parse(body) {
            map.insert(k.into_owned(), v.into_owned());
        }
        Params { map }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// A non-empty value.
    pub(crate) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        self.map
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// The business part of a query, common to openapi2 and Qimen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DocQuery {
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub page_no: u32,
    pub page_size: u32,
    pub status: Option<String>,
    pub warehouse_no: Option<String>,
    /// `purchase_no` / `stockin_no`.
    pub number: Option<String>,
    pub outer_no: Option<String>,
    pub src_order_no: Option<String>,
    pub order_type: Option<String>,
    /// Which stock-ins by their refund (退货入库, `order_type` 3) nature.
    pub refunds: Refunds,
}

/// Which stock-ins a general query serves: the refund stock-ins
/// (`order_type` 3) come from `stockin_order_query_refund` (served by
/// [`library`], in its own shape), and (quirk `refund-separate`) not from
/// the general query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Refunds {
    #[default]
    All,
    Without,
}

/// The `order_type` of refund stock-ins (退货入库).
pub(crate) const REFUND_ORDER_TYPE: &str = "3";

impl DocQuery {
    /// Checks and reads the business parameters of `kind`.
    pub(crate) fn from_params(
        kind: DocKind,
        p: &Params,
        max_page_size: u32,
    ) -> Result<Self, BizError> {
        let page_no = match p.non_empty("page_no") {
            None => 0,
            Some(v) => v
                .parse::<u32>()
                .map_err(|_| BizError::invalid(format!("page_no必须是非负整数，收到“{v}”")))?,
        };
        let page_size = match p.non_empty("page_size") {
            None => 40,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=max_page_size).contains(&n) => n,
                _ => {
                    return Err(BizError::invalid(format!(
                        "page_size取值范围为1-{max_page_size}，收到“{v}”"
                    )))
                }
            },
        };
        let time = |name: &str| -> Result<Option<i64>, BizError> {
            match p.non_empty(name) {
                None => Ok(None),
                Some(v) => parse_cst(v).map(Some).ok_or_else(|| {
                    BizError::invalid(format!(
                        "{name}格式错误，应为YYYY-MM-DD HH:MM:SS，收到“{v}”"
                    ))
                }),
            }
        };
        let start = time("start_time")?;
        let end = time("end_time")?;
        let owned = |name: &str| p.non_empty(name).map(str::to_owned);
        let (number, src_order_no, order_type) = match kind {
            DocKind::PurchaseOrder => (owned("purchase_no"), None, None),
            DocKind::StockIn => (
                owned("stockin_no"),
                owned("src_order_no"),
                owned("order_type"),
            ),
        };
        let outer_no = owned("outer_no");
        let by_number = number.is_some() || outer_no.is_some() || src_order_no.is_some();
        if !by_number {
            if start.is_none() {
                return Err(BizError::missing("start_time"));
            }
            if end.is_none() {
                return Err(BizError::missing("end_time"));
            }
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                return Err(BizError::invalid("end_time不能早于start_time"));
            }
            if e - s > MAX_WINDOW_SECS {
                return Err(BizError::invalid(
                    "start_time与end_time的时间跨度不能超过30天",
                ));
            }
        }
        Ok(DocQuery {
            start,
            end,
            page_no,
            page_size,
            status: owned("status"),
            warehouse_no: owned("warehouse_no"),
            number,
            outer_no,
            src_order_no,
            order_type,
            refunds: Refunds::All,
        })
    }

    fn has_filters(&self) -> bool {
        self.status.is_some()
            || self.warehouse_no.is_some()
            || self.order_type.is_some()
            || self.refunds != Refunds::All
    }
}

/// 旺店通 purchase order `i` (from 0) of the data set `data` whose modified
/// times end at `anchor` (unix seconds), as compact JSON: the document
/// `purchase_order_query` serves for it until it is touched. It is a pure
/// function of its arguments, computed alone, without a server.
pub fn purchase_order_json(data: &DataConfig, anchor: i64, i: u32) -> String {
    let generator = Generator::new(data, anchor);
    let order = generator.purchase(i, generator.base_time(DocKind::PurchaseOrder, i));
    // A struct of strings always serialises.
    serde_json::to_string(&order).unwrap_or_default()
}

/// One page of documents.
#[derive(Debug)]
pub(crate) enum Page {
    Purchases(Vec<records::PurchaseOrder>),
    Stockins(Vec<records::StockinOrder>),
}

impl Page {
    pub(crate) fn list_key(&self) -> &'static str {
        match self {
            Page::Purchases(_) => "purchase_list",
            Page::Stockins(_) => "stockin_list",
        }
    }

    /// The list as JSON text.
    pub(crate) fn to_json(&self) -> String {
        fn ser<T: Serialize>(v: &T) -> String {
            serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
        }
        match self {
            Page::Purchases(v) => ser(v),
            Page::Stockins(v) => ser(v),
        }
    }
}

/// The generated documents of a sandbox.
#[derive(Debug)]
pub(crate) struct DataSet {
    generator: Generator,
    purchases: RwLock<DocIndex>,
    stockins: RwLock<DocIndex>,
    /// The documents of the library's APIs (sales, returns).
    library: library::LibraryDocs,
    touch_rng: Mutex<Rng>,
}

fn matches_list(filter: &Option<String>, value: &str) -> bool {
    match filter {
        None => true,
        Some(f) => f.split(',').any(|x| x.trim() == value),
    }
}

impl DataSet {
    pub(crate) fn new(config: &DataConfig, anchor: i64) -> Self {
        let generator = Generator::new(config, anchor);
        let purchases = DocIndex::build(config.purchase_orders, |i| {
            generator.base_time(DocKind::PurchaseOrder, i)
        });
        let stockins = DocIndex::build(config.stockins, |i| {
            generator.base_time(DocKind::StockIn, i)
        });
        DataSet {
            purchases: RwLock::new(purchases),
            stockins: RwLock::new(stockins),
            library: library::LibraryDocs::new(config, &generator),
            touch_rng: Mutex::new(Rng::new(config.seed ^ 0x746f_7563_6821)),
            generator,
        }
    }

    fn read(&self, kind: DocKind) -> RwLockReadGuard<'_, DocIndex> {
        let lock = match kind {
            DocKind::PurchaseOrder => &self.purchases,
            DocKind::StockIn => &self.stockins,
        };
        lock.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, kind: DocKind) -> RwLockWriteGuard<'_, DocIndex> {
        let lock = match kind {
            DocKind::PurchaseOrder => &self.purchases,
            DocKind::StockIn => &self.stockins,
        };
        lock.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn count(&self, kind: DocKind) -> u32 {
        self.read(kind).len()
    }

    fn number_of(&self, kind: DocKind, i: u32) -> String {
        match kind {
            DocKind::PurchaseOrder => self.generator.purchase_no(i),
            DocKind::StockIn => self.generator.stockin_no(i),
        }
    }

    /// The document a bill number names.
    fn find_number(&self, kind: DocKind, number: &str, len: u32) -> Option<u32> {
        let prefix = match kind {
            DocKind::PurchaseOrder => "CG",
            DocKind::StockIn => "RK",
        };
        let i = Generator::index_of_number(number, prefix)?;
        (i < len && self.number_of(kind, i) == number).then_some(i)
    }

    fn find_outer_no(kind: DocKind, outer: &str, len: u32) -> Option<u32> {
        let (prefix, make): (&str, fn(u32) -> String) = match kind {
            DocKind::PurchaseOrder => ("EXT-PO-", Generator::purchase_outer_no),
            DocKind::StockIn => ("EXT-RK-", Generator::stockin_outer_no),
        };
        let i = Generator::index_of_number(outer, prefix)?;
        (i < len && make(i) == outer).then_some(i)
    }

    fn passes_filters(&self, kind: DocKind, q: &DocQuery, i: u32) -> bool {
        if !q.has_filters() {
            return true;
        }
        match kind {
            DocKind::PurchaseOrder => {
                let k = self.generator.purchase_keys(i);
                matches_list(&q.status, k.status)
                    && matches_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
            }
            DocKind::StockIn => {
                let k = self.generator.stockin_keys(i);
                let order_type = catalog::STOCKIN_TYPES[k.kind].0;
                let refund = order_type == REFUND_ORDER_TYPE;
                matches_list(&q.status, k.status)
                    && matches_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
                    && matches_list(&q.order_type, order_type)
                    && match q.refunds {
                        Refunds::All => true,
                        Refunds::Without => !refund,
                    }
            }
        }
    }

    /// Candidates named by bill numbers, or `None` when the query names none.
    fn by_numbers(&self, kind: DocKind, q: &DocQuery, ix: &DocIndex) -> Option<Vec<u32>> {
        let len = ix.len();
        let mut sets: Vec<Vec<u32>> = Vec::new();
        if let Some(n) = &q.number {
            sets.push(self.find_number(kind, n, len).into_iter().collect());
        }
        if let Some(o) = &q.outer_no {
            sets.push(Self::find_outer_no(kind, o, len).into_iter().collect());
        }
        if let Some(src) = &q.src_order_no {
            let purchases = self.generator.purchases;
            let mut found = Vec::new();
            if kind == DocKind::StockIn && purchases > 0 {
                if let Some(p) = Generator::index_of_number(src, "CG")
                    .filter(|&p| p < purchases && self.generator.purchase_no(p) == *src)
                {
                    let mut i = p;
                    while i < len {
                        if self.generator.stockin_keys(i).purchase == Some(p) {
                            found.push(i);
                        }
                        match i.checked_add(purchases) {
                            Some(next) => i = next,
                            None => break,
                        }
                    }
                }
            }
            sets.push(found);
        }
        let mut sets = sets.into_iter();
        let mut result = sets.next()?;
        for s in sets {
            result.retain(|i| s.contains(i));
        }
        Some(result)
    }

    /// Runs a query: `(total_count, page)`, documents ordered by
    /// `(modified, id)`, the window inclusive at both ends.
    pub(crate) fn query(&self, kind: DocKind, q: &DocQuery) -> (u64, Page) {
        let size = q.page_size.max(1) as usize;
        let offset = (q.page_no as usize).saturating_mul(size);
        let (total, picked): (usize, Vec<(u32, i64)>) = {
            let ix = self.read(kind);
            if let Some(mut found) = self.by_numbers(kind, q, &ix) {
                found.retain(|&i| {
                    let t = ix.time(i).unwrap_or(i64::MIN);
                    q.start.is_none_or(|s| t >= s) && q.end.is_none_or(|e| t <= e)
                });
                let mut rows: Vec<(u32, i64)> = found
                    .into_iter()
                    .filter(|&i| self.passes_filters(kind, q, i))
                    .filter_map(|i| ix.time(i).map(|t| (i, t)))
                    .collect();
                rows.sort_unstable_by_key(|&(i, t)| (t, i));
                let total = rows.len();
                (total, rows.into_iter().skip(offset).take(size).collect())
            } else {
                let window = ix.window(q.start, q.end);
                if q.has_filters() {
                    let rows: Vec<(u32, i64)> = ix
                        .slice(window)
                        .into_iter()
                        .filter(|&(i, _)| self.passes_filters(kind, q, i))
                        .collect();
                    let total = rows.len();
                    (total, rows.into_iter().skip(offset).take(size).collect())
                } else {
                    let total = window.len();
                    let from = window.start.saturating_add(offset).min(window.end);
                    let to = from.saturating_add(size).min(window.end);
                    (total, ix.slice(from..to))
                }
            }
        };
        let page = match kind {
            DocKind::PurchaseOrder => Page::Purchases(
                picked
                    .into_iter()
                    .map(|(i, t)| self.generator.purchase(i, t))
                    .collect(),
            ),
            DocKind::StockIn => Page::Stockins(
                picked
                    .into_iter()
                    .map(|(i, t)| self.generator.stockin(i, t))
                    .collect(),
            ),
        };
        (total as u64, page)
    }

    /// Document `id` (1-based) as served now.
    pub(crate) fn document(&self, kind: DocKind, id: u64) -> Option<serde_json::Value> {
        let i = u32::try_from(id.checked_sub(1)?).ok()?;
        let t = self.read(kind).time(i)?;
        match kind {
            DocKind::PurchaseOrder => serde_json::to_value(self.generator.purchase(i, t)).ok(),
            DocKind::StockIn => serde_json::to_value(self.generator.stockin(i, t)).ok(),
        }
    }

    pub(crate) fn modified(&self, kind: DocKind, id: u64) -> Option<i64> {
        let i = u32::try_from(id.checked_sub(1)?).ok()?;
        self.read(kind).time(i)
    }

    /// Sets the modified time of documents `ids` (1-based); returns how many exist.
    pub(crate) fn touch(&self, kind: DocKind, ids: &[u64], t: i64) -> usize {
        let indexes: Vec<u32> = ids
            .iter()
            .filter_map(|id| id.checked_sub(1).and_then(|i| u32::try_from(i).ok()))
            .collect();
        self.write(kind).touch(&indexes, t)
    }

    /// Touches `n` distinct documents chosen by the seeded stream; returns their ids.
    pub(crate) fn touch_random(&self, kind: DocKind, n: usize, t: i64) -> Vec<u64> {
        let len = self.count(kind);
        let n = n.min(len as usize);
        let mut chosen = std::collections::BTreeSet::new();
        {
            let mut rng = self.touch_rng.lock().unwrap_or_else(|e| e.into_inner());
            while chosen.len() < n {
                chosen.insert(rng.below(u64::from(len)) + 1);
            }
        }
        let ids: Vec<u64> = chosen.into_iter().collect();
        self.touch(kind, &ids, t);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DataSet {
        let config = DataConfig {
            seed: 3,
            purchase_orders: 500,
            stockins: 300,
            sales_outs: 0,
            spread_days: 10,
            anchor: None,
            empty_time: "0000-00-00 00:00:00".into(),
        };
        DataSet::new(&config, 1_704_160_800)
    }

    fn all_ids(d: &DataSet, kind: DocKind, q: &DocQuery) -> (u64, Vec<String>) {
        let mut q = q.clone();
        let mut ids = Vec::new();
        let mut total = 0;
        loop {
            let (t, page) = d.query(kind, &q);
            total = total.max(t);
            let json: serde_json::Value = serde_json::from_str(&page.to_json()).unwrap();
            let list = json.as_array().unwrap().clone();
            if list.is_empty() {
                break;
            }
            for r in list {
                let key = if kind == DocKind::PurchaseOrder {
                    "purchase_id"
                } else {
                    "stockin_id"
                };
                ids.push(r[key].as_str().unwrap().to_owned());
            }
            q.page_no += 1;
        }
        (total, ids)
    }

    #[test]
    fn paging_covers_the_window_once() {
        let d = data();
        let q = DocQuery {
            start: Some(1_704_160_800 - 10 * 86_400),
            end: Some(1_704_160_800),
            page_size: 37,
            ..DocQuery::default()
        };
        let (total, ids) = all_ids(&d, DocKind::PurchaseOrder, &q);
        assert_eq!(total, 500);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 500);
    }

    #[test]
    fn filters_and_numbers() {
        let d = data();
        let q = DocQuery {
            start: Some(1_704_160_800 - 10 * 86_400),
            end: Some(1_704_160_800),
            page_size: 100,
            status: Some("90".into()),
            ..DocQuery::default()
        };
        let (total, ids) = all_ids(&d, DocKind::PurchaseOrder, &q);
        assert_eq!(total as usize, ids.len());
        assert!(total > 50 && total < 400, "{total}");
        let number = d.generator.purchase_no(41);
        let q = DocQuery {
            number: Some(number),
            page_size: 40,
            ..DocQuery::default()
        };
        let (total, ids) = all_ids(&d, DocKind::PurchaseOrder, &q);
        assert_eq!((total, ids), (1, vec!["42".to_owned()]));
        let q = DocQuery {
            number: Some("CG202401010000042".into()),
            page_size: 40,
            ..DocQuery::default()
        };
        assert_eq!(d.query(DocKind::PurchaseOrder, &q).0, 0);
    }

    #[test]
    fn src_order_no_finds_purchase_stockins() {
        let d = data();
        let st: Vec<u32> = (0..300)
            .filter(|&i| d.generator.stockin_keys(i).purchase.is_some())
            .collect();
        let i = st[0];
        let p = i % 500;
        let q = DocQuery {
            src_order_no: Some(d.generator.purchase_no(p)),
            page_size: 40,
            ..DocQuery::default()
        };
        let (total, ids) = all_ids(&d, DocKind::StockIn, &q);
        assert!(total >= 1);
        assert!(ids.contains(&(i + 1).to_string()));
    }

    #[test]
    fn touched_documents_move() {
        let d = data();
        let late = 1_704_160_800 + 3600;
        let ids = d.touch_random(DocKind::StockIn, 5, late);
        assert_eq!(ids.len(), 5);
        let q = DocQuery {
            start: Some(late),
            end: Some(late),
            page_size: 100,
            ..DocQuery::default()
        };
        let (total, got) = all_ids(&d, DocKind::StockIn, &q);
        assert_eq!(total, 5);
        let want: Vec<String> = ids.iter().map(u64::to_string).collect();
        assert_eq!(got, want);
        let doc = d.document(DocKind::StockIn, ids[0]).unwrap();
        assert_eq!(doc["modified"], crate::clock::fmt_cst(late));
    }
}
