//! What every handler of a running sandbox shares: its settings, clock,
//! generated documents, limiter, fault draws, Kingdee state and counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::config::{SandboxConfig, Service, WdtQuirks};
use crate::exchanges::ExchangeLog;
use crate::faults::FaultInjector;
use crate::kingdee::state::KingdeeState;
use crate::ratelimit::RateLimiter;
use crate::wdt::DataSet;

/// Requests served per service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub wdt: u64,
    pub qimen: u64,
    pub kingdee: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    wdt: AtomicU64,
    qimen: AtomicU64,
    kingdee: AtomicU64,
}

impl Stats {
    pub(crate) fn count(&self, service: Service) {
        let c = match service {
            Service::Wdt => &self.wdt,
            Service::Qimen => &self.qimen,
            Service::Kingdee => &self.kingdee,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            wdt: self.wdt.load(Ordering::Relaxed),
            qimen: self.qimen.load(Ordering::Relaxed),
            kingdee: self.kingdee.load(Ordering::Relaxed),
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct App {
    pub config: SandboxConfig,
    pub clock: Clock,
    pub data: DataSet,
    pub limiter: RateLimiter,
    pub faults: FaultInjector,
    pub kingdee: KingdeeState,
    pub stats: Stats,
    pub exchanges: Arc<ExchangeLog>,
    pub wdt_quirks: Mutex<WdtQuirks>,
    /// Turns taken by answers that vary (rate-limit wordings).
    pub turns: AtomicU64,
}

impl App {
    /// The 旺店通 quirks shown now.
    pub(crate) fn wdt_quirks(&self) -> WdtQuirks {
        self.wdt_quirks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The next turn (0, 1, 2, …) of answers that vary.
    pub(crate) fn turn(&self) -> u64 {
        self.turns.fetch_add(1, Ordering::Relaxed)
    }
}
