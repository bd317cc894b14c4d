//! Evaluation of a compiled scheme over one record.

use std::borrow::Cow;
use std::cmp::Ordering;

use duijie_maplib::error::{element_path, fill_path, no_match, required_target_null, table_miss};
use duijie_maplib::json::{self as mjson, write_key};
use duijie_maplib::serde_json::value::RawValue;
use duijie_maplib::{dec, decode, text, time, MapError, ValueError};

use super::compile::{
    CBlock, CExpr, CField, CPrelude, CValue, Decode, LevelPlan, ObjPlan, Program,
};
use super::value::{Lit, Value};
use crate::model::{Base, Builtin, Op, TargetScalar};

/// A failure inside an expression: the reason, and the source field's path
/// when decoding a source field failed.
pub(crate) struct Fail {
    err: ValueError,
    source: Option<String>,
}

impl From<ValueError> for Fail {
    fn from(err: ValueError) -> Fail {
        Fail { err, source: None }
    }
}

fn internal(what: impl Into<String>) -> Fail {
    Fail::from(ValueError::new(format!("internal error: {}", what.into())))
}

type R<T> = Result<T, Fail>;

/// The state of mapping one record.
pub(crate) struct Run<'a> {
    pub prog: &'a Program,
    pub scheme: &'a str,
    pub id_field: &'a str,
    pub record: &'a str,
    /// Where lookups are answered, and what each lookup is.
    lookups: &'a dyn duijie_maplib::Lookups,
    lookup_metas: &'a [duijie_maplib::LookupMeta],
    /// The bill's number field (`FBillNo`), and what was written to it.
    number_target: Option<&'a str>,
    pub number: Option<String>,
    /// The record's id, when [`Program::id_slot`] holds it.
    pub id: Option<std::borrow::Cow<'a, str>>,
    /// How many objects of the bill are open (1 while writing its fields).
    depth: usize,
    frames: Vec<Vec<Option<&'a RawValue>>>,
    locals: Vec<Value<'a>>,
    /// Index of the current element of each level below the record.
    src_idx: Vec<usize>,
    /// Index of the current element of each enclosing target array.
    tgt_idx: Vec<usize>,
}

pub(crate) enum Done<'a> {
    Bill,
    Skipped(&'a str),
}

impl<'a> Run<'a> {
    pub(crate) fn new(
        prog: &'a Program,
        scheme: &'a str,
        id_field: &'a str,
        number_target: Option<&'a str>,
        record: &'a str,
        lookups: &'a dyn duijie_maplib::Lookups,
        lookup_metas: &'a [duijie_maplib::LookupMeta],
    ) -> Run<'a> {
        Run {
            prog,
            scheme,
            id_field,
            record,
            lookups,
            lookup_metas,
            number_target,
            number: None,
            id: None,
            depth: 0,
            frames: Vec::with_capacity(4),
            locals: vec![Value::Null; prog.locals],
            src_idx: Vec::new(),
            tgt_idx: Vec::new(),
        }
    }

    fn error(&self, err: ValueError, target: String, source: String) -> MapError {
        let id = mjson::record_id(self.record, self.id_field);
        err.at(self.scheme, id, target, source)
    }

    /// Maps the record, appending the bill to `out` (the caller truncates
    /// on error or skip).
    pub(crate) fn record(&mut self, out: &mut Vec<u8>) -> Result<Done<'a>, MapError> {
        let prog = self.prog;
        let mut frame = vec![None; prog.root.slots];
        let n = prog.root.obj.names.len();
        let base = prog.root.obj.base;
        if let Err(e) = mjson::record(self.record, &prog.root.obj, &mut frame[base..base + n]) {
            return Err(self.error(e, String::new(), String::new()));
        }
        self.id = prog
            .id_slot
            .and_then(|slot| frame.get(slot).copied().flatten())
            .and_then(|raw| mjson::id_text(raw.get()));
        if let Err((e, path)) = nested(&prog.root.obj, &mut frame) {
            return Err(self.error(e, String::new(), path));
        }
        self.frames.push(frame);
        self.block(&prog.body, None, out)
    }

    fn block(
        &mut self,
        block: &'a CBlock,
        array: Option<&str>,
        out: &mut Vec<u8>,
    ) -> Result<Done<'a>, MapError> {
        // The block's path for errors (computed only on error): the
        // element's path in the target array, or "" for the bill.
        let path = |run: &Self| match array {
            Some(template) => element_path(template, &run.tgt_idx),
            None => String::new(),
        };
        for step in &block.prelude {
            match step {
                CPrelude::Let { local, expr } => {
                    let v = self
                        .eval(expr)
                        .map_err(|f| self.error(f.err, path(self), f.source.unwrap_or_default()))?;
                    if let Some(slot) = self.locals.get_mut(*local) {
                        *slot = v;
                    }
                }
                CPrelude::Skip { cond, unless, text } => {
                    let c = self
                        .eval(cond)
                        .map_err(|f| self.error(f.err, path(self), f.source.unwrap_or_default()))?;
                    if c.is_true() != *unless {
                        return Ok(Done::Skipped(text));
                    }
                }
            }
        }
        self.object(&block.fields, out)?;
        Ok(Done::Bill)
    }

    fn object(&mut self, fields: &'a [CField], out: &mut Vec<u8>) -> Result<(), MapError> {
        self.depth += 1;
        let result = self.object_fields(fields, out);
        self.depth -= 1;
        result
    }

    fn object_fields(&mut self, fields: &'a [CField], out: &mut Vec<u8>) -> Result<(), MapError> {
        out.push(b'{');
        let mut first = true;
        for f in fields {
            match &f.value {
                CValue::Scalar {
                    expr,
                    ty,
                    required,
                    sources,
                } => {
                    let at = |run: &Self, fail: Fail| {
                        let source = match fail.source {
                            Some(s) => s,
                            None => fill_path(sources, &run.src_idx),
                        };
                        run.error(fail.err, fill_path(&f.path, &run.tgt_idx), source)
                    };
                    let v = match self.eval(expr) {
                        Ok(v) => v,
                        Err(fail) => return Err(at(self, fail)),
                    };
                    if v.is_null() {
                        if *required {
                            return Err(at(self, Fail::from(required_target_null())));
                        }
                        continue;
                    }
                    comma(out, &mut first);
                    write_key(out, &f.name);
                    let start = out.len();
                    if let Err(e) = self.scalar(out, &v, ty) {
                        return Err(at(self, Fail::from(e)));
                    }
                    if self.depth == 1
                        && self.tgt_idx.is_empty()
                        && self.number_target == Some(f.name.as_str())
                    {
                        self.number = std::str::from_utf8(&out[start..])
                            .ok()
                            .and_then(mjson::id_text)
                            .map(std::borrow::Cow::into_owned);
                    }
                }
                CValue::Object(sub) => {
                    // Left out when it ends up `{}`.
                    let (at, was_first) = (out.len(), first);
                    comma(out, &mut first);
                    write_key(out, &f.name);
                    let inner = out.len();
                    self.object(sub, out)?;
                    if out.len() == inner + 2 {
                        out.truncate(at);
                        first = was_first;
                    }
                }
                CValue::Array {
                    source_level,
                    slot,
                    display,
                    plan,
                    body,
                    required,
                } => {
                    let (at, was_first) = (out.len(), first);
                    comma(out, &mut first);
                    write_key(out, &f.name);
                    let raw = slot.and_then(|s| {
                        self.frames
                            .get(*source_level)
                            .and_then(|fr| fr.get(s).copied().flatten())
                    });
                    let elements = mjson::elements(raw).map_err(|e| {
                        self.error(
                            e,
                            fill_path(&f.path, &self.tgt_idx),
                            fill_path(display, &self.src_idx),
                        )
                    })?;
                    out.push(b'[');
                    // `n` counts the elements not skipped (their index),
                    // `written` those not left out as empty.
                    let (mut n, mut written) = (0usize, 0usize);
                    for (i, el) in elements.into_iter().enumerate() {
                        self.src_idx.push(i);
                        self.tgt_idx.push(n);
                        let frame = self.element(plan, el, display, &f.path)?;
                        self.frames.push(frame);
                        let done = self.element_block(body, &f.path, written, out)?;
                        match done {
                            Element::Skipped => {}
                            Element::Empty => n += 1,
                            Element::Written => (n, written) = (n + 1, written + 1),
                        }
                        self.frames.pop();
                        self.tgt_idx.pop();
                        self.src_idx.pop();
                    }
                    if *required && n == 0 {
                        return Err(self.error(
                            duijie_maplib::error::required_target_empty(),
                            fill_path(&f.path, &self.tgt_idx),
                            fill_path(display, &self.src_idx),
                        ));
                    }
                    if written == 0 {
                        out.truncate(at);
                        first = was_first;
                    } else {
                        out.push(b']');
                    }
                }
                CValue::List(blocks) => {
                    let (at, was_first) = (out.len(), first);
                    comma(out, &mut first);
                    write_key(out, &f.name);
                    out.push(b'[');
                    let (mut n, mut written) = (0usize, 0usize);
                    for b in blocks {
                        self.tgt_idx.push(n);
                        match self.element_block(b, &f.path, written, out)? {
                            Element::Skipped => {}
                            Element::Empty => n += 1,
                            Element::Written => (n, written) = (n + 1, written + 1),
                        }
                        self.tgt_idx.pop();
                    }
                    if written == 0 {
                        out.truncate(at);
                        first = was_first;
                    } else {
                        out.push(b']');
                    }
                }
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// Writes one element of a target array after `written` others: what
    /// became of it (skipped and empty elements leave nothing).
    fn element_block(
        &mut self,
        body: &'a CBlock,
        array: &str,
        written: usize,
        out: &mut Vec<u8>,
    ) -> Result<Element, MapError> {
        let pos = out.len();
        if written > 0 {
            out.push(b',');
        }
        let inner = out.len();
        if let Done::Skipped(_) = self.block(body, Some(array), out)? {
            out.truncate(pos);
            return Ok(Element::Skipped);
        }
        if out.len() == inner + 2 {
            out.truncate(pos);
            return Ok(Element::Empty);
        }
        Ok(Element::Written)
    }

    /// Reads one array element into a new frame.
    fn element(
        &self,
        plan: &LevelPlan,
        el: &'a RawValue,
        display: &str,
        array: &str,
    ) -> Result<Vec<Option<&'a RawValue>>, MapError> {
        let mut frame = vec![None; plan.slots];
        let n = plan.obj.names.len();
        let base = plan.obj.base;
        let source = || element_path(display, &self.src_idx);
        let path = || element_path(array, &self.tgt_idx);
        if let Err(e) = mjson::object(Some(el), &plan.obj, &mut frame[base..base + n]) {
            return Err(self.error(e, path(), source()));
        }
        if let Err((e, sub)) = nested(&plan.obj, &mut frame) {
            return Err(self.error(e, path(), format!("{}.{sub}", source())));
        }
        Ok(frame)
    }

    fn scalar(
        &self,
        out: &mut Vec<u8>,
        v: &Value<'_>,
        ty: &TargetScalar,
    ) -> Result<(), ValueError> {
        match (ty, v) {
            (TargetScalar::Str, Value::Str(s)) => mjson::write_str(out, s),
            (TargetScalar::Dec, Value::Dec(d)) => mjson::write_dec(out, d),
            (TargetScalar::Dec | TargetScalar::Int, Value::Int(i)) => mjson::write_int(out, *i),
            (TargetScalar::Bool, Value::Bool(b)) => mjson::write_bool(out, *b),
            (TargetScalar::DateTime { format }, Value::DateTime(t)) => {
                let s = time::format_datetime(t, format, Some(self.prog.target_zone))?;
                mjson::write_str(out, &s);
            }
            (TargetScalar::Date { format }, Value::Date(d)) => {
                mjson::write_str(out, &time::format_date(*d, format)?);
            }
            (TargetScalar::List, Value::List(l)) => mjson::write_list(out, l),
            (ty, v) => {
                return Err(ValueError::new(format!(
                    "internal error: a {} value for a {ty:?} field",
                    v.kind()
                )))
            }
        }
        Ok(())
    }

    fn field(
        &self,
        level: usize,
        slot: Option<usize>,
        d: &Decode,
        required: bool,
        display: &str,
    ) -> R<Value<'a>> {
        let raw = slot.and_then(|s| {
            self.frames
                .get(level)
                .and_then(|f| f.get(s).copied().flatten())
        });
        let r = match d {
            Decode::Str => decode::text(raw, required).map(|v| v.map_or(Value::Null, Value::Str)),
            Decode::Dec => decode::dec(raw, required).map(|v| v.map_or(Value::Null, Value::Dec)),
            Decode::Int => decode::int(raw, required).map(|v| v.map_or(Value::Null, Value::Int)),
            Decode::Bool => {
                decode::boolean(raw, required).map(|v| v.map_or(Value::Null, Value::Bool))
            }
            Decode::Date(fmt) => {
                decode::date(raw, required, fmt).map(|v| v.map_or(Value::Null, Value::Date))
            }
            Decode::DateTime(fmt, zone) => decode::datetime(raw, required, fmt, *zone)
                .map(|v| v.map_or(Value::Null, Value::DateTime)),
            Decode::List => decode::list(raw, required).map(|v| v.map_or(Value::Null, Value::List)),
            Decode::Null => Ok(Value::Null),
        };
        r.map_err(|err| Fail {
            err,
            source: Some(fill_path(display, &self.src_idx)),
        })
    }

    pub(crate) fn eval(&mut self, e: &'a CExpr) -> R<Value<'a>> {
        match e {
            CExpr::Lit(l) => l.value().map_err(|r| Fail::from(ValueError::new(r))),
            CExpr::Field {
                level,
                slot,
                decode,
                required,
                display,
            } => self.field(*level, *slot, decode, *required, display),
            CExpr::Local(i) => Ok(self.locals.get(*i).cloned().unwrap_or(Value::Null)),
            CExpr::Call { func, args } => self.call(*func, args),
            CExpr::Lookup { table, key } => {
                let key = self.eval(key)?;
                self.lookup(*table, key)
            }
            CExpr::BaseData {
                lookup,
                key,
                field,
                ty,
                wait,
                required,
            } => {
                let key = match self.eval(key)? {
                    Value::Null => return Ok(Value::Null),
                    Value::Str(s) => s.into_owned(),
                    Value::Int(i) => i.to_string(),
                    v => return Err(internal(format!("a lookup key of type {}", v.kind()))),
                };
                let meta = self
                    .lookup_metas
                    .get(*lookup)
                    .ok_or_else(|| internal(format!("lookup {lookup}")))?;
                let (l, w, r) = (self.lookups, *wait, *required);
                use duijie_maplib::lookup as lk;
                Ok(match ty {
                    Base::Str => lk::text(l, meta, &key, field, w, r)?
                        .map_or(Value::Null, |s| Value::Str(Cow::Owned(s))),
                    Base::Int => {
                        lk::int(l, meta, &key, field, w, r)?.map_or(Value::Null, Value::Int)
                    }
                    Base::Dec => {
                        lk::dec(l, meta, &key, field, w, r)?.map_or(Value::Null, Value::Dec)
                    }
                    Base::Bool => {
                        lk::boolean(l, meta, &key, field, w, r)?.map_or(Value::Null, Value::Bool)
                    }
                    other => {
                        return Err(internal(format!("a lookup field of type {}", other.name())))
                    }
                })
            }
            CExpr::Neg(x) => match self.eval(x)? {
                Value::Null => Ok(Value::Null),
                Value::Dec(d) => Ok(Value::Dec(dec::neg_dec(d))),
                Value::Int(i) => Ok(Value::Int(dec::neg_int(i)?)),
                v => Err(internal(format!("-{}", v.kind()))),
            },
            CExpr::Not(x) => match self.eval(x)? {
                Value::Null => Ok(Value::Null),
                Value::Bool(b) => Ok(Value::Bool(!b)),
                v => Err(internal(format!("not {}", v.kind()))),
            },
            CExpr::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            CExpr::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval(cond)?.is_true() {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            CExpr::Match {
                scrutinee,
                arms,
                default,
            } => {
                let v = self.eval(scrutinee)?;
                for (lits, arm) in arms {
                    for l in lits {
                        let lv = l.value().map_err(|r| Fail::from(ValueError::new(r)))?;
                        if v.equals(&lv) {
                            return self.eval(arm);
                        }
                    }
                }
                match default {
                    Some(d) => self.eval(d),
                    None => Err(Fail::from(no_match(&v.show()))),
                }
            }
            CExpr::In { value, items } => {
                let v = self.eval(value)?;
                for item in items {
                    if v.equals(&self.eval(item)?) {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            CExpr::List(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    match self.eval(item)? {
                        Value::Null => {}
                        Value::Str(s) => list.push(s.into_owned()),
                        v => return Err(internal(format!("a {} in a list", v.kind()))),
                    }
                }
                Ok(Value::List(list))
            }
        }
    }

    fn lookup(&self, table: usize, key: Value<'a>) -> R<Value<'a>> {
        let Some(t) = self.prog.tables.get(table) else {
            return Err(internal(format!("no table {table}")));
        };
        if key.is_null() {
            return Ok(Value::Null);
        }
        let found = match (&t.by_str, &key) {
            (Some(map), Value::Str(s)) => map.get(s.as_ref()).map(|i| &t.entries[*i].1),
            _ => {
                let mut hit = None;
                for (k, v) in &t.entries {
                    let kv = k.value().map_err(|r| Fail::from(ValueError::new(r)))?;
                    if key.equals(&kv) {
                        hit = Some(v);
                        break;
                    }
                }
                hit
            }
        };
        match found.or(t.default.as_ref()) {
            Some(v) => lit_value(v),
            None => Err(Fail::from(table_miss(&t.name, &key.show()))),
        }
    }

    fn binary(&mut self, op: Op, lhs: &'a CExpr, rhs: &'a CExpr) -> R<Value<'a>> {
        match op {
            Op::Or => {
                if self.eval(lhs)?.is_true() {
                    return Ok(Value::Bool(true));
                }
                Ok(Value::Bool(self.eval(rhs)?.is_true()))
            }
            Op::And => {
                if !self.eval(lhs)?.is_true() {
                    return Ok(Value::Bool(false));
                }
                Ok(Value::Bool(self.eval(rhs)?.is_true()))
            }
            Op::Coalesce => {
                let l = self.eval(lhs)?;
                if l.is_null() {
                    self.eval(rhs)
                } else {
                    Ok(l)
                }
            }
            _ => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                strict(op, l, r)
            }
        }
    }

    fn call(&mut self, func: Builtin, args: &'a [CExpr]) -> R<Value<'a>> {
        if func == Builtin::Fail {
            let message = match args.first() {
                Some(a) => match self.eval(a)? {
                    Value::Str(s) => s.into_owned(),
                    _ => String::new(),
                },
                None => String::new(),
            };
            return Err(Fail::from(ValueError::new(message)));
        }
        let mut vals: Vec<Value<'a>> = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a)?);
        }
        match func {
            Builtin::IsNull => return Ok(Value::Bool(vals.first().is_none_or(Value::is_null))),
            Builtin::IsEmpty => {
                return Ok(Value::Bool(match vals.first() {
                    None | Some(Value::Null) => true,
                    Some(Value::Str(s)) => s.is_empty(),
                    Some(Value::List(l)) => l.is_empty(),
                    Some(_) => false,
                }))
            }
            _ => {}
        }
        if vals.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        call(func, vals)
    }
}

/// What became of one element of a target array.
enum Element {
    /// A `skip` matched: it takes no index.
    Skipped,
    /// All its fields were null: it has an index but is left out.
    Empty,
    Written,
}

fn lit_value<'a>(l: &'a Lit) -> R<Value<'a>> {
    l.value().map_err(|r| Fail::from(ValueError::new(r)))
}

fn comma(out: &mut Vec<u8>, first: &mut bool) {
    if *first {
        *first = false;
    } else {
        out.push(b',');
    }
}

/// Reads the nested objects of a level into its frame, in shape order,
/// depth first. On error: the reason and the object's dotted path.
fn nested(plan: &ObjPlan, frame: &mut [Option<&RawValue>]) -> Result<(), (ValueError, String)> {
    for (k, sub) in &plan.nested {
        let raw = frame.get(plan.base + k).copied().flatten();
        let n = sub.names.len();
        mjson::object(raw, sub, &mut frame[sub.base..sub.base + n])
            .map_err(|e| (e, sub.path.clone()))?;
        nested(sub, frame)?;
    }
    Ok(())
}

/// Operators that evaluate both sides.
fn strict<'a>(op: Op, l: Value<'a>, r: Value<'a>) -> R<Value<'a>> {
    let cmp = |want: fn(Ordering) -> bool| Ok(Value::Bool(l.order(&r).is_some_and(want)));
    match op {
        Op::Eq => return Ok(Value::Bool(l.equals(&r))),
        Op::Ne => return Ok(Value::Bool(!l.equals(&r))),
        Op::Lt => return cmp(Ordering::is_lt),
        Op::Le => return cmp(Ordering::is_le),
        Op::Gt => return cmp(Ordering::is_gt),
        Op::Ge => return cmp(Ordering::is_ge),
        _ => {}
    }
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    Ok(match (op, l, r) {
        (Op::AddDec, a, b) => Value::Dec(dec::add_dec(as_dec(a)?, as_dec(b)?)?),
        (Op::SubDec, a, b) => Value::Dec(dec::sub_dec(as_dec(a)?, as_dec(b)?)?),
        (Op::MulDec, a, b) => Value::Dec(dec::mul_dec(as_dec(a)?, as_dec(b)?)?),
        (Op::DivDec, a, b) => Value::Dec(dec::div_dec(as_dec(a)?, as_dec(b)?)?),
        (Op::AddInt, Value::Int(a), Value::Int(b)) => Value::Int(dec::add_int(a, b)?),
        (Op::SubInt, Value::Int(a), Value::Int(b)) => Value::Int(dec::sub_int(a, b)?),
        (Op::MulInt, Value::Int(a), Value::Int(b)) => Value::Int(dec::mul_int(a, b)?),
        (Op::Concat, Value::Str(a), Value::Str(b)) => Value::Str(Cow::Owned(text::concat(&a, &b))),
        (op, a, b) => return Err(internal(format!("{op:?} on {} and {}", a.kind(), b.kind()))),
    })
}

fn as_dec(v: Value<'_>) -> R<duijie_maplib::rust_decimal::Decimal> {
    match v {
        Value::Dec(d) => Ok(d),
        Value::Int(i) => Ok(dec::int_to_dec(i)),
        v => Err(internal(format!("a {} where a dec is needed", v.kind()))),
    }
}

fn as_int(v: &Value<'_>) -> R<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(internal(format!("a {} where an int is needed", v.kind()))),
    }
}

fn as_str<'v>(v: &'v Value<'_>) -> R<&'v str> {
    match v {
        Value::Str(s) => Ok(s),
        v => Err(internal(format!("a {} where a str is needed", v.kind()))),
    }
}

/// A function of non-null arguments.
fn call<'a>(func: Builtin, mut vals: Vec<Value<'a>>) -> R<Value<'a>> {
    let arity = vals.len();
    let mut it = vals.drain(..);
    let Some(x) = it.next() else {
        return Err(internal(format!("{func:?} without arguments")));
    };
    let rest: Vec<Value<'a>> = it.collect();
    let arg = |i: usize| {
        rest.get(i)
            .ok_or_else(|| internal(format!("{func:?} with {arity} arguments")))
    };
    Ok(match func {
        Builtin::IntToDec => Value::Dec(as_dec(x)?),
        Builtin::StrToDec | Builtin::TryStrToDec => {
            let r = match x {
                Value::Str(s) => dec::parse_dec(&s),
                v => Ok(as_dec(v)?),
            };
            match (func, r) {
                (_, Ok(d)) => Value::Dec(d),
                (Builtin::TryStrToDec, Err(_)) => Value::Null,
                (_, Err(e)) => return Err(e.into()),
            }
        }
        Builtin::DecToInt | Builtin::TryDecToInt | Builtin::StrToInt | Builtin::TryStrToInt => {
            let r = match x {
                Value::Int(i) => Ok(i),
                Value::Dec(d) => dec::dec_to_int(d),
                Value::Str(s) => dec::parse_int(&s),
                v => return Err(internal(format!("{func:?} of a {}", v.kind()))),
            };
            match (func, r) {
                (_, Ok(i)) => Value::Int(i),
                (Builtin::TryDecToInt | Builtin::TryStrToInt, Err(_)) => Value::Null,
                (_, Err(e)) => return Err(e.into()),
            }
        }
        Builtin::ToString => Value::Str(match x {
            Value::Str(s) => s,
            Value::Dec(d) => Cow::Owned(text::dec_to_string(&d)),
            Value::Int(i) => Cow::Owned(text::int_to_string(i)),
            Value::Bool(b) => Cow::Borrowed(text::bool_to_string(b)),
            Value::Date(d) => Cow::Owned(time::date_to_string(d)),
            Value::DateTime(t) => Cow::Owned(time::datetime_to_string(&t)),
            Value::List(l) => Cow::Owned(text::list_to_string(&l)),
            Value::Null => return Ok(Value::Null),
        }),
        Builtin::ToDate | Builtin::TryToDate => {
            let s = as_str(&x)?;
            let fmt = match rest.first() {
                Some(f) => as_str(f)?,
                None => time::DATE_FORMAT,
            };
            match (func, time::parse_date(s, fmt)) {
                (_, Ok(d)) => Value::Date(d),
                (Builtin::TryToDate, Err(_)) => Value::Null,
                (_, Err(e)) => return Err(e.into()),
            }
        }
        Builtin::ToDateTime | Builtin::TryToDateTime => {
            let s = as_str(&x)?;
            let fmt = match rest.first() {
                Some(f) => as_str(f)?,
                None => time::DATETIME_FORMAT,
            };
            let zone = match rest.get(1) {
                Some(z) => as_str(z)?,
                None => "+08:00",
            };
            match (func, time::to_datetime(s, fmt, zone)) {
                (_, Ok(t)) => Value::DateTime(t),
                (Builtin::TryToDateTime, Err(_)) => Value::Null,
                (_, Err(e)) => return Err(e.into()),
            }
        }
        Builtin::FormatDateTime => {
            let fmt = as_str(arg(0)?)?;
            let zone = match rest.get(1) {
                Some(z) => Some(as_str(z)?),
                None => None,
            };
            match x {
                Value::DateTime(t) => {
                    Value::Str(Cow::Owned(time::format_datetime_zone(&t, fmt, zone)?))
                }
                Value::Date(d) => Value::Str(Cow::Owned(time::format_date(d, fmt)?)),
                v => return Err(internal(format!("format_datetime of a {}", v.kind()))),
            }
        }
        Builtin::FormatDate => {
            let fmt = as_str(arg(0)?)?;
            match x {
                Value::Date(d) => Value::Str(Cow::Owned(time::format_date(d, fmt)?)),
                Value::DateTime(t) => Value::Str(Cow::Owned(time::format_datetime(&t, fmt, None)?)),
                v => return Err(internal(format!("format_date of a {}", v.kind()))),
            }
        }
        Builtin::DateOf => {
            let zone = match rest.first() {
                Some(z) => Some(as_str(z)?),
                None => None,
            };
            match x {
                Value::DateTime(t) => Value::Date(time::date_of_zone(&t, zone)?),
                Value::Date(d) => Value::Date(d),
                v => return Err(internal(format!("date of a {}", v.kind()))),
            }
        }
        Builtin::AddDaysDate | Builtin::AddDaysDateTime => {
            let n = as_int(arg(0)?)?;
            match x {
                Value::Date(d) => Value::Date(time::add_days_date(d, n)?),
                Value::DateTime(t) => Value::DateTime(time::add_days_datetime(&t, n)?),
                v => return Err(internal(format!("add_days of a {}", v.kind()))),
            }
        }
        Builtin::Round => Value::Dec(dec::round(as_dec(x)?, as_int(arg(0)?)?)?),
        Builtin::Truncate => Value::Dec(dec::truncate(as_dec(x)?, as_int(arg(0)?)?)?),
        Builtin::Abs => match x {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(|| internal("abs overflow"))?),
            v => Value::Dec(dec::abs(as_dec(v)?)),
        },
        Builtin::Min | Builtin::Max => {
            let b = arg(0)?.clone();
            match (x, b) {
                (Value::Int(a), Value::Int(b)) => Value::Int(if func == Builtin::Min {
                    a.min(b)
                } else {
                    a.max(b)
                }),
                (a, b) => {
                    let (a, b) = (as_dec(a)?, as_dec(b)?);
                    Value::Dec(if func == Builtin::Min {
                        dec::min_dec(a, b)
                    } else {
                        dec::max_dec(a, b)
                    })
                }
            }
        }
        Builtin::Trim => match x {
            Value::Str(Cow::Borrowed(s)) => Value::Str(Cow::Borrowed(text::trim(s))),
            Value::Str(Cow::Owned(s)) => Value::Str(Cow::Owned(text::trim(&s).to_string())),
            v => return Err(internal(format!("trim of a {}", v.kind()))),
        },
        Builtin::Upper => Value::Str(Cow::Owned(text::upper(as_str(&x)?))),
        Builtin::Lower => Value::Str(Cow::Owned(text::lower(as_str(&x)?))),
        Builtin::Substring => {
            let start = as_int(arg(0)?)?;
            let len = match rest.get(1) {
                Some(l) => Some(as_int(l)?),
                None => None,
            };
            match x {
                Value::Str(Cow::Borrowed(s)) => {
                    Value::Str(Cow::Borrowed(text::substring(s, start, len)))
                }
                Value::Str(Cow::Owned(s)) => {
                    Value::Str(Cow::Owned(text::substring(&s, start, len).to_string()))
                }
                v => return Err(internal(format!("substring of a {}", v.kind()))),
            }
        }
        Builtin::Replace => Value::Str(Cow::Owned(text::replace(
            as_str(&x)?,
            as_str(arg(0)?)?,
            as_str(arg(1)?)?,
        ))),
        Builtin::Split => Value::List(text::split(as_str(&x)?, as_str(arg(0)?)?)),
        Builtin::Join => match &x {
            Value::List(l) => Value::Str(Cow::Owned(text::join(l, as_str(arg(0)?)?))),
            v => return Err(internal(format!("join of a {}", v.kind()))),
        },
        Builtin::Len => Value::Int(text::len(as_str(&x)?)),
        Builtin::StartsWith => Value::Bool(text::starts_with(as_str(&x)?, as_str(arg(0)?)?)),
        Builtin::EndsWith => Value::Bool(text::ends_with(as_str(&x)?, as_str(arg(0)?)?)),
        Builtin::Contains => Value::Bool(text::contains(as_str(&x)?, as_str(arg(0)?)?)),
        Builtin::IsNull | Builtin::IsEmpty => Value::Bool(false),
        // Handled before the arguments are evaluated (see `Run::call`).
        Builtin::Fail => return Err(internal("error(…) called as a value")),
    })
}
