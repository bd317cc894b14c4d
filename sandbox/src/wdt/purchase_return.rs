//! Purchase returns (`stockout_order_query_return`): goods sent back to the
//! supplier of a purchase stock-in ([`super::purchase_in`]), one 采购退货出库
//! for about a third of the purchase stock-ins, drawn from `(seed, index)`.
//! A return has the stock-in's index, so the stock-ins' modified-time index
//! orders and windows them; it is dated (created, shipped, modified) at that
//! time.
//!
//! A return names the stock-in's supplier (`provider_no`) and purchase order
//! (`purchase_no`); each line returns part of the received quantity (now and
//! then none: a line with `goods_count` 0, never every line) at the line's
//! tax-included price.
//! Most are 已完成 (110) or 已发货 (95); some are still 已审核 (55) or
//! cancelled (5), which the API leaves out unless they are asked for.
//! Ids, quantities (4 decimals) and amounts are strings.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::generator::{d4, Generator};
use super::records::DocKind;
use crate::clock::{fmt_cst, fmt_cst_compact_date};
use crate::rng::{hash3, Rng};

/// Mixed into the seed of a return's stream.
const TAG: u64 = 0x5055_5254;

/// Statuses of the returns and their weights: 已完成, 已发货, 已审核, 已取消.
const STATUSES: &[(&str, u32)] = &[("110", 70), ("95", 15), ("55", 8), ("5", 7)];

/// Why goods go back to the supplier.
const REMARKS: &[&str] = &[
    "临期退回",
    "质量问题退货",
    "多发退回",
    "",
    "包装破损退回",
    "",
];

/// One line of a purchase return.
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseReturnDetail {
    pub rec_id: String,
    pub spec_no: String,
    pub goods_no: String,
    pub goods_name: String,
    pub spec_name: String,
    pub barcode: String,
    pub goods_count: String,
    pub goods_unit: String,
    pub price: String,
    pub cost_price: String,
    pub tax: String,
    pub total_amount: String,
    pub batch_no: String,
    pub position_no: String,
    pub remark: String,
}

/// A purchase return stock-out (`stockout_list` element).
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseReturn {
    pub stockout_id: String,
    pub order_no: String,
    pub src_order_no: String,
    pub order_type: String,
    pub status: String,
    pub consign_time: String,
    pub created: String,
    pub modified: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub provider_no: String,
    pub provider_name: String,
    pub purchase_no: String,
    pub goods_count: String,
    pub goods_amount: String,
    pub logistics_no: String,
    pub operator_name: String,
    pub remark: String,
    pub details_list: Vec<PurchaseReturnDetail>,
}

impl Generator {
    fn return_stream(&self, i: u32) -> Rng {
        Rng::new(hash3(self.seed, TAG, u64::from(i)))
    }

    /// Whether purchase stock-in `i` has a return.
    pub(crate) fn is_purchase_return(&self, i: u32) -> bool {
        self.purchase_in_order(i).is_some() && self.return_stream(i).chance(0.35)
    }

    /// The status of the return of stock-in `i` (drawn after the choice).
    pub(crate) fn purchase_return_status(&self, i: u32) -> &'static str {
        let mut r = self.return_stream(i);
        r.chance(0.35);
        let weights: Vec<u32> = STATUSES.iter().map(|(_, w)| *w).collect();
        STATUSES[r.weighted(&weights)].0
    }

    /// `CK` + creation date + `9` + 7-digit sequence: the stock-out number
    /// of the return of stock-in `i`.
    pub(crate) fn purchase_return_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::StockIn, i);
        format!(
            "CK{}9{:07}",
            fmt_cst_compact_date(created),
            u64::from(i) + 1
        )
    }

    /// `CT` + creation date + 7-digit sequence: its 采购退货单 number.
    pub(crate) fn purchase_return_src_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::StockIn, i);
        format!("CT{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    /// The return of stock-in `i` as `stockout_order_query_return` serves
    /// it, modified (and shipped) at `modified`; `None` when it has none.
    pub(crate) fn purchase_return(&self, i: u32, modified: i64) -> Option<PurchaseReturn> {
        if !self.is_purchase_return(i) {
            return None;
        }
        let status = self.purchase_return_status(i);
        let pi = self.purchase_in(i, modified)?;
        let mut r = self.return_stream(i);
        r.chance(0.35);
        let _ = r.next_u64();
        let id = u64::from(i) + 1;
        let dec = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        let mut count = Decimal::ZERO;
        let mut amount = Decimal::ZERO;
        let details: Vec<PurchaseReturnDetail> = pi
            .details_list
            .into_iter()
            .enumerate()
            .map(|(j, d)| {
                let received = dec(&d.goods_count).trunc();
                let most = received.to_i64().unwrap_or(0).max(0);
                // A line with nothing sent back only beside one with goods: a
                // shipped return carries goods.
                let back = if most == 0 || (!count.is_zero() && r.chance(0.15)) {
                    0
                } else {
                    r.range(1, most.min(20))
                };
                let qty = Decimal::from(back);
                let price = dec(&d.tax_price);
                let total = qty * price;
                count += qty;
                amount += total;
                PurchaseReturnDetail {
                    rec_id: (id * 10 + j as u64 + 1 + 9_000_000).to_string(),
                    barcode: format!("69{:011}", id * 10 + j as u64),
                    spec_no: d.spec_no,
                    goods_no: d.goods_no,
                    goods_name: d.goods_name,
                    spec_name: d.spec_name,
                    goods_count: d4(qty),
                    goods_unit: d.goods_unit,
                    price: d.tax_price,
                    cost_price: d.cost_price,
                    tax: d.tax,
                    total_amount: d4(total),
                    batch_no: d.batch_no,
                    position_no: "ZANCUN".into(),
                    remark: r.pick(REMARKS).to_string(),
                }
            })
            .collect();
        let shipped = matches!(status, "95" | "110");
        Some(PurchaseReturn {
            stockout_id: (id + 900_000).to_string(),
            order_no: self.purchase_return_no(i),
            src_order_no: self.purchase_return_src_no(i),
            order_type: "3".into(),
            status: status.into(),
            consign_time: if shipped {
                fmt_cst(modified)
            } else {
                String::new()
            },
            created: fmt_cst(modified - r.range(600, 8 * 3600)),
            modified: fmt_cst(modified),
            warehouse_no: pi.warehouse_no,
            warehouse_name: pi.warehouse_name,
            provider_no: pi.provider_no,
            provider_name: pi.provider_name,
            purchase_no: pi.purchase_no,
            goods_count: d4(count),
            goods_amount: d4(amount),
            logistics_no: format!("SF{:012}", id + 880_000_000_000),
            operator_name: r.pick(OPERATORS).to_string(),
            remark: r.pick(REMARKS).to_string(),
            details_list: details,
        })
    }
}

/// Who ships returns.
const OPERATORS: &[&str] = &["王采购", "李仓管", "张敏"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_name_their_stock_ins_supplier_and_return_part_of_what_came_in() {
        let g = Generator::for_tests();
        let (mut returns, mut zero_lines, mut unshipped) = (0, 0, 0);
        for i in 0..600 {
            let t = g.base_time(DocKind::StockIn, i);
            let Some(r) = g.purchase_return(i, t) else {
                continue;
            };
            returns += 1;
            let pi = g.purchase_in(i, t).unwrap();
            assert_eq!(
                (&r.provider_no, &r.purchase_no),
                (&pi.provider_no, &pi.purchase_no)
            );
            assert_eq!(r.order_no, g.purchase_return_no(i));
            assert_eq!(r.status, g.purchase_return_status(i));
            unshipped += usize::from(r.consign_time.is_empty());
            for (d, p) in r.details_list.iter().zip(&pi.details_list) {
                let back: Decimal = d.goods_count.parse().unwrap();
                let came: Decimal = p.goods_count.parse().unwrap();
                assert!(back <= came, "{back} > {came}");
                zero_lines += usize::from(back.is_zero());
            }
        }
        assert!(
            returns > 30 && zero_lines > 0 && unshipped > 0,
            "{returns} {zero_lines} {unshipped}"
        );
    }
}
