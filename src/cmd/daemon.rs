//! `duijie daemon`: runs every enabled scheme on its schedule (`every`)
//! until SIGINT or SIGTERM, then lets the batches in flight finish and stops.
//!
//! Each scheme runs in its own task; schemes on the same account share its
//! rate limit. A scheme's next run starts `every` after its last one
//! started (at once if a run took longer), or at the next time of its
//! `cron` expression, within its `only` window; a scheduled backfill runs on
//! its own schedule (`runtime::config::schedule`).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use duijie_maplib::Mapper;
use duijie_runtime::config::schedule::{Backfill, Schedule};
use duijie_runtime::config::SchemeConfig;
use duijie_runtime::engine::{Engine, RunOptions, Scheme, Shutdown};
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::{DaemonId, RunKind, SqliteStore, Store};

use super::run::{connect_all, load_config, open_store, report_line, select, shutdown_on_signals};

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Run only these schemes (default: every enabled one).
    #[arg(value_name = "SCHEME")]
    pub schemes: Vec<String>,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve the run overview (`duijie serve`) at ADDR from this process
    /// too, over the same store; any address but loopback needs
    /// DUIJIE_SERVE_TOKEN.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<std::net::SocketAddr>,
}

/// How often the daemon writes its heartbeat in the state store; `status`
/// holds a daemon silent for three beats as gone.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

/// Now, as the daemon's lines show it (UTC+8, the sources' zone).
fn stamp() -> String {
    let zone = duijie_runtime::engine::window::zone(
        duijie_runtime::engine::window::DEFAULT_UTC_OFFSET_SECS,
    );
    chrono::Utc::now()
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S%:z")
        .to_string()
}

/// Which run of a scheme is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Incremental,
    Backfill,
}

/// Runs `scheme` on its schedule (and its scheduled backfill) until
/// `shutdown`. Times are in the source's zone.
async fn scheme_loop(
    engine: Arc<Engine>,
    store: Arc<SqliteStore>,
    scheme: Scheme,
    schedule: Schedule,
    backfill: Option<Backfill>,
    shutdown: Shutdown,
) {
    let zone = scheme.settings.window.zone;
    let mut last_run: Option<DateTime<Utc>> = None;
    // A backfill's schedule goes on from the last one recorded.
    let mut last_backfill: Option<DateTime<Utc>> = match &backfill {
        Some(_) => {
            let (store, name) = (engine.store().clone(), scheme.name.clone());
            tokio::task::spawn_blocking(move || store.overview(&name, 50))
                .await
                .ok()
                .and_then(Result::ok)
                .and_then(|o| {
                    o.runs
                        .into_iter()
                        .find(|r| r.kind == RunKind::Backfill)
                        .map(|r| r.started_at)
                })
        }
        None => None,
    };
    loop {
        if shutdown.requested() {
            return;
        }
        let now = Utc::now();
        let mut next = (schedule.next(last_run, now, zone), Due::Incremental);
        if let Some(b) = &backfill {
            let when = Schedule {
                every: b.every.clone(),
                only: schedule.only,
            }
            .next(last_backfill, now, zone);
            if when < next.0 {
                next = (when, Due::Backfill);
            }
        }
        let wait = (next.0 - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => return,
        }
        let started = Utc::now();
        // A scheme an operator paused waits for its next turn.
        let (store, name) = (store.clone(), scheme.name.clone());
        match tokio::task::spawn_blocking(move || store.paused(&name)).await {
            Ok(Ok(Some(_))) => {
                match next.1 {
                    Due::Incremental => last_run = Some(started),
                    Due::Backfill => last_backfill = Some(started),
                }
                tracing::info!(scheme = %scheme.name, "paused: not run");
                continue;
            }
            Ok(Err(e)) => {
                tracing::warn!(scheme = %scheme.name, error = %e, "could not read whether the scheme is paused; running it")
            }
            _ => {}
        }
        let options = match next.1 {
            Due::Incremental => {
                last_run = Some(started);
                RunOptions::default()
            }
            Due::Backfill => {
                last_backfill = Some(started);
                RunOptions {
                    backfill_days: backfill.as_ref().map(|b| b.days),
                }
            }
        };
        match engine.run(&scheme, &options).await {
            Ok(report) => println!("{} {}", stamp(), report_line(&report)),
            Err(e) => {
                // The store failed or another process holds the scheme:
                // say so, and try again on schedule.
                let again = schedule.next(last_run, Utc::now(), zone);
                let again = again.with_timezone(&zone).format("%H:%M:%S%:z");
                tracing::error!(scheme = %scheme.name, error = %e, next = %again, "run stopped; trying again on schedule");
                if !super::json_logs() {
                    eprintln!("{} {}: {e}; trying again at {again}", stamp(), scheme.name,);
                }
            }
        }
    }
}

/// `duijie daemon`.
pub async fn run(args: DaemonArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let config = load_config(args.config.as_deref())?;
    let chosen = if args.schemes.is_empty() {
        select(&config, None, true)?
    } else {
        let mut v = Vec::new();
        for name in &args.schemes {
            v.extend(select(&config, Some(name), false)?);
        }
        v
    };
    let token = match args.serve {
        Some(listen) => crate::serve::token_for(listen)?,
        None => None,
    };
    let limits = Arc::new(RateLimits::new());
    let connected = connect_all(&config, &chosen, schemes, &limits)?;
    let store = open_store(&config)?;
    let shutdown = shutdown_on_signals();
    // The web server shares the store, the rate limits and the stop.
    let server = match args.serve {
        Some(listen) => {
            let app = Arc::new(crate::serve::App::new(
                config.clone(),
                schemes.to_vec(),
                store.clone(),
                token,
                limits.clone(),
                shutdown.clone(),
            ));
            let bound = crate::serve::bind(listen, app).await?;
            bound.announce();
            let stop = shutdown.clone();
            Some(tokio::spawn(async move {
                if let Err(e) = bound.serve(stop).await {
                    tracing::error!(error = %format!("{e:#}"), "the web server stopped");
                }
            }))
        }
        None => None,
    };
    let engine =
        Arc::new(Engine::new(store.clone() as Arc<dyn Store>).with_shutdown(shutdown.clone()));
    eprintln!(
        "duijie daemon: {} scheme(s) ({}); Ctrl-C or SIGTERM stops after the batches in flight",
        connected.len(),
        chosen
            .iter()
            .map(|c| match &c.backfill {
                Some(b) => format!("{} {}, {b}", c.name, c.schedule),
                None => format!("{} {}", c.name, c.schedule),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let heartbeat = beat_while_running(engine.store().clone(), &chosen, shutdown.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for (scheme, cfg) in connected.into_iter().zip(chosen.iter()) {
        tasks.spawn(scheme_loop(
            engine.clone(),
            store.clone(),
            scheme,
            cfg.schedule.clone(),
            cfg.backfill.clone(),
            shutdown.clone(),
        ));
    }
    while let Some(result) = tasks.join_next().await {
        if let Err(e) = result {
            tracing::error!(error = %e, "a scheme task ended abnormally");
        }
    }
    heartbeat.stop().await;
    if let Some(server) = server {
        let _ = server.await;
    }
    eprintln!("duijie daemon: stopped");
    Ok(0)
}

/// The heartbeat task of a daemon.
struct Heartbeat {
    store: Arc<dyn Store>,
    id: Option<DaemonId>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// Records that the daemon stopped.
    async fn stop(self) {
        self.task.abort();
        if let Some(id) = self.id {
            let store = self.store;
            let done = tokio::task::spawn_blocking(move || {
                store.daemon_beat(id, chrono::Utc::now(), true)
            })
            .await;
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "could not record that the daemon stopped");
            }
        }
    }
}

/// Records the daemon in the state store and beats every [`HEARTBEAT`]
/// until `shutdown`. A store that cannot take the beat (disk full) is
/// logged; the daemon goes on.
fn beat_while_running(
    store: Arc<dyn Store>,
    chosen: &[&SchemeConfig],
    shutdown: Shutdown,
) -> Heartbeat {
    let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    let host = host_name();
    let id = match store.daemon_started(
        std::process::id(),
        &host,
        &names.join(","),
        chrono::Utc::now(),
    ) {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "could not record the daemon in the state store; status will not see it");
            None
        }
    };
    let beating = store.clone();
    let task = tokio::spawn(async move {
        let Some(id) = id else { return };
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.wait() => return,
            }
            let store = beating.clone();
            let beat = tokio::task::spawn_blocking(move || {
                store.daemon_beat(id, chrono::Utc::now(), false)
            })
            .await;
            if let Ok(Err(e)) = beat {
                tracing::warn!(error = %e, "could not write the daemon's heartbeat");
            }
        }
    });
    Heartbeat { store, id, task }
}

/// This machine's name (for the heartbeat), or `unknown`.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if let Ok(name) = std::str::from_utf8(&buf[..end]) {
                if !name.is_empty() {
                    return name.to_string();
                }
            }
        }
    }
    "unknown".to_string()
}
