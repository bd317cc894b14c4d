//! Call-rate limits shared by every scheme of one account in this process.
//!
//! Each account (a 旺店通 `sid`, a 金蝶 server and data center) has one
//! [`Bucket`] allowing `per_minute` calls a minute, two ways at once:
//!
//! - a token bucket spaces calls out: `per_minute` tokens a minute, at most a
//!   tenth of a minute's worth saved up (a short burst);
//! - a sliding window never lets more than `per_minute` calls go in any
//!   [`WINDOW`] (a minute and a second: the second absorbs the network's
//!   jitter between our clock and the vendor's), which is how vendors count
//!   (旺店通: calls in the last minute per `sid`). The burst alone would let
//!   `per_minute` + a tenth through in the first minute.
//!
//! When the vendor answers "too many calls" anyway (another program using
//! the same account), the engine [`Bucket::pause`]s the bucket, which holds
//! back every scheme of the account, then goes on: a rate limit never fails
//! a run.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The buckets of a process, by account key.
#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<String, Arc<Bucket>>>,
}

impl RateLimits {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bucket of `key`, created with `per_minute` on first use (0 = no
    /// limit of ours; vendor answers still pause it).
    pub fn bucket(&self, key: &str, per_minute: u32) -> Arc<Bucket> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.to_string())
            .or_insert_with(|| Arc::new(Bucket::new(key, per_minute)))
            .clone()
    }
}

/// The sliding window over which at most `per_minute` calls go.
pub const WINDOW: Duration = Duration::from_secs(61);

#[derive(Debug)]
struct State {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
    /// When the calls of the last [`WINDOW`] went, oldest first.
    sent: VecDeque<Instant>,
}

/// A token bucket with a pause.
#[derive(Debug)]
pub struct Bucket {
    key: String,
    per_minute: u32,
    capacity: f64,
    state: Mutex<State>,
}

impl Bucket {
    /// A bucket allowing `per_minute` calls a minute (0 = unlimited).
    pub fn new(key: &str, per_minute: u32) -> Self {
        let capacity = (f64::from(per_minute) / 10.0).max(1.0);
        Bucket {
            key: key.to_string(),
            per_minute,
            capacity,
            state: Mutex::new(State {
                tokens: capacity,
                last: Instant::now(),
                paused_until: None,
                sent: VecDeque::new(),
            }),
        }
    }

    /// The account key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How long to wait before a call may go, taking its token if none.
    fn try_take(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = s.paused_until {
            if until > now {
                return Some(until - now);
            }
            s.paused_until = None;
        }
        if self.per_minute == 0 {
            return None;
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.tokens = (s.tokens + elapsed * rate).min(self.capacity);
        s.last = now;
        while s
            .sent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW)
        {
            s.sent.pop_front();
        }
        if s.sent.len() >= self.per_minute as usize {
            // The window is full: wait for its oldest call to leave it.
            let oldest = s.sent.front().copied().unwrap_or(now);
            return Some(
                (oldest + WINDOW)
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(1)),
            );
        }
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            s.sent.push_back(now);
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - s.tokens) / rate))
        }
    }

    /// Waits until a call may go.
    pub async fn acquire(&self) {
        while let Some(wait) = self.try_take() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every call back for `d` (after a rate-limit answer).
    pub fn pause(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.paused_until.is_none_or(|u| u < until) {
            s.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_at_the_rate() {
        let b = Bucket::new("k", 60); // one a second, capacity 6
        let t0 = Instant::now();
        for _ in 0..6 {
            b.acquire().await;
        }
        assert!(
            t0.elapsed() < Duration::from_millis(10),
            "the burst is free"
        );
        for _ in 0..3 {
            b.acquire().await;
        }
        let e = t0.elapsed();
        assert!(
            e >= Duration::from_millis(2990) && e < Duration::from_millis(3100),
            "{e:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window_and_close_to_it_over_time() {
        let b = Bucket::new("k", 60);
        let t0 = Instant::now();
        let mut at = Vec::new();
        for _ in 0..400 {
            b.acquire().await;
            at.push(t0.elapsed());
        }
        // The burst of 6 plus one a second would make 66 in the first
        // minute; the window holds it to 60 in any 61 seconds.
        for (i, &t) in at.iter().enumerate() {
            let in_window = at[i..].iter().take_while(|&&u| u - t < WINDOW).count();
            assert!(
                in_window <= 60,
                "{in_window} calls in the window from {t:?}"
            );
        }
        // Sustained: 400 calls in about 400 s (60 a minute, less the
        // second of margin), well over 90% of the limit.
        let per_minute = 400.0 / at[399].as_secs_f64() * 60.0;
        assert!((57.0..=60.5).contains(&per_minute), "{per_minute}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller() {
        let limits = RateLimits::new();
        let a = limits.bucket("wdt:sid", 0);
        let b = limits.bucket("wdt:sid", 0);
        a.pause(Duration::from_secs(5));
        let t0 = Instant::now();
        b.acquire().await;
        assert!(t0.elapsed() >= Duration::from_secs(5));
        let c = limits.bucket("wdt:other", 0);
        let t1 = Instant::now();
        c.acquire().await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }
}
