//! Stock-in bills (`stockin_list` elements) of a data set.
//!
//! Amounts are exact decimals and consistent:
//! - line: `tax_price = cost_price × (1 + tax)`, `total_cost = right_cost = num × cost_price`,
//!   `tax_amount = num × tax_price`;
//! - header: `goods_amount = Σ total_cost`, `total_price = goods_amount − Σ discount`.
//!
//! A purchase stock-in (`order_type` 1) receives the lines of purchase order
//! `i mod N` (`src_order_no` = its `purchase_no`, `src_order_detail_id` = its
//! lines' `rec_id`).

use rust_decimal::Decimal;

use super::catalog::{
    Goods, Warehouse, GOODS, LINE_REMARKS, OTHER_STOCKIN_REASONS, PURCHASE_REMARKS, STAFF,
    STOCKIN_TYPES, WAREHOUSES,
};
use super::generator::{cents, d4, Generator, DAY, LINE_COUNT_WEIGHTS};
use super::records::{DocKind, StockinDetail, StockinOrder};
use crate::clock::{fmt_cst, fmt_cst_compact_date, fmt_cst_date};

impl Generator {
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
            (None, "3") => {
                // The stream draws a number as the other types do.
                let _ = r.range(1, 99_999);
                ("0".into(), self.refund_src_no(i), Self::stockin_outer_no(i))
            }
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

    #[test]
    fn purchase_stockins_receive_their_order() {
        let g = Generator::for_tests();
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
