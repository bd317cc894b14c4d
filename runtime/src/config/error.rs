//! What is wrong with a configuration file, and where: [`ConfigError`]
//! with its codes, [`Location`], and [`ConfigWarning`] for what works but
//! should be changed.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A configuration problem. Displays as `file:line:column: key: message`
/// when it concerns a key of the file; `duijie` renders it like the `.map`
/// diagnostics, with its code ([`ConfigError::code`]), the line and a caret.
///
/// | code | variant | what |
/// |---|---|---|
/// | C0001 | `Read`, `NotFound` | the file cannot be read, or is not there |
/// | C0002 | `Syntax` | not valid TOML, or a value of the wrong type |
/// | C0003 | `UnknownKey` | a key duijie does not know (with the closest known one) |
/// | C0004 | `Invalid` | a value is missing or wrong |
/// | C0005 | `MissingSecret` | the environment variable holding a secret is not set, or empty |
/// | C0101 | [`ConfigWarning`] | works, but should be changed (a secret in clear for a real host, `http://`, a file others can read) |
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
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },
    /// A key duijie does not know.
    #[error("{at}: unknown key `{key}`{}", suggestion.as_ref().map(|s| format!(": did you mean `{s}`?")).unwrap_or_default())]
    UnknownKey {
        at: Box<Location>,
        key: String,
        suggestion: Option<String>,
        /// The keys the table knows.
        known: Vec<String>,
    },
    /// A value is missing or wrong.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    /// The environment variable holding a secret is not set, or empty.
    #[error("{at}: environment variable {var} is {} (it should hold the secret)", if *.empty { "set but empty" } else { "not set" })]
    MissingSecret {
        at: Location,
        var: String,
        empty: bool,
    },
}

impl ConfigError {
    /// The error's code and title (see the table of [`ConfigError`]).
    pub fn code(&self) -> (&'static str, &'static str) {
        match self {
            ConfigError::Read { .. } | ConfigError::NotFound { .. } => {
                ("C0001", "the configuration file cannot be read")
            }
            ConfigError::Syntax { .. } => ("C0002", "invalid configuration syntax or value type"),
            ConfigError::UnknownKey { .. } => ("C0003", "unknown configuration key"),
            ConfigError::Invalid { .. } => ("C0004", "invalid configuration value"),
            ConfigError::MissingSecret { .. } => {
                ("C0005", "a secret's environment variable is not set")
            }
        }
    }

    /// Where in the file, when the error concerns a place of it.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::UnknownKey { at, .. } => Some(at),
            ConfigError::Syntax { at, .. }
            | ConfigError::Invalid { at, .. }
            | ConfigError::MissingSecret { at, .. } => Some(at),
            ConfigError::Read { .. } | ConfigError::NotFound { .. } => None,
        }
    }

    /// What is wrong, without the place (for a rendered diagnostic).
    pub fn message(&self) -> String {
        match self {
            ConfigError::Syntax { message, .. } | ConfigError::Invalid { message, .. } => {
                message.clone()
            }
            ConfigError::UnknownKey { key, .. } => format!("unknown key `{key}`"),
            ConfigError::MissingSecret { var, empty, .. } => format!(
                "environment variable {var} is {} (it should hold the secret)",
                if *empty { "set but empty" } else { "not set" }
            ),
            other => other.to_string(),
        }
    }

    /// A hint: the key meant, the keys known.
    pub fn help(&self) -> Option<String> {
        match self {
            ConfigError::UnknownKey {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            ConfigError::UnknownKey { known, .. } if !known.is_empty() => {
                Some(format!("known keys: {}", known.join(", ")))
            }
            ConfigError::MissingSecret { var, .. } => Some(format!(
                "export {var}=… in the environment that runs duijie"
            )),
            _ => None,
        }
    }
}

/// The error of a value TOML or serde refused, at `span`: an unknown key
/// gets the closest known one; type errors say what to write.
pub(super) fn syntax_error(at: Location, message: &str) -> ConfigError {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((key, tail)) = rest.split_once('`') {
            let known: Vec<String> = tail
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            let suggestion = known
                .iter()
                .map(|k| (strsim::damerau_levenshtein(key, k), k))
                .filter(|(d, k)| *d <= 2.max(k.len() / 3))
                .min_by_key(|(d, _)| *d)
                .map(|(_, k)| k.clone());
            return ConfigError::UnknownKey {
                at: Box::new(at),
                key: key.to_string(),
                suggestion,
                known,
            };
        }
    }
    let plain = [
        ("expected u32", "expected a whole number (without quotes)"),
        (
            "expected a boolean",
            "expected true or false (without quotes)",
        ),
        ("expected a string", "expected text in quotes"),
    ]
    .iter()
    .fold(message.to_string(), |m, (from, to)| m.replace(from, to));
    ConfigError::Syntax { at, message: plain }
}

/// Where a key is in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
    /// Dotted key, e.g. `schemes.po.source`.
    pub key: String,
    /// The bytes of the file it covers, when known (for a caret under it).
    pub span: Option<Range<usize>>,
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

/// Something in the file that works but should be changed (a secret in
/// clear for a real host, a file others can read). Commands print each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub at: Location,
    pub message: String,
}

impl ConfigWarning {
    /// The code of every warning (see the table of [`ConfigError`]).
    pub const CODE: (&'static str, &'static str) =
        ("C0101", "the configuration works but should be changed");
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// The dotted key of the table a byte offset of `text` is in, and the key
/// of its line (`schemes.po.every`), for errors TOML reports by position.
pub(super) fn key_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.contains(']'))
        .map(|l| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        });
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (Some(t), None) => t,
        (None, Some(k)) => k,
        (None, None) => "(file)".into(),
    }
}
