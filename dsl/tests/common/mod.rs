//! Helpers shared by the integration tests.

#![allow(dead_code)]

use duijie_dsl::ast::File;
use duijie_dsl::ParseError;

/// The tree's `Debug` text with every span blanked out, to compare trees
/// "modulo spans".
pub fn without_spans(file: &File) -> String {
    let text = format!("{file:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        let tail = &rest[i..];
        let close = tail.find('}').map_or(tail.len(), |j| j + 1);
        rest = &tail[close..];
    }
    out.push_str(rest);
    out
}

/// An error as a person sees it: the message, the line with a caret under
/// the span, what was expected, and the help.
pub fn render(src: &str, e: &ParseError) -> String {
    let start = e.span.start;
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let line_no = src[..start].matches('\n').count() + 1;
    let line = &src[line_start..line_end];
    let col = src[line_start..start].chars().count();
    let width = src[start..e.span.end.min(line_end).max(start)]
        .chars()
        .count()
        .max(1);
    let gutter = line_no.to_string().len();
    let mut out = String::new();
    out.push_str(&format!("error: {}\n", e.message));
    out.push_str(&format!("{:gutter$}--> {}:{}\n", "", line_no, col + 1));
    out.push_str(&format!("{line_no} | {}\n", line.trim_end_matches('\r')));
    out.push_str(&format!(
        "{:gutter$} | {}{}\n",
        "",
        " ".repeat(col),
        "^".repeat(width)
    ));
    if !e.expected.is_empty() {
        out.push_str(&format!("expected: {}\n", e.expected.join(", ")));
    }
    if let Some(help) = &e.help {
        out.push_str(&format!("help: {help}\n"));
    }
    out
}
