//! Property tests of the value functions: decimals round-trip their text,
//! arithmetic never panics, string functions never split a character.

use duijie_maplib::rust_decimal::Decimal;
use duijie_maplib::{dec, text};
use proptest::prelude::*;

const MAX_MANTISSA: i128 = (1i128 << 96) - 1;

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        // Anything a Decimal can hold, huge and tiny included.
        (-MAX_MANTISSA..=MAX_MANTISSA, 0u32..=28),
        // Everyday amounts: four places, as WDT sends them.
        (-10_000_000_000i128..10_000_000_000i128, Just(4u32)),
        // Edges.
        (
            prop_oneof![
                Just(MAX_MANTISSA),
                Just(-MAX_MANTISSA),
                Just(0),
                Just(1),
                Just(-1)
            ],
            0u32..=28
        ),
    ]
    .prop_map(|(m, s)| {
        let d = Decimal::from_i128_with_scale(m, s);
        // The library never produces -0.
        dec::parse_dec(&d.to_string()).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn canonical_text_round_trips(m in -MAX_MANTISSA..=MAX_MANTISSA, s in 0u32..=28) {
        let d = Decimal::from_i128_with_scale(m, s);
        let text = d.to_string();
        let text = if d.is_zero() { text.trim_start_matches('-').to_string() } else { text };
        let parsed = dec::parse_dec(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text);
        prop_assert_eq!(parsed.scale(), s);
        let mut out = Vec::new();
        duijie_maplib::json::write_dec(&mut out, &parsed);
        let back: serde_json::Number = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back.to_string(), parsed.to_string());
    }

    #[test]
    fn arithmetic_never_panics(a in decimal(), b in decimal(), n in -40i64..40) {
        for r in [
            dec::add_dec(a, b),
            dec::sub_dec(a, b),
            dec::mul_dec(a, b),
            dec::div_dec(a, b),
            dec::round(a, n),
            dec::truncate(a, n),
            Ok(dec::neg_dec(a)),
            Ok(dec::abs(a)),
            Ok(dec::min_dec(a, b)),
            Ok(dec::max_dec(a, b)),
        ].into_iter().flatten() {
            // Zero is never negative, and the text parses back to the same value.
            prop_assert!(!(r.is_zero() && r.is_sign_negative()));
            let back = dec::parse_dec(&r.to_string()).unwrap();
            prop_assert_eq!(back, r);
        }
        let _ = dec::dec_to_int(a);
        if let Ok(r) = dec::round(a, n) {
            if (0..=28).contains(&n) {
                // Exactly n places, unless the digits do not fit (then as many as fit).
                prop_assert!(i64::from(r.scale()) <= n);
                if a.abs() < Decimal::from(1_000_000_000i64) && n <= 18 {
                    prop_assert_eq!(i64::from(r.scale()), n);
                }
                prop_assert!((r - a).abs() <= Decimal::new(5, n as u32));
            }
        }
        let small = |d: Decimal| d.abs() < Decimal::new(1, 0) * Decimal::from(1_000_000_000_000i64) && d.scale() <= 10;
        if small(a) && small(b) {
            // Everyday values: addition and subtraction are exact.
            if let Ok(sum) = dec::add_dec(a, b) {
                if let Ok(back) = dec::sub_dec(sum, b) {
                    prop_assert_eq!(back, a);
                }
            }
        }
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = dec::parse_dec(&s);
        let _ = dec::parse_int(&s);
        let _ = duijie_maplib::time::parse_zone(&s);
        let _ = duijie_maplib::time::check_format(&s);
    }

    #[test]
    fn number_like_text(s in "[+-]?[0-9]{1,40}(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?") {
        if let Ok(d) = dec::parse_dec(&s) {
            // The value is exact: compare with the text's digits via the exact-decimal parser
            // of rust_decimal where it applies (no exponent, at most 28 places).
            if !s.contains(['e', 'E']) {
                if let Ok(exact) = Decimal::from_str_exact(s.trim_start_matches('+')) {
                    prop_assert_eq!(d, exact);
                }
            }
        }
    }

    #[test]
    fn substring_by_characters(s in "\\PC{0,30}", start in -5i64..40, len in proptest::option::of(-5i64..40)) {
        let got = text::substring(&s, start, len);
        let chars: Vec<char> = s.chars().collect();
        let from = usize::try_from(start.max(0)).unwrap().min(chars.len());
        let to = match len {
            None => chars.len(),
            Some(n) => (from + usize::try_from(n.max(0)).unwrap()).min(chars.len()),
        };
        let want: String = chars[from..to].iter().collect();
        prop_assert_eq!(got, want.as_str());
        prop_assert_eq!(text::len(&s), chars.len() as i64);
    }

    #[test]
    fn chinese_substrings(s in "[北京上海仓库采购单😀a-z]{0,20}", start in 0i64..25, len in 0i64..25) {
        let got = text::substring(&s, start, Some(len));
        prop_assert!(s.contains(got));
        prop_assert!(text::len(got) <= len);
    }
}
