//! `maps/wdt_purchase_to_kingdee.map` written by hand with serde: the
//! yardstick for "as fast as Rust can do it with serde".
//!
//! Borrowed typed structs in (`Cow<'a, str>` borrows unless the JSON string
//! has escapes; unknown fields are skipped by serde), typed structs out,
//! values through the same `maplib` functions the compiled code and the
//! interpreter call (exact decimals, integers, date-times in UTC+8), so the
//! output is byte for byte that of the compiled scheme. What a careful person
//! would do by hand (the generated code now does all but the fourth, and
//! writes the bill with its own `write_json` rather than with serde):
//! - one pass over the record (serde's visitor), no raw re-scans;
//! - decimals written from a stack buffer (no `String` per value);
//! - the date written with `collect_str` (no `String`);
//! - `provider_id` parsed once per order, not per line;
//! - the one-element `FPOOrderEntry_Link` as an array, not a `Vec`.
//!
//! [`map_record_ser_dec`] is the same mapping writing decimals with
//! `maplib::json::ser::dec` (the `serialize_with` function for a `Decimal`
//! field of a serde struct), to measure what that costs.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use duijie_maplib::chrono::{FixedOffset, NaiveDate};
use duijie_maplib::rust_decimal::Decimal;
use duijie_maplib::serde_json::{self, value::RawValue};
use duijie_maplib::{dec, time};
use serde::{Deserialize, Serialize, Serializer};

const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Why a record could not be mapped (the benchmark data set has none).
#[derive(Debug)]
pub struct Error(pub String);

impl<E: fmt::Display> From<E> for Error {
    fn from(e: E) -> Error {
        Error(e.to_string())
    }
}

/// A `purchase_list` record: the fields the mapping reads.
#[derive(Deserialize)]
struct Order<'a> {
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    purchase_no: Option<Cow<'a, str>>,
    #[serde(borrow)]
    check_time: Cow<'a, str>,
    #[serde(borrow, default)]
    provider_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    details_list: Vec<Line<'a>>,
}

/// A `details_list` element: the fields the mapping reads.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    num: Cow<'a, str>,
    #[serde(borrow)]
    price: Cow<'a, str>,
    #[serde(borrow)]
    tax: Cow<'a, str>,
    #[serde(borrow)]
    tax_amount: Cow<'a, str>,
    #[serde(borrow)]
    rec_id: Cow<'a, str>,
    #[serde(borrow)]
    tax_price: Cow<'a, str>,
}

/// A decimal written as a JSON number with its exact text, from a stack
/// buffer.
struct Dec(Decimal);

/// Text of at most 64 bytes on the stack (a decimal's is at most 31).
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = StackText {
            bytes: [0; 64],
            len: 0,
        };
        write!(text, "{}", self.0).map_err(serde::ser::Error::custom)?;
        let text =
            std::str::from_utf8(&text.bytes[..text.len]).map_err(serde::ser::Error::custom)?;
        let raw: &RawValue = serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// A decimal written by `maplib::json::ser::dec` (text on the stack, then a
/// borrowed `RawValue`).
struct MaplibDec(Decimal);

impl Serialize for MaplibDec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        duijie_maplib::json::ser::dec(&self.0, s)
    }
}

/// A date written as `YYYY-MM-DD`.
struct Date(NaiveDate);

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct Number<'a> {
    #[serde(rename = "FNumber")]
    f_number: &'a str,
}

#[derive(Serialize)]
struct Bill<'a, D> {
    #[serde(rename = "FBillNo", skip_serializing_if = "Option::is_none")]
    f_bill_no: Option<&'a str>,
    #[serde(rename = "FDate")]
    f_date: Date,
    #[serde(rename = "FPurchaseOrgId")]
    f_purchase_org_id: Number<'a>,
    #[serde(rename = "FSupplierId")]
    f_supplier_id: Number<'a>,
    #[serde(rename = "FBillTypeID")]
    f_bill_type_id: BillType<'a>,
    #[serde(rename = "FBusinessType")]
    f_business_type: &'a str,
    #[serde(rename = "FPOOrderEntry")]
    fpo_order_entry: Vec<Entry<'a, D>>,
}

#[derive(Serialize)]
struct BillType<'a> {
    #[serde(rename = "FNUMBER")]
    fnumber: &'a str,
}

#[derive(Serialize)]
struct Entry<'a, D> {
    #[serde(rename = "FMaterialId")]
    f_material_id: Number<'a>,
    #[serde(rename = "FQty")]
    f_qty: D,
    #[serde(rename = "FPrice")]
    f_price: D,
    #[serde(rename = "FEntryTaxRate")]
    f_entry_tax_rate: D,
    #[serde(rename = "FAllAmount")]
    f_all_amount: D,
    #[serde(rename = "FEntryNote")]
    f_entry_note: &'a str,
    #[serde(rename = "FTaxPrice")]
    f_tax_price: D,
    #[serde(rename = "FReceiveOrgId")]
    f_receive_org_id: Number<'a>,
    #[serde(rename = "FRequireOrgId")]
    f_require_org_id: Number<'a>,
    #[serde(rename = "FEntryPayOrgId")]
    f_entry_pay_org_id: Number<'a>,
    #[serde(rename = "FEntrySettleOrgId")]
    f_entry_settle_org_id: Number<'a>,
    #[serde(rename = "FPOOrderEntry_Link")]
    fpo_order_entry_link: [Link<'a>; 1],
}

#[derive(Serialize)]
struct Link<'a> {
    #[serde(rename = "FPOOrderEntry_Link_FRuleId")]
    rule_id: &'a str,
    #[serde(rename = "FPOOrderEntry_Link_FSTableName")]
    s_table_name: &'a str,
    #[serde(
        rename = "FPOOrderEntry_Link_FSBillId",
        skip_serializing_if = "Option::is_none"
    )]
    s_bill_id: Option<i64>,
    #[serde(rename = "FPOOrderEntry_Link_FSId")]
    s_id: i64,
}

/// `ORG_PURCHASE` of `maps/shared/kingdee_codes.map`.
const ORG_PURCHASE: &str = "100";

fn zone() -> Result<FixedOffset, Error> {
    FixedOffset::east_opt(8 * 3600).ok_or_else(|| Error("bad offset".into()))
}

fn map_with<D: Serialize>(
    text: &str,
    out: &mut Vec<u8>,
    decimal: fn(Decimal) -> D,
) -> Result<bool, Error> {
    let order: Order<'_> = serde_json::from_str(text)?;
    // skip if status in ["10", "20", "30", "35"]
    if matches!(order.status.as_deref(), Some("10" | "20" | "30" | "35")) {
        return Ok(false);
    }
    let checked = time::parse_datetime(&order.check_time, DATETIME_FORMAT, zone()?)
        .map_err(|e| Error(e.reason))?;
    let bill_id = match order.provider_id.as_deref() {
        Some(id) => Some(dec::parse_int(id).map_err(|e| Error(e.reason))?),
        None => None,
    };
    let org = || Number {
        f_number: ORG_PURCHASE,
    };
    let parse = |t: &str| dec::parse_dec(t).map(decimal).map_err(|e| Error(e.reason));
    let mut entries = Vec::with_capacity(order.details_list.len());
    for line in &order.details_list {
        entries.push(Entry {
            f_material_id: Number { f_number: "A01" },
            f_qty: parse(&line.num)?,
            f_price: parse(&line.price)?,
            f_entry_tax_rate: parse(&line.tax)?,
            f_all_amount: parse(&line.tax_amount)?,
            f_entry_note: &line.rec_id,
            f_tax_price: parse(&line.tax_price)?,
            f_receive_org_id: org(),
            f_require_org_id: org(),
            f_entry_pay_org_id: org(),
            f_entry_settle_org_id: org(),
            fpo_order_entry_link: [Link {
                rule_id: "PUR_Requisition-PUR_PurchaseOrder",
                s_table_name: "T_PUR_POORDER",
                s_bill_id: bill_id,
                s_id: dec::parse_int(&line.rec_id).map_err(|e| Error(e.reason))?,
            }],
        });
    }
    let bill = Bill {
        f_bill_no: order.purchase_no.as_deref(),
        f_date: Date(time::date_of(&checked, None)),
        f_purchase_org_id: org(),
        f_supplier_id: Number { f_number: "0003" },
        f_bill_type_id: BillType {
            fnumber: "CGDD01_SYS",
        },
        f_business_type: "CG",
        fpo_order_entry: entries,
    };
    serde_json::to_writer(&mut *out, &bill)?;
    Ok(true)
}

/// Maps one record, appending the bill to `out`: `Ok(true)` for a bill,
/// `Ok(false)` when the record is skipped (cancelled or not yet audited).
pub fn map_record(text: &str, out: &mut Vec<u8>) -> Result<bool, Error> {
    map_with(text, out, Dec)
}

/// [`map_record`] writing decimals with `maplib::json::ser::dec`.
pub fn map_record_ser_dec(text: &str, out: &mut Vec<u8>) -> Result<bool, Error> {
    map_with(text, out, MaplibDec)
}
