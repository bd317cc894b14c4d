//! Source structs: the fields of a record the mapping reads.
//!
//! One struct per object of [`model::Scheme::reads`]: `Record` for the
//! record, one per array's elements and one per nested object. Only the
//! keys the mapping reads are declared. Each field holds the raw JSON text
//! of its value (`Option<duijie_maplib::json::Raw<'a>>` for a scalar,
//! `None` when the key is missing; an array or object read in the one pass
//! holds its elements or fields, read lazily its `&'a RawValue`),
//! borrowed from the input line: a scalar is decoded where an expression
//! reads it, an array is split into its elements where the `[] <-`
//! statement maps it, an object is read when its block is entered.
//!
//! A record is read in one pass with `duijie_maplib::scan` when it is well
//! formed, else through `duijie_maplib::json` (`record`, `object`,
//! `elements`), the functions the interpreter uses, so both execution paths
//! accept and reject exactly the same input (see `duijie_maplib::read`).
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
    let keys: Vec<_> = node.fields.iter().map(|f| lit_str(&f.key)).collect();
    let idents: Vec<&Ident> = node.fields.iter().map(|f| &f.ident).collect();
    let raw = quote!(&'a RawValue);
    let fields = node.fields.iter().map(|slot| {
        let ident = &slot.ident;
        let (what, field_ty) = match &slot.kind {
            SlotKind::Scalar => ("", quote!(Option<::duijie_maplib::json::Raw<'a>>)),
            SlotKind::Object(n) => {
                let t = n.type_tokens();
                (" (an object)", quote!(read::Object<'a, #t>))
            }
            SlotKind::Array(n) => {
                let t = n.type_tokens();
                (" (an array)", quote!(read::Elements<'a, #t>))
            }
        };
        let doc = format!(" `{}`{what}", slot.key);
        quote! {
            #[doc = #doc]
            pub #ident: #field_ty
        }
    });
    let text_field = node.is_record.then(|| {
        quote! {
            /// The record's JSON text (its id is read from it for error reports).
            pub text: &'a str,
        }
    });
    // `Fields::slot`: a key's field.
    let slot_fn = if node.fields.is_empty() {
        quote! {
            fn slot(_key: &[u8]) -> Option<usize> {
                None
            }
        }
    } else {
        let arms = node.fields.iter().enumerate().map(|(i, f)| {
            let i = proc_macro2::Literal::usize_unsuffixed(i);
            let k = proc_macro2::Literal::byte_string(f.key.as_bytes());
            quote!(#k => Some(#i),)
        });
        quote! {
            fn slot(key: &[u8]) -> Option<usize> {
                match key {
                    #(#arms)*
                    _ => None,
                }
            }
        }
    };
    // `Fields::read_field`: one value, in the one pass.
    let read_field = if node.fields.is_empty() {
        quote! {
            fn read_field(&mut self, _slot: usize, _scan: &mut Scanner<'a>) -> Result<(), Reject> {
                Err(Reject)
            }
        }
    } else {
        let arms = node.fields.iter().enumerate().map(|(i, slot)| {
            let i = proc_macro2::Literal::usize_unsuffixed(i);
            let ident = &slot.ident;
            match &slot.kind {
                SlotKind::Scalar => quote! {
                    #i if self.#ident.is_none() => self.#ident = Some(scan.raw()?),
                },
                SlotKind::Object(_) => quote! {
                    #i if self.#ident.is_unread() => {
                        self.#ident = read::Object::Read(read::object(scan)?);
                    }
                },
                SlotKind::Array(_) => quote! {
                    #i if self.#ident.is_unread() => {
                        self.#ident = read::Elements::Read(read::elements(scan)?);
                    }
                },
            }
        });
        quote! {
            fn read_field(&mut self, slot: usize, scan: &mut Scanner<'a>) -> Result<(), Reject> {
                match slot {
                    #(#arms)*
                    _ => return Err(Reject),
                }
                Ok(())
            }
        }
    };
    // The struct from lazily read slots.
    let from_slots = node.fields.iter().map(|slot| {
        let ident = &slot.ident;
        match &slot.kind {
            SlotKind::Scalar => quote!(#ident: #ident.map(::duijie_maplib::json::Raw::from)),
            SlotKind::Object(_) => quote!(#ident: read::Object::Raw(#ident)),
            SlotKind::Array(_) => quote!(#ident: read::Elements::Raw(#ident)),
        }
    });
    let from_slots: Vec<TokenStream> = from_slots.collect();
    let text_init = node.is_record.then(|| quote!(text: "",));
    let read_lazy = quote! {
        fn read_lazy(raw: Option<#raw>) -> Result<Self, ValueError> {
            let mut slots = [None; #count];
            ::duijie_maplib::json::object(raw, &Self::KEYS, &mut slots)?;
            let [#(#idents),*] = slots;
            Ok(#ty { #text_init #(#from_slots),* })
        }
    };
    let record_read = node.is_record.then(|| {
        quote! {
            /// Reads a record: in one pass when the record is well formed,
            /// else lazily, as the interpreter does (so that a bad value fails
            /// the field that reads it, with the same error).
            pub fn read(text: &'a str) -> Result<Self, ValueError> {
                if let Ok(record) = read::record::<Self>(text) {
                    return Ok(#ty { text, ..record });
                }
                let mut slots = [None; #count];
                ::duijie_maplib::json::record(text, &Self::KEYS, &mut slots)?;
                let [#(#idents),*] = slots;
                Ok(#ty { text, #(#from_slots),* })
            }
        }
    });
    out.extend(quote! {
        #[doc = #doc]
        #[derive(Default, Clone)]
        pub struct #ty_a {
            #text_field
            #(#fields,)*
        }

        impl<'a> #ty_a {
            /// The keys read, in field order.
            pub const KEYS: [&'static str; #count] = [#(#keys),*];

            #record_read
        }

        impl<'a> read::Fields<'a> for #ty_a {
            #slot_fn

            #read_field

            #read_lazy
        }
    });
    for slot in &node.fields {
        if let SlotKind::Object(n) | SlotKind::Array(n) = &slot.kind {
            emit(n, out);
        }
    }
}
