//! Type agreement: making two or more typed expressions one type, the
//! implicit widening of integers to decimals, checking that a value fits
//! where a type is needed, and the help lines that say how to convert
//! between types.

use duijie_dsl::ast::Span;

use super::Checker;
use crate::diag::codes;
use crate::model::{Base, Builtin, Const, Expr, ExprKind, Ty};

impl Checker<'_, '_> {
    /// Makes two expressions one type (ints widen to decimals, null joins
    /// anything). Reports a mismatch.
    pub(crate) fn unify(
        &mut self,
        a: Expr,
        b: Expr,
        sa: Span,
        sb: Span,
        what: &str,
    ) -> Option<(Expr, Expr, Ty)> {
        let ty = match join(a.ty, b.ty) {
            Some(t) => t,
            None => {
                self.error(
                    codes::TYPE_MISMATCH,
                    sb,
                    format!(
                        "{what} have different types: {} and {}",
                        a.ty.describe(),
                        b.ty.describe()
                    ),
                )
                .label(b.ty.with_article().to_string())
                .also(sa, a.ty.with_article().to_string())
                .help(conversion_help(b.ty.base, a.ty.base));
                return None;
            }
        };
        let a = self.widen_to(a, ty, sa)?;
        let b = self.widen_to(b, ty, sb)?;
        Some((a, b, ty))
    }

    pub(super) fn common_type(&mut self, values: &[(Expr, Span)], what: &str) -> Option<Ty> {
        let mut ty: Option<(Ty, Span)> = None;
        for (e, sp) in values {
            ty = match ty {
                None => Some((e.ty, *sp)),
                Some((t, first)) => match join(t, e.ty) {
                    Some(j) => Some((j, first)),
                    None => {
                        self.error(
                            codes::TYPE_MISMATCH,
                            *sp,
                            format!(
                                "{what} have different types: {} and {}",
                                t.describe(),
                                e.ty.describe()
                            ),
                        )
                        .label(e.ty.with_article().to_string())
                        .also(first, t.with_article().to_string())
                        .help(conversion_help(e.ty.base, t.base));
                        return None;
                    }
                },
            };
        }
        ty.map(|(t, _)| t)
    }

    /// Converts `e` to `ty` where that is implicit (int → dec); the types
    /// must already agree otherwise.
    pub(crate) fn widen_to(&mut self, e: Expr, ty: Ty, _span: Span) -> Option<Expr> {
        if e.ty.base == Base::Int && ty.base == Base::Dec {
            let nullable = e.ty.nullable;
            return Some(Expr {
                kind: match e.kind {
                    ExprKind::Const(Const::Int(i)) => ExprKind::Const(Const::Dec(i.to_string())),
                    kind => ExprKind::Call {
                        func: Builtin::IntToDec,
                        args: vec![Expr { kind, ty: e.ty }],
                    },
                },
                ty: Ty {
                    base: Base::Dec,
                    nullable,
                },
            });
        }
        Some(e)
    }

    /// Checks that `e` can stand where a `want` is needed.
    pub(crate) fn coerce(&mut self, e: Expr, want: Base, span: Span, place: &str) -> Option<Expr> {
        if e.ty.base == want || e.ty.base == Base::Null {
            return Some(e);
        }
        if e.ty.base == Base::Int && want == Base::Dec {
            let nullable = e.ty.nullable;
            return self.widen_to(
                e,
                Ty {
                    base: Base::Dec,
                    nullable,
                },
                span,
            );
        }
        self.error(
            codes::TYPE_MISMATCH,
            span,
            format!(
                "{place} is {}, but this is {}",
                want.with_article(),
                e.ty.with_article()
            ),
        )
        .label(format!(
            "{}, where {} is needed",
            e.ty.with_article(),
            want.with_article()
        ))
        .help(conversion_help(e.ty.base, want));
        None
    }

    pub(crate) fn type_error(&mut self, at: Span, operand: Span, got: &Ty, want: &str, help: &str) {
        self.error(
            codes::TYPE_MISMATCH,
            operand,
            format!("expected {want}, found {}", got.describe()),
        )
        .label(got.with_article().to_string())
        .also(at, "needed here")
        .help(help.to_string());
    }
}

/// The common type of two types, if any.
fn join(a: Ty, b: Ty) -> Option<Ty> {
    let nullable = a.nullable || b.nullable;
    let base = match (a.base, b.base) {
        (x, y) if x == y => x,
        (Base::Null, y) => y,
        (x, Base::Null) => x,
        (Base::Int, Base::Dec) | (Base::Dec, Base::Int) => Base::Dec,
        _ => return None,
    };
    Some(Ty { base, nullable })
}

/// How to get from one type to another, for help lines.
pub(super) fn conversion_help(from: Base, to: Base) -> String {
    match (from, to) {
        (Base::Str, Base::Dec) => "convert it: `to_decimal(x)` fails the record on bad text, `try_decimal(x)` gives null instead".into(),
        (Base::Str, Base::Int) => "convert it: `to_int(x)` fails the record on bad text, `try_int(x)` gives null instead".into(),
        (Base::Dec, Base::Int) => "convert it: `to_int(x)` fails the record on a fraction; `to_int(round(x, 0))` rounds first".into(),
        (Base::Dec | Base::Int | Base::Bool, Base::Str) => "convert it: `to_string(x)`".into(),
        (Base::Date | Base::DateTime, Base::Str) => "format it: `format_datetime(x, \"%Y-%m-%d %H:%M:%S\")`".into(),
        (Base::Str, Base::DateTime) => "parse it: `to_datetime(x, \"%Y-%m-%d %H:%M:%S\", \"+08:00\")`".into(),
        (Base::Str, Base::Date) => "parse it: `to_date(x, \"%Y-%m-%d\")`".into(),
        (Base::DateTime, Base::Date) => "take its date: `date(x)` (in the value's own zone; `date(x, \"+08:00\")` picks one)".into(),
        (Base::List, Base::Str) => "join it: `join(x, \",\")`".into(),
        (Base::Str, Base::List) => "split it: `split(x, \",\")`".into(),
        (Base::Bool, _) | (_, Base::Bool) => "compare it to get a bool: `x == \"1\"`".into(),
        (f, t) => format!("{} cannot be used as a {}", f.with_article(), t.name()),
    }
}
