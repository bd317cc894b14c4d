//! `duijie retry SCHEME [--id ID | --all]`: maps dead letters again with the
//! current mapping, queues them and writes them. Without `--id` or `--all`
//! it lists the scheme's dead letters.

use std::path::PathBuf;
use std::sync::Arc;

use duijie_maplib::Mapper;
use duijie_runtime::engine::{Engine, RetrySelection};
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::{DeadLetterFilter, Store};

use super::run::{
    connect_all, exit_code, load_config, open_store, report_line, select, shutdown_on_signals,
    ReportFormat,
};

#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    /// The scheme whose dead letters to retry.
    pub scheme: String,
    /// Retry this dead letter (repeatable).
    #[arg(long = "id", value_name = "ID", conflicts_with = "all")]
    pub ids: Vec<i64>,
    /// Retry every dead letter of the scheme.
    #[arg(long)]
    pub all: bool,
    /// Refresh the lookups and map the records waiting for base data now.
    #[arg(long, conflicts_with_all = ["all", "ids"])]
    pub waiting: bool,
    /// Queue them only; the next run writes them.
    #[arg(long)]
    pub queue_only: bool,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `duijie retry`.
pub async fn run(args: RetryArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let config = load_config(args.config.as_deref())?;
    let chosen = select(&config, Some(&args.scheme), false)?;
    let store = open_store(&config)?;
    if args.ids.is_empty() && !args.all && !args.waiting {
        let letters = store.dead_letters(&args.scheme, &DeadLetterFilter::default())?;
        match args.format {
            ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&letters)?),
            ReportFormat::Text => {
                if letters.is_empty() {
                    println!("{}: no dead letters", args.scheme);
                    return Ok(0);
                }
                println!("{}: {} dead letters", args.scheme, letters.len());
                for d in &letters {
                    let field = match (d.target_field.is_empty(), d.source_field.is_empty()) {
                        (false, false) => format!("{} ← {}: ", d.target_field, d.source_field),
                        (false, true) => format!("{}: ", d.target_field),
                        (true, false) => format!("{}: ", d.source_field),
                        (true, true) => String::new(),
                    };
                    println!(
                        "  {:>6}  {:<24} {:<5}  {field}{}{}",
                        d.id,
                        d.record_id.as_deref().unwrap_or("(no id)"),
                        d.stage.as_str(),
                        d.reason,
                        if d.occurrences > 1 {
                            format!("  (×{})", d.occurrences)
                        } else {
                            String::new()
                        }
                    );
                }
                println!("retry one with --id ID, or all with --all");
            }
        }
        return Ok(0);
    }
    let limits = RateLimits::new();
    let connected = connect_all(&config, &chosen, schemes, &limits)?;
    let Some(scheme) = connected.first() else {
        anyhow::bail!("no scheme `{}`", args.scheme);
    };
    let selection = if args.waiting {
        RetrySelection::Waiting
    } else if args.all {
        RetrySelection::All
    } else {
        RetrySelection::Ids(args.ids.clone())
    };
    let engine = Engine::new(store as Arc<dyn Store>).with_shutdown(shutdown_on_signals());
    let Some(report) = engine.retry(scheme, &selection, !args.queue_only).await? else {
        match args.format {
            ReportFormat::Json => println!("null"),
            ReportFormat::Text => {
                if args.waiting {
                    println!("{}: no record waits for base data", args.scheme)
                } else {
                    println!("{}: nothing to retry (no open dead letters)", args.scheme)
                }
            }
        }
        return Ok(0);
    };
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => println!("{}", report_line(&report)),
    }
    Ok(exit_code(std::slice::from_ref(&report)))
}
