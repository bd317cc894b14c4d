//! The shops of the generated sales: each a 旺店通 shop (`shop_no`) of one
//! platform, which the library schemes map to one 金蝶 customer (the
//! Kingdee sandbox's built-in `BD_Customer` numbers are these shops'
//! customers, `KH0001`–`KH0006`).

pub(crate) struct Shop {
    pub id: u32,
    pub no: &'static str,
    pub name: &'static str,
    /// 旺店通's platform code (1 淘宝/天猫, 3 京东, 69 抖音, 32 拼多多, 56 小红书, 0 线下).
    pub platform_id: &'static str,
    /// Its Kingdee customer.
    pub customer: &'static str,
    /// The platform's order-number prefix (empty for the offline shop).
    pub tid_prefix: &'static str,
}

#[rustfmt::skip]
pub(crate) const SHOPS: &[Shop] = &[
    Shop { id: 1, no: "TM001", name: "优选生活天猫旗舰店", platform_id: "1", customer: "KH0001", tid_prefix: "" },
    Shop { id: 2, no: "JD001", name: "优选生活京东专营店", platform_id: "3", customer: "KH0002", tid_prefix: "" },
    Shop { id: 3, no: "DY001", name: "优选生活抖音小店", platform_id: "69", customer: "KH0003", tid_prefix: "" },
    Shop { id: 4, no: "PDD01", name: "优选生活拼多多店", platform_id: "32", customer: "KH0004", tid_prefix: "PDD" },
    Shop { id: 5, no: "XHS01", name: "优选生活小红书店", platform_id: "56", customer: "KH0005", tid_prefix: "P" },
    Shop { id: 6, no: "MD001", name: "杭州湖滨线下门店", platform_id: "0", customer: "KH0006", tid_prefix: "MD" },
];

/// Weights of `SHOPS` in the generated sales.
pub(crate) const SHOP_WEIGHTS: &[u32] = &[35, 20, 20, 12, 8, 5];

pub(crate) const BUYER_NICKS: &[&str] = &[
    "小鹿乱撞2019",
    "tb_8823461",
    "jd_张先生",
    "爱吃火锅的猫",
    "王女士138****5521",
    "momo妈妈",
    "快乐星球小李",
    "Lucy_上海",
];

pub(crate) const CS_REMARKS: &[&str] = &[
    "",
    "",
    "",
    "",
    "顺丰包邮",
    "加急发货",
    "已备注赠品",
    "发票随货",
];

pub(crate) const REFUND_REMARKS: &[&str] = &[
    "",
    "",
    "",
    "七天无理由",
    "尺码不合适",
    "外包装破损",
    "质量问题",
];
