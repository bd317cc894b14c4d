//! Diagnostics: what the checker reports, and how it is shown.
//!
//! A [`Diagnostic`] has a stable [`Code`], a message, a primary label at the
//! offending span, secondary labels and a help line. It is rendered like
//! rustc (`error[E0101]: …`, `--> path:line:col`, the line, a caret) with
//! codespan-reporting, or as JSON for editors.

pub mod codes;

pub use codes::Code;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use duijie_dsl::ast::Span;
use serde::Serialize;

/// Index of a file in [`SourceFiles`].
pub type FileId = usize;

/// The texts diagnostics point into.
#[derive(Default)]
pub struct SourceFiles {
    files: SimpleFiles<String, String>,
}

impl SourceFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file; `name` is how it is shown (`maps/x.map`).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.add(name.into(), text.into())
    }

    pub fn name(&self, id: FileId) -> &str {
        self.files.get(id).map(|f| f.name().as_str()).unwrap_or("?")
    }

    pub fn text(&self, id: FileId) -> &str {
        self.files
            .get(id)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(id);
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span in a file with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` at `span`.
    pub fn error(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label {
                file,
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A warning with `code` at `span`.
    pub fn warning(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        let mut d = Diagnostic::error(code, file, span, message);
        d.severity = Severity::Warning;
        d
    }

    /// Sets the primary label's text.
    pub fn label(&mut self, message: impl Into<String>) -> &mut Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn with(&mut self, file: FileId, span: Span, message: impl Into<String>) -> &mut Self {
        self.secondary.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary label in the primary label's file.
    pub fn also(&mut self, span: Span, message: impl Into<String>) -> &mut Self {
        let file = self.primary.file;
        self.with(file, span, message)
    }

    /// Sets the help line.
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn to_codespan(&self) -> cs::Diagnostic<FileId> {
        let mut labels = vec![cs::Label::primary(
            self.primary.file,
            self.primary.span.start..self.primary.span.end,
        )
        .with_message(self.primary.message.clone())];
        for l in &self.secondary {
            labels.push(
                cs::Label::secondary(l.file, l.span.start..l.span.end)
                    .with_message(l.message.clone()),
            );
        }
        let d = match self.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        d.with_code(self.code.id)
            .with_message(self.message.clone())
            .with_labels(labels)
            .with_notes(
                self.help
                    .iter()
                    .map(|h| format!("help: {h}"))
                    .collect::<Vec<_>>(),
            )
    }
}

/// Renders diagnostics like rustc. `color` adds ANSI colours (use it only
/// when writing to a terminal).
pub fn render(diagnostics: &[Diagnostic], files: &SourceFiles, color: bool) -> String {
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    let mut out = String::new();
    for d in diagnostics {
        let cd = d.to_codespan();
        if color {
            let mut buf = term::termcolor::Ansi::new(Vec::new());
            if term::emit_to_write_style(&mut buf, &config, &files.files, &cd).is_ok() {
                out.push_str(&String::from_utf8_lossy(&buf.into_inner()));
                continue;
            }
        }
        match term::emit_into_string(&config, &files.files, &cd) {
            Ok(s) => out.push_str(&s),
            // A span outside its file: still say what is wrong.
            Err(_) => out.push_str(&format!(
                "{}[{}]: {}\n  --> {}\n\n",
                match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                d.code.id,
                d.message,
                files.name(d.primary.file)
            )),
        }
    }
    out
}

/// A diagnostic as JSON, for editors (`duijie check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    /// 1-based line and column (characters) of the primary span's start.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets of the primary span.
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub help: Option<String>,
    pub related: Vec<JsonLabel>,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Converts diagnostics for `--format json`.
pub fn to_json(diagnostics: &[Diagnostic], files: &SourceFiles) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let p = &d.primary;
            let (line, column) = files.line_col(p.file, p.span.start);
            let (end_line, end_column) = files.line_col(p.file, p.span.end);
            JsonDiagnostic {
                code: d.code.id,
                severity: d.severity,
                message: d.message.clone(),
                file: files.name(p.file).to_string(),
                line,
                column,
                end_line,
                end_column,
                start: p.span.start,
                end: p.span.end,
                label: p.message.clone(),
                help: d.help.clone(),
                related: d
                    .secondary
                    .iter()
                    .map(|l| {
                        let (line, column) = files.line_col(l.file, l.span.start);
                        JsonLabel {
                            file: files.name(l.file).to_string(),
                            line,
                            column,
                            message: l.message.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// "did you mean": the closest candidate by edit distance (ties broken by
/// Jaro-Winkler similarity), if any is close enough. Case differences alone
/// always qualify (Kingdee's keys differ in case between forms).
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).clamp(1, 4);
    let mut best: Option<(usize, f64, &'a str)> = None;
    for c in candidates {
        if c == wanted {
            continue;
        }
        let lower = c.to_lowercase();
        let distance = if lower == wanted_lower {
            0
        } else {
            strsim::osa_distance(&wanted_lower, &lower)
        };
        let similarity = strsim::jaro_winkler(&wanted_lower, &lower);
        if distance > limit && similarity < 0.9 {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, s, _)) => distance < d || (distance == d && similarity > s),
        };
        if better {
            best = Some((distance, similarity, c));
        }
    }
    best.map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_without_colour() {
        let mut files = SourceFiles::new();
        let id = files.add("maps/x.map", "// 采购\nFQty = nun\n");
        let start = "// 采购\nFQty = ".len();
        let mut d = Diagnostic::error(
            codes::UNKNOWN_SOURCE_FIELD,
            id,
            Span::new(start, start + 3),
            "unknown source field `nun`",
        );
        d.label("not a field of purchase_order_query")
            .help("did you mean `num` (数量)?");
        let out = render(&[d], &files, false);
        assert!(
            out.contains("error[E0101]: unknown source field `nun`"),
            "{out}"
        );
        assert!(out.contains("--> maps/x.map:2:8"), "{out}");
        assert!(out.contains("^^^ not a field"), "{out}");
        assert!(out.contains("help: did you mean `num` (数量)?"), "{out}");
        assert!(!out.contains('\u{1b}'), "no colour codes: {out}");
    }

    #[test]
    fn line_and_column_count_characters() {
        let mut files = SourceFiles::new();
        let id = files.add("a.map", "仓库 = x\n  y");
        assert_eq!(files.line_col(id, "仓库 = ".len()), (1, 6));
        assert_eq!(files.line_col(id, "仓库 = x\n  ".len()), (2, 3));
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["num", "price", "tax_price", "spec_no"];
        assert_eq!(closest("nun", names), Some("num"));
        assert_eq!(closest("prcie", names), Some("price"));
        assert_eq!(closest("SPEC_NO", names), Some("spec_no"));
        assert_eq!(closest("warehouse", names), None);
    }
}
