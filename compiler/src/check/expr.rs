//! Typing expressions: names, operators, calls, tables, `if` and `match`.

use duijie_dsl::ast::{self, BinaryOp, Span};

use super::report::suggest;
use super::resolve::source_scalar;
use super::{const_base, functions, Checker, DefInfo};
use crate::diag::codes;
use crate::model::{Base, Const, Expr, ExprKind, OnMiss, Op, Ty};

impl Checker<'_, '_> {
    /// Types an expression; `None` when it has an error (already reported).
    pub(crate) fn expr(&mut self, e: &ast::Expr) -> Option<Expr> {
        match &e.kind {
            ast::ExprKind::Lit(lit) => {
                let c = self.literal(lit)?;
                let ty = if c == Const::Null {
                    Ty::NULL
                } else {
                    Ty::of(const_base(&c))
                };
                Some(Expr {
                    kind: ExprKind::Const(c),
                    ty,
                })
            }
            ast::ExprKind::Path(p) => self.path_expr(p),
            ast::ExprKind::Call { func, args } => self.call(func, args, e.span),
            ast::ExprKind::Index { table, key, field } => {
                if self.is_lookup(&table.name) {
                    self.base_data(table, key, field.as_ref(), e.span, OnMiss::Wait)
                } else if let Some(f) = field {
                    if let Some(&ti) = self.table_index.get(&table.name) {
                        self.expr(key);
                        // Used, though wrongly: no "unused" warning on top.
                        self.use_table(ti);
                        self.error(
                            codes::LOOKUP_FIELD_MISSING,
                            f.span,
                            format!("`{}` is a table: its value has no field `{}`", table.name, f.name),
                        )
                        .label("a table gives one value")
                        .help(format!(
                            "write `{}[…]`, or declare a lookup of master data: `lookup {} = kingdee FORM by FIELD`",
                            table.name, table.name
                        ));
                        None
                    } else {
                        self.lookup(table, key)
                    }
                } else {
                    self.lookup(table, key)
                }
            }
            ast::ExprKind::Unary { op, op_span, expr } => self.unary(*op, *op_span, expr),
            ast::ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs),
            ast::ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_expr(cond, then, otherwise),
            ast::ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms),
            ast::ExprKind::List(items) => self.list(items),
        }
    }

    /// `-x` of a number, `not c` of a condition.
    fn unary(&mut self, op: ast::UnaryOp, op_span: Span, expr: &ast::Expr) -> Option<Expr> {
        let inner = self.expr(expr)?;
        match op {
            ast::UnaryOp::Neg => {
                if !matches!(inner.ty.base, Base::Int | Base::Dec | Base::Null) {
                    self.type_error(
                        op_span,
                        expr.span,
                        &inner.ty,
                        "a number",
                        "`-` negates decimals and integers",
                    );
                    return None;
                }
                let ty = inner.ty;
                Some(Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    ty,
                })
            }
            ast::UnaryOp::Not => {
                if !matches!(inner.ty.base, Base::Bool | Base::Null) {
                    self.type_error(
                        op_span,
                        expr.span,
                        &inner.ty,
                        "a bool",
                        "`not` takes a condition",
                    );
                    return None;
                }
                Some(Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    ty: Ty::of(Base::Bool),
                })
            }
        }
    }

    /// `if c then a else b`: a condition, and two branches of one type.
    fn if_expr(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Expr,
        otherwise: &ast::Expr,
    ) -> Option<Expr> {
        let c = self.expr(cond);
        let t = self.expr(then);
        let o = self.expr(otherwise);
        let (c, t, o) = (c?, t?, o?);
        if !matches!(c.ty.base, Base::Bool | Base::Null) {
            self.type_error(
                cond.span,
                cond.span,
                &c.ty,
                "a bool",
                "an `if` condition is a comparison or a bool",
            );
            return None;
        }
        let (t, o, ty) = self.unify(t, o, then.span, otherwise.span, "the two branches of `if`")?;
        Some(Expr {
            kind: ExprKind::If {
                cond: Box::new(c),
                then: Box::new(t),
                otherwise: Box::new(o),
            },
            ty,
        })
    }

    /// `[a, b, …]`: a list of strings.
    fn list(&mut self, items: &[ast::Expr]) -> Option<Expr> {
        let mut out = Vec::new();
        for item in items {
            let x = self.expr(item)?;
            let x = self.coerce(x, Base::Str, item.span, "a list element")?;
            out.push(x);
        }
        Some(Expr {
            kind: ExprKind::List(out),
            ty: Ty::of(Base::List),
        })
    }

    /// A name: a parameter of the `def` being expanded, a local, a
    /// constant `def`, or a source field.
    fn path_expr(&mut self, p: &ast::Path) -> Option<Expr> {
        let first = p.segments.first()?;
        if let Some(arg) = self.def_arg(&first.name) {
            if p.segments.len() > 1 {
                self.error(
                    codes::SHAPE_SOURCE,
                    p.span,
                    format!("`{}` is a parameter, it has no fields", first.name),
                )
                .label("a value, not a record")
                .help(format!(
                    "pass the field itself as the argument and use `{}` alone",
                    first.name
                ));
                return None;
            }
            return Some(arg);
        }
        if p.segments.len() == 1 {
            if let Some(local) = self.use_local(&first.name) {
                return Some(local);
            }
            if let Some(def) = self
                .defs
                .get(&first.name)
                .filter(|d| d.decl.params.is_empty())
                .cloned()
            {
                return self.def_constant(p, first, &def);
            }
            if !self.is_field_in_scope(&first.name) && self.name_used_as_value(p, first) {
                return None;
            }
        }
        self.field_expr(p)
    }

    /// The argument bound to a parameter of the `def` being expanded.
    fn def_arg(&self, name: &str) -> Option<Expr> {
        let (_, params) = self.def_stack.last()?;
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, arg)| arg.clone())
    }

    /// A local in scope, marked used.
    fn use_local(&mut self, name: &str) -> Option<Expr> {
        for level in self.levels.iter_mut().rev() {
            if let Some(local) = level.locals.iter_mut().find(|l| l.name == name) {
                local.used = true;
                return Some(Expr {
                    kind: ExprKind::Local(local.slot),
                    ty: local.ty,
                });
            }
        }
        None
    }

    /// A constant: `def NAME = expr`, unless a source field has its name.
    fn def_constant(&mut self, p: &ast::Path, name: &ast::Ident, def: &DefInfo) -> Option<Expr> {
        if self.is_field_in_scope(&name.name) {
            let (file, at) = (def.file, def.decl.name.span);
            self.error(
                codes::AMBIGUOUS_NAME,
                p.span,
                format!("`{}` is both a definition and a source field", name.name),
            )
            .label("which one?")
            .with(file, at, "the definition")
            .help(format!(
                "rename the definition, or write `record.{}` for the field",
                name.name
            ));
            return None;
        }
        self.expand_def(def, name, &[], p.span)
    }

    /// Reports a function or table name used as a value; true if it is one.
    fn name_used_as_value(&mut self, p: &ast::Path, name: &ast::Ident) -> bool {
        let (what, help) =
            if functions::is_builtin(&name.name) || self.defs.contains_key(&name.name) {
                ("function", format!("call it: `{}(…)`", name.name))
            } else if self.table_index.contains_key(&name.name) {
                ("table", format!("look a key up: `{}[key]`", name.name))
            } else {
                return false;
            };
        self.error(
            codes::UNKNOWN_SOURCE_FIELD,
            p.span,
            format!("`{}` is a {what}, not a field", name.name),
        )
        .label("used as a value")
        .help(help);
        true
    }

    /// A source field, decoded as its spec says.
    fn field_expr(&mut self, p: &ast::Path) -> Option<Expr> {
        let r = self.resolve_path(p, false)?;
        let scalar = source_scalar(r.field, self.source_api);
        let ty = Ty {
            base: scalar.ty,
            nullable: !scalar.required,
        };
        Some(Expr {
            kind: ExprKind::Field {
                field: r.field_ref,
                scalar,
            },
            ty,
        })
    }

    fn lookup(&mut self, table: &ast::Ident, key: &ast::Expr) -> Option<Expr> {
        let k = self.expr(key);
        let Some(&ti) = self.table_index.get(&table.name) else {
            let names: Vec<String> = self.table_index.keys().cloned().collect();
            let help = suggest(&table.name, names.iter().map(String::as_str), || {
                if names.is_empty() {
                    "declare it: `table NAME { \"key\" => \"value\" }`".into()
                } else {
                    format!("the tables are: {}", names.join(", "))
                }
            });
            self.unknown(codes::UNKNOWN_TABLE, table.span, "table", &table.name, help)
                .label("no table of this name");
            return None;
        };
        let k = k?;
        let t = &self.tables[ti].table;
        let (key_base, value_base) = (t.key, t.value);
        let tname = t.name.clone();
        let k = self.coerce(k, key_base, key.span, &format!("a key of table `{tname}`"))?;
        let model_index = self.use_table(ti);
        let nullable = k.ty.nullable
            || value_base == Base::Null
            || self.tables[ti]
                .table
                .entries
                .iter()
                .any(|(_, v)| *v == Const::Null)
            || self.tables[ti].table.default.as_ref() == Some(&Const::Null);
        Some(Expr {
            kind: ExprKind::Lookup {
                table: model_index,
                key: Box::new(k),
            },
            ty: Ty {
                base: if value_base == Base::Null {
                    Base::Null
                } else {
                    value_base
                },
                nullable,
            },
        })
    }

    fn match_expr(&mut self, scrutinee: &ast::Expr, arms: &[ast::MatchArm]) -> Option<Expr> {
        let s = self.expr(scrutinee);
        let mut out_arms: Vec<(Vec<Const>, Expr, Span)> = Vec::new();
        let mut default: Option<(Expr, Span)> = None;
        let mut ok = true;
        for arm in arms {
            let v = self.expr(&arm.value);
            let mut pats = Vec::new();
            for p in &arm.patterns {
                match self.literal(p) {
                    Some(c) => pats.push((c, p.span)),
                    None => ok = false,
                }
            }
            let Some(v) = v else {
                ok = false;
                continue;
            };
            if arm.wildcard {
                default = Some((v, arm.value.span));
            } else {
                if let Some(s) = &s {
                    for (c, span) in &pats {
                        let b = const_base(c);
                        let fits = b == s.ty.base
                            || b == Base::Null
                            || (b == Base::Int && s.ty.base == Base::Dec)
                            || s.ty.base == Base::Null;
                        if !fits {
                            self.error(
                                codes::TYPE_MISMATCH,
                                *span,
                                format!(
                                    "{} pattern for a {} value",
                                    b.with_article(),
                                    s.ty.describe()
                                ),
                            )
                            .label(b.with_article().to_string())
                            .help(format!(
                                "`match` compares with `==`: write {} literals",
                                s.ty.base.name()
                            ));
                            ok = false;
                        }
                    }
                }
                let consts = pats
                    .into_iter()
                    .map(|(c, _)| match (&c, s.as_ref().map(|s| s.ty.base)) {
                        (Const::Int(i), Some(Base::Dec)) => Const::Dec(i.to_string()),
                        _ => c,
                    })
                    .collect();
                out_arms.push((consts, v, arm.value.span));
            }
        }
        let s = s?;
        if !ok {
            return None;
        }
        // One type for every arm.
        let mut values: Vec<(Expr, Span)> =
            out_arms.iter().map(|(_, e, sp)| (e.clone(), *sp)).collect();
        if let Some((d, sp)) = &default {
            values.push((d.clone(), *sp));
        }
        let ty = self.common_type(&values, "the arms of `match`")?;
        let mut arms_out = Vec::new();
        for (consts, e, sp) in out_arms {
            arms_out.push((consts, self.widen_to(e, ty, sp)?));
        }
        let default = match default {
            Some((d, sp)) => Some(Box::new(self.widen_to(d, ty, sp)?)),
            None => None,
        };
        Some(Expr {
            kind: ExprKind::Match {
                scrutinee: Box::new(s),
                arms: arms_out,
                default,
            },
            ty,
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        if op == BinaryOp::In {
            return self.in_list(lhs, rhs);
        }
        // A lookup on the left of `??` gives null on a miss, for the right
        // side to replace; anywhere else a miss makes the record wait.
        let l = match &lhs.kind {
            ast::ExprKind::Index { table, key, field }
                if op == BinaryOp::Coalesce && self.is_lookup(&table.name) =>
            {
                self.base_data(table, key, field.as_ref(), lhs.span, OnMiss::Null)
            }
            _ => self.expr(lhs),
        };
        // `x ?? error("…")`: the record fails with the message.
        if let ast::ExprKind::Call { func, args } = &rhs.kind {
            if op == BinaryOp::Coalesce && func.name == "error" && !self.defs.contains_key("error")
            {
                let message = match args.as_slice() {
                    [one] => self.expr(one).map(|m| (m, one.span)),
                    _ => {
                        self.error(
                            codes::ARITY,
                            rhs.span,
                            format!("`error` takes 1 argument, {} given", args.len()),
                        )
                        .label("in this call")
                        .help("`error(\"why the record cannot be written\")`");
                        None
                    }
                };
                let l = l?;
                let ty = Ty {
                    base: l.ty.base,
                    nullable: false,
                };
                let r = functions::fail_call(self, message, ty)?;
                return Some(bin(Op::Coalesce, l, r, ty));
            }
        }
        let r = self.expr(rhs);
        let (l, r) = (l?, r?);
        let bool_ty = Ty::of(Base::Bool);
        match op {
            BinaryOp::Or | BinaryOp::And => {
                for (x, span) in [(&l, lhs.span), (&r, rhs.span)] {
                    if !matches!(x.ty.base, Base::Bool | Base::Null) {
                        self.type_error(
                            op_span,
                            span,
                            &x.ty,
                            "a bool",
                            &format!("`{}` joins conditions", op.symbol()),
                        );
                        return None;
                    }
                }
                let op = if op == BinaryOp::Or { Op::Or } else { Op::And };
                Some(bin(op, l, r, bool_ty))
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let (l, r, _) = self.unify(
                    l,
                    r,
                    lhs.span,
                    rhs.span,
                    &format!("the two sides of `{}`", op.symbol()),
                )?;
                Some(bin(
                    if op == BinaryOp::Eq { Op::Eq } else { Op::Ne },
                    l,
                    r,
                    bool_ty,
                ))
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let (l, r, ty) = self.unify(
                    l,
                    r,
                    lhs.span,
                    rhs.span,
                    &format!("the two sides of `{}`", op.symbol()),
                )?;
                if !matches!(
                    ty.base,
                    Base::Dec | Base::Int | Base::Str | Base::Date | Base::DateTime | Base::Null
                ) {
                    self.error(
                        codes::TYPE_MISMATCH,
                        op_span,
                        format!("`{}` cannot order {} values", op.symbol(), ty.describe()),
                    )
                    .label("not ordered")
                    .help("numbers, strings, dates and date-times can be ordered");
                    return None;
                }
                let op = match op {
                    BinaryOp::Lt => Op::Lt,
                    BinaryOp::Le => Op::Le,
                    BinaryOp::Gt => Op::Gt,
                    _ => Op::Ge,
                };
                Some(bin(op, l, r, bool_ty))
            }
            BinaryOp::Coalesce => {
                let (l, r, ty) = self.unify(l, r, lhs.span, rhs.span, "the two sides of `??`")?;
                let ty = Ty {
                    base: ty.base,
                    nullable: r.ty.nullable && l.ty.nullable,
                };
                let ty = if ty.base == Base::Null { Ty::NULL } else { ty };
                Some(bin(Op::Coalesce, l, r, ty))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                self.arith(op, op_span, l, r, lhs.span, rhs.span)
            }
            BinaryOp::In => None,
        }
    }

    /// `x in [a, b, …]`: the value and each item of one type.
    fn in_list(&mut self, lhs: &ast::Expr, rhs: &ast::Expr) -> Option<Expr> {
        let v = self.expr(lhs);
        let ast::ExprKind::List(items) = &rhs.kind else {
            let r = self.expr(rhs)?;
            self.error(
                codes::TYPE_MISMATCH,
                rhs.span,
                "`in` takes a list of values: `x in [\"40\", \"90\"]`",
            )
            .label(format!("{}, not a list", r.ty.with_article()))
            .help("write the values in brackets");
            return None;
        };
        let v = v?;
        let mut out = Vec::new();
        for item in items {
            let x = self.expr(item)?;
            let (_, x, _) =
                self.unify(v.clone(), x, lhs.span, item.span, "the value and the list")?;
            out.push(x);
        }
        let value = match v.ty.base {
            Base::Int if out.iter().any(|x| x.ty.base == Base::Dec) => {
                self.widen_to(v, Ty::of(Base::Dec), lhs.span)?
            }
            _ => v,
        };
        Some(Expr {
            kind: ExprKind::In {
                value: Box::new(value),
                items: out,
            },
            ty: Ty::of(Base::Bool),
        })
    }

    fn arith(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        l: Expr,
        r: Expr,
        ls: Span,
        rs: Span,
    ) -> Option<Expr> {
        let nullable = l.ty.nullable || r.ty.nullable;
        let (lb, rb) = (l.ty.base, r.ty.base);
        if op == BinaryOp::Add && (lb == Base::Str || rb == Base::Str) {
            if matches!(
                (lb, rb),
                (Base::Str, Base::Str) | (Base::Str, Base::Null) | (Base::Null, Base::Str)
            ) {
                return Some(bin(
                    Op::Concat,
                    l,
                    r,
                    Ty {
                        base: Base::Str,
                        nullable,
                    },
                ));
            }
            let (other, span) = if lb == Base::Str {
                (r.ty, rs)
            } else {
                (l.ty, ls)
            };
            self.error(codes::TYPE_MISMATCH, op_span, format!("`+` of a str and a {}", other.describe()))
                .label("cannot add these")
                .also(span, format!("this is a {}", other.describe()))
                .help(match other.base {
                    Base::Dec | Base::Int | Base::Bool => "to join text, convert it: `to_string(x)`; to add numbers, convert the text: `to_decimal(s)`",
                    Base::Date | Base::DateTime => "to join text, format it: `format_datetime(t, \"%Y-%m-%d\")`",
                    _ => "`+` adds two numbers or joins two strings",
                });
            return None;
        }
        let numeric = |b: Base| matches!(b, Base::Int | Base::Dec | Base::Null);
        if !numeric(lb) || !numeric(rb) {
            let (bad, span) = if !numeric(lb) { (l.ty, ls) } else { (r.ty, rs) };
            self.error(codes::TYPE_MISMATCH, span, format!("`{}` needs numbers, this is a {}", op.symbol(), bad.describe()))
                .label(bad.with_article().to_string())
                .also(op_span, "this operator")
                .help(match bad.base {
                    Base::Str => "convert the text: `to_decimal(x)` fails the record on bad text, `try_decimal(x)` gives null",
                    _ => "arithmetic works on decimals and integers",
                });
            return None;
        }
        let both_int = lb != Base::Dec && rb != Base::Dec && (lb == Base::Int || rb == Base::Int);
        if both_int && op != BinaryOp::Div {
            let op = match op {
                BinaryOp::Add => Op::AddInt,
                BinaryOp::Sub => Op::SubInt,
                _ => Op::MulInt,
            };
            return Some(bin(
                op,
                l,
                r,
                Ty {
                    base: Base::Int,
                    nullable,
                },
            ));
        }
        let dec = Ty {
            base: Base::Dec,
            nullable,
        };
        let (ln, rn) = (l.ty.nullable, r.ty.nullable);
        let l = self.widen_to(
            l,
            Ty {
                base: Base::Dec,
                nullable: ln,
            },
            ls,
        )?;
        let r = self.widen_to(
            r,
            Ty {
                base: Base::Dec,
                nullable: rn,
            },
            rs,
        )?;
        let op = match op {
            BinaryOp::Add => Op::AddDec,
            BinaryOp::Sub => Op::SubDec,
            BinaryOp::Mul => Op::MulDec,
            _ => Op::DivDec,
        };
        Some(bin(op, l, r, dec))
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> Option<Expr> {
        if let Some(def) = self.defs.get(&func.name).cloned() {
            return self.expand_def(&def, func, args, span);
        }
        if !functions::is_builtin(&func.name) {
            if self.table_index.contains_key(&func.name) {
                self.table_called(func);
                return None;
            }
            self.unknown_function(func);
            // Still check the arguments for their own mistakes.
            for a in args {
                let _ = self.expr(a);
            }
            return None;
        }
        let mut typed = Vec::new();
        let mut ok = true;
        for a in args {
            match self.expr(a) {
                Some(e) => typed.push((e, a.span)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        functions::check_call(self, func, typed, span)
    }

    /// Reports a table called like a function.
    fn table_called(&mut self, func: &ast::Ident) {
        self.error(
            codes::UNKNOWN_FUNCTION,
            func.span,
            format!("`{}` is a table, not a function", func.name),
        )
        .label("called like a function")
        .help(format!("look a key up with brackets: `{}[key]`", func.name));
    }

    /// Reports a call of a name that is neither a built-in, a `def` nor a
    /// table.
    fn unknown_function(&mut self, func: &ast::Ident) {
        let defs: Vec<String> = self.defs.keys().cloned().collect();
        let names = || {
            functions::NAMES
                .iter()
                .copied()
                .chain(defs.iter().map(String::as_str))
        };
        let help = suggest(&func.name, names(), || {
            // `rnd` for `round`: an abbreviation is too far by edits.
            super::report::abbreviated(&func.name, names()).unwrap_or_else(|| {
                "see the functions in docs/language.md, or declare one with `def`".into()
            })
        });
        self.unknown(
            codes::UNKNOWN_FUNCTION,
            func.span,
            "function",
            &func.name,
            help,
        )
        .label("no function of this name");
    }

    fn expand_def(
        &mut self,
        def: &DefInfo,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Expr> {
        if self.def_stack.iter().any(|(n, _)| *n == func.name) {
            self.error(
                codes::RECURSIVE_DEF,
                func.span,
                format!("`{}` uses itself", func.name),
            )
            .label("called again while being expanded")
            .help("a `def` is expanded where it is used, so it cannot call itself");
            return None;
        }
        if args.len() != def.decl.params.len() {
            let file = def.file;
            self.error(
                codes::ARITY,
                span,
                format!(
                    "`{}` takes {} argument{}, {} given",
                    func.name,
                    def.decl.params.len(),
                    plural(def.decl.params.len()),
                    args.len()
                ),
            )
            .label("in this call")
            .help(format!(
                "it is declared `{}({})`",
                func.name,
                def.decl
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .with(file, def.decl.name.span, "declared here");
            return None;
        }
        let mut bound = Vec::new();
        for (p, a) in def.decl.params.iter().zip(args) {
            bound.push((p.name.clone(), self.expr(a)?));
        }
        let saved = self.file;
        self.file = def.file;
        self.def_stack.push((func.name.clone(), bound));
        let out = self.expr(&def.decl.body);
        self.def_stack.pop();
        self.file = saved;
        out
    }
}

fn bin(op: Op, lhs: Expr, rhs: Expr, ty: Ty) -> Expr {
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        ty,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The source fields an expression reads, by display path, in order.
pub(crate) fn sources_of(e: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Field { field, .. } => {
                if !out.contains(&field.display) {
                    out.push(field.display.clone());
                }
            }
            ExprKind::Const(_) | ExprKind::Local(_) => {}
            ExprKind::Call { args, .. } | ExprKind::List(args) => {
                args.iter().for_each(|a| walk(a, out))
            }
            ExprKind::Lookup { key, .. } | ExprKind::BaseData { key, .. } => walk(key, out),
            ExprKind::Neg(x) | ExprKind::Not(x) => walk(x, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                walk(cond, out);
                walk(then, out);
                walk(otherwise, out);
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => {
                walk(scrutinee, out);
                for (_, v) in arms {
                    walk(v, out);
                }
                if let Some(d) = default {
                    walk(d, out);
                }
            }
            ExprKind::In { value, items } => {
                walk(value, out);
                items.iter().for_each(|i| walk(i, out));
            }
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}
