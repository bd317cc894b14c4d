//! Target structs: the bill (`Model` object) and its sub-objects and array
//! elements, each with a generated `write_json` that appends it as compact
//! JSON, fields in `.map` order.
//!
//! A scalar field whose value can be null is an `Option` left out when
//! `None` (Kingdee then applies its default); a field that is never null (a
//! constant, a required field after its check) is written always. Kingdee's
//! keys keep their spelling: each key, with its quotes, colon and the comma
//! or brace before it, is a literal of the generated code, and values go
//! through `duijie_maplib::json::write_*`, which the interpreter writes
//! with too. The bytes are those `serde_json` writes for the same struct
//! (decimals as numbers with their exact text).
//!
//! An array built from a source array is a `Vec`; a literal array whose
//! elements are always all written (`[< … >, < … >]` without `skip`) is a
//! Rust array `[T; N]`, built without allocating.

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
    /// A `Vec` of elements: built from a source array, or literal elements
    /// some of which may be skipped.
    Array(TargetNode),
    /// `[T; N]`: literal elements, all always written.
    Fixed(TargetNode, usize),
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
                    // `Some(n)` while every use is a literal array of n
                    // elements that are never skipped.
                    let mut fixed = everywhere.then_some(None);
                    for used in &uses {
                        match &used.value {
                            TargetValue::Array { body, .. } => {
                                fixed = None;
                                blocks.push(body);
                            }
                            TargetValue::List(elements) => {
                                let n = elements.len();
                                fixed = match fixed {
                                    Some(None) if n > 0 && !any_skip(elements) => Some(Some(n)),
                                    Some(Some(m)) if m == n && !any_skip(elements) => Some(Some(n)),
                                    _ => None,
                                };
                                blocks.extend(elements.iter());
                            }
                            _ => {
                                return Err(self.error(format!(
                                    "`{}` is built differently by the elements of a literal array",
                                    first.path
                                )))
                            }
                        }
                    }
                    let doc = format!(" One element of `{}`.", first.path);
                    let node = self.node(&blocks, &names::camel(key), doc)?;
                    match fixed {
                        Some(Some(n)) => TargetKind::Fixed(node, n),
                        _ => TargetKind::Array(node),
                    }
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
            TargetKind::Object(n) | TargetKind::Array(n) | TargetKind::Fixed(n, _) => n.lifetime,
        });
        Ok(TargetNode {
            ty,
            doc,
            lifetime,
            fields,
        })
    }
}

/// Whether a literal element may be left out (its block has a `skip`).
pub fn has_skip(block: &Block) -> bool {
    block
        .prelude
        .iter()
        .any(|p| matches!(p, crate::model::Prelude::Skip { .. }))
}

fn any_skip(blocks: &[Block]) -> bool {
    blocks.iter().any(has_skip)
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

/// The Rust type a target scalar is held in.
pub fn scalar_type(scalar: &TargetScalar) -> TokenStream {
    match scalar {
        TargetScalar::Str => quote!(Cow<'a, str>),
        TargetScalar::Dec => quote!(Decimal),
        TargetScalar::Int => quote!(i64),
        TargetScalar::Bool => quote!(bool),
        TargetScalar::DateTime { .. } | TargetScalar::Date { .. } => quote!(TimeText),
        TargetScalar::List => quote!(Vec<String>),
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
        let doc = format!(" `{}`", slot.key);
        let field_ty = match &slot.kind {
            TargetKind::Scalar { scalar, optional } => {
                let ty = scalar_type(scalar);
                if *optional {
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
            TargetKind::Fixed(n, len) => {
                let t = type_of(n);
                let len = proc_macro2::Literal::usize_unsuffixed(*len);
                quote!([#t; #len])
            }
        };
        quote! {
            #[doc = #doc]
            pub #ident: #field_ty
        }
    });
    let impl_ty = if node.lifetime {
        let t = &node.ty;
        quote!(#t<'_>)
    } else {
        let t = &node.ty;
        quote!(#t)
    };
    let write = writer(node);
    out.extend(quote! {
        #[doc = #doc]
        pub struct #ty {
            #(#fields,)*
        }

        impl #impl_ty {
            /// Appends the object as compact JSON (what `serde_json` writes
            /// for it, decimals as numbers with their exact text).
            pub fn write_json(&self, out: &mut Vec<u8>) {
                #write
            }
        }
    });
    for slot in &node.fields {
        if let TargetKind::Object(n) | TargetKind::Array(n) | TargetKind::Fixed(n, _) = &slot.kind {
            emit(n, out);
        }
    }
}

/// What the writer knows, at a point of the generated code, about the
/// bytes written so far for the object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Nothing yet: the next key opens the object (`{"Key":`).
    Nothing,
    /// A field: the next key follows a comma (`,"Key":`).
    Field,
    /// Only optional fields so far: the next key checks whether anything
    /// was written since `start`.
    Maybe,
}

/// True when an object of `node` can end up with no field: then it is left
/// out, as a null field is (`{}` is never written but for a bill).
fn may_be_empty(node: &TargetNode) -> bool {
    node.fields.iter().all(|slot| match &slot.kind {
        TargetKind::Scalar { optional, .. } => *optional,
        TargetKind::Object(child) => may_be_empty(child),
        TargetKind::Array(_) => true,
        TargetKind::Fixed(element, _) => may_be_empty(element),
    })
}

/// The body of a struct's `write_json`.
fn writer(node: &TargetNode) -> TokenStream {
    let mut body = TokenStream::new();
    let mut written = Written::Nothing;
    let mut uses_start = false;
    for slot in &node.fields {
        let mut key = Vec::new();
        duijie_maplib::json::write_key(&mut key, &slot.key);
        let opener = |written: Written, tail: &[u8]| -> TokenStream {
            let mut bytes = match written {
                Written::Nothing => b"{".to_vec(),
                Written::Field => b",".to_vec(),
                Written::Maybe => Vec::new(),
            };
            bytes.extend_from_slice(&key);
            bytes.extend_from_slice(tail);
            let literal = bytes_literal(&bytes);
            let extend = quote!(out.extend_from_slice(#literal););
            if written == Written::Maybe {
                quote! {
                    out.push(if out.len() == start { b'{' } else { b',' });
                    #extend
                }
            } else {
                extend
            }
        };
        uses_start |= written == Written::Maybe;
        let ident = &slot.ident;
        match &slot.kind {
            TargetKind::Scalar { scalar, optional } => {
                let open = opener(written, b"");
                if *optional {
                    let value = scalar_writer(scalar, quote!(value), true);
                    body.extend(quote! {
                        if let Some(value) = &self.#ident {
                            #open
                            #value
                        }
                    });
                    if written == Written::Nothing {
                        written = Written::Maybe;
                    }
                } else {
                    let value = scalar_writer(scalar, quote!(self.#ident), false);
                    body.extend(quote!(#open #value));
                    written = Written::Field;
                }
            }
            TargetKind::Object(child) if may_be_empty(child) => {
                // Written, then taken back when it is `{}`.
                let open = opener(written, b"");
                body.extend(quote! {
                    let at = out.len();
                    #open
                    let inner = out.len();
                    self.#ident.write_json(out);
                    if out.len() == inner + 2 {
                        out.truncate(at);
                    }
                });
                if written == Written::Nothing {
                    written = Written::Maybe;
                }
            }
            TargetKind::Object(_) => {
                let open = opener(written, b"");
                body.extend(quote! {
                    #open
                    self.#ident.write_json(out);
                });
                written = Written::Field;
            }
            TargetKind::Array(element) | TargetKind::Fixed(element, _) if may_be_empty(element) => {
                // Empty elements are left out, and the array when none is left.
                let open = opener(written, b"[");
                body.extend(quote! {
                    let at = out.len();
                    #open
                    let mut count = 0usize;
                    for item in self.#ident.iter() {
                        let element = out.len();
                        if count > 0 {
                            out.push(b',');
                        }
                        let inner = out.len();
                        item.write_json(out);
                        if out.len() == inner + 2 {
                            out.truncate(element);
                        } else {
                            count += 1;
                        }
                    }
                    if count == 0 {
                        out.truncate(at);
                    } else {
                        out.push(b']');
                    }
                });
                if written == Written::Nothing {
                    written = Written::Maybe;
                }
            }
            TargetKind::Array(_) => {
                // Left out when it has no element.
                let open = opener(written, b"[");
                body.extend(quote! {
                    if !self.#ident.is_empty() {
                        #open
                        for (index, item) in self.#ident.iter().enumerate() {
                            if index > 0 {
                                out.push(b',');
                            }
                            item.write_json(out);
                        }
                        out.push(b']');
                    }
                });
                if written == Written::Nothing {
                    written = Written::Maybe;
                }
            }
            TargetKind::Fixed(..) => {
                let open = opener(written, b"[");
                body.extend(quote! {
                    #open
                    for (index, item) in self.#ident.iter().enumerate() {
                        if index > 0 {
                            out.push(b',');
                        }
                        item.write_json(out);
                    }
                    out.push(b']');
                });
                written = Written::Field;
            }
        }
    }
    let close = match written {
        Written::Nothing => quote!(out.extend_from_slice(b"{}");),
        Written::Field => quote!(out.push(b'}');),
        Written::Maybe => {
            uses_start = true;
            quote! {
                if out.len() == start {
                    out.push(b'{');
                }
                out.push(b'}');
            }
        }
    };
    let start = if uses_start {
        quote!(let start = out.len();)
    } else {
        TokenStream::new()
    };
    quote! {
        #start
        #body
        #close
    }
}

/// `impl Bill { fn number(&self) -> Option<Cow<str>> }`: the bill's number,
/// the value of its `number_target` field by the rule of
/// `duijie_maplib::json::id_text` (a string's content, not empty; a
/// number's exact text; nothing else), read from the struct rather than from
/// the written bill.
pub fn number_method(bill: &TargetNode, number_target: Option<&str>) -> TokenStream {
    let t = &bill.ty;
    let (impl_head, life) = if bill.lifetime {
        (quote!(impl<'a> #t<'a>), quote!('a))
    } else {
        (quote!(impl #t), quote!('static))
    };
    let slot = number_target.and_then(|key| bill.slot(key));
    let body = match slot.map(|s| (&s.ident, &s.kind)) {
        Some((ident, TargetKind::Scalar { scalar, optional })) => {
            let of = |value: TokenStream| match scalar {
                TargetScalar::Str => {
                    quote!(Some(::std::clone::Clone::clone(#value)).filter(|s| !s.is_empty()))
                }
                TargetScalar::Bool | TargetScalar::List => quote!(None),
                _ => {
                    let write = scalar_writer(scalar, value, true);
                    quote!({
                        let mut out = Vec::new();
                        #write
                        ::std::str::from_utf8(&out)
                            .ok()
                            .and_then(::duijie_maplib::json::id_text)
                            .map(|text| Cow::Owned(text.into_owned()))
                    })
                }
            };
            if *optional {
                let value = of(quote!(value));
                quote!(self.#ident.as_ref().and_then(|value| #value))
            } else if matches!(scalar, TargetScalar::Str) {
                // A required text (FNumber of base data): a plain argument.
                of(quote!(&self.#ident))
            } else {
                of(quote!((&self.#ident)))
            }
        }
        _ => quote!(None),
    };
    quote! {
        #impl_head {
            /// The bill's number (its number field's value, when it is a
            /// non-empty string or a number), borrowed from the record when
            /// the field is a copy of its text.
            pub fn number(&self) -> Option<Cow<#life, str>> {
                #body
            }
        }
    }
}

/// The statement writing one scalar value (`value` is a reference when
/// `by_ref`, else a field place).
fn scalar_writer(scalar: &TargetScalar, value: TokenStream, by_ref: bool) -> TokenStream {
    let m = quote!(::duijie_maplib::json);
    let (place, copy) = if by_ref {
        (value.clone(), quote!(*#value))
    } else {
        (quote!(&#value), value)
    };
    match scalar {
        TargetScalar::Str | TargetScalar::DateTime { .. } | TargetScalar::Date { .. } => {
            quote!(#m::write_str(out, #place);)
        }
        TargetScalar::Dec => quote!(#m::write_dec(out, #place);),
        TargetScalar::Int => quote!(#m::write_int(out, #copy);),
        TargetScalar::Bool => quote!(#m::write_bool(out, #copy);),
        TargetScalar::List => quote!(#m::write_list(out, #place);),
    }
}

/// A literal of bytes: `b"…"` for ASCII, `"…".as_bytes()` for other UTF-8.
fn bytes_literal(bytes: &[u8]) -> TokenStream {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.is_ascii() => {
            let text = lit_str(text);
            quote!(#text.as_bytes())
        }
        _ => {
            let literal = proc_macro2::Literal::byte_string(bytes);
            quote!(#literal)
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
