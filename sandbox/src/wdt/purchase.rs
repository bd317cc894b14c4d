//! Purchase orders (`purchase_list` elements) of a data set.
//!
//! Amounts are exact decimals and consistent:
//! - line: `tax_price = price × (1 + tax)`, `amount = num × price × discount`,
//!   `tax_amount = round4(num × tax_price × discount)`, `lack_num = num − stockin_num − arrive_num`,
//!   `stockin_amount = stockin_num × price × discount`;
//! - header: `goods_count = Σ num`, `goods_type_count` = lines,
//!   `goods_fee = goods_amount = Σ amount`, `tax_fee = tax_goods_amount = Σ tax_amount`,
//!   `goods_arrive_count = Σ (stockin_num + arrive_num)`.

use rust_decimal::{Decimal, RoundingStrategy};

use super::catalog::{
    Provider, Warehouse, LINE_REMARKS, PROVIDERS, PURCHASE_REMARKS, REVERT_REASONS, STAFF,
    WAREHOUSES,
};
use super::generator::{cents, cst_midnight, d4, Generator, DAY, LINE_COUNT_WEIGHTS};
use super::records::{DocKind, PurchaseDetail, PurchaseOrder};
use crate::clock::{fmt_cst, fmt_cst_compact_date};

impl Generator {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_amounts_are_consistent() {
        let g = Generator::for_tests();
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
}
