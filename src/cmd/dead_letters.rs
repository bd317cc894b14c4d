//! `duijie dead-letters`: the records that could not be mapped or that the
//! target rejected, to read and act on.
//!
//! - `duijie dead-letters [SCHEME] [--reason TEXT] [--since T]` lists the
//!   open ones: id, record id, bill number, when, occurrences, and the
//!   reason with its field path (mapping) or the target's message (write);
//! - `duijie dead-letters show ID` prints one in full: the source record,
//!   the bill that was sent, every answer the target gave, what was done;
//! - `duijie dead-letters discard ID --why TEXT` closes one on purpose: it
//!   is kept, marked and never resent, and the action is logged.
//!
//! `duijie retry` maps them again and writes them. Times are shown in the
//! source's zone (UTC+8 for 旺店通).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use duijie_maplib::Mapper;
use duijie_runtime::config::{parse_duration, Config, SchemeConfig};
use duijie_runtime::engine::window::{zone, DEFAULT_UTC_OFFSET_SECS};
use duijie_runtime::state::{
    DeadLetterDetail, DeadLetterInfo, DeadLetterQuery, DeadStage, Discard, SqliteStore,
};
use serde::Serialize;

use super::run::{load_config, ReportFormat};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeadLettersArgs {
    #[command(subcommand)]
    pub action: Option<DeadLetterAction>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum DeadLetterAction {
    /// One dead letter in full: its record, its bill, every answer received.
    Show(ShowArgs),
    /// Close a dead letter on purpose: kept, marked, never resent.
    Discard(DiscardArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this scheme (default: every configured one).
    pub scheme: Option<String>,
    /// Only those whose reason or field contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Only those that failed since T: a duration back from now (`2h`,
    /// `3d`), a date or date-time of the source's zone (`2024-05-01`,
    /// `2024-05-01 08:00:00`), or RFC 3339.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// At most this many per scheme (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// The records waiting for base data (a lookup found no row) instead.
    #[arg(long)]
    pub waiting: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The dead letter's id (as listed).
    pub id: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct DiscardArgs {
    /// The dead letter's id (as listed).
    pub id: i64,
    /// Why it is closed without being written (kept with it, and shown).
    #[arg(long, value_name = "TEXT")]
    pub why: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// The open dead letters of one scheme, as listed.
#[derive(Debug, Serialize)]
pub struct SchemeLetters {
    pub scheme: String,
    pub dead_letters: Vec<DeadLetterInfo>,
    #[serde(skip)]
    pub zone: FixedOffset,
    /// These are records waiting for base data (`--waiting`).
    #[serde(skip)]
    pub waiting: bool,
}

/// Who acts from this command line, for the action log.
pub fn actor() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
    format!("cli:{}", user.as_deref().unwrap_or("unknown"))
}

/// The zone a scheme's times are shown in: its source's.
pub fn zone_of(cfg: &SchemeConfig, mappers: &[Arc<dyn Mapper>]) -> FixedOffset {
    let offset = mappers
        .iter()
        .find(|m| m.meta().name == cfg.map)
        .and_then(|m| m.meta().source.window.as_ref().map(|w| w.utc_offset_secs))
        .unwrap_or(DEFAULT_UTC_OFFSET_SECS);
    zone(offset)
}

/// Reads `--since`: a duration back from `now`, a date or date-time of
/// `zone`, or RFC 3339.
pub fn parse_since(
    text: &str,
    zone: FixedOffset,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = parse_duration(t) {
        let d = chrono::Duration::from_std(d).map_err(|_| format!("`{t}` is too long ago"))?;
        return now
            .checked_sub_signed(d)
            .ok_or_else(|| format!("`{t}` is too long ago"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    match local.map(|l| zone.from_local_datetime(&l).single()) {
        Some(Some(at)) => Ok(at.with_timezone(&Utc)),
        _ => Err(format!(
            "`{t}` is neither a duration (2h, 3d), a date or date-time (2024-05-01, \
             2024-05-01 08:00:00, in {zone}) nor RFC 3339"
        )),
    }
}

fn time(t: DateTime<Utc>, zone: FixedOffset) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The reason with what it concerns: the field path of a mapping failure
/// (`FDate ← stockin_time: …`), the target's message as it is.
pub fn reason_line(d: &duijie_runtime::state::DeadLetter) -> String {
    let field = match (d.target_field.is_empty(), d.source_field.is_empty()) {
        (false, false) => format!("{} ← {}: ", d.target_field, d.source_field),
        (false, true) => format!("{}: ", d.target_field),
        (true, false) => format!("{}: ", d.source_field),
        (true, true) => String::new(),
    };
    format!("{}: {field}{}", d.stage.as_str(), d.reason)
}

/// The open dead letters of the chosen schemes.
pub fn collect(
    config: &Config,
    args: &ListArgs,
    mappers: &[Arc<dyn Mapper>],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<SchemeLetters>> {
    let chosen: Vec<&SchemeConfig> = match args.scheme.as_deref() {
        Some(name) => super::run::select(config, Some(name), false)?,
        None => config.schemes.iter().collect(),
    };
    let store = SqliteStore::open_existing(&config.data_dir)
        .with_context(|| format!("opening the state store in {}", config.data_dir.display()))?;
    chosen
        .into_iter()
        .map(|cfg| {
            let zone = zone_of(cfg, mappers);
            let since = match &args.since {
                Some(text) => Some(
                    parse_since(text, zone, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?,
                ),
                None => None,
            };
            let query = DeadLetterQuery {
                reason: args.reason.clone(),
                since,
                limit: args.limit,
                waiting: args.waiting,
            };
            let dead_letters = match &store {
                Some(s) => s.list_dead_letters(&cfg.name, &query)?,
                None => Vec::new(),
            };
            Ok(SchemeLetters {
                scheme: cfg.name.clone(),
                dead_letters,
                zone,
                waiting: args.waiting,
            })
        })
        .collect()
}

/// The listing as text.
pub fn render_list(lists: &[SchemeLetters]) -> String {
    let mut out = String::new();
    for (i, l) in lists.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let n = l.dead_letters.len();
        let what = if l.waiting {
            "record waiting for base data"
        } else {
            "open dead letter"
        };
        if n == 0 {
            let _ = writeln!(out, "{}: no {what}s", l.scheme);
            continue;
        }
        let _ = writeln!(
            out,
            "{}: {n} {what}{}",
            l.scheme,
            if n == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            out,
            "  {:>6}  {:<20}  {:<20}  {:<19}  {:>4}  reason",
            "id",
            "record",
            "bill number",
            format!("last failed ({})", l.zone),
            "×"
        );
        for d in &l.dead_letters {
            let x = &d.letter;
            let _ = writeln!(
                out,
                "  {:>6}  {:<20}  {:<20}  {:<19}  {:>4}  {}",
                x.id,
                x.record_id.as_deref().unwrap_or("(no id)"),
                d.number.as_deref().unwrap_or("-"),
                time(x.last_seen, l.zone),
                x.occurrences,
                reason_line(x)
            );
        }
    }
    if lists.iter().any(|l| !l.dead_letters.is_empty()) {
        let _ = writeln!(
            out,
            "\nduijie dead-letters show ID reads one; duijie retry SCHEME --id ID writes it again; \
             duijie dead-letters discard ID --why TEXT closes it"
        );
    }
    out
}

/// JSON text pretty-printed, or as it is when it is not JSON.
fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

fn indented(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "  {line}");
    }
}

/// One dead letter in full, as text.
pub fn render_detail(d: &DeadLetterDetail, zone: FixedOffset) -> String {
    let mut out = String::new();
    let x = &d.info.letter;
    let state = match (&d.info.resolution, d.info.resolved_at) {
        (None, _) => "open".to_string(),
        (Some(r), Some(at)) => format!("closed: {r} {} {zone}", time(at, zone)),
        (Some(r), None) => format!("closed: {r}"),
    };
    let _ = writeln!(out, "dead letter {} · {} · {state}", x.id, x.scheme);
    let _ = writeln!(
        out,
        "  record       {}",
        x.record_id.as_deref().unwrap_or("(no id)")
    );
    let _ = writeln!(
        out,
        "  bill number  {}",
        d.info.number.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "  stage        {}",
        match x.stage {
            DeadStage::Map => "map (the mapping failed)",
            DeadStage::Write => "write (the target rejected the bill)",
            DeadStage::Wait => "wait (waiting for base data; not sent, not failed)",
        }
    );
    if !x.target_field.is_empty() {
        let _ = writeln!(out, "  target field {}", x.target_field);
    }
    if !x.source_field.is_empty() {
        let _ = writeln!(out, "  source field {}", x.source_field);
    }
    let _ = writeln!(out, "  reason       {}", x.reason);
    let _ = writeln!(
        out,
        "  failed       {} time{}, first {}, last {} {zone}{}",
        x.occurrences,
        if x.occurrences == 1 { "" } else { "s" },
        time(x.first_seen, zone),
        time(x.last_seen, zone),
        x.run_id.map_or(String::new(), |r| format!(" (run {r})"))
    );
    if let Some(note) = &d.info.note {
        let _ = writeln!(out, "  note         {note}");
    }
    let _ = writeln!(out, "\nsource record");
    indented(&mut out, &pretty(&x.source_json));
    match &x.bill {
        Some(bill) => {
            let _ = writeln!(out, "\nbill sent");
            indented(&mut out, &pretty(bill));
        }
        None => {
            let _ = writeln!(out, "\nbill sent: none (the record was not mapped)");
        }
    }
    if d.answers.is_empty() {
        let _ = writeln!(out, "\nanswers: none recorded");
    } else {
        let _ = writeln!(out, "\nanswers");
        for a in &d.answers {
            let _ = writeln!(
                out,
                "  {}  {:<7}  {:<8}  {}",
                time(a.at, zone),
                a.run_id.map_or("-".to_string(), |r| format!("run {r}")),
                a.outcome,
                a.message
            );
        }
    }
    if !d.actions.is_empty() {
        let _ = writeln!(out, "\nactions");
        for a in &d.actions {
            let _ = writeln!(
                out,
                "  {}  {}  {}{}",
                time(a.at, zone),
                a.actor,
                a.action,
                a.note
                    .as_deref()
                    .map_or(String::new(), |n| format!(": {n}"))
            );
        }
    }
    out
}

fn store(config: &Config) -> anyhow::Result<SqliteStore> {
    match SqliteStore::open_existing(&config.data_dir)
        .with_context(|| format!("opening the state store in {}", config.data_dir.display()))?
    {
        Some(s) => Ok(s),
        None => bail!(
            "no state in {} yet: nothing has run (duijie run --all)",
            config.data_dir.display()
        ),
    }
}

/// The zone of the scheme `name`, if it is configured.
fn zone_named(config: &Config, name: &str, mappers: &[Arc<dyn Mapper>]) -> FixedOffset {
    config
        .scheme(name)
        .map_or_else(|| zone(DEFAULT_UTC_OFFSET_SECS), |c| zone_of(c, mappers))
}

fn not_found(id: i64, config: &Config) -> anyhow::Error {
    anyhow::anyhow!(
        "no dead letter {id} in {} (duijie dead-letters lists them)",
        config.data_dir.display()
    )
}

/// `duijie dead-letters`.
pub async fn run(args: DeadLettersArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    match args.action {
        None => {
            let config = load_config(args.list.common.config.as_deref())?;
            let lists = collect(&config, &args.list, schemes, Utc::now())?;
            match args.list.common.format {
                ReportFormat::Text => print!("{}", render_list(&lists)),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&lists)?),
            }
        }
        Some(DeadLetterAction::Show(a)) => {
            let config = load_config(a.common.config.as_deref())?;
            let Some(d) = store(&config)?.dead_letter_detail(a.id)? else {
                return Err(not_found(a.id, &config));
            };
            match a.common.format {
                ReportFormat::Text => {
                    let z = zone_named(&config, &d.info.letter.scheme, schemes);
                    print!("{}", render_detail(&d, z));
                }
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
            }
        }
        Some(DeadLetterAction::Discard(a)) => {
            let why = a.why.trim();
            if why.is_empty() {
                bail!("--why: say why the dead letter is closed without being written");
            }
            let config = load_config(a.common.config.as_deref())?;
            match store(&config)?.discard_dead_letter(a.id, why, &actor(), Utc::now())? {
                Discard::Discarded(info) => match a.common.format {
                    ReportFormat::Text => println!(
                        "dead letter {} ({}, record {}) discarded: {why}",
                        info.letter.id,
                        info.letter.scheme,
                        info.letter.record_id.as_deref().unwrap_or("(no id)")
                    ),
                    ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&info)?),
                },
                Discard::NotFound => return Err(not_found(a.id, &config)),
                Discard::AlreadyResolved(how) => {
                    bail!("dead letter {} is closed already ({how})", a.id)
                }
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_local_times_and_rfc3339() {
        let z = zone(8 * 3600);
        let now = Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap();
        assert_eq!(
            parse_since("2h", z, now).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 1, 22, 0, 0).unwrap()
        );
        // Midnight of the source's zone is 16:00 UTC the day before.
        assert_eq!(
            parse_since("2024-05-01", z, now).unwrap(),
            Utc.with_ymd_and_hms(2024, 4, 30, 16, 0, 0).unwrap()
        );
        assert_eq!(
            parse_since("2024-05-01 08:30:00", z, now).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 30, 0).unwrap()
        );
        assert_eq!(
            parse_since("2024-05-01T08:30:00Z", z, now).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 1, 8, 30, 0).unwrap()
        );
        let e = parse_since("yesterday", z, now).unwrap_err();
        assert!(e.contains("`yesterday`") && e.contains("+08:00"), "{e}");
        assert!(parse_since("99999999999999d", z, now).is_err());
    }
}
