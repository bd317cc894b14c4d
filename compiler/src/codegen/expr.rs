//! Expressions: a typed [`Expr`] to a Rust expression.
//!
//! A value of base type `T` is held as `T` when it cannot be null and as
//! `Option<T>` when it can ([`Nulls::nullable`] decides, and the generated
//! expression has exactly that type). Every value function is the one in
//! `duijie_maplib` that the interpreter calls too. Evaluation order is the
//! interpreter's: operands and arguments left to right, each evaluated once
//! into a temporary before the operation; `and`, `or`, `??`, `if`, `match`
//! and `in` evaluate only what they need. A null in any argument of a
//! function gives null (the function is not called), except for `is_null`
//! and `is_empty`.
//!
//! | base | Rust type |
//! |---|---|
//! | `str` | `Cow<'a, str>` (borrowed from the record when it can) |
//! | `dec` | `Decimal` |
//! | `int` | `i64` |
//! | `bool` | `bool` |
//! | `date` | `NaiveDate` |
//! | `datetime` | `DateTime<FixedOffset>` |
//! | `list` | `Vec<String>` |

use std::collections::HashMap;

use proc_macro2::{Delimiter, Ident, Literal, TokenStream, TokenTree};
use quote::{format_ident, quote};

use super::{lit_str, CodegenError};
use crate::model::{Base, Block, Builtin, Const, Expr, ExprKind, Op, Prelude, Scheme, TargetValue};

/// Which expressions can be null.
#[derive(Debug, Default)]
pub struct Nulls {
    /// Local slot → whether it can be null and its base type.
    locals: HashMap<usize, (bool, Base)>,
    /// Table index → whether a lookup can give null (a `null` value).
    tables: Vec<bool>,
}

impl Nulls {
    /// Walks the scheme's blocks in order, recording its locals.
    pub fn of_scheme(scheme: &Scheme) -> Nulls {
        let mut nulls = Nulls {
            locals: HashMap::new(),
            tables: scheme
                .tables
                .iter()
                .map(|t| {
                    t.entries.iter().any(|(_, v)| *v == Const::Null)
                        || t.default.as_ref() == Some(&Const::Null)
                })
                .collect(),
        };
        nulls.block(&scheme.body);
        nulls
    }

    fn block(&mut self, block: &Block) {
        for step in &block.prelude {
            if let Prelude::Let { local, expr, .. } = step {
                let nullable = self.nullable(expr);
                self.locals.insert(*local, (nullable, expr.ty.base));
            }
        }
        for field in &block.fields {
            self.field(&field.value);
        }
    }

    fn field(&mut self, value: &TargetValue) {
        match value {
            TargetValue::Scalar { .. } => {}
            TargetValue::Object(fields) => {
                for f in fields {
                    self.field(&f.value);
                }
            }
            TargetValue::Array { body, .. } => self.block(body),
            TargetValue::List(blocks) => {
                for b in blocks {
                    self.block(b);
                }
            }
        }
    }

    /// The base type of a local.
    pub fn local_base(&self, slot: usize) -> Option<Base> {
        self.locals.get(&slot).map(|(_, b)| *b)
    }

    /// Whether the generated expression is an `Option`.
    pub fn nullable(&self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::Const(c) => *c == Const::Null,
            // Decoding keeps null as `None` even for a required field (the
            // decoder fails the record instead of giving null).
            ExprKind::Field { .. } => true,
            ExprKind::Local(slot) => self.locals.get(slot).is_none_or(|(n, _)| *n),
            ExprKind::Call { func, args } => {
                let first = args.first().map(|a| a.ty.base);
                let any_null = args.iter().any(|a| self.nullable(a));
                match func {
                    Builtin::IsNull | Builtin::IsEmpty => false,
                    Builtin::TryToDate | Builtin::TryToDateTime => true,
                    Builtin::TryStrToDec => any_null || first == Some(Base::Str),
                    Builtin::TryDecToInt | Builtin::TryStrToInt => {
                        any_null || matches!(first, Some(Base::Str | Base::Dec))
                    }
                    _ => any_null,
                }
            }
            ExprKind::Lookup { table, key } => {
                self.nullable(key) || self.tables.get(*table).copied().unwrap_or(true)
            }
            ExprKind::Neg(a) | ExprKind::Not(a) => self.nullable(a),
            ExprKind::Binary { op, lhs, rhs } => match op {
                Op::Or | Op::And | Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => false,
                Op::Coalesce => self.nullable(lhs) && self.nullable(rhs),
                _ => self.nullable(lhs) || self.nullable(rhs),
            },
            ExprKind::If {
                then, otherwise, ..
            } => self.nullable(then) || self.nullable(otherwise),
            ExprKind::Match { arms, default, .. } => {
                arms.iter().any(|(_, e)| self.nullable(e))
                    || default.as_deref().is_some_and(|d| self.nullable(d))
            }
            ExprKind::In { .. } => false,
            // A null item is left out.
            ExprKind::List(_) => false,
        }
    }
}

/// The Rust type of a base type.
pub fn rust_type(base: Base) -> TokenStream {
    match base {
        Base::Str => quote!(Cow<'a, str>),
        Base::Dec => quote!(Decimal),
        Base::Int => quote!(i64),
        Base::Bool => quote!(bool),
        Base::Date => quote!(NaiveDate),
        Base::DateTime => quote!(DateTime<FixedOffset>),
        Base::List => quote!(Vec<String>),
        Base::Null => quote!(()),
    }
}

/// A constant as a Rust expression (never null: `Const::Null` is `None`).
pub fn constant(c: &Const) -> Result<TokenStream, String> {
    Ok(match c {
        Const::Null => quote!(None),
        Const::Str(s) => {
            let s = lit_str(s);
            quote!(Cow::Borrowed(#s))
        }
        Const::Dec(text) => decimal(text)?,
        Const::Int(i) => {
            let i = Literal::i64_suffixed(*i);
            quote!(#i)
        }
        Const::Bool(b) => quote!(#b),
    })
}

/// `Decimal::new(1250, 2)` for `12.50`, checked here so that it cannot
/// panic at run time.
fn decimal(text: &str) -> Result<TokenStream, String> {
    let bad = || format!("`{text}` is not a decimal literal");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let scale = u32::try_from(frac.len()).map_err(|_| bad())?;
    if scale > 28 {
        return Err(format!("`{text}` has more than 28 decimal places"));
    }
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .filter(|m| *m < (1i128 << 96))
            .ok_or_else(|| format!("`{text}` does not fit in a decimal"))?;
    }
    if negative && mantissa != 0 {
        mantissa = -mantissa;
    }
    let scale = Literal::u32_unsuffixed(scale);
    Ok(match i64::try_from(mantissa) {
        Ok(m) => {
            let m = Literal::i64_unsuffixed(m);
            quote!(Decimal::new(#m, #scale))
        }
        Err(_) => {
            let m = Literal::i128_unsuffixed(mantissa);
            quote!(Decimal::from_i128_with_scale(#m, #scale))
        }
    })
}

/// Where an expression is evaluated, for its errors: path templates with
/// `[]` markers, filled at run time by the `at` of the current scope (the
/// generated `At`, which holds the indexes of the enclosing elements).
#[derive(Clone)]
pub struct Loc {
    /// The target path: the field being computed, or the block's own path
    /// in a prelude.
    pub target: String,
    /// The source reported for failures other than decoding a field (the
    /// scalar's `sources`, or `""` in a prelude).
    pub sources: String,
}

/// How a source field is reached from the current scope.
pub trait Fields {
    /// The `Option<&RawValue>` expression of the field `path` at `level`.
    fn field(&self, level: usize, path: &[String]) -> Option<TokenStream>;
    /// The variable of a local slot.
    fn local(&self, slot: usize) -> Option<&Ident>;
}

/// Generates expressions within one scope.
pub struct ExprGen<'g> {
    pub scheme: &'g Scheme,
    pub nulls: &'g Nulls,
    pub fields: &'g dyn Fields,
    pub tables: &'g [Ident],
    /// The `At` variable of the scope.
    pub at: Ident,
    pub loc: Loc,
}

type Gen = Result<TokenStream, CodegenError>;

/// A generated operand: its tokens and whether it is an `Option`.
struct Operand {
    tokens: TokenStream,
    nullable: bool,
}

impl ExprGen<'_> {
    fn error(&self, message: impl Into<String>) -> CodegenError {
        CodegenError {
            scheme: self.scheme.meta.name.clone(),
            message: message.into(),
        }
    }

    /// `.map_err(|error| fail(…))?` at the current place, reporting `source`.
    fn fail_with(&self, source: &str) -> TokenStream {
        let target = lit_str(&self.loc.target);
        let source = lit_str(source);
        let at = &self.at;
        quote!(.map_err(|error| #at.fail(#target, #source, error))?)
    }

    /// `.map_err(…)?` for a failure other than decoding.
    fn fail(&self) -> TokenStream {
        self.fail_with(&self.loc.sources)
    }

    /// The expression, of type `Option<T>` when nullable, `T` otherwise.
    pub fn expr(&self, e: &Expr) -> Gen {
        match &e.kind {
            ExprKind::Const(c) => constant(c).map_err(|m| self.error(m)),
            ExprKind::Field { field, scalar } => {
                let raw = self.fields.field(field.level, &field.path).ok_or_else(|| {
                    self.error(format!(
                        "source field `{}` is not in the scheme's reads",
                        field.display
                    ))
                })?;
                let required = scalar.required;
                let fail = self.fail_with(&field.display);
                let call = match scalar.ty {
                    Base::Str => quote!(::duijie_maplib::decode::text(#raw, #required)),
                    Base::Dec => quote!(::duijie_maplib::decode::dec(#raw, #required)),
                    Base::Int => quote!(::duijie_maplib::decode::int(#raw, #required)),
                    Base::Bool => quote!(::duijie_maplib::decode::boolean(#raw, #required)),
                    Base::List => quote!(::duijie_maplib::decode::list(#raw, #required)),
                    Base::Date => {
                        let fmt = lit_str(
                            scalar
                                .format
                                .as_deref()
                                .unwrap_or(&self.scheme.source_time.date_format),
                        );
                        quote!(::duijie_maplib::decode::date(#raw, #required, #fmt))
                    }
                    Base::DateTime => {
                        let fmt = lit_str(
                            scalar
                                .format
                                .as_deref()
                                .unwrap_or(&self.scheme.source_time.datetime_format),
                        );
                        quote!(source_zone().and_then(|zone| ::duijie_maplib::decode::datetime(#raw, #required, #fmt, zone)))
                    }
                    Base::Null => return Err(self.error("a source field of type null")),
                };
                Ok(quote!(#call #fail))
            }
            ExprKind::Local(slot) => {
                let var = self.fields.local(*slot).ok_or_else(|| {
                    self.error(format!("local slot {slot} is used before its `let`"))
                })?;
                // Locals are read more than once: clone (a `Cow` borrowed
                // from the record clones without allocating).
                Ok(match self.nulls.local_base(*slot) {
                    Some(Base::Str | Base::List) => quote!(#var.clone()),
                    _ => quote!(#var),
                })
            }
            ExprKind::Call { func, args } => self.call(*func, args),
            ExprKind::Lookup { table, key } => self.lookup(*table, key),
            ExprKind::Neg(a) => match e.ty.base {
                Base::Dec => self.unary(a, |v| quote!(::duijie_maplib::dec::neg_dec(#v))),
                Base::Int => {
                    let fail = self.fail();
                    self.unary(a, |v| quote!(::duijie_maplib::dec::neg_int(#v) #fail))
                }
                other => Err(self.error(format!("negation of {}", other.name()))),
            },
            ExprKind::Not(a) => self.unary(a, |v| {
                let v = operand_tokens(v);
                quote!(!#v)
            }),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let nullable = self.nulls.nullable(e);
                let c = self.operand(cond)?;
                let t = self.lifted(then, nullable)?;
                let o = self.lifted(otherwise, nullable)?;
                let (t, o) = (unbraced(t), unbraced(o));
                if compound(&c.tokens) {
                    let test = truthy(&Operand {
                        tokens: quote!(condition),
                        nullable: c.nullable,
                    });
                    let ct = &c.tokens;
                    Ok(quote!({
                        let condition = #ct;
                        if #test { #t } else { #o }
                    }))
                } else {
                    let test = truthy(&c);
                    Ok(quote!(if #test { #t } else { #o }))
                }
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => self.match_(e, scrutinee, arms, default.as_deref()),
            ExprKind::In { value, items } => {
                // Literals of a type with patterns: `matches!`.
                let literals: Option<Vec<&Const>> = items
                    .iter()
                    .map(|i| match &i.kind {
                        ExprKind::Const(c @ (Const::Str(_) | Const::Int(_) | Const::Bool(_))) => {
                            Some(c)
                        }
                        _ => None,
                    })
                    .collect();
                if let (Some(literals), Base::Str | Base::Int | Base::Bool) =
                    (literals, value.ty.base)
                {
                    if !literals.is_empty() {
                        let mut pats = Vec::new();
                        for c in literals {
                            pats.push(pattern(c).map_err(|m| self.error(m))?);
                        }
                        // Bound first: prettyplease leaves macro arguments
                        // unformatted.
                        let v = self.expr(value)?;
                        let nullable = self.nulls.nullable(value);
                        let test = match (value.ty.base, nullable) {
                            (Base::Str, true) => {
                                quote!(matches!(value.as_deref(), Some(#(#pats)|*)))
                            }
                            (Base::Str, false) => quote!(matches!(&*value, #(#pats)|*)),
                            (_, true) => quote!(matches!(value, Some(#(#pats)|*))),
                            (_, false) => quote!(matches!(value, #(#pats)|*)),
                        };
                        return Ok(quote!({
                            let value = #v;
                            #test
                        }));
                    }
                }
                let any_null =
                    self.nulls.nullable(value) || items.iter().any(|i| self.nulls.nullable(i));
                let v = self.lifted(value, any_null)?;
                let mut tests = Vec::new();
                for item in items {
                    let i = self.lifted(item, any_null)?;
                    tests.push(quote!(value == #i));
                }
                if tests.is_empty() {
                    return Ok(quote!({ let _value = #v; false }));
                }
                Ok(quote!({
                    let value = #v;
                    #(#tests)||*
                }))
            }
            ExprKind::List(items) => {
                if items.iter().any(|i| self.nulls.nullable(i)) {
                    // Null items are left out.
                    let mut values = Vec::new();
                    for item in items {
                        values.push(self.lifted(item, true)?);
                    }
                    Ok(quote!([#(#values),*]
                        .into_iter()
                        .flatten()
                        .map(Cow::into_owned)
                        .collect::<Vec<String>>()))
                } else {
                    let mut values = Vec::new();
                    for item in items {
                        let t = operand_tokens(self.expr(item)?);
                        values.push(quote!(#t.into_owned()));
                    }
                    Ok(quote!(vec![#(#values),*]))
                }
            }
        }
    }

    fn operand(&self, e: &Expr) -> Result<Operand, CodegenError> {
        Ok(Operand {
            tokens: self.expr(e)?,
            nullable: self.nulls.nullable(e),
        })
    }

    /// The expression as `Option<T>` when `nullable` (wrapping a value that
    /// cannot be null in `Some`), else as `T`.
    pub fn lifted(&self, e: &Expr, nullable: bool) -> Gen {
        let tokens = self.expr(e)?;
        if nullable && !self.nulls.nullable(e) {
            Ok(quote!(Some(#tokens)))
        } else {
            Ok(tokens)
        }
    }

    /// An operation on one operand bound to `value`; null gives null.
    fn unary(&self, a: &Expr, body: impl Fn(TokenStream) -> TokenStream) -> Gen {
        let op = self.operand(a)?;
        if op.nullable {
            Ok(single(
                &op.tokens,
                &format_ident!("value"),
                body(quote!(value)),
                false,
            ))
        } else {
            Ok(body(op.tokens))
        }
    }

    /// Binds the operands to `names` in order, then computes `body` from
    /// them; when any operand can be null, the result is `None` when any is,
    /// else `Some(body)` (or `body` itself when `body_is_option`).
    fn null_propagating(
        &self,
        ops: &[Operand],
        names: &[Ident],
        body: TokenStream,
        body_is_option: bool,
    ) -> Gen {
        let any_null = ops.iter().any(|o| o.nullable);
        let lets = ops.iter().zip(names).map(|(o, n)| {
            let t = &o.tokens;
            quote!(let #n = #t;)
        });
        if !any_null {
            if let Some(inlined) = inline(&body, ops, names) {
                return Ok(inlined);
            }
            return Ok(quote!({
                #(#lets)*
                #body
            }));
        }
        if ops.len() == 1 {
            return Ok(single(&ops[0].tokens, &names[0], body, body_is_option));
        }
        let nullable: Vec<(&Operand, &Ident)> =
            ops.iter().zip(names).filter(|(o, _)| o.nullable).collect();
        if nullable.len() == 1 {
            let n = nullable[0].1;
            let apply = single(&quote!(#n), n, body, body_is_option);
            return Ok(quote!({
                #(#lets)*
                #apply
            }));
        }
        let wrapped = if body_is_option {
            body
        } else {
            quote!(Some(#body))
        };
        let (pattern, scrutinee) = {
            let pats = nullable.iter().map(|(_, n)| quote!(Some(#n)));
            let vals = nullable.iter().map(|(_, n)| quote!(#n));
            (quote!((#(#pats),*)), quote!((#(#vals),*)))
        };
        Ok(quote!({
            #(#lets)*
            match #scrutinee {
                #pattern => #wrapped,
                _ => None,
            }
        }))
    }

    fn call(&self, func: Builtin, args: &[Expr]) -> Gen {
        let mut ops = Vec::new();
        for a in args {
            ops.push(self.operand(a)?);
        }
        let names: Vec<Ident> = (0..ops.len()).map(|i| format_ident!("arg{i}")).collect();
        let n = |i: usize| -> Result<&Ident, CodegenError> {
            names
                .get(i)
                .ok_or_else(|| self.error(format!("{func:?} needs at least {} arguments", i + 1)))
        };
        let base = |i: usize| args.get(i).map_or(Base::Null, |a| a.ty.base);
        let fail = self.fail();
        let m = quote!(::duijie_maplib);
        let x = n(0)?;
        let xb = base(0);
        // An argument as a decimal (an int is widened).
        let as_dec = |i: usize, name: &Ident| match base(i) {
            Base::Int => quote!(#m::dec::int_to_dec(#name)),
            _ => quote!(#name),
        };
        let optional = |i: usize| -> Option<&Ident> { names.get(i) };
        let (body, body_is_option) = match func {
            Builtin::IsNull => {
                let t = &ops[0].tokens;
                return Ok(if ops[0].nullable {
                    let t = operand_tokens(t.clone());
                    quote!(#t.is_none())
                } else {
                    quote!({
                        let _value = #t;
                        false
                    })
                });
            }
            Builtin::IsEmpty => {
                let t = operand_tokens(ops[0].tokens.clone());
                return Ok(match (ops[0].nullable, xb) {
                    (true, Base::Str) => quote!(#t.as_deref().is_none_or(#m::text::is_empty)),
                    (false, Base::Str) => quote!(#m::text::is_empty(&#t)),
                    (true, Base::List) => quote!(#t.as_ref().is_none_or(Vec::is_empty)),
                    (false, Base::List) => quote!(#t.is_empty()),
                    (true, _) => quote!(#t.is_none()),
                    (false, _) => quote!({
                        let _value = #t;
                        false
                    }),
                });
            }
            Builtin::IntToDec => (as_dec(0, x), false),
            Builtin::StrToDec => match xb {
                Base::Str => (quote!(#m::dec::parse_dec(&#x) #fail), false),
                _ => (as_dec(0, x), false),
            },
            Builtin::TryStrToDec => match xb {
                Base::Str => (quote!(#m::dec::try_parse_dec(&#x)), true),
                _ => (as_dec(0, x), false),
            },
            Builtin::DecToInt | Builtin::StrToInt => match xb {
                Base::Str => (quote!(#m::dec::parse_int(&#x) #fail), false),
                Base::Dec => (quote!(#m::dec::dec_to_int(#x) #fail), false),
                _ => (quote!(#x), false),
            },
            Builtin::TryDecToInt | Builtin::TryStrToInt => match xb {
                Base::Str => (quote!(#m::dec::try_parse_int(&#x)), true),
                Base::Dec => (quote!(#m::dec::try_dec_to_int(#x)), true),
                _ => (quote!(#x), false),
            },
            Builtin::ToString => {
                let body = match xb {
                    Base::Str => quote!(#x),
                    Base::Dec => quote!(Cow::Owned(#m::text::dec_to_string(&#x))),
                    Base::Int => quote!(Cow::Owned(#m::text::int_to_string(#x))),
                    Base::Bool => quote!(Cow::Borrowed(#m::text::bool_to_string(#x))),
                    Base::Date => quote!(Cow::Owned(#m::time::date_to_string(#x))),
                    Base::DateTime => quote!(Cow::Owned(#m::time::datetime_to_string(&#x))),
                    Base::List => quote!(Cow::Owned(#m::text::list_to_string(&#x))),
                    Base::Null => return Err(self.error("to_string of null")),
                };
                (body, false)
            }
            Builtin::ToDate | Builtin::TryToDate => {
                let fmt = match optional(1) {
                    Some(f) => quote!(&#f),
                    None => quote!(#m::time::DATE_FORMAT),
                };
                if func == Builtin::ToDate {
                    (quote!(#m::time::parse_date(&#x, #fmt) #fail), false)
                } else {
                    (quote!(#m::time::parse_date(&#x, #fmt).ok()), true)
                }
            }
            Builtin::ToDateTime | Builtin::TryToDateTime => {
                let fmt = match optional(1) {
                    Some(f) => quote!(&#f),
                    None => quote!(#m::time::DATETIME_FORMAT),
                };
                let zone = match optional(2) {
                    Some(z) => quote!(&#z),
                    None => quote!("+08:00"),
                };
                if func == Builtin::ToDateTime {
                    (quote!(#m::time::to_datetime(&#x, #fmt, #zone) #fail), false)
                } else {
                    (quote!(#m::time::to_datetime(&#x, #fmt, #zone).ok()), true)
                }
            }
            Builtin::FormatDateTime => {
                let fmt = n(1)?;
                let zone = match optional(2) {
                    Some(z) => quote!(Some(&*#z)),
                    None => quote!(None),
                };
                let call = match xb {
                    Base::Date => quote!(#m::time::format_date(#x, &#fmt)),
                    _ => quote!(#m::time::format_datetime_zone(&#x, &#fmt, #zone)),
                };
                (quote!(Cow::Owned(#call #fail)), false)
            }
            Builtin::FormatDate => {
                let fmt = n(1)?;
                let call = match xb {
                    Base::DateTime => quote!(#m::time::format_datetime(&#x, &#fmt, None)),
                    _ => quote!(#m::time::format_date(#x, &#fmt)),
                };
                (quote!(Cow::Owned(#call #fail)), false)
            }
            Builtin::DateOf => match xb {
                Base::Date => (quote!(#x), false),
                _ => {
                    let zone = match optional(1) {
                        Some(z) => quote!(Some(&*#z)),
                        None => quote!(None),
                    };
                    (quote!(#m::time::date_of_zone(&#x, #zone) #fail), false)
                }
            },
            Builtin::AddDaysDate | Builtin::AddDaysDateTime => {
                let days = n(1)?;
                match xb {
                    Base::Date => (quote!(#m::time::add_days_date(#x, #days) #fail), false),
                    _ => (quote!(#m::time::add_days_datetime(&#x, #days) #fail), false),
                }
            }
            Builtin::Round | Builtin::Truncate => {
                let places = n(1)?;
                let value = as_dec(0, x);
                let f = if func == Builtin::Round {
                    quote!(#m::dec::round)
                } else {
                    quote!(#m::dec::truncate)
                };
                (quote!(#f(#value, #places) #fail), false)
            }
            Builtin::Abs => match xb {
                Base::Int => (
                    quote!(#x
                        .checked_abs()
                        .ok_or_else(|| ValueError::new("internal error: abs overflow"))
                        #fail),
                    false,
                ),
                _ => (quote!(#m::dec::abs(#x)), false),
            },
            Builtin::Min | Builtin::Max => {
                let y = n(1)?;
                let body = match (xb, base(1)) {
                    (Base::Int, Base::Int) => {
                        if func == Builtin::Min {
                            quote!(::core::cmp::min(#x, #y))
                        } else {
                            quote!(::core::cmp::max(#x, #y))
                        }
                    }
                    _ => {
                        let (a, b) = (as_dec(0, x), as_dec(1, y));
                        if func == Builtin::Min {
                            quote!(#m::dec::min_dec(#a, #b))
                        } else {
                            quote!(#m::dec::max_dec(#a, #b))
                        }
                    }
                };
                (body, false)
            }
            Builtin::Trim => (
                quote!(match #x {
                    Cow::Borrowed(text) => Cow::Borrowed(#m::text::trim(text)),
                    Cow::Owned(text) => Cow::Owned(#m::text::trim(&text).to_owned()),
                }),
                false,
            ),
            Builtin::Upper => (quote!(Cow::Owned(#m::text::upper(&#x))), false),
            Builtin::Lower => (quote!(Cow::Owned(#m::text::lower(&#x))), false),
            Builtin::Substring => {
                let start = n(1)?;
                let len = match optional(2) {
                    Some(l) => quote!(Some(#l)),
                    None => quote!(None),
                };
                (
                    quote!(match #x {
                        Cow::Borrowed(text) => Cow::Borrowed(#m::text::substring(text, #start, #len)),
                        Cow::Owned(text) => Cow::Owned(#m::text::substring(&text, #start, #len).to_owned()),
                    }),
                    false,
                )
            }
            Builtin::Replace => {
                let (from, to) = (n(1)?, n(2)?);
                (
                    quote!(Cow::Owned(#m::text::replace(&#x, &#from, &#to))),
                    false,
                )
            }
            Builtin::Split => {
                let sep = n(1)?;
                (quote!(#m::text::split(&#x, &#sep)), false)
            }
            Builtin::Join => {
                let sep = n(1)?;
                (quote!(Cow::Owned(#m::text::join(&#x, &#sep))), false)
            }
            Builtin::Len => (quote!(#m::text::len(&#x)), false),
            Builtin::StartsWith => {
                let p = n(1)?;
                (quote!(#m::text::starts_with(&#x, &#p)), false)
            }
            Builtin::EndsWith => {
                let p = n(1)?;
                (quote!(#m::text::ends_with(&#x, &#p)), false)
            }
            Builtin::Contains => {
                let p = n(1)?;
                (quote!(#m::text::contains(&#x, &#p)), false)
            }
        };
        self.null_propagating(&ops, &names, body, body_is_option)
    }

    fn binary(&self, op: Op, lhs: &Expr, rhs: &Expr, whole: &Expr) -> Gen {
        let m = quote!(::duijie_maplib);
        match op {
            Op::Or | Op::And => {
                let l = self.operand(lhs)?;
                let r = self.operand(rhs)?;
                let (l, r) = (operand_tokens(truthy(&l)), operand_tokens(truthy(&r)));
                Ok(if op == Op::Or {
                    quote!(#l || #r)
                } else {
                    quote!(#l && #r)
                })
            }
            Op::Eq | Op::Ne => {
                let is_null = |e: &Expr| matches!(e.kind, ExprKind::Const(Const::Null));
                let equal = op == Op::Eq;
                if is_null(rhs) || is_null(lhs) {
                    let other = if is_null(rhs) { lhs } else { rhs };
                    let o = self.operand(other)?;
                    let t = operand_tokens(o.tokens);
                    return Ok(match (o.nullable, equal) {
                        (true, true) => quote!(#t.is_none()),
                        (true, false) => quote!(#t.is_some()),
                        (false, _) => {
                            let result = !equal;
                            quote!({
                                let _value = #t;
                                #result
                            })
                        }
                    });
                }
                let any_null = self.nulls.nullable(lhs) || self.nulls.nullable(rhs);
                let l = operand_tokens(self.lifted(lhs, any_null)?);
                let r = operand_tokens(self.lifted(rhs, any_null)?);
                Ok(if equal {
                    quote!(#l == #r)
                } else {
                    quote!(#l != #r)
                })
            }
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let cmp = match op {
                    Op::Lt => quote!(<),
                    Op::Le => quote!(<=),
                    Op::Gt => quote!(>),
                    _ => quote!(>=),
                };
                let l = self.operand(lhs)?;
                let r = self.operand(rhs)?;
                let body = quote!(lhs #cmp rhs);
                let (lt, rt) = (&l.tokens, &r.tokens);
                Ok(match (l.nullable, r.nullable) {
                    (false, false) => {
                        let (lt, rt) = (operand_tokens(lt.clone()), operand_tokens(rt.clone()));
                        quote!(#lt #cmp #rt)
                    }
                    _ => {
                        let lp = if l.nullable {
                            quote!(Some(lhs))
                        } else {
                            quote!(lhs)
                        };
                        let rp = if r.nullable {
                            quote!(Some(rhs))
                        } else {
                            quote!(rhs)
                        };
                        quote!(match (#lt, #rt) {
                            (#lp, #rp) => #body,
                            _ => false,
                        })
                    }
                })
            }
            Op::Coalesce => {
                let l = self.operand(lhs)?;
                if !l.nullable {
                    return Ok(l.tokens);
                }
                let nullable = self.nulls.nullable(whole);
                let r = self.lifted(rhs, nullable)?;
                let lt = operand_tokens(l.tokens);
                let constant = matches!(rhs.kind, ExprKind::Const(_));
                Ok(match (constant, nullable) {
                    (true, false) => quote!(#lt.unwrap_or(#r)),
                    (true, true) => quote!(#lt.or(#r)),
                    (false, false) => quote!(match #lt {
                        Some(value) => value,
                        None => #r,
                    }),
                    (false, true) => quote!(match #lt {
                        Some(value) => Some(value),
                        None => #r,
                    }),
                })
            }
            Op::AddDec
            | Op::SubDec
            | Op::MulDec
            | Op::DivDec
            | Op::AddInt
            | Op::SubInt
            | Op::MulInt => {
                let f = match op {
                    Op::AddDec => quote!(#m::dec::add_dec),
                    Op::SubDec => quote!(#m::dec::sub_dec),
                    Op::MulDec => quote!(#m::dec::mul_dec),
                    Op::DivDec => quote!(#m::dec::div_dec),
                    Op::AddInt => quote!(#m::dec::add_int),
                    Op::SubInt => quote!(#m::dec::sub_int),
                    _ => quote!(#m::dec::mul_int),
                };
                let fail = self.fail();
                let ops = [self.operand(lhs)?, self.operand(rhs)?];
                let names = [quote::format_ident!("lhs"), quote::format_ident!("rhs")];
                self.null_propagating(&ops, &names, quote!(#f(lhs, rhs) #fail), false)
            }
            Op::Concat => {
                let ops = [self.operand(lhs)?, self.operand(rhs)?];
                let names = [quote::format_ident!("lhs"), quote::format_ident!("rhs")];
                self.null_propagating(
                    &ops,
                    &names,
                    quote!(Cow::Owned(#m::text::concat(&lhs, &rhs))),
                    false,
                )
            }
        }
    }

    fn lookup(&self, table: usize, key: &Expr) -> Gen {
        let f = self
            .tables
            .get(table)
            .ok_or_else(|| self.error(format!("table {table} does not exist")))?;
        let t = self
            .scheme
            .tables
            .get(table)
            .ok_or_else(|| self.error(format!("table {table} does not exist")))?;
        let k = self.operand(key)?;
        let value_null = t.entries.iter().any(|(_, v)| *v == Const::Null)
            || t.default.as_ref() == Some(&Const::Null);
        let arg = match t.key {
            Base::Str => quote!(&key),
            _ => quote!(key),
        };
        let call = if t.default.is_some() {
            quote!(#f(#arg))
        } else {
            let fail = self.fail();
            quote!(#f(#arg) #fail)
        };
        let kt = &k.tokens;
        Ok(match (k.nullable, value_null) {
            (false, _) => quote!({
                let key = #kt;
                #call
            }),
            (true, value_null) => single(kt, &format_ident!("key"), call, value_null),
        })
    }

    fn match_(
        &self,
        whole: &Expr,
        scrutinee: &Expr,
        arms: &[(Vec<Const>, Expr)],
        default: Option<&Expr>,
    ) -> Gen {
        let nullable = self.nulls.nullable(whole);
        let s = self.operand(scrutinee)?;
        let st = &s.tokens;
        let base = scrutinee.ty.base;
        // Each arm's literals, without those an earlier arm already takes
        // (the interpreter takes the first arm that fits).
        let mut seen: Vec<&Const> = Vec::new();
        let mut branches: Vec<(Vec<&Const>, TokenStream)> = Vec::new();
        let mut null_arm = None;
        for (consts, value) in arms {
            let mut lits = Vec::new();
            for c in consts {
                if seen.contains(&c) {
                    continue;
                }
                seen.push(c);
                if *c == Const::Null {
                    null_arm = Some(value);
                } else {
                    lits.push(c);
                }
            }
            if !lits.is_empty() {
                branches.push((lits, self.lifted(value, nullable)?));
            }
        }
        let m = quote!(::duijie_maplib);
        let no_match = |shown: TokenStream| {
            let target = lit_str(&self.loc.target);
            let sources = lit_str(&self.loc.sources);
            let at = &self.at;
            quote!(return Err(#at.fail(#target, #sources, #m::error::no_match(#shown))))
        };
        let value = format_ident!("value");
        let fallback_some = match default {
            Some(d) => self.lifted(d, nullable)?,
            None => no_match(show(base, &value)),
        };
        let null_branch = match (null_arm, default) {
            (Some(arm), _) => self.lifted(arm, nullable)?,
            (None, Some(d)) => self.lifted(d, nullable)?,
            (None, None) => no_match(quote!(#m::error::SHOW_NULL)),
        };
        // The match on a non-null `value`.
        let binding = if branches.is_empty() && default.is_some() {
            format_ident!("_value")
        } else {
            value.clone()
        };
        let on_value = if branches.is_empty() {
            fallback_some
        } else if matches!(base, Base::Str | Base::Int | Base::Bool) {
            let subject = if base == Base::Str {
                quote!(&*value)
            } else {
                quote!(value)
            };
            let mut arms_tokens = Vec::new();
            for (lits, v) in &branches {
                let mut pats = Vec::new();
                for c in lits {
                    pats.push(pattern(c).map_err(|m| self.error(m))?);
                }
                arms_tokens.push(quote!(#(#pats)|* => #v,));
            }
            let covered = base == Base::Bool
                && seen.contains(&&Const::Bool(true))
                && seen.contains(&&Const::Bool(false));
            let rest = (!covered).then(|| quote!(_ => #fallback_some,));
            quote!(match #subject {
                #(#arms_tokens)*
                #rest
            })
        } else {
            let mut chain = Vec::new();
            for (lits, v) in &branches {
                let mut tests = Vec::new();
                for c in lits {
                    let c = constant(c).map_err(|m| self.error(m))?;
                    tests.push(quote!(value == #c));
                }
                chain.push(quote!(if #(#tests)||* { #v }));
            }
            quote!(#(#chain else)* { #fallback_some })
        };
        Ok(if s.nullable {
            quote!(match #st {
                Some(#binding) => #on_value,
                None => #null_branch,
            })
        } else {
            quote!({
                let #binding = #st;
                #on_value
            })
        })
    }
}

/// A literal as a pattern (`"1"`, `-3`, `true`).
fn pattern(c: &Const) -> Result<TokenStream, String> {
    Ok(match c {
        Const::Str(s) => {
            let s = lit_str(s);
            quote!(#s)
        }
        Const::Int(i) => {
            let i = Literal::i64_unsuffixed(*i);
            quote!(#i)
        }
        Const::Bool(b) => quote!(#b),
        other => return Err(format!("{other:?} cannot be a pattern")),
    })
}

/// How a value is shown in an error message (`duijie_maplib::error::show_*`).
pub(crate) fn show(base: Base, value: &Ident) -> TokenStream {
    let m = quote!(::duijie_maplib::error);
    match base {
        Base::Str => quote!(&#m::show_str(&#value)),
        Base::Dec => quote!(&#m::show_dec(&#value)),
        Base::Int => quote!(&#m::show_int(#value)),
        Base::Bool => quote!(&#m::show_bool(#value)),
        Base::Date => quote!(&#m::show_date(#value)),
        Base::DateTime => quote!(&#m::show_datetime(&#value)),
        Base::List => quote!(&#m::show_list(&#value)),
        Base::Null => quote!(#m::SHOW_NULL),
    }
}

/// A condition: true only when the value is `true` (null counts as false).
fn truthy(op: &Operand) -> TokenStream {
    if op.nullable {
        let t = operand_tokens(op.tokens.clone());
        quote!(#t == Some(true))
    } else {
        op.tokens.clone()
    }
}

/// `value.map(|name| body)` (or `and_then` when `body` is an `Option`),
/// or a `match` when `body` can leave the function (`?`, `return`).
pub(crate) fn single(
    value: &TokenStream,
    name: &Ident,
    body: TokenStream,
    body_is_option: bool,
) -> TokenStream {
    if exits(&body) {
        let wrapped = if body_is_option {
            body
        } else {
            quote!(Some(#body))
        };
        if compound(value) {
            quote!({
                let #name = #value;
                match #name {
                    Some(#name) => #wrapped,
                    None => None,
                }
            })
        } else {
            quote!(match #value {
                Some(#name) => #wrapped,
                None => None,
            })
        }
    } else {
        let method = if body_is_option {
            quote!(and_then)
        } else {
            quote!(map)
        };
        if compound(value) || needs_parens(value) {
            quote!({
                let #name = #value;
                #name.#method(|#name| #body)
            })
        } else {
            quote!(#value.#method(|#name| #body))
        }
    }
}

/// Whether the tokens can leave the enclosing function: `?`, `return`,
/// `break`, `continue`.
pub(crate) fn exits(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Ident(i) => i == "return" || i == "break" || i == "continue",
        TokenTree::Group(g) => exits(&g.stream()),
        TokenTree::Literal(_) => false,
    })
}

/// Whether the tokens are a block, `match` or `if` expression (which read
/// badly, or not at all, in a condition or before a method call).
pub(crate) fn compound(tokens: &TokenStream) -> bool {
    match tokens.clone().into_iter().next() {
        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Brace,
        Some(TokenTree::Ident(i)) => i == "match" || i == "if" || i == "loop",
        _ => false,
    }
}

/// Whether the tokens need parentheses as an operand: they have an operator
/// at the top level, or are compound.
pub(crate) fn needs_parens(tokens: &TokenStream) -> bool {
    if compound(tokens) {
        return true;
    }
    tokens
        .clone()
        .into_iter()
        .any(|t| matches!(t, TokenTree::Punct(p) if "=<>|&+-*/%^!".contains(p.as_char())))
}

/// Parenthesizes an operand when it needs it.
pub(crate) fn operand_tokens(tokens: TokenStream) -> TokenStream {
    if needs_parens(&tokens) {
        quote!((#tokens))
    } else {
        tokens
    }
}

/// `body` with each operand written in place of its name, when every name
/// occurs exactly once and in operand order (so evaluation order is kept).
fn inline(body: &TokenStream, ops: &[Operand], names: &[Ident]) -> Option<TokenStream> {
    let mut seen = Vec::new();
    occurrences(body, names, &mut seen);
    if seen.len() != names.len() || seen.iter().enumerate().any(|(i, n)| *n != i) {
        return None;
    }
    Some(substitute(body, ops, names))
}

fn occurrences(tokens: &TokenStream, names: &[Ident], out: &mut Vec<usize>) {
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => {
                if let Some(n) = names.iter().position(|n| *n == i) {
                    out.push(n);
                }
            }
            TokenTree::Group(g) => occurrences(&g.stream(), names, out),
            _ => {}
        }
    }
}

fn substitute(tokens: &TokenStream, ops: &[Operand], names: &[Ident]) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let comma = |t: Option<&TokenTree>| match t {
        None => true,
        Some(TokenTree::Punct(p)) => p.as_char() == ',',
        Some(_) => false,
    };
    let mut out = TokenStream::new();
    for (k, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Ident(i) => match names.iter().position(|n| n == i) {
                Some(n) => {
                    // A whole argument needs no parentheses; an operand of
                    // `&`, `.` or an operator does.
                    let before = k.checked_sub(1).and_then(|p| trees.get(p));
                    let whole = comma(before) && comma(trees.get(k + 1));
                    let tokens = ops[n].tokens.clone();
                    out.extend(if whole {
                        tokens
                    } else {
                        operand_tokens(tokens)
                    });
                }
                None => out.extend([t.clone()]),
            },
            TokenTree::Group(g) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), substitute(&g.stream(), ops, names));
                group.set_span(g.span());
                out.extend([TokenTree::Group(group)]);
            }
            other => out.extend([other.clone()]),
        }
    }
    out
}

/// The statements of a block expression (`{ a; b }` → `a; b`), to put in
/// another block without doubling the braces; other tokens as they are.
pub(crate) fn unbraced(tokens: TokenStream) -> TokenStream {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Brace => g.stream(),
        _ => tokens,
    }
}
