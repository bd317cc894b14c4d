//! `duijie status [SCHEME] [--format json]`: the run overview (运行概况) of
//! each scheme: its last runs (window, start, end, outcome, counts), the
//! write queue, the dead letters and their top reasons, the watermark and
//! the next scheduled run. Times are shown in the source's zone (UTC+8 for
//! 旺店通).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use duijie_maplib::Mapper;
use duijie_runtime::config::{format_duration, Config, SchemeConfig};
use duijie_runtime::engine::window::{zone, DEFAULT_UTC_OFFSET_SECS};
use duijie_runtime::state::{DaemonBeat, Pause, RunOutcome, SchemeOverview, SqliteStore, Store};
use serde::Serialize;

use super::run::{load_config, ReportFormat};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this scheme.
    pub scheme: Option<String>,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// How many recent runs to show per scheme.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Refresh the overview in place until Ctrl-C.
    #[arg(long, conflicts_with = "format")]
    pub watch: bool,
    /// How often --watch refreshes (`2s`, `500ms`).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = watch_interval)]
    pub interval: std::time::Duration,
}

fn watch_interval(text: &str) -> Result<std::time::Duration, String> {
    match duijie_runtime::config::parse_duration(text)? {
        d if d < std::time::Duration::from_millis(100) => {
            Err(format!("`{text}` is too short: at least 100ms"))
        }
        d => Ok(d),
    }
}

/// The overview of one scheme.
#[derive(Debug, Serialize)]
pub struct SchemeStatus {
    pub scheme: String,
    /// The compiled scheme it runs, or its `.map` file.
    pub map: String,
    /// `compiled`, or `interpreted from maps/x.map`.
    pub path: String,
    pub title: Option<String>,
    pub enabled: bool,
    /// The daemon's interval, seconds.
    pub every_secs: u64,
    /// When the daemon runs it (`every 5m`, `cron "…" within 08:00-22:00`),
    /// and its scheduled backfill.
    pub schedule: String,
    /// When the daemon runs it next (last start + interval; now if never run).
    pub next_run: Option<DateTime<Utc>>,
    /// Whether a duijie process is running it right now.
    pub running: bool,
    /// Whether an operator paused it (the daemon and `run --all` leave it
    /// alone until resumed).
    pub paused: Option<Pause>,
    pub overview: SchemeOverview,
    /// The source's zone, seconds east of UTC (how times are shown).
    #[serde(skip)]
    pub zone: Option<FixedOffset>,
    /// The labels of the forms its lookups read (`BD_MATERIAL` → `物料`).
    #[serde(skip)]
    pub lookup_labels: Vec<(String, String)>,
}

/// The overview of an installation.
#[derive(Debug, Serialize)]
pub struct Status {
    pub config: String,
    pub data_dir: String,
    /// The daemons that are alive (heartbeat within three beats, and, on
    /// this machine, their process still there).
    pub daemons: Vec<DaemonBeat>,
    /// The last daemon known, when none is alive.
    pub last_daemon: Option<DaemonBeat>,
    pub schemes: Vec<SchemeStatus>,
}

/// Whether the daemon of `beat` is alive at `now`.
fn alive(beat: &DaemonBeat, now: DateTime<Utc>, here: &str) -> bool {
    let silent = chrono::Duration::from_std(super::daemon::HEARTBEAT * 3).unwrap_or_default();
    if beat.stopped_at.is_some() || now - beat.last_beat > silent {
        return false;
    }
    #[cfg(unix)]
    if beat.host == here {
        let Ok(pid) = libc::pid_t::try_from(beat.pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(pid, 0) };
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
            return false;
        }
    }
    let _ = here;
    true
}

fn scheme_status(
    store: Option<&SqliteStore>,
    cfg: &SchemeConfig,
    mappers: &[Arc<dyn Mapper>],
    runs: usize,
    daemons: &[DaemonBeat],
) -> anyhow::Result<SchemeStatus> {
    let overview = match store {
        Some(s) => s.overview(&cfg.name, runs)?,
        None => SchemeOverview {
            scheme: cfg.name.clone(),
            watermark: None,
            runs: Vec::new(),
            queue: Default::default(),
            records: Default::default(),
            dead_letters: 0,
            top_reasons: Vec::new(),
            waiting: 0,
            top_waiting: Vec::new(),
        },
    };
    let mapper = mappers.iter().find(|m| m.meta().name == cfg.map);
    let zone = mapper.map(|m| {
        zone(
            m.meta()
                .source
                .window
                .as_ref()
                .map_or(DEFAULT_UTC_OFFSET_SECS, |w| w.utc_offset_secs),
        )
    });
    let last_start = overview.runs.first().map(|r| r.started_at);
    // A next run only where a daemon runs the scheme.
    let scheduled = daemons
        .iter()
        .any(|d| d.schemes.split(',').any(|n| n == cfg.name));
    let next_run = (cfg.enabled && scheduled).then(|| {
        cfg.schedule.next(
            last_start,
            Utc::now(),
            zone.unwrap_or_else(|| duijie_runtime::engine::window::zone(DEFAULT_UTC_OFFSET_SECS)),
        )
    });
    // A run recorded as running is really running if its process still
    // holds the scheme's lock (the lock is only tried then, so that status
    // does not stand in the way of a run starting).
    let recorded_running = overview
        .runs
        .iter()
        .any(|r| r.outcome == RunOutcome::Running);
    let running = match store {
        Some(s) if recorded_running => s.lock_scheme(&cfg.name).is_err(),
        _ => false,
    };
    let paused = match store {
        Some(s) => s.paused(&cfg.name)?,
        None => None,
    };
    Ok(SchemeStatus {
        lookup_labels: mapper.map_or_else(Vec::new, |m| {
            m.meta()
                .lookups
                .iter()
                .map(|l| (l.form.clone(), l.label.clone()))
                .collect()
        }),
        running,
        paused,
        scheme: cfg.name.clone(),
        map: cfg.map.clone(),
        path: super::interpreted::path_word(cfg),
        title: mapper.and_then(|m| m.meta().title.clone()),
        enabled: cfg.enabled,
        every_secs: cfg.every.as_secs(),
        schedule: match &cfg.backfill {
            Some(b) => format!("{}; {b}", cfg.schedule),
            None => cfg.schedule.to_string(),
        },
        next_run,
        overview,
        zone,
    })
}

/// The overview of the installation configured at `config_path` (or only
/// `only`).
pub fn collect(
    config: &Config,
    only: Option<&str>,
    mappers: &[Arc<dyn Mapper>],
    runs: usize,
) -> anyhow::Result<Status> {
    let store = SqliteStore::open_existing(&config.data_dir)?;
    collect_from(config, store.as_ref(), only, mappers, runs)
}

/// The overview as [`collect`] makes it, from a store already open (none:
/// nothing has run yet).
pub fn collect_from(
    config: &Config,
    store: Option<&SqliteStore>,
    only: Option<&str>,
    mappers: &[Arc<dyn Mapper>],
    runs: usize,
) -> anyhow::Result<Status> {
    let known = match store {
        Some(s) => s.daemons()?,
        None => Vec::new(),
    };
    let (now, here) = (Utc::now(), super::daemon::host_name());
    let (daemons, gone): (Vec<DaemonBeat>, Vec<DaemonBeat>) =
        known.into_iter().partition(|d| alive(d, now, &here));
    let last_daemon = if daemons.is_empty() {
        gone.into_iter().next()
    } else {
        None
    };
    let chosen: Vec<&SchemeConfig> = match only {
        Some(name) => match config.scheme(name) {
            Some(s) => vec![s],
            None => anyhow::bail!(
                "no scheme `{name}` in {} (schemes: {})",
                config.path.display(),
                config.scheme_names().join(", ")
            ),
        },
        None => config.schemes.iter().collect(),
    };
    let schemes = chosen
        .into_iter()
        .map(|cfg| scheme_status(store, cfg, mappers, runs, &daemons))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Status {
        config: config.path.display().to_string(),
        data_dir: config.data_dir.display().to_string(),
        daemons,
        last_daemon,
        schemes,
    })
}

/// `t` in `zone`, to the second.
pub fn time(t: DateTime<Utc>, zone: FixedOffset) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// How long from `start` to `end` (`…` while running).
pub fn elapsed(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> String {
    match end {
        None => "…".into(),
        Some(e) => {
            let ms = (e - start).num_milliseconds().max(0);
            if ms < 60_000 {
                format!("{:.1}s", ms as f64 / 1000.0)
            } else {
                format_duration(std::time::Duration::from_secs((ms / 1000) as u64))
            }
        }
    }
}

/// The overview as text.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "运行概况 · run overview");
    let _ = writeln!(out, "config {} · data {}", status.config, status.data_dir);
    let z8 = zone(DEFAULT_UTC_OFFSET_SECS);
    for d in &status.daemons {
        let _ = writeln!(
            out,
            "daemon: running since {} {z8} (pid {} on {}, last heartbeat {}) · {}",
            time(d.started_at, z8),
            d.pid,
            d.host,
            time(d.last_beat, z8),
            d.schemes.replace(',', ", ")
        );
    }
    if status.daemons.is_empty() {
        match &status.last_daemon {
            Some(d) => {
                let how = match d.stopped_at {
                    Some(t) => format!("stopped at {} {z8}", time(t, z8)),
                    None => format!("last heard of at {} {z8}", time(d.last_beat, z8)),
                };
                let _ = writeln!(
                    out,
                    "no daemon running (the last one, pid {} on {}, {how})",
                    d.pid, d.host
                );
            }
            None => {
                let _ = writeln!(out, "no daemon running");
            }
        }
    }
    if status.schemes.is_empty() {
        let _ = writeln!(out, "\n(no scheme configured)");
    }
    for s in &status.schemes {
        let z = s.zone.unwrap_or_else(|| zone(DEFAULT_UTC_OFFSET_SECS));
        let o = &s.overview;
        let _ = writeln!(out);
        let _ = write!(out, "{}", s.scheme);
        if s.map.ends_with(".map") {
            let _ = write!(out, "  ({})", s.path);
        } else if s.map != s.scheme {
            let _ = write!(out, "  (scheme {})", s.map);
        }
        if let Some(t) = &s.title {
            let _ = write!(out, "  {t}");
        }
        if !s.enabled {
            let _ = write!(out, "  [disabled]");
        }
        if s.running {
            let _ = write!(out, "  [running now]");
        }
        if let Some(p) = &s.paused {
            let _ = write!(out, "  [paused by {} at {} {z}]", p.actor, time(p.at, z));
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  watermark     {}",
            o.watermark.map_or_else(
                || "none yet (the first run starts at the configured start)".into(),
                |w| format!("{} {z}", time(w, z))
            )
        );
        let _ = writeln!(
            out,
            "  next run      {}",
            match s.next_run {
                Some(t) if t <= Utc::now() => format!("due now ({})", s.schedule),
                Some(t) => format!("{} {z} ({})", time(t, z), s.schedule),
                None if !s.enabled => "never (disabled)".into(),
                None => format!(
                    "none scheduled: no daemon running (`duijie daemon` runs it {})",
                    s.schedule
                ),
            }
        );
        let _ = writeln!(
            out,
            "  records       {} written · {} skipped · {} failed · {} queued",
            o.records.written, o.records.skipped, o.records.failed, o.records.queued
        );
        let _ = write!(
            out,
            "  write queue   {} pending · {} in flight",
            o.queue.pending, o.queue.inflight
        );
        if o.queue.to_verify > 0 {
            let _ = write!(
                out,
                " ({} to verify in the target first)",
                o.queue.to_verify
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "  dead letters  {}", o.dead_letters);
        for r in &o.top_reasons {
            let _ = writeln!(out, "    {:>6}  {}", r.count, r.reason);
        }
        if o.dead_letters > 0 {
            let _ = writeln!(
                out,
                "                (duijie retry {} to list them; --all to map them again and write them)",
                s.scheme
            );
        }
        if o.waiting > 0 {
            let _ = writeln!(
                out,
                "  waiting       {} record{} wait for base data (not failed; mapped again after each lookup refresh)",
                o.waiting,
                if o.waiting == 1 { "" } else { "s" }
            );
            for w in &o.top_waiting {
                let label = s
                    .lookup_labels
                    .iter()
                    .find(|(f, _)| *f == w.waiting.form)
                    .map_or(w.waiting.form.as_str(), |(_, l)| l.as_str());
                let _ = writeln!(
                    out,
                    "    {:>6}  {label} {} 不在金蝶 ({}.{})",
                    w.count, w.waiting.key, w.waiting.form, w.waiting.by
                );
            }
            let _ = writeln!(
                out,
                "                (duijie retry {} --waiting refreshes the lookups and maps them now)",
                s.scheme
            );
        }
        if o.runs.is_empty() {
            let _ = writeln!(out, "  runs          none yet");
            continue;
        }
        if let Some(c) = o.runs.iter().find_map(|r| r.concurrency) {
            let _ = writeln!(out, "  concurrency   {}", super::run::concurrency_text(&c));
        }
        let _ = writeln!(out, "  last runs");
        let _ = writeln!(
            out,
            "    {:>5}  {:<11}  {:<11}  {:<19}  {:>7}  {:<41}  {:>6} {:>6} {:>7} {:>9} {:>7} {:>6}",
            "run",
            "kind",
            "outcome",
            "started",
            "took",
            "window",
            "read",
            "mapped",
            "skipped",
            "unchanged",
            "written",
            "failed"
        );
        for r in &o.runs {
            let window = match (r.window_start, r.window_end) {
                (Some(a), Some(b)) => format!("{} → {}", time(a, z), time(b, z)),
                _ => "-".into(),
            };
            let c = &r.counts;
            let _ = writeln!(
                out,
                "    {:>5}  {:<11}  {:<11}  {:<19}  {:>7}  {:<41}  {:>6} {:>6} {:>7} {:>9} {:>7} {:>6}",
                r.id,
                r.kind.as_str(),
                if r.outcome == RunOutcome::Running && !s.running {
                    "interrupted".to_string()
                } else {
                    r.outcome.to_string()
                },
                time(r.started_at, z),
                elapsed(r.started_at, r.ended_at),
                window,
                c.read,
                c.mapped,
                c.skipped,
                c.unchanged,
                c.written,
                c.failed
            );
            if let Some(e) = &r.error {
                let _ = writeln!(out, "           {e}");
            }
        }
    }
    out
}

/// Prints the overview of the configuration at `config_path` (`duijie demo`
/// uses this).
pub fn print_status(
    config_path: &Path,
    mappers: &[Arc<dyn Mapper>],
    format: ReportFormat,
) -> anyhow::Result<()> {
    let config = load_config(Some(config_path))?;
    let status = collect(&config, None, mappers, 5)?;
    match format {
        ReportFormat::Text => print!("{}", render(&status)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&status)?),
    }
    Ok(())
}

/// `duijie status`.
pub async fn run(args: StatusArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let config = load_config(args.config.as_deref())?;
    if args.watch {
        let (only, every) = (args.scheme.as_deref(), args.interval);
        return super::watch::watch(&config, only, schemes, args.runs, every).await;
    }
    let status = collect(&config, args.scheme.as_deref(), schemes, args.runs)?;
    match args.format {
        ReportFormat::Text => print!("{}", render(&status)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&status)?),
    }
    Ok(0)
}
