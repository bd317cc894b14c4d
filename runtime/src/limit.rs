//! How many calls a scheme has in flight at once: a limit that finds itself.
//!
//! Tenants differ by an order of magnitude in how fast they save, and some
//! answer "too many concurrent requests" past a point nobody publishes, so
//! no fixed number fits. A [`Limit`] is an AIMD limiter with a latency
//! signal, in the manner of TCP Vegas and Netflix's concurrency-limits:
//!
//! - it starts low ([`START`], or where the scheme's last run settled);
//! - each answer that came back in about the unloaded time (at most
//!   [`FLAT`] × the [baseline](#the-baseline)) while every slot of the
//!   limit was taken adds `1 / limit`: one more call in flight per round of
//!   answers (additive increase);
//! - answers that take much longer than the baseline (an [`SLOW`] × average
//!   of recent answers) mean the target queues work: the limit shrinks to
//!   [`SLOW_DECREASE`] of itself;
//! - an overload answer (a timeout, a 5xx, a rate-limit or "too many
//!   concurrent requests" answer) halves it ([`OVERLOAD_DECREASE`]);
//! - a decrease happens at most once per round: answers to calls sent
//!   before the last decrease do not decrease it again (they tell of the
//!   old limit);
//! - it stays between 1 and the configured maximum.
//!
//! Between [`FLAT`] and [`SLOW`] it holds: the target is busy but keeps up.
//!
//! # The baseline
//!
//! The unloaded latency is the fastest answer seen, rising slowly towards
//! later answers ([`BASELINE_DRIFT`]) so that one lucky answer does not
//! stay the measure forever. Only answers to requests of the usual size are
//! measured (a full batch or page; a short one at the end says nothing of
//! the load); all answers count for overload.
//!
//! A fixed limit (`concurrency` in `duijie.toml`) never moves.

use std::sync::Mutex;
use std::time::Duration;

/// Where an adaptive limit starts when nothing is known of the target.
pub const START: f64 = 2.0;
/// The most calls in flight an adaptive limit allows unless configured.
pub const DEFAULT_MAX: usize = 16;
/// Answers within this multiple of the baseline are flat: the limit may grow.
pub const FLAT: f64 = 1.3;
/// Recent answers this many times slower than the baseline shrink the limit.
pub const SLOW: f64 = 2.0;
/// The factor of a decrease on slow answers.
pub const SLOW_DECREASE: f64 = 0.8;
/// The factor of a decrease on an overload answer.
pub const OVERLOAD_DECREASE: f64 = 0.5;
/// How far the baseline moves towards each measured answer above it.
pub const BASELINE_DRIFT: f64 = 1.0 / 512.0;
/// How much slower the limit grows within a call of where the last overload
/// answer came.
pub const NEAR_CEILING: f64 = 16.0;
/// The weight of each measured answer in the recent average.
const RECENT_WEIGHT: f64 = 0.25;

/// How a limit is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Always this many (`concurrency = N` in `duijie.toml`).
    Fixed(usize),
    /// Finds itself, up to `max` (`max_concurrency`).
    Adaptive { max: usize },
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency::Adaptive { max: DEFAULT_MAX }
    }
}

impl Concurrency {
    /// The largest limit this can reach.
    pub fn max(self) -> usize {
        match self {
            Concurrency::Fixed(n) => n.max(1),
            Concurrency::Adaptive { max } => max.max(1),
        }
    }
}

/// What became of one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// An answer came back after `latency`; `measured`: a request of the
    /// usual size, whose latency tells of the load.
    Answered { latency: Duration, measured: bool },
    /// The target is overloaded or limiting us: a timeout, a 5xx, a
    /// rate-limit or concurrency answer.
    Overload,
    /// Neither (a refused bill, a shutdown): tells nothing of the load.
    Ignore,
}

/// A call slot taken: give it back with [`Limit::finish`].
#[derive(Debug)]
#[must_use = "a permit is given back with Limit::finish"]
pub struct Permit {
    epoch: u64,
    /// [`State::filled`] when this call started, or one less if this call
    /// took the last slot.
    filled: u64,
}

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    /// Bumped at each decrease; permits of older epochs do not decrease.
    epoch: u64,
    /// The unloaded latency, in seconds.
    baseline: Option<f64>,
    /// The recent latency (exponential average), in seconds.
    recent: Option<f64>,
    /// How many times a call took the last slot of the limit: a call that
    /// saw it change was in flight while every slot was taken.
    filled: u64,
    /// The limit at the last overload answer.
    ceiling: Option<f64>,
    /// The highest limit reached.
    peak: f64,
    overloads: u64,
}

/// A concurrency limit of one kind of call of one run.
#[derive(Debug)]
pub struct Limit {
    config: Concurrency,
    state: Mutex<State>,
}

/// What a limit did, for the run's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Settled {
    /// The limit at the end.
    pub limit: u32,
    /// The highest it reached.
    pub peak: u32,
    /// Overload answers it handled.
    pub overloads: u64,
}

impl Limit {
    /// A limit as configured, an adaptive one starting at `start` (where
    /// the last run settled) or [`START`].
    pub fn new(config: Concurrency, start: Option<u32>) -> Self {
        let limit = match config {
            Concurrency::Fixed(n) => n.max(1) as f64,
            Concurrency::Adaptive { max } => {
                start.map_or(START, f64::from).clamp(1.0, max.max(1) as f64)
            }
        };
        Limit {
            config,
            state: Mutex::new(State {
                limit,
                in_flight: 0,
                epoch: 0,
                baseline: None,
                recent: None,
                filled: 0,
                ceiling: None,
                peak: limit,
                overloads: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many calls may be in flight now (at least 1).
    pub fn current(&self) -> usize {
        (self.state().limit.floor() as usize).max(1)
    }

    /// Whether another call may start now (fewer than [`Limit::current`]
    /// in flight).
    pub fn available(&self) -> bool {
        let s = self.state();
        s.in_flight < slots(s.limit)
    }

    /// Takes a slot for a call about to start (even past the limit: the
    /// caller decides with [`Limit::available`]).
    pub fn start(&self) -> Permit {
        let mut s = self.state();
        s.in_flight += 1;
        let before = s.filled;
        if s.in_flight >= slots(s.limit) {
            s.filled += 1;
        }
        Permit {
            epoch: s.epoch,
            filled: before,
        }
    }

    /// Gives back the slot of a finished call and learns from its outcome.
    pub fn finish(&self, permit: Permit, outcome: Outcome) {
        let mut s = self.state();
        let saturated = s.filled > permit.filled || s.in_flight >= slots(s.limit);
        s.in_flight = s.in_flight.saturating_sub(1);
        let max = match self.config {
            Concurrency::Fixed(_) => {
                if outcome == Outcome::Overload {
                    s.overloads += 1;
                }
                return;
            }
            Concurrency::Adaptive { max } => max.max(1) as f64,
        };
        let current_round = permit.epoch == s.epoch;
        match outcome {
            Outcome::Ignore => {}
            Outcome::Overload => {
                s.overloads += 1;
                if current_round {
                    s.ceiling = Some(s.limit);
                    s.decrease(OVERLOAD_DECREASE);
                }
            }
            Outcome::Answered {
                measured: false, ..
            } => {}
            Outcome::Answered {
                latency,
                measured: true,
            } => {
                let latency = latency.as_secs_f64();
                let baseline = match s.baseline {
                    Some(b) if latency < b => latency,
                    // Alone, a call's latency is the unloaded one.
                    Some(b) if slots(s.limit) == 1 => b + (latency - b) * RECENT_WEIGHT,
                    Some(b) if latency <= b * FLAT => b + (latency - b) * BASELINE_DRIFT,
                    // A queueing target does not move the measure of it.
                    Some(b) => b,
                    None => latency,
                };
                s.baseline = Some(baseline);
                let recent = match s.recent {
                    Some(r) => r + (latency - r) * RECENT_WEIGHT,
                    None => latency,
                };
                s.recent = Some(recent);
                if baseline <= 0.0 {
                    return;
                }
                if recent > baseline * SLOW {
                    if current_round {
                        s.decrease(SLOW_DECREASE);
                    }
                } else if latency <= baseline * FLAT && recent <= baseline * FLAT && saturated {
                    let mut step = 1.0 / slots(s.limit) as f64;
                    if s.ceiling.is_some_and(|c| s.limit + 1.0 >= c) {
                        // Where the last overload was: carefully.
                        step /= NEAR_CEILING;
                    }
                    s.limit = (s.limit + step).min(max);
                    s.peak = s.peak.max(s.limit);
                }
            }
        }
    }

    /// What the limit did so far.
    pub fn settled(&self) -> Settled {
        let s = self.state();
        Settled {
            limit: slots(s.limit) as u32,
            peak: slots(s.peak) as u32,
            overloads: s.overloads,
        }
    }

    /// Whether the limit finds itself (not fixed in `duijie.toml`).
    pub fn is_adaptive(&self) -> bool {
        matches!(self.config, Concurrency::Adaptive { .. })
    }
}

/// The whole calls of a limit (its fractions of a call add up over a round).
fn slots(limit: f64) -> usize {
    ((limit + 1e-9).floor() as usize).max(1)
}

impl State {
    fn decrease(&mut self, factor: f64) {
        self.limit = (self.limit * factor).max(1.0);
        self.epoch += 1;
        // The recent average was of the old limit.
        self.recent = self.baseline;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Outcome {
        Outcome::Answered {
            latency: Duration::from_millis(n),
            measured: true,
        }
    }

    fn adaptive(max: usize) -> Limit {
        Limit::new(Concurrency::Adaptive { max }, None)
    }

    /// Fills every slot, then answers each call with `outcome(in_flight)`.
    fn round(limit: &Limit, outcome: impl Fn(usize) -> Outcome) {
        let n = limit.current();
        let permits: Vec<Permit> = (0..n).map(|_| limit.start()).collect();
        for p in permits {
            limit.finish(p, outcome(n));
        }
    }

    #[test]
    fn starts_low_and_grows_one_a_round_while_latency_is_flat() {
        let l = adaptive(16);
        assert_eq!(l.current(), 2);
        let mut seen = vec![l.current()];
        for _ in 0..6 {
            round(&l, |_| ms(450));
            seen.push(l.current());
        }
        assert_eq!(seen, vec![2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn does_not_grow_when_the_limit_is_not_used() {
        let l = adaptive(16);
        for _ in 0..50 {
            // One call at a time of a limit of 2.
            let p = l.start();
            l.finish(p, ms(100));
        }
        assert_eq!(l.current(), 2);
    }

    #[test]
    fn stops_at_the_maximum() {
        let l = adaptive(5);
        for _ in 0..40 {
            round(&l, |_| ms(100));
        }
        assert_eq!(l.current(), 5);
        assert_eq!(l.settled().peak, 5);
    }

    #[test]
    fn an_overload_answer_halves_it_once_a_round() {
        let l = Limit::new(Concurrency::Adaptive { max: 16 }, Some(12));
        let permits: Vec<Permit> = (0..12).map(|_| l.start()).collect();
        for p in permits {
            // Every call of the round is refused: one decrease.
            l.finish(p, Outcome::Overload);
        }
        assert_eq!(l.current(), 6);
        assert_eq!(l.settled().overloads, 12);
        // The next round's refusals decrease it again.
        round(&l, |_| Outcome::Overload);
        assert_eq!(l.current(), 3);
        for _ in 0..5 {
            round(&l, |_| Outcome::Overload);
        }
        assert_eq!(l.current(), 1, "never below one");
    }

    #[test]
    fn rising_latency_shrinks_it_and_busy_but_steady_holds_it() {
        let l = Limit::new(Concurrency::Adaptive { max: 16 }, Some(10));
        for _ in 0..3 {
            round(&l, |_| ms(100));
        }
        let before = l.current();
        assert!(before >= 10);
        // 1.5 × the baseline: busy, but keeping up.
        for _ in 0..5 {
            round(&l, |_| ms(150));
        }
        assert_eq!(l.current(), before);
        // Three times the baseline: the target queues.
        round(&l, |_| ms(300));
        round(&l, |_| ms(300));
        assert!(l.current() < before, "{} < {before}", l.current());
        assert!(l.current() >= (before as f64 * SLOW_DECREASE * SLOW_DECREASE) as usize);
    }

    #[test]
    fn answers_of_other_sizes_and_ignored_outcomes_do_not_move_it() {
        let l = Limit::new(Concurrency::Adaptive { max: 16 }, Some(4));
        round(&l, |_| ms(100));
        let before = l.current();
        round(&l, |_| Outcome::Answered {
            latency: Duration::from_secs(5),
            measured: false,
        });
        round(&l, |_| Outcome::Ignore);
        assert_eq!(l.current(), before);
    }

    #[test]
    fn a_fixed_limit_never_moves_but_counts_overloads() {
        let l = Limit::new(Concurrency::Fixed(3), Some(9));
        round(&l, |_| Outcome::Overload);
        round(&l, |_| ms(100));
        round(&l, |_| ms(10_000));
        assert_eq!(l.current(), 3);
        let s = l.settled();
        assert_eq!((s.limit, s.peak, s.overloads), (3, 3, 3));
        assert!(!l.is_adaptive());
        assert!(adaptive(4).is_adaptive());
    }

    #[test]
    fn the_last_runs_limit_is_the_start_within_bounds() {
        assert_eq!(
            Limit::new(Concurrency::Adaptive { max: 8 }, Some(6)).current(),
            6
        );
        assert_eq!(
            Limit::new(Concurrency::Adaptive { max: 8 }, Some(60)).current(),
            8
        );
        assert_eq!(
            Limit::new(Concurrency::Adaptive { max: 8 }, Some(0)).current(),
            1
        );
    }

    #[test]
    fn available_and_in_flight_follow_the_permits() {
        let l = adaptive(16);
        assert!(l.available());
        let a = l.start();
        let b = l.start();
        assert!(!l.available());
        l.finish(a, Outcome::Ignore);
        assert!(l.available());
        l.finish(b, Outcome::Ignore);
    }

    /// A target that answers in `base` up to `capacity` calls at once,
    /// slower in proportion past it (its throughput flat), and refuses past
    /// twice its capacity.
    fn model(capacity: usize, in_flight: usize) -> Outcome {
        if in_flight > 2 * capacity {
            Outcome::Overload
        } else if in_flight > capacity {
            ms(450 * in_flight as u64 / capacity as u64)
        } else {
            ms(450)
        }
    }

    #[test]
    fn against_a_hidden_capacity_it_settles_near_it_without_refusals() {
        for capacity in [1, 2, 4, 6, 10] {
            let l = adaptive(32);
            for _ in 0..200 {
                round(&l, |n| model(capacity, n));
            }
            let s = l.settled();
            assert!(
                s.limit as usize >= capacity.min(2) && s.limit as usize <= 2 * capacity,
                "capacity {capacity}: settled at {s:?}"
            );
            // Only where a second call is already past twice the capacity
            // (capacity 1) does the limit try it, rarely, and come back.
            let allowed = if capacity == 1 { 5 } else { 0 };
            assert!(s.overloads <= allowed, "capacity {capacity}: {s:?}");
            if capacity >= 2 {
                assert!(s.limit as usize >= capacity, "capacity {capacity}: {s:?}");
            }
        }
    }

    #[test]
    fn a_target_that_refuses_past_its_capacity_costs_few_refusals() {
        // Refuses at once past 5 calls at once, never slows down first.
        let l = adaptive(32);
        let mut calls = 0;
        for _ in 0..300 {
            calls += l.current();
            round(&l, |n| if n > 5 { Outcome::Overload } else { ms(200) });
        }
        let s = l.settled();
        assert!((2..=5).contains(&s.limit), "{s:?}");
        // Each climb past 5 costs one round of refusals; near where the
        // last one came, the limit climbs slowly.
        assert!(s.overloads * 10 < calls as u64, "{s:?} in {calls} calls");
    }
}
