//! Configuration errors and warnings shown like the `.map` diagnostics: the
//! same renderer (`duijie_compiler::diag`: `error[C0003]: …`, `--> file:line:col`,
//! the line, a caret, a help line) and the same JSON for `--format json`.
//! The runtime, which checks the file, cannot depend on the compiler; its
//! errors carry their code, place and help, and are rendered here.

use duijie_compiler::diag::{self, Code, Diagnostic, SourceFiles};
use duijie_dsl::ast::Span;
use duijie_runtime::config::{ConfigError, ConfigWarning, Location};
use duijie_runtime::connect::ConnectError;

/// What to show of an error of the configuration: code, place, message, help.
struct Shown<'a> {
    code: (&'static str, &'static str),
    at: &'a Location,
    message: String,
    help: Option<String>,
    warning: bool,
}

/// The configuration error in `e`'s chain of causes, as a diagnostic to show.
fn shown(e: &anyhow::Error) -> Option<Shown<'_>> {
    for cause in e.chain() {
        let config = cause.downcast_ref::<ConfigError>().or_else(|| {
            match cause.downcast_ref::<ConnectError>() {
                Some(ConnectError::Config(c)) => Some(c),
                _ => None,
            }
        });
        if let Some(c) = config {
            return c.location().map(|at| Shown {
                code: c.code(),
                at,
                message: c.message(),
                help: c.help(),
                warning: false,
            });
        }
        match cause.downcast_ref::<ConnectError>() {
            Some(ConnectError::Mismatch { at, message }) => {
                return Some(Shown {
                    code: ("C0004", "invalid configuration value"),
                    at,
                    message: message.clone(),
                    help: None,
                    warning: false,
                })
            }
            Some(ConnectError::UnknownMap { at, name, known }) => {
                return Some(Shown {
                    code: ("C0004", "invalid configuration value"),
                    at,
                    message: format!("no compiled scheme named `{name}`"),
                    help: Some(format!("compiled schemes: {known}")),
                    warning: false,
                })
            }
            _ => {}
        }
    }
    None
}

/// The diagnostic of `s`, pointing into the file's text (read again).
fn diagnostic(s: &Shown<'_>, files: &mut SourceFiles) -> Diagnostic {
    let text = std::fs::read_to_string(&*s.at.file).unwrap_or_default();
    let span =
        s.at.span
            .clone()
            .filter(|r| r.end <= text.len())
            .map_or_else(
                || line_span(&text, s.at.line, s.at.column),
                |r| Span::new(r.start, r.end),
            );
    let file = files.add(s.at.file.to_string(), text);
    let code = Code {
        id: s.code.0,
        title: s.code.1,
    };
    let message = format!("{}: {}", s.at.key, s.message);
    let mut d = if s.warning {
        Diagnostic::warning(code, file, span, message)
    } else {
        Diagnostic::error(code, file, span, message)
    };
    if let Some(h) = &s.help {
        d.help(h.clone());
    }
    d
}

/// The byte span of `line:column` in `text` (an empty span there).
fn line_span(text: &str, line: usize, column: usize) -> Span {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let col = text[start.min(text.len())..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let at = (start + col).min(text.len());
    Span::new(at, at)
}

/// `e` rendered like a `.map` diagnostic, when it is an error of the
/// configuration file at a place of it.
pub fn render_error(e: &anyhow::Error, color: bool) -> Option<String> {
    let s = shown(e)?;
    let mut files = SourceFiles::new();
    let d = diagnostic(&s, &mut files);
    Some(diag::render(&[d], &files, color))
}

/// `e` as the JSON of `duijie check --format json`, when it is an error of
/// the configuration file at a place of it.
pub fn json_error(e: &anyhow::Error) -> Option<serde_json::Value> {
    let s = shown(e)?;
    let mut files = SourceFiles::new();
    let d = diagnostic(&s, &mut files);
    serde_json::to_value(diag::to_json(&[d], &files)).ok()
}

/// A warning of the configuration, rendered like a `.map` warning.
pub fn render_warning(w: &ConfigWarning, color: bool) -> String {
    let s = Shown {
        code: ConfigWarning::CODE,
        at: &w.at,
        message: w.message.clone(),
        help: None,
        warning: true,
    };
    let mut files = SourceFiles::new();
    let d = diagnostic(&s, &mut files);
    diag::render(&[d], &files, color)
}
