//! Expressions: a typed [`Expr`] to a Rust expression.
//!
//! A value of base type `T` is held as `T` when it cannot be null and as
//! `Option<T>` when it can ([`Nulls::nullable`] decides, and the generated
//! expression has exactly that type). Every value function is the one in
//! `duijie_maplib` that the interpreter calls too. Evaluation order is the
//! interpreter's: operands and arguments left to right, each evaluated once
//! into a temporary before the operation; `and`, `or`, `??`, `if`, `match`
//! and `in` evaluate only what they need. A null in any argument of a
//! function gives null (the function is not called), except for `is_null`
//! and `is_empty`.
//!
//! | base | Rust type |
//! |---|---|
//! | `str` | `Cow<'a, str>` (borrowed from the record when it can) |
//! | `dec` | `Decimal` |
//! | `int` | `i64` |
//! | `bool` | `bool` |
//! | `date` | `NaiveDate` |
//! | `datetime` | `DateTime<FixedOffset>` |
//! | `list` | `Vec<String>` |
//!
//! This file has the generator and the expressions it writes itself;
//! `expr/call.rs` writes function calls, `expr/binary.rs` operators,
//! `expr/matching.rs` `match` and `in`; `expr/nulls.rs`,
//! `expr/constants.rs` and `expr/tokens.rs` are what they all use.

mod binary;
mod call;
mod constants;
mod matching;
mod nulls;
mod tokens;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{lit_str, CodegenError};
use crate::model::{Base, Const, Expr, ExprKind, FieldRef, OnMiss, Scheme, SourceScalar};
use tokens::{truthy, unbraced, Operand};

pub use constants::{constant, rust_type};
pub(crate) use constants::{pattern, show};
pub use nulls::Nulls;
pub(crate) use tokens::{compound, operand_tokens, single};

/// Where an expression is evaluated, for its errors: path templates with
/// `[]` markers, filled at run time by the `at` of the current scope (the
/// generated `At`, which holds the indexes of the enclosing elements).
#[derive(Clone)]
pub struct Loc {
    /// The target path: the field being computed, or the block's own path
    /// in a prelude.
    pub target: String,
    /// The source reported for failures other than decoding a field (the
    /// scalar's `sources`, or `""` in a prelude).
    pub sources: String,
}

/// How a source field is reached from the current scope.
pub trait Fields {
    /// The `Option<&RawValue>` expression of the field `path` at `level`.
    fn field(&self, level: usize, path: &[String]) -> Option<TokenStream>;
    /// The variable of a local slot.
    fn local(&self, slot: usize) -> Option<&Ident>;
}

/// Generates expressions within one scope.
pub struct ExprGen<'g> {
    pub scheme: &'g Scheme,
    pub nulls: &'g Nulls,
    pub fields: &'g dyn Fields,
    pub tables: &'g [Ident],
    /// The `At` variable of the scope.
    pub at: Ident,
    pub loc: Loc,
}

/// Generated tokens, or why they could not be generated.
type Generated = Result<TokenStream, CodegenError>;

impl ExprGen<'_> {
    fn error(&self, message: impl Into<String>) -> CodegenError {
        CodegenError {
            scheme: self.scheme.meta.name.clone(),
            message: message.into(),
        }
    }

    /// `.map_err(|error| fail(…))?` at the current place, reporting `source`.
    fn fail_with(&self, source: &str) -> TokenStream {
        let target = lit_str(&self.loc.target);
        let source = lit_str(source);
        let at = &self.at;
        quote!(.map_err(|error| #at.fail(#target, #source, error))?)
    }

    /// `.map_err(…)?` for a failure other than decoding.
    fn fail(&self) -> TokenStream {
        self.fail_with(&self.loc.sources)
    }

    /// The expression, of type `Option<T>` when nullable, `T` otherwise.
    pub fn expr(&self, e: &Expr) -> Generated {
        match &e.kind {
            ExprKind::Const(c) => constant(c).map_err(|m| self.error(m)),
            ExprKind::Field { field, scalar } => self.field(field, scalar),
            ExprKind::Local(slot) => self.local(*slot),
            ExprKind::Call { func, args } => self.call(*func, args),
            ExprKind::Lookup { table, key } => self.lookup(*table, key),
            ExprKind::BaseData {
                lookup,
                key,
                field,
                on_miss,
            } => self.base_data(*lookup, key, *field, *on_miss),
            ExprKind::Neg(a) => match e.ty.base {
                Base::Dec => self.unary(a, |v| quote!(::duijie_maplib::dec::neg_dec(#v))),
                Base::Int => {
                    let fail = self.fail();
                    self.unary(a, |v| quote!(::duijie_maplib::dec::neg_int(#v) #fail))
                }
                other => Err(self.error(format!("negation of {}", other.name()))),
            },
            ExprKind::Not(a) => self.unary(a, |v| {
                let v = operand_tokens(v);
                quote!(!#v)
            }),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_else(e, cond, then, otherwise),
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => self.match_(e, scrutinee, arms, default.as_deref()),
            ExprKind::In { value, items } => self.in_list(value, items),
            ExprKind::List(items) => self.list(items),
        }
    }

    /// A source field, decoded from its raw JSON.
    fn field(&self, field: &FieldRef, scalar: &SourceScalar) -> Generated {
        let raw = self.fields.field(field.level, &field.path).ok_or_else(|| {
            self.error(format!(
                "source field `{}` is not in the scheme's reads",
                field.display
            ))
        })?;
        let required = scalar.required;
        let fail = self.fail_with(&field.display);
        let call = match scalar.ty {
            Base::Str => quote!(::duijie_maplib::decode::text(#raw, #required)),
            Base::Dec => quote!(::duijie_maplib::decode::dec(#raw, #required)),
            Base::Int => quote!(::duijie_maplib::decode::int(#raw, #required)),
            Base::Bool => quote!(::duijie_maplib::decode::boolean(#raw, #required)),
            Base::List => quote!(::duijie_maplib::decode::list(#raw, #required)),
            Base::Date => {
                let fmt = lit_str(
                    scalar
                        .format
                        .as_deref()
                        .unwrap_or(&self.scheme.source_time.date_format),
                );
                quote!(::duijie_maplib::decode::date(#raw, #required, #fmt))
            }
            Base::DateTime => {
                let fmt = lit_str(
                    scalar
                        .format
                        .as_deref()
                        .unwrap_or(&self.scheme.source_time.datetime_format),
                );
                quote!(source_zone().and_then(|zone| ::duijie_maplib::decode::datetime(#raw, #required, #fmt, zone)))
            }
            Base::Null => return Err(self.error("a source field of type null")),
        };
        Ok(quote!(#call #fail))
    }

    fn local(&self, slot: usize) -> Generated {
        let var = self
            .fields
            .local(slot)
            .ok_or_else(|| self.error(format!("local slot {slot} is used before its `let`")))?;
        // Locals are read more than once: clone (a `Cow` borrowed from the
        // record clones without allocating).
        Ok(match self.nulls.local_base(slot) {
            Some(Base::Str | Base::List) => quote!(#var.clone()),
            _ => quote!(#var),
        })
    }

    /// `if cond then … else …`: only a `true` condition takes `then`.
    fn if_else(&self, whole: &Expr, cond: &Expr, then: &Expr, otherwise: &Expr) -> Generated {
        let nullable = self.nulls.nullable(whole);
        let c = self.operand(cond)?;
        let t = self.lifted(then, nullable)?;
        let o = self.lifted(otherwise, nullable)?;
        let (t, o) = (unbraced(t), unbraced(o));
        if compound(&c.tokens) {
            let test = truthy(&Operand {
                tokens: quote!(condition),
                nullable: c.nullable,
            });
            let ct = &c.tokens;
            Ok(quote!({
                let condition = #ct;
                if #test { #t } else { #o }
            }))
        } else {
            let test = truthy(&c);
            Ok(quote!(if #test { #t } else { #o }))
        }
    }

    /// A list of strings; null items are left out.
    fn list(&self, items: &[Expr]) -> Generated {
        if items.iter().any(|i| self.nulls.nullable(i)) {
            let mut values = Vec::new();
            for item in items {
                values.push(self.lifted(item, true)?);
            }
            Ok(quote!([#(#values),*]
                .into_iter()
                .flatten()
                .map(Cow::into_owned)
                .collect::<Vec<String>>()))
        } else {
            let mut values = Vec::new();
            for item in items {
                let t = operand_tokens(self.expr(item)?);
                values.push(quote!(#t.into_owned()));
            }
            Ok(quote!(vec![#(#values),*]))
        }
    }

    fn operand(&self, e: &Expr) -> Result<Operand, CodegenError> {
        Ok(Operand {
            tokens: self.expr(e)?,
            nullable: self.nulls.nullable(e),
        })
    }

    /// The expression as `Option<T>` when `nullable` (wrapping a value that
    /// cannot be null in `Some`), else as `T`.
    pub fn lifted(&self, e: &Expr, nullable: bool) -> Generated {
        let tokens = self.expr(e)?;
        if nullable && !self.nulls.nullable(e) {
            Ok(quote!(Some(#tokens)))
        } else {
            Ok(tokens)
        }
    }

    /// An operation on one operand bound to `value`; null gives null.
    fn unary(&self, a: &Expr, body: impl Fn(TokenStream) -> TokenStream) -> Generated {
        let op = self.operand(a)?;
        if op.nullable {
            Ok(single(
                &op.tokens,
                &format_ident!("value"),
                body(quote!(value)),
                false,
            ))
        } else {
            Ok(body(op.tokens))
        }
    }

    /// Binds the operands to `names` in order, then computes `body` from
    /// them; when any operand can be null, the result is `None` when any is,
    /// else `Some(body)` (or `body` itself when `body_is_option`).
    fn null_propagating(
        &self,
        ops: &[Operand],
        names: &[Ident],
        body: TokenStream,
        body_is_option: bool,
    ) -> Generated {
        let any_null = ops.iter().any(|o| o.nullable);
        let lets = ops.iter().zip(names).map(|(o, n)| {
            let t = &o.tokens;
            quote!(let #n = #t;)
        });
        if !any_null {
            if let Some(inlined) = tokens::inline(&body, ops, names) {
                return Ok(inlined);
            }
            return Ok(quote!({
                #(#lets)*
                #body
            }));
        }
        if ops.len() == 1 {
            return Ok(single(&ops[0].tokens, &names[0], body, body_is_option));
        }
        let nullable: Vec<(&Operand, &Ident)> =
            ops.iter().zip(names).filter(|(o, _)| o.nullable).collect();
        if nullable.len() == 1 {
            let n = nullable[0].1;
            let apply = single(&quote!(#n), n, body, body_is_option);
            return Ok(quote!({
                #(#lets)*
                #apply
            }));
        }
        let wrapped = if body_is_option {
            body
        } else {
            quote!(Some(#body))
        };
        let (pattern, scrutinee) = {
            let pats = nullable.iter().map(|(_, n)| quote!(Some(#n)));
            let vals = nullable.iter().map(|(_, n)| quote!(#n));
            (quote!((#(#pats),*)), quote!((#(#vals),*)))
        };
        Ok(quote!({
            #(#lets)*
            match #scrutinee {
                #pattern => #wrapped,
                _ => None,
            }
        }))
    }

    /// `table[key]`: the table's function; a miss fails the record unless
    /// the table has a default.
    fn lookup(&self, table: usize, key: &Expr) -> Generated {
        let f = self
            .tables
            .get(table)
            .ok_or_else(|| self.error(format!("table {table} does not exist")))?;
        let t = self
            .scheme
            .tables
            .get(table)
            .ok_or_else(|| self.error(format!("table {table} does not exist")))?;
        let k = self.operand(key)?;
        let value_null = t.entries.iter().any(|(_, v)| *v == Const::Null)
            || t.default.as_ref() == Some(&Const::Null);
        let arg = match t.key {
            Base::Str => quote!(&key),
            _ => quote!(key),
        };
        let call = if t.default.is_some() {
            quote!(#f(#arg))
        } else {
            let fail = self.fail();
            quote!(#f(#arg) #fail)
        };
        let kt = &k.tokens;
        Ok(match (k.nullable, value_null) {
            (false, _) => quote!({
                let key = #kt;
                #call
            }),
            (true, value_null) => single(kt, &format_ident!("key"), call, value_null),
        })
    }

    /// `lookup[key].FIELD`: the maplib getter of the field's type, asked
    /// through the `lookups` of `transform`.
    fn base_data(&self, lookup: usize, key: &Expr, field: usize, on_miss: OnMiss) -> Generated {
        let l = self
            .scheme
            .lookups
            .get(lookup)
            .ok_or_else(|| self.error(format!("lookup {lookup} does not exist")))?;
        let f = l.fields.get(field).ok_or_else(|| {
            self.error(format!("field {field} of lookup {lookup} does not exist"))
        })?;
        let k = self.operand(key)?;
        let key_text = match l.key {
            Base::Str => quote!(&key),
            Base::Int => quote!(&key.to_string()),
            other => return Err(self.error(format!("a lookup key of type {}", other.name()))),
        };
        let getter = match f.ty {
            Base::Str => quote!(text),
            Base::Int => quote!(int),
            Base::Dec => quote!(dec),
            Base::Bool => quote!(boolean),
            other => return Err(self.error(format!("a lookup field of type {}", other.name()))),
        };
        let wait = on_miss == OnMiss::Wait;
        let required = f.required;
        let name = lit_str(&f.name);
        let fail = self.fail();
        let mut call = quote!(::duijie_maplib::lookup::#getter(lookups, &META.lookups[#lookup], #key_text, #name, #wait, #required) #fail);
        if f.ty == Base::Str {
            call = quote!(#call.map(::std::borrow::Cow::Owned));
        }
        let value_null = !f.required || on_miss == OnMiss::Null;
        if !value_null {
            call = quote!(::duijie_maplib::lookup::present(#call) #fail);
        }
        let kt = &k.tokens;
        Ok(if k.nullable {
            single(kt, &format_ident!("key"), call, value_null)
        } else {
            quote!({
                let key = #kt;
                #call
            })
        })
    }
}
