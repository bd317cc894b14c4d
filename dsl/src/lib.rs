//! The `.map` language front end: grammar, syntax tree, parse errors.
//!
//! This is the only crate that knows the grammar is written with pest; it
//! hands out a plain syntax tree ([`ast`]) with byte spans, or one
//! [`ParseError`] that says where the text stopped making sense.

pub mod ast;
mod parse;

pub use parse::parse;

use ast::Span;

/// The text is not a `.map` file: where, what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// Where the problem is (an empty span at the offending position when
    /// nothing more precise is known).
    pub span: Span,
    /// One sentence, e.g. "expected `=` after the target field `FQty`".
    pub message: String,
    /// What would have been accepted here, in words people read
    /// (`"an expression"`, `` "`>`" ``), deduplicated and sorted.
    pub expected: Vec<String>,
    /// A hint when the mistake is a known one (e.g. a bare comparison on the
    /// right of `=`, a missing `;` between two statements on one line).
    pub help: Option<String>,
}
