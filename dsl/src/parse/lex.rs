//! A small hand-written tokenizer that runs beside the pest grammar.
//!
//! The grammar decides what parses; this module only serves diagnostics:
//! - it finds *lexical* mistakes (an unterminated string, an unknown escape,
//!   `1.`, a full-width `＝`) and reports them with a precise span and a
//!   message pest cannot give, because inside an atomic rule pest only knows
//!   that the whole token failed;
//! - it names "the token found here" for syntax errors, and lets the error
//!   heuristics look at the tokens before the error.
//!
//! It must agree with the grammar on what a token is: a text the tokenizer
//! accepts without error may still be a syntax error, but a text the grammar
//! accepts never makes the tokenizer fail.

use crate::ast::Span;
use crate::ParseError;

/// What kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    Ident,
    Number,
    Str,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokKind,
    pub span: Span,
}

impl Token {
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.span.start..self.span.end).unwrap_or("")
    }
}

/// Multi-character punctuation first: the longest match wins.
const PUNCT: &[&str] = &[
    "==", "!=", "<=", ">=", "<-", "=>", "??", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[",
    "]", "{", "}", ",", ";", ".", "|",
];

/// Position after the whitespace and comments starting at `pos`; an
/// unterminated block comment is an error.
pub(crate) fn skip_trivia(src: &str, mut pos: usize) -> Result<usize, ParseError> {
    loop {
        let Some(rest) = src.get(pos..) else {
            return Ok(pos);
        };
        if let Some(c) = rest.chars().next() {
            if matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}') {
                pos += c.len_utf8();
                continue;
            }
        }
        if rest.starts_with("//") {
            pos += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(end) => {
                    pos += 2 + end + 2;
                    continue;
                }
                None => {
                    return Err(ParseError {
                        span: Span::new(pos, pos + 2),
                        message: "this comment is never closed".into(),
                        expected: vec!["`*/`".into()],
                        help: Some(
                            "a `/* … */` comment runs until the next `*/`; comments do not nest"
                                .into(),
                        ),
                    });
                }
            }
        }
        return Ok(pos);
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The token starting exactly at `pos` (which must not be trivia), `None` at
/// the end of the input.
pub(crate) fn token_at(src: &str, pos: usize) -> Result<Option<Token>, ParseError> {
    let rest = src.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return Ok(None);
    };
    let tok = |kind, len: usize| {
        Ok(Some(Token {
            kind,
            span: Span::new(pos, pos + len),
        }))
    };
    if is_ident_start(c) {
        let len = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
        return tok(TokKind::Ident, len);
    }
    if c.is_ascii_digit() {
        return number(src, pos);
    }
    if c == '"' {
        return string(src, pos).map(|len| {
            Some(Token {
                kind: TokKind::Str,
                span: Span::new(pos, pos + len),
            })
        });
    }
    for p in PUNCT {
        if rest.starts_with(p) {
            return tok(TokKind::Punct, p.len());
        }
    }
    Err(unexpected_char(c, pos))
}

/// `-?[0-9]+(\.[0-9]+)?`, not followed by a letter, digit, `_` or `.`.
fn number(src: &str, pos: usize) -> Result<Option<Token>, ParseError> {
    let rest = &src[pos..];
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut len = digits(rest);
    let mut well_formed = true;
    if rest[len..].starts_with('.') {
        let frac = digits(&rest[len + 1..]);
        if frac == 0 {
            well_formed = false;
        }
        len += 1 + frac;
    }
    let tail = rest[len..].chars().next();
    if tail.is_some_and(|c| is_ident_char(c) || c == '.') {
        well_formed = false;
    }
    if well_formed {
        return Ok(Some(Token {
            kind: TokKind::Number,
            span: Span::new(pos, pos + len),
        }));
    }
    // Take the whole run of number-ish characters as the bad token.
    let bad = rest
        .find(|c: char| !(is_ident_char(c) || c == '.'))
        .unwrap_or(rest.len());
    let text = &rest[..bad];
    let help = if text.ends_with('.') {
        format!(
            "a decimal needs digits on both sides of the point: write `{}0`",
            text
        )
    } else if text.chars().any(|c| c.is_ascii_alphabetic() || c == '_') {
        "a name cannot start with a digit".to_owned()
    } else {
        "a number is digits with at most one decimal point, e.g. `12` or `12.50`".to_owned()
    };
    Err(ParseError {
        span: Span::new(pos, pos + bad),
        message: format!("`{text}` is not a number"),
        expected: vec!["a number".into()],
        help: Some(help),
    })
}

/// Length of the string literal starting at `pos` (on the opening quote).
fn string(src: &str, pos: usize) -> Result<usize, ParseError> {
    let rest = &src[pos..];
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok(i + 1),
            '\n' | '\r' => break,
            '\\' => {
                let esc_start = pos + i;
                match chars.next() {
                    Some((_, '"' | '\\' | 'n' | 't' | 'r')) => {}
                    Some((_, 'u')) => {
                        let after_u = i + 2;
                        let len = unicode_escape_len(&rest[after_u..])
                            .ok_or_else(|| bad_unicode_escape(src, esc_start))?;
                        // Skip the `{…}` part.
                        for _ in 0..len {
                            chars.next();
                        }
                    }
                    Some((_, '\n' | '\r')) | None => break,
                    Some((j, other)) => {
                        let end = pos + j + other.len_utf8();
                        return Err(ParseError {
                            span: Span::new(esc_start, end),
                            message: format!("unknown escape `\\{other}` in a string"),
                            expected: escapes_expected(),
                            help: Some("to write a backslash itself, double it: `\\\\`".into()),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    // Unterminated: point at the string up to the end of its line.
    let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    Err(ParseError {
        span: Span::new(pos, pos + line_end),
        message: "this string is never closed".into(),
        expected: vec!["`\"`".into()],
        help: Some(
            "a string ends with `\"` on the same line; write a line break inside it as `\\n` \
             and a quote as `\\\"`"
                .into(),
        ),
    })
}

/// For `{XXXX}` after `\u`: its length in bytes when it names a Unicode
/// scalar value with 1 to 6 hex digits.
fn unicode_escape_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('{')?;
    let close = body.find('}')?;
    let hex = &body[..close];
    if hex.is_empty() || hex.len() > 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let value = u32::from_str_radix(hex, 16).ok()?;
    char::from_u32(value)?;
    Some(close + 2)
}

/// Resolves a `\u{…}` escape body (what `unicode_escape_len` accepted).
pub(crate) fn unicode_escape_value(s: &str) -> Option<(char, usize)> {
    let len = unicode_escape_len(s)?;
    let value = u32::from_str_radix(&s[1..len - 1], 16).ok()?;
    Some((char::from_u32(value)?, len))
}

fn bad_unicode_escape(src: &str, esc_start: usize) -> ParseError {
    // Cover `\u` and a following `{…}` if there is one on the line.
    let rest = &src[esc_start..];
    let mut end = 2;
    if rest[2..].starts_with('{') {
        let tail = &rest[2..];
        let stop = tail.find(['}', '"', '\n', '\r']).unwrap_or(tail.len());
        end = 2 + stop + usize::from(tail[stop..].starts_with('}'));
    }
    ParseError {
        span: Span::new(esc_start, esc_start + end),
        message: format!("invalid unicode escape `{}`", &rest[..end]),
        expected: vec!["`\\u{…}` with 1 to 6 hex digits".into()],
        help: Some("write the code point in hex between braces, e.g. `\\u{4E2D}` for 中".into()),
    }
}

fn escapes_expected() -> Vec<String> {
    ["`\\\"`", "`\\\\`", "`\\n`", "`\\r`", "`\\t`", "`\\u{…}`"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// An error for a character that starts no token.
fn unexpected_char(c: char, pos: usize) -> ParseError {
    let span = Span::new(pos, pos + c.len_utf8());
    let ascii = match c {
        '＝' => Some("="),
        '（' => Some("("),
        '）' => Some(")"),
        '，' | '、' => Some(","),
        '；' => Some(";"),
        '。' | '．' => Some("."),
        '“' | '”' | '＂' | '「' | '」' => Some("\""),
        '【' | '［' => Some("["),
        '】' | '］' => Some("]"),
        '｛' => Some("{"),
        '｝' => Some("}"),
        '＜' | '《' => Some("<"),
        '＞' | '》' => Some(">"),
        '＋' => Some("+"),
        '－' => Some("-"),
        '＊' => Some("*"),
        '／' => Some("/"),
        '｜' => Some("|"),
        '＿' => Some("_"),
        '　' => Some(" "),
        _ => None,
    };
    let help = if let Some(a) = ascii {
        if a == " " {
            "this is a full-width space; use an ordinary space".to_owned()
        } else {
            format!("this is the full-width `{c}`; write the ASCII `{a}`")
        }
    } else {
        match c {
            '!' => "negate with `not`; compare with `!=`".to_owned(),
            '&' => "combine conditions with `and`".to_owned(),
            '?' => "`??` gives a default value: `a ?? b`".to_owned(),
            '\'' | '`' => "strings are written in double quotes: `\"…\"`".to_owned(),
            '#' => "comments start with `//`".to_owned(),
            ':' | '：' => "assign a field with `=`".to_owned(),
            '\\' => "a backslash is only allowed inside strings".to_owned(),
            c if !c.is_ascii() && c.is_alphanumeric() => {
                "names are ASCII letters, digits and `_`; put other text in a string: `\"…\"`"
                    .to_owned()
            }
            _ => "this character has no meaning in a `.map` file".to_owned(),
        }
    };
    let shown = if c.is_control() || c.is_whitespace() {
        format!("{}", c.escape_unicode())
    } else {
        c.to_string()
    };
    ParseError {
        span,
        message: format!("unexpected character `{shown}`"),
        expected: Vec::new(),
        help: Some(help),
    }
}

/// All tokens of the file, or the first lexical error and the tokens before
/// it.
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// The first lexical error, with the start of the token it is in.
    pub error: Option<(usize, ParseError)>,
}

pub(crate) fn lex(src: &str) -> Lexed {
    let mut tokens = Vec::new();
    let mut pos = 0;
    loop {
        pos = match skip_trivia(src, pos) {
            Ok(p) => p,
            Err(e) => {
                return Lexed {
                    tokens,
                    error: Some((e.span.start, e)),
                }
            }
        };
        match token_at(src, pos) {
            Ok(Some(t)) => {
                pos = t.span.end;
                tokens.push(t);
            }
            Ok(None) => {
                return Lexed {
                    tokens,
                    error: None,
                }
            }
            Err(e) => {
                return Lexed {
                    tokens,
                    error: Some((pos, e)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, &str)> {
        let l = lex(src);
        assert!(l.error.is_none(), "{:?}", l.error);
        l.tokens.iter().map(|t| (t.kind, t.text(src))).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("a.b = \"x\\\"y\" // c\n<- 1.50 >= /* z */ ??"),
            vec![
                (TokKind::Ident, "a"),
                (TokKind::Punct, "."),
                (TokKind::Ident, "b"),
                (TokKind::Punct, "="),
                (TokKind::Str, "\"x\\\"y\""),
                (TokKind::Punct, "<-"),
                (TokKind::Number, "1.50"),
                (TokKind::Punct, ">="),
                (TokKind::Punct, "??"),
            ]
        );
    }

    #[test]
    fn lexical_errors() {
        let err = |s: &str| lex(s).error.unwrap().1;
        assert_eq!(err("x = \"abc\ny").span, Span::new(4, 8));
        assert_eq!(err("x = \"a\\qb\"").span, Span::new(6, 8));
        assert_eq!(err("x = \"a\\中\"").span, Span::new(6, 10));
        assert_eq!(err("x = \"\\u{110000}\"").span, Span::new(5, 15));
        assert_eq!(err("x = 1.").span, Span::new(4, 6));
        assert_eq!(err("x = 1.2.3").span, Span::new(4, 9));
        assert_eq!(err("x = 12ab").span, Span::new(4, 8));
        assert_eq!(err("x ＝ 1").span, Span::new(2, 5));
        assert_eq!(err("/* x").span, Span::new(0, 2));
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(unicode_escape_value("{4E2D}"), Some(('中', 6)));
        assert_eq!(unicode_escape_value("{D800}"), None);
        assert_eq!(unicode_escape_value("{}"), None);
        assert_eq!(unicode_escape_value("{1234567}"), None);
    }
}
