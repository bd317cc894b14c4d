//! Text → syntax tree.
//!
//! Three steps: the pest grammar (`grammar.pest`) decides what parses; a
//! small tokenizer ([`lex`]) runs beside it to report lexical mistakes
//! precisely and to describe what was found where parsing stopped
//! ([`errors`]); and the conversion below turns pest pairs into [`ast`]
//! nodes with byte spans. Nothing of pest leaves this module.
//!
//! [`ast`]: crate::ast

mod errors;
mod lex;

use pest::iterators::Pair;
use pest::Parser as _;

use crate::ast::{
    ArrayLit, Assign, BinaryOp, Block, DefDecl, Expr, ExprKind, File, Ident, Include, Item,
    KeyDecl, KeyKind, Let, LitKind, Literal, LookupDecl, MapArray, MatchArm, OptionSetting, Param,
    ParamValue, Path, SchemeDecl, Skip, SourceDecl, Span, Stmt, StrLit, TableDecl, TableDefault,
    TableEntry, TargetDecl, TargetPath, UnaryOp,
};
use crate::ParseError;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct MapParser;

/// How deeply constructs may nest: parentheses, lists, calls, lookups,
/// `match`, `if`, blocks and prefix operators (`not`, `-`) each count one
/// level. Real schemes stay far below; the limit keeps hostile input from
/// exhausting the stack, and makes the answer the same whatever stack the
/// calling thread has (128 levels fit a 2 MiB test thread in a debug build).
const MAX_NESTING: usize = 128;

/// Below this much free stack the conversion stops with "nested too
/// deeply" rather than overflow (a second guard, for callers on small
/// thread stacks).
const MIN_FREE_STACK: usize = 128 * 1024;

/// Parses a whole `.map` file.
///
/// On failure the error points at the first problem: the earliest of the
/// first lexical mistake (bad string, bad number, stray character) and the
/// place where the grammar could not go on.
pub fn parse(source: &str) -> Result<File, ParseError> {
    let lexed = lex::lex(source);
    let pairs = match MapParser::parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(err) => {
            let syntax = errors::from_pest(source, &lexed, &err);
            return Err(match lexed.error {
                Some((at, lexical)) if at <= errors::pest_position(&err) => lexical,
                _ => syntax,
            });
        }
    };
    if let Some((_, lexical)) = lexed.error {
        return Err(lexical);
    }
    check_depth(source, pairs.clone())?;
    let Some(file) = pairs.into_iter().next() else {
        return Err(internal(source.len(), "no syntax tree"));
    };
    Conversion { src: source }.file(file)
}

fn check_depth(source: &str, pairs: pest::iterators::Pairs<'_, Rule>) -> Result<(), ParseError> {
    let nests = |rule: Rule| {
        matches!(
            rule,
            Rule::block
                | Rule::paren
                | Rule::list
                | Rule::call
                | Rule::index
                | Rule::match_expr
                | Rule::if_expr
        )
    };
    let mut depth = 0usize;
    // One entry per open `not_expr` / `neg_expr`: whether it holds an
    // operator (and so counts as a level).
    let mut prefix: Vec<bool> = Vec::new();
    for token in pairs.tokens() {
        match token {
            pest::Token::Start { rule, pos } => {
                let deeper = match rule {
                    Rule::not_expr | Rule::neg_expr => {
                        prefix.push(false);
                        false
                    }
                    Rule::op_not | Rule::op_neg => {
                        if let Some(top) = prefix.last_mut() {
                            *top = true;
                        }
                        true
                    }
                    r => nests(r),
                };
                if deeper {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(errors::too_deep(source, pos.pos()));
                    }
                }
            }
            pest::Token::End { rule, .. } => {
                let shallower = match rule {
                    Rule::not_expr | Rule::neg_expr => prefix.pop().unwrap_or(false),
                    r => nests(r),
                };
                if shallower {
                    depth = depth.saturating_sub(1);
                }
            }
        }
    }
    Ok(())
}

/// Fails when the stack is nearly used up (where that can be known).
fn stack_guard(at: usize, src: &str) -> Res<()> {
    match stacker::remaining_stack() {
        Some(free) if free < MIN_FREE_STACK => Err(errors::too_deep(src, at)),
        _ => Ok(()),
    }
}

/// An error that means the grammar and this conversion disagree.
fn internal(at: usize, what: &str) -> ParseError {
    ParseError {
        span: Span::new(at, at),
        message: format!("internal parser error: {what}"),
        expected: Vec::new(),
        help: Some("this is a bug in the `.map` parser; please report it with the file".into()),
    }
}

type Res<T> = Result<T, ParseError>;

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// Punctuation and keywords that carry no information once parsed.
fn is_noise(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::eq
            | Rule::fat_arrow
            | Rule::left_arrow
            | Rule::empty_brackets
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::comma
            | Rule::dot
            | Rule::pipe
            | Rule::block_open
            | Rule::block_close
            | Rule::kw_scheme
            | Rule::kw_source
            | Rule::kw_target
            | Rule::kw_include
            | Rule::kw_table
            | Rule::kw_lookup
            | Rule::kw_kingdee
            | Rule::kw_by
            | Rule::kw_def
            | Rule::kw_let
            | Rule::kw_as
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_match
            | Rule::EOI
    )
}

/// The children of a pair that carry information, in order.
fn kids<'i>(p: Pair<'i, Rule>) -> Vec<Pair<'i, Rule>> {
    p.into_inner().filter(|c| !is_noise(c.as_rule())).collect()
}

/// The conversion of pest pairs into [`ast`](crate::ast) nodes, with spans
/// into `src`.
struct Conversion<'s> {
    src: &'s str,
}

impl Conversion<'_> {
    fn unexpected(&self, p: &Pair<'_, Rule>) -> ParseError {
        internal(
            p.as_span().start(),
            &format!("unexpected {:?}", p.as_rule()),
        )
    }

    fn take<'i>(
        &self,
        it: &mut std::vec::IntoIter<Pair<'i, Rule>>,
        at: usize,
    ) -> Res<Pair<'i, Rule>> {
        it.next().ok_or_else(|| internal(at, "missing node"))
    }

    // ------------------------------------------------------------ file, items

    fn file(&self, p: Pair<'_, Rule>) -> Res<File> {
        let items = kids(p)
            .into_iter()
            .map(|c| self.item(c))
            .collect::<Res<Vec<_>>>()?;
        Ok(File {
            items,
            span: Span::new(0, self.src.len()),
        })
    }

    fn item(&self, p: Pair<'_, Rule>) -> Res<Item> {
        Ok(match p.as_rule() {
            Rule::scheme_decl => Item::Scheme(self.scheme(p)?),
            Rule::source_decl => Item::Source(self.source(p)?),
            Rule::target_decl => Item::Target(self.target(p)?),
            Rule::key_decl => Item::Key(self.key(p)?),
            Rule::include_decl => Item::Include(self.include(p)?),
            Rule::table_decl => Item::Table(self.table(p)?),
            Rule::lookup_decl => Item::Lookup(self.lookup(p)?),
            Rule::def_decl => Item::Def(self.def(p)?),
            _ => Item::Stmt(self.stmt(p)?),
        })
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_owned(),
            span: span_of(&p),
        }
    }

    fn scheme(&self, p: Pair<'_, Rule>) -> Res<SchemeDecl> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, start)?);
        let title = it.next().map(|s| self.str_lit(s)).transpose()?;
        let end = title.as_ref().map_or(name.span.end, |t| t.span.end);
        Ok(SchemeDecl {
            name,
            title,
            span: Span::new(start, end),
        })
    }

    fn source(&self, p: Pair<'_, Rule>) -> Res<SourceDecl> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.take(&mut it, start)?;
        let name_span = span_of(&name);
        let mut segments = kids(name).into_iter().map(|s| self.ident(s));
        let system = segments
            .next()
            .ok_or_else(|| internal(start, "source name"))?;
        let api: Vec<Ident> = segments.collect();
        let mut params = Vec::new();
        let mut end = name_span.end;
        if let Some(block) = it.next() {
            end = block.as_span().end();
            for param in kids(block) {
                params.push(self.param(param)?);
            }
        }
        Ok(SourceDecl {
            system,
            api,
            name_span,
            params,
            span: Span::new(start, end),
        })
    }

    fn param(&self, p: Pair<'_, Rule>) -> Res<Param> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, start)?);
        let v = self.take(&mut it, start)?;
        let value = match v.as_rule() {
            Rule::literal => ParamValue::Lit(self.literal(v)?),
            Rule::sync_value => {
                let vstart = v.as_span().start();
                let mut vit = kids(v).into_iter();
                let sname = self.ident(self.take(&mut vit, vstart)?);
                let mut end = sname.span.end;
                let mut args = Vec::new();
                if let Some(a) = vit.next() {
                    end = a.as_span().end();
                    for lit in kids(a) {
                        args.push(self.literal(lit)?);
                    }
                }
                ParamValue::Sync {
                    name: sname,
                    args,
                    span: Span::new(vstart, end),
                }
            }
            _ => return Err(self.unexpected(&v)),
        };
        let end = match &value {
            ParamValue::Lit(l) => l.span.end,
            ParamValue::Sync { span, .. } => span.end,
        };
        Ok(Param {
            name,
            value,
            span: Span::new(start, end),
        })
    }

    fn target(&self, p: Pair<'_, Rule>) -> Res<TargetDecl> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.take(&mut it, start)?;
        let mut segs = kids(name).into_iter().map(|s| self.ident(s));
        let system = segs
            .next()
            .ok_or_else(|| internal(start, "target system"))?;
        let operation = segs
            .next()
            .ok_or_else(|| internal(start, "target operation"))?;
        let form = self.ident(self.take(&mut it, start)?);
        let mut end = form.span.end;
        let mut options = Vec::new();
        if let Some(block) = it.next() {
            end = block.as_span().end();
            for o in kids(block) {
                let ostart = o.as_span().start();
                let mut oit = kids(o).into_iter();
                let name = self.ident(self.take(&mut oit, ostart)?);
                let value = self.literal(self.take(&mut oit, ostart)?)?;
                let span = Span::new(ostart, value.span.end);
                options.push(OptionSetting { name, value, span });
            }
        }
        Ok(TargetDecl {
            system,
            operation,
            form,
            options,
            span: Span::new(start, end),
        })
    }

    fn key(&self, p: Pair<'_, Rule>) -> Res<KeyDecl> {
        let start = p.as_span().start();
        let mut it = p.into_inner();
        let kw = it.next().ok_or_else(|| internal(start, "key keyword"))?;
        let kind = if kw.as_rule() == Rule::kw_id {
            KeyKind::Id
        } else {
            KeyKind::Number
        };
        let path = self.path(it.next().ok_or_else(|| internal(start, "key path"))?);
        let span = Span::new(start, path.span.end);
        Ok(KeyDecl { kind, path, span })
    }

    fn include(&self, p: Pair<'_, Rule>) -> Res<Include> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let path = self.str_lit(self.take(&mut it, start)?)?;
        let span = Span::new(start, path.span.end);
        Ok(Include { path, span })
    }

    fn table(&self, p: Pair<'_, Rule>) -> Res<TableDecl> {
        let span = span_of(&p);
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, span.start)?);
        let mut entries = Vec::new();
        let mut default = None;
        for e in it {
            let espan = span_of(&e);
            let rule = e.as_rule();
            let lits = kids(e);
            let mut lits = lits.into_iter();
            match rule {
                Rule::table_entry => {
                    let key = self.literal(self.take(&mut lits, espan.start)?)?;
                    let value = self.literal(self.take(&mut lits, espan.start)?)?;
                    entries.push(TableEntry {
                        key,
                        value,
                        span: espan,
                    });
                }
                _ => {
                    // table_default: `_` `=>` literal (the wildcard is kept).
                    let value = lits
                        .find(|l| l.as_rule() == Rule::literal)
                        .ok_or_else(|| internal(espan.start, "table default"))?;
                    default = Some(TableDefault {
                        value: self.literal(value)?,
                        span: espan,
                    });
                }
            }
        }
        Ok(TableDecl {
            name,
            entries,
            default,
            span,
        })
    }

    fn lookup(&self, p: Pair<'_, Rule>) -> Res<LookupDecl> {
        let span = span_of(&p);
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, span.start)?);
        let source = self.take(&mut it, span.start)?;
        let mut parts = kids(source).into_iter();
        let form = self.ident(self.take(&mut parts, span.start)?);
        let by = self.ident(self.take(&mut parts, span.start)?);
        Ok(LookupDecl {
            name,
            form,
            by,
            span,
        })
    }

    fn def(&self, p: Pair<'_, Rule>) -> Res<DefDecl> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, start)?);
        // `def NAME = expr` (a constant) has no parameter list.
        let mut next = self.take(&mut it, start)?;
        let mut params = Vec::new();
        if next.as_rule() == Rule::def_params {
            params = kids(next).into_iter().map(|n| self.ident(n)).collect();
            next = self.take(&mut it, start)?;
        }
        let body = self.expr(next)?;
        let span = Span::new(start, body.span.end);
        Ok(DefDecl {
            name,
            params,
            body,
            span,
        })
    }

    // ------------------------------------------------------------ statements

    fn stmt(&self, p: Pair<'_, Rule>) -> Res<Stmt> {
        stack_guard(p.as_span().start(), self.src)?;
        Ok(match p.as_rule() {
            Rule::assign => Stmt::Assign(self.assign(p)?),
            Rule::map_array => Stmt::MapArray(self.map_array(p)?),
            Rule::array_lit => Stmt::ArrayLit(self.array_lit(p)?),
            Rule::skip_stmt => Stmt::Skip(self.skip(p)?),
            Rule::let_stmt => Stmt::Let(self.let_stmt(p)?),
            _ => return Err(self.unexpected(&p)),
        })
    }

    fn assign(&self, p: Pair<'_, Rule>) -> Res<Assign> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let target = self.target_path(self.take(&mut it, start)?);
        let value = self.expr(self.take(&mut it, start)?)?;
        let span = Span::new(start, value.span.end);
        Ok(Assign {
            target,
            value,
            span,
        })
    }

    fn map_array(&self, p: Pair<'_, Rule>) -> Res<MapArray> {
        let span = span_of(&p);
        let mut it = kids(p).into_iter();
        let target = self.target_path(self.take(&mut it, span.start)?);
        let source = self.path(self.take(&mut it, span.start)?);
        let mut next = self.take(&mut it, span.start)?;
        let mut alias = None;
        if next.as_rule() == Rule::name {
            alias = Some(self.ident(next));
            next = self.take(&mut it, span.start)?;
        }
        let body = self.block(next)?;
        Ok(MapArray {
            target,
            source,
            alias,
            body,
            span,
        })
    }

    fn array_lit(&self, p: Pair<'_, Rule>) -> Res<ArrayLit> {
        let span = span_of(&p);
        let mut it = kids(p).into_iter();
        let target = self.target_path(self.take(&mut it, span.start)?);
        let elements = it.map(|b| self.block(b)).collect::<Res<Vec<_>>>()?;
        Ok(ArrayLit {
            target,
            elements,
            span,
        })
    }

    fn skip(&self, p: Pair<'_, Rule>) -> Res<Skip> {
        let start = p.as_span().start();
        let mut it = p.into_inner();
        let _skip = it.next();
        let unless = it.next().is_some_and(|k| k.as_rule() == Rule::kw_unless);
        let cond = self.expr(it.next().ok_or_else(|| internal(start, "skip condition"))?)?;
        let span = Span::new(start, cond.span.end);
        Ok(Skip { unless, cond, span })
    }

    fn let_stmt(&self, p: Pair<'_, Rule>) -> Res<Let> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let name = self.ident(self.take(&mut it, start)?);
        let value = self.expr(self.take(&mut it, start)?)?;
        let span = Span::new(start, value.span.end);
        Ok(Let { name, value, span })
    }

    fn block(&self, p: Pair<'_, Rule>) -> Res<Block> {
        let span = span_of(&p);
        let stmts = kids(p)
            .into_iter()
            .map(|s| self.stmt(s))
            .collect::<Res<Vec<_>>>()?;
        Ok(Block { stmts, span })
    }

    fn target_path(&self, p: Pair<'_, Rule>) -> TargetPath {
        let span = span_of(&p);
        let segments = kids(p).into_iter().map(|s| self.ident(s)).collect();
        TargetPath { segments, span }
    }

    fn path(&self, p: Pair<'_, Rule>) -> Path {
        let span = span_of(&p);
        let segments = kids(p).into_iter().map(|s| self.ident(s)).collect();
        Path { segments, span }
    }

    // ------------------------------------------------------------ expressions

    /// Any expression-level pair. Levels with a single child are skipped
    /// and chains of prefix operators unrolled in loops, so that the
    /// recursion here follows only real nesting (parentheses, arguments,
    /// branches): the grammar's ten levels per operand cost no stack.
    fn expr(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        stack_guard(p.as_span().start(), self.src)?;
        let p = descend(p);
        match p.as_rule() {
            Rule::if_expr => self.if_expr(p),
            Rule::or_expr
            | Rule::and_expr
            | Rule::cmp_expr
            | Rule::coalesce_expr
            | Rule::add_expr
            | Rule::mul_expr => self.binary_chain(p),
            Rule::not_expr | Rule::neg_expr => self.unary(p),
            _ => self.primary(p),
        }
    }

    fn if_expr(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        let start = p.as_span().start();
        let mut it = kids(p).into_iter();
        let _if = self.take(&mut it, start)?;
        let cond = self.expr(self.take(&mut it, start)?)?;
        let then = self.expr(self.take(&mut it, start)?)?;
        let otherwise = self.expr(self.take(&mut it, start)?)?;
        let span = Span::new(start, otherwise.span.end);
        Ok(Expr {
            kind: ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        })
    }

    /// `not … x` / `- … x`: the operators are collected first, then applied
    /// from the inside out.
    fn unary(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        let mut ops = Vec::new();
        let mut cur = p;
        loop {
            let start = cur.as_span().start();
            let mut it = cur.into_inner();
            let first = it.next().ok_or_else(|| internal(start, "operand"))?;
            let op = match first.as_rule() {
                Rule::op_not => UnaryOp::Not,
                Rule::op_neg => UnaryOp::Neg,
                _ => {
                    cur = first;
                    break;
                }
            };
            ops.push((op, span_of(&first)));
            let operand = it.next().ok_or_else(|| internal(start, "operand"))?;
            cur = descend(operand);
            if !matches!(cur.as_rule(), Rule::not_expr | Rule::neg_expr) {
                break;
            }
        }
        let mut expr = self.expr(cur)?;
        while let Some((op, op_span)) = ops.pop() {
            let span = op_span.to(expr.span);
            expr = Expr {
                kind: ExprKind::Unary {
                    op,
                    op_span,
                    expr: Box::new(expr),
                },
                span,
            };
        }
        Ok(expr)
    }

    fn primary(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        let span = span_of(&p);
        let kind = match p.as_rule() {
            Rule::literal => ExprKind::Lit(self.literal(p)?),
            Rule::path => ExprKind::Path(self.path(p)),
            Rule::call => {
                let mut it = kids(p).into_iter();
                let func = self.ident(self.take(&mut it, span.start)?);
                let args = it.map(|a| self.expr(a)).collect::<Res<Vec<_>>>()?;
                ExprKind::Call { func, args }
            }
            Rule::index => {
                let mut it = kids(p).into_iter();
                let table = self.ident(self.take(&mut it, span.start)?);
                let key = self.expr(self.take(&mut it, span.start)?)?;
                // `index_field` is `.` and a field name; the dot is noise.
                let field = match it.next() {
                    Some(f) => {
                        let mut inner = kids(f).into_iter();
                        Some(self.ident(self.take(&mut inner, span.start)?))
                    }
                    None => None,
                };
                ExprKind::Index {
                    table,
                    key: Box::new(key),
                    field,
                }
            }
            Rule::list => {
                let items = kids(p)
                    .into_iter()
                    .map(|a| self.expr(a))
                    .collect::<Res<Vec<_>>>()?;
                ExprKind::List(items)
            }
            Rule::paren => {
                // The parentheses belong to the expression's span; they
                // leave no other trace in the tree.
                let mut it = kids(p).into_iter();
                self.expr(self.take(&mut it, span.start)?)?.kind
            }
            Rule::match_expr => {
                let mut it = kids(p).into_iter();
                let scrutinee = self.expr(self.take(&mut it, span.start)?)?;
                let arms = it.map(|a| self.match_arm(a)).collect::<Res<Vec<_>>>()?;
                ExprKind::Match {
                    scrutinee: Box::new(scrutinee),
                    arms,
                }
            }
            _ => return Err(self.unexpected(&p)),
        };
        Ok(Expr { kind, span })
    }

    /// `operand (op operand)*`, folded to the left.
    fn binary_chain(&self, p: Pair<'_, Rule>) -> Res<Expr> {
        let start = p.as_span().start();
        let mut it = p.into_inner();
        let first = it.next().ok_or_else(|| internal(start, "operand"))?;
        let mut lhs = self.expr(first)?;
        while let Some(op_pair) = it.next() {
            let op = binary_op(op_pair.as_rule()).ok_or_else(|| self.unexpected(&op_pair))?;
            let op_span = span_of(&op_pair);
            let rhs_pair = it
                .next()
                .ok_or_else(|| internal(op_span.end, "right operand"))?;
            let rhs = self.expr(rhs_pair)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok(lhs)
    }

    fn match_arm(&self, p: Pair<'_, Rule>) -> Res<MatchArm> {
        let start = p.as_span().start();
        let mut patterns = Vec::new();
        let mut wildcard = false;
        let mut value = None;
        for c in kids(p) {
            match c.as_rule() {
                Rule::wildcard => wildcard = true,
                Rule::literal => patterns.push(self.literal(c)?),
                _ => value = Some(self.expr(c)?),
            }
        }
        let value = value.ok_or_else(|| internal(start, "match arm value"))?;
        let span = Span::new(start, value.span.end);
        Ok(MatchArm {
            patterns,
            wildcard,
            value,
            span,
        })
    }

    // ------------------------------------------------------------ literals

    fn literal(&self, p: Pair<'_, Rule>) -> Res<Literal> {
        let span = span_of(&p);
        let inner = p
            .into_inner()
            .next()
            .ok_or_else(|| internal(span.start, "literal"))?;
        let text = inner.as_str();
        let kind = match inner.as_rule() {
            Rule::string => LitKind::Str(unescape(text, span.start)?),
            Rule::integer => LitKind::Int(text.to_owned()),
            Rule::decimal => LitKind::Dec(text.to_owned()),
            Rule::kw_true => LitKind::Bool(true),
            Rule::kw_false => LitKind::Bool(false),
            Rule::kw_null => LitKind::Null,
            _ => return Err(self.unexpected(&inner)),
        };
        Ok(Literal { kind, span })
    }

    /// A `string` pair, or a `literal` pair holding one.
    fn str_lit(&self, p: Pair<'_, Rule>) -> Res<StrLit> {
        let span = span_of(&p);
        let value = unescape(p.as_str(), span.start)?;
        Ok(StrLit { value, span })
    }
}

/// Skips expression levels that hold a single child (`or_expr` → … →
/// `path`), without recursion.
fn descend(mut p: Pair<'_, Rule>) -> Pair<'_, Rule> {
    loop {
        let is_level = matches!(
            p.as_rule(),
            Rule::or_expr
                | Rule::and_expr
                | Rule::not_expr
                | Rule::cmp_expr
                | Rule::coalesce_expr
                | Rule::add_expr
                | Rule::mul_expr
                | Rule::neg_expr
        );
        if !is_level {
            return p;
        }
        let mut inner = p.clone().into_inner();
        match (inner.next(), inner.next()) {
            (Some(only), None) => p = only,
            _ => return p,
        }
    }
}

fn binary_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_in => BinaryOp::In,
        Rule::op_coalesce => BinaryOp::Coalesce,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        _ => return None,
    })
}

/// Resolves the escapes of a string literal as written (quotes included),
/// which starts at byte `at` of the file.
fn unescape(quoted: &str, at: usize) -> Res<String> {
    let body = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or_else(|| internal(at, "string quotes"))?;
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = &rest[i + 1..];
        let mut chars = esc.chars();
        let (c, used) = match chars.next() {
            Some('"') => ('"', 1),
            Some('\\') => ('\\', 1),
            Some('n') => ('\n', 1),
            Some('t') => ('\t', 1),
            Some('r') => ('\r', 1),
            Some('u') => {
                let (c, len) = lex::unicode_escape_value(&esc[1..])
                    .ok_or_else(|| internal(at, "unicode escape"))?;
                (c, 1 + len)
            }
            _ => return Err(internal(at, "escape")),
        };
        out.push(c);
        rest = &esc[used..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests;
