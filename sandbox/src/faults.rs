//! Seeded fault injection.
//!
//! Each request draws once from one seeded stream: with the service's
//! probabilities it gets an HTTP 500, a slow answer, a dropped connection, a
//! rate-limit answer or (Kingdee) a lost session. For a slow or dropped answer
//! a second draw decides whether the request is carried out first — a
//! Kingdee save that happened although its answer never arrived is what makes
//! exactly-once delivery hard, and the sandbox models it on purpose.

use std::sync::Mutex;
use std::time::Duration;

use crate::config::{FaultConfig, Service, ServiceFaults};
use crate::rng::Rng;

/// What goes wrong with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Http500,
    /// Answer after the delay; `after_processing`: the work is done before
    /// waiting (else after).
    Slow {
        after_processing: bool,
        delay: Duration,
    },
    /// Close the connection; `after_processing`: the work is done first.
    Drop {
        after_processing: bool,
    },
    RateLimit,
    SessionLoss,
}

/// How many faults of each kind were injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub http_500: u64,
    pub slow: u64,
    pub drop: u64,
    pub rate_limit: u64,
    pub session_loss: u64,
}

#[derive(Debug)]
struct Inner {
    rng: Rng,
    faults: ServiceFaults,
    counts: FaultCounts,
}

#[derive(Debug)]
pub(crate) struct FaultInjector {
    inner: Mutex<Inner>,
}

impl FaultInjector {
    pub(crate) fn new(seed: u64, faults: ServiceFaults) -> Self {
        FaultInjector {
            inner: Mutex::new(Inner {
                rng: Rng::new(seed),
                faults,
                counts: FaultCounts::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set(&self, service: Service, config: FaultConfig) {
        *self.lock().faults.get_mut(service) = config;
    }

    pub(crate) fn get(&self, service: Service) -> FaultConfig {
        self.lock().faults.get(service).clone()
    }

    pub(crate) fn counts(&self) -> FaultCounts {
        self.lock().counts
    }

    /// Draws the fault of one request of `service`, if any.
    pub(crate) fn roll(&self, service: Service) -> Option<Fault> {
        let mut inner = self.lock();
        let config = inner.faults.get(service).clone();
        if config.is_off() {
            return None;
        }
        let x = inner.rng.unit();
        let session_loss = if service == Service::Kingdee {
            config.session_loss
        } else {
            0.0
        };
        let mut edge = 0.0;
        let mut hit = |p: f64| {
            edge += p.max(0.0);
            x < edge
        };
        let fault = if hit(config.http_500) {
            inner.counts.http_500 += 1;
            Fault::Http500
        } else if hit(config.slow) {
            inner.counts.slow += 1;
            Fault::Slow {
                after_processing: inner.rng.chance(0.5),
                delay: config.slow_delay,
            }
        } else if hit(config.drop) {
            inner.counts.drop += 1;
            Fault::Drop {
                after_processing: inner.rng.chance(0.5),
            }
        } else if hit(config.rate_limit) {
            inner.counts.rate_limit += 1;
            Fault::RateLimit
        } else if hit(session_loss) {
            inner.counts.session_loss += 1;
            Fault::SessionLoss
        } else {
            return None;
        };
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_means_never() {
        let f = FaultInjector::new(1, ServiceFaults::default());
        assert!((0..1000).all(|_| f.roll(Service::Wdt).is_none()));
    }

    #[test]
    fn draws_follow_probabilities_and_seed() {
        let config = FaultConfig {
            http_500: 0.25,
            drop: 0.25,
            ..FaultConfig::default()
        };
        let a = FaultInjector::new(9, ServiceFaults::all(config.clone()));
        let b = FaultInjector::new(9, ServiceFaults::all(config));
        let xs: Vec<_> = (0..400).map(|_| a.roll(Service::Kingdee)).collect();
        let ys: Vec<_> = (0..400).map(|_| b.roll(Service::Kingdee)).collect();
        assert_eq!(xs, ys);
        let faults = xs.iter().filter(|f| f.is_some()).count();
        assert!((120..280).contains(&faults), "{faults}");
        let c = a.counts();
        assert_eq!(c.http_500 + c.drop, faults as u64);
    }

    #[test]
    fn session_loss_only_for_kingdee() {
        let config = FaultConfig {
            session_loss: 1.0,
            ..FaultConfig::default()
        };
        let f = FaultInjector::new(3, ServiceFaults::all(config));
        assert_eq!(f.roll(Service::Wdt), None);
        assert_eq!(f.roll(Service::Kingdee), Some(Fault::SessionLoss));
    }
}
