//! 旺店通 `goods_query` (查询货品档案): the goods archive, one record per
//! 货品 (`goods_no`) with its 规格 in `spec_list`, built from the same
//! [`catalog::GOODS`] the documents name, so every `spec_no` a bill carries
//! is a spec served here.
//!
//! Besides the catalog's specs the archive holds one spec no document names
//! and that is deleted (`deleted` is its deletion time, not `"0"`: the
//! API still lists it with its goods), and one spec without a bar code.
//! Times are spread like the documents' (over the data set's spread before
//! its anchor); a goods record's `modified` is its latest spec's.
//!
//! Rules: a window (at most 30 days, both ends inclusive, on the goods'
//! `modified`) unless `goods_no` or `spec_no` is given, which then ignore it;
//! paging from 0, 1–100 a page (default 40); `total_count` counts goods.

use serde::Serialize;

use super::catalog::{self, Goods};
use super::generator::Generator;
use super::{BizError, Params, MAX_WINDOW_SECS};
use crate::clock::{fmt_cst, parse_cst};
use crate::masterdata::schema::bar_code;
use crate::rng::{hash3, Rng};

const TAG: u64 = 0x474f_4f44;

/// The spec of the archive that no document names and that is deleted.
pub(crate) const DELETED_SPEC: &str = "G1001-03";
/// The spec whose bar code is empty.
pub(crate) const NO_BARCODE_SPEC: &str = "G5002-01";

/// One spec of a goods record (`spec_list` element).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Spec {
    pub spec_id: String,
    pub goods_id: String,
    pub spec_no: String,
    pub spec_code: String,
    pub spec_name: String,
    pub barcode: String,
    pub retail_price: String,
    pub wholesale_price: String,
    pub member_price: String,
    pub market_price: String,
    pub lowest_price: String,
    pub weight: String,
    pub validity_days: String,
    pub tax_rate: String,
    pub spec_unit_name: String,
    pub is_sn_enable: String,
    pub deleted: String,
    pub remark: String,
    pub img_url: String,
    pub spec_created: String,
    pub spec_modified: String,
}

/// One goods record (`goods_list` element).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GoodsRecord {
    pub goods_id: String,
    pub goods_no: String,
    pub goods_name: String,
    pub short_name: String,
    pub alias: String,
    pub pinyin: String,
    pub goods_type: String,
    pub spec_count: String,
    pub brand_no: String,
    pub brand_name: String,
    pub class_name: String,
    pub unit_name: String,
    pub aux_unit_name: String,
    pub origin: String,
    pub flag_name: String,
    pub prop1: String,
    pub prop2: String,
    pub remark: String,
    pub deleted: String,
    pub created: String,
    pub modified: String,
    pub spec_list: Vec<Spec>,
    /// Sort key (unix seconds of `modified`), not served.
    #[serde(skip)]
    pub modified_ts: i64,
}

/// The goods' class (货品分类) by the goods number's family.
fn class_name(goods_no: &str) -> &'static str {
    match goods_no.get(..2) {
        Some("G1") => "服装",
        Some("G2") => "日化",
        Some("G3") => "数码配件",
        Some("G4") => "食品",
        Some("G5") => "文具",
        Some("G6") => "家居",
        Some("G7") => "鞋靴",
        Some("G8") => "母婴",
        _ => "其他",
    }
}

fn cents(c: i64) -> String {
    format!("{}.{:02}00", c / 100, c % 100)
}

/// The deleted extra spec of goods G1001.
fn deleted_spec() -> Goods {
    let base = &catalog::GOODS[0];
    Goods {
        spec_id: 1901,
        spec_no: DELETED_SPEC,
        spec_name: "红色 M",
        spec_code: "RD-M",
        ..*base
    }
}

fn spec(g: &Goods, goods_id: u32, r: &mut Rng, created: i64, modified: i64, deleted: bool) -> Spec {
    let retail = g.price_cents * (150 + r.range(0, 60)) / 100;
    Spec {
        spec_id: g.spec_id.to_string(),
        goods_id: goods_id.to_string(),
        spec_no: g.spec_no.to_owned(),
        spec_code: g.spec_code.to_owned(),
        spec_name: g.spec_name.to_owned(),
        barcode: if g.spec_no == NO_BARCODE_SPEC {
            String::new()
        } else {
            bar_code(692, u64::from(g.spec_id))
        },
        retail_price: cents(retail),
        wholesale_price: cents(g.price_cents * 120 / 100),
        member_price: cents(retail * 95 / 100),
        market_price: cents(retail * 110 / 100),
        lowest_price: cents(g.price_cents * 110 / 100),
        weight: g.weight.to_owned(),
        validity_days: g.shelf_days.to_string(),
        tax_rate: format!("0.{:02}", g.tax_pct),
        spec_unit_name: String::new(),
        is_sn_enable: if g.goods_no.starts_with("G3") {
            "1"
        } else {
            "0"
        }
        .to_owned(),
        deleted: if deleted {
            // 删除的规格：deleted 为删除时间戳.
            modified.to_string()
        } else {
            "0".to_owned()
        },
        remark: if deleted {
            "停产，已停用".to_owned()
        } else {
            String::new()
        },
        img_url: format!("https://img.example-wdt.cn/goods/{}.jpg", g.spec_no),
        spec_created: fmt_cst(created),
        spec_modified: fmt_cst(modified),
    }
}

/// The goods archive of the data set, ordered by `(modified, goods_id)`.
pub(crate) fn archive(g: &Generator) -> Vec<GoodsRecord> {
    let extra = deleted_spec();
    let mut all: Vec<&Goods> = catalog::GOODS.iter().collect();
    all.insert(2, &extra);
    let mut out: Vec<GoodsRecord> = Vec::new();
    for (n, goods_no) in all
        .iter()
        .map(|s| s.goods_no)
        .fold(Vec::<&str>::new(), |mut v, no| {
            if !v.contains(&no) {
                v.push(no);
            }
            v
        })
        .into_iter()
        .enumerate()
    {
        let goods_id = 501 + n as u32;
        let mut r = Rng::new(hash3(g.seed, TAG, u64::from(goods_id)));
        let modified_base = g.anchor - r.range(0, g.spread_secs.max(0));
        let created = modified_base - r.range(30 * 86_400, 400 * 86_400);
        let members: Vec<&&Goods> = all.iter().filter(|s| s.goods_no == goods_no).collect();
        let first = members[0];
        let mut latest = created;
        let spec_list: Vec<Spec> = members
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let s_created = created + 3_600 * k as i64;
                let s_modified = modified_base - r.range(0, 6 * 3_600);
                latest = latest.max(s_modified);
                spec(
                    s,
                    goods_id,
                    &mut r,
                    s_created,
                    s_modified,
                    s.spec_no == DELETED_SPEC,
                )
            })
            .collect();
        let modified = latest;
        out.push(GoodsRecord {
            goods_id: goods_id.to_string(),
            goods_no: goods_no.to_owned(),
            goods_name: first.goods_name.to_owned(),
            short_name: first.short_name.to_owned(),
            alias: String::new(),
            pinyin: first.spec_code.to_owned(),
            goods_type: "1".to_owned(),
            spec_count: spec_list.len().to_string(),
            brand_no: first.brand_no.to_owned(),
            brand_name: first.brand_name.to_owned(),
            class_name: class_name(goods_no).to_owned(),
            unit_name: first.unit.to_owned(),
            aux_unit_name: String::new(),
            origin: "中国".to_owned(),
            flag_name: String::new(),
            prop1: String::new(),
            prop2: String::new(),
            remark: String::new(),
            deleted: "0".to_owned(),
            created: fmt_cst(created),
            modified: fmt_cst(modified),
            spec_list,
            modified_ts: modified,
        });
    }
    out.sort_by(|a, b| (a.modified_ts, &a.goods_id).cmp(&(b.modified_ts, &b.goods_id)));
    out
}

/// Answers `goods_query` with `params`: the answer text or its business error.
pub(crate) fn query(g: &Generator, p: &Params) -> Result<String, BizError> {
    let page_no = match p.non_empty("page_no") {
        None => 0,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| BizError::invalid(format!("page_no必须是非负整数，收到“{v}”")))?,
    };
    let page_size = match p.non_empty("page_size") {
        None => 40,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(BizError::invalid(format!(
                    "page_size取值范围为1-100，收到“{v}”"
                )))
            }
        },
    };
    let time = |name: &str| -> Result<Option<i64>, BizError> {
        match p.non_empty(name) {
            None => Ok(None),
            Some(v) => parse_cst(v).map(Some).ok_or_else(|| {
                BizError::invalid(format!(
                    "{name}格式错误，应为YYYY-MM-DD HH:MM:SS，收到“{v}”"
                ))
            }),
        }
    };
    let (start, end) = (time("start_time")?, time("end_time")?);
    let goods_no = p.non_empty("goods_no");
    let spec_no = p.non_empty("spec_no");
    let by_number = goods_no.is_some() || spec_no.is_some();
    if !by_number {
        let Some(s) = start else {
            return Err(BizError::missing("start_time"));
        };
        let Some(e) = end else {
            return Err(BizError::missing("end_time"));
        };
        if e < s {
            return Err(BizError::invalid("end_time不能早于start_time"));
        }
        if e - s > MAX_WINDOW_SECS {
            return Err(BizError::invalid(
                "start_time与end_time的时间跨度不能超过30天",
            ));
        }
    }
    let matching: Vec<GoodsRecord> = archive(g)
        .into_iter()
        .filter(|r| {
            if by_number {
                goods_no.is_none_or(|n| r.goods_no == n)
                    && spec_no.is_none_or(|n| r.spec_list.iter().any(|s| s.spec_no == n))
            } else {
                start.is_none_or(|s| r.modified_ts >= s) && end.is_none_or(|e| r.modified_ts <= e)
            }
        })
        .collect();
    let total = matching.len();
    let size = page_size as usize;
    let page: Vec<GoodsRecord> = matching
        .into_iter()
        .skip((page_no as usize).saturating_mul(size))
        .take(size)
        .collect();
    let list = serde_json::to_string(&page).unwrap_or_else(|_| "[]".to_owned());
    Ok(format!(
        "{{\"code\":0,\"message\":\"\",\"total_count\":{total},\"goods_list\":{list}}}"
    ))
}

/// The goods archive, for tests and the in-process [`crate::Control`].
impl crate::Control {
    /// Every goods record `goods_query` serves, as served (openapi2 shape),
    /// ordered by modified time.
    pub fn goods_archive(&self) -> Vec<serde_json::Value> {
        archive(&self.app.data.generator)
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_spec_is_in_the_archive_once() {
        let g = Generator::new(&crate::config::DataConfig::default(), 1_735_689_600);
        let a = archive(&g);
        let specs: Vec<&str> = a
            .iter()
            .flat_map(|r| r.spec_list.iter().map(|s| s.spec_no.as_str()))
            .collect();
        for c in catalog::GOODS {
            assert_eq!(
                specs.iter().filter(|s| **s == c.spec_no).count(),
                1,
                "{}",
                c.spec_no
            );
        }
        assert_eq!(specs.len(), catalog::GOODS.len() + 1);
        assert!(a.windows(2).all(|w| w[0].modified_ts <= w[1].modified_ts));
    }
}
