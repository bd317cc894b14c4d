//! The diagnostics many checks share: an unknown name, with the closest
//! known one suggested, and something set twice, with where it was first
//! set.

use std::collections::HashMap;

use duijie_dsl::ast::{self, Span};

use super::Checker;
use crate::diag::{closest, codes, Code, Diagnostic, FileId};
use crate::spec::Field;

/// How the two places of a repeat are labelled.
#[derive(Clone, Copy)]
pub(super) enum Repeat {
    /// "again here" / "first here".
    Given,
    /// "declared again here" / "first declared here".
    Declared,
    /// "assigned again here" / "first assigned here".
    Assigned,
}

impl Repeat {
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Repeat::Given => ("again here", "first here"),
            Repeat::Declared => ("declared again here", "first declared here"),
            Repeat::Assigned => ("assigned again here", "first assigned here"),
        }
    }
}

impl Checker<'_, '_> {
    /// Reports ``unknown {what} `{name}` `` at `span` with the help line
    /// `help` (see [`suggest`] and [`suggest_field`]); the caller labels it.
    pub(super) fn unknown(
        &mut self,
        code: Code,
        span: Span,
        what: &str,
        name: &str,
        help: String,
    ) -> &mut Diagnostic {
        self.error(code, span, format!("unknown {what} `{name}`"))
            .help(help)
    }

    /// Reports `message` at `span`, where something already set at `first`
    /// is set again; both places are labelled as `repeat` says.
    pub(super) fn set_twice(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        repeat: Repeat,
        first: (FileId, Span),
    ) -> &mut Diagnostic {
        let (again, first_label) = repeat.labels();
        self.error(code, span, message)
            .label(again)
            .with(first.0, first.1, first_label)
    }

    /// Notes that the `what` called `name` is set in a block; when `seen`
    /// has it already, reports ``the {what} `{name}` is set twice`` and
    /// returns false.
    pub(super) fn set_once(
        &mut self,
        seen: &mut HashMap<String, Span>,
        name: &ast::Ident,
        what: &str,
    ) -> bool {
        if let Some(&first) = seen.get(&name.name) {
            let file = self.file;
            self.set_twice(
                codes::DUPLICATE_ASSIGN,
                name.span,
                format!("the {what} `{}` is set twice", name.name),
                Repeat::Given,
                (file, first),
            )
            .help(format!("set each {what} once: remove one of the two"));
            return false;
        }
        seen.insert(name.name.clone(), name.span);
        true
    }
}

/// "did you mean `C`?" for the closest of `candidates`, when one is close.
pub(super) fn did_you_mean<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    closest(wanted, candidates).map(mean)
}

/// The help line for an unknown name: [`did_you_mean`], or `otherwise`
/// when no candidate is close.
pub(super) fn suggest<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    did_you_mean(wanted, candidates).unwrap_or_else(otherwise)
}

/// "did you mean `C`?" for the one candidate that `wanted` abbreviates:
/// the same first letter and every letter of `wanted` in `C`, in order
/// (`rnd` → `round`, `fmt_dt` → `format_datetime`).
pub(super) fn abbreviated<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let wanted = wanted.to_lowercase();
    if wanted.chars().count() < 2 {
        return None;
    }
    let fits = |c: &str| {
        let c = c.to_lowercase();
        if c.chars().next() != wanted.chars().next() {
            return false;
        }
        let mut rest = c.chars();
        wanted.chars().all(|w| rest.any(|x| x == w))
    };
    let mut found = candidates.into_iter().filter(|c| fits(c));
    match (found.next(), found.next()) {
        (Some(one), None) => Some(mean(one)),
        _ => None,
    }
}

fn mean(name: &str) -> String {
    format!("did you mean `{name}`?")
}

/// [`suggest`] among spec fields, naming the field's 中文 label too.
pub(super) fn suggest_labelled<'f, I>(
    wanted: &str,
    fields: I,
    otherwise: impl FnOnce() -> String,
) -> String
where
    I: IntoIterator<Item = &'f Field>,
    I::IntoIter: Clone,
{
    let fields = fields.into_iter();
    match closest(wanted, fields.clone().map(|f| f.name.as_str())) {
        Some(c) => match fields.into_iter().find(|f| f.name == c) {
            Some(f) if !f.label.is_empty() => format!("did you mean `{c}` ({})?", f.label),
            _ => mean(c),
        },
        None => otherwise(),
    }
}

/// "did you mean …" for a name among spec fields, or the first of them.
pub(super) fn suggest_field(name: &str, fields: &[Field]) -> String {
    suggest_labelled(name, fields, || {
        let mut names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        if names.len() > 12 {
            names.truncate(12);
            names.push("…");
        }
        format!("the fields here are: {}", names.join(", "))
    })
}
