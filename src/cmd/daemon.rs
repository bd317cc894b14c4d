//! `duijie daemon`: runs every enabled scheme on its schedule (`every`)
//! until SIGINT or SIGTERM, then lets the batches in flight finish and stops.
//!
//! Each scheme runs in its own task; schemes on the same account share its
//! rate limit. A scheme's next run starts `every` after its last one
//! started (at once if a run took longer).

use std::path::PathBuf;
use std::sync::Arc;

use duijie_maplib::Mapper;
use duijie_runtime::engine::{Engine, RunOptions, Scheme, Shutdown};
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::Store;

use super::run::{connect_all, load_config, open_store, report_line, select, shutdown_on_signals};

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Run only these schemes (default: every enabled one).
    #[arg(value_name = "SCHEME")]
    pub schemes: Vec<String>,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

async fn scheme_loop(
    engine: Arc<Engine>,
    scheme: Scheme,
    every: std::time::Duration,
    shutdown: Shutdown,
) {
    loop {
        if shutdown.requested() {
            return;
        }
        let started = tokio::time::Instant::now();
        match engine.run(&scheme, &RunOptions::default()).await {
            Ok(report) => println!("{}", report_line(&report)),
            Err(e) => {
                // The store failed or another process holds the scheme:
                // say so, and try again at the next tick.
                tracing::error!(scheme = %scheme.name, error = %e, "run not started");
                eprintln!("{}: {e}", scheme.name);
            }
        }
        let next = started + every;
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = shutdown.wait() => return,
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
    let limits = RateLimits::new();
    let connected = connect_all(&config, &chosen, schemes, &limits)?;
    let store = open_store(&config)?;
    let shutdown = shutdown_on_signals();
    let engine = Arc::new(Engine::new(store as Arc<dyn Store>).with_shutdown(shutdown.clone()));
    eprintln!(
        "duijie daemon: {} scheme(s) ({}); Ctrl-C or SIGTERM stops after the batches in flight",
        connected.len(),
        chosen
            .iter()
            .map(|c| format!(
                "{} every {}",
                c.name,
                duijie_runtime::config::format_duration(c.every)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut tasks = tokio::task::JoinSet::new();
    for (scheme, cfg) in connected.into_iter().zip(chosen.iter()) {
        tasks.spawn(scheme_loop(
            engine.clone(),
            scheme,
            cfg.every,
            shutdown.clone(),
        ));
    }
    while let Some(result) = tasks.join_next().await {
        if let Err(e) = result {
            tracing::error!(error = %e, "a scheme task ended abnormally");
        }
    }
    eprintln!("duijie daemon: stopped");
    Ok(0)
}
