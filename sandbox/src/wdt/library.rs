//! The 旺店通 APIs the scheme library reads, beside the seed schemes' two:
//!
//! | API (openapi2) / method (Qimen) | documents | list key |
//! |---|---|---|
//! | `stockout_order_query_trade`, `wdt.stockout.order.query.trade` | sales stock-outs ([`super::sales`]) | `stockout_list` |
//! | `stockin_order_query_purchase` | purchase stock-ins ([`super::purchase_in`]) | `stockin_list` |
//! | `stockin_order_query_refund` | return stock-ins ([`super::refund`]) | `stockin_list` |
//! | `stockout_order_query_return` | purchase returns ([`super::purchase_return`]) | `stockout_list` |
//! | `goods_query` | the goods archive ([`super::goods`], its own rules) | `goods_list` |
//!
//! Each checks its business parameters as the general queries do (codes
//! 1000 and 1001 of [`super`]: page size, time format, window of at most 30
//! days, a window unless a bill number is given) and has its own rules:
//!
//! - sales: `stockout_no` or `src_order_no` (the 系统订单号 JY…) make the
//!   window optional; `status`, `shop_no`, `warehouse_no` filter. Through
//!   Qimen, `stockout_id` and `status` are JSON numbers.
//! - purchase stock-ins: `stockin_no` or `src_order_no` (the purchase
//!   number) make the window optional; `status`, `warehouse_no` filter.
//! - returns: `stockin_no` or `src_order_no` (the 退换单号 RT…) make the
//!   window optional; `status` defaults to 80 (已完成); `warehouse_no`
//!   filters; `total_count` is in the answer of page 0 only.
//! - purchase returns: `stockout_no` or `src_order_no` (the 采购退货单号
//!   CT…) make the window optional; without `status` only the shipped ones
//!   (95 已发货, 110 已完成); `warehouse_no` filters; pages of at most 30.
//!
//! Documents are ordered by `(modified, id)`, the window inclusive at both ends.

use std::sync::{RwLock, RwLockReadGuard};

use serde::Serialize;

use super::generator::Generator;
use super::index::DocIndex;
use super::{catalog, shops, BizError, DataSet, DocKind, Params, MAX_WINDOW_SECS};
use crate::clock::parse_cst;
use crate::config::DataConfig;

/// The documents of the library's APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LibraryKind {
    /// Sales stock-outs (`stockout_order_query_trade`), id = `stockout_id`.
    SalesOut,
    /// Purchase stock-ins (`stockin_order_query_purchase`): the stock-ins of
    /// type 1 of an audited purchase order, id = `stockin_id`.
    PurchaseIn,
    /// Return stock-ins (`stockin_order_query_refund`): the stock-ins of
    /// `order_type` 3, id = `stockin_id`.
    Refund,
    /// Purchase returns (`stockout_order_query_return`): the returns of
    /// purchase stock-ins, id = the stock-in's `stockin_id`.
    PurchaseReturn,
}

/// Qimen methods served here.
pub(crate) const QIMEN_SALES: &str = "wdt.stockout.order.query.trade";

/// The modified-time index of the sales (purchase and return stock-ins
/// are stock-ins: their index is the data set's).
#[derive(Debug)]
pub(crate) struct LibraryDocs {
    sales: RwLock<DocIndex>,
}

impl LibraryDocs {
    pub(crate) fn new(config: &DataConfig, generator: &Generator) -> Self {
        LibraryDocs {
            sales: RwLock::new(DocIndex::build(config.sales_outs, |i| {
                generator.sales_base_time(i)
            })),
        }
    }
}

/// The business parameters of a library query.
#[derive(Clone, Debug, Default)]
struct Query {
    start: Option<i64>,
    end: Option<i64>,
    page_no: u32,
    page_size: u32,
    status: Option<String>,
    warehouse_no: Option<String>,
    shop_no: Option<String>,
    number: Option<String>,
    src_order_no: Option<String>,
}

impl Query {
    fn parse(
        p: &Params,
        number_key: &str,
        default_size: u32,
        max_size: u32,
    ) -> Result<Self, BizError> {
        let page_no = match p.non_empty("page_no") {
            None => 0,
            Some(v) => v
                .parse::<u32>()
                .map_err(|_| BizError::invalid(format!("page_no必须是非负整数，收到“{v}”")))?,
        };
        let page_size = match p.non_empty("page_size") {
            None => default_size,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=max_size).contains(&n) => n,
                _ => {
                    return Err(BizError::invalid(format!(
                        "page_size取值范围为1-{max_size}，收到“{v}”"
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
        let number = owned(number_key);
        let src_order_no = owned("src_order_no");
        if number.is_none() && src_order_no.is_none() {
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
        Ok(Query {
            start,
            end,
            page_no,
            page_size,
            status: owned("status"),
            warehouse_no: owned("warehouse_no"),
            shop_no: owned("shop_no"),
            number,
            src_order_no,
        })
    }
}

fn in_list(filter: &Option<String>, value: &str) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| f.split(',').any(|x| x.trim() == value))
}

/// The page of `q` over `ix`: `(total, [(index, modified)])`. `named` are
/// the documents the query's bill numbers name (`None`: it names none);
/// `keep` is every other filter.
fn page(
    ix: &DocIndex,
    q: &Query,
    named: Option<Vec<u32>>,
    keep: impl Fn(u32) -> bool,
) -> (usize, Vec<(u32, i64)>) {
    let size = q.page_size.max(1) as usize;
    let offset = (q.page_no as usize).saturating_mul(size);
    let rows: Vec<(u32, i64)> = match named {
        Some(found) => {
            let mut rows: Vec<(u32, i64)> = found
                .into_iter()
                .filter_map(|i| ix.time(i).map(|t| (i, t)))
                .filter(|&(_, t)| q.start.is_none_or(|s| t >= s) && q.end.is_none_or(|e| t <= e))
                .filter(|&(i, _)| keep(i))
                .collect();
            rows.sort_unstable_by_key(|&(i, t)| (t, i));
            rows
        }
        None => ix
            .slice(ix.window(q.start, q.end))
            .into_iter()
            .filter(|&(i, _)| keep(i))
            .collect(),
    };
    let total = rows.len();
    (total, rows.into_iter().skip(offset).take(size).collect())
}

/// The index a number of the shape `PREFIX…NNNNNNN` names (the last
/// `digits` digits are the 1-based sequence).
fn index_of(number: &str, prefix: &str, digits: usize) -> Option<u32> {
    let rest = number.strip_prefix(prefix)?;
    let seq = rest.get(rest.len().checked_sub(digits)?..)?;
    let n: u64 = seq.parse().ok()?;
    u32::try_from(n.checked_sub(1)?).ok()
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// A page: `(total_count, list as JSON text)`.
struct Answer {
    list_key: &'static str,
    total: usize,
    list: String,
    /// Whether the answer carries `total_count`.
    with_total: bool,
}

fn read(lock: &RwLock<DocIndex>) -> RwLockReadGuard<'_, DocIndex> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

impl DataSet {
    fn sales_page(&self, q: &Query, qimen: bool) -> Answer {
        let g = &self.generator;
        let ix = read(&self.library.sales);
        let len = ix.len();
        let named = (q.number.is_some() || q.src_order_no.is_some()).then(|| {
            let mut found: Vec<u32> = Vec::new();
            if let Some(n) = &q.number {
                found.extend(index_of(n, "CK", 7).filter(|&i| i < len && g.sales_no(i) == *n));
            }
            if let Some(src) = &q.src_order_no {
                let by_trade = index_of(src, "JY", 7)
                    .filter(|&i| i < len && g.sales_out(i, 0).trade_no == *src);
                if q.number.is_some() {
                    found.retain(|i| by_trade == Some(*i));
                } else {
                    found.extend(by_trade);
                }
            }
            found
        });
        let (total, rows) = page(&ix, q, named, |i| {
            let k = g.sales_keys(i);
            in_list(&q.status, k.status)
                && in_list(&q.shop_no, shops::SHOPS[k.shop].no)
                && in_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
        });
        drop(ix);
        let docs: Vec<_> = rows.into_iter().map(|(i, t)| g.sales_out(i, t)).collect();
        let list = if qimen {
            // Qimen sends the ids and the status as numbers.
            let values: Vec<serde_json::Value> = docs
                .iter()
                .map(|d| {
                    let mut v = serde_json::to_value(d).unwrap_or_default();
                    for key in ["stockout_id", "status"] {
                        if let Some(slot) = v.get_mut(key) {
                            if let Some(n) = slot.as_str().and_then(|s| s.parse::<u64>().ok()) {
                                *slot = serde_json::Value::from(n);
                            }
                        }
                    }
                    v
                })
                .collect();
            json(&values)
        } else {
            json(&docs)
        };
        Answer {
            list_key: "stockout_list",
            total,
            list,
            with_total: true,
        }
    }

    fn purchase_in_page(&self, q: &Query) -> Answer {
        let g = &self.generator;
        let ix = self.read(DocKind::StockIn);
        let len = ix.len();
        let named = (q.number.is_some() || q.src_order_no.is_some()).then(|| {
            let mut found: Vec<u32> = Vec::new();
            if let Some(n) = &q.number {
                found.extend(self.find_number(DocKind::StockIn, n, len));
            }
            if let Some(src) = &q.src_order_no {
                let q2 = super::DocQuery {
                    src_order_no: Some(src.clone()),
                    ..super::DocQuery::default()
                };
                let of_order = self
                    .by_numbers(DocKind::StockIn, &q2, &ix)
                    .unwrap_or_default();
                if q.number.is_some() {
                    found.retain(|i| of_order.contains(i));
                } else {
                    found = of_order;
                }
            }
            found
        });
        let (total, rows) = page(&ix, q, named, |i| {
            let k = g.stockin_keys(i);
            g.purchase_in_order(i).is_some()
                && in_list(&q.status, k.status)
                && in_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
        });
        drop(ix);
        let docs: Vec<_> = rows
            .into_iter()
            .filter_map(|(i, t)| g.purchase_in(i, t))
            .collect();
        Answer {
            list_key: "stockin_list",
            total,
            list: json(&docs),
            with_total: true,
        }
    }

    fn refund_page(&self, q: &Query) -> Answer {
        let g = &self.generator;
        let ix = self.read(DocKind::StockIn);
        let len = ix.len();
        let named = (q.number.is_some() || q.src_order_no.is_some()).then(|| {
            let mut found: Vec<u32> = Vec::new();
            if let Some(n) = &q.number {
                found.extend(
                    index_of(n, "RK", 7)
                        .filter(|&i| i < len && g.is_refund(i) && g.stockin_no(i) == *n),
                );
            }
            if let Some(src) = &q.src_order_no {
                let by_src = index_of(src, "RT", 7)
                    .filter(|&i| i < len && g.is_refund(i) && g.refund_src_no(i) == *src);
                if q.number.is_some() {
                    found.retain(|i| by_src == Some(*i));
                } else {
                    found.extend(by_src);
                }
            }
            found
        });
        // Without `status`, only completed returns (the API's default).
        let status = q.status.clone().or_else(|| Some("80".to_owned()));
        let (total, rows) = page(&ix, q, named, |i| {
            let k = g.stockin_keys(i);
            g.is_refund(i)
                && in_list(&status, k.status)
                && in_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
        });
        drop(ix);
        let docs: Vec<_> = rows
            .into_iter()
            .filter_map(|(i, t)| g.refund(i, t))
            .collect();
        Answer {
            list_key: "stockin_list",
            total,
            list: json(&docs),
            with_total: q.page_no == 0,
        }
    }

    fn purchase_return_page(&self, q: &Query) -> Answer {
        let g = &self.generator;
        let ix = self.read(DocKind::StockIn);
        let len = ix.len();
        let named = (q.number.is_some() || q.src_order_no.is_some()).then(|| {
            let mut found: Vec<u32> = Vec::new();
            if let Some(n) = &q.number {
                found.extend(index_of(n, "CK", 7).filter(|&i| {
                    i < len && g.is_purchase_return(i) && g.purchase_return_no(i) == *n
                }));
            }
            if let Some(src) = &q.src_order_no {
                let by_src = index_of(src, "CT", 7).filter(|&i| {
                    i < len && g.is_purchase_return(i) && g.purchase_return_src_no(i) == *src
                });
                if q.number.is_some() {
                    found.retain(|i| by_src == Some(*i));
                } else {
                    found.extend(by_src);
                }
            }
            found
        });
        // Without `status`, only the shipped returns (the API's default).
        let status = q.status.clone().or_else(|| Some("95,110".to_owned()));
        let (total, rows) = page(&ix, q, named, |i| {
            let k = g.stockin_keys(i);
            g.is_purchase_return(i)
                && in_list(&status, g.purchase_return_status(i))
                && in_list(&q.warehouse_no, catalog::WAREHOUSES[k.warehouse].no)
        });
        drop(ix);
        let docs: Vec<_> = rows
            .into_iter()
            .filter_map(|(i, t)| g.purchase_return(i, t))
            .collect();
        Answer {
            list_key: "stockout_list",
            total,
            list: json(&docs),
            with_total: true,
        }
    }

    pub(crate) fn library_count(&self, kind: LibraryKind) -> u32 {
        match kind {
            LibraryKind::SalesOut => read(&self.library.sales).len(),
            LibraryKind::Refund => self.count(DocKind::StockIn),
            LibraryKind::PurchaseIn => self.count(DocKind::StockIn),
            LibraryKind::PurchaseReturn => self.count(DocKind::StockIn),
        }
    }

    /// Document `id` (1-based) of `kind` as served now; a purchase stock-in
    /// is `None` when stock-in `id` is not one.
    pub(crate) fn library_document(&self, kind: LibraryKind, id: u64) -> Option<serde_json::Value> {
        let i = u32::try_from(id.checked_sub(1)?).ok()?;
        let g = &self.generator;
        match kind {
            LibraryKind::SalesOut => {
                let t = read(&self.library.sales).time(i)?;
                serde_json::to_value(g.sales_out(i, t)).ok()
            }
            LibraryKind::Refund => {
                let t = self.read(DocKind::StockIn).time(i)?;
                serde_json::to_value(g.refund(i, t)?).ok()
            }
            LibraryKind::PurchaseIn => {
                let t = self.read(DocKind::StockIn).time(i)?;
                serde_json::to_value(g.purchase_in(i, t)?).ok()
            }
            LibraryKind::PurchaseReturn => {
                let t = self.read(DocKind::StockIn).time(i)?;
                serde_json::to_value(g.purchase_return(i, t)?).ok()
            }
        }
    }

    /// Sets the modified time of documents `ids` (1-based) of `kind`.
    pub(crate) fn library_touch(&self, kind: LibraryKind, ids: &[u64], t: i64) -> usize {
        let indexes: Vec<u32> = ids
            .iter()
            .filter_map(|id| id.checked_sub(1).and_then(|i| u32::try_from(i).ok()))
            .collect();
        let lock = match kind {
            LibraryKind::SalesOut => &self.library.sales,
            LibraryKind::Refund | LibraryKind::PurchaseIn | LibraryKind::PurchaseReturn => {
                return self.touch(DocKind::StockIn, ids, t)
            }
        };
        lock.write()
            .unwrap_or_else(|e| e.into_inner())
            .touch(&indexes, t)
    }
}

/// Runs `api` when it is one of the library's openapi2 APIs (after the
/// call is authenticated): the answer text or its business error.
pub(crate) fn openapi2(data: &DataSet, api: &str, p: &Params) -> Option<Result<String, BizError>> {
    if api == "goods_query" {
        return Some(super::goods::query(&data.generator, p));
    }
    let answer = match api {
        "stockout_order_query_trade" => {
            Query::parse(p, "stockout_no", 100, 100).map(|q| data.sales_page(&q, false))
        }
        "stockin_order_query_purchase" => {
            Query::parse(p, "stockin_no", 40, 100).map(|q| data.purchase_in_page(&q))
        }
        "stockin_order_query_refund" => {
            Query::parse(p, "stockin_no", 40, 100).map(|q| data.refund_page(&q))
        }
        "stockout_order_query_return" => {
            Query::parse(p, "stockout_no", 30, 30).map(|q| data.purchase_return_page(&q))
        }
        _ => return None,
    };
    Some(answer.map(|a| {
        let total = if a.with_total {
            format!("\"total_count\":{},", a.total)
        } else {
            String::new()
        };
        format!(
            "{{\"code\":0,\"message\":\"\",{total}\"{}\":{}}}",
            a.list_key, a.list
        )
    }))
}

/// Whether the Qimen gateway serves `method` here.
pub(crate) fn is_qimen_method(method: &str) -> bool {
    method == QIMEN_SALES
}

/// Runs Qimen `method` when it is one of the library's (after the gateway
/// and the `sid` are checked): the answer text or its business error.
pub(crate) fn qimen(
    data: &DataSet,
    method: &str,
    p: &Params,
    max_page_size: u32,
) -> Option<Result<String, BizError>> {
    if method != QIMEN_SALES {
        return None;
    }
    let size = max_page_size.min(100);
    Some(Query::parse(p, "stockout_no", size, size).map(|q| {
        let a = data.sales_page(&q, true);
        format!(
            "{{\"response\":{{\"errorcode\":0,\"message\":\"\",\"total_count\":{},\"{}\":{}}}}}",
            a.total, a.list_key, a.list
        )
    }))
}

/// The library's documents, for tests of the crate and the in-process
/// [`crate::Control`].
impl crate::Control {
    /// Number of documents of `kind` (for purchase stock-ins: of stock-ins,
    /// of which those of an audited purchase order are served).
    pub fn library_count(&self, kind: LibraryKind) -> u32 {
        self.app.data.library_count(kind)
    }

    /// Document `id` (1-based) of `kind` exactly as the API serves it now
    /// (openapi2 shape).
    pub fn library_document(&self, kind: LibraryKind, id: u64) -> Option<serde_json::Value> {
        self.app.data.library_document(kind, id)
    }

    /// Every document of `kind` the API serves, by id.
    pub fn library_documents(&self, kind: LibraryKind) -> Vec<serde_json::Value> {
        let n = u64::from(self.library_count(kind));
        (1..=n)
            .filter_map(|id| self.library_document(kind, id))
            .collect()
    }

    /// Sets the modified time of documents `ids` of `kind` to `at`; returns
    /// how many exist.
    pub fn library_touch<Tz: chrono::TimeZone>(
        &self,
        kind: LibraryKind,
        ids: &[u64],
        at: &chrono::DateTime<Tz>,
    ) -> usize {
        self.app.data.library_touch(kind, ids, at.timestamp())
    }
}
