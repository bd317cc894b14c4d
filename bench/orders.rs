//! A deterministic data set of 旺店通 purchase orders (`purchase_order_query`
//! records) for the benchmarks.
//!
//! Order `i` of seed `s` is a pure function of `(s, i)`: the same bytes on
//! every machine and every run. Each order has exactly [`LINES`] lines and
//! every field of the seed's field table (specs/wdt/purchase_order_query.toml)
//! plus the `purchase_id`, `created`, `modified` and `remark` the real API also
//! returns, in the API's order. As 旺店通 sends them, ids, quantities, prices
//! and amounts are JSON strings, the decimals with 4 places, and times are
//! `YYYY-MM-DD HH:MM:SS` in UTC+8. Amounts agree exactly:
//! `tax_price = price × (1 + tax)`, `amount = num × price × discount`,
//! `tax_amount = round4(num × tax_price × discount)`, header sums over lines.
//!
//! Statuses are those a sync reads: audited and later (40–90), and one order
//! in [`CANCELLED_EVERY`] cancelled (`"10"`, which the scheme skips).
//!
//! Used by `benches/mapping` and by the `gen_orders` example
//! (`cargo run --release --example gen_orders -- N`), which the scripts in
//! `bench/` call.

use duijie_maplib::chrono::{DateTime, Duration, FixedOffset, TimeZone};
use duijie_maplib::rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Lines per order.
pub const LINES: usize = 5;

/// One order in this many is cancelled (`status` `"10"`).
pub const CANCELLED_EVERY: u64 = 32;

/// The default seed of the data set.
pub const SEED: u64 = 20_240_131;

/// A SplitMix64 stream.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u64;
        lo + (self.next() % span) as i64
    }

    fn pick<'t, T>(&mut self, table: &'t [T]) -> &'t T {
        &table[(self.next() % table.len() as u64) as usize]
    }

    fn pick_str(&mut self, table: &[&'static str]) -> &'static str {
        table[(self.next() % table.len() as u64) as usize]
    }
}

struct Provider {
    id: u32,
    no: &'static str,
    name: &'static str,
    contact: &'static str,
    telno: &'static str,
}

struct Warehouse {
    id: u32,
    no: &'static str,
    name: &'static str,
    address: &'static str,
}

struct Goods {
    spec_id: u32,
    goods_no: &'static str,
    spec_no: &'static str,
    goods_name: &'static str,
    short_name: &'static str,
    spec_name: &'static str,
    spec_code: &'static str,
    brand_name: &'static str,
    unit: &'static str,
    unit_id: u32,
    weight: &'static str,
    price_cents: i64,
    tax_pct: i64,
}

#[rustfmt::skip]
const PROVIDERS: &[Provider] = &[
    Provider { id: 1, no: "0001", name: "杭州丝路纺织有限公司", contact: "王建国", telno: "0571-86651234" },
    Provider { id: 2, no: "0002", name: "广州白云日化用品有限公司", contact: "李秀英", telno: "020-36250011" },
    Provider { id: 3, no: "0003", name: "义乌市佳佳百货商行", contact: "陈志强", telno: "0579-85321987" },
    Provider { id: 4, no: "0004", name: "深圳市华强电子科技有限公司", contact: "刘洋", telno: "0755-83216655" },
    Provider { id: 5, no: "0005", name: "上海味全食品有限公司", contact: "张丽", telno: "021-64398821" },
    Provider { id: 6, no: "0006", name: "宁波市甬江文具制造有限公司", contact: "周敏", telno: "0574-87665432" },
];

#[rustfmt::skip]
const WAREHOUSES: &[Warehouse] = &[
    Warehouse { id: 1, no: "WH001", name: "杭州主仓", address: "浙江省杭州市余杭区仓前街道文一西路1500号" },
    Warehouse { id: 2, no: "WH002", name: "广州分仓", address: "广东省广州市白云区太和镇大源北路88号" },
    Warehouse { id: 3, no: "WH003", name: "成都分仓", address: "四川省成都市双流区西南航空港经济开发区空港一路6号" },
];

#[rustfmt::skip]
const GOODS: &[Goods] = &[
    Goods { spec_id: 101, goods_no: "G1001", spec_no: "G1001-01", goods_name: "纯棉圆领短袖T恤", short_name: "圆领T恤", spec_name: "白色 L", spec_code: "WL", brand_name: "丝路", unit: "件", unit_id: 1, weight: "0.2000", price_cents: 2350, tax_pct: 13 },
    Goods { spec_id: 102, goods_no: "G1001", spec_no: "G1001-02", goods_name: "纯棉圆领短袖T恤", short_name: "圆领T恤", spec_name: "黑色 XL", spec_code: "BXL", brand_name: "丝路", unit: "件", unit_id: 1, weight: "0.2200", price_cents: 2350, tax_pct: 13 },
    Goods { spec_id: 201, goods_no: "G2001", spec_no: "G2001-01", goods_name: "植物精华洗发水", short_name: "洗发水", spec_name: "500ml 清爽型", spec_code: "500Q", brand_name: "白云", unit: "瓶", unit_id: 2, weight: "0.5600", price_cents: 1890, tax_pct: 13 },
    Goods { spec_id: 301, goods_no: "G3001", spec_no: "G3001-01", goods_name: "不锈钢保温杯", short_name: "保温杯", spec_name: "350ml 磨砂银", spec_code: "350S", brand_name: "佳佳", unit: "个", unit_id: 3, weight: "0.3100", price_cents: 3275, tax_pct: 13 },
    Goods { spec_id: 401, goods_no: "G4001", spec_no: "G4001-01", goods_name: "USB-C 快充数据线", short_name: "数据线", spec_name: "1米 白色", spec_code: "1MW", brand_name: "华强", unit: "根", unit_id: 4, weight: "0.0500", price_cents: 645, tax_pct: 13 },
    Goods { spec_id: 501, goods_no: "G5001", spec_no: "G5001-01", goods_name: "台式香肠（原味）", short_name: "香肠", spec_name: "500g 袋装", spec_code: "500B", brand_name: "味全", unit: "袋", unit_id: 5, weight: "0.5200", price_cents: 2980, tax_pct: 9 },
    Goods { spec_id: 601, goods_no: "G6001", spec_no: "G6001-01", goods_name: "中性笔 0.5mm 黑色", short_name: "中性笔", spec_name: "12支/盒", spec_code: "12B", brand_name: "甬江", unit: "盒", unit_id: 6, weight: "0.1500", price_cents: 1120, tax_pct: 13 },
    Goods { spec_id: 701, goods_no: "G7001", spec_no: "G7001-01", goods_name: "有机黑木耳", short_name: "黑木耳", spec_name: "250g 礼盒", spec_code: "250L", brand_name: "味全", unit: "盒", unit_id: 6, weight: "0.3000", price_cents: 4560, tax_pct: 9 },
];

const STAFF: &[(u32, &str)] = &[
    (11, "赵敏"),
    (12, "钱进"),
    (13, "孙丽华"),
    (14, "李想"),
    (15, "周晓梅"),
    (16, "吴刚"),
];

/// Statuses of audited orders, with weights.
const STATUSES: &[(&str, u32)] = &[
    ("90", 40),
    ("60", 12),
    ("50", 10),
    ("48", 12),
    ("40", 12),
    ("70", 8),
    ("80", 6),
];

const ORDER_REMARKS: &[&str] = &[
    "",
    "",
    "月底前到货",
    "请按箱规发货，外箱贴标签",
    "补货单，优先安排",
    "含样品两件，随货发出",
];

const LINE_REMARKS: &[&str] = &["", "", "", "加急", "质检后入库", "赠品不计价"];

const EMPTY_TIME: &str = "0000-00-00 00:00:00";

/// One line (`details_list` element), fields in the API's order.
#[derive(Serialize)]
struct Line {
    rec_id: String,
    purchase_id: String,
    spec_id: String,
    spec_no: &'static str,
    goods_no: &'static str,
    goods_name: &'static str,
    short_name: &'static str,
    spec_name: &'static str,
    spec_code: &'static str,
    brand_name: &'static str,
    provider_goods_no: String,
    warehouse_id: String,
    num: String,
    num2: String,
    unit_ratio: &'static str,
    unit_id: String,
    base_unit_id: String,
    base_unit: &'static str,
    purchase_unit: &'static str,
    price: String,
    discount: String,
    tax: String,
    tax_price: String,
    amount: String,
    tax_amount: String,
    stockin_num: String,
    stockin_amount: String,
    arrive_num: String,
    stopwait_num: &'static str,
    arrive_more_num: &'static str,
    lack_num: String,
    purchase_price: String,
    last_price: String,
    last_second_price: String,
    lowest_price: String,
    weight: &'static str,
    remark: &'static str,
    prop1: &'static str,
    prop2: &'static str,
    tag: &'static str,
    created: String,
    modified: String,
}

/// One purchase order (`purchase_list` element), fields in the API's order.
#[derive(Serialize)]
struct Order {
    purchase_id: String,
    purchase_no: String,
    purchase_outer_no: String,
    outer_no: String,
    api_outer_no: &'static str,
    status: &'static str,
    order_type: &'static str,
    warehouse_no: &'static str,
    warehouse_name: &'static str,
    provider_id: String,
    provider_no: &'static str,
    provider_name: &'static str,
    contact: &'static str,
    telno: &'static str,
    purchaser_id: String,
    purchaser_name: &'static str,
    receive_address: &'static str,
    logistics_type: &'static str,
    goods_count: String,
    goods_type_count: String,
    goods_arrive_count: String,
    goods_fee: String,
    goods_amount: String,
    tax_fee: String,
    tax_goods_amount: String,
    post_fee: String,
    other_fee: String,
    expect_arrive_time: String,
    creator_id: String,
    creator_name: &'static str,
    check_operator_id: String,
    check_time: String,
    facheck_operator_id: String,
    facheck_time: String,
    wms_outer_no: &'static str,
    wms_status: &'static str,
    error_info: &'static str,
    flag_id: String,
    revert_reason: &'static str,
    version_id: String,
    note_count: String,
    prop_time1: &'static str,
    remark: &'static str,
    created: String,
    modified: String,
    details_list: Vec<Line>,
}

/// A decimal as 旺店通 writes it: 4 places.
fn d4(d: Decimal) -> String {
    let mut d = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(4);
    d.to_string()
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn time(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Order `i` (from 0) of the data set `seed`, as one line of compact JSON
/// (no newline).
pub fn order(seed: u64, i: u64) -> String {
    let mut r = Rng::new(seed, i);
    let id = i + 1;
    // Created in January 2024, spread over the month, in UTC+8.
    let base = cst()
        .with_ymd_and_hms(2024, 1, 1, 8, 0, 0)
        .single()
        .expect("a valid date");
    let created = base + Duration::seconds(r.range(0, 30 * 86_400));
    let checked = created + Duration::seconds(r.range(600, 86_400));
    let modified = checked + Duration::seconds(r.range(60, 3 * 86_400));
    let cancelled = i % CANCELLED_EVERY == CANCELLED_EVERY - 1;
    let status = if cancelled {
        "10"
    } else {
        let total: u32 = STATUSES.iter().map(|s| s.1).sum();
        let mut x = (r.next() % u64::from(total)) as u32;
        let mut pick = STATUSES[0].0;
        for (s, w) in STATUSES {
            if x < *w {
                pick = s;
                break;
            }
            x -= w;
        }
        pick
    };
    let warehouse = r.pick(WAREHOUSES);
    let provider = r.pick(PROVIDERS);
    let creator = r.pick(STAFF);
    let purchaser = r.pick(STAFF);
    let checker = r.pick(STAFF);
    let fachecked = r.range(0, 9) < 3;
    let created_text = time(created);
    let modified_text = time(modified);

    let first = r.next() as usize;
    let mut lines = Vec::with_capacity(LINES);
    let (mut sum_num, mut sum_amount, mut sum_tax_amount, mut sum_arrived) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for j in 0..LINES {
        let g = &GOODS[(first + j) % GOODS.len()];
        let num = Decimal::from(match r.range(0, 9) {
            0..=4 => r.range(1, 50),
            5..=8 => r.range(1, 30) * 10,
            _ => r.range(1, 20) * 100,
        });
        let price_cents = g.price_cents * r.range(92, 108) / 100;
        let price = cents(price_cents);
        let discount = cents(*r.pick(&[100, 100, 100, 100, 100, 98, 95, 90]));
        let tax = cents(g.tax_pct);
        let tax_price = price * (Decimal::ONE + tax);
        let amount = num * price * discount;
        let tax_amount = (num * tax_price * discount)
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
        let stockin_num = match status {
            "60" | "70" | "80" | "90" => num,
            "50" => num / Decimal::from(2),
            _ => Decimal::ZERO,
        }
        .trunc();
        let lack_num = num - stockin_num;
        let last_price = cents(price_cents * r.range(95, 105) / 100);
        let last_second_price = cents(price_cents * r.range(95, 105) / 100);
        let lowest_price = price.min(last_price).min(last_second_price);
        sum_num += num;
        sum_amount += amount;
        sum_tax_amount += tax_amount;
        sum_arrived += stockin_num;
        lines.push(Line {
            rec_id: (id * 10 + j as u64 + 1).to_string(),
            purchase_id: id.to_string(),
            spec_id: g.spec_id.to_string(),
            spec_no: g.spec_no,
            goods_no: g.goods_no,
            goods_name: g.goods_name,
            short_name: g.short_name,
            spec_name: g.spec_name,
            spec_code: g.spec_code,
            brand_name: g.brand_name,
            provider_goods_no: format!("{}-{}", provider.no, g.spec_code),
            warehouse_id: warehouse.id.to_string(),
            num: d4(num),
            num2: d4(num),
            unit_ratio: "1.0000",
            unit_id: g.unit_id.to_string(),
            base_unit_id: g.unit_id.to_string(),
            base_unit: g.unit,
            purchase_unit: g.unit,
            price: d4(price),
            discount: d4(discount),
            tax: d4(tax),
            tax_price: d4(tax_price),
            amount: d4(amount),
            tax_amount: d4(tax_amount),
            stockin_num: d4(stockin_num),
            stockin_amount: d4(stockin_num * price * discount),
            arrive_num: d4(Decimal::ZERO),
            stopwait_num: "0.0000",
            arrive_more_num: "0.0000",
            lack_num: d4(lack_num),
            purchase_price: d4(price),
            last_price: d4(last_price),
            last_second_price: d4(last_second_price),
            lowest_price: d4(lowest_price),
            weight: g.weight,
            remark: r.pick_str(LINE_REMARKS),
            prop1: "",
            prop2: "",
            tag: "",
            created: created_text.clone(),
            modified: modified_text.clone(),
        });
    }

    let order = Order {
        purchase_id: id.to_string(),
        purchase_no: format!("CG{}{:07}", created.format("%Y%m%d"), id),
        purchase_outer_no: if r.range(0, 9) < 3 {
            format!("SO{}", r.range(1_000_000_000, 9_999_999_999))
        } else {
            String::new()
        },
        outer_no: format!("PO{id:08}"),
        api_outer_no: "",
        status,
        order_type: "1",
        warehouse_no: warehouse.no,
        warehouse_name: warehouse.name,
        provider_id: provider.id.to_string(),
        provider_no: provider.no,
        provider_name: provider.name,
        contact: provider.contact,
        telno: provider.telno,
        purchaser_id: purchaser.0.to_string(),
        purchaser_name: purchaser.1,
        receive_address: warehouse.address,
        logistics_type: r.pick_str(&["1", "2", "3"]),
        goods_count: d4(sum_num),
        goods_type_count: LINES.to_string(),
        goods_arrive_count: d4(sum_arrived),
        goods_fee: d4(sum_amount),
        goods_amount: d4(sum_amount),
        tax_fee: d4(sum_tax_amount),
        tax_goods_amount: d4(sum_tax_amount),
        post_fee: d4(cents(*r.pick(&[0, 0, 0, 1000, 2000]))),
        other_fee: d4(Decimal::ZERO),
        expect_arrive_time: time(created + Duration::days(r.range(3, 15))),
        creator_id: creator.0.to_string(),
        creator_name: creator.1,
        check_operator_id: checker.0.to_string(),
        check_time: time(checked),
        facheck_operator_id: if fachecked {
            checker.0.to_string()
        } else {
            "0".to_owned()
        },
        facheck_time: if fachecked {
            time(checked + Duration::seconds(r.range(60, 3600)))
        } else {
            EMPTY_TIME.to_owned()
        },
        wms_outer_no: "",
        wms_status: "0",
        error_info: "",
        flag_id: if r.range(0, 9) == 0 { "1" } else { "0" }.to_owned(),
        revert_reason: "",
        version_id: r.range(1, 5).to_string(),
        note_count: "0".to_owned(),
        prop_time1: EMPTY_TIME,
        remark: r.pick_str(ORDER_REMARKS),
        created: created_text,
        modified: modified_text,
        details_list: lines,
    };
    // Serialising structs of strings cannot fail.
    serde_json::to_string(&order).unwrap_or_default()
}

/// Orders `0..n` of `seed` as JSON Lines (each line ends with `\n`).
pub fn json_lines(seed: u64, n: u64) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&order(seed, i));
        out.push('\n');
    }
    out
}
