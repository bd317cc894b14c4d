//! The generator of one data set's documents.
//!
//! Document `i` of a kind is a pure function of `(seed, kind, i)` (and of its
//! current modified time, which [`super::index::DocIndex`] keeps): it is drawn
//! from its own SplitMix stream, so any document can be produced alone, in
//! any order, in constant time. What filters look at (status, warehouse,
//! kind) is drawn first ([`PurchaseKeys`], [`StockinKeys`]), so that
//! filtering does not generate whole documents; bill numbers are worked out
//! from the stream's head alone. The documents themselves are made in
//! [`super::purchase`] and [`super::stockin`].

use rust_decimal::{Decimal, RoundingStrategy};

use super::catalog::{Goods, GOODS, PROVIDERS, STOCKIN_TYPES, WAREHOUSES};
use super::records::DocKind;
use crate::clock::{fmt_cst_compact_date, CST_OFFSET_SECS};
use crate::config::DataConfig;
use crate::rng::{hash3, Rng};

pub(super) const DAY: i64 = 86_400;

/// Purchase order statuses and their weights (protocols.md §1).
const PURCHASE_STATUSES: &[(&str, u32)] = &[
    ("90", 35),
    ("60", 10),
    ("50", 8),
    ("48", 10),
    ("40", 10),
    ("70", 5),
    ("80", 4),
    ("30", 6),
    ("20", 5),
    ("35", 2),
    ("10", 3),
    ("43", 1),
    ("45", 1),
];

/// Stock-in statuses (10 已取消, 20 编辑中, 25 待价格确认, 30 待审核, 60 待结算, 80 已完成) and weights.
const STOCKIN_STATUSES: &[(&str, u32)] = &[
    ("80", 70),
    ("60", 10),
    ("30", 8),
    ("25", 2),
    ("20", 5),
    ("10", 5),
];

/// Weights of `STOCKIN_TYPES`.
const STOCKIN_TYPE_WEIGHTS: &[u32] = &[55, 8, 10, 7, 20];

pub(super) const LINE_COUNT_WEIGHTS: &[u32] = &[30, 25, 18, 12, 8, 7];

fn weights<T>(table: &[(T, u32)]) -> Vec<u32> {
    table.iter().map(|(_, w)| *w).collect()
}

/// A decimal as 旺店通 writes it: 4 decimal places.
pub(crate) fn d4(d: Decimal) -> String {
    let mut d = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(4);
    d.to_string()
}

pub(super) fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// Midnight (UTC+8) of the day holding `t`.
pub(super) fn cst_midnight(t: i64) -> i64 {
    t - (t + i64::from(CST_OFFSET_SECS)).rem_euclid(DAY)
}

/// What filters look at, drawn first so that filtering does not generate
/// whole documents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PurchaseKeys {
    pub status: &'static str,
    pub warehouse: usize,
    pub provider: usize,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct StockinKeys {
    pub status: &'static str,
    /// Index into `STOCKIN_TYPES`.
    pub kind: usize,
    pub warehouse: usize,
    /// The purchase order a purchase stock-in receives.
    pub purchase: Option<u32>,
}

/// Generates documents of one data set.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pub seed: u64,
    /// End of the modified-time spread (unix seconds).
    pub anchor: i64,
    pub spread_secs: i64,
    pub purchases: u32,
    pub empty_time: String,
}

impl Generator {
    /// The generator of the data set `config`, modified times ending at `anchor`.
    pub(crate) fn new(config: &DataConfig, anchor: i64) -> Self {
        Generator {
            seed: config.seed,
            anchor,
            spread_secs: i64::from(config.spread_days) * DAY,
            purchases: config.purchase_orders,
            empty_time: config.empty_time.clone(),
        }
    }

    pub(super) fn empty_date(&self) -> String {
        self.empty_time
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The stream of document `i`, its base modified time and creation time.
    pub(super) fn head(&self, kind: DocKind, i: u32) -> (Rng, i64, i64) {
        let mut r = Rng::new(hash3(self.seed, kind.tag(), u64::from(i)));
        let base = self.anchor - r.range(0, self.spread_secs.max(0));
        let created = base - r.range(0, 3 * DAY);
        (r, base, created)
    }

    /// The modified time document `i` has before any touch.
    pub(crate) fn base_time(&self, kind: DocKind, i: u32) -> i64 {
        self.head(kind, i).1
    }

    pub(super) fn purchase_keys_from(r: &mut Rng) -> PurchaseKeys {
        let status = PURCHASE_STATUSES[r.weighted(&weights(PURCHASE_STATUSES))].0;
        // The last warehouse is the returns warehouse: purchases go elsewhere.
        let warehouse = r.below(WAREHOUSES.len() as u64 - 1) as usize;
        let provider = r.below(PROVIDERS.len() as u64) as usize;
        PurchaseKeys {
            status,
            warehouse,
            provider,
        }
    }

    pub(crate) fn purchase_keys(&self, i: u32) -> PurchaseKeys {
        let (mut r, _, _) = self.head(DocKind::PurchaseOrder, i);
        Self::purchase_keys_from(&mut r)
    }

    pub(super) fn stockin_keys_from(&self, r: &mut Rng, i: u32) -> StockinKeys {
        let status = STOCKIN_STATUSES[r.weighted(&weights(STOCKIN_STATUSES))].0;
        let mut kind = r.weighted(STOCKIN_TYPE_WEIGHTS);
        if kind == 0 && self.purchases == 0 {
            kind = STOCKIN_TYPES.len() - 1;
        }
        let drawn_warehouse = r.below(WAREHOUSES.len() as u64 - 1) as usize;
        let (warehouse, purchase) = match STOCKIN_TYPES[kind].0 {
            "1" => {
                let p = i % self.purchases.max(1);
                (self.purchase_keys(p).warehouse, Some(p))
            }
            "3" => (WAREHOUSES.len() - 1, None),
            _ => (drawn_warehouse, None),
        };
        StockinKeys {
            status,
            kind,
            warehouse,
            purchase,
        }
    }

    pub(crate) fn stockin_keys(&self, i: u32) -> StockinKeys {
        let (mut r, _, _) = self.head(DocKind::StockIn, i);
        self.stockin_keys_from(&mut r, i)
    }

    /// `CG` + creation date + 7-digit sequence.
    pub(crate) fn purchase_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::PurchaseOrder, i);
        format!("CG{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    /// `RK` + creation date + 7-digit sequence.
    pub(crate) fn stockin_no(&self, i: u32) -> String {
        let (_, _, created) = self.head(DocKind::StockIn, i);
        format!("RK{}{:07}", fmt_cst_compact_date(created), u64::from(i) + 1)
    }

    pub(crate) fn purchase_outer_no(i: u32) -> String {
        format!("EXT-PO-{:07}", u64::from(i) + 1)
    }

    pub(crate) fn stockin_outer_no(i: u32) -> String {
        format!("EXT-RK-{:07}", u64::from(i) + 1)
    }

    /// The document index a bill number of this data set names, if it has
    /// the right shape (the caller compares the whole number).
    pub(crate) fn index_of_number(number: &str, prefix: &str) -> Option<u32> {
        let digits = number.strip_prefix(prefix)?;
        let seq = digits.get(digits.len().checked_sub(7)?..)?;
        let n: u64 = seq.parse().ok()?;
        u32::try_from(n.checked_sub(1)?).ok()
    }

    pub(super) fn distinct_goods(r: &mut Rng, n: usize) -> Vec<&'static Goods> {
        let mut chosen: Vec<usize> = Vec::with_capacity(n);
        while chosen.len() < n.min(GOODS.len()) {
            let g = r.below(GOODS.len() as u64) as usize;
            if !chosen.contains(&g) {
                chosen.push(g);
            }
        }
        chosen.into_iter().map(|g| &GOODS[g]).collect()
    }

    pub(super) fn quantity(r: &mut Rng) -> i64 {
        match r.weighted(&[50, 40, 10]) {
            0 => r.range(1, 50),
            1 => r.range(1, 30) * 10,
            _ => r.range(1, 20) * 100,
        }
    }
}

#[cfg(test)]
impl Generator {
    /// A small data set of the tests.
    pub(super) fn for_tests() -> Self {
        Generator {
            seed: 7,
            anchor: 1_704_160_800,
            spread_secs: 30 * DAY,
            purchases: 100,
            empty_time: "0000-00-00 00:00:00".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_deterministic() {
        let g = Generator::for_tests();
        let a = serde_json::to_string(&g.purchase(3, 1_704_000_000)).unwrap();
        let b = serde_json::to_string(&g.purchase(3, 1_704_000_000)).unwrap();
        assert_eq!(a, b);
        let other = Generator {
            seed: 8,
            ..Generator::for_tests()
        };
        assert_ne!(
            a,
            serde_json::to_string(&other.purchase(3, 1_704_000_000)).unwrap()
        );
    }
}
