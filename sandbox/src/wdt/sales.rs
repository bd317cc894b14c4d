//! Sales stock-outs (`stockout_order_query_trade`, Qimen
//! `wdt.stockout.order.query.trade`): shipped orders of the shops of
//! [`super::shops`], generated like the other documents from
//! `(seed, index)`.
//!
//! Amounts are exact decimals and consistent: per line `total_amount =
//! goods_count × sell_price`, `share_amount = total_amount − discount`; per
//! bill `goods_count = Σ`, `goods_total_amount = Σ total_amount`, `discount
//! = Σ discount`, `receivable = paid = Σ share_amount + post_amount`.
//! Edge cases the data holds on purpose: gift lines (`gift_type` 1 or 2,
//! `sell_price` 0), multi-line orders, a fully refunded line
//! (`goods_count` 0, `refund_status` 5), stock-outs in every shipped status
//! (113 异常发货 among them) and offline retail (`trade_type` 2).

use rust_decimal::Decimal;
use serde::Serialize;

use super::catalog::{Goods, GOODS, STAFF, WAREHOUSES};
use super::generator::{cents, d4, Generator, DAY, LINE_COUNT_WEIGHTS};
use super::shops::{Shop, CS_REMARKS, SHOPS, SHOP_WEIGHTS};
use crate::clock::{fmt_cst, fmt_cst_compact_date};
use crate::rng::{hash3, Rng};

/// Mixed into the seed of a stock-out's stream.
const TAG: u64 = 0x5341_4c45;

/// Shipped statuses and their weights: 95 已发货, 105 部分打款, 110 已完成,
/// 113 异常发货, 115 回传失败, 120 回传成功.
const STATUSES: &[(&str, u32)] = &[
    ("110", 50),
    ("95", 25),
    ("120", 10),
    ("105", 5),
    ("115", 4),
    ("113", 6),
];

/// One line of a stock-out.
#[derive(Clone, Debug, Serialize)]
pub struct SalesOutDetail {
    pub rec_id: String,
    pub stockout_id: String,
    pub sale_order_id: String,
    pub spec_id: String,
    pub goods_id: String,
    pub spec_no: String,
    pub goods_no: String,
    pub goods_name: String,
    pub spec_name: String,
    pub spec_code: String,
    pub barcode: String,
    pub brand_no: String,
    pub brand_name: String,
    pub goods_type: String,
    pub gift_type: String,
    pub suite_no: String,
    pub goods_count: String,
    pub sell_price: String,
    pub market_price: String,
    pub cost_price: String,
    pub discount: String,
    pub share_amount: String,
    pub share_post: String,
    pub total_amount: String,
    pub paid: String,
    pub tax_rate: String,
    pub refund_status: String,
    pub src_oid: String,
    pub src_tid: String,
    pub platform_id: String,
    pub modified: String,
}

/// A sales stock-out (`stockout_list` element).
#[derive(Clone, Debug, Serialize)]
pub struct SalesOut {
    pub stockout_id: String,
    pub order_no: String,
    pub stockout_no: String,
    pub src_order_no: String,
    pub trade_no: String,
    pub src_trade_no: String,
    pub src_tids: String,
    pub trade_id: String,
    pub outer_no: String,
    pub status: String,
    pub trade_status: String,
    pub trade_type: String,
    pub subtype: String,
    pub order_type: String,
    pub order_type_name: String,
    pub shop_no: String,
    pub shop_name: String,
    pub platform_id: String,
    pub warehouse_id: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub goods_count: String,
    pub goods_total_amount: String,
    pub receivable: String,
    pub paid: String,
    pub discount: String,
    pub post_amount: String,
    pub tax: String,
    pub tax_rate: String,
    pub currency: String,
    pub invoice_type: String,
    pub refund_status: String,
    pub consign_status: String,
    pub wms_status: String,
    pub consign_time: String,
    pub trade_time: String,
    pub pay_time: String,
    pub stock_check_time: String,
    pub created: String,
    pub modified: String,
    pub remark: String,
    pub cs_remark: String,
    pub details_list: Vec<SalesOutDetail>,
}

/// What the query's filters look at, drawn first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SalesKeys {
    pub status: &'static str,
    pub shop: usize,
    pub warehouse: usize,
}

impl Generator {
    /// The stream of stock-out `i`, its base modified time and its shipping time.
    fn sales_head(&self, i: u32) -> (Rng, i64, i64) {
        let mut r = Rng::new(hash3(self.seed, TAG, u64::from(i)));
        let base = self.anchor - r.range(0, self.spread_secs.max(0));
        let consigned = base - r.range(0, DAY / 2);
        (r, base, consigned)
    }

    pub(crate) fn sales_base_time(&self, i: u32) -> i64 {
        self.sales_head(i).1
    }

    fn sales_keys_from(r: &mut Rng) -> SalesKeys {
        let weights: Vec<u32> = STATUSES.iter().map(|s| s.1).collect();
        let status = STATUSES[r.weighted(&weights)].0;
        let shop = r.weighted(SHOP_WEIGHTS);
        // Sales ship from the first five warehouses (the last takes returns).
        let warehouse = r.below(WAREHOUSES.len() as u64 - 1) as usize;
        SalesKeys {
            status,
            shop,
            warehouse,
        }
    }

    pub(crate) fn sales_keys(&self, i: u32) -> SalesKeys {
        let (mut r, _, _) = self.sales_head(i);
        Self::sales_keys_from(&mut r)
    }

    /// `CK` + shipping date + 7-digit sequence: the stock-out number.
    pub(crate) fn sales_no(&self, i: u32) -> String {
        let (_, _, consigned) = self.sales_head(i);
        format!(
            "CK{}{:07}",
            fmt_cst_compact_date(consigned),
            u64::from(i) + 1
        )
    }

    /// Stock-out `i` with its current modified time `modified`.
    pub(crate) fn sales_out(&self, i: u32, modified: i64) -> SalesOut {
        let (mut r, base, consigned) = self.sales_head(i);
        let keys = Self::sales_keys_from(&mut r);
        let shop: &Shop = &SHOPS[keys.shop];
        let warehouse = &WAREHOUSES[keys.warehouse];
        let id = u64::from(i) + 1;
        let traded = consigned - r.range(600, 2 * DAY);
        let paid_at = traded + r.range(5, 1800);
        let checked = (paid_at + r.range(60, 3600)).min(consigned);
        let day = fmt_cst_compact_date(traded);
        let trade_no = format!("JY{day}{id:07}");
        let offline = shop.platform_id == "0";
        let src_tid = if offline {
            format!("{}{day}{:05}", shop.tid_prefix, r.range(1, 99_999))
        } else {
            format!(
                "{}{}",
                shop.tid_prefix,
                r.range(1_000_000_000_000_000, 9_999_999_999_999_999)
            )
        };
        let lines = r.weighted(LINE_COUNT_WEIGHTS) + 1;
        let mut goods: Vec<(&'static Goods, bool)> = Self::distinct_goods(&mut r, lines)
            .into_iter()
            .map(|g| (g, false))
            .collect();
        // About one order in six carries a gift line (a sample of something else).
        if r.chance(0.17) {
            let g = &GOODS[r.below(GOODS.len() as u64) as usize];
            if !goods.iter().any(|(x, _)| x.spec_no == g.spec_no) {
                goods.push((g, true));
            }
        }
        let refunded_line = goods.len() > 1 && r.chance(0.05);
        let post = if offline {
            Decimal::ZERO
        } else {
            cents(*r.pick(&[0, 0, 0, 600, 800, 1000]))
        };
        let line_modified = fmt_cst(base.min(modified));
        let mut details = Vec::with_capacity(goods.len());
        let (mut count, mut total, mut discount_sum, mut share_sum, mut tax_sum) = (
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
        );
        let last = goods.len().saturating_sub(1);
        for (j, (g, gift)) in goods.into_iter().enumerate() {
            let mut num = Decimal::from(r.weighted(&[60, 25, 10, 5]) as i64 + 1);
            let market = cents(g.price_cents * 2);
            let price = if gift {
                Decimal::ZERO
            } else {
                cents(g.price_cents * 2 * r.range(70, 100) / 100)
            };
            let mut refund_status = "0";
            if refunded_line && j == last && !gift {
                num = Decimal::ZERO;
                refund_status = "5";
            }
            let line_total = num * price;
            let discount = if line_total > Decimal::ZERO && r.chance(0.2) {
                (line_total * cents(r.range(2, 10))).round_dp(2)
            } else {
                Decimal::ZERO
            };
            let share = line_total - discount;
            let tax_rate = cents(g.tax_pct);
            count += num;
            total += line_total;
            discount_sum += discount;
            share_sum += share;
            tax_sum += (share / (Decimal::ONE + tax_rate) * tax_rate).round_dp(4);
            details.push(SalesOutDetail {
                rec_id: (id * 10 + j as u64 + 1).to_string(),
                stockout_id: id.to_string(),
                sale_order_id: (id * 10 + j as u64 + 1).to_string(),
                spec_id: g.spec_id.to_string(),
                goods_id: g.goods_no.trim_start_matches('G').to_string(),
                spec_no: g.spec_no.into(),
                goods_no: g.goods_no.into(),
                goods_name: g.goods_name.into(),
                spec_name: g.spec_name.into(),
                spec_code: g.spec_code.into(),
                barcode: format!("69{:011}", g.spec_id),
                brand_no: g.brand_no.into(),
                brand_name: g.brand_name.into(),
                goods_type: "1".into(),
                gift_type: if gift {
                    r.pick(&["1", "2"]).to_string()
                } else {
                    "0".into()
                },
                suite_no: String::new(),
                goods_count: d4(num),
                sell_price: d4(price),
                market_price: d4(market),
                cost_price: d4(cents(g.price_cents)),
                discount: d4(discount),
                share_amount: d4(share),
                share_post: d4(Decimal::ZERO),
                total_amount: d4(line_total),
                paid: d4(share),
                tax_rate: d4(tax_rate),
                refund_status: refund_status.into(),
                src_oid: if offline {
                    String::new()
                } else {
                    format!("{src_tid}-{}", j + 1)
                },
                src_tid: src_tid.clone(),
                platform_id: shop.platform_id.into(),
                modified: line_modified.clone(),
            });
        }
        let receivable = share_sum + post;
        let operator = r.pick(STAFF);
        let remark = if r.chance(0.1) {
            format!("{}打包", operator.name)
        } else {
            String::new()
        };
        let number = format!("CK{}{id:07}", fmt_cst_compact_date(consigned));
        SalesOut {
            stockout_id: id.to_string(),
            order_no: number.clone(),
            stockout_no: number,
            src_order_no: trade_no.clone(),
            trade_no,
            src_trade_no: src_tid.clone(),
            src_tids: src_tid,
            trade_id: id.to_string(),
            outer_no: String::new(),
            status: keys.status.into(),
            trade_status: "110".into(),
            trade_type: if offline { "2".into() } else { "1".into() },
            subtype: "0".into(),
            order_type: "1".into(),
            order_type_name: "销售订单".into(),
            shop_no: shop.no.into(),
            shop_name: shop.name.into(),
            platform_id: shop.platform_id.into(),
            warehouse_id: warehouse.id.to_string(),
            warehouse_no: warehouse.no.into(),
            warehouse_name: warehouse.name.into(),
            goods_count: d4(count),
            goods_total_amount: d4(total),
            receivable: d4(receivable),
            paid: d4(receivable),
            discount: d4(discount_sum),
            post_amount: d4(post),
            tax: d4(tax_sum),
            tax_rate: d4(Decimal::ZERO),
            currency: "CNY".into(),
            invoice_type: if r.chance(0.15) {
                "1".into()
            } else {
                "0".into()
            },
            refund_status: if refunded_line {
                "2".into()
            } else {
                "0".into()
            },
            consign_status: "12".into(),
            wms_status: "0".into(),
            consign_time: fmt_cst(consigned),
            trade_time: fmt_cst(traded),
            pay_time: fmt_cst(paid_at),
            stock_check_time: fmt_cst(checked),
            created: fmt_cst(checked),
            modified: fmt_cst(modified),
            remark,
            cs_remark: r.pick(CS_REMARKS).to_string(),
            details_list: details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn sales_amounts_add_up_and_the_data_holds_its_edge_cases() {
        let g = Generator::for_tests();
        let (mut gifts, mut multi, mut zero, mut offline) = (0, 0, 0, 0);
        for i in 0..400 {
            let s = g.sales_out(i, g.sales_base_time(i));
            assert_eq!(s.order_no, g.sales_no(i));
            let mut total = Decimal::ZERO;
            let mut share = Decimal::ZERO;
            for d in &s.details_list {
                assert_eq!(
                    dec(&d.total_amount),
                    dec(&d.goods_count) * dec(&d.sell_price)
                );
                assert_eq!(
                    dec(&d.share_amount),
                    dec(&d.total_amount) - dec(&d.discount)
                );
                total += dec(&d.total_amount);
                share += dec(&d.share_amount);
                if d.gift_type != "0" {
                    gifts += 1;
                    assert_eq!(dec(&d.sell_price), Decimal::ZERO);
                }
                if dec(&d.goods_count).is_zero() {
                    zero += 1;
                }
            }
            assert_eq!(dec(&s.goods_total_amount), total);
            assert_eq!(dec(&s.receivable), share + dec(&s.post_amount));
            multi += usize::from(s.details_list.len() > 1);
            offline += usize::from(s.trade_type == "2");
        }
        assert!(gifts > 20 && multi > 100 && zero > 0 && offline > 0);
    }
}
