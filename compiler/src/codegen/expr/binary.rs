//! Operators: `and` and `or` on conditions, comparisons (a null is equal
//! only to null and orders with nothing), `??`, and the arithmetic and
//! concatenation of `duijie_maplib`, null propagating.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{compound, operand_tokens, truthy, ExprGen, Generated};
use crate::model::{Const, Expr, ExprKind, Op};

impl ExprGen<'_> {
    pub(super) fn binary(&self, op: Op, lhs: &Expr, rhs: &Expr, whole: &Expr) -> Generated {
        let m = quote!(::duijie_maplib);
        match op {
            Op::Or | Op::And => self.logical(op, lhs, rhs),
            Op::Eq | Op::Ne => self.equality(op == Op::Eq, lhs, rhs),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => self.ordering(op, lhs, rhs),
            Op::Coalesce => self.coalesce(lhs, rhs, whole),
            Op::AddDec
            | Op::SubDec
            | Op::MulDec
            | Op::DivDec
            | Op::AddInt
            | Op::SubInt
            | Op::MulInt => {
                let f = match op {
                    Op::AddDec => quote!(#m::dec::add_dec),
                    Op::SubDec => quote!(#m::dec::sub_dec),
                    Op::MulDec => quote!(#m::dec::mul_dec),
                    Op::DivDec => quote!(#m::dec::div_dec),
                    Op::AddInt => quote!(#m::dec::add_int),
                    Op::SubInt => quote!(#m::dec::sub_int),
                    _ => quote!(#m::dec::mul_int),
                };
                let fail = self.fail();
                self.on_both(lhs, rhs, quote!(#f(lhs, rhs) #fail))
            }
            Op::Concat => self.on_both(lhs, rhs, quote!(Cow::Owned(#m::text::concat(&lhs, &rhs)))),
        }
    }

    /// `or` / `and`: a null condition counts as false.
    fn logical(&self, op: Op, lhs: &Expr, rhs: &Expr) -> Generated {
        let l = self.operand(lhs)?;
        let r = self.operand(rhs)?;
        let (l, r) = (operand_tokens(truthy(&l)), operand_tokens(truthy(&r)));
        Ok(if op == Op::Or {
            quote!(#l || #r)
        } else {
            quote!(#l && #r)
        })
    }

    /// `==` (`equal`) or `!=`; a comparison with the `null` literal tests
    /// the other side for null.
    fn equality(&self, equal: bool, lhs: &Expr, rhs: &Expr) -> Generated {
        let is_null = |e: &Expr| matches!(e.kind, ExprKind::Const(Const::Null));
        if is_null(rhs) || is_null(lhs) {
            let other = if is_null(rhs) { lhs } else { rhs };
            let o = self.operand(other)?;
            let t = operand_tokens(o.tokens);
            return Ok(match (o.nullable, equal) {
                (true, true) => quote!(#t.is_none()),
                (true, false) => quote!(#t.is_some()),
                (false, _) => {
                    let result = !equal;
                    quote!({
                        let _value = #t;
                        #result
                    })
                }
            });
        }
        let any_null = self.nulls.nullable(lhs) || self.nulls.nullable(rhs);
        let l = operand_tokens(self.lifted(lhs, any_null)?);
        let r = operand_tokens(self.lifted(rhs, any_null)?);
        Ok(if equal {
            quote!(#l == #r)
        } else {
            quote!(#l != #r)
        })
    }

    /// `<`, `<=`, `>`, `>=`: false when either side is null.
    fn ordering(&self, op: Op, lhs: &Expr, rhs: &Expr) -> Generated {
        let cmp = match op {
            Op::Lt => quote!(<),
            Op::Le => quote!(<=),
            Op::Gt => quote!(>),
            _ => quote!(>=),
        };
        let l = self.operand(lhs)?;
        let r = self.operand(rhs)?;
        let body = quote!(lhs #cmp rhs);
        let (lt, rt) = (&l.tokens, &r.tokens);
        Ok(match (l.nullable, r.nullable) {
            (false, false) => {
                let (lt, rt) = (operand_tokens(lt.clone()), operand_tokens(rt.clone()));
                quote!(#lt #cmp #rt)
            }
            _ => {
                let lp = if l.nullable {
                    quote!(Some(lhs))
                } else {
                    quote!(lhs)
                };
                let rp = if r.nullable {
                    quote!(Some(rhs))
                } else {
                    quote!(rhs)
                };
                quote!(match (#lt, #rt) {
                    (#lp, #rp) => #body,
                    _ => false,
                })
            }
        })
    }

    /// `lhs ?? rhs`: `rhs` is evaluated only when `lhs` is null.
    fn coalesce(&self, lhs: &Expr, rhs: &Expr, whole: &Expr) -> Generated {
        let l = self.operand(lhs)?;
        if !l.nullable {
            return Ok(l.tokens);
        }
        let nullable = self.nulls.nullable(whole);
        let r = self.lifted(rhs, nullable)?;
        let constant = matches!(rhs.kind, ExprKind::Const(_));
        if !constant && compound(&l.tokens) {
            // A `match` on a `match` or a block: bound first, not wrapped
            // in parentheses the compiler would call unneeded.
            let lt = l.tokens;
            let some = if nullable {
                quote!(Some(value))
            } else {
                quote!(value)
            };
            return Ok(quote!({
                let lhs = #lt;
                match lhs {
                    Some(value) => #some,
                    None => #r,
                }
            }));
        }
        let lt = operand_tokens(l.tokens);
        Ok(match (constant, nullable) {
            (true, false) => quote!(#lt.unwrap_or(#r)),
            (true, true) => quote!(#lt.or(#r)),
            (false, false) => quote!(match #lt {
                Some(value) => value,
                None => #r,
            }),
            (false, true) => quote!(match #lt {
                Some(value) => Some(value),
                None => #r,
            }),
        })
    }

    /// `body` computed from both sides bound to `lhs` and `rhs`; null when
    /// either is.
    fn on_both(&self, lhs: &Expr, rhs: &Expr, body: TokenStream) -> Generated {
        let ops = [self.operand(lhs)?, self.operand(rhs)?];
        let names = [format_ident!("lhs"), format_ident!("rhs")];
        self.null_propagating(&ops, &names, body, false)
    }
}
