//! Turning a pest failure into a [`ParseError`] people can act on.
//!
//! pest reports the furthest position it reached and the grammar rules it
//! tried there. This module names those rules in words ("an expression",
//! "`>` to close the block"), drops the noise (every binary operator is
//! "possible" after an operand), describes the token that was found, and
//! recognises the classic mistakes to add a `help`.

use std::collections::BTreeSet;

use super::lex::{self, Lexed, TokKind, Token};
use super::Rule;
use crate::ast::Span;
use crate::ParseError;

/// Where pest stopped.
pub(super) fn pest_position(err: &pest::error::Error<Rule>) -> usize {
    match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

/// The error for input nested deeper than the parser handles.
pub(super) fn too_deep(src: &str, at: usize) -> ParseError {
    let at = floor_char_boundary(src, at.min(src.len()));
    ParseError {
        span: Span::new(at, at),
        message: "this is nested too deeply".into(),
        expected: Vec::new(),
        help: Some("split the expression or block into smaller pieces with `let` or `def`".into()),
    }
}

fn floor_char_boundary(src: &str, mut at: usize) -> usize {
    while at > 0 && !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// How a grammar rule reads in an "expected …" list. `None`: not worth
/// mentioning.
fn describe(rule: Rule) -> Option<Want> {
    use Want::*;
    Some(match rule {
        Rule::kw_scheme
        | Rule::kw_source
        | Rule::kw_target
        | Rule::kw_id
        | Rule::kw_number
        | Rule::kw_include
        | Rule::kw_table
        | Rule::kw_lookup
        | Rule::kw_def
        | Rule::kw_skip
        | Rule::kw_let
        | Rule::target_path
        | Rule::field_name
        | Rule::skip_stmt
        | Rule::let_stmt
        | Rule::map_array
        | Rule::array_lit
        | Rule::assign
        | Rule::scheme_decl
        | Rule::source_decl
        | Rule::target_decl
        | Rule::key_decl
        | Rule::include_decl
        | Rule::table_decl
        | Rule::lookup_decl
        | Rule::def_decl => Statement,
        Rule::if_expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::coalesce_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::neg_expr
        | Rule::match_expr
        | Rule::call
        | Rule::index
        | Rule::list
        | Rule::paren
        | Rule::op_neg
        | Rule::op_not
        | Rule::call_name
        | Rule::index_name
        | Rule::kw_match => Expression,
        Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_lt
        | Rule::op_ge
        | Rule::op_gt
        | Rule::op_coalesce
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => Operator,
        Rule::literal
        | Rule::decimal
        | Rule::integer
        | Rule::kw_true
        | Rule::kw_false
        | Rule::kw_null => Words("a literal"),
        Rule::string => Words("a string"),
        Rule::ident | Rule::name => Words("a name"),
        Rule::path => Words("a field path"),
        Rule::source_name => Words("an API name like `wdt.purchase_order_query`"),
        Rule::target_name => Words("a target like `kingdee.BatchSave`"),
        Rule::sync_value | Rule::sync_name => Words("a sync variable like `LAST_SYNC_TIME`"),
        Rule::form_name => Words("a form name like `PUR_PurchaseOrder`"),
        Rule::param_name => Words("a parameter name"),
        Rule::option_name => Words("an option name"),
        Rule::param => Words("a parameter"),
        Rule::option => Words("an option"),
        Rule::table_entry => Words("a table entry"),
        Rule::table_default => Words("`_`"),
        Rule::match_arm => Words("a match arm"),
        Rule::block | Rule::block_open => Words("`<` to open a block"),
        Rule::block_close => Words("`>` to close the block"),
        Rule::kw_if => Words("`if`"),
        Rule::kw_unless => Words("`unless`"),
        Rule::kw_then => Words("`then`"),
        Rule::kw_else => Words("`else`"),
        Rule::kw_as => Words("`as`"),
        Rule::kw_kingdee | Rule::lookup_kingdee => Words("`kingdee FORM by FIELD`"),
        Rule::kw_by => Words("`by`"),
        Rule::eq => Words("`=`"),
        Rule::fat_arrow => Words("`=>`"),
        Rule::left_arrow => Words("`<-`"),
        Rule::empty_brackets => Words("`[]`"),
        Rule::lbrace | Rule::source_block | Rule::option_block => Words("`{`"),
        Rule::rbrace => Words("`}`"),
        Rule::lparen | Rule::def_params | Rule::sync_args => Words("`(`"),
        Rule::rparen => Words("`)`"),
        Rule::lbracket => Words("`[`"),
        Rule::rbracket => Words("`]`"),
        Rule::comma => Words("`,`"),
        Rule::pipe => Words("`|`"),
        Rule::wildcard => Words("`_`"),
        Rule::dot => Weak("`.`"),
        Rule::EOI => Weak("the end of the file"),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Want {
    Statement,
    Expression,
    Operator,
    /// Worth saying only when nothing else is expected.
    Weak(&'static str),
    Words(&'static str),
}

/// What the grammar would have accepted, cleaned up for people.
struct Expected {
    wants: BTreeSet<Want>,
    /// The grammar's own set, before clean-up (for the heuristics).
    raw: BTreeSet<Rule>,
}

impl Expected {
    fn new(positives: &[Rule]) -> Self {
        let raw: BTreeSet<Rule> = positives.iter().copied().collect();
        let mut wants: BTreeSet<Want> = raw.iter().filter_map(|r| describe(*r)).collect();
        // After an operand every binary operator is possible, after a name a
        // `.`; that is rarely what the writer is missing.
        if wants
            .iter()
            .any(|x| !matches!(x, Want::Operator | Want::Weak(_)))
        {
            wants.retain(|x| !matches!(x, Want::Operator | Want::Weak(_)));
        } else if wants.contains(&Want::Operator) {
            wants.retain(|x| !matches!(x, Want::Weak(_)));
        }
        if wants.contains(&Want::Expression) {
            // `if` and literals start expressions too.
            wants.remove(&Want::Words("`if`"));
            wants.remove(&Want::Words("a literal"));
            wants.remove(&Want::Words("a string"));
            wants.remove(&Want::Words("a field path"));
            wants.remove(&Want::Words("a name"));
        }
        Expected { wants, raw }
    }

    fn has(&self, w: Want) -> bool {
        self.wants.contains(&w)
    }

    fn words(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .wants
            .iter()
            .map(|w| match w {
                Want::Statement => "a statement".to_owned(),
                Want::Expression => "an expression".to_owned(),
                Want::Operator => "an operator".to_owned(),
                Want::Weak(s) | Want::Words(s) => (*s).to_owned(),
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// "a", "a or b", "a, b or c".
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "match", "and", "or", "not", "in", "true", "false", "null",
];

/// The token where parsing stopped.
struct Found {
    token: Option<Token>,
    span: Span,
}

impl Found {
    fn at(src: &str, pos: usize) -> Found {
        let pos = floor_char_boundary(src, pos.min(src.len()));
        let start = lex::skip_trivia(src, pos).unwrap_or(pos);
        match lex::token_at(src, start) {
            Ok(Some(t)) => Found {
                token: Some(t),
                span: t.span,
            },
            Ok(None) => Found {
                token: None,
                span: Span::new(src.len(), src.len()),
            },
            Err(e) => Found {
                token: None,
                span: e.span,
            },
        }
    }

    fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.span.start..self.span.end).unwrap_or("")
    }

    fn is_punct(&self, src: &str, p: &str) -> bool {
        self.token
            .is_some_and(|t| t.kind == TokKind::Punct && t.text(src) == p)
    }

    fn is_eof(&self, src: &str) -> bool {
        self.span.start >= src.len()
    }

    /// "`=`", "the string `\"x\"`", "the end of the file".
    fn describe(&self, src: &str) -> String {
        if self.is_eof(src) {
            return "the end of the file".into();
        }
        let text = self.text(src);
        let shown: String = if text.chars().count() > 40 {
            let cut: String = text.chars().take(37).collect();
            format!("{cut}…")
        } else {
            text.to_owned()
        };
        match self.token.map(|t| t.kind) {
            Some(TokKind::Str) => format!("the string `{shown}`"),
            Some(TokKind::Number) => format!("the number `{shown}`"),
            Some(TokKind::Ident) if KEYWORDS.contains(&text) => format!("the keyword `{shown}`"),
            _ => format!("`{shown}`"),
        }
    }
}

/// A pest failure as a [`ParseError`].
pub(super) fn from_pest(src: &str, lexed: &Lexed, err: &pest::error::Error<Rule>) -> ParseError {
    let pos = pest_position(err);
    let positives = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        // The only custom errors pest makes itself: its call or stack limit.
        pest::error::ErrorVariant::CustomError { .. } => return too_deep(src, pos),
    };
    let expected = Expected::new(&positives);
    let found = Found::at(src, pos);
    let before: Vec<Token> = lexed
        .tokens
        .iter()
        .copied()
        .take_while(|t| t.span.end <= found.span.start)
        .collect();
    let ctx = Ctx {
        src,
        expected: &expected,
        found: &found,
        before: &before,
    };

    let words = expected.words();
    let found_text = found.describe(src);
    let message = ctx.message().unwrap_or_else(|| {
        if words.is_empty() {
            format!("unexpected {found_text}")
        } else {
            format!("expected {}, found {found_text}", join_or(&words))
        }
    });
    // Every error has a help line: a known mistake's, else what would do.
    let help = ctx.help(lexed).unwrap_or_else(|| {
        if words.is_empty() {
            "remove it (docs/language.md describes the syntax)".to_string()
        } else {
            format!(
                "write {} here (docs/language.md describes the syntax)",
                join_or(&words)
            )
        }
    });
    ParseError {
        span: found.span,
        message,
        expected: words,
        help: Some(help),
    }
}

struct Ctx<'a> {
    src: &'a str,
    expected: &'a Expected,
    found: &'a Found,
    /// The tokens before the found one.
    before: &'a [Token],
}

impl Ctx<'_> {
    fn text(&self, t: &Token) -> &str {
        t.text(self.src)
    }

    fn prev(&self, back: usize) -> Option<&Token> {
        self.before
            .len()
            .checked_sub(back + 1)
            .and_then(|i| self.before.get(i))
    }

    fn prev_is(&self, back: usize, text: &str) -> bool {
        self.prev(back)
            .is_some_and(|t| t.kind != TokKind::Str && self.text(t) == text)
    }

    /// The dotted name ending right before the found token, with the index
    /// (from the end of `before`) of the token before it.
    fn dotted_before(&self) -> Option<(String, usize)> {
        self.dotted_ending(0)
    }

    /// The dotted name whose last token is `back` tokens before the found
    /// one, with the index (from the end) of the token before the name.
    fn dotted_ending(&self, mut back: usize) -> Option<(String, usize)> {
        let mut parts = Vec::new();
        loop {
            let t = self.prev(back)?;
            if t.kind != TokKind::Ident {
                return None;
            }
            parts.push(self.text(t).to_owned());
            back += 1;
            if self.prev_is(back, ".") {
                back += 1;
            } else {
                break;
            }
        }
        parts.reverse();
        Some((parts.join("."), back))
    }

    fn found_words(&self) -> String {
        self.found.describe(self.src)
    }

    /// A message better than "expected X, found Y" where the context is
    /// clear.
    fn message(&self) -> Option<String> {
        let e = self.expected;
        let words = e.words();
        let found = self.found_words();
        let prev_text = |back: usize| {
            self.prev(back)
                .filter(|t| t.kind == TokKind::Ident)
                .map(|t| self.text(t))
        };
        if prev_text(0) == Some("skip") && e.has(Want::Words("`if`")) {
            return Some(format!(
                "expected `if` or `unless` after `skip`, found {found}"
            ));
        }
        // `source wdt {` / `target kingdee {`
        if let (Some(kw @ ("source" | "target")), Some(system)) = (prev_text(1), prev_text(0)) {
            if words == ["`.`"] {
                return Some(format!(
                    "expected `.` after the system `{system}` of the {kw}, found {found}"
                ));
            }
        }
        // A keyword that starts an item or names something: say what it
        // needs, leaving out what would make it a target field (`include = 1`).
        if let Some(kw) = prev_text(0) {
            let starts_item = matches!(
                kw,
                "scheme"
                    | "source"
                    | "target"
                    | "include"
                    | "table"
                    | "def"
                    | "let"
                    | "as"
                    | "id"
                    | "number"
            );
            if starts_item && !self.prev_is(1, ".") {
                let rest: Vec<String> = words
                    .iter()
                    .filter(|w| !matches!(w.as_str(), "`=`" | "`[]`"))
                    .cloned()
                    .collect();
                if !rest.is_empty() {
                    return Some(format!(
                        "expected {} after `{kw}`, found {found}",
                        join_or(&rest)
                    ));
                }
            }
        }
        if e.raw.contains(&Rule::eq) && !e.has(Want::Expression) && !e.has(Want::Statement) {
            if let Some((field, back)) = self.dotted_before() {
                // `FQty` at the start of a statement.
                let at_stmt_start = self.prev(back).is_none_or(|t| {
                    t.kind != TokKind::Punct
                        || matches!(self.text(t), "<" | ";" | ">" | "}" | ")" | "]")
                });
                if at_stmt_start {
                    return Some(format!(
                        "expected {} after the target field `{field}`, found {found}",
                        join_or(&words)
                    ));
                }
            }
        }
        if self.found.is_eof(self.src) && e.has(Want::Words("`>` to close the block")) {
            return Some(format!(
                "the block is not closed: expected {}, found the end of the file",
                join_or(&words)
            ));
        }
        None
    }

    fn help(&self, lexed: &Lexed) -> Option<String> {
        let e = self.expected;
        let src = self.src;
        let found = self.found;
        let ftext = found.text(src);
        let words = e.words();

        // `< A = b > C = d`: the `>` was read as "greater than".
        if e.has(Want::Words("`>` to close the block")) && !found.is_eof(src) {
            let line_start = src[..found.span.start].rfind('\n').map_or(0, |i| i + 1);
            let on_line: Vec<&Token> = self
                .before
                .iter()
                .rev()
                .take_while(|t| t.span.start >= line_start)
                .collect();
            let gt = on_line
                .iter()
                .skip(1)
                .position(|t| t.kind == TokKind::Punct && self.text(t) == ">");
            if let Some(i) = gt {
                let gt_at = i + 1;
                // Tokens (in order) between the `>` and the found one, and the
                // one before the `>`.
                let after: Vec<&str> = on_line[..gt_at]
                    .iter()
                    .rev()
                    .map(|t| self.text(t))
                    .collect();
                let before = on_line.get(gt_at + 1).map(|t| self.text(t));
                let shown = match before {
                    Some(b) if !after.is_empty() => format!(" (`{b} > {}`)", after.concat()),
                    _ => String::new(),
                };
                return Some(format!(
                    "a `>` followed by more on the same line compares{shown}; to close the \
                     block there, put the next statement on a new line or after `;`"
                ));
            }
        }
        if found.is_punct(src, "<-") && e.raw.contains(&Rule::eq) {
            let field = self
                .dotted_before()
                .map_or_else(|| "FIELD".to_owned(), |(f, _)| f);
            return Some(format!(
                "to map each element of a source array, write `{field}[] <- SOURCE < … >`"
            ));
        }
        if e.raw.contains(&Rule::lbracket)
            && self.prev_is(0, "=")
            && self.prev_is(1, "]")
            && self.prev_is(2, "[")
            && found.token.is_some_and(|t| t.kind == TokKind::Ident)
        {
            let field = self
                .dotted_ending(3)
                .map_or_else(|| "FIELD".to_owned(), |(f, _)| f);
            return Some(format!(
                "`{field}[] = [< … >, < … >]` lists its elements one by one; to make one \
                 element per element of `{ftext}`, write `{field}[] <- {ftext} < … >`"
            ));
        }
        // Inside the options of `target … { … }`.
        let in_options = self
            .before
            .iter()
            .rev()
            .map(|t| self.text(t))
            .take_while(|t| *t != "}")
            .any(|t| t == "target");
        if words == ["a literal"] && in_options {
            return Some(
                "a target option takes a literal: `true`, `false`, a number or a string; \
                 it cannot be computed"
                    .into(),
            );
        }
        if words == ["`else`"] {
            return Some("an `if` needs both branches: `if COND then A else B`".into());
        }
        let after_operand = e.raw.iter().any(|r| describe(*r) == Some(Want::Operator));
        if found.is_punct(src, "=") && after_operand {
            return Some("to compare, write `==`; a single `=` sets a field".into());
        }
        if found.token.is_some_and(|t| t.kind == TokKind::Ident)
            && KEYWORDS.contains(&ftext)
            && (e.has(Want::Words("a name"))
                || e.has(Want::Expression)
                || e.has(Want::Words("a field path")))
        {
            return Some(format!(
                "`{ftext}` is a reserved word and cannot be used as a name here"
            ));
        }
        let cmp = ["==", "!=", "<", "<=", ">", ">=", "in"];
        if found
            .token
            .is_some_and(|t| t.kind != TokKind::Str && cmp.contains(&ftext))
        {
            if ftext == ">" || ftext == ">=" {
                let rest = &src[found.span.end..];
                let same_line = rest
                    .trim_start_matches([' ', '\t'])
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || "_\"([-".contains(c));
                if !same_line && e.has(Want::Statement) {
                    let after_operand_on_line = self.before.last().is_some_and(|t| {
                        !src[t.span.end..found.span.start].contains('\n')
                            && (t.kind != TokKind::Punct || matches!(self.text(t), ")" | "]"))
                    });
                    return Some(if after_operand_on_line {
                        "`>` compares only when its right side starts on the same line; \
                         elsewhere it closes a `< … >` block, and no block is open here"
                            .into()
                    } else {
                        "no `< … >` block is open here for this `>` to close".into()
                    });
                }
            }
            if after_operand {
                return Some(
                    "comparisons do not chain: write `a < b and b < c`, or use parentheses".into(),
                );
            }
        }
        if found.is_punct(src, "|") && src[found.span.end..].starts_with('|') {
            return Some("combine conditions with `or`".into());
        }
        if found.is_punct(src, "(") || found.is_punct(src, "[") {
            let glued = self
                .before
                .last()
                .is_some_and(|t| t.kind == TokKind::Ident && t.span.end < found.span.start);
            if glued && after_operand {
                let name = self.before.last().map_or("", |t| self.text(t));
                return Some(format!(
                    "write a call or a table lookup without a space: `{name}{ftext}…`"
                ));
            }
        }
        if words == ["`.`"] {
            if self.prev_is(1, "source") {
                return Some("a source is written `source SYSTEM.API`, e.g. `source wdt.purchase_order_query`".into());
            }
            if self.prev_is(1, "target") {
                return Some("a target is written `target SYSTEM.OPERATION FORM`, e.g. `target kingdee.BatchSave PUR_PurchaseOrder`".into());
            }
        }
        if e.has(Want::Words("`}`"))
            && found
                .token
                .is_some_and(|t| t.kind != TokKind::Punct || ftext == "-")
            && self
                .before
                .iter()
                .rev()
                .take(4)
                .any(|t| t.kind == TokKind::Ident && self.text(t) == "_")
        {
            return Some("the default entry `_ => …` must be the last one in the table".into());
        }
        if found.is_eof(src) && e.has(Want::Words("`>` to close the block")) {
            if let Some(open) = unclosed_block(src, &lexed.tokens) {
                let (line, col) = line_col(src, open.start);
                return Some(format!(
                    "the block opened by the `<` at line {line}, column {col} needs a `>`"
                ));
            }
        }
        None
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(src, at.min(src.len()));
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The `<` of the innermost block still open at the end of the tokens,
/// following the grammar's rules for `<` and `>` closely enough for a hint.
fn unclosed_block(src: &str, tokens: &[Token]) -> Option<Span> {
    #[derive(Clone, Copy, PartialEq)]
    enum Open {
        Block(Span),
        Bracket { array_of_blocks: bool },
    }
    let text = |t: &Token| t.text(src);
    let is = |i: usize, s: &str| {
        tokens
            .get(i)
            .is_some_and(|t| t.kind != TokKind::Str && text(t) == s)
    };
    let mut stack: Vec<Open> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != TokKind::Punct {
            continue;
        }
        match text(t) {
            "[" => {
                let array_of_blocks = i >= 3 && is(i - 1, "=") && is(i - 2, "]") && is(i - 3, "[");
                stack.push(Open::Bracket { array_of_blocks });
            }
            "]" => {
                if matches!(stack.last(), Some(Open::Bracket { .. })) {
                    stack.pop();
                }
            }
            "<" => {
                let in_array = matches!(
                    stack.last(),
                    Some(Open::Bracket {
                        array_of_blocks: true
                    })
                ) && i >= 1
                    && (is(i - 1, "[") || is(i - 1, ","));
                // `<- path (as name)? <`
                let mut j = i;
                let mut after_arrow = false;
                while j >= 2 && tokens[j - 1].kind == TokKind::Ident {
                    j -= 1;
                    if is(j - 1, ".") || is(j - 1, "as") {
                        j -= 1;
                        continue;
                    }
                    after_arrow = is(j - 1, "<-");
                    break;
                }
                if in_array || after_arrow {
                    stack.push(Open::Block(t.span));
                }
            }
            ">" => {
                let rest = &src[t.span.end..];
                let compares = rest
                    .trim_start_matches([' ', '\t'])
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || "_\"([-".contains(c));
                if !compares && matches!(stack.last(), Some(Open::Block(_))) {
                    stack.pop();
                }
            }
            _ => {}
        }
    }
    stack.iter().rev().find_map(|o| match o {
        Open::Block(s) => Some(*s),
        Open::Bracket { .. } => None,
    })
}
