//! Constants and types as Rust: the type of each base type, constants as
//! expressions (decimals checked so that they cannot panic at run time),
//! literals as patterns, and how a value is shown in an error message.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use crate::codegen::lit_str;
use crate::model::{Base, Const};

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

/// A literal as a pattern (`"1"`, `-3`, `true`).
pub(crate) fn pattern(c: &Const) -> Result<TokenStream, String> {
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
