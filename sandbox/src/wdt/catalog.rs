//! The fixed master data behind the generated 旺店通 documents: suppliers,
//! warehouses, goods and staff. It does not depend on the seed, so the
//! Kingdee sandbox's built-in base data can list every code the documents
//! use (`provider_no`, `warehouse_no`, `spec_no`).

pub(crate) struct Provider {
    pub id: u32,
    pub no: &'static str,
    pub name: &'static str,
    pub contact: &'static str,
    pub telno: &'static str,
}

pub(crate) struct Warehouse {
    pub id: u32,
    pub no: &'static str,
    pub name: &'static str,
    pub address: &'static str,
    /// A storage position of the warehouse (`position_no`, `position_id`).
    pub position: (&'static str, u32),
}

pub(crate) struct Goods {
    pub spec_id: u32,
    pub goods_no: &'static str,
    pub spec_no: &'static str,
    pub goods_name: &'static str,
    pub short_name: &'static str,
    pub spec_name: &'static str,
    pub spec_code: &'static str,
    pub brand_no: &'static str,
    pub brand_name: &'static str,
    pub unit: &'static str,
    pub unit_id: u32,
    /// Weight in kg, 4 decimals.
    pub weight: &'static str,
    /// Usual purchase price in cents (tax excluded).
    pub price_cents: i64,
    /// Tax rate in hundredths (13 = 0.13).
    pub tax_pct: i64,
    /// Shelf life in days; 0 = not batch-managed.
    pub shelf_days: u32,
}

pub(crate) struct Staff {
    pub id: u32,
    pub name: &'static str,
}

#[rustfmt::skip]
pub(crate) const PROVIDERS: &[Provider] = &[
    Provider { id: 1, no: "0001", name: "杭州丝路纺织有限公司", contact: "王建国", telno: "0571-86651234" },
    Provider { id: 2, no: "0002", name: "广州白云日化用品有限公司", contact: "李秀英", telno: "020-36250011" },
    Provider { id: 3, no: "0003", name: "义乌市佳佳百货商行", contact: "陈志强", telno: "0579-85321987" },
    Provider { id: 4, no: "0004", name: "深圳市华强电子科技有限公司", contact: "刘洋", telno: "0755-83216655" },
    Provider { id: 5, no: "0005", name: "上海味全食品有限公司", contact: "张丽", telno: "021-64398821" },
    Provider { id: 6, no: "0006", name: "宁波市甬江文具制造有限公司", contact: "周敏", telno: "0574-87665432" },
    Provider { id: 7, no: "0007", name: "佛山市南海家居用品厂", contact: "黄伟", telno: "0757-86223345" },
    Provider { id: 8, no: "0008", name: "青岛海之源水产有限公司", contact: "孙涛", telno: "0532-85971122" },
    Provider { id: 9, no: "0009", name: "成都蜀香调味品有限公司", contact: "杨帆", telno: "028-85443210" },
    Provider { id: 10, no: "0010", name: "东莞市智联数码配件有限公司", contact: "吴静", telno: "0769-22886677" },
    Provider { id: 11, no: "0011", name: "温州市瓯海鞋业有限公司", contact: "郑海峰", telno: "0577-86781234" },
    Provider { id: 12, no: "0012", name: "苏州洁净母婴用品有限公司", contact: "朱琳", telno: "0512-62558899" },
];

#[rustfmt::skip]
pub(crate) const WAREHOUSES: &[Warehouse] = &[
    Warehouse { id: 1, no: "CK001", name: "北京顺义仓", address: "北京市顺义区空港工业区B区裕华路28号", position: ("A-01-01", 101) },
    Warehouse { id: 2, no: "CK002", name: "上海嘉定仓", address: "上海市嘉定区马陆镇宝安公路2999号3号库", position: ("B-02-03", 203) },
    Warehouse { id: 3, no: "CK003", name: "广州白云仓", address: "广州市白云区太和镇大源北路88号", position: ("C-01-05", 305) },
    Warehouse { id: 4, no: "CK004", name: "成都双流仓", address: "成都市双流区西航港大道中四段518号", position: ("D-03-02", 402) },
    Warehouse { id: 5, no: "CK005", name: "武汉东西湖仓", address: "武汉市东西湖区走马岭汇通大道9号", position: ("E-02-01", 501) },
    Warehouse { id: 6, no: "CK006", name: "杭州萧山退货仓", address: "杭州市萧山区空港经济区保税大道168号", position: ("TH-01-01", 601) },
];

macro_rules! goods {
    ($id:expr, $gno:expr, $sno:expr, $name:expr, $short:expr, $spec:expr, $code:expr, $bno:expr, $brand:expr, $unit:expr, $uid:expr, $w:expr, $cents:expr, $tax:expr, $shelf:expr) => {
        Goods {
            spec_id: $id,
            goods_no: $gno,
            spec_no: $sno,
            goods_name: $name,
            short_name: $short,
            spec_name: $spec,
            spec_code: $code,
            brand_no: $bno,
            brand_name: $brand,
            unit: $unit,
            unit_id: $uid,
            weight: $w,
            price_cents: $cents,
            tax_pct: $tax,
            shelf_days: $shelf,
        }
    };
}

#[rustfmt::skip]
pub(crate) const GOODS: &[Goods] = &[
    goods!(1001, "G1001", "G1001-01", "纯棉圆领短袖T恤", "圆领T恤", "白色 L", "WH-L", "PP01", "优衣坊", "件", 1, "0.2500", 2990, 13, 0),
    goods!(1002, "G1001", "G1001-02", "纯棉圆领短袖T恤", "圆领T恤", "黑色 XL", "BK-XL", "PP01", "优衣坊", "件", 1, "0.2600", 2990, 13, 0),
    goods!(1003, "G1002", "G1002-01", "加绒连帽卫衣", "连帽卫衣", "灰色 M", "GY-M", "PP01", "优衣坊", "件", 1, "0.6800", 8900, 13, 0),
    goods!(1004, "G1003", "G1003-01", "弹力修身牛仔裤", "牛仔裤", "深蓝 30码", "DB-30", "PP02", "蓝调", "条", 2, "0.5500", 7550, 13, 0),
    goods!(1005, "G1004", "G1004-01", "羊毛混纺围巾", "围巾", "驼色 180cm", "CM-180", "PP02", "蓝调", "条", 2, "0.2000", 4580, 13, 0),
    goods!(1006, "G2001", "G2001-01", "氨基酸洗面奶", "洗面奶", "120g", "120G", "PP03", "水漾", "支", 3, "0.1500", 2350, 13, 0),
    goods!(1007, "G2002", "G2002-01", "玻尿酸补水面膜", "补水面膜", "10片/盒", "10P", "PP03", "水漾", "盒", 4, "0.3200", 3900, 13, 0),
    goods!(1008, "G2003", "G2003-01", "薰衣草洗衣液", "洗衣液", "2kg/瓶", "2KG", "PP04", "净立方", "瓶", 5, "2.1000", 1880, 13, 0),
    goods!(1009, "G2004", "G2004-01", "竹浆本色抽纸", "抽纸", "3层100抽*18包", "3C18B", "PP04", "净立方", "提", 6, "2.4000", 2790, 13, 0),
    goods!(1010, "G3001", "G3001-01", "蓝牙降噪耳机", "降噪耳机", "黑色", "BLK", "PP05", "声悦", "个", 7, "0.2800", 15900, 13, 0),
    goods!(1011, "G3002", "G3002-01", "20W快充充电器", "快充头", "白色 Type-C", "W-TC", "PP05", "声悦", "个", 7, "0.0800", 2900, 13, 0),
    goods!(1012, "G3003", "G3003-01", "编织数据线", "数据线", "1.5米 Type-C", "TC-15", "PP06", "极连", "根", 8, "0.0500", 890, 13, 0),
    goods!(1013, "G3004", "G3004-01", "10000毫安移动电源", "充电宝", "白色", "WHT", "PP06", "极连", "个", 7, "0.2300", 6500, 13, 0),
    goods!(1014, "G4001", "G4001-01", "手工牛轧糖", "牛轧糖", "500g/袋", "500G", "PP07", "甜心坊", "袋", 9, "0.5200", 2450, 13, 365),
    goods!(1015, "G4002", "G4002-01", "每日坚果", "坚果", "25g*30袋", "25G30", "PP07", "甜心坊", "箱", 10, "0.8500", 8900, 13, 270),
    goods!(1016, "G4003", "G4003-01", "冻干鸡胸肉", "鸡胸肉", "100g/袋", "100G", "PP08", "鲜味多", "袋", 9, "0.1100", 1260, 9, 180),
    goods!(1017, "G4004", "G4004-01", "冷冻大虾仁", "虾仁", "500g/袋", "500G", "PP08", "鲜味多", "袋", 9, "0.5300", 4590, 9, 365),
    goods!(1018, "G4005", "G4005-01", "特级初榨橄榄油", "橄榄油", "750ml/瓶", "750ML", "PP09", "地中海", "瓶", 5, "0.9500", 7800, 9, 720),
    goods!(1019, "G4006", "G4006-01", "郫县豆瓣酱", "豆瓣酱", "500g/瓶", "500G", "PP10", "蜀香", "瓶", 5, "0.6000", 1350, 13, 540),
    goods!(1020, "G4007", "G4007-01", "火锅底料", "火锅底料", "麻辣 400g", "ML400", "PP10", "蜀香", "袋", 9, "0.4200", 1680, 13, 365),
    goods!(1021, "G5001", "G5001-01", "中性笔", "中性笔", "0.5mm 黑色 12支/盒", "05BK12", "PP11", "晨曦", "盒", 4, "0.1200", 960, 13, 0),
    goods!(1022, "G5002", "G5002-01", "A5线圈笔记本", "笔记本", "80页", "A5-80", "PP11", "晨曦", "本", 11, "0.2000", 550, 13, 0),
    goods!(1023, "G5003", "G5003-01", "A4复印纸", "复印纸", "70g 500张/包", "A4-70", "PP11", "晨曦", "包", 12, "2.3000", 1990, 13, 0),
    goods!(1024, "G6001", "G6001-01", "记忆棉枕头", "记忆枕", "60*40cm", "6040", "PP12", "安眠家", "个", 7, "1.2000", 6900, 13, 0),
    goods!(1025, "G6002", "G6002-01", "全棉四件套", "四件套", "1.8米床 灰格", "18-GG", "PP12", "安眠家", "套", 13, "2.6000", 19900, 13, 0),
    goods!(1026, "G6003", "G6003-01", "不锈钢保温杯", "保温杯", "500ml 银色", "500-SV", "PP13", "乐享", "个", 7, "0.3500", 4200, 13, 0),
    goods!(1027, "G6004", "G6004-01", "陶瓷餐具套装", "餐具套装", "16件套", "16PCS", "PP13", "乐享", "套", 13, "4.5000", 12800, 13, 0),
    goods!(1028, "G7001", "G7001-01", "透气跑步鞋", "跑步鞋", "黑白 42码", "BW-42", "PP14", "步履", "双", 14, "0.7000", 13900, 13, 0),
    goods!(1029, "G7002", "G7002-01", "帆布休闲鞋", "帆布鞋", "米白 38码", "MB-38", "PP14", "步履", "双", 14, "0.5500", 5900, 13, 0),
    goods!(1030, "G8001", "G8001-01", "婴儿纸尿裤", "纸尿裤", "L码 54片", "L54", "PP15", "贝柔", "包", 12, "1.3000", 6900, 13, 1095),
    goods!(1031, "G8002", "G8002-01", "婴儿湿巾", "湿巾", "80抽*6包", "80X6", "PP15", "贝柔", "提", 6, "1.5000", 3290, 13, 1095),
    goods!(1032, "G8003", "G8003-01", "宝宝洗发沐浴露", "洗沐二合一", "300ml", "300ML", "PP15", "贝柔", "瓶", 5, "0.3600", 4800, 13, 1095),
];

pub(crate) const STAFF: &[Staff] = &[
    Staff {
        id: 11,
        name: "赵磊",
    },
    Staff {
        id: 12,
        name: "钱芳",
    },
    Staff {
        id: 13,
        name: "孙浩",
    },
    Staff {
        id: 14,
        name: "李娜",
    },
    Staff {
        id: 15,
        name: "周杰",
    },
    Staff {
        id: 16,
        name: "吴婷",
    },
];

/// Base units of the goods (`unit_id`, name), for Kingdee `BD_UNIT`.
pub(crate) fn unit_names() -> impl Iterator<Item = &'static str> {
    GOODS.iter().map(|g| g.unit)
}

pub(crate) const PURCHASE_REMARKS: &[&str] = &[
    "",
    "",
    "",
    "加急，月底前到货",
    "按合同价结算",
    "赠品随货发出",
    "注意防潮，轻拿轻放",
    "分两批到货",
];

pub(crate) const LINE_REMARKS: &[&str] =
    &["", "", "", "", "样品先行", "包装需更换为新版", "含税价"];

pub(crate) const REVERT_REASONS: &[&str] =
    &["价格与合同不符，请重新核对", "数量有误", "供应商资质待补充"];

/// 其他入库 reasons (`reason_id`, `stockin_reason`).
pub(crate) const OTHER_STOCKIN_REASONS: &[(u32, &str)] = &[
    (1, "样品入库"),
    (2, "赠品入库"),
    (3, "借用归还"),
    (4, "调整入库"),
];

/// 旺店通 stock-in bill types used by the generator (`order_type`, name).
pub(crate) const STOCKIN_TYPES: &[(&str, &str)] = &[
    ("1", "采购入库"),
    ("2", "调拨入库"),
    ("3", "退货入库"),
    ("4", "盘盈入库"),
    ("6", "其他入库"),
];
