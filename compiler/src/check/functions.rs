//! Built-in functions: names, arity and argument types, and which
//! [`Builtin`] each call becomes.

use duijie_dsl::ast::{self, Span};

use super::types::conversion_help;
use super::zone::parse_offset;
use super::Checker;
use crate::diag::codes;
use crate::model::{Base, Builtin, Const, Expr, ExprKind, Ty};

/// Every built-in function name.
pub const NAMES: &[&str] = &[
    "to_decimal",
    "try_decimal",
    "to_int",
    "try_int",
    "to_string",
    "to_date",
    "try_date",
    "to_datetime",
    "try_datetime",
    "format_datetime",
    "date",
    "add_days",
    "round",
    "truncate",
    "abs",
    "min",
    "max",
    "trim",
    "upper",
    "lower",
    "substring",
    "replace",
    "split",
    "join",
    "len",
    "starts_with",
    "ends_with",
    "contains",
    "is_null",
    "is_empty",
];

pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// (min, max) number of arguments.
fn arity(name: &str) -> (usize, usize) {
    match name {
        "to_date" | "try_date" | "date" | "substring" => match name {
            "substring" => (2, 3),
            _ => (1, 2),
        },
        "to_datetime" | "try_datetime" => (1, 3),
        "format_datetime" => (2, 3),
        "add_days" | "round" | "truncate" | "min" | "max" | "split" | "join" | "starts_with"
        | "ends_with" | "contains" => (2, 2),
        "replace" => (3, 3),
        _ => (1, 1),
    }
}

fn signature(name: &str) -> &'static str {
    match name {
        "to_decimal" | "try_decimal" => "(str | int | dec)",
        "to_int" | "try_int" => "(str | int | dec)",
        "to_string" => "(any scalar)",
        "to_date" | "try_date" => "(str[, format])",
        "to_datetime" | "try_datetime" => "(str[, format[, zone]])",
        "format_datetime" => "(datetime | date, format[, zone])",
        "date" => "(datetime[, zone])",
        "add_days" => "(date | datetime, int)",
        "round" | "truncate" => "(dec, int)",
        "abs" => "(dec)",
        "min" | "max" => "(dec, dec)",
        "substring" => "(str, int[, int])",
        "replace" => "(str, str, str)",
        "split" => "(str, str)",
        "join" => "(list, str)",
        "len" | "trim" | "upper" | "lower" => "(str)",
        "starts_with" | "ends_with" | "contains" => "(str, str)",
        _ => "(any)",
    }
}

fn call(func: Builtin, args: Vec<Expr>, ty: Ty) -> Expr {
    Expr {
        kind: ExprKind::Call { func, args },
        ty,
    }
}

fn str_const(s: &str) -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Str(s.to_string())),
        ty: Ty::of(Base::Str),
    }
}

/// Types a call of a built-in whose arguments are already typed.
pub(crate) fn check_call(
    cx: &mut Checker<'_, '_>,
    func: &ast::Ident,
    args: Vec<(Expr, Span)>,
    span: Span,
) -> Option<Expr> {
    let name = func.name.as_str();
    let (min, max) = arity(name);
    if args.len() < min || args.len() > max {
        let n = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        cx.error(
            codes::ARITY,
            span,
            format!(
                "`{name}` takes {n} argument{}, {} given",
                if max == 1 { "" } else { "s" },
                args.len()
            ),
        )
        .label("in this call")
        .help(format!("`{name}{}`", signature(name)));
        return None;
    }
    let first_nullable = args.first().map(|(e, _)| e.ty.nullable).unwrap_or(false);
    let nullable_result = |base: Base| Ty {
        base,
        nullable: first_nullable,
    };
    // Argument i must be one of `bases`.
    let check_arg = |cx: &mut Checker<'_, '_>, i: usize, bases: &[Base]| -> bool {
        let (e, sp) = &args[i];
        if e.ty.base == Base::Null || bases.contains(&e.ty.base) {
            return true;
        }
        let want: Vec<&str> = bases.iter().map(|b| b.name()).collect();
        cx.error(
            codes::ARG_TYPE,
            *sp,
            format!(
                "argument {} of `{name}` must be {}, not {}",
                i + 1,
                want.join(" or "),
                e.ty.describe()
            ),
        )
        .label(e.ty.with_article().to_string())
        .help(format!(
            "`{name}{}`; {}",
            signature(name),
            conversion_help(e.ty.base, bases[0])
        ));
        false
    };
    let mut ok = true;
    let src_zone = cx
        .source_api
        .map(|a| a.zone.clone())
        .unwrap_or_else(|| "+08:00".into());
    let out = match name {
        "to_decimal" | "try_decimal" | "to_int" | "try_int" => {
            ok &= check_arg(cx, 0, &[Base::Str, Base::Int, Base::Dec]);
            if !ok {
                return None;
            }
            let (e, _) = args.into_iter().next()?;
            let to_dec = name.ends_with("decimal");
            let tryer = name.starts_with("try");
            match (e.ty.base, to_dec) {
                (Base::Dec, true) | (Base::Int, false) | (Base::Null, _) => e,
                (Base::Int, true) => {
                    let t = Ty {
                        base: Base::Dec,
                        nullable: e.ty.nullable,
                    };
                    call(Builtin::IntToDec, vec![e], t)
                }
                (Base::Str, true) => {
                    let f = if tryer {
                        Builtin::TryStrToDec
                    } else {
                        Builtin::StrToDec
                    };
                    call(
                        f,
                        vec![e],
                        Ty {
                            base: Base::Dec,
                            nullable: first_nullable || tryer,
                        },
                    )
                }
                (Base::Str, false) => {
                    let f = if tryer {
                        Builtin::TryStrToInt
                    } else {
                        Builtin::StrToInt
                    };
                    call(
                        f,
                        vec![e],
                        Ty {
                            base: Base::Int,
                            nullable: first_nullable || tryer,
                        },
                    )
                }
                _ => {
                    let f = if tryer {
                        Builtin::TryDecToInt
                    } else {
                        Builtin::DecToInt
                    };
                    call(
                        f,
                        vec![e],
                        Ty {
                            base: Base::Int,
                            nullable: first_nullable || tryer,
                        },
                    )
                }
            }
        }
        "to_string" => {
            ok &= check_arg(
                cx,
                0,
                &[
                    Base::Str,
                    Base::Int,
                    Base::Dec,
                    Base::Bool,
                    Base::Date,
                    Base::DateTime,
                ],
            );
            if !ok {
                return None;
            }
            let (e, _) = args.into_iter().next()?;
            if e.ty.base == Base::Str {
                e
            } else {
                call(Builtin::ToString, vec![e], nullable_result(Base::Str))
            }
        }
        "to_date" | "try_date" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            if args.len() > 1 {
                ok &= check_arg(cx, 1, &[Base::Str]);
            }
            if !ok || !check_format_arg(cx, &args, 1) {
                return None;
            }
            let tryer = name.starts_with("try");
            let mut a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            if a.len() == 1 {
                a.push(str_const("%Y-%m-%d"));
            }
            let f = if tryer {
                Builtin::TryToDate
            } else {
                Builtin::ToDate
            };
            call(
                f,
                a,
                Ty {
                    base: Base::Date,
                    nullable: first_nullable || tryer,
                },
            )
        }
        "to_datetime" | "try_datetime" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            for i in 1..args.len() {
                ok &= check_arg(cx, i, &[Base::Str]);
            }
            if !ok || !check_format_arg(cx, &args, 1) || !check_zone_arg(cx, &args, 2) {
                return None;
            }
            let tryer = name.starts_with("try");
            let mut a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            if a.len() == 1 {
                a.push(str_const("%Y-%m-%d %H:%M:%S"));
            }
            if a.len() == 2 {
                a.push(str_const(&src_zone));
            }
            let f = if tryer {
                Builtin::TryToDateTime
            } else {
                Builtin::ToDateTime
            };
            call(
                f,
                a,
                Ty {
                    base: Base::DateTime,
                    nullable: first_nullable || tryer,
                },
            )
        }
        "format_datetime" => {
            ok &= check_arg(cx, 0, &[Base::DateTime, Base::Date]);
            for i in 1..args.len() {
                ok &= check_arg(cx, i, &[Base::Str]);
            }
            if !ok || !check_format_arg(cx, &args, 1) || !check_zone_arg(cx, &args, 2) {
                return None;
            }
            let is_date = args[0].0.ty.base == Base::Date;
            if is_date && args.len() == 3 {
                cx.error(codes::ARITY, args[2].1, "a date has no zone to format in")
                    .label("remove this argument")
                    .help("`format_datetime(d, format)` for a date");
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            let f = if is_date {
                Builtin::FormatDate
            } else {
                Builtin::FormatDateTime
            };
            call(f, a, nullable_result(Base::Str))
        }
        "date" => {
            ok &= check_arg(cx, 0, &[Base::DateTime]);
            if args.len() > 1 {
                ok &= check_arg(cx, 1, &[Base::Str]);
            }
            if !ok || !check_zone_arg(cx, &args, 1) {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(Builtin::DateOf, a, nullable_result(Base::Date))
        }
        "add_days" => {
            ok &= check_arg(cx, 0, &[Base::Date, Base::DateTime]);
            ok &= check_arg(cx, 1, &[Base::Int]);
            if !ok {
                return None;
            }
            let base = args[0].0.ty.base;
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            let f = if base == Base::Date {
                Builtin::AddDaysDate
            } else {
                Builtin::AddDaysDateTime
            };
            call(
                f,
                a,
                nullable_result(if base == Base::Null {
                    Base::DateTime
                } else {
                    base
                }),
            )
        }
        "round" | "truncate" => {
            ok &= check_arg(cx, 0, &[Base::Dec, Base::Int]);
            ok &= check_arg(cx, 1, &[Base::Int]);
            if !ok {
                return None;
            }
            if let ExprKind::Const(Const::Int(n)) = &args[1].0.kind {
                if !(0..=28).contains(n) {
                    cx.error(codes::BAD_LITERAL, args[1].1, format!("{n} decimal places"))
                        .label("out of range")
                        .help("round to 0 to 28 places");
                    return None;
                }
            }
            let a = dec_args(cx, args)?;
            call(
                if name == "round" {
                    Builtin::Round
                } else {
                    Builtin::Truncate
                },
                a,
                nullable_result(Base::Dec),
            )
        }
        "abs" => {
            ok &= check_arg(cx, 0, &[Base::Dec, Base::Int]);
            if !ok {
                return None;
            }
            let a = dec_args(cx, args)?;
            call(Builtin::Abs, a, nullable_result(Base::Dec))
        }
        "min" | "max" => {
            ok &= check_arg(cx, 0, &[Base::Dec, Base::Int]);
            ok &= check_arg(cx, 1, &[Base::Dec, Base::Int]);
            if !ok {
                return None;
            }
            let nullable = args.iter().any(|(e, _)| e.ty.nullable);
            let mut a = Vec::new();
            for (e, sp) in args {
                let t = Ty {
                    base: Base::Dec,
                    nullable: e.ty.nullable,
                };
                a.push(cx.widen_to(e, t, sp)?);
            }
            call(
                if name == "min" {
                    Builtin::Min
                } else {
                    Builtin::Max
                },
                a,
                Ty {
                    base: Base::Dec,
                    nullable,
                },
            )
        }
        "trim" | "upper" | "lower" | "len" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            let (f, base) = match name {
                "trim" => (Builtin::Trim, Base::Str),
                "upper" => (Builtin::Upper, Base::Str),
                "lower" => (Builtin::Lower, Base::Str),
                _ => (Builtin::Len, Base::Int),
            };
            call(f, a, nullable_result(base))
        }
        "substring" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            for i in 1..args.len() {
                ok &= check_arg(cx, i, &[Base::Int]);
            }
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(Builtin::Substring, a, nullable_result(Base::Str))
        }
        "replace" => {
            for i in 0..3 {
                ok &= check_arg(cx, i, &[Base::Str]);
            }
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(Builtin::Replace, a, nullable_result(Base::Str))
        }
        "split" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            ok &= check_arg(cx, 1, &[Base::Str]);
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(Builtin::Split, a, nullable_result(Base::List))
        }
        "join" => {
            ok &= check_arg(cx, 0, &[Base::List]);
            ok &= check_arg(cx, 1, &[Base::Str]);
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(Builtin::Join, a, nullable_result(Base::Str))
        }
        "starts_with" | "ends_with" | "contains" => {
            ok &= check_arg(cx, 0, &[Base::Str]);
            ok &= check_arg(cx, 1, &[Base::Str]);
            if !ok {
                return None;
            }
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            let f = match name {
                "starts_with" => Builtin::StartsWith,
                "ends_with" => Builtin::EndsWith,
                _ => Builtin::Contains,
            };
            call(f, a, nullable_result(Base::Bool))
        }
        "is_null" | "is_empty" => {
            let a: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();
            call(
                if name == "is_null" {
                    Builtin::IsNull
                } else {
                    Builtin::IsEmpty
                },
                a,
                Ty::of(Base::Bool),
            )
        }
        _ => return None,
    };
    Some(out)
}

fn dec_args(cx: &mut Checker<'_, '_>, args: Vec<(Expr, Span)>) -> Option<Vec<Expr>> {
    let mut out = Vec::new();
    for (i, (e, sp)) in args.into_iter().enumerate() {
        if i == 0 {
            let t = Ty {
                base: Base::Dec,
                nullable: e.ty.nullable,
            };
            out.push(cx.widen_to(e, t, sp)?);
        } else {
            out.push(e);
        }
    }
    Some(out)
}

/// A literal format argument must be a valid chrono format.
fn check_format_arg(cx: &mut Checker<'_, '_>, args: &[(Expr, Span)], i: usize) -> bool {
    let Some((
        Expr {
            kind: ExprKind::Const(Const::Str(fmt)),
            ..
        },
        sp,
    )) = args.get(i)
    else {
        return true;
    };
    if let Err(why) = validate_format(fmt) {
        cx.error(
            codes::BAD_LITERAL,
            *sp,
            format!("invalid date-time format {fmt:?}"),
        )
        .label(why)
        .help("formats are chrono strftime patterns, e.g. \"%Y-%m-%d %H:%M:%S\"");
        return false;
    }
    true
}

/// A literal zone argument must be one the language knows.
fn check_zone_arg(cx: &mut Checker<'_, '_>, args: &[(Expr, Span)], i: usize) -> bool {
    let Some((
        Expr {
            kind: ExprKind::Const(Const::Str(zone)),
            ..
        },
        sp,
    )) = args.get(i)
    else {
        return true;
    };
    if parse_offset(zone).is_none() {
        cx.error(codes::BAD_LITERAL, *sp, format!("unknown zone {zone:?}"))
            .label("not a zone")
            .help("write an offset (\"+08:00\", \"-05:00\", \"Z\") or one of UTC, Asia/Shanghai, Asia/Hong_Kong, Asia/Taipei, Asia/Singapore");
        return false;
    }
    true
}

/// Checks a chrono strftime pattern without formatting anything.
pub fn validate_format(fmt: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if fmt.is_empty() {
        return Err("an empty format".into());
    }
    for item in StrftimeItems::new(fmt) {
        if let Item::Error = item {
            return Err("an unknown `%` directive".into());
        }
    }
    Ok(())
}
