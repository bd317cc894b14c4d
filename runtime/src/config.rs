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

/// The name commands look for in the current directory.
pub const FILE_NAME: &str = "duijie.toml";

/// The default data directory, relative to the configuration file.
pub const DEFAULT_DATA_DIR: &str = ".duijie";

/// A configuration problem. Displays as `file:line:column: key: message`
/// when it concerns a key of the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// No configuration file where one was expected.
    #[error("{path} not found: run `duijie init` to write one, or pass --config")]
    NotFound { path: String },
    /// The file is not valid TOML, or a value has the wrong type.
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    /// A value is missing or wrong.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    /// The environment variable holding a secret is not set.
    #[error("{at}: environment variable {var} is not set (it should hold the secret)")]
    MissingSecret { at: Location, var: String },
}

/// Where a key is in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
    /// Dotted key, e.g. `schemes.po.source`.
    pub key: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.key
        )
    }
}

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
                _ => Err(ConfigError::MissingSecret {
                    at: at.clone(),
                    var: var.clone(),
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
    /// Where the connection's table is.
    pub at: Location,
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
    /// Interval between runs of `duijie daemon` (default 5 min).
    pub every: Duration,
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
    /// Pages read at once, and batches written at once (default 2).
    pub concurrency: usize,
    /// What to do with a written record that changed (default skip).
    pub on_change: OnChange,
    /// Whether `run --all` and the daemon run it (default true).
    pub enabled: bool,
    /// Attempts of a failing call before the run gives up on it for now
    /// (default 8). Rate-limit answers do not count.
    pub max_attempts: u32,
    /// First retry delay (default 500 ms), doubled at each attempt, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay (default 30 s).
    pub retry_max: Duration,
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
        Config::parse(&text, path)
    }

    /// Checks the text of a configuration file found at `path` (used for
    /// messages and to place the data directory).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let cx = Cx {
            text,
            file: file.clone(),
        };
        let base = path.parent().unwrap_or(Path::new(""));
        let data_dir = match &raw.data_dir {
            Some(d) => {
                if d.get_ref().trim().is_empty() {
                    return Err(cx.invalid(d.span(), "data_dir", "must not be empty"));
                }
                base.join(d.get_ref())
            }
            None => base.join(DEFAULT_DATA_DIR),
        };
        let mut connections = BTreeMap::new();
        for (name, c) in raw.connections {
            let conn = cx.connection(&name, c)?;
            connections.insert(name, conn);
        }
        let mut schemes = Vec::new();
        let mut raw_schemes: Vec<(String, Spanned<RawScheme>)> = raw.schemes.into_iter().collect();
        // File order: by position of the table.
        raw_schemes.sort_by_key(|(_, s)| s.span().start);
        for (name, s) in raw_schemes {
            schemes.push(cx.scheme(&name, s, &connections)?);
        }
        Ok(Config {
            path: path.to_path_buf(),
            data_dir,
            connections,
            schemes,
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
    data_dir: Option<Spanned<String>>,
    #[serde(default)]
    connections: BTreeMap<String, Spanned<RawConnection>>,
    #[serde(default)]
    schemes: BTreeMap<String, Spanned<RawScheme>>,
}

type S = Option<Spanned<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    kind: Option<Spanned<String>>,
    base_url: S,
    timeout: Option<Spanned<Dur>>,
    rate_limit_per_minute: Option<Spanned<u32>>,
    max_page_size: Option<Spanned<u32>>,
    // wdt, wdtqm
    sid: S,
    appkey: S,
    appsecret: S,
    appsecret_env: S,
    // wdtqm
    app_key: S,
    target_app_key: S,
    // wdtqm, kingdee
    app_secret: S,
    app_secret_env: S,
    // kingdee
    acct_id: S,
    user_name: S,
    lcid: Option<Spanned<u32>>,
    org_num: S,
    login: S,
    app_id: S,
    password: S,
    password_env: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    map: S,
    source: S,
    target: S,
    every: Option<Spanned<Dur>>,
    page_size: Option<Spanned<u32>>,
    batch_size: Option<Spanned<u32>>,
    overlap: Option<Spanned<Dur>>,
    lag: Option<Spanned<Dur>>,
    start: S,
    start_days_ago: Option<Spanned<u32>>,
    concurrency: Option<Spanned<u32>>,
    on_change: S,
    enabled: Option<bool>,
    max_attempts: Option<Spanned<u32>>,
    retry_base: Option<Spanned<Dur>>,
    retry_max: Option<Spanned<Dur>>,
}

/// A duration written `"500ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"` (or a
/// combination like `"1h30m"`), or an integer number of seconds.
#[derive(Debug, Clone, Copy)]
struct Dur(Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"10m\", \"2h\" or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .map(|s| Dur(Duration::from_secs(s)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur(Duration::from_secs(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses `"500ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"`, `"1h30m"`, or a bare
/// number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "bad duration `{text}`: expected a number at `{rest}`"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad duration `{text}`: number too large"))?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let piece = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            "" => {
                return Err(format!(
                    "bad duration `{text}`: a unit (ms, s, m, h, d) must follow {n}"
                ))
            }
            other => {
                return Err(format!(
                    "bad duration `{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
                ))
            }
        };
        total = total.saturating_add(piece);
    }
    Ok(total)
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
// Checking.

struct Cx<'a> {
    text: &'a str,
    file: Arc<str>,
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Cx<'_> {
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
        }
    }

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

    fn required(
        &self,
        table: &Range<usize>,
        prefix: &str,
        key: &str,
        v: S,
        why: &str,
    ) -> Result<String, ConfigError> {
        match v {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(v.into_inner()),
            Some(v) => Err(self.invalid(v.span(), format!("{prefix}.{key}"), "must not be empty")),
            None => Err(self.invalid(table.clone(), prefix, format!("`{key}` is missing ({why})"))),
        }
    }

    fn secret(
        &self,
        table: &Range<usize>,
        prefix: &str,
        key: &str,
        inline: S,
        env: S,
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
            (None, None) => {
                let _ = table;
                Ok(None)
            }
        }
    }

    fn connection(
        &self,
        name: &str,
        raw: Spanned<RawConnection>,
    ) -> Result<ConnectionConfig, ConfigError> {
        let table = raw.span();
        let p = format!("connections.{name}");
        if !is_name(name) {
            return Err(self.invalid(
                table,
                &p,
                "a connection name may hold only letters, digits, `_` and `-`",
            ));
        }
        let c = raw.into_inner();
        let kind_text =
            self.required(&table, &p, "kind", c.kind.clone(), "wdt, wdtqm or kingdee")?;
        let kind = ConnectionKind::parse(&kind_text).ok_or_else(|| {
            self.invalid(
                c.kind.as_ref().map(|k| k.span()).unwrap_or(table.clone()),
                format!("{p}.kind"),
                format!("unknown kind `{kind_text}` (use wdt, wdtqm or kingdee)"),
            )
        })?;
        let base_url = self.required(
            &table,
            &p,
            "base_url",
            c.base_url.clone(),
            "the server's address",
        )?;
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            let span = c
                .base_url
                .as_ref()
                .map(|b| b.span())
                .unwrap_or(table.clone());
            return Err(self.invalid(
                span,
                format!("{p}.base_url"),
                "must start with http:// or https://",
            ));
        }
        let timeout = c
            .timeout
            .as_ref()
            .map_or(Duration::from_secs(30), |t| t.get_ref().0);
        if timeout.is_zero() {
            let span = c
                .timeout
                .as_ref()
                .map(|t| t.span())
                .unwrap_or(table.clone());
            return Err(self.invalid(span, format!("{p}.timeout"), "must be more than 0"));
        }
        if let Some(m) = &c.max_page_size {
            if *m.get_ref() == 0 {
                return Err(self.invalid(
                    m.span(),
                    format!("{p}.max_page_size"),
                    "must be at least 1",
                ));
            }
        }
        // Keys that belong to another kind are mistakes worth reporting.
        let foreign: &[(&str, bool)] = match kind {
            ConnectionKind::Wdt => &[
                ("app_key", c.app_key.is_some()),
                ("target_app_key", c.target_app_key.is_some()),
                (
                    "app_secret",
                    c.app_secret.is_some() || c.app_secret_env.is_some(),
                ),
                ("acct_id", c.acct_id.is_some()),
                ("user_name", c.user_name.is_some()),
                ("app_id", c.app_id.is_some()),
                ("password", c.password.is_some() || c.password_env.is_some()),
                ("login", c.login.is_some()),
            ],
            ConnectionKind::WdtQm => &[
                ("appkey", c.appkey.is_some()),
                (
                    "appsecret",
                    c.appsecret.is_some() || c.appsecret_env.is_some(),
                ),
                ("acct_id", c.acct_id.is_some()),
                ("user_name", c.user_name.is_some()),
                ("app_id", c.app_id.is_some()),
                ("password", c.password.is_some() || c.password_env.is_some()),
                ("login", c.login.is_some()),
            ],
            ConnectionKind::Kingdee => &[
                ("sid", c.sid.is_some()),
                ("appkey", c.appkey.is_some()),
                (
                    "appsecret",
                    c.appsecret.is_some() || c.appsecret_env.is_some(),
                ),
                ("app_key", c.app_key.is_some()),
                ("target_app_key", c.target_app_key.is_some()),
            ],
        };
        if let Some((key, _)) = foreign.iter().find(|(_, present)| *present) {
            return Err(self.invalid(
                table,
                &p,
                format!("`{key}` does not apply to a connection of kind {kind}"),
            ));
        }
        let account = match kind {
            ConnectionKind::Wdt => Account::Wdt {
                sid: self.required(&table, &p, "sid", c.sid, "the seller account")?,
                appkey: self.required(&table, &p, "appkey", c.appkey, "the app key")?,
                appsecret: self
                    .secret(&table, &p, "appsecret", c.appsecret, c.appsecret_env)?
                    .ok_or_else(|| {
                        self.invalid(
                            table.clone(),
                            &p,
                            "`appsecret_env` is missing (the environment variable holding the app secret)",
                        )
                    })?,
            },
            ConnectionKind::WdtQm => Account::WdtQm {
                sid: self.required(&table, &p, "sid", c.sid, "the 旺店通 seller account")?,
                app_key: self.required(&table, &p, "app_key", c.app_key, "the Qimen app key")?,
                target_app_key: self.required(
                    &table,
                    &p,
                    "target_app_key",
                    c.target_app_key,
                    "旺店通's app key on Qimen",
                )?,
                app_secret: self
                    .secret(&table, &p, "app_secret", c.app_secret, c.app_secret_env)?
                    .ok_or_else(|| {
                        self.invalid(
                            table.clone(),
                            &p,
                            "`app_secret_env` is missing (the environment variable holding the Qimen app secret)",
                        )
                    })?,
            },
            ConnectionKind::Kingdee => {
                let login = match &c.login {
                    None => KingdeeLogin::Sign,
                    Some(l) => match l.get_ref().as_str() {
                        "sign" => KingdeeLogin::Sign,
                        "app_secret" => KingdeeLogin::AppSecret,
                        "password" => KingdeeLogin::Password,
                        "headers" => KingdeeLogin::Headers,
                        other => {
                            return Err(self.invalid(
                                l.span(),
                                format!("{p}.login"),
                                format!("unknown login `{other}` (use sign, app_secret, password or headers)"),
                            ))
                        }
                    },
                };
                let app_secret = self.secret(&table, &p, "app_secret", c.app_secret, c.app_secret_env)?;
                let password = self.secret(&table, &p, "password", c.password, c.password_env)?;
                let app_id = c.app_id.map(Spanned::into_inner);
                match login {
                    KingdeeLogin::Password => {
                        if password.is_none() {
                            return Err(self.invalid(
                                table,
                                &p,
                                "`password_env` is missing (login = \"password\" needs the user's password)",
                            ));
                        }
                    }
                    _ => {
                        if app_id.is_none() {
                            return Err(self.invalid(
                                table,
                                &p,
                                format!("`app_id` is missing (login = \"{}\" needs the app id)", login.as_str()),
                            ));
                        }
                        if app_secret.is_none() {
                            return Err(self.invalid(
                                table,
                                &p,
                                format!(
                                    "`app_secret_env` is missing (login = \"{}\" needs the app secret)",
                                    login.as_str()
                                ),
                            ));
                        }
                    }
                }
                Account::Kingdee {
                    acct_id: self.required(&table, &p, "acct_id", c.acct_id, "the data center id")?,
                    user_name: self.required(&table, &p, "user_name", c.user_name, "the integration user")?,
                    lcid: c.lcid.map_or(2052, Spanned::into_inner),
                    org_num: c.org_num.map_or_else(|| "0".to_string(), Spanned::into_inner),
                    login,
                    app_id,
                    app_secret,
                    password,
                }
            }
        };
        let rate_limit_per_minute = c.rate_limit_per_minute.map_or(
            match kind {
                ConnectionKind::Wdt | ConnectionKind::WdtQm => 60,
                ConnectionKind::Kingdee => 0,
            },
            Spanned::into_inner,
        );
        Ok(ConnectionConfig {
            name: name.to_string(),
            kind,
            base_url,
            timeout,
            rate_limit_per_minute,
            max_page_size: c.max_page_size.map(Spanned::into_inner),
            account,
            at: self.at(table, p),
        })
    }

    fn scheme(
        &self,
        name: &str,
        raw: Spanned<RawScheme>,
        connections: &BTreeMap<String, ConnectionConfig>,
    ) -> Result<SchemeConfig, ConfigError> {
        let table = raw.span();
        let p = format!("schemes.{name}");
        if !is_name(name) {
            return Err(self.invalid(
                table,
                &p,
                "a scheme name may hold only letters, digits, `_` and `-`",
            ));
        }
        let s = raw.into_inner();
        let map_at = match &s.map {
            Some(m) => self.at(m.span(), format!("{p}.map")),
            None => self.at(table.clone(), &p),
        };
        let map = match s.map {
            Some(m) if m.get_ref().trim().is_empty() => {
                return Err(self.invalid(m.span(), format!("{p}.map"), "must not be empty"))
            }
            Some(m) => m.into_inner(),
            None => name.to_string(),
        };
        let names = || connections.keys().cloned().collect::<Vec<_>>().join(", ");
        let mut ends = Vec::new();
        for (key, v, want_source) in [("source", s.source, true), ("target", s.target, false)] {
            let Some(v) = v else {
                return Err(self.invalid(
                    table.clone(),
                    &p,
                    format!("`{key}` is missing (the name of a connection)"),
                ));
            };
            let Some(conn) = connections.get(v.get_ref()) else {
                let msg = if connections.is_empty() {
                    format!(
                        "no connection named \"{}\" (the file has no [connections.…])",
                        v.get_ref()
                    )
                } else {
                    format!(
                        "no connection named \"{}\" (there are: {})",
                        v.get_ref(),
                        names()
                    )
                };
                return Err(self.invalid(v.span(), format!("{p}.{key}"), msg));
            };
            let ok = if want_source {
                conn.kind != ConnectionKind::Kingdee
            } else {
                conn.kind == ConnectionKind::Kingdee
            };
            if !ok {
                return Err(self.invalid(
                    v.span(),
                    format!("{p}.{key}"),
                    format!(
                        "connection \"{}\" is of kind {}, which cannot be a {key}",
                        v.get_ref(),
                        conn.kind
                    ),
                ));
            }
            ends.push(v.into_inner());
        }
        let target = ends.pop().unwrap_or_default();
        let source = ends.pop().unwrap_or_default();

        let every = s
            .every
            .as_ref()
            .map_or(Duration::from_secs(300), |d| d.get_ref().0);
        if every < Duration::from_secs(1) {
            let span = s.every.as_ref().map(|d| d.span()).unwrap_or(table.clone());
            return Err(self.invalid(span, format!("{p}.every"), "must be at least 1s"));
        }
        let page_size_at = match &s.page_size {
            Some(v) => self.at(v.span(), format!("{p}.page_size")),
            None => self.at(table.clone(), &p),
        };
        if let Some(v) = &s.page_size {
            if *v.get_ref() == 0 {
                return Err(self.invalid(v.span(), format!("{p}.page_size"), "must be at least 1"));
            }
        }
        let batch_size = match &s.batch_size {
            None => 20,
            Some(v) if (1..=1000).contains(v.get_ref()) => *v.get_ref() as usize,
            Some(v) => {
                return Err(self.invalid(
                    v.span(),
                    format!("{p}.batch_size"),
                    "must be between 1 and 1000 (金蝶 advises at most 20)",
                ))
            }
        };
        let concurrency = match &s.concurrency {
            None => 2,
            Some(v) if (1..=32).contains(v.get_ref()) => *v.get_ref() as usize,
            Some(v) => {
                return Err(self.invalid(
                    v.span(),
                    format!("{p}.concurrency"),
                    "must be between 1 and 32",
                ))
            }
        };
        let start = match (&s.start, &s.start_days_ago) {
            (Some(a), Some(_)) => {
                return Err(self.invalid(
                    a.span(),
                    format!("{p}.start"),
                    "give either `start` or `start_days_ago`, not both",
                ))
            }
            (Some(a), None) => FirstStart::At(parse_start(a.get_ref()).ok_or_else(|| {
                self.invalid(
                    a.span(),
                    format!("{p}.start"),
                    format!(
                        "`{}` is not a date-time: write \"2024-01-01\" or \"2024-01-01 08:00:00\" (the source's time zone)",
                        a.get_ref()
                    ),
                )
            })?),
            (None, Some(d)) => FirstStart::DaysAgo(*d.get_ref()),
            (None, None) => FirstStart::DaysAgo(30),
        };
        let on_change = match &s.on_change {
            None => OnChange::Skip,
            Some(v) => match v.get_ref().as_str() {
                "skip" => OnChange::Skip,
                "update" => OnChange::Update,
                other => {
                    return Err(self.invalid(
                        v.span(),
                        format!("{p}.on_change"),
                        format!("unknown value `{other}` (use skip or update)"),
                    ))
                }
            },
        };
        let max_attempts = match &s.max_attempts {
            None => 8,
            Some(v) if *v.get_ref() >= 1 => *v.get_ref(),
            Some(v) => {
                return Err(self.invalid(
                    v.span(),
                    format!("{p}.max_attempts"),
                    "must be at least 1",
                ))
            }
        };
        let retry_base = s
            .retry_base
            .as_ref()
            .map_or(Duration::from_millis(500), |d| d.get_ref().0);
        let retry_max = s
            .retry_max
            .as_ref()
            .map_or(Duration::from_secs(30), |d| d.get_ref().0);
        if retry_max < retry_base {
            let span = s
                .retry_max
                .as_ref()
                .or(s.retry_base.as_ref())
                .map(|d| d.span())
                .unwrap_or(table.clone());
            return Err(self.invalid(
                span,
                format!("{p}.retry_max"),
                "must not be less than retry_base",
            ));
        }
        Ok(SchemeConfig {
            name: name.to_string(),
            map,
            source,
            target,
            every,
            page_size: s.page_size.map(Spanned::into_inner),
            batch_size,
            overlap: s
                .overlap
                .map_or(Duration::from_secs(600), |d| d.into_inner().0),
            lag: s.lag.map_or(Duration::from_secs(60), |d| d.into_inner().0),
            start,
            concurrency,
            on_change,
            enabled: s.enabled.unwrap_or(true),
            max_attempts,
            retry_base,
            retry_max,
            at: self.at(table, p),
            map_at,
            page_size_at,
        })
    }
}

/// `2024-01-01`, `2024-01-01 08:00`, `2024-01-01 08:00:00` (also with `T`).
fn parse_start(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(v) = NaiveDateTime::parse_from_str(t, f) {
            return Some(v);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

// ----------------------------------------------------------------------------
// The starter file.

/// A scheme to list in a starter file.
#[derive(Debug, Clone)]
pub struct StarterScheme {
    /// The compiled scheme's name.
    pub name: String,
    /// Its title, for a comment.
    pub title: Option<String>,
    /// Its source kind (`wdt` or `wdtqm`).
    pub source_system: String,
}

/// Credentials of a local sandbox, written in clear into a starter file.
/// They are the sandbox's well-known test values, not a tenant's.
#[derive(Debug, Clone)]
pub struct SandboxCredentials {
    pub base_url: String,
    pub wdt_sid: String,
    pub wdt_appkey: String,
    pub wdt_appsecret: Secret,
    pub qimen_app_key: String,
    pub qimen_target_app_key: String,
    pub qimen_app_secret: Secret,
    pub kingdee_acct_id: String,
    pub kingdee_user_name: String,
    pub kingdee_app_id: String,
    pub kingdee_app_secret: Secret,
}

fn quote(s: &str) -> String {
    // TOML basic string.
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of a commented starter `duijie.toml` listing `schemes`. With
/// `sandbox`, every connection points at that sandbox with its default
/// credentials written in clear; without, the connections point at the
/// vendors and read secrets from environment variables.
pub fn starter(schemes: &[StarterScheme], sandbox: Option<&SandboxCredentials>) -> String {
    let mut t = String::new();
    t.push_str(
        "# duijie configuration: connections, schemes and where the state is kept.\n\
         # Reference: docs/sync.md. Durations: \"500ms\", \"30s\", \"10m\", \"2h\", \"1d\".\n\n\
         # The state store (watermarks, runs, write queue, dead letters), relative to\n\
         # this file. Two data directories are two independent installations.\n\
         data_dir = \".duijie\"\n\n",
    );
    let uses = |k: &str| schemes.iter().any(|s| s.source_system == k);
    let want_wdt = uses("wdt") || schemes.is_empty();
    let want_qm = uses("wdtqm");
    match sandbox {
        Some(sb) => {
            let url = quote(&sb.base_url);
            t.push_str(
                "# These connections point at a local sandbox (`duijie sandbox`) and carry its\n\
                 # well-known test credentials in clear. For a real tenant, replace them and\n\
                 # read secrets from the environment (`appsecret_env = \"DUIJIE_WDT_APPSECRET\"`).\n\n",
            );
            if want_wdt {
                t.push_str(&format!(
                    "[connections.wdt]\nkind = \"wdt\"          # 旺店通·企业版 openapi2\nbase_url = {url}\nsid = {}\nappkey = {}\nappsecret = {}   # sandbox test value\nrate_limit_per_minute = 0   # the sandbox does not limit calls unless asked to\n# timeout = \"30s\"\n\n",
                    quote(&sb.wdt_sid),
                    quote(&sb.wdt_appkey),
                    quote(sb.wdt_appsecret.expose()),
                ));
            }
            if want_qm {
                t.push_str(&format!(
                    "[connections.wdtqm]\nkind = \"wdtqm\"        # 旺店通 through the Qimen gateway\nbase_url = {url}\nsid = {}\napp_key = {}\ntarget_app_key = {}\napp_secret = {}   # sandbox test value\nrate_limit_per_minute = 0\n# max_page_size = 100\n\n",
                    quote(&sb.wdt_sid),
                    quote(&sb.qimen_app_key),
                    quote(&sb.qimen_target_app_key),
                    quote(sb.qimen_app_secret.expose()),
                ));
            }
            t.push_str(&format!(
                "[connections.kingdee]\nkind = \"kingdee\"      # 金蝶云星空 WebAPI\nbase_url = \"{}/k3cloud\"\nacct_id = {}\nuser_name = {}\napp_id = {}\napp_secret = {}   # sandbox test value\n# login = \"sign\"      # sign | app_secret | password | headers\n# lcid = 2052\n\n",
                sb.base_url.trim_end_matches('/'),
                quote(&sb.kingdee_acct_id),
                quote(&sb.kingdee_user_name),
                quote(&sb.kingdee_app_id),
                quote(sb.kingdee_app_secret.expose()),
            ));
        }
        None => {
            t.push_str(
                "# Secrets are never written here: each `*_env` key names the environment\n\
                 # variable that holds the secret.\n\n",
            );
            if want_wdt {
                t.push_str(
                    "[connections.wdt]\nkind = \"wdt\"          # 旺店通·企业版 openapi2\nbase_url = \"https://api.wangdian.cn\"   # or https://sandbox.wangdian.cn\nsid = \"your-sid\"\nappkey = \"your-appkey\"\nappsecret_env = \"DUIJIE_WDT_APPSECRET\"\n# rate_limit_per_minute = 60   # shared by every scheme of this sid\n# timeout = \"30s\"\n\n",
                );
            }
            if want_qm {
                t.push_str(
                    "[connections.wdtqm]\nkind = \"wdtqm\"        # 旺店通 through the Qimen gateway\nbase_url = \"http://hu3cgwt0tc.api.taobao.com\"\nsid = \"your-sid\"\napp_key = \"your-qimen-app-key\"\ntarget_app_key = \"wdt-app-key-on-qimen\"\napp_secret_env = \"DUIJIE_QIMEN_APPSECRET\"\n# max_page_size = 30\n\n",
                );
            }
            t.push_str(
                "[connections.kingdee]\nkind = \"kingdee\"      # 金蝶云星空 WebAPI\nbase_url = \"https://your-server/k3cloud\"\nacct_id = \"your-data-center-id\"\nuser_name = \"your-integration-user\"\napp_id = \"your-app-id\"\napp_secret_env = \"DUIJIE_KINGDEE_APPSECRET\"\n# login = \"sign\"      # sign | app_secret | password (password_env) | headers\n# lcid = 2052\n\n",
            );
        }
    }
    if schemes.is_empty() {
        t.push_str(
            "# No compiled scheme was found; add one per .map scheme:\n\
             # [schemes.my_scheme]\n# source = \"wdt\"\n# target = \"kingdee\"\n",
        );
    }
    for (i, s) in schemes.iter().enumerate() {
        let source = if s.source_system == "wdtqm" {
            "wdtqm"
        } else {
            "wdt"
        };
        if let Some(title) = &s.title {
            t.push_str(&format!("# {title}\n"));
        }
        t.push_str(&format!(
            "[schemes.{}]\n# map = {}        # the compiled scheme (default: this table's name)\nsource = \"{source}\"\ntarget = \"kingdee\"\n",
            s.name,
            quote(&s.name)
        ));
        if i == 0 {
            t.push_str(
                "every = \"5m\"            # how often `duijie daemon` runs it\n\
                 # start_days_ago = 30    # where the first run starts (or start = \"2024-01-01\")\n\
                 # overlap = \"10m\"        # re-read before the watermark to catch late updates\n\
                 # lag = \"1m\"             # stop this far behind now\n\
                 # page_size = 40         # records per page (default: the API's)\n\
                 # concurrency = 2        # pages in flight\n\
                 # batch_size = 20        # bills per BatchSave\n\
                 # on_change = \"skip\"     # skip | update: re-send a written record that changed\n\
                 # max_attempts = 8       # per failing call, before the run stops for now\n\
                 # retry_base = \"500ms\"   # first retry delay, doubled each attempt, with jitter\n\
                 # retry_max = \"30s\"\n\n",
            );
        } else {
            t.push_str("every = \"5m\"\n\n");
        }
    }
    t
}

#[cfg(test)]
mod tests;
