//! Per-key calls-per-minute limit (旺店通 limits each `sid`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// A sliding one-minute window of calls per key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_minute: AtomicU32,
    calls: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute: AtomicU32::new(per_minute),
            calls: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn set_limit(&self, per_minute: u32) {
        self.per_minute.store(per_minute, Ordering::Relaxed);
    }

    /// Counts one call of `key`; false when the limit is already reached
    /// (the refused call is not counted).
    pub(crate) fn allow(&self, key: &str) -> bool {
        let limit = self.per_minute.load(Ordering::Relaxed);
        if limit == 0 {
            return true;
        }
        let now = Instant::now();
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let window = calls.entry(key.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return false;
        }
        window.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key() {
        let r = RateLimiter::new(2);
        assert!(r.allow("a"));
        assert!(r.allow("a"));
        assert!(!r.allow("a"));
        assert!(r.allow("b"));
        r.set_limit(0);
        assert!(r.allow("a"));
    }
}
