//! From the checked model to the interpreter's program: source fields
//! resolved to slots of per-level frames, literals parsed once, formats and
//! zones resolved.

use std::collections::HashMap;

use duijie_maplib::chrono::{FixedOffset, Offset, Utc};
use duijie_maplib::json::Keys;
use duijie_maplib::{dec, time};

use super::value::Lit;
use crate::model::{
    Base, Block, Builtin, Const, Expr, ExprKind, FieldRef, OnMiss, Op, Prelude, Scheme, Shape,
    ShapeField, ShapeKind, SourceScalar, TargetField, TargetScalar, TargetValue,
};

/// The compiled scheme.
#[derive(Debug)]
pub(crate) struct Program {
    pub root: LevelPlan,
    pub tables: Vec<CTable>,
    pub body: CBlock,
    pub locals: usize,
    pub target_zone: FixedOffset,
    /// The root frame's slot of the scheme's id field, when it is a key of
    /// the record that is read anyway (else the id is read on its own).
    pub id_slot: Option<usize>,
}

/// How the keys of one object are read into a level's frame.
#[derive(Debug)]
pub(crate) struct ObjPlan {
    pub names: Vec<String>,
    index: Option<HashMap<String, usize>>,
    /// Slot of the first key; key `i` goes to slot `base + i`.
    pub base: usize,
    /// Dotted path of this object from its level (`""` for the level itself).
    pub path: String,
    /// Nested objects that are read: (key index, plan), in shape order.
    pub nested: Vec<(usize, ObjPlan)>,
    /// Arrays under this object: (key index, element shape).
    arrays: Vec<(usize, Shape)>,
}

impl Keys for ObjPlan {
    fn index(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(map) => map.get(key).copied(),
            None => self.names.iter().position(|n| n == key),
        }
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("")
    }
}

/// The frame layout of one level (the record, or an array's elements).
#[derive(Debug)]
pub(crate) struct LevelPlan {
    pub obj: ObjPlan,
    pub slots: usize,
}

#[derive(Debug)]
pub(crate) struct CTable {
    pub name: String,
    pub entries: Vec<(Lit, Lit)>,
    /// Index of string keys, for large tables.
    pub by_str: Option<HashMap<String, usize>>,
    pub default: Option<Lit>,
}

#[derive(Debug)]
pub(crate) struct CBlock {
    pub prelude: Vec<CPrelude>,
    pub fields: Vec<CField>,
}

#[derive(Debug)]
pub(crate) enum CPrelude {
    Let {
        local: usize,
        expr: CExpr,
    },
    Skip {
        cond: CExpr,
        unless: bool,
        text: String,
    },
}

#[derive(Debug)]
pub(crate) struct CField {
    pub name: String,
    pub path: String,
    pub value: CValue,
}

#[derive(Debug)]
pub(crate) enum CValue {
    Scalar {
        expr: CExpr,
        ty: TargetScalar,
        required: bool,
        sources: String,
    },
    Object(Vec<CField>),
    Array {
        source_level: usize,
        slot: Option<usize>,
        display: String,
        plan: LevelPlan,
        body: CBlock,
        required: bool,
    },
    List(Vec<CBlock>),
}

/// How a source scalar is decoded.
#[derive(Debug, Clone)]
pub(crate) enum Decode {
    Str,
    Dec,
    Int,
    Bool,
    Date(String),
    DateTime(String, FixedOffset),
    List,
    Null,
}

#[derive(Debug)]
pub(crate) enum CExpr {
    Lit(Lit),
    Field {
        level: usize,
        /// `None` when the field could not be placed (reads as missing).
        slot: Option<usize>,
        decode: Decode,
        required: bool,
        display: String,
    },
    Local(usize),
    Call {
        func: Builtin,
        args: Vec<CExpr>,
    },
    Lookup {
        table: usize,
        key: Box<CExpr>,
    },
    /// `lookup[key].FIELD` (see `ExprKind::BaseData`).
    BaseData {
        lookup: usize,
        key: Box<CExpr>,
        field: String,
        ty: Base,
        wait: bool,
        required: bool,
    },
    Neg(Box<CExpr>),
    Not(Box<CExpr>),
    Binary {
        op: Op,
        lhs: Box<CExpr>,
        rhs: Box<CExpr>,
    },
    If {
        cond: Box<CExpr>,
        then: Box<CExpr>,
        otherwise: Box<CExpr>,
    },
    Match {
        scrutinee: Box<CExpr>,
        arms: Vec<(Vec<Lit>, CExpr)>,
        default: Option<Box<CExpr>>,
    },
    In {
        value: Box<CExpr>,
        items: Vec<CExpr>,
    },
    List(Vec<CExpr>),
}

pub(crate) fn lit(c: &Const) -> Lit {
    match c {
        Const::Null => Lit::Null,
        Const::Str(s) => Lit::Str(s.clone()),
        Const::Dec(text) => match dec::parse_dec(text) {
            Ok(d) => Lit::Dec(d),
            Err(e) => Lit::Bad(e.reason),
        },
        Const::Int(i) => Lit::Int(*i),
        Const::Bool(b) => Lit::Bool(*b),
    }
}

/// The offset of a spec's zone; UTC for an impossible one (the spec loader
/// rejects those).
fn fixed(secs: i32) -> FixedOffset {
    time::offset(secs).unwrap_or_else(|_| Utc.fix())
}

pub(crate) fn compile(scheme: &Scheme) -> Program {
    // Pass 1: make sure every field the body reads is in the shape (the
    // checker puts them there; this keeps the interpreter total).
    let mut reads = scheme.reads.clone();
    let mut locs: Vec<Vec<String>> = vec![Vec::new()];
    let mut max_local = 0usize;
    augment_block(&scheme.body, &mut reads, &mut locs, &mut max_local);

    let source_zone = fixed(scheme.source_time.utc_offset_secs);
    let mut c = Compiler {
        scheme,
        source_zone,
        levels: Vec::new(),
    };
    let root = level_plan(&reads);
    c.levels.push(root);
    let body = c.block(&scheme.body);
    let root = c
        .levels
        .pop()
        .unwrap_or_else(|| level_plan(&Shape::default()));
    let tables = scheme
        .tables
        .iter()
        .map(|t| {
            let entries: Vec<(Lit, Lit)> =
                t.entries.iter().map(|(k, v)| (lit(k), lit(v))).collect();
            let by_str =
                if entries.len() > 8 && entries.iter().all(|(k, _)| matches!(k, Lit::Str(_))) {
                    let mut map = HashMap::new();
                    for (i, (k, _)) in entries.iter().enumerate() {
                        if let Lit::Str(s) = k {
                            map.entry(s.clone()).or_insert(i);
                        }
                    }
                    Some(map)
                } else {
                    None
                };
            CTable {
                name: t.name.clone(),
                entries,
                by_str,
                default: t.default.as_ref().map(lit),
            }
        })
        .collect();
    let id_slot = root
        .obj
        .index(&scheme.meta.id_field)
        .map(|i| root.obj.base + i);
    Program {
        id_slot,
        root,
        tables,
        body,
        locals: max_local,
        target_zone: fixed(scheme.target_time.utc_offset_secs),
    }
}

// ---------------------------------------------------------------- pass 1

fn augment_block(
    block: &Block,
    reads: &mut Shape,
    locs: &mut Vec<Vec<String>>,
    max_local: &mut usize,
) {
    for step in &block.prelude {
        match step {
            Prelude::Let { local, expr, .. } => {
                *max_local = (*max_local).max(local + 1);
                augment_expr(expr, reads, locs);
            }
            Prelude::Skip { cond, .. } => augment_expr(cond, reads, locs),
        }
    }
    augment_fields(&block.fields, reads, locs, max_local);
}

fn augment_fields(
    fields: &[TargetField],
    reads: &mut Shape,
    locs: &mut Vec<Vec<String>>,
    max_local: &mut usize,
) {
    for f in fields {
        match &f.value {
            TargetValue::Scalar { expr, .. } => augment_expr(expr, reads, locs),
            TargetValue::Object(sub) => augment_fields(sub, reads, locs, max_local),
            TargetValue::Array {
                source,
                level,
                body,
                ..
            } => {
                let Some(base) = locs.get(source.level) else {
                    continue;
                };
                let mut loc = base.clone();
                loc.extend(source.path.iter().cloned());
                ensure(reads, &loc, Leaf::Array);
                let saved = locs.len();
                locs.truncate(*level);
                while locs.len() < *level {
                    locs.push(Vec::new());
                }
                locs.push(loc);
                augment_block(body, reads, locs, max_local);
                locs.truncate(saved.min(locs.len()));
            }
            TargetValue::List(blocks) => {
                for b in blocks {
                    augment_block(b, reads, locs, max_local);
                }
            }
        }
    }
}

fn augment_expr(e: &Expr, reads: &mut Shape, locs: &[Vec<String>]) {
    match &e.kind {
        ExprKind::Const(_) | ExprKind::Local(_) => {}
        ExprKind::Field { field, scalar } => {
            if let Some(base) = locs.get(field.level) {
                let mut loc = base.clone();
                loc.extend(field.path.iter().cloned());
                ensure(reads, &loc, Leaf::Scalar(scalar));
            }
        }
        ExprKind::Call { args, .. } | ExprKind::List(args) => {
            for a in args {
                augment_expr(a, reads, locs);
            }
        }
        ExprKind::Lookup { key, .. } | ExprKind::BaseData { key, .. } => {
            augment_expr(key, reads, locs)
        }
        ExprKind::Neg(x) | ExprKind::Not(x) => augment_expr(x, reads, locs),
        ExprKind::Binary { lhs, rhs, .. } => {
            augment_expr(lhs, reads, locs);
            augment_expr(rhs, reads, locs);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            augment_expr(cond, reads, locs);
            augment_expr(then, reads, locs);
            augment_expr(otherwise, reads, locs);
        }
        ExprKind::Match {
            scrutinee,
            arms,
            default,
        } => {
            augment_expr(scrutinee, reads, locs);
            for (_, arm) in arms {
                augment_expr(arm, reads, locs);
            }
            if let Some(d) = default {
                augment_expr(d, reads, locs);
            }
        }
        ExprKind::In { value, items } => {
            augment_expr(value, reads, locs);
            for i in items {
                augment_expr(i, reads, locs);
            }
        }
    }
}

enum Leaf<'a> {
    Scalar(&'a SourceScalar),
    Array,
}

/// Adds `path` to the shape if it is not there.
fn ensure(shape: &mut Shape, path: &[String], leaf: Leaf<'_>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let pos = match shape.fields.iter().position(|f| &f.name == first) {
        Some(p) => p,
        None => {
            let kind = if rest.is_empty() {
                match &leaf {
                    Leaf::Scalar(s) => ShapeKind::Scalar((*s).clone()),
                    Leaf::Array => ShapeKind::Array(Shape::default()),
                }
            } else {
                ShapeKind::Object(Shape::default())
            };
            shape.fields.push(ShapeField {
                name: first.clone(),
                kind,
            });
            shape.fields.len() - 1
        }
    };
    if rest.is_empty() {
        return;
    }
    match &mut shape.fields[pos].kind {
        ShapeKind::Object(sub) | ShapeKind::Array(sub) => ensure(sub, rest, leaf),
        ShapeKind::Scalar(_) => {}
    }
}

// ---------------------------------------------------------------- pass 2

fn level_plan(shape: &Shape) -> LevelPlan {
    let mut next = 0;
    let obj = obj_plan(shape, String::new(), &mut next);
    LevelPlan { obj, slots: next }
}

fn obj_plan(shape: &Shape, path: String, next: &mut usize) -> ObjPlan {
    let names: Vec<String> = shape.fields.iter().map(|f| f.name.clone()).collect();
    let base = *next;
    *next += names.len();
    let index = (names.len() > 8).then(|| {
        let mut map = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            map.entry(n.clone()).or_insert(i);
        }
        map
    });
    let mut nested = Vec::new();
    let mut arrays = Vec::new();
    for (i, f) in shape.fields.iter().enumerate() {
        match &f.kind {
            ShapeKind::Object(sub) => {
                let p = if path.is_empty() {
                    f.name.clone()
                } else {
                    format!("{path}.{}", f.name)
                };
                nested.push((i, obj_plan(sub, p, next)));
            }
            ShapeKind::Array(sub) => arrays.push((i, sub.clone())),
            ShapeKind::Scalar(_) => {}
        }
    }
    ObjPlan {
        names,
        index,
        base,
        path,
        nested,
        arrays,
    }
}

/// The slot of a path in a level (`None` when it is not there).
fn slot_of(plan: &ObjPlan, path: &[String]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let i = plan.index(first)?;
    if rest.is_empty() {
        return Some(plan.base + i);
    }
    let (_, sub) = plan.nested.iter().find(|(k, _)| *k == i)?;
    slot_of(sub, rest)
}

/// The element shape of the array at a path in a level.
fn array_shape<'p>(plan: &'p ObjPlan, path: &[String]) -> Option<&'p Shape> {
    let (first, rest) = path.split_first()?;
    let i = plan.index(first)?;
    if rest.is_empty() {
        return plan.arrays.iter().find(|(k, _)| *k == i).map(|(_, s)| s);
    }
    let (_, sub) = plan.nested.iter().find(|(k, _)| *k == i)?;
    array_shape(sub, rest)
}

struct Compiler<'s> {
    scheme: &'s Scheme,
    source_zone: FixedOffset,
    /// Plans of the enclosing levels, by level number.
    levels: Vec<LevelPlan>,
}

impl Compiler<'_> {
    fn block(&mut self, b: &Block) -> CBlock {
        let prelude = b
            .prelude
            .iter()
            .map(|p| match p {
                Prelude::Let { local, expr, .. } => CPrelude::Let {
                    local: *local,
                    expr: self.expr(expr),
                },
                Prelude::Skip { cond, unless, text } => CPrelude::Skip {
                    cond: self.expr(cond),
                    unless: *unless,
                    text: text.clone(),
                },
            })
            .collect();
        let fields = self.fields(&b.fields);
        CBlock { prelude, fields }
    }

    fn fields(&mut self, fields: &[TargetField]) -> Vec<CField> {
        fields
            .iter()
            .map(|f| CField {
                name: f.name.clone(),
                path: f.path.clone(),
                value: self.value(&f.value),
            })
            .collect()
    }

    fn value(&mut self, v: &TargetValue) -> CValue {
        match v {
            TargetValue::Scalar {
                expr,
                ty,
                required,
                sources,
            } => CValue::Scalar {
                expr: self.expr(expr),
                ty: ty.clone(),
                required: *required,
                sources: sources.clone(),
            },
            TargetValue::Object(sub) => CValue::Object(self.fields(sub)),
            TargetValue::Array {
                source,
                level,
                body,
                required,
            } => {
                let (slot, shape) = match self.levels.get(source.level) {
                    Some(lp) => (
                        slot_of(&lp.obj, &source.path),
                        array_shape(&lp.obj, &source.path)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    None => (None, Shape::default()),
                };
                // Levels deeper than the new one are not visible inside it.
                let mut saved = self.levels.split_off((*level).min(self.levels.len()));
                self.levels.push(level_plan(&shape));
                let body = self.block(body);
                let plan = self
                    .levels
                    .pop()
                    .unwrap_or_else(|| level_plan(&Shape::default()));
                self.levels.append(&mut saved);
                CValue::Array {
                    source_level: source.level,
                    slot,
                    display: source.display.clone(),
                    plan,
                    body,
                    required: *required,
                }
            }
            TargetValue::List(blocks) => {
                CValue::List(blocks.iter().map(|b| self.block(b)).collect())
            }
        }
    }

    fn field(&self, field: &FieldRef, scalar: &SourceScalar) -> CExpr {
        let slot = self
            .levels
            .get(field.level)
            .and_then(|lp| slot_of(&lp.obj, &field.path));
        let st = &self.scheme.source_time;
        let decode = match scalar.ty {
            Base::Str => Decode::Str,
            Base::Dec => Decode::Dec,
            Base::Int => Decode::Int,
            Base::Bool => Decode::Bool,
            Base::Date => Decode::Date(
                scalar
                    .format
                    .clone()
                    .unwrap_or_else(|| st.date_format.clone()),
            ),
            Base::DateTime => Decode::DateTime(
                scalar
                    .format
                    .clone()
                    .unwrap_or_else(|| st.datetime_format.clone()),
                self.source_zone,
            ),
            Base::List => Decode::List,
            Base::Null => Decode::Null,
        };
        CExpr::Field {
            level: field.level,
            slot,
            decode,
            required: scalar.required,
            display: field.display.clone(),
        }
    }

    fn expr(&mut self, e: &Expr) -> CExpr {
        let b = |c: &mut Self, x: &Expr| Box::new(c.expr(x));
        match &e.kind {
            ExprKind::Const(k) => CExpr::Lit(lit(k)),
            ExprKind::Field { field, scalar } => self.field(field, scalar),
            ExprKind::Local(i) => CExpr::Local(*i),
            ExprKind::Call { func, args } => CExpr::Call {
                func: *func,
                args: args.iter().map(|a| self.expr(a)).collect(),
            },
            ExprKind::Lookup { table, key } => CExpr::Lookup {
                table: *table,
                key: b(self, key),
            },
            ExprKind::BaseData {
                lookup,
                key,
                field,
                on_miss,
            } => {
                let f = self
                    .scheme
                    .lookups
                    .get(*lookup)
                    .and_then(|l| l.fields.get(*field));
                CExpr::BaseData {
                    lookup: *lookup,
                    key: b(self, key),
                    field: f.map(|f| f.name.clone()).unwrap_or_default(),
                    ty: f.map_or(Base::Null, |f| f.ty),
                    wait: *on_miss == OnMiss::Wait,
                    required: f.is_some_and(|f| f.required),
                }
            }
            ExprKind::Neg(x) => CExpr::Neg(b(self, x)),
            ExprKind::Not(x) => CExpr::Not(b(self, x)),
            ExprKind::Binary { op, lhs, rhs } => CExpr::Binary {
                op: *op,
                lhs: b(self, lhs),
                rhs: b(self, rhs),
            },
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => CExpr::If {
                cond: b(self, cond),
                then: b(self, then),
                otherwise: b(self, otherwise),
            },
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => CExpr::Match {
                scrutinee: b(self, scrutinee),
                arms: arms
                    .iter()
                    .map(|(lits, x)| (lits.iter().map(lit).collect(), self.expr(x)))
                    .collect(),
                default: default.as_ref().map(|d| b(self, d)),
            },
            ExprKind::In { value, items } => CExpr::In {
                value: b(self, value),
                items: items.iter().map(|i| self.expr(i)).collect(),
            },
            ExprKind::List(items) => CExpr::List(items.iter().map(|i| self.expr(i)).collect()),
        }
    }
}
