//! `duijie run SCHEME|--all`: runs schemes once.
//!
//! Exit status (also in `duijie run --help` and docs/sync.md):
//! 0 every bill written (or skipped); 4 finished, but records became dead
//! letters (`duijie retry` lists them); 3 a run stopped with work left
//! (target unavailable for now, records kept moving, Ctrl-C): the next run
//! goes on from there; 1 a run failed or could not start (bad credentials,
//! a rejected request, the state store: see the message). 2 is a mistake in
//! the command line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use duijie_maplib::Mapper;
use duijie_runtime::config::{Config, SchemeConfig};
use duijie_runtime::connect::{connect, find_mapper, Clients};
use duijie_runtime::engine::{
    Engine, Progress, RunOptions, RunReport, Scheme, Shutdown, ShutdownTrigger,
};
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::{RunOutcome, SqliteStore, Store};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Exit status of a run that failed, or of a scheme that could not start.
pub const EXIT_FAILED: i32 = 1;
/// Exit status of a run that stopped with work left.
pub const EXIT_INCOMPLETE: i32 = 3;
/// Exit status of runs that finished with dead letters.
pub const EXIT_DEAD_LETTERS: i32 = 4;

/// The exit statuses, for `--help`.
pub const EXIT_STATUS_HELP: &str = "Exit status:
  0  every run succeeded: each record read is written (or skipped by a filter)
  4  finished, but records became dead letters (`duijie retry SCHEME` lists them)
  3  incomplete: stopped with work left (target unavailable, Ctrl-C, …); the next run goes on
  1  failed, or a scheme could not start (bad credential, rejected request, state store): see the message
  2  a mistake in the command line";

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub struct RunArgs {
    /// The scheme to run (its name in duijie.toml).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub scheme: Option<String>,
    /// Run every enabled scheme, one after the other.
    #[arg(long)]
    pub all: bool,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Re-read from the start of the day N days ago (source time zone)
    /// without moving the watermark: a backfill.
    #[arg(long, value_name = "N")]
    pub backfill_days: Option<u32>,
    /// Print the reports as JSON on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Loads the configuration: `explicit` or `./duijie.toml`.
/// Its warnings are printed once, here.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path = Config::locate(explicit);
    let config = Config::load(&path)?;
    for w in &config.warnings {
        if super::json_logs() {
            tracing::warn!(at = %w.at, "{}", w.message);
        } else {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
            eprint!("{}", super::config_diag::render_warning(w, color));
        }
    }
    Ok(config)
}

/// Opens (creating) the state store of the configuration's data directory.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<SqliteStore>> {
    let store = SqliteStore::open(&config.data_dir)
        .with_context(|| format!("opening the state store in {}", config.data_dir.display()))?;
    Ok(Arc::new(store))
}

/// The configured schemes named (or every enabled one with `all`).
pub fn select<'c>(
    config: &'c Config,
    name: Option<&str>,
    all: bool,
) -> anyhow::Result<Vec<&'c SchemeConfig>> {
    if all {
        let chosen: Vec<&SchemeConfig> = config.schemes.iter().filter(|s| s.enabled).collect();
        if chosen.is_empty() {
            bail!("{} has no enabled scheme", config.path.display());
        }
        return Ok(chosen);
    }
    let Some(name) = name else {
        bail!("name a scheme or pass --all");
    };
    match config.scheme(name) {
        Some(s) => Ok(vec![s]),
        None => bail!(
            "no scheme `{name}` in {} (schemes: {})",
            config.path.display(),
            if config.schemes.is_empty() {
                "none".to_string()
            } else {
                config.scheme_names().join(", ")
            }
        ),
    }
}

/// Connects the chosen schemes to their compiled mappings and connections.
pub fn connect_all(
    config: &Config,
    chosen: &[&SchemeConfig],
    mappers: &[Arc<dyn Mapper>],
    limits: &RateLimits,
) -> anyhow::Result<Vec<Scheme>> {
    let mut clients = Clients::new();
    chosen
        .iter()
        .map(|cfg| {
            let mapper = find_mapper(cfg, mappers)?;
            Ok(connect(config, cfg, mapper, &mut clients, limits)?)
        })
        .collect()
}

/// A trigger fired by the first Ctrl-C or SIGTERM; a second one exits at
/// once.
pub fn shutdown_on_signals() -> Shutdown {
    let (trigger, signal) = Shutdown::new();
    tokio::spawn(watch_signals(trigger));
    signal
}

async fn watch_signals(trigger: ShutdownTrigger) {
    let mut seen = 0;
    loop {
        duijie_runtime::signal::stop_requested().await;
        seen += 1;
        if seen == 1 {
            eprintln!("stopping after the batches in flight (press Ctrl-C again to quit at once)");
            tracing::info!("shutdown requested");
            trigger.trigger();
        } else {
            eprintln!("quitting; bills in flight will be verified by the next run");
            std::process::exit(130);
        }
    }
}

/// Progress bars on standard error, one per scheme, when it is a terminal.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar, u64)>>,
}

impl Bars {
    /// Bars if standard error is a terminal.
    pub fn if_terminal() -> Option<Arc<Bars>> {
        std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
            Arc::new(Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(Vec::new()),
            })
        })
    }

    fn with_bar(&self, scheme: &str, f: impl FnOnce(&ProgressBar, &mut u64)) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if !bars.iter().any(|(s, _, _)| s == scheme) {
            let style =
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} read  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            let bar = self.multi.add(
                ProgressBar::new(0)
                    .with_style(style)
                    .with_prefix(scheme.to_string()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bars.push((scheme.to_string(), bar, 0));
        }
        if let Some((_, bar, written)) = bars.iter_mut().find(|(s, _, _)| s == scheme) {
            f(bar, written);
        }
    }
}

impl Progress for Bars {
    fn piece(
        &self,
        scheme: &str,
        index: usize,
        count: usize,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) {
        self.with_bar(scheme, |bar, written| {
            bar.set_message(format!(
                "{written} written · window {}/{count} {} … {}",
                index + 1,
                start.format("%m-%d %H:%M"),
                end.format("%m-%d %H:%M")
            ))
        });
    }

    fn total(&self, scheme: &str, total: u64) {
        self.with_bar(scheme, |bar, _| bar.inc_length(total));
    }

    fn read(&self, scheme: &str, n: u64) {
        self.with_bar(scheme, |bar, _| {
            bar.inc(n);
            if bar.position() > bar.length().unwrap_or(0) {
                bar.set_length(bar.position());
            }
        });
    }

    fn written(&self, scheme: &str, n: u64) {
        self.with_bar(scheme, |bar, written| {
            *written += n;
            bar.set_message(format!("{written} written"));
        });
    }

    fn done(&self, scheme: &str) {
        self.with_bar(scheme, |bar, _| bar.finish_and_clear());
    }
}

/// One line per report, for people.
pub fn report_line(r: &RunReport) -> String {
    let c = &r.counts;
    let mut line = format!(
        "{}: {} — read {}, mapped {}, skipped {}, unchanged {}, written {}, failed {}",
        r.scheme, r.outcome, c.read, c.mapped, c.skipped, c.unchanged, c.written, c.failed
    );
    if r.queue_left > 0 {
        line.push_str(&format!("; {} bills still queued", r.queue_left));
    }
    if r.recovered > 0 {
        line.push_str(&format!(
            "; {} bills of an interrupted run were verified before being sent again",
            r.recovered
        ));
    }
    if let Some(e) = &r.error {
        line.push_str(&format!("\n  {e}"));
    }
    line
}

/// The exit status of a set of reports.
pub fn exit_code(reports: &[RunReport]) -> i32 {
    if reports.iter().any(|r| r.outcome == RunOutcome::Failed) {
        EXIT_FAILED
    } else if reports.iter().any(|r| !r.outcome.finished()) {
        EXIT_INCOMPLETE
    } else if reports
        .iter()
        .any(|r| r.outcome == RunOutcome::SucceededWithDeadLetters)
    {
        EXIT_DEAD_LETTERS
    } else {
        0
    }
}

/// A scheme whose run could not start (another process holds it, the state
/// store cannot be written), and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotStarted {
    pub scheme: String,
    pub error: String,
}

/// What `run` did with each scheme: the reports of the runs, and the
/// schemes that could not start.
#[derive(Debug, Default)]
pub struct Runs {
    pub reports: Vec<RunReport>,
    pub not_started: Vec<NotStarted>,
}

impl Runs {
    /// The exit status: a scheme that could not start counts as failed.
    pub fn exit_code(&self) -> i32 {
        if self.not_started.is_empty() {
            exit_code(&self.reports)
        } else {
            EXIT_FAILED
        }
    }
}

/// Runs schemes of the configuration at `config_path` once, one after the
/// other, and returns their reports (`duijie demo` uses this); a scheme
/// that cannot start is an error.
pub async fn run_schemes(
    config_path: &Path,
    name: Option<&str>,
    all: bool,
    options: &RunOptions,
    mappers: &[Arc<dyn Mapper>],
    shutdown: Shutdown,
) -> anyhow::Result<Vec<RunReport>> {
    let runs = run_each(config_path, name, all, options, mappers, shutdown).await?;
    if let Some(n) = runs.not_started.first() {
        bail!("running scheme `{}`: {}", n.scheme, n.error);
    }
    Ok(runs.reports)
}

/// Runs schemes of the configuration at `config_path` once, one after the
/// other: every scheme that can start runs, whichever others cannot.
pub async fn run_each(
    config_path: &Path,
    name: Option<&str>,
    all: bool,
    options: &RunOptions,
    mappers: &[Arc<dyn Mapper>],
    shutdown: Shutdown,
) -> anyhow::Result<Runs> {
    let config = load_config(Some(config_path))?;
    let chosen = select(&config, name, all)?;
    let limits = RateLimits::new();
    let schemes = connect_all(&config, &chosen, mappers, &limits)?;
    let store = open_store(&config)?;
    let mut engine = Engine::new(store as Arc<dyn Store>).with_shutdown(shutdown.clone());
    if let Some(bars) = Bars::if_terminal() {
        engine = engine.with_progress(bars);
    }
    let mut runs = Runs::default();
    for scheme in &schemes {
        if shutdown.requested() {
            break;
        }
        match engine.run(scheme, options).await {
            Ok(report) => runs.reports.push(report),
            Err(e) => {
                tracing::error!(scheme = %scheme.name, error = %e, "run not started");
                runs.not_started.push(NotStarted {
                    scheme: scheme.name.clone(),
                    error: e.to_string(),
                });
            }
        }
    }
    Ok(runs)
}

/// `duijie run`.
pub async fn run(args: RunArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let path = Config::locate(args.config.as_deref());
    let options = RunOptions {
        backfill_days: args.backfill_days,
    };
    let runs = run_each(
        &path,
        args.scheme.as_deref(),
        args.all,
        &options,
        schemes,
        shutdown_on_signals(),
    )
    .await?;
    match args.format {
        ReportFormat::Json => {
            let mut all = Vec::new();
            for r in &runs.reports {
                all.push(serde_json::to_value(r)?);
            }
            for n in &runs.not_started {
                let mut v = serde_json::to_value(n)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("outcome".into(), "not_started".into());
                }
                all.push(v);
            }
            println!("{}", serde_json::to_string_pretty(&all)?)
        }
        ReportFormat::Text => {
            for r in &runs.reports {
                println!("{}", report_line(r));
            }
            for n in &runs.not_started {
                println!("{}: not started\n  {}", n.scheme, n.error);
            }
        }
    }
    Ok(runs.exit_code())
}
