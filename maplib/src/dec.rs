//! Exact decimals and 64-bit integers: parsing, arithmetic, rounding.
//!
//! Decimals are [`rust_decimal::Decimal`]: a 96-bit integer and a scale of
//! 0 to 28 decimal places. A decimal keeps its scale (`10.0000` stays
//! `10.0000`), and zero is never negative: every function here returns `0`,
//! never `-0`, so `-0.00` is read and written as `0.00`.
//!
//! # Text accepted as a decimal
//!
//! `[+-]digits[.digits][(e|E)[+-]digits]`, nothing around it (no spaces, no
//! thousands separators, no `.5` or `5.`). The value is exact: the scale is
//! the number of fraction digits less the exponent (`1.50` has scale 2,
//! `1.5e-3` is `0.0015`, `1.5e3` is `1500`). Text with more than 28 decimal
//! places is accepted only when the places beyond 28 are zeros (they are
//! dropped); more significant digits than a `Decimal` holds (about 28) is an
//! error, never a silent rounding.
//!
//! # Arithmetic
//!
//! Addition and subtraction are exact; the scale of the result is the larger
//! scale. A product has the sum of the scales. A result that needs more
//! than 28 significant digits (possible only with operands of many digits,
//! such as a quotient) is rounded to fit, as rust_decimal does (half to
//! even): `1/3 * 3` is `0.9999999999999999999999999999`. Division keeps 28
//! significant digits. Overflow and division by zero are errors. Integer
//! arithmetic is checked (overflow is an error).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{quote, ValueError};

/// The largest scale a decimal can have.
pub const MAX_SCALE: u32 = 28;

/// What fits in a decimal, in the words errors use (docs/language.md
/// states the same rule): every number of up to 28 digits fits, some of 29.
pub const FITS: &str = "a decimal holds at most 28 digits after the point, and its digits read \
     without the point must be below 2^96 = 79228162514264337593543950336";

/// Turns `-0` into `0` (keeping the scale).
#[inline]
fn norm(mut d: Decimal) -> Decimal {
    if d.is_zero() && d.is_sign_negative() {
        d.set_sign_positive(true);
    }
    d
}

fn overflow() -> ValueError {
    ValueError::new("decimal overflow: the result does not fit in 28 digits")
}

fn not_a_decimal(text: &str) -> ValueError {
    ValueError::new(format!("{} is not a decimal", quote(text)))
}

/// Parses decimal text (see the module documentation for the syntax).
pub fn parse_dec(text: &str) -> Result<Decimal, ValueError> {
    match parse_short_dec(text.as_bytes()) {
        Some(d) => Ok(d),
        None => parse_any_dec(text),
    }
}

/// The common case of [`parse_dec`] in 64 bits: `[+-]digits[.digits]` with
/// at most 19 digits in all. `None` for anything else (then the general
/// parser decides). The same value and scale as the general parser.
#[inline]
fn parse_short_dec(b: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match b.first()? {
        b'-' => (true, b.get(1..)?),
        b'+' => (false, b.get(1..)?),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0u32;
    let mut point: Option<u32> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if count == 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
            }
            b'.' if point.is_none() && count > 0 => point = Some(count),
            _ => return None,
        }
    }
    let scale = match point {
        Some(p) if p == count => return None,
        Some(p) => count - p,
        None => 0,
    };
    if count == 0 {
        return None;
    }
    let signed = if negative {
        -i128::from(mantissa)
    } else {
        i128::from(mantissa)
    };
    Decimal::try_from_i128_with_scale(signed, scale)
        .ok()
        .map(norm)
}

/// [`parse_dec`] of any text: exponents, many digits, the errors.
fn parse_any_dec(text: &str) -> Result<Decimal, ValueError> {
    let b = text.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // Mantissa digits, as an integer; `frac` counts the fraction digits in
    // it. Zeros are held back in `zeros` until a non-zero digit follows, so
    // that trailing zeros beyond what a decimal holds can be dropped.
    let mut acc = Acc::default();
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        acc.push(b[i] - b'0', false);
        i += 1;
    }
    if i == start {
        return Err(not_a_decimal(text));
    }
    acc.flush(false);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fstart = i;
        while i < b.len() && b[i].is_ascii_digit() {
            acc.push(b[i] - b'0', true);
            i += 1;
        }
        if i == fstart {
            return Err(not_a_decimal(text));
        }
        // Trailing fraction zeros: kept while they fit.
        while acc.zeros > 0 && acc.mantissa * 10 < (1u128 << 96) {
            acc.mantissa *= 10;
            acc.frac += 1;
            acc.zeros -= 1;
        }
    }
    let Acc {
        mut mantissa,
        frac,
        too_long,
        ..
    } = acc;
    let mut exp: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let estart = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if exp < 1_000_000 {
                exp = exp * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == estart {
            return Err(not_a_decimal(text));
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(not_a_decimal(text));
    }
    if too_long {
        return Err(ValueError::new(format!(
            "{} has too many digits: {FITS}",
            quote(text)
        )));
    }
    let mut scale = frac - exp;
    // Places beyond 28 are accepted when they are zeros.
    while scale > i64::from(MAX_SCALE) && mantissa % 10 == 0 && mantissa != 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if mantissa == 0 && scale > i64::from(MAX_SCALE) {
        scale = i64::from(MAX_SCALE);
    }
    if scale > i64::from(MAX_SCALE) {
        return Err(ValueError::new(format!(
            "{} has more than 28 decimal places: {FITS}",
            quote(text)
        )));
    }
    if scale < 0 {
        // Multiply the mantissa by 10^-scale.
        for _ in 0..(-scale) {
            mantissa = match mantissa.checked_mul(10) {
                Some(m) if m < (1u128 << 96) => m,
                _ if mantissa == 0 => 0,
                _ => {
                    return Err(ValueError::new(format!(
                        "{} is out of the decimal range: {FITS}",
                        quote(text)
                    )))
                }
            };
            if mantissa == 0 {
                break;
            }
        }
        scale = 0;
    }
    if mantissa >= (1u128 << 96) {
        return Err(ValueError::new(format!(
            "{} is out of the decimal range: {FITS}",
            quote(text)
        )));
    }
    // mantissa < 2^96 fits in i128; the scale is 0..=28.
    let signed = if negative {
        -(mantissa as i128)
    } else {
        mantissa as i128
    };
    match Decimal::try_from_i128_with_scale(signed, scale as u32) {
        Ok(d) => Ok(norm(d)),
        Err(_) => Err(ValueError::new(format!(
            "{} is out of the decimal range: {FITS}",
            quote(text)
        ))),
    }
}

#[derive(Default)]
struct Acc {
    mantissa: u128,
    frac: i64,
    zeros: i64,
    too_long: bool,
}

impl Acc {
    fn push(&mut self, digit: u8, fraction: bool) {
        if digit == 0 {
            self.zeros += 1;
            return;
        }
        self.flush(fraction);
        self.append(u128::from(digit), fraction);
    }

    fn flush(&mut self, fraction: bool) {
        while self.zeros > 0 {
            self.zeros -= 1;
            self.append(0, fraction);
        }
    }

    fn append(&mut self, digit: u128, fraction: bool) {
        if self.too_long {
            return;
        }
        let next = self.mantissa * 10 + digit;
        if next >= (1u128 << 96) {
            self.too_long = true;
        } else {
            self.mantissa = next;
            if fraction {
                self.frac += 1;
            }
        }
    }
}

/// Like [`parse_dec`], but `None` instead of an error (`try_decimal`).
pub fn try_parse_dec(text: &str) -> Option<Decimal> {
    parse_dec(text).ok()
}

/// Parses integer text: `[+-]digits`, or any decimal text whose value is a
/// whole number (`"3.0000"` is 3). A fraction or a value outside 64 bits is
/// an error.
pub fn parse_int(text: &str) -> Result<i64, ValueError> {
    let b = text.as_bytes();
    // Fast path: plain digits.
    if !b.is_empty() && b.len() <= 18 {
        let (neg, digits) = match b[0] {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let mut v: i64 = 0;
            for d in digits {
                v = v * 10 + i64::from(d - b'0');
            }
            return Ok(if neg { -v } else { v });
        }
    }
    match parse_dec(text) {
        Ok(d) => dec_to_int(d).map_err(|e| {
            ValueError::new(format!("{} is not an integer: {}", quote(text), e.reason))
        }),
        Err(_) => Err(ValueError::new(format!(
            "{} is not an integer",
            quote(text)
        ))),
    }
}

/// Like [`parse_int`], but `None` instead of an error (`try_int`).
pub fn try_parse_int(text: &str) -> Option<i64> {
    parse_int(text).ok()
}

/// `int → dec` (exact: every 64-bit integer is a decimal).
#[inline]
pub fn int_to_dec(i: i64) -> Decimal {
    Decimal::from(i)
}

/// `dec → int`: fails on a fraction (`12.50`) or outside 64 bits; `12.00` is 12.
pub fn dec_to_int(d: Decimal) -> Result<i64, ValueError> {
    if !d.fract().is_zero() {
        return Err(ValueError::new(format!("{d} has a fraction")));
    }
    d.trunc()
        .to_i64()
        .ok_or_else(|| ValueError::new(format!("{d} is out of the integer range")))
}

/// Like [`dec_to_int`], but `None` instead of an error.
pub fn try_dec_to_int(d: Decimal) -> Option<i64> {
    dec_to_int(d).ok()
}

pub fn add_dec(a: Decimal, b: Decimal) -> Result<Decimal, ValueError> {
    a.checked_add(b).map(norm).ok_or_else(overflow)
}

pub fn sub_dec(a: Decimal, b: Decimal) -> Result<Decimal, ValueError> {
    a.checked_sub(b).map(norm).ok_or_else(overflow)
}

/// `a * b`. A zero product keeps the sum of the scales too (`0.00 * 3` is
/// `0.00`).
pub fn mul_dec(a: Decimal, b: Decimal) -> Result<Decimal, ValueError> {
    let r = a.checked_mul(b).ok_or_else(overflow)?;
    if r.is_zero() {
        return Ok(Decimal::new(0, (a.scale() + b.scale()).min(MAX_SCALE)));
    }
    Ok(r)
}

/// `a / b`: 28 significant digits; division by zero is an error.
pub fn div_dec(a: Decimal, b: Decimal) -> Result<Decimal, ValueError> {
    if b.is_zero() {
        return Err(ValueError::new("division by zero"));
    }
    a.checked_div(b).map(norm).ok_or_else(overflow)
}

/// `-a` (never fails: the decimal range is symmetric).
pub fn neg_dec(a: Decimal) -> Decimal {
    norm(-a)
}

pub fn add_int(a: i64, b: i64) -> Result<i64, ValueError> {
    a.checked_add(b).ok_or_else(int_overflow)
}

pub fn sub_int(a: i64, b: i64) -> Result<i64, ValueError> {
    a.checked_sub(b).ok_or_else(int_overflow)
}

pub fn mul_int(a: i64, b: i64) -> Result<i64, ValueError> {
    a.checked_mul(b).ok_or_else(int_overflow)
}

pub fn neg_int(a: i64) -> Result<i64, ValueError> {
    a.checked_neg().ok_or_else(int_overflow)
}

fn int_overflow() -> ValueError {
    ValueError::new("integer overflow: the result does not fit in 64 bits")
}

/// `round(x, n)`: rounds half away from zero (四舍五入) to `n` places and
/// writes exactly `n` places (`round(10, 2)` is `10.00`; as many as fit when
/// the value has too many digits for `n`). `n` above 28 is 28;
/// a negative `n` rounds to tens, hundreds, … (`round(1250, -2)` is `1300`).
/// Fails only when rounding up overflows.
pub fn round(x: Decimal, places: i64) -> Result<Decimal, ValueError> {
    if places < 0 {
        return to_power(x, places, RoundingStrategy::MidpointAwayFromZero);
    }
    let n = places.min(i64::from(MAX_SCALE)) as u32;
    let mut r = x.round_dp_with_strategy(n, RoundingStrategy::MidpointAwayFromZero);
    if r.scale() < n {
        r.rescale(n);
    }
    Ok(norm(r))
}

/// `truncate(x, n)`: cuts to `n` places (towards zero) and writes exactly `n`
/// places; `n` as for [`round`].
pub fn truncate(x: Decimal, places: i64) -> Result<Decimal, ValueError> {
    if places < 0 {
        return to_power(x, places, RoundingStrategy::ToZero);
    }
    let n = places.min(i64::from(MAX_SCALE)) as u32;
    let mut r = x.trunc_with_scale(n);
    if r.scale() < n {
        r.rescale(n);
    }
    Ok(norm(r))
}

/// Rounds to a multiple of 10^-places (places < 0), scale 0.
fn to_power(x: Decimal, places: i64, strategy: RoundingStrategy) -> Result<Decimal, ValueError> {
    if places < -28 {
        // Every decimal is below 10^29: the result is 0, or 10^29 (overflow)
        // when rounding up from at least half of it.
        let half = Decimal::from_i128_with_scale(5 * 10_i128.pow(28), 0);
        return match strategy {
            RoundingStrategy::MidpointAwayFromZero if x.abs() >= half && places == -29 => {
                Err(overflow())
            }
            _ => Ok(Decimal::ZERO),
        };
    }
    let k = (-places) as u32;
    let p = Decimal::from_i128_with_scale(10_i128.pow(k), 0);
    let q = x.checked_div(p).ok_or_else(overflow)?;
    let q = q.round_dp_with_strategy(0, strategy);
    let r = q.checked_mul(p).ok_or_else(overflow)?;
    let mut r = norm(r);
    r.rescale(0);
    Ok(r)
}

pub fn abs(x: Decimal) -> Decimal {
    norm(x.abs())
}

/// The smaller of two decimals; `a` when they are equal (`min(1.0, 1.00)` is `1.0`).
pub fn min_dec(a: Decimal, b: Decimal) -> Decimal {
    if b < a {
        b
    } else {
        a
    }
}

/// The larger of two decimals; `a` when they are equal.
pub fn max_dec(a: Decimal, b: Decimal) -> Decimal {
    if b > a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_short_parser_agrees_with_the_general_one(
            text in "[+-]?[0-9]{0,21}(\\.[0-9]{0,21})?|[+-.0-9eE]{0,8}",
        ) {
            if let Some(d) = parse_short_dec(text.as_bytes()) {
                let general = parse_any_dec(&text).unwrap();
                proptest::prop_assert_eq!(d, general);
                proptest::prop_assert_eq!(d.to_string(), general.to_string());
            }
        }
    }

    #[test]
    fn short_decimals() {
        for t in [
            "10.0000",
            "-0.00",
            "+1.5",
            "0",
            "9999999999999999999",
            "1234567890.123456789",
        ] {
            assert_eq!(
                parse_short_dec(t.as_bytes()),
                Some(parse_any_dec(t).unwrap()),
                "{t}"
            );
        }
        for t in [
            "",
            "-",
            ".5",
            "5.",
            "1e3",
            "1.2.3",
            "99999999999999999999",
            "1,0",
        ] {
            assert_eq!(parse_short_dec(t.as_bytes()), None, "{t}");
        }
    }

    fn d(s: &str) -> Decimal {
        parse_dec(s).unwrap()
    }

    #[test]
    fn parses_exact_text() {
        for (text, shown) in [
            ("10.0000", "10.0000"),
            ("946.9436", "946.9436"),
            ("0", "0"),
            ("-0.00", "0.00"),
            ("+5", "5"),
            ("007.50", "7.50"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("1.50e1", "15.0"),
            ("12e-2", "0.12"),
            ("0e-40", "0.0000000000000000000000000000"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "-79228162514264337593543950335",
                "-79228162514264337593543950335",
            ),
            (
                "0.1000000000000000000000000000000",
                "0.1000000000000000000000000000",
            ),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
        ] {
            assert_eq!(d(text).to_string(), shown, "{text}");
        }
    }

    #[test]
    fn rejects_bad_text() {
        for text in [
            "", "abc", " 1", "1 ", "1,000", ".5", "5.", "1e", "e3", "--1", "1.2.3", "0x10", "NaN",
            "inf", "１２",
        ] {
            assert!(parse_dec(text).is_err(), "{text:?}");
        }
        assert_eq!(
            parse_dec("abc").unwrap_err().reason,
            "\"abc\" is not a decimal"
        );
        assert!(parse_dec("79228162514264337593543950336")
            .unwrap_err()
            .reason
            .contains("too many digits"));
        assert!(parse_dec("1e29").unwrap_err().reason.contains("range"));
        assert!(parse_dec("0.00000000000000000000000000001")
            .unwrap_err()
            .reason
            .contains("28 decimal places"));
        assert!(parse_dec("1e-99999999999").is_err());
        assert!(parse_dec("1e99999999999").is_err());
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int("42").unwrap(), 42);
        assert_eq!(parse_int("-7").unwrap(), -7);
        assert_eq!(parse_int("3.0000").unwrap(), 3);
        assert_eq!(parse_int("9223372036854775807").unwrap(), i64::MAX);
        assert_eq!(parse_int("-9223372036854775808").unwrap(), i64::MIN);
        assert!(parse_int("9223372036854775808").is_err());
        assert_eq!(
            parse_int("3.5").unwrap_err().reason,
            "\"3.5\" is not an integer: 3.5 has a fraction"
        );
        assert_eq!(
            parse_int("x").unwrap_err().reason,
            "\"x\" is not an integer"
        );
        assert!(parse_int("").is_err());
        assert_eq!(dec_to_int(d("12.00")).unwrap(), 12);
        assert!(dec_to_int(d("12.50")).is_err());
        assert_eq!(try_dec_to_int(d("1e20")), None);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(
            add_dec(d("10.0000"), d("0.5")).unwrap().to_string(),
            "10.5000"
        );
        assert_eq!(sub_dec(d("1.5"), d("1.5")).unwrap().to_string(), "0.0");
        assert_eq!(sub_dec(d("-1.5"), d("-1.5")).unwrap().to_string(), "0.0");
        assert_eq!(
            mul_dec(d("10.0000"), d("2.50")).unwrap().to_string(),
            "25.000000"
        );
        assert_eq!(mul_dec(d("-0.00"), d("3")).unwrap().to_string(), "0.00");
        assert_eq!(
            div_dec(d("1"), d("3")).unwrap().to_string(),
            "0.3333333333333333333333333333"
        );
        assert_eq!(div_dec(d("10"), d("4")).unwrap().to_string(), "2.50");
        assert_eq!(
            div_dec(d("946.9436"), d("10.0000")).unwrap().to_string(),
            "94.69436"
        );
        assert_eq!(
            div_dec(d("1"), d("0.000")).unwrap_err().reason,
            "division by zero"
        );
        let max = Decimal::MAX;
        assert!(add_dec(max, d("1")).is_err());
        assert!(mul_dec(max, d("2")).is_err());
        assert!(div_dec(max, d("0.1")).is_err());
        assert_eq!(neg_dec(d("0.00")).to_string(), "0.00");
        assert_eq!(neg_dec(d("1.20")).to_string(), "-1.20");
        assert!(add_int(i64::MAX, 1).is_err());
        assert!(mul_int(i64::MIN, -1).is_err());
        assert!(neg_int(i64::MIN).is_err());
        assert_eq!(sub_int(5, 7).unwrap(), -2);
    }

    #[test]
    fn rounding() {
        let r = |x: &str, n| round(d(x), n).unwrap().to_string();
        assert_eq!(r("2.345", 2), "2.35");
        assert_eq!(r("2.355", 2), "2.36");
        assert_eq!(r("-2.345", 2), "-2.35");
        assert_eq!(r("2.5", 0), "3");
        assert_eq!(r("-2.5", 0), "-3");
        assert_eq!(r("10", 2), "10.00");
        assert_eq!(r("-0.004", 2), "0.00");
        assert_eq!(r("1.23", 40), "1.2300000000000000000000000000");
        assert_eq!(r("1250", -2), "1300");
        assert_eq!(r("-1250", -2), "-1300");
        assert_eq!(r("1249.99", -2), "1200");
        assert_eq!(r("123", -40), "0");
        let t = |x: &str, n| truncate(d(x), n).unwrap().to_string();
        assert_eq!(t("2.349", 2), "2.34");
        assert_eq!(t("-2.349", 2), "-2.34");
        assert_eq!(t("7", 3), "7.000");
        assert_eq!(t("1299", -2), "1200");
        assert_eq!(t("-0.001", 2), "0.00");
        assert!(round(Decimal::MAX, -1).is_err());
        assert_eq!(abs(d("-3.10")).to_string(), "3.10");
        assert_eq!(min_dec(d("1.0"), d("1.00")).to_string(), "1.0");
        assert_eq!(max_dec(d("1.0"), d("1.00")).to_string(), "1.0");
        assert_eq!(max_dec(d("1.0"), d("2")).to_string(), "2");
    }
}
