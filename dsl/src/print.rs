//! The canonical printer: one way to write every syntax tree.
//!
//! [`to_source`] writes a [`File`] back as `.map` text that parses to the same
//! tree (spans aside): four-space indentation, one statement per line, blocks
//! opened at the end of a line and closed by a `>` on its own line, the
//! fewest parentheses that keep the tree's structure, strings with the
//! escapes `\" \\ \n \t \r` and `\u{…}` for other control characters.
//! Comments are not part of the tree and are not printed.

use std::fmt::Write as _;

use crate::ast::{
    BinaryOp, Block, DefDecl, Expr, ExprKind, File, Item, KeyKind, LitKind, Literal, MatchArm,
    ParamValue, SourceDecl, Stmt, TableDecl, TargetDecl, UnaryOp,
};

/// Prints a file in the canonical layout.
pub fn to_source(file: &File) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    let mut prev: Option<(Group, bool)> = None;
    for item in &file.items {
        let group = group_of(item);
        let multi_line = is_multi_line(item);
        if let Some((g, m)) = prev {
            if g != group || m || multi_line {
                p.out.push('\n');
            }
        }
        p.item(item);
        prev = Some((group, multi_line));
    }
    p.out
}

/// Items of one group stand together; groups are parted by a blank line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Header,
    Source,
    Target,
    Key,
    Table,
    Def,
    Stmt,
}

fn group_of(item: &Item) -> Group {
    match item {
        Item::Scheme(_) | Item::Include(_) => Group::Header,
        Item::Source(_) => Group::Source,
        Item::Target(_) => Group::Target,
        Item::Key(_) => Group::Key,
        Item::Table(_) | Item::Lookup(_) => Group::Table,
        Item::Def(_) => Group::Def,
        Item::Stmt(_) => Group::Stmt,
    }
}

fn is_multi_line(item: &Item) -> bool {
    match item {
        Item::Source(s) => !s.params.is_empty(),
        Item::Target(t) => !t.options.is_empty(),
        Item::Table(t) => !t.entries.is_empty() || t.default.is_some(),
        Item::Stmt(Stmt::MapArray(m)) => !m.body.stmts.is_empty(),
        Item::Stmt(Stmt::ArrayLit(a)) => a.elements.iter().any(|b| !b.stmts.is_empty()),
        _ => false,
    }
}

struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn line_start(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Scheme(s) => {
                let _ = write!(self.out, "scheme {}", s.name.name);
                if let Some(title) = &s.title {
                    self.out.push(' ');
                    push_str_lit(&mut self.out, &title.value);
                }
                self.out.push('\n');
            }
            Item::Include(i) => {
                self.out.push_str("include ");
                push_str_lit(&mut self.out, &i.path.value);
                self.out.push('\n');
            }
            Item::Source(s) => self.source(s),
            Item::Target(t) => self.target(t),
            Item::Key(k) => {
                let kw = match k.kind {
                    KeyKind::Id => "id",
                    KeyKind::Number => "number",
                };
                let _ = writeln!(self.out, "{kw} {}", k.path.dotted());
            }
            Item::Table(t) => self.table(t),
            Item::Lookup(l) => {
                let _ = writeln!(
                    self.out,
                    "lookup {} = kingdee {} by {}",
                    l.name.name, l.form.name, l.by.name
                );
            }
            Item::Def(d) => self.def(d),
            Item::Stmt(s) => self.stmt(s),
        }
    }

    fn source(&mut self, s: &SourceDecl) {
        let _ = write!(self.out, "source {}", s.system.name);
        for seg in &s.api {
            let _ = write!(self.out, ".{}", seg.name);
        }
        if s.params.is_empty() {
            self.out.push('\n');
            return;
        }
        self.out.push_str(" {\n");
        for param in &s.params {
            let _ = write!(self.out, "    {} = ", param.name.name);
            match &param.value {
                ParamValue::Lit(l) => push_literal(&mut self.out, l),
                ParamValue::Sync { name, args, .. } => {
                    self.out.push_str(&name.name);
                    if !args.is_empty() {
                        self.out.push('(');
                        for (i, a) in args.iter().enumerate() {
                            if i > 0 {
                                self.out.push_str(", ");
                            }
                            push_literal(&mut self.out, a);
                        }
                        self.out.push(')');
                    }
                }
            }
            self.out.push('\n');
        }
        self.out.push_str("}\n");
    }

    fn target(&mut self, t: &TargetDecl) {
        let _ = write!(
            self.out,
            "target {}.{} {}",
            t.system.name, t.operation.name, t.form.name
        );
        if t.options.is_empty() {
            self.out.push('\n');
            return;
        }
        self.out.push_str(" {\n");
        for o in &t.options {
            let _ = write!(self.out, "    {} = ", o.name.name);
            push_literal(&mut self.out, &o.value);
            self.out.push('\n');
        }
        self.out.push_str("}\n");
    }

    fn table(&mut self, t: &TableDecl) {
        let _ = write!(self.out, "table {} {{", t.name.name);
        if t.entries.is_empty() && t.default.is_none() {
            self.out.push_str(" }\n");
            return;
        }
        self.out.push('\n');
        for e in &t.entries {
            self.out.push_str("    ");
            push_literal(&mut self.out, &e.key);
            self.out.push_str(" => ");
            push_literal(&mut self.out, &e.value);
            self.out.push('\n');
        }
        if let Some(d) = &t.default {
            self.out.push_str("    _ => ");
            push_literal(&mut self.out, &d.value);
            self.out.push('\n');
        }
        self.out.push_str("}\n");
    }

    fn def(&mut self, d: &DefDecl) {
        let params: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
        if params.is_empty() {
            let _ = write!(self.out, "def {} = ", d.name.name);
        } else {
            let _ = write!(self.out, "def {}({}) = ", d.name.name, params.join(", "));
        }
        push_expr(&mut self.out, &d.body, 0);
        self.out.push('\n');
    }

    fn stmt(&mut self, s: &Stmt) {
        self.line_start();
        match s {
            Stmt::Assign(a) => {
                let _ = write!(self.out, "{} = ", dotted(&a.target.segments));
                push_expr(&mut self.out, &a.value, 0);
            }
            Stmt::Let(l) => {
                let _ = write!(self.out, "let {} = ", l.name.name);
                push_expr(&mut self.out, &l.value, 0);
            }
            Stmt::Skip(k) => {
                self.out
                    .push_str(if k.unless { "skip unless " } else { "skip if " });
                push_expr(&mut self.out, &k.cond, 0);
            }
            Stmt::MapArray(m) => {
                let _ = write!(
                    self.out,
                    "{}[] <- {}",
                    dotted(&m.target.segments),
                    m.source.dotted()
                );
                if let Some(alias) = &m.alias {
                    let _ = write!(self.out, " as {}", alias.name);
                }
                self.out.push(' ');
                self.block(&m.body);
            }
            Stmt::ArrayLit(a) => {
                let _ = write!(self.out, "{}[] = [", dotted(&a.target.segments));
                for (i, b) in a.elements.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.block(b);
                }
                self.out.push(']');
            }
        }
        self.out.push('\n');
    }

    /// `< >` when empty; otherwise `<`, the statements one level deeper, and
    /// `>` on a line of its own (nothing follows it on that line but `,`,
    /// `]` or the end of the line, so it always closes).
    fn block(&mut self, b: &Block) {
        if b.stmts.is_empty() {
            self.out.push_str("< >");
            return;
        }
        self.out.push_str("<\n");
        self.indent += 1;
        for s in &b.stmts {
            self.stmt(s);
        }
        self.indent -= 1;
        self.line_start();
        self.out.push('>');
    }
}

fn dotted(segments: &[crate::ast::Ident]) -> String {
    let parts: Vec<&str> = segments.iter().map(|i| i.name.as_str()).collect();
    parts.join(".")
}

/// Binding strength: 0 for `if` (loosest) to 9 for primaries.
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => 0,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => 8,
        _ => 9,
    }
}

fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In => 4,
        BinaryOp::Coalesce => 5,
        BinaryOp::Add | BinaryOp::Sub => 6,
        BinaryOp::Mul | BinaryOp::Div => 7,
    }
}

/// Prints `e`, in parentheses when it binds looser than `min`.
fn push_expr(out: &mut String, e: &Expr, min: u8) {
    if prec(e) < min {
        out.push('(');
        push_expr(out, e, 0);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Lit(l) => push_literal(out, l),
        ExprKind::Path(p) => out.push_str(&p.dotted()),
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            push_list(out, args);
            out.push(')');
        }
        ExprKind::Index { table, key, field } => {
            out.push_str(&table.name);
            out.push('[');
            push_expr(out, key, 0);
            out.push(']');
            if let Some(f) = field {
                out.push('.');
                out.push_str(&f.name);
            }
        }
        ExprKind::List(items) => {
            out.push('[');
            push_list(out, items);
            out.push(']');
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            expr,
            ..
        } => {
            out.push_str("not ");
            push_expr(out, expr, 3);
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr,
            ..
        } => {
            out.push('-');
            // `-1` would read back as the literal -1, not as `-` applied to 1.
            let unsigned_number = matches!(
                &expr.kind,
                ExprKind::Lit(Literal { kind: LitKind::Int(t) | LitKind::Dec(t), .. })
                    if !t.starts_with('-')
            );
            if unsigned_number {
                out.push('(');
                push_expr(out, expr, 0);
                out.push(')');
            } else {
                push_expr(out, expr, 8);
            }
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            let p = binary_prec(*op);
            // Comparisons do not chain: both sides must bind tighter.
            let lhs_min = if p == 4 { p + 1 } else { p };
            push_expr(out, lhs, lhs_min);
            let _ = write!(out, " {} ", op.symbol());
            push_expr(out, rhs, p + 1);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push_str("if ");
            push_expr(out, cond, 1);
            out.push_str(" then ");
            push_expr(out, then, 1);
            out.push_str(" else ");
            push_expr(out, otherwise, 0);
        }
        ExprKind::Match { scrutinee, arms } => {
            out.push_str("match ");
            push_expr(out, scrutinee, 1);
            out.push_str(" { ");
            for (i, arm) in arms.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_arm(out, arm);
            }
            out.push_str(" }");
        }
    }
}

fn push_arm(out: &mut String, arm: &MatchArm) {
    let mut first = true;
    for p in &arm.patterns {
        if !first {
            out.push_str(" | ");
        }
        push_literal(out, p);
        first = false;
    }
    if arm.wildcard {
        if !first {
            out.push_str(" | ");
        }
        out.push('_');
    }
    out.push_str(" => ");
    push_expr(out, &arm.value, 0);
}

fn push_list(out: &mut String, items: &[Expr]) {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_expr(out, a, 0);
    }
}

fn push_literal(out: &mut String, l: &Literal) {
    match &l.kind {
        LitKind::Str(s) => push_str_lit(out, s),
        LitKind::Int(t) | LitKind::Dec(t) => out.push_str(t),
        LitKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        LitKind::Null => out.push_str("null"),
    }
}

/// A string literal with the escapes the grammar knows.
fn push_str_lit(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_escapes() {
        let mut out = String::new();
        push_str_lit(&mut out, "a\"b\\c\nd\te\rf\u{1}中");
        assert_eq!(out, r#""a\"b\\c\nd\te\rf\u{1}中""#);
    }
}
