//! The modified-time index of one generated document set.
//!
//! Documents are generated on the fly from the seed and their index; what is
//! kept in memory is only each document's current modified time and the
//! documents' order by `(modified, index)` — 12 bytes per document, so a
//! million orders cost 12 MB, not a million materialised records. A window
//! query is two binary searches; a page is a slice.

use std::collections::HashSet;
use std::ops::Range;

pub(crate) struct DocIndex {
    /// Current modified time (unix seconds) of document `i`.
    times: Vec<i64>,
    /// Document indexes sorted by `(times[i], i)`.
    order: Vec<u32>,
}

impl std::fmt::Debug for DocIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocIndex")
            .field("documents", &self.times.len())
            .finish()
    }
}

impl DocIndex {
    /// Builds the index of `count` documents whose modified times `time(i)` gives.
    pub(crate) fn build(count: u32, time: impl Fn(u32) -> i64) -> Self {
        let times: Vec<i64> = (0..count).map(time).collect();
        let mut order: Vec<u32> = (0..count).collect();
        order.sort_unstable_by_key(|&i| (times[i as usize], i));
        DocIndex { times, order }
    }

    pub(crate) fn len(&self) -> u32 {
        self.times.len() as u32
    }

    pub(crate) fn time(&self, i: u32) -> Option<i64> {
        self.times.get(i as usize).copied()
    }

    /// Positions (in modified order) of the documents modified within
    /// `start..=end` (an open end when `None`).
    pub(crate) fn window(&self, start: Option<i64>, end: Option<i64>) -> Range<usize> {
        let lo = match start {
            Some(s) => self.order.partition_point(|&i| self.times[i as usize] < s),
            None => 0,
        };
        let hi = match end {
            Some(e) => self.order.partition_point(|&i| self.times[i as usize] <= e),
            None => self.order.len(),
        };
        lo..hi.max(lo)
    }

    /// `(index, modified)` of the documents at `positions`.
    pub(crate) fn slice(&self, positions: Range<usize>) -> Vec<(u32, i64)> {
        let end = positions.end.min(self.order.len());
        let start = positions.start.min(end);
        self.order[start..end]
            .iter()
            .map(|&i| (i, self.times[i as usize]))
            .collect()
    }

    /// Sets the modified time of the documents `indexes` (out-of-range ones
    /// are ignored) to `t`, keeping the order; returns how many were moved.
    pub(crate) fn touch(&mut self, indexes: &[u32], t: i64) -> usize {
        let moved: HashSet<u32> = indexes
            .iter()
            .copied()
            .filter(|&i| (i as usize) < self.times.len())
            .collect();
        if moved.is_empty() {
            return 0;
        }
        for &i in &moved {
            self.times[i as usize] = t;
        }
        let mut block: Vec<u32> = moved.iter().copied().collect();
        block.sort_unstable();
        let rest: Vec<u32> = self
            .order
            .iter()
            .copied()
            .filter(|i| !moved.contains(i))
            .collect();
        // Merge the moved block (all at time t, by index) into the rest.
        let times = &self.times;
        let key = |i: u32| (times[i as usize], i);
        let mut merged = Vec::with_capacity(self.order.len());
        let (mut a, mut b) = (0, 0);
        while a < rest.len() && b < block.len() {
            if key(rest[a]) <= key(block[b]) {
                merged.push(rest[a]);
                a += 1;
            } else {
                merged.push(block[b]);
                b += 1;
            }
        }
        merged.extend_from_slice(&rest[a..]);
        merged.extend_from_slice(&block[b..]);
        self.order = merged;
        moved.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(ix: &DocIndex) -> bool {
        ix.order
            .windows(2)
            .all(|w| (ix.times[w[0] as usize], w[0]) < (ix.times[w[1] as usize], w[1]))
    }

    #[test]
    fn windows_are_inclusive() {
        let ix = DocIndex::build(10, |i| 100 + i64::from(i / 2) * 10);
        // times: 100,100,110,110,120,120,130,130,140,140
        assert_eq!(ix.window(Some(110), Some(130)).len(), 6);
        assert_eq!(ix.window(Some(111), Some(129)).len(), 2);
        assert_eq!(ix.window(None, None).len(), 10);
        assert_eq!(ix.window(Some(200), Some(100)).len(), 0);
        let page: Vec<u32> = ix
            .slice(ix.window(Some(110), Some(130)))
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(page, vec![2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn touch_moves_documents() {
        let mut ix = DocIndex::build(1000, |i| i64::from((i * 7919) % 1000));
        assert!(sorted(&ix));
        assert_eq!(ix.touch(&[5, 17, 999, 5000], 500), 3);
        assert!(sorted(&ix));
        assert_eq!(ix.time(17), Some(500));
        assert_eq!(ix.order.len(), 1000);
        assert_eq!(ix.touch(&[1, 2, 3], 10_000), 3);
        let last: Vec<u32> = ix.slice(997..1000).iter().map(|p| p.0).collect();
        assert_eq!(last, vec![1, 2, 3]);
    }
}
