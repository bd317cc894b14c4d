//! `match` and `in`: a value compared with literals. Where the type has
//! patterns (strings, integers, bools) they become a Rust `match` or
//! `matches!`; otherwise a chain of `==` tests. The first arm that fits
//! takes the value, as in the interpreter.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{constant, lit_str, pattern, show, ExprGen, Generated};
use crate::codegen::CodegenError;
use crate::model::{Base, Const, Expr, ExprKind};

/// The arms of a `match` as generated: each arm's literals without those
/// an earlier arm already takes (the interpreter takes the first arm that
/// fits), with its value.
struct Arms<'e> {
    /// The arms left with a literal other than `null`.
    branches: Vec<(Vec<&'e Const>, TokenStream)>,
    /// Every literal some arm takes.
    seen: Vec<&'e Const>,
    /// The value of the arm that takes `null`.
    null_arm: Option<&'e Expr>,
}

impl ExprGen<'_> {
    pub(super) fn match_(
        &self,
        whole: &Expr,
        scrutinee: &Expr,
        arms: &[(Vec<Const>, Expr)],
        default: Option<&Expr>,
    ) -> Generated {
        let nullable = self.nulls.nullable(whole);
        let s = self.operand(scrutinee)?;
        let st = &s.tokens;
        let base = scrutinee.ty.base;
        let arms = self.arms(arms, nullable)?;
        let m = quote!(::duijie_maplib);
        let value = format_ident!("value");
        let fallback_some = match default {
            Some(d) => self.lifted(d, nullable)?,
            None => self.no_match(show(base, &value)),
        };
        let null_branch = match (arms.null_arm, default) {
            (Some(arm), _) => self.lifted(arm, nullable)?,
            (None, Some(d)) => self.lifted(d, nullable)?,
            (None, None) => self.no_match(quote!(#m::error::SHOW_NULL)),
        };
        // The match on a non-null `value`.
        let binding = if arms.branches.is_empty() && default.is_some() {
            format_ident!("_value")
        } else {
            value.clone()
        };
        let on_value = if arms.branches.is_empty() {
            fallback_some
        } else if matches!(base, Base::Str | Base::Int | Base::Bool) {
            self.pattern_match(base, &arms, fallback_some)?
        } else {
            self.test_chain(&arms, fallback_some)?
        };
        Ok(if s.nullable {
            quote!(match #st {
                Some(#binding) => #on_value,
                None => #null_branch,
            })
        } else {
            quote!({
                let #binding = #st;
                #on_value
            })
        })
    }

    fn arms<'e>(
        &self,
        arms: &'e [(Vec<Const>, Expr)],
        nullable: bool,
    ) -> Result<Arms<'e>, CodegenError> {
        let mut out = Arms {
            branches: Vec::new(),
            seen: Vec::new(),
            null_arm: None,
        };
        for (consts, value) in arms {
            let mut lits = Vec::new();
            for c in consts {
                if out.seen.contains(&c) {
                    continue;
                }
                out.seen.push(c);
                if *c == Const::Null {
                    out.null_arm = Some(value);
                } else {
                    lits.push(c);
                }
            }
            if !lits.is_empty() {
                out.branches.push((lits, self.lifted(value, nullable)?));
            }
        }
        Ok(out)
    }

    /// Fails the record: no arm takes the value (shown by `shown`).
    fn no_match(&self, shown: TokenStream) -> TokenStream {
        let target = lit_str(&self.loc.target);
        let sources = lit_str(&self.loc.sources);
        let at = &self.at;
        quote!(return Err(#at.fail(#target, #sources, ::duijie_maplib::error::no_match(#shown))))
    }

    /// A Rust `match` on `value`, for a type with patterns; `fallback` for
    /// what no arm takes (left out when the arms take both bools).
    fn pattern_match(&self, base: Base, arms: &Arms<'_>, fallback: TokenStream) -> Generated {
        let subject = if base == Base::Str {
            quote!(&*value)
        } else {
            quote!(value)
        };
        let mut arms_tokens = Vec::new();
        for (lits, v) in &arms.branches {
            let mut pats = Vec::new();
            for c in lits {
                pats.push(pattern(c).map_err(|m| self.error(m))?);
            }
            arms_tokens.push(quote!(#(#pats)|* => #v,));
        }
        let covered = base == Base::Bool
            && arms.seen.contains(&&Const::Bool(true))
            && arms.seen.contains(&&Const::Bool(false));
        let rest = (!covered).then(|| quote!(_ => #fallback,));
        Ok(quote!(match #subject {
            #(#arms_tokens)*
            #rest
        }))
    }

    /// `if value == … { … } else if …`, for a type without patterns.
    fn test_chain(&self, arms: &Arms<'_>, fallback: TokenStream) -> Generated {
        let mut chain = Vec::new();
        for (lits, v) in &arms.branches {
            let mut tests = Vec::new();
            for c in lits {
                let c = constant(c).map_err(|m| self.error(m))?;
                tests.push(quote!(value == #c));
            }
            chain.push(quote!(if #(#tests)||* { #v }));
        }
        Ok(quote!(#(#chain else)* { #fallback }))
    }

    /// `value in [items]`: a `matches!` on literals where the type has
    /// patterns, else `==` against each item in order until one is equal.
    pub(super) fn in_list(&self, value: &Expr, items: &[Expr]) -> Generated {
        // Literals of a type with patterns: `matches!`.
        let literals: Option<Vec<&Const>> = items
            .iter()
            .map(|i| match &i.kind {
                ExprKind::Const(c @ (Const::Str(_) | Const::Int(_) | Const::Bool(_))) => Some(c),
                _ => None,
            })
            .collect();
        if let (Some(literals), Base::Str | Base::Int | Base::Bool) = (literals, value.ty.base) {
            if !literals.is_empty() {
                let mut pats = Vec::new();
                for c in literals {
                    pats.push(pattern(c).map_err(|m| self.error(m))?);
                }
                // Bound first: prettyplease leaves macro arguments
                // unformatted.
                let v = self.expr(value)?;
                let nullable = self.nulls.nullable(value);
                let test = match (value.ty.base, nullable) {
                    (Base::Str, true) => {
                        quote!(matches!(value.as_deref(), Some(#(#pats)|*)))
                    }
                    (Base::Str, false) => quote!(matches!(&*value, #(#pats)|*)),
                    (_, true) => quote!(matches!(value, Some(#(#pats)|*))),
                    (_, false) => quote!(matches!(value, #(#pats)|*)),
                };
                return Ok(quote!({
                    let value = #v;
                    #test
                }));
            }
        }
        let any_null = self.nulls.nullable(value) || items.iter().any(|i| self.nulls.nullable(i));
        let v = self.lifted(value, any_null)?;
        let mut tests = Vec::new();
        for item in items {
            let i = self.lifted(item, any_null)?;
            tests.push(quote!(value == #i));
        }
        if tests.is_empty() {
            return Ok(quote!({ let _value = #v; false }));
        }
        Ok(quote!({
            let value = #v;
            #(#tests)||*
        }))
    }
}
