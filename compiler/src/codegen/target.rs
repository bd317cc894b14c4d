//! Target structs: the bill (`Model` object) and its sub-objects and array
//! elements, serialized with `serde` in `.map` order.
//!
//! A scalar field whose value can be null is an `Option` left out when
//! `None` (Kingdee then applies its default); a field that is never null (a
//! constant, a required field after its check) is written always. Kingdee's
//! keys keep their spelling through `#[serde(rename)]`.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::expr::Nulls;
use super::names::{self, Scope};
use super::{lit_str, CodegenError};
use crate::model::{Block, Scheme, TargetField, TargetScalar, TargetValue};

/// One target struct.
#[derive(Debug)]
pub struct TargetNode {
    pub ty: Ident,
    pub doc: String,
    pub lifetime: bool,
    pub fields: Vec<TargetSlot>,
}

/// One field of a target struct.
#[derive(Debug)]
pub struct TargetSlot {
    /// The JSON key.
    pub key: String,
    pub ident: Ident,
    pub kind: TargetKind,
}

#[derive(Debug)]
pub enum TargetKind {
    Scalar {
        scalar: TargetScalar,
        /// `Option<…>`, left out when `None`.
        optional: bool,
    },
    Object(TargetNode),
    Array(TargetNode),
}

impl TargetNode {
    pub fn slot(&self, key: &str) -> Option<&TargetSlot> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// The target structs of a scheme, rooted at the bill.
pub fn layout(scheme: &Scheme, types: &mut Scope) -> Result<TargetNode, CodegenError> {
    let nulls = Nulls::of_scheme(scheme);
    let doc = format!(
        " A `{}` bill (one element of `Model` in `{}`).",
        scheme.meta.target.form_id, scheme.meta.target.operation
    );
    let mut cx = Layout {
        scheme,
        nulls: &nulls,
        types,
    };
    cx.node(&[&scheme.body], "Bill", doc)
}

struct Layout<'a> {
    scheme: &'a Scheme,
    nulls: &'a Nulls,
    types: &'a mut Scope,
}

impl Layout<'_> {
    fn error(&self, message: String) -> CodegenError {
        CodegenError {
            scheme: self.scheme.meta.name.clone(),
            message,
        }
    }

    /// The struct built by `blocks` (one block, or the literal elements of
    /// an array, which share one struct: a field some element leaves out is
    /// optional).
    fn node(
        &mut self,
        blocks: &[&Block],
        wanted: &str,
        doc: String,
    ) -> Result<TargetNode, CodegenError> {
        let lists: Vec<&[TargetField]> = blocks.iter().map(|b| b.fields.as_slice()).collect();
        self.fields_node(&lists, wanted, doc)
    }

    fn fields_node(
        &mut self,
        lists: &[&[TargetField]],
        wanted: &str,
        doc: String,
    ) -> Result<TargetNode, CodegenError> {
        let ty = names::ident(&self.types.claim_type(wanted));
        let orders: Vec<Vec<&str>> = lists
            .iter()
            .map(|list| list.iter().map(|f| f.name.as_str()).collect())
            .collect();
        let keys = merge_orders(&orders).ok_or_else(|| {
            self.error(format!(
                "{} the literal elements assign its fields in different orders; write them in one order",
                doc.trim()
            ))
        })?;
        let mut idents = Scope::new();
        let mut fields = Vec::new();
        for key in keys {
            let uses: Vec<&TargetField> = lists
                .iter()
                .filter_map(|list| list.iter().find(|f| f.name == key))
                .collect();
            let everywhere = uses.len() == lists.len();
            let ident = names::ident(&idents.claim(&names::snake(key)));
            let first = uses[0];
            let kind = match &first.value {
                TargetValue::Scalar { ty, .. } => {
                    let mut optional = !everywhere;
                    for used in &uses {
                        match &used.value {
                            TargetValue::Scalar {
                                ty: other,
                                expr,
                                required,
                                ..
                            } if other == ty => {
                                optional |= !*required && self.nulls.nullable(expr);
                            }
                            _ => {
                                return Err(self.error(format!(
                                    "`{}` is built differently by the elements of a literal array",
                                    first.path
                                )))
                            }
                        }
                    }
                    TargetKind::Scalar {
                        scalar: ty.clone(),
                        optional,
                    }
                }
                TargetValue::Object(_) => {
                    let mut inner: Vec<&[TargetField]> = Vec::new();
                    for used in &uses {
                        match &used.value {
                            TargetValue::Object(sub) => inner.push(sub),
                            _ => {
                                return Err(self.error(format!(
                                    "`{}` is built differently by the elements of a literal array",
                                    first.path
                                )))
                            }
                        }
                    }
                    let doc = format!(" The object `{}`.", first.path);
                    TargetKind::Object(self.fields_node(&inner, &names::camel(key), doc)?)
                }
                TargetValue::Array { .. } | TargetValue::List(_) => {
                    let mut blocks: Vec<&Block> = Vec::new();
                    for used in &uses {
                        match &used.value {
                            TargetValue::Array { body, .. } => blocks.push(body),
                            TargetValue::List(elements) => blocks.extend(elements.iter()),
                            _ => {
                                return Err(self.error(format!(
                                    "`{}` is built differently by the elements of a literal array",
                                    first.path
                                )))
                            }
                        }
                    }
                    let doc = format!(" One element of `{}`.", first.path);
                    TargetKind::Array(self.node(&blocks, &names::camel(key), doc)?)
                }
            };
            fields.push(TargetSlot {
                key: key.to_string(),
                ident,
                kind,
            });
        }
        let lifetime = fields.iter().any(|f| match &f.kind {
            TargetKind::Scalar { scalar, .. } => scalar_borrows(scalar),
            TargetKind::Object(n) | TargetKind::Array(n) => n.lifetime,
        });
        Ok(TargetNode {
            ty,
            doc,
            lifetime,
            fields,
        })
    }
}

/// Whether a scalar's Rust type borrows from the record.
fn scalar_borrows(scalar: &TargetScalar) -> bool {
    matches!(scalar, TargetScalar::Str)
}

/// The type of a node, with its lifetime when it has one.
pub fn type_of(node: &TargetNode) -> TokenStream {
    let ty = &node.ty;
    if node.lifetime {
        quote!(#ty<'a>)
    } else {
        quote!(#ty)
    }
}

/// The Rust type a target scalar is held in, and the serializer it needs.
pub fn scalar_type(scalar: &TargetScalar) -> (TokenStream, Option<&'static str>) {
    match scalar {
        TargetScalar::Str => (quote!(Cow<'a, str>), None),
        TargetScalar::Dec => (quote!(Decimal), Some("::duijie_maplib::json::ser::dec")),
        TargetScalar::Int => (quote!(i64), None),
        TargetScalar::Bool => (quote!(bool), None),
        TargetScalar::DateTime { .. } | TargetScalar::Date { .. } => (quote!(String), None),
        TargetScalar::List => (quote!(Vec<String>), None),
    }
}

/// The struct items of the bill and everything under it, outermost first.
pub fn items(root: &TargetNode) -> TokenStream {
    let mut out = TokenStream::new();
    emit(root, &mut out);
    out
}

fn emit(node: &TargetNode, out: &mut TokenStream) {
    let ty = type_of(node);
    let doc = &node.doc;
    let fields = node.fields.iter().map(|slot| {
        let ident = &slot.ident;
        let key = lit_str(&slot.key);
        let mut attrs = vec![quote!(rename = #key)];
        let field_ty = match &slot.kind {
            TargetKind::Scalar { scalar, optional } => {
                let (ty, with) = scalar_type(scalar);
                if let Some(with) = with {
                    let with = if *optional {
                        with.replace("::dec", "::opt_dec")
                    } else {
                        with.to_string()
                    };
                    let with = lit_str(&with);
                    attrs.push(quote!(serialize_with = #with));
                }
                if *optional {
                    attrs.push(quote!(skip_serializing_if = "Option::is_none"));
                    quote!(Option<#ty>)
                } else {
                    ty
                }
            }
            TargetKind::Object(n) => type_of(n),
            TargetKind::Array(n) => {
                let t = type_of(n);
                quote!(Vec<#t>)
            }
        };
        quote! {
            #[serde(#(#attrs),*)]
            pub #ident: #field_ty
        }
    });
    out.extend(quote! {
        #[doc = #doc]
        #[derive(::serde::Serialize)]
        pub struct #ty {
            #(#fields,)*
        }
    });
    for slot in &node.fields {
        if let TargetKind::Object(n) | TargetKind::Array(n) = &slot.kind {
            emit(n, out);
        }
    }
}

/// One order of all the keys that keeps the order of every list (the
/// elements of a literal array share one struct, and each must serialize its
/// fields in its own order): keys in order of first appearance, each placed
/// after every key that precedes it in some list. `None` when two lists
/// order two keys differently.
fn merge_orders<'k>(lists: &[Vec<&'k str>]) -> Option<Vec<&'k str>> {
    let mut all: Vec<&str> = Vec::new();
    for list in lists {
        for key in list {
            if !all.contains(key) {
                all.push(key);
            }
        }
    }
    let before = |a: &str, b: &str| {
        lists.iter().any(|l| {
            let (pa, pb) = (
                l.iter().position(|k| *k == a),
                l.iter().position(|k| *k == b),
            );
            matches!((pa, pb), (Some(x), Some(y)) if x < y)
        })
    };
    let mut out: Vec<&str> = Vec::new();
    while out.len() < all.len() {
        // The first key (in appearance order) that no remaining key must precede.
        let next = all.iter().find(|k| {
            !out.contains(k)
                && !all
                    .iter()
                    .any(|o| !out.contains(o) && o != *k && before(o, k))
        })?;
        out.push(next);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::merge_orders;

    #[test]
    fn merged_orders_keep_every_list_order() {
        let l = |k: &[&'static str]| k.to_vec();
        assert_eq!(merge_orders(&[l(&["A", "B"])]), Some(l(&["A", "B"])));
        assert_eq!(
            merge_orders(&[l(&["R", "S"]), l(&["R", "N", "S"])]),
            Some(l(&["R", "N", "S"]))
        );
        assert_eq!(
            merge_orders(&[l(&["A", "C"]), l(&["B"]), l(&["A", "B", "C"])]),
            Some(l(&["A", "B", "C"]))
        );
        assert_eq!(merge_orders(&[l(&["A", "B"]), l(&["B", "A"])]), None);
        assert_eq!(merge_orders(&[]), Some(vec![]));
    }
}
