//! Local sandboxes of 旺店通 openapi2, 旺店通 through the Qimen gateway, and
//! 金蝶云星空 WebAPI: real HTTP servers on one address, faithful to the wire
//! protocols of shared/protocols.md, so that the whole product runs and is
//! tested on a laptop with no vendor account.
//!
//! ```no_run
//! # async fn demo() -> Result<(), duijie_sandbox::SandboxError> {
//! use duijie_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig {
//!     listen: "127.0.0.1:0".parse().unwrap(),
//!     ..SandboxConfig::default()
//! })
//! .await?;
//! println!("{}", sandbox.base_url()); // http://127.0.0.1:PORT
//! let control = sandbox.control();
//! control.expire_sessions();
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! | path | service | module |
//! |---|---|---|
//! | `POST /openapi2/{api}.php` | 旺店通 openapi2 (`purchase_order_query`, `stockin_order_query`) | `wdt::openapi2` |
//! | `POST /router/qm` | Qimen gateway (`wdt.stockin.order.query`) | `wdt::qimen` |
//! | `POST /k3cloud/Kingdee.BOS.WebApi.ServicesStub.{Service}.{Method}.common.kdsvc` | 金蝶云星空 | `kingdee` |
//!
//! The 旺店通 documents are generated on the fly from a seed (see
//! [`DataConfig`]); Kingdee bills live in memory for the life of the
//! process. Faults (HTTP 500, slow answers, dropped connections, rate
//! limits, lost sessions) are injected by seeded draws ([`FaultConfig`]).
//! [`Control`] steers a running sandbox from the same process.

mod app;
pub mod cli;
mod clock;
mod config;
mod exchanges;
mod faults;
mod http;
mod kingdee;
mod masterdata;
mod ratelimit;
mod rng;
mod server;
mod wdt;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone};

pub use app::RequestCounts;
pub use config::{
    DataConfig, FaultConfig, KingdeeConfig, KingdeeLoad, KingdeeQuirk, KingdeeQuirks, QimenConfig,
    QimenErrorStyle, SandboxConfig, Service, ServiceFaults, WdtCredentials, WdtQuirk, WdtQuirks,
    DEFAULT_LISTEN,
};
pub use exchanges::Exchange;
pub use faults::FaultCounts;
pub use masterdata::{MasterData, MasterDataError};
pub use wdt::{purchase_order_json, DocKind, LibraryKind};

use app::{App, Stats};
use clock::Clock;
use faults::FaultInjector;
use kingdee::state::KingdeeState;
use ratelimit::RateLimiter;
use wdt::DataSet;

/// Largest number of documents of one kind (bill numbers carry a 7-digit sequence).
pub const MAX_DOCUMENTS: u32 = 9_999_999;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid sandbox setting: {0}")]
    Config(String),
    #[error(transparent)]
    MasterData(#[from] MasterDataError),
    #[error("sandbox I/O error")]
    Io(#[from] std::io::Error),
}

fn validate(config: &SandboxConfig) -> Result<(), SandboxError> {
    let d = &config.data;
    if d.sales_outs > MAX_DOCUMENTS {
        return Err(SandboxError::Config(format!(
            "at most {MAX_DOCUMENTS} sales stock-outs (asked for {})",
            d.sales_outs
        )));
    }
    if d.purchase_orders > MAX_DOCUMENTS || d.stockins > MAX_DOCUMENTS {
        return Err(SandboxError::Config(format!(
            "at most {MAX_DOCUMENTS} documents of a kind (asked for {} purchase orders, {} stock-ins)",
            d.purchase_orders, d.stockins
        )));
    }
    for (name, f) in [
        ("wdt", &config.faults.wdt),
        ("qimen", &config.faults.qimen),
        ("kingdee", &config.faults.kingdee),
    ] {
        let ps = [f.http_500, f.slow, f.drop, f.rate_limit, f.session_loss];
        if ps.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(SandboxError::Config(format!(
                "{name} fault probabilities must lie in 0..=1"
            )));
        }
        if ps.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err(SandboxError::Config(format!(
                "{name} fault probabilities add up to more than 1"
            )));
        }
    }
    if config.qimen.max_page_size == 0 {
        return Err(SandboxError::Config(
            "Qimen max page size must be at least 1".into(),
        ));
    }
    Ok(())
}

/// A running sandbox. Dropping it stops the server too; [`Sandbox::shutdown`]
/// also waits for it.
pub struct Sandbox {
    addr: SocketAddr,
    app: Arc<App>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `config.listen` (port 0 picks a free port), generates the data
    /// index and starts serving.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        validate(&config)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let clock = Clock::new(config.fixed_now);
        let anchor = config.data.anchor.unwrap_or_else(|| clock.now());
        let data_config = config.data.clone();
        let data = tokio::task::spawn_blocking(move || DataSet::new(&data_config, anchor))
            .await
            .map_err(|e| SandboxError::Config(format!("data generation failed: {e}")))?;
        let app = Arc::new(App {
            limiter: RateLimiter::new(config.rate_limit_per_min),
            faults: FaultInjector::new(config.fault_seed, config.faults.clone()),
            kingdee: KingdeeState::new(
                config.kingdee.clone(),
                config.data.seed ^ config.fault_seed,
                clock.now(),
            ),
            stats: Stats::default(),
            exchanges: Arc::default(),
            wdt_quirks: std::sync::Mutex::new(config.wdt_quirks.clone()),
            turns: std::sync::atomic::AtomicU64::new(0),
            data,
            clock,
            config,
        });
        let router = server::router(app.clone());
        let task = tokio::spawn(server::serve(listener, router));
        tracing::info!("sandbox listening on http://{addr}");
        Ok(Sandbox {
            addr,
            app,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash). 旺店通 openapi2 is at
    /// `{base}/openapi2/{api}.php`, Qimen at `{base}/router/qm`, Kingdee's
    /// server URL is `{base}/k3cloud`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Steering of this sandbox from the same process.
    pub fn control(&self) -> Control {
        Control {
            app: self.app.clone(),
        }
    }

    /// Stops serving and closes every connection.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// In-process control of a running sandbox (cheap to clone).
#[derive(Clone)]
pub struct Control {
    app: Arc<App>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("control", &self.control())
            .finish()
    }
}

/// A summary: counts only (no credentials, no session ids, no records).
impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = &self.app.kingdee;
        f.debug_struct("Control")
            .field("now", &self.now())
            .field(
                "purchase_orders",
                &self.document_count(DocKind::PurchaseOrder),
            )
            .field("stockins", &self.document_count(DocKind::StockIn))
            .field("sessions", &k.sessions)
            .field("bills", &k.store)
            .field("requests", &self.request_counts())
            .field("faults", &self.fault_counts())
            .finish()
    }
}

fn cst_time(ts: i64) -> Option<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(clock::CST_OFFSET_SECS)?;
    offset.timestamp_opt(ts, 0).single()
}

impl Control {
    /// How many base-data records `form` has (seeded, generated, saved).
    pub fn master_data_count(&self, form: &str) -> usize {
        self.app.kingdee.master().count(form)
    }

    /// Whether `number` of base-data form `form` satisfies lookups
    /// (audited, not forbidden).
    pub fn master_data_contains(&self, form: &str, number: &str) -> bool {
        self.app.kingdee.master().contains(form, number)
    }

    /// Starts (`true`) or stops recording every request and its answer,
    /// byte for byte ([`Exchange`]).
    pub fn record_exchanges(&self, on: bool) {
        self.app.exchanges.set(on);
    }

    /// Takes the exchanges recorded so far, in the order they were answered.
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        self.app.exchanges.take()
    }

    /// The sandbox clock, unix seconds.
    pub fn now(&self) -> i64 {
        self.app.clock.now()
    }

    /// Freezes the sandbox clock at `unix` seconds, or lets it run (`None`).
    pub fn set_now(&self, unix: Option<i64>) {
        self.app.clock.set(unix);
    }

    /// Number of generated documents of `kind`.
    pub fn document_count(&self, kind: DocKind) -> u32 {
        self.app.data.count(kind)
    }

    /// Document `id` (`purchase_id` / `stockin_id`, from 1) exactly as the
    /// APIs serve it now.
    pub fn document(&self, kind: DocKind, id: u64) -> Option<serde_json::Value> {
        self.app.data.document(kind, id)
    }

    /// The current modified time of document `id`, in UTC+8.
    pub fn modified(&self, kind: DocKind, id: u64) -> Option<DateTime<FixedOffset>> {
        self.app.data.modified(kind, id).and_then(cst_time)
    }

    /// Sets the modified time of documents `ids` to `at` (they move in the
    /// modified-time order, as edited documents do); returns how many exist.
    pub fn touch<Tz: TimeZone>(&self, kind: DocKind, ids: &[u64], at: &DateTime<Tz>) -> usize {
        self.app.data.touch(kind, ids, at.timestamp())
    }

    /// Touches `n` distinct documents chosen by a seeded draw, setting their
    /// modified time to the sandbox clock's now; returns their ids.
    pub fn touch_random(&self, kind: DocKind, n: usize) -> Vec<u64> {
        self.app.data.touch_random(kind, n, self.app.clock.now())
    }

    /// Like [`Control::touch_random`] with an explicit time.
    pub fn touch_random_at<Tz: TimeZone>(
        &self,
        kind: DocKind,
        n: usize,
        at: &DateTime<Tz>,
    ) -> Vec<u64> {
        self.app.data.touch_random(kind, n, at.timestamp())
    }

    /// Loses every Kingdee session: the next call with one gets MsgCode 1.
    pub fn expire_sessions(&self) {
        self.app.kingdee.sessions.clear();
    }

    /// Replaces the 旺店通 quirks (openapi2 and Qimen).
    pub fn set_wdt_quirks(&self, quirks: WdtQuirks) {
        *self
            .app
            .wdt_quirks
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = quirks;
    }

    /// Replaces the 金蝶 quirks (answers other than the textbook shapes).
    pub fn set_kingdee_quirks(&self, quirks: KingdeeQuirks) {
        self.app.kingdee.set_quirks(quirks);
    }

    /// Kingdee sessions currently live.
    pub fn live_sessions(&self) -> usize {
        self.app.kingdee.sessions.live()
    }

    /// Number of bills saved in Kingdee form `form` (case-insensitive).
    pub fn bill_count(&self, form: &str) -> usize {
        self.app.kingdee.store.count(form)
    }

    /// How many bills of `form` carry the number `number` (0 or 1: numbers are unique).
    pub fn bill_count_by_number(&self, form: &str, number: &str) -> usize {
        usize::from(self.app.kingdee.store.by_number(form, number).is_some())
    }

    /// Bill count per number of `form`.
    pub fn bill_counts(&self, form: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for number in self.app.kingdee.store.numbers(form) {
            *counts.entry(number).or_insert(0) += 1;
        }
        counts
    }

    /// `FDocumentStatus` of the bill numbered `number` of `form`: `A`
    /// created, `B` submitted, `C` audited.
    pub fn bill_status(&self, form: &str, number: &str) -> Option<&'static str> {
        let k = &self.app.kingdee;
        let bills = k.store.by_number(form, number)?;
        let b = bills.get(0)?;
        Some(match b.status() {
            "C" => "C",
            _ if k.submitted.contains(form, b.id) => "B",
            other => other,
        })
    }

    /// Bill numbers of `form` in save order.
    pub fn bill_numbers(&self, form: &str) -> Vec<String> {
        self.app.kingdee.store.numbers(form)
    }

    /// The stored bills of `form` in save order: the model as sent (dates
    /// normalised) with `FID`, `FBillNo`, `FDocumentStatus` and entry
    /// `FEntryID`s.
    ///
    /// The sandbox keeps bills as compact JSON text; this parses every one
    /// of them, and a parsed bill takes ten times the memory of its text.
    /// For counts over many bills use [`Control::bill_count`] and
    /// [`Control::entry_rows`].
    pub fn bills(&self, form: &str) -> Vec<serde_json::Value> {
        let all = self.app.kingdee.store.all(form);
        let mut bills = Vec::with_capacity(all.len());
        bills.extend(all.iter().map(|b| serde_json::Value::Object(b.data())));
        bills
    }

    /// The rows of entry `entry` (exact key, e.g. `FPOOrderEntry`) summed
    /// over the stored bills of `form`: the same as summing the lengths of
    /// `bill[entry]` over [`Control::bills`], without parsing the bills.
    pub fn entry_rows(&self, form: &str, entry: &str) -> usize {
        self.app
            .kingdee
            .store
            .all(form)
            .iter()
            .map(|b| b.entry_rows(entry))
            .sum()
    }

    /// Replaces the fault settings of `service`.
    pub fn set_faults(&self, service: Service, config: FaultConfig) {
        self.app.faults.set(service, config);
    }

    /// The fault settings of `service`.
    pub fn faults(&self, service: Service) -> FaultConfig {
        self.app.faults.get(service)
    }

    /// Turns every fault off.
    pub fn clear_faults(&self) {
        for s in [Service::Wdt, Service::Qimen, Service::Kingdee] {
            self.app.faults.set(
                s,
                FaultConfig {
                    slow_delay: self.app.faults.get(s).slow_delay,
                    ..FaultConfig::default()
                },
            );
        }
    }

    /// Faults injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.app.faults.counts()
    }

    /// Changes the per-`sid` calls-per-minute limit (0 = off).
    pub fn set_rate_limit_per_min(&self, per_minute: u32) {
        self.app.limiter.set_limit(per_minute);
    }

    /// Requests received per service.
    pub fn request_counts(&self) -> RequestCounts {
        self.app.stats.snapshot()
    }
}
