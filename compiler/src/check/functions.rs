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
    "error",
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
        "error" => "(str), on the right of `??`",
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
    if !check_arity(cx, name, args.len(), span) {
        return None;
    }
    let first_nullable = args.first().map(|(e, _)| e.ty.nullable).unwrap_or(false);
    let call = BuiltinCall {
        name,
        args,
        first_nullable,
    };
    match name {
        "to_decimal" | "try_decimal" | "to_int" | "try_int" => call.convert_number(cx),
        "to_string" => call.string_of(cx),
        "to_date" | "try_date" => call.parse_date(cx),
        "to_datetime" | "try_datetime" => call.parse_datetime(cx),
        "format_datetime" => call.format_datetime(cx),
        "date" => call.date(cx),
        "add_days" => call.add_days(cx),
        "round" | "truncate" => call.round(cx),
        "abs" => call.abs(cx),
        "min" | "max" => call.min_max(cx),
        "trim" | "upper" | "lower" | "len" => call.one_text(cx),
        "substring" => call.substring(cx),
        "replace" | "split" | "join" | "starts_with" | "ends_with" | "contains" => {
            call.text_and_more(cx)
        }
        "is_null" | "is_empty" => Some(call.null_test()),
        "error" => {
            cx.error(
                codes::MISPLACED_ERROR,
                span,
                "`error(…)` stands only on the right of `??`",
            )
            .label("not the right side of `??`")
            .help("write `value ?? error(\"why\")`: the record fails with the message when the value is null or a lookup finds no row");
            None
        }
        _ => None,
    }
}

/// Reports a call with too few or too many arguments; true when the count
/// is right.
fn check_arity(cx: &mut Checker<'_, '_>, name: &str, given: usize, span: Span) -> bool {
    let (min, max) = arity(name);
    if given >= min && given <= max {
        return true;
    }
    let n = if min == max {
        format!("{min}")
    } else {
        format!("{min} to {max}")
    };
    cx.error(
        codes::ARITY,
        span,
        format!(
            "`{name}` takes {n} argument{}, {given} given",
            if max == 1 { "" } else { "s" },
        ),
    )
    .label("in this call")
    .help(format!("`{name}{}`", signature(name)));
    false
}

/// A call of a built-in, its arguments typed and counted.
struct BuiltinCall<'n> {
    name: &'n str,
    args: Vec<(Expr, Span)>,
    /// Whether the first argument can be null (most results then can).
    first_nullable: bool,
}

impl BuiltinCall<'_> {
    /// A result of `base` that is null when the first argument is.
    fn result(&self, base: Base) -> Ty {
        Ty {
            base,
            nullable: self.first_nullable,
        }
    }

    /// Whether argument `i` is one of `bases` (or null); reports it when not.
    fn arg_is(&self, cx: &mut Checker<'_, '_>, i: usize, bases: &[Base]) -> bool {
        let name = self.name;
        let (e, sp) = &self.args[i];
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
    }

    /// Checks every argument, the first against `first` and the others
    /// against `rest`, reporting each that does not fit.
    fn args_are(&self, cx: &mut Checker<'_, '_>, first: &[Base], rest: &[Base]) -> bool {
        let mut ok = true;
        for i in 0..self.args.len() {
            ok &= self.arg_is(cx, i, if i == 0 { first } else { rest });
        }
        ok
    }

    fn base(&self, i: usize) -> Base {
        self.args[i].0.ty.base
    }

    fn trying(&self) -> bool {
        self.name.starts_with("try")
    }

    /// The argument expressions, without their spans.
    fn exprs(self) -> Vec<Expr> {
        self.args.into_iter().map(|(e, _)| e).collect()
    }

    // ---------------------------------------------------------- conversions

    /// `to_decimal`, `try_decimal`, `to_int`, `try_int`.
    fn convert_number(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.arg_is(cx, 0, &[Base::Str, Base::Int, Base::Dec]) {
            return None;
        }
        let to_dec = self.name.ends_with("decimal");
        let tryer = self.trying();
        let nullable = self.first_nullable || tryer;
        let (e, _) = self.args.into_iter().next()?;
        let (f, base) = match (e.ty.base, to_dec) {
            (Base::Dec, true) | (Base::Int, false) | (Base::Null, _) => return Some(e),
            (Base::Int, true) => {
                let t = Ty {
                    base: Base::Dec,
                    nullable: e.ty.nullable,
                };
                return Some(call(Builtin::IntToDec, vec![e], t));
            }
            (Base::Str, true) if tryer => (Builtin::TryStrToDec, Base::Dec),
            (Base::Str, true) => (Builtin::StrToDec, Base::Dec),
            (Base::Str, false) if tryer => (Builtin::TryStrToInt, Base::Int),
            (Base::Str, false) => (Builtin::StrToInt, Base::Int),
            _ if tryer => (Builtin::TryDecToInt, Base::Int),
            _ => (Builtin::DecToInt, Base::Int),
        };
        Some(call(f, vec![e], Ty { base, nullable }))
    }

    /// `to_string` of any scalar.
    fn string_of(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        let scalars = [
            Base::Str,
            Base::Int,
            Base::Dec,
            Base::Bool,
            Base::Date,
            Base::DateTime,
        ];
        if !self.arg_is(cx, 0, &scalars) {
            return None;
        }
        let ty = self.result(Base::Str);
        let (e, _) = self.args.into_iter().next()?;
        Some(if e.ty.base == Base::Str {
            e
        } else {
            call(Builtin::ToString, vec![e], ty)
        })
    }

    // ----------------------------------------------------------------- time

    /// `to_date` / `try_date`, in `%Y-%m-%d` unless a format is given.
    fn parse_date(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::Str], &[Base::Str])
            || !check_format_arg(cx, &self.args, 1, Reads::Date)
        {
            return None;
        }
        let tryer = self.trying();
        let nullable = self.first_nullable || tryer;
        let mut a = self.exprs();
        if a.len() == 1 {
            a.push(str_const("%Y-%m-%d"));
        }
        let f = if tryer {
            Builtin::TryToDate
        } else {
            Builtin::ToDate
        };
        Some(call(
            f,
            a,
            Ty {
                base: Base::Date,
                nullable,
            },
        ))
    }

    /// `to_datetime` / `try_datetime`, in `%Y-%m-%d %H:%M:%S` and the
    /// source's zone unless they are given.
    fn parse_datetime(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::Str], &[Base::Str])
            || !check_format_arg(cx, &self.args, 1, Reads::DateTime)
            || !check_zone_arg(cx, &self.args, 2)
        {
            return None;
        }
        let src_zone = cx
            .source_api
            .map(|a| a.zone.clone())
            .unwrap_or_else(|| "+08:00".into());
        let tryer = self.trying();
        let nullable = self.first_nullable || tryer;
        let mut a = self.exprs();
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
        Some(call(
            f,
            a,
            Ty {
                base: Base::DateTime,
                nullable,
            },
        ))
    }

    /// `format_datetime` of a date-time (in a zone), or of a date.
    fn format_datetime(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::DateTime, Base::Date], &[Base::Str])
            || !check_format_arg(cx, &self.args, 1, Reads::Nothing)
            || !check_zone_arg(cx, &self.args, 2)
        {
            return None;
        }
        let is_date = self.base(0) == Base::Date;
        if is_date && self.args.len() == 3 {
            cx.error(
                codes::ARITY,
                self.args[2].1,
                "a date has no zone to format in",
            )
            .label("remove this argument")
            .help("`format_datetime(d, format)` for a date");
            return None;
        }
        let f = if is_date {
            Builtin::FormatDate
        } else {
            Builtin::FormatDateTime
        };
        let ty = self.result(Base::Str);
        Some(call(f, self.exprs(), ty))
    }

    /// `date(t[, zone])`.
    fn date(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::DateTime], &[Base::Str]) || !check_zone_arg(cx, &self.args, 1)
        {
            return None;
        }
        let ty = self.result(Base::Date);
        Some(call(Builtin::DateOf, self.exprs(), ty))
    }

    fn add_days(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::Date, Base::DateTime], &[Base::Int]) {
            return None;
        }
        let base = self.base(0);
        let f = if base == Base::Date {
            Builtin::AddDaysDate
        } else {
            Builtin::AddDaysDateTime
        };
        let ty = self.result(if base == Base::Null {
            Base::DateTime
        } else {
            base
        });
        Some(call(f, self.exprs(), ty))
    }

    // -------------------------------------------------------------- numbers

    /// `round` / `truncate` to 0 to 28 places.
    fn round(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::Dec, Base::Int], &[Base::Int]) {
            return None;
        }
        if let ExprKind::Const(Const::Int(n)) = &self.args[1].0.kind {
            if !(0..=28).contains(n) {
                cx.error(
                    codes::BAD_LITERAL,
                    self.args[1].1,
                    format!("{n} decimal places"),
                )
                .label("out of range")
                .help("round to 0 to 28 places");
                return None;
            }
        }
        let f = if self.name == "round" {
            Builtin::Round
        } else {
            Builtin::Truncate
        };
        let ty = self.result(Base::Dec);
        let a = dec_args(cx, self.args)?;
        Some(call(f, a, ty))
    }

    fn abs(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.arg_is(cx, 0, &[Base::Dec, Base::Int]) {
            return None;
        }
        let ty = self.result(Base::Dec);
        let a = dec_args(cx, self.args)?;
        Some(call(Builtin::Abs, a, ty))
    }

    /// `min` / `max` of two numbers, as decimals.
    fn min_max(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        let numbers = [Base::Dec, Base::Int];
        if !self.args_are(cx, &numbers, &numbers) {
            return None;
        }
        let f = if self.name == "min" {
            Builtin::Min
        } else {
            Builtin::Max
        };
        let nullable = self.args.iter().any(|(e, _)| e.ty.nullable);
        let mut a = Vec::new();
        for (e, sp) in self.args {
            let t = Ty {
                base: Base::Dec,
                nullable: e.ty.nullable,
            };
            a.push(cx.widen_to(e, t, sp)?);
        }
        Some(call(
            f,
            a,
            Ty {
                base: Base::Dec,
                nullable,
            },
        ))
    }

    // ----------------------------------------------------------------- text

    /// `trim`, `upper`, `lower`, `len` of one string.
    fn one_text(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.arg_is(cx, 0, &[Base::Str]) {
            return None;
        }
        let (f, base) = match self.name {
            "trim" => (Builtin::Trim, Base::Str),
            "upper" => (Builtin::Upper, Base::Str),
            "lower" => (Builtin::Lower, Base::Str),
            _ => (Builtin::Len, Base::Int),
        };
        let ty = self.result(base);
        Some(call(f, self.exprs(), ty))
    }

    fn substring(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        if !self.args_are(cx, &[Base::Str], &[Base::Int]) {
            return None;
        }
        let ty = self.result(Base::Str);
        Some(call(Builtin::Substring, self.exprs(), ty))
    }

    /// The functions of a string (a list for `join`) and more strings.
    fn text_and_more(self, cx: &mut Checker<'_, '_>) -> Option<Expr> {
        let first = if self.name == "join" {
            Base::List
        } else {
            Base::Str
        };
        if !self.args_are(cx, &[first], &[Base::Str]) {
            return None;
        }
        let (f, base) = match self.name {
            "replace" => (Builtin::Replace, Base::Str),
            "split" => (Builtin::Split, Base::List),
            "join" => (Builtin::Join, Base::Str),
            "starts_with" => (Builtin::StartsWith, Base::Bool),
            "ends_with" => (Builtin::EndsWith, Base::Bool),
            _ => (Builtin::Contains, Base::Bool),
        };
        let ty = self.result(base);
        Some(call(f, self.exprs(), ty))
    }

    /// `is_null` / `is_empty` of anything; never null.
    fn null_test(self) -> Expr {
        let f = if self.name == "is_null" {
            Builtin::IsNull
        } else {
            Builtin::IsEmpty
        };
        call(f, self.exprs(), Ty::of(Base::Bool))
    }
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
/// What a format argument is used to read, besides writing.
#[derive(Clone, Copy)]
enum Reads {
    Nothing,
    Date,
    DateTime,
}

/// A literal format argument must be valid and, where it reads, able to
/// read back what it writes (as the specs' formats).
fn check_format_arg(
    cx: &mut Checker<'_, '_>,
    args: &[(Expr, Span)],
    i: usize,
    reads: Reads,
) -> bool {
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
    let checked = validate_format(fmt).and_then(|()| match reads {
        Reads::Nothing => Ok(()),
        Reads::Date => duijie_maplib::time::check_date_format(fmt),
        Reads::DateTime => duijie_maplib::time::check_datetime_format(fmt),
    });
    if let Err(why) = checked {
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

/// The message of `x ?? error(message)`: a call of the right side of `??`
/// that fails the record. `ty` is the type of the whole `??` (the left
/// side's, not null).
pub(crate) fn fail_call(
    cx: &mut Checker<'_, '_>,
    message: Option<(Expr, Span)>,
    ty: Ty,
) -> Option<Expr> {
    let (m, sp) = message?;
    if !matches!(m.ty.base, Base::Str | Base::Null) {
        cx.error(
            codes::ARG_TYPE,
            sp,
            format!(
                "the message of `error` must be str, not {}",
                m.ty.describe()
            ),
        )
        .label("not text")
        .help("build the message with `+` and `to_string(…)`");
        return None;
    }
    Some(call(Builtin::Fail, vec![m], ty))
}
