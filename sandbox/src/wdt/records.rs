//! Generation of 旺店通 purchase orders and stock-in bills.
//!
//! Document `i` of a kind is a pure function of `(seed, kind, i)` (and of its
//! current modified time, which [`super::index::DocIndex`] keeps): it is drawn
//! from its own SplitMix stream, so any document can be produced alone, in
//! any order, in constant time.
//!
//! Every field of the seed tables (shared/seeds, specs/wdt) is present, plus
//! the header `purchase_id`/`stockin_id`, `created` and `modified` the real
//! API also returns. Ids, quantities, prices and amounts are strings, the
//! decimals with 4 places; times are `YYYY-MM-DD HH:MM:SS` in UTC+8.
//!
//! Amounts are exact decimals and consistent:
//! - purchase line: `tax_price = price × (1 + tax)`, `amount = num × price × discount`,
//!   `tax_amount = round4(num × tax_price × discount)`, `lack_num = num − stockin_num − arrive_num`,
//!   `stockin_amount = stockin_num × price × discount`;
//! - purchase header: `goods_count = Σ num`, `goods_type_count` = lines,
//!   `goods_fee = goods_amount = Σ amount`, `tax_fee = tax_goods_amount = Σ tax_amount`,
//!   `goods_arrive_count = Σ (stockin_num + arrive_num)`;
//! - stock-in line: `tax_price = cost_price × (1 + tax)`, `total_cost = right_cost = num × cost_price`,
//!   `tax_amount = num × tax_price`;
//! - stock-in header: `goods_amount = Σ total_cost`, `total_price = goods_amount − Σ discount`.
//!
//! A purchase stock-in (`order_type` 1) receives the lines of purchase order
//! `i mod N` (`src_order_no` = its `purchase_no`, `src_order_detail_id` = its
//! lines' `rec_id`).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::catalog::{
    Goods, Provider, Warehouse, GOODS, LINE_REMARKS, OTHER_STOCKIN_REASONS, PROVIDERS,
    PURCHASE_REMARKS, REVERT_REASONS, STAFF, STOCKIN_TYPES, WAREHOUSES,
};
use crate::clock::{fmt_cst, fmt_cst_compact_date, fmt_cst_date, CST_OFFSET_SECS};
use crate::config::DataConfig;
use crate::rng::{hash3, Rng};

const DAY: i64 = 86_400;

/// The two generated document kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// 采购单 (`purchase_order_query`), id = `purchase_id`.
    PurchaseOrder,
    /// 入库单 (`stockin_order_query`, Qimen `wdt.stockin.order.query`), id = `stockin_id`.
    StockIn,
}

impl DocKind {
    fn tag(self) -> u64 {
        match self {
            DocKind::PurchaseOrder => 0x5055_5243,
            DocKind::StockIn => 0x5354_4b49,
        }
    }
}

/// Purchase order statuses and their weights (protocols.md §1).
const PURCHASE_STATUSES: &[(&str, u32)] = &[
    ("90", 35),
    ("60", 10),
    ("50", 8),
    ("48", 10),
    ("40", 10),
    ("70", 5),
    ("80", 4),
    ("30", 6),
    ("20", 5),
    ("35", 2),
    ("10", 3),
    ("43", 1),
    ("45", 1),
];

/// Stock-in statuses (10 已取消, 20 编辑中, 25 待价格确认, 30 待审核, 60 待结算, 80 已完成) and weights.
const STOCKIN_STATUSES: &[(&str, u32)] = &[
    ("80", 70),
    ("60", 10),
    ("30", 8),
    ("25", 2),
    ("20", 5),
    ("10", 5),
];

/// Weights of `STOCKIN_TYPES`.
const STOCKIN_TYPE_WEIGHTS: &[u32] = &[55, 8, 10, 7, 20];

const LINE_COUNT_WEIGHTS: &[u32] = &[30, 25, 18, 12, 8, 7];

fn weights<T>(table: &[(T, u32)]) -> Vec<u32> {
    table.iter().map(|(_, w)| *w).collect()
}

/// A decimal as 旺店通 writes it: 4 decimal places.
pub(crate) fn d4(d: Decimal) -> String {
    let mut d = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(4);
    d.to_string()
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// Midnight (UTC+8) of the day holding `t`.
fn cst_midnight(t: i64) -> i64 {
    t - (t + i64::from(CST_OFFSET_SECS)).rem_euclid(DAY)
}

/// One line of a purchase order.
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseDetail {
    pub rec_id: String,
    pub purchase_id: String,
    pub spec_id: String,
    pub spec_no: String,
    pub goods_no: String,
    pub goods_name: String,
    pub short_name: String,
    pub spec_name: String,
    pub spec_code: String,
    pub brand_name: String,
    pub provider_goods_no: String,
    pub warehouse_id: String,
    pub num: String,
    pub num2: String,
    pub unit_ratio: String,
    pub unit_id: String,
    pub base_unit_id: String,
    pub base_unit: String,
    pub purchase_unit: String,
    pub price: String,
    pub discount: String,
    pub tax: String,
    pub tax_price: String,
    pub amount: String,
    pub tax_amount: String,
    pub stockin_num: String,
    pub stockin_amount: String,
    pub arrive_num: String,
    pub stopwait_num: String,
    pub arrive_more_num: String,
    pub lack_num: String,
    pub purchase_price: String,
    pub last_price: String,
    pub last_second_price: String,
    pub lowest_price: String,
    pub weight: String,
    pub remark: String,
    pub prop1: String,
    pub prop2: String,
    pub tag: String,
    pub created: String,
    pub modified: String,
}

/// A purchase order (`purchase_list` element).
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseOrder {
    pub purchase_id: String,
    pub purchase_no: String,
    pub purchase_outer_no: String,
    pub outer_no: String,
    pub api_outer_no: String,
    pub status: String,
    pub order_type: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub provider_id: String,
    pub provider_no: String,
    pub provider_name: String,
    pub contact: String,
    pub telno: String,
    pub purchaser_id: String,
    pub purchaser_name: String,
    pub receive_address: String,
    pub logistics_type: String,
    pub goods_count: String,
    pub goods_type_count: String,
    pub goods_arrive_count: String,
    pub goods_fee: String,
    pub goods_amount: String,
    pub tax_fee: String,
    pub tax_goods_amount: String,
    pub post_fee: String,
    pub other_fee: String,
    pub expect_arrive_time: String,
    pub creator_id: String,
    pub creator_name: String,
    pub check_operator_id: String,
    pub check_time: String,
    pub facheck_operator_id: String,
    pub facheck_time: String,
    pub wms_outer_no: String,
    pub wms_status: String,
    pub error_info: String,
    pub flag_id: String,
    pub revert_reason: String,
    pub version_id: String,
    pub note_count: String,
    pub prop_time1: String,
    pub remark: String,
    pub created: String,
    pub modified: String,
    pub details_list: Vec<PurchaseDetail>,
}

/// One line of a stock-in bill.
#[derive(Clone, Debug, Serialize)]
pub struct StockinDetail {
    pub rec_id: String,
    pub stockin_id: String,
    pub src_order_type: String,
    pub src_order_detail_id: String,
    pub org_stockin_detail_id: String,
    pub spec_id: String,
    pub spec_no: String,
    pub goods_no: String,
    pub goods_name: String,
    pub spec_name: String,
    pub spec_code: String,
    pub brand_no: String,
    pub brand_name: String,
    pub goods_unit: String,
    pub num: String,
    pub num2: String,
    pub unit_id: String,
    pub base_unit_id: String,
    pub unit_ratio: String,
    pub expect_num: String,
    pub goods_count: String,
    pub src_price: String,
    pub cost_price: String,
    pub cost_price2: String,
    pub tax: String,
    pub tax_price: String,
    pub tax_amount: String,
    pub discount: String,
    pub total_cost: String,
    pub right_num: String,
    pub right_price: String,
    pub right_cost: String,
    pub adjust_num: String,
    pub adjust_price: String,
    pub share_post_cost: String,
    pub share_post_total: String,
    pub batch_id: String,
    pub batch_no: String,
    pub batch_remark: String,
    pub position_id: String,
    pub position_no: String,
    pub production_date: String,
    pub validity_days: String,
    pub expire_date: String,
    pub prop2: String,
    pub remark: String,
    pub created: String,
    pub modified: String,
}

/// A stock-in bill (`stockin_list` element).
#[derive(Clone, Debug, Serialize)]
pub struct StockinOrder {
    pub stockin_id: String,
    pub stockin_no: String,
    pub status: String,
    pub order_type: String,
    pub order_type_name: String,
    pub warehouse_id: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub src_order_id: String,
    pub src_order_no: String,
    pub outer_no: String,
    pub reason_id: String,
    pub stockin_reason: String,
    pub goods_amount: String,
    pub total_price: String,
    pub post_fee: String,
    pub other_fee: String,
    pub post_share_type: String,
    pub logistics_id: String,
    pub logistics_type: String,
    pub logistics_no: String,
    pub operator_id: String,
    pub operator_name: String,
    pub check_time: String,
    pub stockin_time: String,
    pub created_time: String,
    pub fa_status: String,
    pub wms_status: String,
    pub wms_result: String,
    pub flag_id: String,
    pub note_count: String,
    pub remark: String,
    pub modified: String,
    pub details_list: Vec<StockinDetail>,
}

/// What filters look at, drawn first so that filtering does not generate
/// whole documents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PurchaseKeys {
    pub status: &'static str,
    pub warehouse: usize,
    pub provider: usize,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct StockinKeys {
    pub status: &'static str,
    /// Index into `STOCKIN_TYPES`.
    pub kind: usize,
    pub warehouse: usize,
    /// The purchase order a purchase stock-in receives.
    pub purchase: Option<u32>,
}

/// Generates documents of one data set.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pub seed: u64,
    /// End of the modified-time spread (unix seconds).
    pub anchor: i64,
    pub spread_secs: i64,
    pub purchases: u32,
    pub empty_time: String,
}

impl Generator {
    /// The generator of the data set `config`, modified times ending at `anchor`.
    pub(crate) fn new(config: &DataConfig, anchor: i64) -> Self {
        Generator {
            seed: config.seed,
            anchor,
            spread_secs: i64::from(config.spread_days) * DAY,
            purchases: config.purchase_orders,
            empty_time: config.empty_time.clone(),
        }
    }

    fn empty_date(&self) -> String {
        self.empty_time
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The stream of document `i`, its base modified time and creation time.
    fn head(&self, kind: DocKind, i: u32) -> (Rng, i64, i64) {
        let mut r = Rng::new(hash3(self.seed, kind.tag(), u64::from(i)));
        let base = self.anchor - r.range(0, self.spread_secs.max(0));
        let created = base - r.range(0, 3 * DAY);
        (r, base, created)
    }

    /// The modified time document `i` has before any touch.
    pub(crate) fn base_time(&self, kind: DocKind, i: u32) -> i64 {
        self.head(kind, i).1
    }

    fn purchase_keys_from(r: &mut Rng) -> PurchaseKeys {
        let status = PURCHASE_STATUSES[r.weighted(&weights(PURCHASE_STATUSES))].0;
        // The last warehouse is the returns warehouse: purchases go elsewhere.
        let warehouse = r.below(WAREHOUSES.len() as u64 - 1) as usize;
        let provider = r.below(PROVIDERS.len() as u64) as usize;
        PurchaseKeys {
            status,
            warehouse,
            provider,
        }
    }

    pub(crate) fn purchase_keys(&self, i: u32) -> PurchaseKeys {
        let (mut r, _, _) = self.head(DocKind::PurchaseOrder, i);
        Self::purchase_keys_from(&mut r)
    }

    fn stockin_keys_from(&self, r: &mut Rng, i: u32) -> StockinKeys {
        let status = STOCKIN_STATUSES[r.weighted(&weights(STOCKIN_STATUSES))].0;
        let mut kind = r.weighted(STOCKIN_TYPE_WEIGHTS);
        if kind == 0 && self.purchases == 0 {
            kind = STOCKIN_TYPES.len() - 1;
        }
        let drawn_warehouse = r.below(WAREHOUSES.len() as u64 - 1) as usize;
        let (warehouse, purchase) = match STOCKIN_TYPES[kind].0 {
            "1" => {
                let p = i % self.purchases.max(1);
                (self.purchase_keys(p).warehouse, Some(p))
            }
            "3" => (WAREHOUSES.len() - 1, None),
            _ => (drawn_warehouse, None),
        };
        StockinKeys {
            status,
            kind,
            warehouse,
            purchase,
        }
    }

    pub(crate) fn stockin_keys(&self, i: u32) -> StockinKeys {
        let (mut r, _, _) = self.head(DocKind::StockIn, i);
        self.stockin_keys_from(&mut r, i)
    }

    /// `CG` + creation date + 7-digit sequence.
    pub(crate) fn purchase_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::PurchaseOrder, i);
        format!("CG{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    /// `RK` + creation date + 7-digit sequence.
    pub(crate) fn stockin_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::StockIn, i);
        format!("RK{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    pub(crate) fn purchase_outer_no(i: u32) -> String {
        format!("EXT-PO-{:07}", u64::from(i) + 1)
    }

    pub(crate) fn stockin_outer_no(i: u32) -> String {
        format!("EXT-RK-{:07}", u64::from(i) + 1)
    }

    /// The document index a bill number of this data set names, if it has
    /// the right shape (the caller compares the whole number).
    pub(crate) fn index_of_number(number: &str, prefix: &str) -> Option<u32> {
        let digits = number.strip_prefix(prefix)?;
        let seq = digits.get(digits.len().checked_sub(7)?..)?;
        let n: u64 = seq.parse().ok()?;
        u32::try_from(n.checked_sub(1)?).ok()
    }

    fn distinct_goods(r: &mut Rng, n: usize) -> Vec<&'static Goods> {
        let mut chosen: Vec<usize> = Vec::with_capacity(n);
        while chosen.len() < n.min(GOODS.len()) {
            let g = r.below(GOODS.len() as u64) as usize;
            if !chosen.contains(&g) {
                chosen.push(g);
            }
        }
        chosen.into_iter().map(|g| &GOODS[g]).collect()
    }

    fn quantity(r: &mut Rng) -> i64 {
        match r.weighted(&[50, 40, 10]) {
            0 => r.range(1, 50),
            1 => r.range(1, 30) * 10,
            _ => r.range(1, 20) * 100,
        }
    }

    /// Purchase order `i` with its current modified time `modified`.
    pub(crate) fn purchase(&self, i: u32, modified: i64) -> PurchaseOrder {
        let (mut r, base, created) = self.head(DocKind::PurchaseOrder, i);
        let keys = Self::purchase_keys_from(&mut r);
        let warehouse: &Warehouse = &WAREHOUSES[keys.warehouse];
        let provider: &Provider = &PROVIDERS[keys.provider];
        let creator = r.pick(STAFF);
        let purchaser = r.pick(STAFF);
        let status_code: u32 = keys.status.parse().unwrap_or(0);
        let audited = status_code >= 40;
        let check = (created + r.range(600, DAY)).min(base).max(created);
        let check_time = if audited {
            fmt_cst(check)
        } else {
            self.empty_time.clone()
        };
        let checker = if audited { r.pick(STAFF).id } else { 0 };
        let fachecked = audited && r.chance(0.3);
        let (facheck_operator_id, facheck_time) = if fachecked {
            let t = (check - r.range(60, 3600)).max(created);
            (r.pick(STAFF).id.to_string(), fmt_cst(t))
        } else {
            ("0".to_owned(), self.empty_time.clone())
        };
        let expect_arrive = cst_midnight(created + r.range(3, 15) * DAY);
        let purchase_outer_no = if r.chance(0.3) {
            format!("SO{}", r.range(1_000_000_000, 9_999_999_999))
        } else {
            String::new()
        };
        let logistics_type = r.pick(&["1", "2", "3"]).to_string();
        let flag_id = if r.chance(0.1) { r.range(1, 3) } else { 0 };
        let revert_reason = if keys.status == "20" && r.chance(0.3) {
            r.pick(REVERT_REASONS).to_string()
        } else {
            String::new()
        };
        let version_id = r.range(1, 5);
        let note_count = if r.chance(0.1) { 1 } else { 0 };
        let remark = r.pick(PURCHASE_REMARKS).to_string();
        let post_fee = cents(*r.pick(&[0, 0, 0, 0, 1000, 2000]));
        let other_fee = cents(if r.chance(0.1) { 500 } else { 0 });

        let id = u64::from(i) + 1;
        let lines = r.weighted(LINE_COUNT_WEIGHTS) + 1;
        let line_modified = fmt_cst(base.min(modified));
        let created_text = fmt_cst(created);
        let mut details = Vec::with_capacity(lines);
        let (mut sum_num, mut sum_amount, mut sum_tax_amount, mut sum_arrived) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (j, g) in Self::distinct_goods(&mut r, lines).into_iter().enumerate() {
            let num = Decimal::from(Self::quantity(&mut r));
            let price_cents = g.price_cents * r.range(92, 108) / 100;
            let price = cents(price_cents);
            let discount = cents(*r.pick(&[100, 100, 100, 100, 100, 100, 100, 98, 95, 90]));
            let tax = cents(g.tax_pct);
            let tax_price = price * (Decimal::ONE + tax);
            let amount = num * price * discount;
            let tax_amount = (num * tax_price * discount)
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
            let stockin_num = match keys.status {
                "60" | "70" | "80" | "90" => num,
                "50" => Decimal::from(r.range(0, (num - Decimal::ONE).try_into().unwrap_or(0i64))),
                _ => Decimal::ZERO,
            };
            let arrive_num = Decimal::ZERO;
            let lack_num = num - stockin_num - arrive_num;
            let last_price = cents(price_cents * r.range(95, 105) / 100);
            let last_second_price = cents(price_cents * r.range(95, 105) / 100);
            let lowest_price = price.min(last_price).min(last_second_price);
            sum_num += num;
            sum_amount += amount;
            sum_tax_amount += tax_amount;
            sum_arrived += stockin_num + arrive_num;
            details.push(PurchaseDetail {
                rec_id: (id * 10 + j as u64 + 1).to_string(),
                purchase_id: id.to_string(),
                spec_id: g.spec_id.to_string(),
                spec_no: g.spec_no.into(),
                goods_no: g.goods_no.into(),
                goods_name: g.goods_name.into(),
                short_name: g.short_name.into(),
                spec_name: g.spec_name.into(),
                spec_code: g.spec_code.into(),
                brand_name: g.brand_name.into(),
                provider_goods_no: format!("{}-{}", provider.no, g.spec_code),
                warehouse_id: warehouse.id.to_string(),
                num: d4(num),
                num2: d4(num),
                unit_ratio: d4(Decimal::ONE),
                unit_id: g.unit_id.to_string(),
                base_unit_id: g.unit_id.to_string(),
                base_unit: g.unit.into(),
                purchase_unit: g.unit.into(),
                price: d4(price),
                discount: d4(discount),
                tax: d4(tax),
                tax_price: d4(tax_price),
                amount: d4(amount),
                tax_amount: d4(tax_amount),
                stockin_num: d4(stockin_num),
                stockin_amount: d4(stockin_num * price * discount),
                arrive_num: d4(arrive_num),
                stopwait_num: d4(Decimal::ZERO),
                arrive_more_num: d4(Decimal::ZERO),
                lack_num: d4(lack_num),
                purchase_price: d4(price),
                last_price: d4(last_price),
                last_second_price: d4(last_second_price),
                lowest_price: d4(lowest_price),
                weight: g.weight.into(),
                remark: r.pick(LINE_REMARKS).to_string(),
                prop1: String::new(),
                prop2: String::new(),
                tag: String::new(),
                created: created_text.clone(),
                modified: line_modified.clone(),
            });
        }

        PurchaseOrder {
            purchase_id: id.to_string(),
            purchase_no: format!("CG{}{:07}", fmt_cst_compact_date(created), id),
            purchase_outer_no,
            outer_no: Self::purchase_outer_no(i),
            api_outer_no: String::new(),
            status: keys.status.into(),
            order_type: "1".into(),
            warehouse_no: warehouse.no.into(),
            warehouse_name: warehouse.name.into(),
            provider_id: provider.id.to_string(),
            provider_no: provider.no.into(),
            provider_name: provider.name.into(),
            contact: provider.contact.into(),
            telno: provider.telno.into(),
            purchaser_id: purchaser.id.to_string(),
            purchaser_name: purchaser.name.into(),
            receive_address: warehouse.address.into(),
            logistics_type,
            goods_count: d4(sum_num),
            goods_type_count: details.len().to_string(),
            goods_arrive_count: d4(sum_arrived),
            goods_fee: d4(sum_amount),
            goods_amount: d4(sum_amount),
            tax_fee: d4(sum_tax_amount),
            tax_goods_amount: d4(sum_tax_amount),
            post_fee: d4(post_fee),
            other_fee: d4(other_fee),
            expect_arrive_time: fmt_cst(expect_arrive),
            creator_id: creator.id.to_string(),
            creator_name: creator.name.into(),
            check_operator_id: checker.to_string(),
            check_time,
            facheck_operator_id,
            facheck_time,
            wms_outer_no: String::new(),
            wms_status: "0".into(),
            error_info: String::new(),
            flag_id: flag_id.to_string(),
            revert_reason,
            version_id: version_id.to_string(),
            note_count: note_count.to_string(),
            prop_time1: self.empty_time.clone(),
            remark,
            created: created_text,
            modified: fmt_cst(modified),
            details_list: details,
        }
    }

    /// Stock-in bill `i` with its current modified time `modified`.
    pub(crate) fn stockin(&self, i: u32, modified: i64) -> StockinOrder {
        let (mut r, base, created) = self.head(DocKind::StockIn, i);
        let keys = self.stockin_keys_from(&mut r, i);
        let (order_type, order_type_name) = STOCKIN_TYPES[keys.kind];
        let warehouse: &Warehouse = &WAREHOUSES[keys.warehouse];
        let operator = r.pick(STAFF);
        let done = matches!(keys.status, "60" | "80");
        let check = (created + r.range(600, DAY)).min(base).max(created);
        let (check_time, stockin_time) = if done {
            (fmt_cst(check), fmt_cst(check))
        } else {
            (self.empty_time.clone(), self.empty_time.clone())
        };
        let fa_status = if keys.status == "80" && r.chance(0.6) {
            "1"
        } else {
            "0"
        };
        let (reason_id, stockin_reason) = if order_type == "6" {
            let (id, text) = r.pick(OTHER_STOCKIN_REASONS);
            (id.to_string(), text.to_string())
        } else {
            ("0".to_owned(), String::new())
        };
        let (logistics_id, logistics_no, post_fee) = if order_type == "3" {
            (
                "3".to_owned(),
                format!("SF{}", r.range(100_000_000_000, 999_999_999_999)),
                cents(*r.pick(&[0, 800, 1200])),
            )
        } else {
            ("0".to_owned(), String::new(), Decimal::ZERO)
        };
        let remark = r.pick(PURCHASE_REMARKS).to_string();
        let id = u64::from(i) + 1;
        let compact = fmt_cst_compact_date(created);

        // Lines: those of the received purchase order, or drawn.
        let source = keys
            .purchase
            .map(|p| self.purchase(p, self.base_time(DocKind::PurchaseOrder, p)));
        let mut lines: Vec<(&'static Goods, Decimal, i64, String)> = Vec::new();
        match &source {
            Some(po) => {
                for d in &po.details_list {
                    let Some(g) = GOODS.iter().find(|g| g.spec_no == d.spec_no) else {
                        continue;
                    };
                    let num: Decimal = d.num.parse().unwrap_or(Decimal::ONE);
                    let price_cents: i64 = d
                        .price
                        .parse::<Decimal>()
                        .ok()
                        .and_then(|p| (p * Decimal::from(100)).trunc().try_into().ok())
                        .unwrap_or(g.price_cents);
                    lines.push((g, num, price_cents, d.rec_id.clone()));
                }
            }
            None => {
                let n = r.weighted(LINE_COUNT_WEIGHTS) + 1;
                for g in Self::distinct_goods(&mut r, n) {
                    let num = Decimal::from(Self::quantity(&mut r));
                    let price_cents = g.price_cents * r.range(92, 108) / 100;
                    lines.push((g, num, price_cents, "0".to_owned()));
                }
            }
        }
        let (src_order_id, src_order_no, outer_no) = match (&source, order_type) {
            (Some(po), _) => (
                po.purchase_id.clone(),
                po.purchase_no.clone(),
                Self::stockin_outer_no(i),
            ),
            (None, "2") => (
                "0".into(),
                format!("DB{compact}{:05}", r.range(1, 99_999)),
                Self::stockin_outer_no(i),
            ),
            (None, "3") => (
                "0".into(),
                format!("TK{compact}{:05}", r.range(1, 99_999)),
                Self::stockin_outer_no(i),
            ),
            (None, "4") => (
                "0".into(),
                format!("PD{compact}{:05}", r.range(1, 99_999)),
                Self::stockin_outer_no(i),
            ),
            (None, _) => ("0".into(), String::new(), Self::stockin_outer_no(i)),
        };

        let line_modified = fmt_cst(base.min(modified));
        let created_text = fmt_cst(created);
        let empty_date = self.empty_date();
        let mut sum_cost = Decimal::ZERO;
        let mut sum_discount = Decimal::ZERO;
        let mut details = Vec::with_capacity(lines.len());
        for (j, (g, num, price_cents, src_detail)) in lines.into_iter().enumerate() {
            let cost = cents(price_cents);
            let tax = cents(g.tax_pct);
            let tax_price = cost * (Decimal::ONE + tax);
            let total_cost = num * cost;
            let discount = Decimal::ZERO;
            sum_cost += total_cost;
            sum_discount += discount;
            let (batch_id, batch_no, production_date, validity_days, expire_date) =
                if g.shelf_days > 0 {
                    let produced = created - r.range(10, 60) * DAY;
                    let expires = produced + i64::from(g.shelf_days) * DAY;
                    (
                        r.range(1000, 99_999).to_string(),
                        format!("P{}", fmt_cst_compact_date(produced)),
                        fmt_cst_date(produced),
                        g.shelf_days.to_string(),
                        fmt_cst_date(expires),
                    )
                } else {
                    (
                        "0".to_owned(),
                        String::new(),
                        empty_date.clone(),
                        "0".to_owned(),
                        empty_date.clone(),
                    )
                };
            details.push(StockinDetail {
                rec_id: (id * 10 + j as u64 + 1).to_string(),
                stockin_id: id.to_string(),
                src_order_type: order_type.into(),
                src_order_detail_id: src_detail,
                org_stockin_detail_id: "0".into(),
                spec_id: g.spec_id.to_string(),
                spec_no: g.spec_no.into(),
                goods_no: g.goods_no.into(),
                goods_name: g.goods_name.into(),
                spec_name: g.spec_name.into(),
                spec_code: g.spec_code.into(),
                brand_no: g.brand_no.into(),
                brand_name: g.brand_name.into(),
                goods_unit: g.unit.into(),
                num: d4(num),
                num2: d4(num),
                unit_id: g.unit_id.to_string(),
                base_unit_id: g.unit_id.to_string(),
                unit_ratio: d4(Decimal::ONE),
                expect_num: d4(num),
                goods_count: d4(num),
                src_price: d4(cost),
                cost_price: d4(cost),
                cost_price2: d4(cost),
                tax: d4(tax),
                tax_price: d4(tax_price),
                tax_amount: d4(num * tax_price),
                discount: d4(discount),
                total_cost: d4(total_cost),
                right_num: d4(num),
                right_price: d4(cost),
                right_cost: d4(total_cost),
                adjust_num: d4(Decimal::ZERO),
                adjust_price: d4(Decimal::ZERO),
                share_post_cost: d4(Decimal::ZERO),
                share_post_total: d4(Decimal::ZERO),
                batch_id,
                batch_no,
                batch_remark: String::new(),
                position_id: warehouse.position.1.to_string(),
                position_no: warehouse.position.0.into(),
                production_date,
                validity_days,
                expire_date,
                prop2: String::new(),
                remark: r.pick(LINE_REMARKS).to_string(),
                created: created_text.clone(),
                modified: line_modified.clone(),
            });
        }

        StockinOrder {
            stockin_id: id.to_string(),
            stockin_no: format!("RK{compact}{id:07}"),
            status: keys.status.into(),
            order_type: order_type.into(),
            order_type_name: order_type_name.into(),
            warehouse_id: warehouse.id.to_string(),
            warehouse_no: warehouse.no.into(),
            warehouse_name: warehouse.name.into(),
            src_order_id,
            src_order_no,
            outer_no,
            reason_id,
            stockin_reason,
            goods_amount: d4(sum_cost),
            total_price: d4(sum_cost - sum_discount),
            post_fee: d4(post_fee),
            other_fee: d4(Decimal::ZERO),
            post_share_type: "0".into(),
            logistics_id,
            logistics_type: if order_type == "3" {
                "1".into()
            } else {
                "0".into()
            },
            logistics_no,
            operator_id: operator.id.to_string(),
            operator_name: operator.name.into(),
            check_time,
            stockin_time,
            created_time: created_text,
            fa_status: fa_status.into(),
            wms_status: "0".into(),
            wms_result: String::new(),
            flag_id: "0".into(),
            note_count: "0".into(),
            remark,
            modified: fmt_cst(modified),
            details_list: details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        Generator {
            seed: 7,
            anchor: 1_704_160_800,
            spread_secs: 30 * DAY,
            purchases: 100,
            empty_time: "0000-00-00 00:00:00".into(),
        }
    }

    #[test]
    fn documents_are_deterministic() {
        let g = generator();
        let a = serde_json::to_string(&g.purchase(3, 1_704_000_000)).unwrap();
        let b = serde_json::to_string(&g.purchase(3, 1_704_000_000)).unwrap();
        assert_eq!(a, b);
        let other = Generator {
            seed: 8,
            ..generator()
        };
        assert_ne!(
            a,
            serde_json::to_string(&other.purchase(3, 1_704_000_000)).unwrap()
        );
    }

    #[test]
    fn purchase_amounts_are_consistent() {
        let g = generator();
        for i in 0..100 {
            let po = g.purchase(i, g.base_time(DocKind::PurchaseOrder, i));
            let dec = |s: &str| s.parse::<Decimal>().unwrap();
            let mut sum = Decimal::ZERO;
            let mut sum_tax = Decimal::ZERO;
            let mut count = Decimal::ZERO;
            assert!((1..=6).contains(&po.details_list.len()));
            for d in &po.details_list {
                assert_eq!(
                    dec(&d.amount),
                    dec(&d.num) * dec(&d.price) * dec(&d.discount)
                );
                assert_eq!(
                    dec(&d.tax_price),
                    dec(&d.price) * (Decimal::ONE + dec(&d.tax))
                );
                assert_eq!(
                    dec(&d.tax_amount),
                    (dec(&d.num) * dec(&d.tax_price) * dec(&d.discount))
                        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                );
                assert_eq!(
                    dec(&d.lack_num),
                    dec(&d.num) - dec(&d.stockin_num) - dec(&d.arrive_num)
                );
                assert!(d.num.ends_with(".0000") && d.num.split('.').nth(1).unwrap().len() == 4);
                sum += dec(&d.amount);
                sum_tax += dec(&d.tax_amount);
                count += dec(&d.num);
            }
            assert_eq!(dec(&po.goods_amount), sum);
            assert_eq!(dec(&po.tax_goods_amount), sum_tax);
            assert_eq!(dec(&po.goods_count), count);
            assert_eq!(po.purchase_no, g.purchase_no(i));
            assert_eq!(Generator::index_of_number(&po.purchase_no, "CG"), Some(i));
            assert!(po.created <= po.modified);
        }
    }

    #[test]
    fn purchase_stockins_receive_their_order() {
        let g = generator();
        let mut seen = 0;
        for i in 0..100 {
            let st = g.stockin(i, g.base_time(DocKind::StockIn, i));
            let dec = |s: &str| s.parse::<Decimal>().unwrap();
            let total: Decimal = st.details_list.iter().map(|d| dec(&d.total_cost)).sum();
            assert_eq!(dec(&st.goods_amount), total);
            for d in &st.details_list {
                assert_eq!(dec(&d.total_cost), dec(&d.num) * dec(&d.cost_price));
                assert_eq!(dec(&d.tax_amount), dec(&d.num) * dec(&d.tax_price));
            }
            if st.order_type == "1" {
                seen += 1;
                let po = g.purchase(i % 100, 0);
                assert_eq!(st.src_order_no, po.purchase_no);
                assert_eq!(st.warehouse_no, po.warehouse_no);
                assert_eq!(st.details_list.len(), po.details_list.len());
                assert_eq!(
                    st.details_list[0].src_order_detail_id,
                    po.details_list[0].rec_id
                );
            }
            assert_eq!(Generator::index_of_number(&st.stockin_no, "RK"), Some(i));
        }
        assert!(seen > 20);
    }
}
