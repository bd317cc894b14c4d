//! `duijie lookups`: the caches of master data that schemes look up.
//!
//! - `duijie lookups status` lists each cache (form, key field, rows, the
//!   fields kept, the last refresh and the newest modify date read);
//! - `duijie lookups refresh [SCHEME…] [--full]` refreshes the caches the
//!   schemes read now: by modify date, or every row with `--full`.
//!
//! Runs refresh the caches they need before reading (see `lookup_refresh`
//! in docs/sync.md); this is for an operator who just added base data.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use duijie_maplib::Mapper;
use duijie_runtime::engine::Engine;
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::{LookupCache, Store};

use super::run::{connect_all, load_config, open_store, select, ReportFormat};

#[derive(Debug, clap::Args)]
pub struct LookupsArgs {
    #[command(subcommand)]
    pub action: LookupsAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum LookupsAction {
    /// The caches: form, key field, rows, last refresh.
    Status(StatusArgs),
    /// Refresh the caches the schemes read, now.
    Refresh(RefreshArgs),
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct RefreshArgs {
    /// Only the caches of these schemes (default: every enabled scheme).
    pub schemes: Vec<String>,
    /// Read every row, and drop the rows gone from the target.
    #[arg(long)]
    pub full: bool,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `duijie lookups`.
pub async fn run(args: LookupsArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    match args.action {
        LookupsAction::Status(a) => status(a),
        LookupsAction::Refresh(a) => refresh(a, schemes).await,
    }
}

fn status(args: StatusArgs) -> anyhow::Result<i32> {
    let config = load_config(args.config.as_deref())?;
    let store = open_store(&config)?;
    let caches = store.lookup_caches()?;
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&caches)?),
        ReportFormat::Text => print!("{}", render(&caches)),
    }
    Ok(0)
}

/// The caches as `lookups status` prints them.
pub fn render(caches: &[LookupCache]) -> String {
    let mut out = String::new();
    if caches.is_empty() {
        let _ = writeln!(
            out,
            "no lookup cache yet (a run of a scheme with `lookup` fills its caches)"
        );
        return out;
    }
    for c in caches {
        let _ = writeln!(
            out,
            "{}.{}  {} rows · fields {} · refreshed {} · full {} · modified to {}",
            c.form,
            c.by,
            c.rows,
            if c.fields.is_empty() {
                "-".to_string()
            } else {
                c.fields.join(", ")
            },
            c.refreshed.map_or("never".into(), |t| t.to_rfc3339()),
            c.full.map_or("never".into(), |t| t.to_rfc3339()),
            c.modified_to.as_deref().unwrap_or("-"),
        );
    }
    out
}

async fn refresh(args: RefreshArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let config = load_config(args.config.as_deref())?;
    let chosen = if args.schemes.is_empty() {
        select(&config, None, true)?
    } else {
        let mut chosen = Vec::new();
        for name in &args.schemes {
            chosen.extend(select(&config, Some(name), false)?);
        }
        chosen
    };
    let store = open_store(&config)?;
    let limits = RateLimits::new();
    let connected = connect_all(&config, &chosen, schemes, &limits)?;
    let engine = Engine::new(store.clone() as Arc<dyn Store>);
    let mut done: Vec<(String, String)> = Vec::new();
    let mut reports = Vec::new();
    for scheme in &connected {
        if scheme.mapper.meta().lookups.is_empty() {
            continue;
        }
        for r in engine.refresh_lookups_now(scheme, args.full).await? {
            let key = (r.form.clone(), r.by.clone());
            if !done.contains(&key) {
                done.push(key);
                reports.push(r);
            }
        }
    }
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        ReportFormat::Text => {
            if reports.is_empty() {
                println!("no chosen scheme looks anything up");
            }
            for r in &reports {
                println!(
                    "{}.{}: {} refresh, {} rows read, {} rows cached",
                    r.form,
                    r.by,
                    if r.full { "full" } else { "incremental" },
                    r.read,
                    r.rows
                );
            }
        }
    }
    Ok(0)
}
