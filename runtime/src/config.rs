//! `duijie.toml`: connections, schemes and the data directory.
//!
//! ```toml
//! data_dir = ".duijie"            # beside this file unless absolute
//!
//! [connections.wdt]
//! kind = "wdt"                    # wdt | wdtqm | kingdee
//! base_url = "https://api.wangdian.cn"
//! sid = "mysid"
//! appkey = "myappkey"
//! appsecret_env = "DUIJIE_WDT_APPSECRET"
//!
//! [connections.kingdee]
//! kind = "kingdee"
//! base_url = "https://erp.example.com/k3cloud"
//! acct_id = "64f0c0ffee0001"
//! user_name = "webapi"
//! app_id = "123456_abc"
//! app_secret_env = "DUIJIE_KINGDEE_APPSECRET"
//!
//! [schemes.purchase_orders]
//! map = "wdt_purchase_order_to_kingdee"   # compiled scheme (default: the table name)
//! source = "wdt"
//! target = "kingdee"
//! every = "5m"
//! ```
//!
//! Secrets are read from the environment variables the file names
//! (`appsecret_env`, `app_secret_env`, `password_env`). A secret written in
//! clear (`appsecret = "…"`) is accepted for sandboxes and tests only; it is
//! never logged or stored.
//!
//! Every error names the file, the line and column, and the key, e.g.
//! `duijie.toml:14:10: schemes.po.source: no connection named "wdt2" (there
//! are: kingdee, wdt)`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::secret::Secret;
use crate::state::OnChange;

use error::{key_at, syntax_error};
pub use error::{ConfigError, ConfigWarning, Location};

/// The name commands look for in the current directory.
pub const FILE_NAME: &str = "duijie.toml";

/// The default data directory, relative to the configuration file.
pub const DEFAULT_DATA_DIR: &str = ".duijie";

/// The optional settings of a scheme table: the key, its value when the
/// file does not give it (as the file would write it), and what it means.
/// The one text of both the starter file's comments (`duijie init`) and
/// the settings table of docs/sync.md (a test holds them equal).
pub const SCHEME_SETTINGS: &[(&str, &str, &str)] = &[
    ("start_days_ago", "30", "where the first run starts: midnight (source zone) N days ago; or `start = \"2024-01-01\"`"),
    ("overlap", "\"10m\"", "each run starts this long before the watermark, to catch records committed late"),
    ("lag", "\"1m\"", "each window ends this long before now, so records still being committed are read next time"),
    ("page_size", "40", "records per page (default: the API's)"),
    ("max_concurrency", "16", "the most pages read at once, and batches written at once: each run finds how many the vendors take, from 2 (or where the last run settled) up to this"),
    ("concurrency", "2", "instead, always this many pages read at once and batches written at once"),
    ("batch_size", "20", "bills per BatchSave"),
    ("on_change", "\"skip\"", "skip | update: send a written record whose bill changed again, as an update"),
    ("max_attempts", "8", "failed attempts of one call or one bill in a run before the run stops as incomplete (rate limits do not count)"),
    ("retry_base", "\"500ms\"", "first retry delay, doubled at each attempt, with jitter"),
    ("retry_max", "\"30s\"", "longest retry delay"),
    ("enabled", "true", "whether `run --all` and the daemon run it"),
    ("lookup_refresh", "\"0s\"", "lookup caches refreshed less than this long ago are used as they are (0: refreshed by modify date before every run)"),
];

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file.
    pub path: PathBuf,
    /// The data directory (state store, locks), absolute or relative to the
    /// current directory.
    pub data_dir: PathBuf,
    /// Connections by name.
    pub connections: BTreeMap<String, ConnectionConfig>,
    /// Schemes, in the order of the file.
    pub schemes: Vec<SchemeConfig>,
    /// What works but should be changed; commands print each once.
    pub warnings: Vec<ConfigWarning>,
}

/// The systems duijie talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionKind {
    /// 旺店通·企业版 openapi2.
    Wdt,
    /// 旺店通 through the Qimen gateway.
    WdtQm,
    /// 金蝶云星空 WebAPI.
    Kingdee,
}

impl ConnectionKind {
    /// The name used in the file and in scheme metadata (`wdt`, `wdtqm`, `kingdee`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Wdt => "wdt",
            ConnectionKind::WdtQm => "wdtqm",
            ConnectionKind::Kingdee => "kingdee",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wdt" => Some(ConnectionKind::Wdt),
            "wdtqm" => Some(ConnectionKind::WdtQm),
            "kingdee" => Some(ConnectionKind::Kingdee),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// An environment variable (the normal case).
    Env { var: String, at: Location },
    /// Written in the file (sandboxes and tests only).
    Inline(Secret),
}

impl SecretSource {
    /// The secret's value.
    pub fn resolve(&self) -> Result<Secret, ConfigError> {
        match self {
            SecretSource::Inline(s) => Ok(s.clone()),
            SecretSource::Env { var, at } => match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
                Ok(_) => Err(ConfigError::MissingSecret {
                    at: at.clone(),
                    var: var.clone(),
                    empty: true,
                }),
                Err(_) => Err(ConfigError::MissingSecret {
                    at: at.clone(),
                    var: var.clone(),
                    empty: false,
                }),
            },
        }
    }
}

/// One connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    pub name: String,
    pub kind: ConnectionKind,
    pub base_url: String,
    /// Overall time limit of one call (default 30 s).
    pub timeout: Duration,
    /// Calls per minute allowed, shared by every scheme of the same account
    /// in this process; 0 = no limit of ours (the vendor's answers still
    /// pause us). Defaults: 旺店通 and Qimen 60, 金蝶 0.
    pub rate_limit_per_minute: u32,
    /// Largest page size the API accepts on this connection (Qimen's cap is
    /// uncertain: 30 or 100).
    pub max_page_size: Option<u32>,
    /// Account fields and secrets.
    pub account: Account,
    /// PEM certificates of a private certificate authority to trust besides
    /// the system's (`ca_file`, relative to the file): a 金蝶 server hosted
    /// with an internal CA.
    pub ca_file: Option<PathBuf>,
    /// `http://` to a host other than this machine is allowed (the
    /// credentials and signatures go out in clear): `allow_insecure_http`.
    pub allow_insecure_http: bool,
    /// Where the connection's table is.
    pub at: Location,
}

impl ConnectionConfig {
    /// Whether a secret of the connection is written in the file.
    pub fn has_inline_secret(&self) -> bool {
        let inline = |s: &SecretSource| matches!(s, SecretSource::Inline(_));
        match &self.account {
            Account::Wdt { appsecret, .. } => inline(appsecret),
            Account::WdtQm { app_secret, .. } => inline(app_secret),
            Account::Kingdee {
                app_secret,
                password,
                ..
            } => app_secret.as_ref().is_some_and(inline) || password.as_ref().is_some_and(inline),
        }
    }

    /// Whether the connection sends in clear over the network: `http://` to
    /// a host that is not this machine.
    pub fn insecure(&self) -> bool {
        self.base_url.starts_with("http://") && !is_loopback_url(&self.base_url)
    }
}

/// Whether `url` points at this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl ConnectionConfig {
    /// The key of the rate-limit bucket: calls of every connection with the
    /// same key share one limit. 旺店通 limits per seller account (`sid`),
    /// across openapi2 and Qimen; 金蝶 per server and data center.
    pub fn rate_key(&self) -> String {
        match &self.account {
            Account::Wdt { sid, .. } | Account::WdtQm { sid, .. } => format!("wdt:{sid}"),
            Account::Kingdee { acct_id, .. } => {
                format!("kingdee:{}:{acct_id}", self.base_url.trim_end_matches('/'))
            }
        }
    }
}

/// How to log in to 金蝶.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KingdeeLogin {
    /// `AuthService.LoginBySign` (app id + app secret; the recommended one).
    Sign,
    /// `AuthService.LoginByAppSecret`.
    AppSecret,
    /// `AuthService.ValidateUser` (user name + password).
    Password,
    /// No login: the SDK's signed headers on every call.
    Headers,
}

impl KingdeeLogin {
    pub fn as_str(self) -> &'static str {
        match self {
            KingdeeLogin::Sign => "sign",
            KingdeeLogin::AppSecret => "app_secret",
            KingdeeLogin::Password => "password",
            KingdeeLogin::Headers => "headers",
        }
    }
}

/// The account of a connection.
#[derive(Debug, Clone)]
pub enum Account {
    Wdt {
        sid: String,
        appkey: String,
        appsecret: SecretSource,
    },
    WdtQm {
        /// The 旺店通 seller account named in every call.
        sid: String,
        app_key: String,
        target_app_key: String,
        app_secret: SecretSource,
    },
    Kingdee {
        acct_id: String,
        user_name: String,
        lcid: u32,
        org_num: String,
        login: KingdeeLogin,
        app_id: Option<String>,
        app_secret: Option<SecretSource>,
        password: Option<SecretSource>,
    },
}

/// Where the first run of a scheme starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstStart {
    /// At this date-time of the source's zone.
    At(NaiveDateTime),
    /// At the start of the day this many days ago (source's zone).
    DaysAgo(u32),
}

/// One scheme: a compiled mapping bound to its connections and schedule.
#[derive(Debug, Clone)]
pub struct SchemeConfig {
    /// The table name (`[schemes.NAME]`): what `run`, `status` and the state
    /// store call the scheme.
    pub name: String,
    /// The compiled scheme to run (default: `name`).
    pub map: String,
    /// Source connection name.
    pub source: String,
    /// Target connection name.
    pub target: String,
    /// Interval between runs of `duijie daemon` (default 5 min); see
    /// `schedule` for a cron expression instead.
    pub every: Duration,
    /// When `duijie daemon` runs it: `every` or `cron`, within `only`.
    pub schedule: schedule::Schedule,
    /// The daemon's scheduled backfill, if any.
    pub backfill: Option<schedule::Backfill>,
    /// Records per page (default: the API's default).
    pub page_size: Option<u32>,
    /// Bills per BatchSave call (default 20).
    pub batch_size: usize,
    /// How far before the watermark each run starts reading, to catch late
    /// updates (default 10 min).
    pub overlap: Duration,
    /// How far behind now each window ends, so that records still being
    /// committed at the source are read next time (default 1 min).
    pub lag: Duration,
    /// Where the first run starts (default: 30 days ago).
    pub start: FirstStart,
    /// Pages read at once, and batches written at once: fixed by
    /// `concurrency`, else found by each run up to `max_concurrency`
    /// (default 16).
    pub concurrency: crate::limit::Concurrency,
    /// What to do with a written record that changed (default skip).
    pub on_change: OnChange,
    /// Whether `run --all` and the daemon run it (default true).
    pub enabled: bool,
    /// Submit and then audit every saved bill as separate calls, for forms
    /// or tenants where `IsAutoSubmitAndAudit` is not honoured (default false).
    pub submit_and_audit: bool,
    /// Attempts of a failing call before the run gives up on it for now
    /// (default 8). Rate-limit answers do not count.
    pub max_attempts: u32,
    /// First retry delay (default 500 ms), doubled at each attempt, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay (default 30 s).
    pub retry_max: Duration,
    /// Lookup caches refreshed less than this long ago are not refreshed
    /// before a run (default 0: before every run).
    pub lookup_refresh: Duration,
    /// Where the scheme's table is.
    pub at: Location,
    /// Where `map` is (or the table, when defaulted).
    pub map_at: Location,
    /// Where `page_size` is (or the table).
    pub page_size_at: Location,
}

impl Config {
    /// The configuration file to use: `explicit`, or `./duijie.toml`.
    pub fn locate(explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(FILE_NAME))
    }

    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::NotFound {
                    path: path.display().to_string(),
                })
            }
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    source: e,
                })
            }
        };
        let mut config = Config::parse(&text, path)?;
        config.warn_if_readable_by_others();
        Ok(config)
    }

    /// A file holding secrets in clear that its group or others may read
    /// is a warning.
    #[cfg(unix)]
    fn warn_if_readable_by_others(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let in_clear = self
            .connections
            .values()
            .any(ConnectionConfig::has_inline_secret);
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        let mode = meta.permissions().mode() & 0o777;
        if in_clear && mode & 0o077 != 0 {
            self.warnings.push(ConfigWarning {
                at: Location {
                    file: Arc::from(self.path.display().to_string()),
                    line: 1,
                    column: 1,
                    key: "(file)".into(),
                    span: None,
                },
                message: format!(
                    "holds secrets in clear and others can read it (mode {mode:o}): `chmod 600 {}`, or read the secrets from the environment (`*_env` keys)",
                    self.path.display()
                ),
            });
        }
    }

    #[cfg(not(unix))]
    fn warn_if_readable_by_others(&mut self) {}

    /// Checks the text of a configuration file found at `path` (used for
    /// messages and to place the data directory).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let checker = Checker {
            text,
            file: file.clone(),
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = key_at(text, span.start);
            syntax_error(checker.at(span, key), e.message().trim_end())
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let data_dir = match &raw.data_dir {
            Some(d) => {
                if d.get_ref().trim().is_empty() {
                    return Err(checker.invalid(d.span(), "data_dir", "must not be empty"));
                }
                base.join(d.get_ref())
            }
            None => base.join(DEFAULT_DATA_DIR),
        };
        let mut connections = BTreeMap::new();
        let mut warnings = Vec::new();
        for (name, c) in raw.connections {
            let conn = checker.connection(&name, c, base, &mut warnings)?;
            connections.insert(name, conn);
        }
        let mut schemes = Vec::new();
        let mut raw_schemes: Vec<(String, Spanned<RawScheme>)> = raw.schemes.into_iter().collect();
        // File order: by position of the table.
        raw_schemes.sort_by_key(|(_, s)| s.span().start);
        for (name, s) in raw_schemes {
            schemes.push(checker.scheme(&name, s, &connections)?);
        }
        Ok(Config {
            path: path.to_path_buf(),
            data_dir,
            connections,
            schemes,
            warnings,
        })
    }

    /// A scheme by its name.
    pub fn scheme(&self, name: &str) -> Option<&SchemeConfig> {
        self.schemes.iter().find(|s| s.name == name)
    }

    /// A connection by its name (checked to exist when loading).
    pub fn connection(&self, name: &str) -> Option<&ConnectionConfig> {
        self.connections.get(name)
    }

    /// The names of the schemes, in file order.
    pub fn scheme_names(&self) -> Vec<&str> {
        self.schemes.iter().map(|s| s.name.as_str()).collect()
    }
}

// ----------------------------------------------------------------------------
// Raw file structure.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: OptText,
    #[serde(default)]
    connections: BTreeMap<String, Spanned<RawConnection>>,
    #[serde(default)]
    schemes: BTreeMap<String, Spanned<RawScheme>>,
}

/// A text value the file may give, with where it is.
type OptText = Option<Spanned<String>>;

/// A `[connections.NAME]` table. Which keys apply to which kind is checked
/// in `connection.rs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    kind: OptText,
    base_url: OptText,
    timeout: Option<Spanned<Dur>>,
    rate_limit_per_minute: Option<Spanned<u32>>,
    max_page_size: Option<Spanned<u32>>,
    ca_file: OptText,
    allow_insecure_http: Option<Spanned<bool>>,
    // wdt, wdtqm
    sid: OptText,
    // wdt
    appkey: OptText,
    appsecret: OptText,
    appsecret_env: OptText,
    // wdtqm
    app_key: OptText,
    target_app_key: OptText,
    // wdtqm, kingdee
    app_secret: OptText,
    app_secret_env: OptText,
    // kingdee
    acct_id: OptText,
    user_name: OptText,
    lcid: Option<Spanned<u32>>,
    org_num: OptText,
    login: OptText,
    app_id: OptText,
    password: OptText,
    password_env: OptText,
}

/// A `[schemes.NAME]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    map: OptText,
    source: OptText,
    target: OptText,
    every: Option<Spanned<Dur>>,
    cron: OptText,
    only: OptText,
    backfill_days: Option<Spanned<u32>>,
    backfill_every: Option<Spanned<Dur>>,
    backfill_cron: OptText,
    page_size: Option<Spanned<u32>>,
    batch_size: Option<Spanned<u32>>,
    overlap: Option<Spanned<Dur>>,
    lag: Option<Spanned<Dur>>,
    start: OptText,
    start_days_ago: Option<Spanned<u32>>,
    concurrency: Option<Spanned<u32>>,
    max_concurrency: Option<Spanned<u32>>,
    on_change: OptText,
    enabled: Option<bool>,
    submit_and_audit: Option<bool>,
    max_attempts: Option<Spanned<u32>>,
    retry_base: Option<Spanned<Dur>>,
    retry_max: Option<Spanned<Dur>>,
    lookup_refresh: Option<Spanned<Dur>>,
}

/// A duration written with its unit: `"500ms"`, `"30s"`, `"10m"`, `"2h"`,
/// `"1d"`, or a combination like `"1h30m"`. A bare number is refused: is
/// `5` five seconds or five minutes?
#[derive(Debug, Clone, Copy)]
struct Dur(Duration);

/// What a bare number as a duration is told.
const DURATION_NEEDS_UNIT: &str =
    "a duration needs a unit: write it as text with one, e.g. \"30s\", \"5m\", \"2h\" or \"500ms\"";

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"10m\" or \"2h\"")
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Dur, E> {
                Err(E::custom(DURATION_NEEDS_UNIT))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Dur, E> {
                Err(E::custom(DURATION_NEEDS_UNIT))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Dur, E> {
                Err(E::custom(DURATION_NEEDS_UNIT))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses `"500ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"`, `"1h30m"` (humantime's
/// syntax). A number without a unit is an error asking for one.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DURATION_NEEDS_UNIT.into());
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("bad duration `{text}`: {e} (write e.g. \"30s\", \"5m\", \"1h30m\")"))
}

/// Writes a duration the way the file does (`"10m"`, `"1h30m"`, `"500ms"`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

// ----------------------------------------------------------------------------
// Checking: the values of a parsed file, each error placed at its line and
// column. Connections are checked in `connection.rs`, schemes in `scheme.rs`.

mod connection;
mod error;
pub mod schedule;
mod scheme;

/// Checks the values of one parsed file, whose text it holds to turn a
/// value's byte span into a line and column.
struct Checker<'a> {
    text: &'a str,
    file: Arc<str>,
}

/// The span of `v`, or of its table when the file does not give it.
fn span_or<T>(v: &Option<Spanned<T>>, table: &Range<usize>) -> Range<usize> {
    v.as_ref().map_or_else(|| table.clone(), Spanned::span)
}

impl Checker<'_> {
    /// Where `span` is, for the dotted `key`.
    fn at(&self, span: Range<usize>, key: impl Into<String>) -> Location {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
            before[nl + 1..].chars().count()
        }) + 1;
        Location {
            file: self.file.clone(),
            line,
            column,
            key: key.into(),
            span: Some(start..span.end.max(start).min(self.text.len())),
        }
    }

    /// Checks that `name`, of the `what` (connection or scheme) whose table
    /// is at `table`, holds only letters, digits, `_` and `-`.
    fn check_name(
        &self,
        name: &str,
        table: &Range<usize>,
        p: &str,
        what: &str,
    ) -> Result<(), ConfigError> {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            return Ok(());
        }
        Err(self.invalid(
            table.clone(),
            p,
            format!("a {what} name may hold only letters, digits, `_` and `-`"),
        ))
    }

    /// An error at `span`, of the dotted `key`.
    fn invalid(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            at: self.at(span, key),
            message: message.into(),
        }
    }

    /// The text of a key the table (at `table`, of the dotted `prefix`)
    /// must have; `why` says what it is, when it is missing.
    fn required(
        &self,
        table: &Range<usize>,
        prefix: &str,
        key: &str,
        v: OptText,
        why: &str,
    ) -> Result<String, ConfigError> {
        match v {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(v.into_inner()),
            Some(v) => Err(self.invalid(v.span(), format!("{prefix}.{key}"), "must not be empty")),
            None => Err(self.invalid(table.clone(), prefix, format!("`{key}` is missing ({why})"))),
        }
    }

    /// A secret given either in clear (`key`) or as the environment
    /// variable that holds it (`key_env`); `None` when neither is given.
    fn secret(
        &self,
        prefix: &str,
        key: &str,
        inline: OptText,
        env: OptText,
    ) -> Result<Option<SecretSource>, ConfigError> {
        match (inline, env) {
            (Some(i), Some(_)) => Err(self.invalid(
                i.span(),
                format!("{prefix}.{key}"),
                format!("give either `{key}` or `{key}_env`, not both"),
            )),
            (Some(i), None) => {
                if i.get_ref().is_empty() {
                    return Err(self.invalid(
                        i.span(),
                        format!("{prefix}.{key}"),
                        "must not be empty",
                    ));
                }
                Ok(Some(SecretSource::Inline(Secret::new(i.into_inner()))))
            }
            (None, Some(e)) => {
                let var = e.get_ref().trim().to_string();
                if var.is_empty() || var.contains('=') || var.contains('\0') {
                    return Err(self.invalid(
                        e.span(),
                        format!("{prefix}.{key}_env"),
                        "must name an environment variable",
                    ));
                }
                Ok(Some(SecretSource::Env {
                    var,
                    at: self.at(e.span(), format!("{prefix}.{key}_env")),
                }))
            }
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests;
