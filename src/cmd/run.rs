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
use duijie_runtime::state::{Pause, RunOutcome, SqliteStore, Store};
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

/// Connects the chosen schemes to their mappings (compiled, or a `.map`
/// file checked now and interpreted: [`super::interpreted`]) and
/// connections.
pub fn connect_all(
    config: &Config,
    chosen: &[&SchemeConfig],
    mappers: &[Arc<dyn Mapper>],
    limits: &RateLimits,
) -> anyhow::Result<Vec<Scheme>> {
    let mut clients = Clients::new();
    let interpreted = super::interpreted::load(config, chosen)?;
    chosen
        .iter()
        .map(|cfg| {
            let mapper = match interpreted.get(&cfg.name) {
                Some(m) => m.clone(),
                None => find_mapper(cfg, mappers)?,
            };
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

/// Progress bars on standard error, when it is a terminal: per scheme, one
/// bar of records read (of what the source says the window holds; a
/// spinner until it says) and one of bills written (of those queued), with
/// the time taken, the rate and what is left; the window in the source's
/// zone; and a word while a rate limit holds calls back.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<SchemeBars>>,
}

/// The bars of one scheme.
struct SchemeBars {
    scheme: String,
    read: ProgressBar,
    written: ProgressBar,
    /// What the source said the pieces hold, so far.
    total: u64,
    /// Records read (re-reads included: the bar shows at most `total`).
    seen: u64,
    /// The window being read, in the source's zone.
    window: String,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Until the source says how many records the window holds.
const COUNTING: &str = "{prefix:>12} {spinner} {pos} read · {elapsed}  {msg}";
/// Records read of the window's.
const READING: &str =
    "{prefix:>12} [{bar:30}] {pos}/{len} read · {elapsed} · {per_sec} · {eta} left  {msg}";
/// Bills written of those queued.
const WRITING: &str = "{prefix:>12} [{bar:30}] {pos}/{len} written of mapped · {per_sec}  {msg}";

impl Bars {
    /// Bars if standard error is a terminal.
    pub fn if_terminal() -> Option<Arc<Bars>> {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
            .then(|| Arc::new(Bars::to(ProgressDrawTarget::stderr())))
    }

    /// Bars drawn to `target`.
    fn to(target: ProgressDrawTarget) -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(Vec::new()),
        }
    }

    fn with_bars(&self, scheme: &str, f: impl FnOnce(&mut SchemeBars)) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if !bars.iter().any(|b| b.scheme == scheme) {
            let read = self.multi.add(
                ProgressBar::no_length()
                    .with_style(style(COUNTING))
                    .with_prefix(scheme.to_string()),
            );
            let written = self.multi.add(
                ProgressBar::new(0)
                    .with_style(style(WRITING))
                    .with_prefix(String::new()),
            );
            read.enable_steady_tick(Duration::from_millis(200));
            bars.push(SchemeBars {
                scheme: scheme.to_string(),
                read,
                written,
                total: 0,
                seen: 0,
                window: String::new(),
            });
        }
        if let Some(b) = bars.iter_mut().find(|b| b.scheme == scheme) {
            f(b);
        }
    }
}

impl Progress for Bars {
    fn piece(
        &self,
        scheme: &str,
        index: usize,
        count: usize,
        start: chrono::DateTime<chrono::FixedOffset>,
        end: chrono::DateTime<chrono::FixedOffset>,
    ) {
        self.with_bars(scheme, |b| {
            b.window = format!(
                "window {}/{count} {} … {} {}",
                index + 1,
                start.format("%m-%d %H:%M"),
                end.format("%m-%d %H:%M"),
                start.offset()
            );
            b.read.set_message(b.window.clone());
        });
    }

    fn total(&self, scheme: &str, total: u64) {
        self.with_bars(scheme, |b| {
            if b.read.length().is_none() {
                b.read.set_style(style(READING));
            }
            b.total += total;
            b.read.set_length(b.total);
            b.read.set_position(b.seen.min(b.total));
        });
    }

    fn read(&self, scheme: &str, n: u64) {
        self.with_bars(scheme, |b| {
            b.seen += n;
            // Records read twice (moved while read) do not run the bar
            // past what the source said.
            let shown = match b.read.length() {
                Some(_) => b.seen.min(b.total),
                None => b.seen,
            };
            b.read.set_position(shown);
            b.read.set_message(b.window.clone());
        });
    }

    fn queued(&self, scheme: &str, n: u64) {
        self.with_bars(scheme, |b| b.written.inc_length(n));
    }

    fn written(&self, scheme: &str, n: u64) {
        self.with_bars(scheme, |b| {
            b.written.inc(n);
            if b.written.position() > b.written.length().unwrap_or(0) {
                // Bills queued by an earlier run are written too.
                b.written.set_length(b.written.position());
            }
            b.written.set_message("");
        });
    }

    fn paused(&self, scheme: &str, who: &str, pause: Duration) {
        self.with_bars(scheme, |b| {
            let word = format!("paused: {who} rate limit, {} s", pause.as_secs().max(1));
            if who == "金蝶" {
                b.written.set_message(word);
            } else {
                b.read.set_message(word);
            }
        });
    }

    fn done(&self, scheme: &str) {
        self.with_bars(scheme, |b| {
            b.read.finish_and_clear();
            b.written.finish_and_clear();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    fn bars_of(bars: &Bars, scheme: &str) -> (Option<u64>, u64, u64, u64, String, String) {
        let all = bars.bars.lock().unwrap();
        let b = all.iter().find(|b| b.scheme == scheme).unwrap();
        (
            b.read.length(),
            b.read.position(),
            b.written.length().unwrap_or(0),
            b.written.position(),
            b.read.message(),
            b.written.message(),
        )
    }

    #[test]
    fn the_bars_say_what_is_read_and_written_and_why_they_wait() {
        let bars = Bars::to(ProgressDrawTarget::hidden());
        let zone = FixedOffset::east_opt(8 * 3600).unwrap();
        let start = zone.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
        let end = zone.with_ymd_and_hms(2024, 3, 2, 8, 0, 0).unwrap();
        bars.piece("po", 0, 2, start, end);
        // No total yet: no 0/0.
        let (len, ..) = bars_of(&bars, "po");
        assert_eq!(len, None);
        bars.total("po", 40);
        bars.read("po", 20);
        bars.queued("po", 18);
        // Read again (records moved): the bar stops at the total.
        bars.read("po", 30);
        let (len, pos, wlen, wpos, msg, _) = bars_of(&bars, "po");
        assert_eq!((len, pos, wlen, wpos), (Some(40), 40, 18, 0));
        assert_eq!(msg, "window 1/2 03-01 08:00 … 03-02 08:00 +08:00");
        // Writing goes on after reading: its own bar.
        bars.written("po", 10);
        bars.paused("po", "金蝶", Duration::from_secs(12));
        let (_, _, _, wpos, _, wmsg) = bars_of(&bars, "po");
        assert_eq!(wpos, 10);
        assert_eq!(wmsg, "paused: 金蝶 rate limit, 12 s");
        bars.paused("po", "旺店通", Duration::from_millis(2500));
        let (.., msg, _) = bars_of(&bars, "po");
        assert_eq!(msg, "paused: 旺店通 rate limit, 2 s");
        bars.read("po", 1);
        let (.., msg, _) = bars_of(&bars, "po");
        assert!(msg.starts_with("window 1/2"), "{msg}");
        // A second piece adds to the total; the total never moves past it.
        bars.total("po", 10);
        let (len, pos, ..) = bars_of(&bars, "po");
        assert_eq!((len, pos), (Some(50), 50));
    }
}

/// One line per report, for people.
pub fn report_line(r: &RunReport) -> String {
    let c = &r.counts;
    let mut line = format!(
        "{}: {} — read {}, mapped {}, skipped {}, unchanged {}, written {}, failed {}",
        r.scheme, r.outcome, c.read, c.mapped, c.skipped, c.unchanged, c.written, c.failed
    );
    if c.waiting > 0 {
        line.push_str(&format!(
            ", waiting for base data {} (`duijie status` names what they wait for)",
            c.waiting
        ));
    }
    if r.queue_left > 0 {
        line.push_str(&format!("; {} bills still queued", r.queue_left));
    }
    if let Some(c) = &r.concurrency {
        line.push_str(&format!("; {}", concurrency_text(c)));
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

/// Where a run's concurrency limits settled, in a few words.
pub fn concurrency_text(c: &duijie_runtime::state::RunConcurrency) -> String {
    let overloads = |n: u64| match n {
        0 => String::new(),
        1 => ", 1 overload answer".to_string(),
        n => format!(", {n} overload answers"),
    };
    if c.adaptive {
        format!(
            "at once: {} saves (settled; highest {}{}), {} pages (highest {}{})",
            c.write.limit,
            c.write.peak,
            overloads(c.write.overloads),
            c.read.limit,
            c.read.peak,
            overloads(c.read.overloads)
        )
    } else {
        format!(
            "at once: {} saves and pages (fixed{})",
            c.write.limit,
            overloads(c.write.overloads + c.read.overloads)
        )
    }
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
    /// Schemes of `--all` left alone because an operator paused them.
    pub paused: Vec<Pause>,
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

/// Why a paused scheme does not run.
pub fn paused_text(p: &Pause) -> String {
    let zone = duijie_runtime::engine::window::zone(
        duijie_runtime::engine::window::DEFAULT_UTC_OFFSET_SECS,
    );
    format!(
        "paused by {} at {}: resume it on the scheme's page of `duijie serve`",
        p.actor,
        p.at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S%:z")
    )
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
    let mut engine = Engine::new(store.clone() as Arc<dyn Store>).with_shutdown(shutdown.clone());
    if let Some(bars) = Bars::if_terminal() {
        engine = engine.with_progress(bars);
    }
    let mut runs = Runs::default();
    for scheme in &schemes {
        if shutdown.requested() {
            break;
        }
        if let Some(p) = store.paused(&scheme.name)? {
            if all {
                runs.paused.push(p);
            } else {
                runs.not_started.push(NotStarted {
                    scheme: scheme.name.clone(),
                    error: paused_text(&p),
                });
            }
            continue;
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
    let config = load_config(Some(&path))?;
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
            for p in &runs.paused {
                let mut v = serde_json::to_value(p)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("outcome".into(), "paused".into());
                }
                all.push(v);
            }
            println!("{}", serde_json::to_string_pretty(&all)?)
        }
        ReportFormat::Text => {
            for r in &runs.reports {
                let mut line = report_line(r);
                if let Some(cfg) = config.schemes.iter().find(|c| c.name == r.scheme) {
                    if super::interpreted::names_a_file(cfg) {
                        line.push_str(&format!(" ({})", super::interpreted::path_word(cfg)));
                    }
                }
                println!("{line}");
            }
            for n in &runs.not_started {
                println!("{}: not started\n  {}", n.scheme, n.error);
            }
            for p in &runs.paused {
                println!("{}: not run, {}", p.scheme, paused_text(p));
            }
        }
    }
    Ok(runs.exit_code())
}
