//! Return stock-ins (`stockin_order_query_refund`): goods customers sent
//! back to the shops of [`super::shops`], received into the returns
//! warehouse, generated from `(seed, index)`.
//!
//! As the vendor's sample answer has them: `status` and `trans_from_wt` are
//! JSON numbers, ids strings, `logistics_id` null; quantities have 4
//! decimals, `actual_refund_amount` 8 (`"0.02000000"`); a line without a
//! batch has the production date `9999-12-01 00:00:00` and cost price 0.
//! Defective returns (`stock_type` 2, 残品) and lines refunded at less than
//! their price are among them; `actual_refund_amount = num × stockin_price`
//! less any partial refund.

use rust_decimal::Decimal;
use serde::Serialize;

use super::catalog::{STAFF, WAREHOUSES};
use super::generator::{cents, d4, Generator, DAY};
use super::shops::{Shop, BUYER_NICKS, REFUND_REMARKS, SHOPS, SHOP_WEIGHTS};
use crate::clock::{fmt_cst, fmt_cst_compact_date};
use crate::rng::{hash3, Rng};

/// Mixed into the seed of a return's stream.
const TAG: u64 = 0x5245_4655;

/// 10 已取消, 20 编辑中, 30 待审核, 80 已完成, and their weights.
const STATUSES: &[(u32, u32)] = &[(80, 75), (30, 10), (20, 8), (10, 7)];

/// The sentinel production date of a line without one.
const NO_DATE: &str = "9999-12-01 00:00:00";

/// A decimal with 8 places, as this API writes refund amounts.
fn d8(d: Decimal) -> String {
    let mut d = d.round_dp(8);
    d.rescale(8);
    d.to_string()
}

/// One line of a return stock-in.
#[derive(Clone, Debug, Serialize)]
pub struct RefundDetail {
    pub rec_id: String,
    pub stockin_id: String,
    pub src_order_detail_id: String,
    pub spec_id: String,
    pub num: String,
    pub batch_no: String,
    pub modified: String,
    pub barcode: String,
    pub remark: String,
    pub oid: String,
    pub tid: String,
    pub spec_no: String,
    pub goods_name: String,
    pub goods_no: String,
    pub spec_name: String,
    pub expire_date: String,
    pub position_no: String,
    pub production_date: String,
    pub cost_price: String,
    pub stockin_price: String,
    pub platform_id: String,
    pub anchor_id: String,
    pub anchor_name: String,
    pub stock_type: String,
    pub actual_refund_amount: String,
    pub goods_unit: String,
    pub src_price: String,
    pub defect: String,
}

/// A return stock-in (`stockin_list` element).
#[derive(Clone, Debug, Serialize)]
pub struct Refund {
    pub stockin_id: String,
    pub status: u32,
    pub refund_id: String,
    pub order_no: String,
    pub src_order_no: String,
    pub trade_no: String,
    pub check_time: String,
    pub stockin_time: String,
    pub modified: String,
    pub logistics_id: Option<String>,
    pub logistics_no: String,
    pub warehouse_id: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub shop_id: String,
    pub shop_no: String,
    pub shop_name: String,
    pub platform_id: String,
    pub buyer_nick: String,
    pub creator_name: String,
    pub remark: String,
    pub provider_nick_no: String,
    pub provider_name: String,
    pub trans_from_wt: u8,
    pub details_list: Vec<RefundDetail>,
}

/// What the query's filters look at, drawn first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefundKeys {
    pub status: u32,
    pub shop: usize,
}

impl Generator {
    /// The stream of return `i`, its base modified time and its creation time.
    fn refund_head(&self, i: u32) -> (Rng, i64, i64) {
        let mut r = Rng::new(hash3(self.seed, TAG, u64::from(i)));
        let base = self.anchor - r.range(0, self.spread_secs.max(0));
        let created = base - r.range(0, 2 * DAY);
        (r, base, created)
    }

    pub(crate) fn refund_base_time(&self, i: u32) -> i64 {
        self.refund_head(i).1
    }

    fn refund_keys_from(r: &mut Rng) -> RefundKeys {
        let weights: Vec<u32> = STATUSES.iter().map(|s| s.1).collect();
        let status = STATUSES[r.weighted(&weights)].0;
        let shop = r.weighted(SHOP_WEIGHTS);
        RefundKeys { status, shop }
    }

    pub(crate) fn refund_keys(&self, i: u32) -> RefundKeys {
        let (mut r, _, _) = self.refund_head(i);
        Self::refund_keys_from(&mut r)
    }

    /// `RK` + creation date + `9` + 6-digit sequence: the return's number
    /// (distinct from the other stock-ins' `RK…` numbers).
    pub(crate) fn refund_no(&self, i: u32) -> String {
        let (_, _, created) = self.refund_head(i);
        format!(
            "RK{}9{:06}",
            fmt_cst_compact_date(created),
            u64::from(i) + 1
        )
    }

    /// `RT` + creation date + sequence: the return order (退换单) number.
    pub(crate) fn refund_src_no(&self, i: u32) -> String {
        let (_, _, created) = self.refund_head(i);
        format!("RT{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    /// Return `i` with its current modified time `modified`.
    pub(crate) fn refund(&self, i: u32, modified: i64) -> Refund {
        let (mut r, base, created) = self.refund_head(i);
        let keys = Self::refund_keys_from(&mut r);
        let shop: &Shop = &SHOPS[keys.shop];
        let warehouse = &WAREHOUSES[WAREHOUSES.len() - 1];
        let id = u64::from(i) + 1;
        let done = keys.status == 80;
        let checked = (created + r.range(600, DAY)).min(base).max(created);
        let (check_time, stockin_time) = if done {
            (fmt_cst(checked), fmt_cst(checked))
        } else {
            (self.empty_time.clone(), self.empty_time.clone())
        };
        let traded = created - r.range(3 * DAY, 20 * DAY);
        let trade_no = format!("JY{}{:07}", fmt_cst_compact_date(traded), id + 5_000_000);
        let tid = format!(
            "{}{}",
            shop.tid_prefix,
            r.range(1_000_000_000_000_000, 9_999_999_999_999_999)
        );
        let lines = r.weighted(&[70, 22, 8]) + 1;
        let line_modified = fmt_cst(base.min(modified));
        let mut details = Vec::with_capacity(lines);
        for (j, g) in Self::distinct_goods(&mut r, lines).into_iter().enumerate() {
            let num = Decimal::from(r.weighted(&[80, 15, 5]) as i64 + 1);
            let price = cents(g.price_cents * 2 * r.range(70, 100) / 100);
            // Now and then the shop refunds less than the price (a partial refund).
            let refunded = if r.chance(0.1) {
                num * price * cents(r.range(50, 95))
            } else {
                num * price
            };
            let defect = r.chance(0.12);
            let (batch_no, production_date, expire_date, cost) = if g.shelf_days > 0 {
                let produced = traded - r.range(10, 60) * DAY;
                (
                    format!("P{}", fmt_cst_compact_date(produced)),
                    fmt_cst(produced),
                    fmt_cst(produced + i64::from(g.shelf_days) * DAY),
                    cents(g.price_cents),
                )
            } else {
                (
                    String::new(),
                    NO_DATE.to_owned(),
                    NO_DATE.to_owned(),
                    Decimal::ZERO,
                )
            };
            details.push(RefundDetail {
                rec_id: (id * 10 + j as u64 + 1).to_string(),
                stockin_id: id.to_string(),
                src_order_detail_id: (id * 10 + j as u64 + 1).to_string(),
                spec_id: g.spec_id.to_string(),
                num: d4(num),
                batch_no,
                modified: line_modified.clone(),
                barcode: format!("69{:011}", g.spec_id),
                remark: r.pick(REFUND_REMARKS).to_string(),
                oid: format!("{tid}-{}", j + 1),
                tid: tid.clone(),
                spec_no: g.spec_no.into(),
                goods_name: g.goods_name.into(),
                goods_no: g.goods_no.into(),
                spec_name: g.spec_name.into(),
                expire_date,
                position_no: warehouse.position.0.into(),
                production_date,
                cost_price: d4(cost),
                stockin_price: d4(price),
                platform_id: shop.platform_id.into(),
                anchor_id: "0".into(),
                anchor_name: String::new(),
                stock_type: if defect { "2".into() } else { "1".into() },
                actual_refund_amount: d8(refunded),
                goods_unit: g.unit.into(),
                src_price: d4(price),
                defect: if defect { "1".into() } else { "0".into() },
            });
        }
        Refund {
            stockin_id: id.to_string(),
            status: keys.status,
            refund_id: (id + 700_000).to_string(),
            order_no: self.refund_no(i),
            src_order_no: self.refund_src_no(i),
            trade_no,
            check_time,
            stockin_time,
            modified: fmt_cst(modified),
            logistics_id: None,
            logistics_no: format!("SF{}", r.range(100_000_000_000, 999_999_999_999)),
            warehouse_id: warehouse.id.to_string(),
            warehouse_no: warehouse.no.into(),
            warehouse_name: warehouse.name.into(),
            shop_id: shop.id.to_string(),
            shop_no: shop.no.into(),
            shop_name: shop.name.into(),
            platform_id: shop.platform_id.into(),
            buyer_nick: r.pick(BUYER_NICKS).to_string(),
            creator_name: r.pick(STAFF).name.into(),
            remark: String::new(),
            provider_nick_no: String::new(),
            provider_name: String::new(),
            trans_from_wt: u8::from(r.chance(0.03)),
            details_list: details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_are_consistent_and_numbered_apart() {
        let g = Generator::for_tests();
        let mut defects = 0;
        for i in 0..200 {
            let r = g.refund(i, g.refund_base_time(i));
            assert_eq!(r.order_no, g.refund_no(i));
            assert!(r.order_no.starts_with("RK") && r.src_order_no.starts_with("RT"));
            assert_eq!(g.stockin_no(i).len(), r.order_no.len());
            assert_ne!(g.stockin_no(i), r.order_no);
            for d in &r.details_list {
                let num: Decimal = d.num.parse().unwrap();
                let price: Decimal = d.stockin_price.parse().unwrap();
                let refunded: Decimal = d.actual_refund_amount.parse().unwrap();
                assert!(refunded <= num * price && refunded > Decimal::ZERO);
                assert_eq!(d.actual_refund_amount.split('.').nth(1).unwrap().len(), 8);
                defects += usize::from(d.stock_type == "2");
            }
            let json = serde_json::to_value(&r).unwrap();
            assert!(json["status"].is_number() && json["logistics_id"].is_null());
        }
        assert!(defects > 5);
    }
}
