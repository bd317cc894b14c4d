//! String functions. Positions and lengths count characters (Unicode scalar
//! values), never bytes: `substring("北京仓库", 1, 2)` is `"京仓"`.
//!
//! `to_string` of a date or date-time is in [`crate::time`]
//! ([`crate::time::date_to_string`], [`crate::time::datetime_to_string`]).
//!
//! None of these fail. Edge cases, decided once for both execution paths:
//! - `substring`: a negative start counts as 0, a negative length as 0; a
//!   range past the end is cut at the end.
//! - `replace` with an empty `from` returns the text unchanged.
//! - `split` with an empty separator gives the characters; `split("", ",")`
//!   is `[""]`.
//! - `trim` removes Unicode white space at both ends (the full-width space
//!   `U+3000` included); `upper`/`lower` are Unicode case mappings.

/// `to_string` of a decimal: its exact text (`10.0000`).
pub fn dec_to_string(d: &rust_decimal::Decimal) -> String {
    d.to_string()
}

/// `to_string` of an integer.
pub fn int_to_string(i: i64) -> String {
    i.to_string()
}

/// `to_string` of a bool: `true` / `false`.
pub fn bool_to_string(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// `to_string` of a list: its items joined by `,`.
pub fn list_to_string<S: AsRef<str>>(list: &[S]) -> String {
    join(list, ",")
}

/// `s + t`.
pub fn concat(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

pub fn trim(s: &str) -> &str {
    s.trim()
}

pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `substring(s, start[, len])`, by characters from 0; borrows from `s`.
pub fn substring(s: &str, start: i64, len: Option<i64>) -> &str {
    let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
    let from = match s.char_indices().nth(start) {
        Some((at, _)) => at,
        None => return "",
    };
    let rest = &s[from..];
    match len {
        None => rest,
        Some(n) => {
            let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
            match rest.char_indices().nth(n) {
                Some((at, _)) => &rest[..at],
                None => rest,
            }
        }
    }
}

pub fn replace(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        s.to_string()
    } else {
        s.replace(from, to)
    }
}

pub fn split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(sep).map(str::to_string).collect()
    }
}

pub fn join<S: AsRef<str>>(list: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item.as_ref());
    }
    out
}

/// Length in characters.
pub fn len(s: &str) -> i64 {
    i64::try_from(s.chars().count()).unwrap_or(i64::MAX)
}

pub fn starts_with(s: &str, p: &str) -> bool {
    s.starts_with(p)
}

pub fn ends_with(s: &str, p: &str) -> bool {
    s.ends_with(p)
}

pub fn contains(s: &str, p: &str) -> bool {
    s.contains(p)
}

/// `is_empty` of a non-null string.
pub fn is_empty(s: &str) -> bool {
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_characters() {
        assert_eq!(substring("北京仓库", 1, Some(2)), "京仓");
        assert_eq!(substring("北京仓库", 2, None), "仓库");
        assert_eq!(substring("北京仓库", 4, None), "");
        assert_eq!(substring("北京仓库", 9, Some(1)), "");
        assert_eq!(substring("北京仓库", -3, Some(1)), "北");
        assert_eq!(substring("北京仓库", 1, Some(-1)), "");
        assert_eq!(substring("北京仓库", 1, Some(100)), "京仓库");
        assert_eq!(substring("ab", i64::MAX, Some(i64::MAX)), "");
        assert_eq!(len("北京仓库ab"), 6);
        assert_eq!(len(""), 0);
    }

    #[test]
    fn others() {
        assert_eq!(trim("\u{3000} 北京 \t"), "北京");
        assert_eq!(upper("abcé"), "ABCÉ");
        assert_eq!(lower("ABC"), "abc");
        assert_eq!(replace("a-b-c", "-", "+"), "a+b+c");
        assert_eq!(replace("abc", "", "+"), "abc");
        assert_eq!(split("a,b,,c", ","), ["a", "b", "", "c"]);
        assert_eq!(split("北京", ""), ["北", "京"]);
        assert_eq!(split("", ","), [""]);
        assert_eq!(join(&["a", "b"], "、"), "a、b");
        assert_eq!(join::<String>(&[], ","), "");
        assert_eq!(concat("WDT ", "CG001"), "WDT CG001");
        assert!(starts_with("CG001", "CG"));
        assert!(ends_with("CG001", "01"));
        assert!(contains("北京仓库", "仓"));
        assert!(is_empty(""));
    }
}
