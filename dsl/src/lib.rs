//! The `.map` language front end: grammar, syntax tree, parse errors.
//!
//! This is the only crate that knows the grammar is written with pest; it
//! hands out a plain syntax tree ([`ast`]) with byte spans, or one
//! [`ParseError`] that says where the text stopped making sense.
//! [`to_source`] prints a tree back in the canonical layout.
//!
//! The language is described for its users in `docs/language.md`; the
//! grammar is `src/grammar.pest`. Points of the syntax that the later stages
//! should know:
//!
//! - **Spans are byte offsets** into the file's text (`&src[span.start..span.end]`),
//!   on character boundaries. An expression in parentheses keeps its
//!   parentheses in its span and leaves no other trace in the tree.
//! - **Names are not resolved.** `record.x`, `details_list.num`, an `as`
//!   alias (`line.spec_no`), a `let` local or a `def` parameter are all just
//!   [`ast::Path`]s whose segments the checker interprets. Likewise the sync
//!   variables of a `source` block are any identifier
//!   ([`ast::ParamValue::Sync`]): the checker knows the names.
//! - **Keywords are reserved only where they would be ambiguous.** In
//!   expressions, `if then else match and or not in true false null` cannot
//!   start a path (nor name a function, table, `let`, `def` parameter or
//!   alias); after a dot anything goes (`record.in`). Target fields may be
//!   named like any keyword: `id = x`, `skip = 1`, `number.x = 2`. `id` and
//!   `number` start a key declaration only when a path follows them.
//! - **`-1` is a literal**, `- 1` and `-x` are negations (`UnaryOp::Neg`).
//!   Integers and decimals keep their text exactly (`007`, `12.50`).
//! - **`>` compares only when its right operand starts on the same line**
//!   (after spaces or tabs) with a letter, digit, `_`, `"`, `(`, `[` or `-`;
//!   otherwise it closes the innermost `< … >` block. `<` opens a block only
//!   after `<- PATH (as NAME)?` and inside the `[ … ]` of `FIELD[] = [ … ]`.
//! - **Calls and table lookups take their `(` / `[` right after the name**:
//!   `f (x)` is not a call (the error says so).
//! - **Separators are optional**: `;` may follow any item or statement;
//!   table entries, match arms, source parameters and target options may be
//!   separated by `,`, `;` or just whitespace. A match arm whose pattern is
//!   a negative number may start a new line (`- 1 =>` never subtracts).
//! - Table entries come before the `_ =>` default; match arms may come in any
//!   order, and the checker decides what to say about a misplaced `_`.
//! - **Nesting is limited** to 128 levels (parentheses, lists, calls,
//!   lookups, `match`, `if`, blocks and prefix operators each count one), so
//!   that no input can exhaust the stack; deeper input is the error "this is
//!   nested too deeply".
//!
//! Errors: [`parse`] returns the first problem, the earliest of the first
//! lexical mistake (unterminated string or comment, unknown escape, `1.`,
//! a character such as a full-width `＝`) and the point where the grammar
//! could not go on. `expected` lists what would have been accepted there in
//! words (`"an expression"`, `` "`>` to close the block" ``), and `help`
//! names the likely mistake when it is a known one (`=` for `==`, `<-`
//! without `[]`, a `>` read as "greater than" because more followed on its
//! line, chained comparisons, ...).

pub mod ast;
mod parse;
pub mod print;

pub use parse::parse;
pub use print::to_source;

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
