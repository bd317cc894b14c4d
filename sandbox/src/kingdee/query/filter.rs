//! `FilterString`: its tokens, its parse into an [`Expr`] and the test of
//! one row against it. Comparisons are as decimals when both sides read as
//! decimals, as times when both read as dates, else as text; `LIKE` takes
//! `%` and `_` and ignores ASCII case.

use std::cell::OnceCell;
use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::Value;

use super::error::QueryError;
use super::fields::FieldRef;
use crate::clock::kingdee_datetime;
use crate::kingdee::forms::value_text;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || ((c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'')) {
            if c != '\'' {
                i += 1;
            }
            i += 1;
            let mut text = String::new();
            loop {
                match chars.get(i) {
                    None => return Err("字符串缺少结束引号".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        text.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(text));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "<>" => Some("<>"),
                "!=" => Some("<>"),
                ">=" => Some(">="),
                "<=" => Some("<="),
                _ => None,
            };
            if let Some(sym) = sym {
                out.push(Tok::Sym(sym));
                i += 2;
                continue;
            }
            let sym = match c {
                '=' => "=",
                '>' => ">",
                '<' => "<",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                other => return Err(format!("无法识别的字符“{other}”")),
            };
            out.push(Tok::Sym(sym));
            i += 1;
        }
    }
    Ok(out)
}

/// A literal of a filter (string or number), with what comparing to it
/// needs worked out once rather than at every row.
#[derive(Clone, Debug)]
pub(super) struct Lit {
    text: String,
    decimal: Option<Decimal>,
    datetime: Option<String>,
}

impl Lit {
    fn new(text: String) -> Self {
        Lit {
            decimal: text.trim().parse().ok(),
            datetime: kingdee_datetime(&text),
            text,
        }
    }

    fn text(&self) -> &str {
        &self.text
    }
}

#[derive(Clone, Debug)]
pub(super) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(String, &'static str, Lit),
    In(String, Vec<Lit>, bool),
    Like(String, String, bool),
    IsNull(String, bool),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.sym("(") {
            let e = self.or()?;
            if !self.sym(")") {
                return Err("缺少右括号".into());
            }
            return Ok(e);
        }
        self.condition()
    }

    fn literal(&mut self) -> Result<Lit, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::new(s)),
            Some(Tok::Num(n)) => Ok(Lit::new(n)),
            other => Err(format!("此处应为值，实为{other:?}")),
        }
    }

    fn condition(&mut self) -> Result<Expr, String> {
        let field = match self.next() {
            Some(Tok::Ident(f)) => f,
            other => return Err(format!("此处应为字段，实为{other:?}")),
        };
        if self.keyword("IS") {
            let negated = self.keyword("NOT");
            if !self.keyword("NULL") {
                return Err("IS 之后应为 NULL".into());
            }
            return Ok(Expr::IsNull(field, negated));
        }
        let negated = self.keyword("NOT");
        if self.keyword("IN") {
            if !self.sym("(") {
                return Err("IN 之后应为左括号".into());
            }
            let mut list = vec![self.literal()?];
            while self.sym(",") {
                list.push(self.literal()?);
            }
            if !self.sym(")") {
                return Err("IN 列表缺少右括号".into());
            }
            return Ok(Expr::In(field, list, negated));
        }
        if self.keyword("LIKE") {
            let pattern = self.literal()?.text().to_owned();
            return Ok(Expr::Like(field, pattern, negated));
        }
        if negated {
            return Err("NOT 之后应为 IN 或 LIKE".into());
        }
        let op = match self.next() {
            Some(Tok::Sym(s)) if matches!(s, "=" | "<>" | ">" | ">=" | "<" | "<=") => s,
            other => return Err(format!("此处应为比较运算符，实为{other:?}")),
        };
        Ok(Expr::Cmp(field, op, self.literal()?))
    }
}

/// The filter of `s`; `None` when it is empty.
pub(super) fn parse_filter(s: &str) -> Result<Option<Expr>, QueryError> {
    let bad = |m: String| QueryError::new(4, format!("过滤条件FilterString有误：{m}（{s}）"));
    let toks = tokenize(s).map_err(bad)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or().map_err(bad)?;
    if p.pos < p.toks.len() {
        return Err(bad(format!("多余的内容 {:?}", p.toks[p.pos])));
    }
    Ok(Some(e))
}

/// The field names `e` reads, in order.
pub(super) fn fields_of(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            fields_of(a, out);
            fields_of(b, out);
        }
        Expr::Not(a) => fields_of(a, out),
        Expr::Cmp(f, _, _) | Expr::In(f, _, _) | Expr::Like(f, _, _) | Expr::IsNull(f, _) => {
            out.push(f.clone())
        }
    }
}

/// A field's value in a comparison: as decimals when both sides are
/// numbers, as times when both are dates, else as text.
struct Left {
    text: String,
    decimal: Option<Decimal>,
    /// Worked out when a literal is a date.
    datetime: OnceCell<Option<String>>,
}

impl Left {
    /// `None` for null, objects and arrays: they compare with nothing.
    fn new(v: &Value) -> Option<Self> {
        let text = value_text(v)?;
        Some(Left {
            decimal: text.trim().parse().ok(),
            datetime: OnceCell::new(),
            text,
        })
    }

    fn compare(&self, right: &Lit) -> Ordering {
        if let (Some(a), Some(b)) = (self.decimal, right.decimal) {
            return a.cmp(&b);
        }
        if let Some(b) = &right.datetime {
            if let Some(a) = self.datetime.get_or_init(|| kingdee_datetime(&self.text)) {
                return a.cmp(b);
            }
        }
        self.text.as_str().cmp(right.text())
    }
}

pub(super) fn like(text: &str, pattern: &str) -> bool {
    fn go(t: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && go(&t[1..], rest),
            Some((c, rest)) => {
                t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(&t[1..], rest)
            }
        }
    }
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&t, &p)
}

/// The field a filter names, among the resolved ones (lowercase names).
pub(super) fn filter_ref<'r>(refs: &'r [(String, FieldRef)], name: &str) -> Option<&'r FieldRef> {
    let name = name.to_ascii_lowercase();
    refs.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
}

/// Whether a row passes `e`; `value` gives the row's value of a field the
/// filter names.
pub(super) fn eval(e: &Expr, value: &dyn Fn(&str) -> Value) -> bool {
    match e {
        Expr::And(a, b) => eval(a, value) && eval(b, value),
        Expr::Or(a, b) => eval(a, value) || eval(b, value),
        Expr::Not(a) => !eval(a, value),
        Expr::IsNull(f, negated) => value(f).is_null() != *negated,
        Expr::In(f, list, negated) => {
            let hit = Left::new(&value(f))
                .is_some_and(|v| list.iter().any(|l| v.compare(l) == Ordering::Equal));
            hit != *negated
        }
        Expr::Like(f, pattern, negated) => {
            let hit = value_text(&value(f)).is_some_and(|t| like(&t, pattern));
            hit != *negated
        }
        Expr::Cmp(f, op, lit) => {
            let Some(ord) = Left::new(&value(f)).map(|v| v.compare(lit)) else {
                return false;
            };
            match *op {
                "=" => ord == Ordering::Equal,
                "<>" => ord != Ordering::Equal,
                ">" => ord == Ordering::Greater,
                ">=" => ord != Ordering::Less,
                "<" => ord == Ordering::Less,
                _ => ord != Ordering::Greater,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparisons_follow_the_plain_definition() {
        // Decimals if both sides read as decimals, times if both as dates,
        // else text; nothing for null, objects, arrays.
        fn plain(left: &Value, right: &str) -> Option<Ordering> {
            let l = value_text(left)?;
            if let (Ok(a), Ok(b)) = (l.trim().parse::<Decimal>(), right.trim().parse::<Decimal>()) {
                return Some(a.cmp(&b));
            }
            if let (Some(a), Some(b)) = (kingdee_datetime(&l), kingdee_datetime(right)) {
                return Some(a.cmp(&b));
            }
            Some(l.as_str().cmp(right))
        }
        let values = [
            json!(1),
            json!("1.0"),
            json!(" 10 "),
            json!(10.5),
            json!("2024-01-02"),
            json!("2024-01-02 00:00:00"),
            json!("2024/01/03"),
            json!("abc"),
            json!(true),
            json!(null),
            json!({}),
            json!([1]),
        ];
        let literals = [
            "1",
            "1.00",
            "9",
            " 10.5",
            "2024-01-02",
            "2024-01-02T00:00:01",
            "2024/1/2",
            "abc",
            "ABC",
            "true",
            "",
        ];
        for v in &values {
            for l in literals {
                let ours = Left::new(v).map(|left| left.compare(&Lit::new(l.to_owned())));
                assert_eq!(ours, plain(v, l), "{v} vs {l:?}");
            }
        }
    }
}
