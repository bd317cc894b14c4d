//! Source structs: the fields of a record the mapping reads.
//!
//! One struct per object of [`model::Scheme::reads`]: `Record` for the
//! record, one per array's elements and one per nested object. Only the
//! keys the mapping reads are declared. Each field holds the raw JSON text
//! of its value (`Option<&'a RawValue>`, `None` when the key is missing),
//! borrowed from the input line: a scalar is decoded where an expression
//! reads it, an array is split into its elements where the `[] <-`
//! statement maps it, an object is read when its block is entered.
//!
//! Reading goes through `duijie_maplib::json` (`record`, `object`,
//! `elements`), the same functions the interpreter uses, so both execution
//! paths accept and reject exactly the same input (see that module).
//!
//! [`model::Scheme::reads`]: crate::model::Scheme::reads

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::lit_str;
use super::names::{self, Scope};
use crate::model::{Scheme, Shape, ShapeKind};

/// One source struct.
#[derive(Debug)]
pub struct SourceNode {
    pub ty: Ident,
    /// What the struct holds, for its doc comment.
    pub doc: String,
    /// The record itself (read from a line), not a nested value.
    pub is_record: bool,
    pub fields: Vec<SourceSlot>,
}

/// One field of a source struct.
#[derive(Debug)]
pub struct SourceSlot {
    /// The JSON key.
    pub key: String,
    pub ident: Ident,
    pub kind: SlotKind,
}

#[derive(Debug)]
pub enum SlotKind {
    Scalar,
    Object(SourceNode),
    Array(SourceNode),
}

impl SourceNode {
    pub fn slot(&self, key: &str) -> Option<&SourceSlot> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Whether the struct has a lifetime (it has fields, or it is the record,
    /// which keeps its text).
    pub fn lifetime(&self) -> bool {
        self.is_record || !self.fields.is_empty()
    }

    /// The type, with its lifetime when it has one.
    pub fn type_tokens(&self) -> TokenStream {
        let ty = &self.ty;
        if self.lifetime() {
            quote!(#ty<'a>)
        } else {
            quote!(#ty)
        }
    }
}

/// The source structs of a scheme, rooted at the record.
pub fn layout(scheme: &Scheme, types: &mut Scope) -> SourceNode {
    let doc = format!(
        " A `{}` record of `{}.{}`: the raw JSON of the fields the mapping reads.",
        scheme.meta.source.list_key, scheme.meta.source.system, scheme.meta.source.api
    );
    let mut root = node(&scheme.reads, "Record", doc, types);
    root.is_record = true;
    root
}

fn node(shape: &Shape, wanted: &str, doc: String, types: &mut Scope) -> SourceNode {
    let ty = names::ident(&types.claim_type(wanted));
    let mut field_names = Scope::with_reserved(&["text"]);
    let mut fields = Vec::new();
    for field in &shape.fields {
        let ident = names::ident(&field_names.claim(&names::snake(&field.name)));
        let kind = match &field.kind {
            ShapeKind::Scalar(_) => SlotKind::Scalar,
            ShapeKind::Object(inner) => SlotKind::Object(node(
                inner,
                &names::camel(&field.name),
                format!(
                    " The object `{}`: the raw JSON of the fields the mapping reads.",
                    field.name
                ),
                types,
            )),
            ShapeKind::Array(inner) => SlotKind::Array(node(
                inner,
                &names::camel(&field.name),
                format!(
                    " One element of `{}`: the raw JSON of the fields the mapping reads.",
                    field.name
                ),
                types,
            )),
        };
        fields.push(SourceSlot {
            key: field.name.clone(),
            ident,
            kind,
        });
    }
    SourceNode {
        ty,
        doc,
        is_record: false,
        fields,
    }
}

/// The struct items of the record and everything under it, outermost first.
pub fn items(root: &SourceNode) -> TokenStream {
    let mut out = TokenStream::new();
    emit(root, &mut out);
    out
}

fn emit(node: &SourceNode, out: &mut TokenStream) {
    let ty = &node.ty;
    let ty_a = node.type_tokens();
    let doc = &node.doc;
    let count = proc_macro2::Literal::usize_unsuffixed(node.fields.len());
    let keys = node.fields.iter().map(|f| lit_str(&f.key));
    let idents: Vec<&Ident> = node.fields.iter().map(|f| &f.ident).collect();
    let fields = node.fields.iter().map(|slot| {
        let ident = &slot.ident;
        let what = match &slot.kind {
            SlotKind::Scalar => "",
            SlotKind::Object(_) => " (an object)",
            SlotKind::Array(_) => " (an array)",
        };
        let doc = format!(" `{}`{what}", slot.key);
        quote! {
            #[doc = #doc]
            pub #ident: Option<&'a ::duijie_maplib::serde_json::value::RawValue>
        }
    });
    let text_field = node.is_record.then(|| {
        quote! {
            /// The record's JSON text (its id is read from it for error reports).
            pub text: &'a str,
        }
    });
    let impl_generics = if node.lifetime() {
        quote!(<'a>)
    } else {
        quote!()
    };
    let read = if node.is_record {
        quote! {
            /// Reads a record: one JSON object.
            pub fn read(text: &'a str) -> Result<Self, ValueError> {
                let mut slots = [None; #count];
                ::duijie_maplib::json::record(text, &Self::KEYS, &mut slots)?;
                let [#(#idents),*] = slots;
                Ok(#ty { text, #(#idents),* })
            }
        }
    } else {
        let raw_ty = if node.lifetime() {
            quote!(Option<&'a ::duijie_maplib::serde_json::value::RawValue>)
        } else {
            quote!(Option<&::duijie_maplib::serde_json::value::RawValue>)
        };
        quote! {
            /// Reads the object (missing or `null` reads as an object whose
            /// fields are all missing).
            pub fn read(raw: #raw_ty) -> Result<Self, ValueError> {
                let mut slots = [None; #count];
                ::duijie_maplib::json::object(raw, &Self::KEYS, &mut slots)?;
                let [#(#idents),*] = slots;
                Ok(#ty { #(#idents),* })
            }
        }
    };
    out.extend(quote! {
        #[doc = #doc]
        pub struct #ty_a {
            #text_field
            #(#fields,)*
        }

        impl #impl_generics #ty_a {
            /// The keys read, in field order.
            pub const KEYS: [&'static str; #count] = [#(#keys),*];

            #read
        }
    });
    for slot in &node.fields {
        if let SlotKind::Object(n) | SlotKind::Array(n) = &slot.kind {
            emit(n, out);
        }
    }
}
