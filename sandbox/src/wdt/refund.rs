//! Return stock-ins (`stockin_order_query_refund`): the stock-ins of
//! `order_type` 3 (退货入库) of the data set, goods customers sent back to
//! the shops of [`super::shops`], in this API's own shape. The bill is the
//! one the general query serves (without the quirk `refund-separate`); the
//! return order's shop, buyer and refunded amounts are drawn from
//! `(seed, index)`.
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

use super::catalog::STOCKIN_TYPES;
use super::generator::{cents, d4, Generator, DAY};
use super::records::DocKind;
use super::shops::{Shop, BUYER_NICKS, REFUND_REMARKS, SHOPS, SHOP_WEIGHTS};
use super::REFUND_ORDER_TYPE;
use crate::clock::fmt_cst_compact_date;
use crate::rng::{hash3, Rng};

/// Mixed into the seed of a return's stream.
const TAG: u64 = 0x5245_4655;

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
    /// 3 (退货入库): not in the Y document's table; the classic server
    /// sends the stock-in's fields with it [uncertain].
    pub order_type: String,
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

impl Generator {
    /// Whether stock-in `i` is a return (退货入库, `order_type` 3).
    pub(crate) fn is_refund(&self, i: u32) -> bool {
        STOCKIN_TYPES[self.stockin_keys(i).kind].0 == REFUND_ORDER_TYPE
    }

    /// `RT` + creation date + 7-digit sequence: the return order (退换单)
    /// number of stock-in `i`, its `src_order_no` when it is a return.
    pub(crate) fn refund_src_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::StockIn, i);
        format!("RT{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    /// Stock-in `i`, a return, as `stockin_order_query_refund` answers it
    /// (modified time `modified`); `None` when it is no return. The bill is
    /// the one the general query serves (number, state, times, warehouse,
    /// lines); the shop, buyer, platform order and refunded amounts are the
    /// return order's, drawn from their own stream.
    pub(crate) fn refund(&self, i: u32, modified: i64) -> Option<Refund> {
        if !self.is_refund(i) {
            return None;
        }
        let st = self.stockin(i, modified);
        let (_, _, created) = self.head(DocKind::StockIn, i);
        let mut r = Rng::new(hash3(self.seed, TAG, u64::from(i)));
        let shop: &Shop = &SHOPS[r.weighted(SHOP_WEIGHTS)];
        let id = u64::from(i) + 1;
        let traded = created - r.range(3 * DAY, 20 * DAY);
        let trade_no = format!("JY{}{:07}", fmt_cst_compact_date(traded), id + 5_000_000);
        let tid = format!(
            "{}{}",
            shop.tid_prefix,
            r.range(1_000_000_000_000_000, 9_999_999_999_999_999)
        );
        let datetime = |date: &str| -> String {
            if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() {
                format!("{date} 00:00:00")
            } else {
                NO_DATE.to_owned()
            }
        };
        let dec = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        let details = st
            .details_list
            .into_iter()
            .enumerate()
            .map(|(j, d)| {
                let num = dec(&d.num);
                let price = dec(&d.src_price);
                // Now and then the shop refunds less than the price (a partial refund).
                let refunded = if r.chance(0.1) {
                    num * price * cents(r.range(50, 95))
                } else {
                    num * price
                };
                let defect = r.chance(0.12);
                let batched = !d.batch_no.is_empty();
                RefundDetail {
                    rec_id: d.rec_id,
                    stockin_id: d.stockin_id,
                    src_order_detail_id: (id * 10 + j as u64 + 1).to_string(),
                    barcode: format!("69{:011}", d.spec_id.parse::<u64>().unwrap_or(0)),
                    spec_id: d.spec_id,
                    num: d.num,
                    batch_no: d.batch_no,
                    modified: d.modified,
                    remark: r.pick(REFUND_REMARKS).to_string(),
                    oid: format!("{tid}-{}", j + 1),
                    tid: tid.clone(),
                    spec_no: d.spec_no,
                    goods_name: d.goods_name,
                    goods_no: d.goods_no,
                    spec_name: d.spec_name,
                    expire_date: datetime(&d.expire_date),
                    position_no: d.position_no,
                    production_date: datetime(&d.production_date),
                    // The batch's cost; 0 without a batch.
                    cost_price: if batched {
                        d.cost_price
                    } else {
                        d4(Decimal::ZERO)
                    },
                    stockin_price: d.src_price.clone(),
                    platform_id: shop.platform_id.into(),
                    anchor_id: "0".into(),
                    anchor_name: String::new(),
                    stock_type: if defect { "2".into() } else { "1".into() },
                    actual_refund_amount: d8(refunded),
                    goods_unit: d.goods_unit,
                    src_price: d.src_price,
                    defect: if defect { "1".into() } else { "0".into() },
                }
            })
            .collect();
        Some(Refund {
            stockin_id: st.stockin_id,
            status: st.status.parse().unwrap_or(0),
            refund_id: (id + 700_000).to_string(),
            order_no: st.stockin_no,
            order_type: st.order_type,
            src_order_no: st.src_order_no,
            trade_no,
            check_time: st.check_time,
            stockin_time: st.stockin_time,
            modified: st.modified,
            logistics_id: None,
            logistics_no: st.logistics_no,
            warehouse_id: st.warehouse_id,
            warehouse_no: st.warehouse_no,
            warehouse_name: st.warehouse_name,
            shop_id: shop.id.to_string(),
            shop_no: shop.no.into(),
            shop_name: shop.name.into(),
            platform_id: shop.platform_id.into(),
            buyer_nick: r.pick(BUYER_NICKS).to_string(),
            creator_name: st.operator_name,
            remark: st.remark,
            provider_nick_no: String::new(),
            provider_name: String::new(),
            trans_from_wt: u8::from(r.chance(0.03)),
            details_list: details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_are_the_refund_stock_ins_in_their_own_shape() {
        let g = Generator::for_tests();
        let (mut defects, mut returns) = (0, 0);
        for i in 0..600 {
            let t = g.base_time(DocKind::StockIn, i);
            let st = g.stockin(i, t);
            let Some(r) = g.refund(i, t) else {
                assert_ne!(st.order_type, REFUND_ORDER_TYPE);
                continue;
            };
            returns += 1;
            assert_eq!(
                (&r.order_no, &r.order_type),
                (&st.stockin_no, &st.order_type)
            );
            assert_eq!(r.src_order_no, g.refund_src_no(i));
            assert_eq!(r.status.to_string(), st.status);
            assert_eq!(r.details_list.len(), st.details_list.len());
            for (d, s) in r.details_list.iter().zip(&st.details_list) {
                assert_eq!((&d.spec_no, &d.num), (&s.spec_no, &s.num));
                let num: Decimal = d.num.parse().unwrap();
                let price: Decimal = d.stockin_price.parse().unwrap();
                let refunded: Decimal = d.actual_refund_amount.parse().unwrap();
                assert!(refunded <= num * price && refunded > Decimal::ZERO);
                assert_eq!(d.actual_refund_amount.split('.').nth(1).unwrap().len(), 8);
                assert!(d.production_date.len() == 19, "{}", d.production_date);
                defects += usize::from(d.stock_type == "2");
            }
            let json = serde_json::to_value(&r).unwrap();
            assert!(json["status"].is_number() && json["logistics_id"].is_null());
        }
        assert!(
            returns > 50 && defects > 5,
            "{returns} returns, {defects} defects"
        );
    }
}
