//! The two kinds of generated 旺店通 documents as the APIs serve them:
//! purchase orders (`purchase_order_query`) and stock-in bills
//! (`stockin_order_query`, Qimen `wdt.stockin.order.query`), fields in the
//! API's order.
//!
//! Every field of the seed tables (shared/seeds, specs/wdt) is present, plus
//! the header `purchase_id`/`stockin_id`, `created` and `modified` the real
//! API also returns. Ids, quantities, prices and amounts are strings, the
//! decimals with 4 places; times are `YYYY-MM-DD HH:MM:SS` in UTC+8. They are
//! made by [`super::generator::Generator`].

use serde::Serialize;

/// The two generated document kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// 采购单 (`purchase_order_query`), id = `purchase_id`.
    PurchaseOrder,
    /// 入库单 (`stockin_order_query`, Qimen `wdt.stockin.order.query`), id = `stockin_id`.
    StockIn,
}

impl DocKind {
    /// Mixed into the seed of a document's stream.
    pub(super) fn tag(self) -> u64 {
        match self {
            DocKind::PurchaseOrder => 0x5055_5243,
            DocKind::StockIn => 0x5354_4b49,
        }
    }
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
