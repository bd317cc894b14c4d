//! Purchase stock-ins (`stockin_order_query_purchase`): the stock-in bills
//! of type 1 (采购入库) of the data set, in the shape of the purchase
//! stock-in query — with their purchase order's `purchase_no`,
//! `provider_no` and `provider_name`, and each line's purchase-order line
//! (`src_order_detail_id`), quantity `goods_count`.
//!
//! 旺店通 receives goods only against an audited purchase order: a
//! generated stock-in whose order is not audited (status below 40) is not a
//! purchase stock-in this query returns.

use serde::Serialize;

use super::generator::Generator;
use super::records::{DocKind, StockinOrder};

/// One line of a purchase stock-in.
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseInDetail {
    pub rec_id: String,
    pub src_order_detail_id: String,
    pub spec_no: String,
    pub goods_no: String,
    pub goods_name: String,
    pub spec_name: String,
    pub spec_code: String,
    pub brand_no: String,
    pub brand_name: String,
    pub goods_unit: String,
    pub goods_count: String,
    pub cost_price: String,
    pub src_price: String,
    pub tax: String,
    pub tax_price: String,
    pub tax_amount: String,
    pub total_cost: String,
    pub right_num: String,
    pub right_price: String,
    pub right_cost: String,
    pub batch_no: String,
    pub production_date: String,
    pub expire_date: String,
    pub remark: String,
}

/// A purchase stock-in (`stockin_list` element of the purchase query).
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseIn {
    pub stockin_id: String,
    pub stockin_no: String,
    pub order_no: String,
    pub status: String,
    pub order_type: String,
    pub order_type_name: String,
    pub src_order_no: String,
    pub purchase_no: String,
    pub provider_no: String,
    pub provider_name: String,
    pub warehouse_id: String,
    pub warehouse_no: String,
    pub warehouse_name: String,
    pub outer_no: String,
    pub stockin_time: String,
    pub check_time: String,
    pub created_time: String,
    pub modified: String,
    pub remark: String,
    pub stockin_reason: String,
    pub goods_count: String,
    pub goods_amount: String,
    pub total_price: String,
    pub discount: String,
    pub tax_amount: String,
    pub post_fee: String,
    pub other_fee: String,
    pub right_nums: String,
    pub right_price: String,
    pub logistics_type: String,
    pub logistics_code: String,
    pub logistics_name: String,
    pub logistics_no: String,
    pub details_list: Vec<PurchaseInDetail>,
}

/// Purchase order statuses from which goods can be received (已审核 and after).
fn receivable(status: &str) -> bool {
    status.parse::<u32>().is_ok_and(|s| s >= 40)
}

impl Generator {
    /// The purchase order stock-in `i` receives, when it is a purchase
    /// stock-in of an audited order.
    pub(crate) fn purchase_in_order(&self, i: u32) -> Option<u32> {
        let p = self.stockin_keys(i).purchase?;
        receivable(self.purchase_keys(p).status).then_some(p)
    }

    /// Stock-in `i` as the purchase stock-in query serves it (`None` when it
    /// is not one), with its current modified time `modified`.
    pub(crate) fn purchase_in(&self, i: u32, modified: i64) -> Option<PurchaseIn> {
        let p = self.purchase_in_order(i)?;
        let st: StockinOrder = self.stockin(i, modified);
        let po = self.purchase(p, self.base_time(DocKind::PurchaseOrder, p));
        let dec = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap_or_default();
        let count: rust_decimal::Decimal = st.details_list.iter().map(|d| dec(&d.num)).sum();
        let tax_amount: rust_decimal::Decimal =
            st.details_list.iter().map(|d| dec(&d.tax_amount)).sum();
        let discount: rust_decimal::Decimal =
            st.details_list.iter().map(|d| dec(&d.discount)).sum();
        let d4 = super::generator::d4;
        let details = st
            .details_list
            .into_iter()
            .map(|d| PurchaseInDetail {
                rec_id: d.rec_id,
                src_order_detail_id: d.src_order_detail_id,
                spec_no: d.spec_no,
                goods_no: d.goods_no,
                goods_name: d.goods_name,
                spec_name: d.spec_name,
                spec_code: d.spec_code,
                brand_no: d.brand_no,
                brand_name: d.brand_name,
                goods_unit: d.goods_unit,
                goods_count: d.num,
                cost_price: d.cost_price,
                src_price: d.src_price,
                tax: d.tax,
                tax_price: d.tax_price,
                tax_amount: d.tax_amount,
                total_cost: d.total_cost,
                right_num: d.right_num,
                right_price: d.right_price,
                right_cost: d.right_cost,
                batch_no: d.batch_no,
                production_date: d.production_date,
                expire_date: d.expire_date,
                remark: d.remark,
            })
            .collect();
        Some(PurchaseIn {
            stockin_id: st.stockin_id,
            order_no: st.stockin_no.clone(),
            stockin_no: st.stockin_no,
            status: st.status,
            order_type: st.order_type,
            order_type_name: st.order_type_name,
            src_order_no: st.src_order_no,
            purchase_no: po.purchase_no,
            provider_no: po.provider_no,
            provider_name: po.provider_name,
            warehouse_id: st.warehouse_id,
            warehouse_no: st.warehouse_no,
            warehouse_name: st.warehouse_name,
            outer_no: st.outer_no,
            stockin_time: st.stockin_time,
            check_time: st.check_time,
            created_time: st.created_time,
            modified: st.modified,
            remark: st.remark,
            stockin_reason: st.stockin_reason,
            goods_count: d4(count),
            goods_amount: st.goods_amount.clone(),
            total_price: st.total_price,
            discount: d4(discount),
            tax_amount: d4(tax_amount),
            post_fee: st.post_fee,
            other_fee: st.other_fee,
            right_nums: d4(count),
            right_price: st.goods_amount,
            logistics_type: st.logistics_type,
            logistics_code: String::new(),
            logistics_name: String::new(),
            logistics_no: st.logistics_no,
            details_list: details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_stockins_name_an_audited_order_and_its_lines() {
        let g = Generator::for_tests();
        let mut seen = 0;
        for i in 0..200 {
            let Some(p) = g.purchase_in(i, g.base_time(DocKind::StockIn, i)) else {
                if let Some(po) = g.stockin_keys(i).purchase {
                    assert!(!receivable(g.purchase_keys(po).status));
                }
                continue;
            };
            seen += 1;
            let po = g.purchase(i % 100, 0);
            assert!(receivable(&po.status));
            assert_eq!(
                (&p.purchase_no, &p.src_order_no),
                (&po.purchase_no, &po.purchase_no)
            );
            assert_eq!(p.provider_no, po.provider_no);
            let lines: Vec<&str> = po.details_list.iter().map(|d| d.rec_id.as_str()).collect();
            for d in &p.details_list {
                assert!(lines.contains(&d.src_order_detail_id.as_str()));
            }
        }
        assert!(seen > 30, "{seen}");
    }
}
