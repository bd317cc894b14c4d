//! What each base-data form holds: its internal-id key, its Chinese name and
//! the text fields of its records beyond the common ones (`FNumber`,
//! `FName`, `FDocumentStatus`, `FForbidStatus`, `FUseOrgId`,
//! `FCreateOrgId`, `FCreateDate`, `FModifyDate`), and the built-in values
//! of the seeded records.

use crate::wdt::catalog::{GOODS, PROVIDERS, WAREHOUSES};

/// A text field of a form's records.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TextField {
    /// Its key (`FSpecification`; for a lookup, the lookup's key, queried
    /// as `FBaseUnitId.FNumber`).
    pub key: &'static str,
    /// The base-data form a lookup names (`BD_UNIT`).
    pub lookup: Option<&'static str>,
    /// The value of a record saved without it.
    pub default: &'static str,
}

/// A base-data form.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Schema {
    /// The form id as Kingdee spells it (`BD_MATERIAL`).
    pub form: &'static str,
    /// Its Chinese name (`物料`).
    pub label: &'static str,
    /// The key of the internal id (`FMATERIALID`).
    pub id_key: &'static str,
    /// Whether Save, BatchSave, Submit and Audit take it.
    pub savable: bool,
    /// Fields beyond the common ones.
    pub texts: &'static [TextField],
}

const fn text(key: &'static str, default: &'static str) -> TextField {
    TextField {
        key,
        lookup: None,
        default,
    }
}

/// `FSpecification`, `FOldNumber`, `FMnemonicCode`, `FBARCODE`,
/// `FBaseUnitId`, `FErpClsID` (indexes used by the seeds below).
const MATERIAL_TEXTS: &[TextField] = &[
    text("FSpecification", ""),
    text("FOldNumber", ""),
    text("FMnemonicCode", ""),
    text("FBARCODE", ""),
    TextField {
        key: "FBaseUnitId",
        lookup: Some("BD_UNIT"),
        default: "Pcs",
    },
    // 物料属性: 1 外购.
    text("FErpClsID", "1"),
];

const SHORT_NAME: &[TextField] = &[text("FShortName", "")];

const fn schema(
    form: &'static str,
    label: &'static str,
    id_key: &'static str,
    savable: bool,
    texts: &'static [TextField],
) -> Schema {
    Schema {
        form,
        label,
        id_key,
        savable,
        texts,
    }
}

/// The base-data forms the sandbox knows.
pub(crate) const SCHEMAS: &[Schema] = &[
    schema("BD_MATERIAL", "物料", "FMATERIALID", true, MATERIAL_TEXTS),
    schema("BD_Supplier", "供应商", "FSupplierId", true, SHORT_NAME),
    schema("BD_Customer", "客户", "FCUSTID", true, SHORT_NAME),
    schema("BD_STOCK", "仓库", "FStockId", true, &[]),
    schema("BD_Department", "部门", "FDEPTID", true, &[]),
    schema("BD_UNIT", "计量单位", "FUNITID", true, &[]),
    schema("ORG_Organizations", "组织机构", "FOrgID", false, &[]),
    schema("BD_Buyer", "采购员", "FID", false, &[]),
    schema("BD_Currency", "币别", "FCURRENCYID", false, &[]),
    schema("BD_StockStatus", "库存状态", "FStockStatusId", false, &[]),
    schema("BOS_BillType", "单据类型", "FBillTypeID", false, &[]),
];

/// The schema of a form a master-data file names that the sandbox does
/// not know: records with the common fields only, id `FID`.
pub(crate) static OTHER: Schema = schema("", "基础资料", "FID", false, &[]);

/// The schema of `form` (any case), if the sandbox knows it.
pub(crate) fn schema_of(form: &str) -> Option<&'static Schema> {
    let form = form.trim();
    SCHEMAS.iter().find(|s| s.form.eq_ignore_ascii_case(form))
}

/// The organisation every seeded record belongs to.
pub(crate) const ORG: &str = "100";

/// A record's name and text fields (in [`Schema::texts`] order), as seeded.
pub(crate) struct Seed {
    pub name: String,
    pub texts: Vec<String>,
}

/// A 13-digit EAN bar code: `prefix` (3 digits), `n` in 9 digits, the
/// check digit.
pub(crate) fn bar_code(prefix: u32, n: u64) -> String {
    let body = format!("{:03}{:09}", prefix % 1000, n % 1_000_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn supplier_short_name(name: &str) -> String {
    let mut s = name;
    for suffix in ["有限责任公司", "有限公司", "商行", "厂"] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped;
            break;
        }
    }
    for city in ["市", "区"] {
        if let Some((_, rest)) = s.split_once(city) {
            if !rest.is_empty() && rest.chars().count() >= 2 {
                s = rest;
            }
        }
    }
    s.to_owned()
}

fn material(name: &str, spec: &str, old: &str, mnemonic: &str, bar: &str, unit: &str) -> Seed {
    Seed {
        name: name.to_owned(),
        texts: [spec, old, mnemonic, bar, unit, "1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    }
}

fn named(name: &str, texts: &[&str]) -> Seed {
    Seed {
        name: name.to_owned(),
        texts: texts.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// What the sandbox seeds for `number` of `form`: the catalog's names
/// where it has one, else the form's name and the number.
pub(crate) fn seed(schema: &Schema, form: &str, number: &str) -> Seed {
    let known = match schema.form {
        "BD_MATERIAL" => material_seed(number),
        "BD_Supplier" => PROVIDERS
            .iter()
            .find(|p| p.no == number)
            .map(|p| named(p.name, &[&supplier_short_name(p.name)])),
        "BD_Customer" => crate::wdt::shops::SHOPS
            .iter()
            .find(|s| s.customer == number)
            .map(|s| {
                let short = s.name.strip_prefix("优选生活").unwrap_or(s.name);
                named(&format!("{}客户", s.name), &[short])
            }),
        "BD_STOCK" => WAREHOUSES
            .iter()
            .find(|w| w.no == number)
            .map(|w| named(w.name, &[])),
        _ => fixed_name(schema.form, number).map(|n| named(n, &[])),
    };
    known.unwrap_or_else(|| {
        let label = if schema.form.is_empty() {
            form
        } else {
            schema.label
        };
        Seed {
            name: format!("{label}{number}"),
            texts: schema.texts.iter().map(|t| t.default.to_owned()).collect(),
        }
    })
}

fn material_seed(number: &str) -> Option<Seed> {
    match number {
        "A01" => {
            return Some(material(
                "纯棉布料",
                "幅宽150cm",
                "",
                "CMBL",
                &bar_code(690, 1),
                "Pcs",
            ))
        }
        "A02" => {
            return Some(material(
                "树脂纽扣",
                "四眼 15mm",
                "",
                "SZNK",
                &bar_code(690, 2),
                "Pcs",
            ))
        }
        "A03" => {
            return Some(material(
                "瓦楞纸箱",
                "五层 60*40*40cm",
                "",
                "WLZX",
                &bar_code(690, 3),
                "Pcs",
            ))
        }
        _ => {}
    }
    if let Some(g) = GOODS.iter().find(|g| g.spec_no == number) {
        return Some(material(
            &format!("{} {}", g.goods_name, g.spec_name),
            g.spec_name,
            &format!("WDT{}", g.spec_id),
            g.spec_code,
            &bar_code(692, u64::from(g.spec_id)),
            g.unit,
        ));
    }
    let g = GOODS.iter().find(|g| g.goods_no == number)?;
    let digits: String = g.goods_no.chars().filter(char::is_ascii_digit).collect();
    Some(material(
        g.goods_name,
        "",
        "",
        g.goods_no,
        &bar_code(691, digits.parse().unwrap_or(0)),
        g.unit,
    ))
}

/// Words of the generated materials' names.
const STYLES: &[&str] = &[
    "经典款",
    "加厚",
    "轻薄",
    "升级版",
    "家用",
    "便携",
    "大号",
    "迷你",
    "简约",
    "高端",
];

/// The name, specification and unit of generated material `n` (1-based):
/// a pure function of `n`.
pub(crate) fn generated_material(n: u32) -> (String, &'static str, &'static str) {
    let h = crate::rng::mix(u64::from(n));
    let g = &GOODS[(h % GOODS.len() as u64) as usize];
    let style = STYLES[((h >> 16) % STYLES.len() as u64) as usize];
    (format!("{style}{}", g.short_name), g.spec_name, g.unit)
}

/// The number of generated material `n` (1-based): `M0000001`, ….
pub(crate) fn generated_number(n: u32) -> String {
    format!("M{n:07}")
}

/// `n` of a generated material's number.
pub(crate) fn generated_index(number: &str) -> Option<u32> {
    let digits = number.strip_prefix('M')?;
    if digits.len() < 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (generated_number(n) == number).then_some(n)
}

/// Text field `i` of generated material `n` (see [`MATERIAL_TEXTS`]).
pub(crate) fn generated_text(n: u32, i: usize) -> String {
    match i {
        0 => generated_material(n).1.to_owned(),
        2 => format!("WL{n}"),
        3 => bar_code(693, u64::from(n)),
        4 => generated_material(n).2.to_owned(),
        5 => "1".to_owned(),
        _ => String::new(),
    }
}

/// Names of the other built-in records.
fn fixed_name(form: &str, number: &str) -> Option<&'static str> {
    let table: &[(&str, &str)] = match form {
        "ORG_Organizations" => &[
            ("100", "优选生活总部"),
            ("101", "杭州分公司"),
            ("102", "上海分公司"),
        ],
        "BD_UNIT" => &[("Pcs", "Pcs"), ("jian", "件"), ("kg", "千克")],
        "BD_Department" => &[
            ("BM000001", "采购部"),
            ("BM000002", "仓储物流部"),
            ("BM000003", "电商运营部"),
        ],
        "BD_Buyer" => &[("CGY001", "赵磊"), ("CGY002", "钱芳"), ("CGY003", "孙浩")],
        "BD_Currency" => &[
            ("PRE001", "人民币"),
            ("PRE002", "香港元"),
            ("PRE003", "欧元"),
            ("PRE004", "日本日圆"),
            ("PRE005", "新台币元"),
            ("PRE006", "英镑"),
            ("PRE007", "美元"),
        ],
        "BD_StockStatus" => &[
            ("KCZT01_SYS", "可用"),
            ("KCZT02_SYS", "待检"),
            ("KCZT03_SYS", "冻结"),
            ("KCZT04_SYS", "退回冻结"),
            ("KCZT05_SYS", "在途"),
        ],
        "BOS_BillType" => &[
            ("CGDD01_SYS", "标准采购订单"),
            ("CGDD02_SYS", "直运采购订单"),
            ("CGDD03_SYS", "委外采购订单"),
            ("QTRKD01_SYS", "标准其他入库单"),
            ("QTRKD02_SYS", "资产其他入库单"),
            ("XSCKD01_SYS", "标准销售出库单"),
            ("RKD01_SYS", "标准采购入库单"),
            ("XSTHD01_SYS", "标准销售退货单"),
            ("TLD01_SYS", "标准退料单"),
        ],
        _ => &[],
    };
    if let Some((_, name)) = table.iter().find(|(n, _)| *n == number) {
        return Some(name);
    }
    // A unit named by the goods (`件`, `条`, …) is its own name.
    (form == "BD_UNIT")
        .then(|| GOODS.iter().find(|g| g.unit == number).map(|g| g.unit))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_codes_have_a_valid_check_digit() {
        // 6901234567892 is a valid EAN-13.
        assert_eq!(bar_code(690, 123_456_789), "6901234567892");
        let code = bar_code(693, 1);
        assert_eq!(code.len(), 13);
    }

    #[test]
    fn generated_numbers_round_trip() {
        assert_eq!(generated_number(1), "M0000001");
        assert_eq!(generated_index("M0000001"), Some(1));
        assert_eq!(generated_index("M12345678"), Some(12_345_678));
        assert_eq!(generated_index("M000001"), None);
        assert_eq!(generated_index("M00000010"), None);
        assert_eq!(generated_index("X0000001"), None);
    }

    #[test]
    fn seeds_use_the_catalog() {
        let m = schema_of("bd_material").unwrap();
        let s = seed(m, "BD_MATERIAL", "G1001-01");
        assert_eq!(s.name, "纯棉圆领短袖T恤 白色 L");
        assert_eq!(s.texts[0], "白色 L");
        assert_eq!(s.texts[4], "件");
        assert_eq!(s.texts[3].len(), 13);
        let sup = seed(schema_of("BD_Supplier").unwrap(), "BD_Supplier", "0003");
        assert_eq!(sup.name, "义乌市佳佳百货商行");
        assert_eq!(sup.texts, vec!["佳佳百货".to_owned()]);
        let other = seed(&OTHER, "BD_Thing", "X1");
        assert_eq!(other.name, "BD_ThingX1");
    }
}
