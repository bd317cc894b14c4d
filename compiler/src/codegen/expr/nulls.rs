//! Which generated expressions are `Option`s: a value that can be null is
//! held as `Option<T>`, one that cannot as `T`. Locals are looked up by
//! walking the scheme's blocks in order.

use std::collections::HashMap;

use crate::model::{
    Base, Block, Builtin, Const, Expr, ExprKind, OnMiss, Op, Prelude, Scheme, TargetValue,
};

/// Which expressions can be null.
#[derive(Debug, Default)]
pub struct Nulls {
    /// Local slot → whether it can be null and its base type.
    locals: HashMap<usize, (bool, Base)>,
    /// Table index → whether a lookup can give null (a `null` value).
    tables: Vec<bool>,
    /// Lookup index → whether each field it reads always has a value.
    lookups: Vec<Vec<bool>>,
}

impl Nulls {
    /// Walks the scheme's blocks in order, recording its locals.
    pub fn of_scheme(scheme: &Scheme) -> Nulls {
        let mut nulls = Nulls {
            locals: HashMap::new(),
            tables: scheme
                .tables
                .iter()
                .map(|t| {
                    t.entries.iter().any(|(_, v)| *v == Const::Null)
                        || t.default.as_ref() == Some(&Const::Null)
                })
                .collect(),
            lookups: scheme
                .lookups
                .iter()
                .map(|l| l.fields.iter().map(|f| f.required).collect())
                .collect(),
        };
        nulls.block(&scheme.body);
        nulls
    }

    fn block(&mut self, block: &Block) {
        for step in &block.prelude {
            if let Prelude::Let { local, expr, .. } = step {
                let nullable = self.nullable(expr);
                self.locals.insert(*local, (nullable, expr.ty.base));
            }
        }
        for field in &block.fields {
            self.field(&field.value);
        }
    }

    fn field(&mut self, value: &TargetValue) {
        match value {
            TargetValue::Scalar { .. } => {}
            TargetValue::Object(fields) => {
                for f in fields {
                    self.field(&f.value);
                }
            }
            TargetValue::Array { body, .. } => self.block(body),
            TargetValue::List(blocks) => {
                for b in blocks {
                    self.block(b);
                }
            }
        }
    }

    /// Whether field `field` of lookup `lookup` always has a value.
    fn lookup_required(&self, lookup: usize, field: usize) -> bool {
        self.lookups
            .get(lookup)
            .and_then(|l| l.get(field))
            .copied()
            .unwrap_or(false)
    }

    /// The base type of a local.
    pub fn local_base(&self, slot: usize) -> Option<Base> {
        self.locals.get(&slot).map(|(_, b)| *b)
    }

    /// Whether the generated expression is an `Option`.
    pub fn nullable(&self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::Const(c) => *c == Const::Null,
            // Decoding keeps null as `None` even for a required field (the
            // decoder fails the record instead of giving null).
            ExprKind::Field { .. } => true,
            ExprKind::Local(slot) => self.locals.get(slot).is_none_or(|(n, _)| *n),
            ExprKind::Call { func, args } => {
                let first = args.first().map(|a| a.ty.base);
                let any_null = args.iter().any(|a| self.nullable(a));
                match func {
                    Builtin::IsNull | Builtin::IsEmpty | Builtin::Fail => false,
                    Builtin::TryToDate | Builtin::TryToDateTime => true,
                    Builtin::TryStrToDec => any_null || first == Some(Base::Str),
                    Builtin::TryDecToInt | Builtin::TryStrToInt => {
                        any_null || matches!(first, Some(Base::Str | Base::Dec))
                    }
                    _ => any_null,
                }
            }
            ExprKind::Lookup { table, key } => {
                self.nullable(key) || self.tables.get(*table).copied().unwrap_or(true)
            }
            ExprKind::BaseData {
                lookup,
                key,
                field,
                on_miss,
            } => {
                self.nullable(key)
                    || *on_miss == OnMiss::Null
                    || !self.lookup_required(*lookup, *field)
            }
            ExprKind::Neg(a) | ExprKind::Not(a) => self.nullable(a),
            ExprKind::Binary { op, lhs, rhs } => match op {
                Op::Or | Op::And | Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => false,
                Op::Coalesce => self.nullable(lhs) && self.nullable(rhs),
                _ => self.nullable(lhs) || self.nullable(rhs),
            },
            ExprKind::If {
                then, otherwise, ..
            } => self.nullable(then) || self.nullable(otherwise),
            ExprKind::Match { arms, default, .. } => {
                arms.iter().any(|(_, e)| self.nullable(e))
                    || default.as_deref().is_some_and(|d| self.nullable(d))
            }
            ExprKind::In { .. } => false,
            // A null item is left out.
            ExprKind::List(_) => false,
        }
    }
}
