//! Calls of built-in functions. The arguments are bound to `arg0`, `arg1`,
//! … and the call is null when any of them is (see
//! [`ExprGen::null_propagating`]); each family of functions (conversions,
//! time, numbers, text) writes the body computed from the bound arguments.
//! `is_null` and `is_empty` see null themselves.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{operand_tokens, ExprGen, Generated, Operand};
use crate::codegen::CodegenError;
use crate::model::{Base, Builtin, Expr};

/// What a function computes from its bound arguments.
struct Body {
    tokens: TokenStream,
    /// The tokens are an `Option` already (a `try_…` function).
    is_option: bool,
}

impl Body {
    fn value(tokens: TokenStream) -> Body {
        Body {
            tokens,
            is_option: false,
        }
    }

    fn option(tokens: TokenStream) -> Body {
        Body {
            tokens,
            is_option: true,
        }
    }
}

type BodyResult = Result<Body, CodegenError>;

/// One call being generated: the function, its arguments and the
/// variables they are bound to.
struct Call<'c, 'g> {
    gen: &'c ExprGen<'g>,
    func: Builtin,
    args: &'c [Expr],
    names: Vec<Ident>,
    /// `.map_err(…)?` for a failure of the function.
    fail: TokenStream,
}

impl ExprGen<'_> {
    pub(super) fn call(&self, func: Builtin, args: &[Expr]) -> Generated {
        if func == Builtin::Fail {
            return self.fail_call(args);
        }
        let mut ops = Vec::new();
        for a in args {
            ops.push(self.operand(a)?);
        }
        let call = Call {
            gen: self,
            func,
            args,
            names: (0..ops.len()).map(|i| format_ident!("arg{i}")).collect(),
            fail: self.fail(),
        };
        // Every function takes an argument.
        let first = ops.first().ok_or_else(|| call.missing(0))?;
        let body = match func {
            Builtin::IsNull => return Ok(is_null(first)),
            Builtin::Fail => return self.fail_call(args),
            Builtin::IsEmpty => return Ok(is_empty(first, call.base(0))),
            Builtin::IntToDec => Body::value(call.as_dec(0, call.arg(0)?)),
            Builtin::StrToDec | Builtin::TryStrToDec => call.to_dec()?,
            Builtin::DecToInt | Builtin::StrToInt | Builtin::TryDecToInt | Builtin::TryStrToInt => {
                call.to_int()?
            }
            Builtin::ToString => call.to_string()?,
            Builtin::ToDate | Builtin::TryToDate => call.parse_date()?,
            Builtin::ToDateTime | Builtin::TryToDateTime => call.parse_datetime()?,
            Builtin::FormatDateTime => call.format_datetime()?,
            Builtin::FormatDate => call.format_date()?,
            Builtin::DateOf => call.date_of()?,
            Builtin::AddDaysDate | Builtin::AddDaysDateTime => call.add_days()?,
            Builtin::Round | Builtin::Truncate => call.round()?,
            Builtin::Abs => call.abs()?,
            Builtin::Min | Builtin::Max => call.min_max()?,
            Builtin::Trim => call.trim()?,
            Builtin::Substring => call.substring()?,
            Builtin::Upper
            | Builtin::Lower
            | Builtin::Replace
            | Builtin::Split
            | Builtin::Join
            | Builtin::Len
            | Builtin::StartsWith
            | Builtin::EndsWith
            | Builtin::Contains => call.text()?,
        };
        self.null_propagating(&ops, &call.names, body.tokens, body.is_option)
    }
}

/// `is_null(x)`.
fn is_null(x: &Operand) -> TokenStream {
    let t = &x.tokens;
    if x.nullable {
        let t = operand_tokens(t.clone());
        quote!(#t.is_none())
    } else {
        quote!({
            let _value = #t;
            false
        })
    }
}

/// `is_empty(x)`: null, or an empty string or list.
fn is_empty(x: &Operand, base: Base) -> TokenStream {
    let m = quote!(::duijie_maplib);
    let t = operand_tokens(x.tokens.clone());
    match (x.nullable, base) {
        (true, Base::Str) => quote!(#t.as_deref().is_none_or(#m::text::is_empty)),
        (false, Base::Str) => quote!(#m::text::is_empty(&#t)),
        (true, Base::List) => quote!(#t.as_ref().is_none_or(Vec::is_empty)),
        (false, Base::List) => quote!(#t.is_empty()),
        (true, _) => quote!(#t.is_none()),
        (false, _) => quote!({
            let _value = #t;
            false
        }),
    }
}

impl Call<'_, '_> {
    /// The variable of argument `i`, which the function needs.
    fn arg(&self, i: usize) -> Result<&Ident, CodegenError> {
        self.names.get(i).ok_or_else(|| self.missing(i))
    }

    /// The error for a call without argument `i`.
    fn missing(&self, i: usize) -> CodegenError {
        self.gen.error(format!(
            "{:?} needs at least {} arguments",
            self.func,
            i + 1
        ))
    }

    /// The variable of an optional argument.
    fn optional(&self, i: usize) -> Option<&Ident> {
        self.names.get(i)
    }

    /// The base type of argument `i` (null when there is none).
    fn base(&self, i: usize) -> Base {
        self.args.get(i).map_or(Base::Null, |a| a.ty.base)
    }

    /// Argument `i`, bound to `name`, as a decimal (an int is widened).
    fn as_dec(&self, i: usize, name: &Ident) -> TokenStream {
        match self.base(i) {
            Base::Int => quote!(::duijie_maplib::dec::int_to_dec(#name)),
            _ => quote!(#name),
        }
    }

    // ---------------------------------------------------------- conversions

    /// `to_decimal` / `try_decimal` (the checker widens ints itself).
    fn to_dec(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        Ok(match (self.base(0), self.func) {
            (Base::Str, Builtin::StrToDec) => {
                Body::value(quote!(::duijie_maplib::dec::parse_dec(&#x) #fail))
            }
            (Base::Str, _) => Body::option(quote!(::duijie_maplib::dec::try_parse_dec(&#x))),
            _ => Body::value(self.as_dec(0, x)),
        })
    }

    /// `to_int` / `try_int` of text or a decimal.
    fn to_int(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let m = quote!(::duijie_maplib);
        let trying = matches!(self.func, Builtin::TryDecToInt | Builtin::TryStrToInt);
        Ok(match (self.base(0), trying) {
            (Base::Str, false) => Body::value(quote!(#m::dec::parse_int(&#x) #fail)),
            (Base::Dec, false) => Body::value(quote!(#m::dec::dec_to_int(#x) #fail)),
            (Base::Str, true) => Body::option(quote!(#m::dec::try_parse_int(&#x))),
            (Base::Dec, true) => Body::option(quote!(#m::dec::try_dec_to_int(#x))),
            _ => Body::value(quote!(#x)),
        })
    }

    fn to_string(&self) -> BodyResult {
        let x = self.arg(0)?;
        let m = quote!(::duijie_maplib);
        Ok(Body::value(match self.base(0) {
            Base::Str => quote!(#x),
            Base::Dec => quote!(Cow::Owned(#m::text::dec_to_string(&#x))),
            Base::Int => quote!(Cow::Owned(#m::text::int_to_string(#x))),
            Base::Bool => quote!(Cow::Borrowed(#m::text::bool_to_string(#x))),
            Base::Date => quote!(Cow::Owned(#m::time::date_to_string(#x))),
            Base::DateTime => quote!(Cow::Owned(#m::time::datetime_to_string(&#x))),
            Base::List => quote!(Cow::Owned(#m::text::list_to_string(&#x))),
            Base::Null => return Err(self.gen.error("to_string of null")),
        }))
    }

    // ----------------------------------------------------------------- time

    /// `to_date` / `try_date`, in the given format or `%Y-%m-%d`.
    fn parse_date(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let m = quote!(::duijie_maplib);
        let fmt = match self.optional(1) {
            Some(f) => quote!(&#f),
            None => quote!(#m::time::DATE_FORMAT),
        };
        Ok(if self.func == Builtin::ToDate {
            Body::value(quote!(#m::time::parse_date(&#x, #fmt) #fail))
        } else {
            Body::option(quote!(#m::time::parse_date(&#x, #fmt).ok()))
        })
    }

    /// `to_datetime` / `try_datetime`, in the given format and zone.
    fn parse_datetime(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let m = quote!(::duijie_maplib);
        let fmt = match self.optional(1) {
            Some(f) => quote!(&#f),
            None => quote!(#m::time::DATETIME_FORMAT),
        };
        let zone = match self.optional(2) {
            Some(z) => quote!(&#z),
            None => quote!("+08:00"),
        };
        Ok(if self.func == Builtin::ToDateTime {
            Body::value(quote!(#m::time::to_datetime(&#x, #fmt, #zone) #fail))
        } else {
            Body::option(quote!(#m::time::to_datetime(&#x, #fmt, #zone).ok()))
        })
    }

    /// `format_datetime(t, format[, zone])` of a date-time, or of a date
    /// (which has no zone).
    fn format_datetime(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let fmt = self.arg(1)?;
        let m = quote!(::duijie_maplib);
        let zone = match self.optional(2) {
            Some(z) => quote!(Some(&*#z)),
            None => quote!(None),
        };
        let call = match self.base(0) {
            Base::Date => quote!(#m::time::format_date(#x, &#fmt)),
            _ => quote!(#m::time::format_datetime_zone(&#x, &#fmt, #zone)),
        };
        Ok(Body::value(quote!(Cow::Owned(#call #fail))))
    }

    /// `format_datetime(d, format)` where the checker found a date.
    fn format_date(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let fmt = self.arg(1)?;
        let m = quote!(::duijie_maplib);
        let call = match self.base(0) {
            Base::DateTime => quote!(#m::time::format_datetime(&#x, &#fmt, None)),
            _ => quote!(#m::time::format_date(#x, &#fmt)),
        };
        Ok(Body::value(quote!(Cow::Owned(#call #fail))))
    }

    /// `date(x[, zone])`: the date of a date-time.
    fn date_of(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        Ok(Body::value(match self.base(0) {
            Base::Date => quote!(#x),
            _ => {
                let zone = match self.optional(1) {
                    Some(z) => quote!(Some(&*#z)),
                    None => quote!(None),
                };
                quote!(::duijie_maplib::time::date_of_zone(&#x, #zone) #fail)
            }
        }))
    }

    fn add_days(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let days = self.arg(1)?;
        let m = quote!(::duijie_maplib);
        Ok(Body::value(match self.base(0) {
            Base::Date => quote!(#m::time::add_days_date(#x, #days) #fail),
            _ => quote!(#m::time::add_days_datetime(&#x, #days) #fail),
        }))
    }

    // -------------------------------------------------------------- numbers

    /// `round` / `truncate` to a number of places.
    fn round(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        let places = self.arg(1)?;
        let value = self.as_dec(0, x);
        let f = if self.func == Builtin::Round {
            quote!(::duijie_maplib::dec::round)
        } else {
            quote!(::duijie_maplib::dec::truncate)
        };
        Ok(Body::value(quote!(#f(#value, #places) #fail)))
    }

    fn abs(&self) -> BodyResult {
        let (x, fail) = (self.arg(0)?, &self.fail);
        Ok(Body::value(match self.base(0) {
            Base::Int => quote!(#x
                .checked_abs()
                .ok_or_else(|| ValueError::new("internal error: abs overflow"))
                #fail),
            _ => quote!(::duijie_maplib::dec::abs(#x)),
        }))
    }

    /// `min` / `max`: of integers as integers, else as decimals.
    fn min_max(&self) -> BodyResult {
        let (x, y) = (self.arg(0)?, self.arg(1)?);
        let min = self.func == Builtin::Min;
        Ok(Body::value(match (self.base(0), self.base(1)) {
            (Base::Int, Base::Int) if min => quote!(::core::cmp::min(#x, #y)),
            (Base::Int, Base::Int) => quote!(::core::cmp::max(#x, #y)),
            _ => {
                let (a, b) = (self.as_dec(0, x), self.as_dec(1, y));
                if min {
                    quote!(::duijie_maplib::dec::min_dec(#a, #b))
                } else {
                    quote!(::duijie_maplib::dec::max_dec(#a, #b))
                }
            }
        }))
    }

    // ----------------------------------------------------------------- text

    /// `trim(x)`, borrowing from `x` when `x` is borrowed.
    fn trim(&self) -> BodyResult {
        let x = self.arg(0)?;
        let m = quote!(::duijie_maplib);
        Ok(Body::value(quote!(match #x {
            Cow::Borrowed(text) => Cow::Borrowed(#m::text::trim(text)),
            Cow::Owned(text) => Cow::Owned(#m::text::trim(&text).to_owned()),
        })))
    }

    /// `substring(x, start[, len])`, borrowing from `x` when `x` is borrowed.
    fn substring(&self) -> BodyResult {
        let x = self.arg(0)?;
        let start = self.arg(1)?;
        let m = quote!(::duijie_maplib);
        let len = match self.optional(2) {
            Some(l) => quote!(Some(#l)),
            None => quote!(None),
        };
        Ok(Body::value(quote!(match #x {
            Cow::Borrowed(text) => Cow::Borrowed(#m::text::substring(text, #start, #len)),
            Cow::Owned(text) => Cow::Owned(#m::text::substring(&text, #start, #len).to_owned()),
        })))
    }

    /// The other text functions: one `duijie_maplib::text` call each.
    fn text(&self) -> BodyResult {
        let x = self.arg(0)?;
        let m = quote!(::duijie_maplib);
        Ok(Body::value(match self.func {
            Builtin::Upper => quote!(Cow::Owned(#m::text::upper(&#x))),
            Builtin::Lower => quote!(Cow::Owned(#m::text::lower(&#x))),
            Builtin::Len => quote!(#m::text::len(&#x)),
            Builtin::Replace => {
                let (from, to) = (self.arg(1)?, self.arg(2)?);
                quote!(Cow::Owned(#m::text::replace(&#x, &#from, &#to)))
            }
            Builtin::Split => {
                let sep = self.arg(1)?;
                quote!(#m::text::split(&#x, &#sep))
            }
            Builtin::Join => {
                let sep = self.arg(1)?;
                quote!(Cow::Owned(#m::text::join(&#x, &#sep)))
            }
            Builtin::StartsWith => {
                let p = self.arg(1)?;
                quote!(#m::text::starts_with(&#x, &#p))
            }
            Builtin::EndsWith => {
                let p = self.arg(1)?;
                quote!(#m::text::ends_with(&#x, &#p))
            }
            Builtin::Contains => {
                let p = self.arg(1)?;
                quote!(#m::text::contains(&#x, &#p))
            }
            other => return Err(self.gen.error(format!("{other:?} is not a text function"))),
        }))
    }
}

impl ExprGen<'_> {
    /// `error(message)`: the record fails here with the message.
    fn fail_call(&self, args: &[Expr]) -> Generated {
        let m = args
            .first()
            .ok_or_else(|| self.error("`error` without a message"))?;
        let op = self.operand(m)?;
        let t = &op.tokens;
        let text = if op.nullable {
            quote!((#t).map(::std::string::String::from).unwrap_or_default())
        } else {
            quote!(::std::string::String::from(#t))
        };
        let target = crate::codegen::lit_str(&self.loc.target);
        let source = crate::codegen::lit_str(&self.loc.sources);
        let at = &self.at;
        Ok(quote!(return Err(#at.fail(#target, #source, ValueError::new(#text)))))
    }
}
