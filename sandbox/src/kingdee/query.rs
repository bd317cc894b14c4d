//! `DynamicFormService.ExecuteBillQuery` (and `BillQuery`) over the saved
//! bills.
//!
//! `FieldKeys` (comma-separated) may name `FID`, `FBillNo`,
//! `FDocumentStatus`, `FCreateDate`, `FModifyDate`, header fields
//! (`FDate`), lookups (`FSupplierId.FNumber`; the bare lookup gives an
//! internal id), sub-head fields (`FPOOrderFinance.FExchangeRate`), entry
//! fields (`FQty`, `FMaterialId.FNumber`) and entry keys
//! (`FPOOrderEntry_FEntryID`, `FPOOrderEntry_FSeq`). When an entry field is
//! asked for, the answer has one row per entry row, as Kingdee's join does.
//!
//! `FilterString` is a small SQL: comparisons (`= <> != > >= < <=`),
//! `[NOT] IN (…)`, `[NOT] LIKE '…'` (`%`, `_`), `IS [NOT] NULL`, `AND`, `OR`,
//! `NOT`, parentheses, string literals `'…'` (`''` escapes a quote, `N'…'`
//! accepted) and numbers. `OrderString` is `field [ASC|DESC], …` (default
//! `FID`, then entry order). `TopRowCount` caps the rows, `StartRow` skips,
//! `Limit` (≤ 10000, 0 = 10000) pages.
//!
//! Errors carry MsgCode 9 for an unknown field (`元数据中标识为{key}的字段不存在`),
//! 4 for an unknown form or a filter that does not parse, 8 for a bad
//! paging parameter.

use std::cell::OnceCell;
use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::forms::{get_ci, value_text, FieldDef, FieldType, FormSpec};
use super::store::{Bill, Bills};
use crate::clock::kingdee_datetime;
use crate::rng::mix;

/// Largest `Limit`.
pub(crate) const MAX_LIMIT: usize = 10_000;

/// A failed query: MsgCode and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub msg_code: i64,
    pub message: String,
}

impl QueryError {
    fn new(msg_code: i64, message: impl Into<String>) -> Self {
        QueryError {
            msg_code,
            message: message.into(),
        }
    }
}

/// What a field key refers to.
#[derive(Clone, Debug)]
enum FieldRef {
    Fid,
    BillNo,
    Status,
    CreateDate,
    ModifyDate,
    /// Path from the bill; the last definition met (for typing).
    Header(Vec<String>, Option<FieldDef>),
    EntryId(String),
    EntrySeq(String),
    Entry(String, Vec<String>, Option<FieldDef>),
}

impl FieldRef {
    fn entry(&self) -> Option<&str> {
        match self {
            FieldRef::EntryId(e) | FieldRef::EntrySeq(e) | FieldRef::Entry(e, _, _) => Some(e),
            _ => None,
        }
    }
}

fn unknown_field(key: &str) -> QueryError {
    QueryError::new(9, format!("元数据中标识为{key}的字段不存在"))
}

/// The definition at the end of `path` below `def`.
fn walk<'a>(def: &'a FieldDef, path: &[String]) -> Option<&'a FieldDef> {
    let mut d = def;
    for p in path {
        d = d.child(p)?;
    }
    Some(d)
}

fn resolve(spec: &FormSpec, key: &str) -> Result<FieldRef, QueryError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(unknown_field(key));
    }
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "fid" => return Ok(FieldRef::Fid),
        "fdocumentstatus" => return Ok(FieldRef::Status),
        "fcreatedate" => return Ok(FieldRef::CreateDate),
        "fmodifydate" => return Ok(FieldRef::ModifyDate),
        _ => {}
    }
    if lower == spec.number_field.to_ascii_lowercase() {
        return Ok(FieldRef::BillNo);
    }
    for entry in spec.entries() {
        let e = entry.name.to_ascii_lowercase();
        if lower == format!("{e}_fentryid") {
            return Ok(FieldRef::EntryId(entry.name.clone()));
        }
        if lower == format!("{e}_fseq") {
            return Ok(FieldRef::EntrySeq(entry.name.clone()));
        }
    }
    if lower == "fentryid" {
        if let Some(entry) = spec.entries().next() {
            return Ok(FieldRef::EntryId(entry.name.clone()));
        }
    }
    let parts: Vec<String> = key.split('.').map(str::to_owned).collect();
    let head = &parts[0];
    if let Some(def) = spec.field(head) {
        let typed = walk(def, &parts[1..]).cloned();
        return Ok(FieldRef::Header(parts.clone(), typed));
    }
    if let Some(entry) = spec.entry_of(head) {
        let def = entry
            .child(head)
            .and_then(|d| walk(d, &parts[1..]))
            .cloned();
        return Ok(FieldRef::Entry(entry.name.clone(), parts.clone(), def));
    }
    Err(unknown_field(head))
}

/// A stable fake internal id of a base-data record.
fn internal_id(number: &str) -> i64 {
    let mut h = 0u64;
    for b in number.bytes() {
        h = mix(h ^ u64::from(b));
    }
    100_000 + (h % 900_000) as i64
}

fn number_value(text: &str) -> Value {
    match text.trim().parse::<Decimal>() {
        Ok(d) => serde_json::from_str::<Value>(&d.normalize().to_string()).unwrap_or(Value::Null),
        Err(_) => Value::String(text.to_owned()),
    }
}

fn navigate<'a>(obj: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = get_ci(obj, first)?;
    if rest.is_empty() {
        return Some(v);
    }
    navigate(v.as_object()?, rest)
}

fn typed(v: Option<&Value>, def: Option<&FieldDef>) -> Value {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Value::Null;
    };
    match def.map(|d| (d.ty, d.base_data.is_some())) {
        Some((FieldType::Decimal | FieldType::Integer, _)) => {
            value_text(v).map_or(Value::Null, |t| number_value(&t))
        }
        Some((FieldType::Object, true)) => match super::forms::lookup_number(v) {
            Some(n) => Value::from(internal_id(&n)),
            None => Value::from(0),
        },
        Some((FieldType::Date | FieldType::DateTime, _)) => match value_text(v) {
            Some(t) => Value::String(kingdee_datetime(&t).unwrap_or(t)),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

/// One bill, or one entry row of it.
struct Row<'a> {
    bill: Bill<'a>,
    /// The bill's stored model, parsed (empty when no field of the query
    /// needs it).
    data: &'a Map<String, Value>,
    entry: Option<(usize, &'a Map<String, Value>)>,
}

impl Row<'_> {
    fn get(&self, f: &FieldRef) -> Value {
        match f {
            FieldRef::Fid => Value::from(self.bill.id),
            FieldRef::BillNo => Value::String(self.bill.number.to_owned()),
            FieldRef::Status => Value::String(self.bill.status().to_owned()),
            FieldRef::CreateDate => Value::String(self.bill.created.to_owned()),
            FieldRef::ModifyDate => Value::String(self.bill.modified.to_owned()),
            FieldRef::Header(path, def) => typed(navigate(self.data, path), def.as_ref()),
            FieldRef::EntryId(_) => match self.entry {
                Some((_, r)) => typed(get_ci(r, "FEntryID"), None),
                None => Value::Null,
            },
            FieldRef::EntrySeq(_) => match self.entry {
                Some((i, _)) => Value::from(i as u64 + 1),
                None => Value::Null,
            },
            FieldRef::Entry(_, path, def) => match self.entry {
                Some((_, r)) => typed(navigate(r, path), def.as_ref()),
                None => Value::Null,
            },
        }
    }
}

// ---------------------------------------------------------------------------
// FilterString

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
struct Lit {
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
enum Expr {
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

fn parse_filter(s: &str) -> Result<Option<Expr>, QueryError> {
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

fn fields_of(e: &Expr, out: &mut Vec<String>) {
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

fn like(text: &str, pattern: &str) -> bool {
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
fn filter_ref<'r>(refs: &'r [(String, FieldRef)], name: &str) -> Option<&'r FieldRef> {
    let name = name.to_ascii_lowercase();
    refs.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
}

fn eval<'r>(e: &Expr, row: &Row<'_>, refs: &dyn Fn(&str) -> Option<&'r FieldRef>) -> bool {
    let value = |f: &str| refs(f).map_or(Value::Null, |r| row.get(r));
    match e {
        Expr::And(a, b) => eval(a, row, refs) && eval(b, row, refs),
        Expr::Or(a, b) => eval(a, row, refs) || eval(b, row, refs),
        Expr::Not(a) => !eval(a, row, refs),
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

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => {
            let (x, y) = (
                value_text(a).unwrap_or_default(),
                value_text(b).unwrap_or_default(),
            );
            match (x.parse::<Decimal>(), y.parse::<Decimal>()) {
                (Ok(p), Ok(q)) => p.cmp(&q),
                _ => x.cmp(&y),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Requests

/// A parsed `ExecuteBillQuery` request.
#[derive(Debug)]
pub(crate) struct QueryRequest {
    pub form_id: String,
    field_keys: Vec<String>,
    filter: String,
    order: String,
    top: usize,
    start: usize,
    limit: usize,
}

fn count_param(data: &Map<String, Value>, name: &str) -> Result<usize, QueryError> {
    match get_ci(data, name) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => {
            let text = value_text(v).unwrap_or_default();
            let text = text.trim();
            if text.is_empty() {
                return Ok(0);
            }
            text.parse::<usize>()
                .map_err(|_| QueryError::new(8, format!("参数{name}必须是非负整数，收到“{text}”")))
        }
    }
}

impl QueryRequest {
    pub(crate) fn parse(data: &Map<String, Value>) -> Result<Self, QueryError> {
        let form_id = get_ci(data, "FormId")
            .and_then(value_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| QueryError::new(5, "表单Id（FormId）不能为空"))?;
        let field_keys = match get_ci(data, "FieldKeys") {
            Some(Value::String(s)) => s
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            Some(Value::Array(a)) => a.iter().filter_map(value_text).collect(),
            _ => Vec::new(),
        };
        if field_keys.is_empty() {
            return Err(QueryError::new(8, "查询字段（FieldKeys）不能为空"));
        }
        let filter = match get_ci(data, "FilterString") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) if a.is_empty() => String::new(),
            Some(_) => return Err(QueryError::new(4, "沙箱只支持字符串形式的FilterString")),
        };
        let order = get_ci(data, "OrderString")
            .and_then(value_text)
            .unwrap_or_default();
        let top = count_param(data, "TopRowCount")?;
        let start = count_param(data, "StartRow")?;
        let limit = count_param(data, "Limit")?;
        if limit > MAX_LIMIT {
            return Err(QueryError::new(
                8,
                format!("Limit不能超过{MAX_LIMIT}，收到{limit}"),
            ));
        }
        Ok(QueryRequest {
            form_id,
            field_keys,
            filter,
            order,
            top,
            start,
            limit: if limit == 0 { MAX_LIMIT } else { limit },
        })
    }

    /// The field keys asked for.
    pub(crate) fn keys(&self) -> &[String] {
        &self.field_keys
    }

    /// Runs the query over `bills` (save order): rows of values in
    /// `FieldKeys` order.
    pub(crate) fn run(
        &self,
        spec: &FormSpec,
        bills: &Bills,
    ) -> Result<Vec<Vec<Value>>, QueryError> {
        let columns: Vec<FieldRef> = self
            .field_keys
            .iter()
            .map(|k| resolve(spec, k))
            .collect::<Result<_, _>>()?;
        let filter = parse_filter(&self.filter)?;
        let mut filter_fields = Vec::new();
        if let Some(f) = &filter {
            fields_of(f, &mut filter_fields);
        }
        let filter_refs: Vec<(String, FieldRef)> = filter_fields
            .iter()
            .map(|k| resolve(spec, k).map(|r| (k.to_ascii_lowercase(), r)))
            .collect::<Result<_, _>>()?;
        let mut order: Vec<(FieldRef, bool)> = Vec::new();
        for part in self
            .order
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let mut words = part.split_whitespace();
            let key = words.next().unwrap_or_default();
            let desc = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("ASC") => false,
                Some("DESC") => true,
                Some(other) => {
                    return Err(QueryError::new(
                        4,
                        format!("排序条件OrderString有误：{other}"),
                    ));
                }
            };
            order.push((resolve(spec, key)?, desc));
        }
        // The entry whose rows the answer is made of.
        let entity: Option<String> = columns
            .iter()
            .chain(filter_refs.iter().map(|(_, r)| r))
            .chain(order.iter().map(|(r, _)| r))
            .find_map(|r| r.entry().map(str::to_owned));

        // Only fields of the bill's model need it parsed.
        let needs_data = entity.is_some()
            || columns
                .iter()
                .chain(filter_refs.iter().map(|(_, r)| r))
                .chain(order.iter().map(|(r, _)| r))
                .any(|r| matches!(r, FieldRef::Header(..)));

        let lookup = |k: &str| filter_ref(&filter_refs, k);
        let top = if self.top == 0 { usize::MAX } else { self.top };
        // Rows past this one are never answered when the order is save order.
        let end = top.min(self.start.saturating_add(self.limit));
        let mut answer: Vec<Vec<Value>> = Vec::new();
        // With an order: (sort keys, columns) of every row that passes.
        let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
        let mut passed = 0usize;
        let no_data = Map::new();
        'bills: for bill in bills.iter() {
            let parsed;
            let data = if needs_data {
                parsed = bill.data();
                &parsed
            } else {
                &no_data
            };
            let entries: Vec<Option<(usize, &Map<String, Value>)>> = match &entity {
                None => vec![None],
                Some(e) => {
                    let list: Vec<_> = get_ci(data, e)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_object)
                                .enumerate()
                                .map(Some)
                                .collect()
                        })
                        .unwrap_or_default();
                    if list.is_empty() {
                        vec![None]
                    } else {
                        list
                    }
                }
            };
            for entry in entries {
                let row = Row { bill, data, entry };
                if !filter.as_ref().is_none_or(|f| eval(f, &row, &lookup)) {
                    continue;
                }
                let values = || columns.iter().map(|c| row.get(c)).collect::<Vec<_>>();
                if !order.is_empty() {
                    let keys = order.iter().map(|(r, _)| row.get(r)).collect();
                    keyed.push((keys, values()));
                    continue;
                }
                if passed >= end {
                    break 'bills;
                }
                if passed >= self.start {
                    answer.push(values());
                }
                passed += 1;
            }
        }
        if order.is_empty() {
            return Ok(answer);
        }
        // A stable sort: equal keys keep save (then entry) order.
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, desc)) in a.iter().zip(b).zip(&order) {
                let o = compare_values(x, y);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        Ok(keyed
            .into_iter()
            .take(top)
            .skip(self.start)
            .take(self.limit)
            .map(|(_, values)| values)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kingdee::store::BillStore;
    use serde_json::json;

    fn setup() -> (FormSpec, Bills) {
        let spec = FormSpec::builtin().into_iter().next().unwrap();
        let store = BillStore::new();
        for (no, qtys) in [("CG001", vec![1, 2]), ("CG002", vec![5]), ("X'1", vec![7])] {
            let rows: Vec<Value> = qtys
                .iter()
                .map(|q| json!({"FMaterialId": {"FNumber": "A01"}, "FQty": q.to_string()}))
                .collect();
            let bill =
                json!({"FBillNo": no, "FSupplierId": {"FNumber": "0003"}, "FPOOrderEntry": rows});
            store
                .save(
                    &spec,
                    bill.as_object().unwrap().clone(),
                    no != "CG002",
                    "2024-01-02T10:00:00",
                    |_, _| (),
                )
                .unwrap();
        }
        let bills = store.all("PUR_PurchaseOrder");
        (spec, bills)
    }

    fn query(data: Value) -> Result<Vec<Vec<Value>>, QueryError> {
        let (spec, bills) = setup();
        QueryRequest::parse(data.as_object().unwrap())?.run(&spec, &bills)
    }

    #[test]
    fn header_query_with_filters() {
        let rows = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FID,FBillNo,FDocumentStatus,FSupplierId.FNumber",
            "FilterString": "FBillNo='CG001'"}))
        .unwrap();
        assert_eq!(
            rows,
            vec![vec![
                json!(100_001),
                json!("CG001"),
                json!("C"),
                json!("0003")
            ]]
        );
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo",
            "FilterString": "FBillNo in ('CG001', 'X''1') ", "OrderString": "FBillNo DESC"}),
        )
        .unwrap();
        assert_eq!(rows, vec![vec![json!("X'1")], vec![json!("CG001")]]);
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": ""}),
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        let rows = query(
            json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo",
            "FilterString": "FDocumentStatus = 'A' or (FID >= 100003 and FBillNo like 'X%')"}),
        )
        .unwrap();
        assert_eq!(rows, vec![vec![json!("CG002")], vec![json!("X'1")]]);
    }

    #[test]
    fn entry_queries_expand_rows() {
        let rows = query(json!({"FormId": "PUR_PurchaseOrder",
            "FieldKeys": "FBillNo,FPOOrderEntry_FEntryID,FMaterialId.FNumber,FQty",
            "FilterString": "FBillNo='CG001'"}))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            vec![json!("CG001"), json!(100_002), json!("A01"), json!(2)]
        );
        let rows = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": "FQty > 4"})).unwrap();
        assert_eq!(rows, vec![vec![json!("CG002")], vec![json!("X'1")]]);
    }

    #[test]
    fn paging_parameters() {
        let base = json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo,FQty"});
        let mut q = base.clone();
        q["StartRow"] = json!(1);
        q["Limit"] = json!(2);
        assert_eq!(query(q).unwrap().len(), 2);
        let mut q = base.clone();
        q["TopRowCount"] = json!("3");
        q["StartRow"] = json!(2);
        assert_eq!(query(q).unwrap().len(), 1);
        let mut q = base;
        q["Limit"] = json!(10_001);
        assert_eq!(query(q).unwrap_err().msg_code, 8);
    }

    #[test]
    fn paging_in_save_order_matches_paging_after_a_sort() {
        // Without OrderString the scan stops at the page's end; sorted by
        // FID (stable: entry order kept) every row is gathered first. Both
        // must page alike.
        for top in [0usize, 1, 2, 3, 5] {
            for start in [0, 1, 2, 4] {
                for limit in [1, 2, 10] {
                    let q = json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo,FQty",
                        "TopRowCount": top, "StartRow": start, "Limit": limit});
                    let mut sorted = q.clone();
                    sorted["OrderString"] = json!("FID");
                    let plain = query(q).unwrap();
                    assert_eq!(plain, query(sorted).unwrap(), "{top} {start} {limit}");
                    let all = if top == 0 { 4 } else { top.min(4) };
                    assert_eq!(plain.len(), all.saturating_sub(start).min(limit));
                }
            }
        }
    }

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

    #[test]
    fn errors() {
        let e =
            query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FNoSuchField"})).unwrap_err();
        assert_eq!(e.msg_code, 9);
        assert_eq!(e.message, "元数据中标识为FNoSuchField的字段不存在");
        let e = query(json!({"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo", "FilterString": "FBillNo = "}))
            .unwrap_err();
        assert_eq!(e.msg_code, 4);
        assert!(like("CG001", "cg%1"));
        assert!(!like("CG001", "CG_1"));
    }
}
