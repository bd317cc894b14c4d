//! The scheme's entry points (`NAME`, `META`, the `Mapper` impl, error
//! placing) and the registry of all compiled schemes (`all`, `by_name`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::lit_str;
use super::literal;
use super::source::SourceNode;
use crate::model::Scheme;

/// Names at the top of the generated file.
pub const RESERVED_TOP: &[&str] = &["all", "by_name", "NAMES", "Outcome"];

/// Type names a scheme module uses for itself.
pub const RESERVED_TYPES: &[&str] = &[
    "Compiled",
    "Cow",
    "Decimal",
    "NaiveDate",
    "DateTime",
    "FixedOffset",
    "TimeText",
    "Reject",
    "Scanner",
    "ValueError",
    "MapError",
    "Mapped",
    "Outcome",
    "SchemeMeta",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Self",
    "NAME",
    "ID_FIELD",
    "META",
    "At",
];

/// The items of a scheme module besides its structs and `transform`.
pub fn scheme_items(scheme: &Scheme, source: &SourceNode, body: &TokenStream) -> TokenStream {
    let meta = &scheme.meta;
    let name = lit_str(&meta.name);
    let id_field = lit_str(&meta.id_field);
    let meta_value = literal::meta(meta);
    let record_ty = &source.ty;
    let zones = zones(scheme, body);
    // The id from the record as read, when the mapping reads it anyway.
    let id = match source.slot(&meta.id_field) {
        Some(slot) if matches!(slot.kind, super::source::SlotKind::Scalar) => {
            let ident = &slot.ident;
            quote!(record.#ident.and_then(|raw| ::duijie_maplib::json::id_text(raw.get())))
        }
        _ => quote!(::duijie_maplib::json::record_id(text, ID_FIELD).map(Cow::Owned)),
    };
    quote! {
        /// The scheme's name.
        pub const NAME: &str = #name;

        /// The source field that identifies a record (named in errors).
        pub const ID_FIELD: &str = #id_field;

        /// Source, target, id and number of the scheme.
        pub static META: ::std::sync::LazyLock<::duijie_maplib::SchemeMeta> =
            ::std::sync::LazyLock::new(|| #meta_value);

        /// The compiled scheme.
        pub struct Compiled;

        impl ::duijie_maplib::Mapper for Compiled {
            fn meta(&self) -> &::duijie_maplib::SchemeMeta {
                &META
            }

            fn map_record_with<'r>(
                &self,
                text: &'r str,
                out: &mut Vec<u8>,
                lookups: &dyn ::duijie_maplib::Lookups,
            ) -> Result<::duijie_maplib::Mapped<'r>, MapError> {
                ::duijie_maplib::json::check_record_size(text).map_err(|error| {
                    error.at(NAME, ::duijie_maplib::json::record_id(text, ID_FIELD), String::new(), String::new())
                })?;
                let record = #record_ty::read(text).map_err(|error| {
                    error.at(NAME, ::duijie_maplib::json::record_id(text, ID_FIELD), String::new(), String::new())
                })?;
                let outcome = transform(&record, lookups)?;
                let id = #id;
                match outcome {
                    Outcome::Bill(bill) => {
                        bill.write_json(out);
                        Ok(::duijie_maplib::Mapped::Bill {
                            id,
                            number: bill.number(),
                        })
                    }
                    Outcome::Skipped { reason } => Ok(::duijie_maplib::Mapped::Skipped {
                        id,
                        reason: reason.to_owned(),
                    }),
                }
            }
        }

        /// Where an error happens: the record, and the indexes of the
        /// enclosing target and source array elements, which fill the `[]`
        /// of path templates (`FPOOrderEntry[].FQty` → `FPOOrderEntry[2].FQty`).
        #[derive(Clone, Copy)]
        struct At<'r, 'a> {
            record: &'r #record_ty<'a>,
            target: &'r [usize],
            source: &'r [usize],
        }

        impl At<'_, '_> {
            /// The record's error at the target path `target`, reading the
            /// source fields `source`.
            fn fail(self, target: &str, source: &str, error: ValueError) -> MapError {
                error.at(
                    NAME,
                    ::duijie_maplib::json::record_id(self.record.text, ID_FIELD),
                    ::duijie_maplib::fill_path(target, self.target),
                    ::duijie_maplib::fill_path(source, self.source),
                )
            }
        }

        #zones
    }
}

/// `source_zone()` / `target_zone()`, when `body` calls them.
fn zones(scheme: &Scheme, body: &TokenStream) -> TokenStream {
    let mut used = std::collections::BTreeSet::new();
    super::collect_idents(body, &mut used);
    let mut out = TokenStream::new();
    if used.contains("source_zone") {
        let secs = scheme.source_time.utc_offset_secs;
        out.extend(quote! {
            /// The zone of the source API's date-times.
            fn source_zone() -> Result<FixedOffset, ValueError> {
                ::duijie_maplib::time::offset(#secs)
            }
        });
    }
    if used.contains("target_zone") {
        let secs = scheme.target_time.utc_offset_secs;
        out.extend(quote! {
            /// The zone of the target form's date-times.
            fn target_zone() -> Result<FixedOffset, ValueError> {
                ::duijie_maplib::time::offset(#secs)
            }
        });
    }
    out
}

/// The registry after the scheme modules: `NAMES`, `all()`, `by_name()`,
/// and the `Outcome` type the modules' `transform` returns.
pub fn registry(entries: &[(String, Ident)]) -> TokenStream {
    let names = entries.iter().map(|(n, _)| lit_str(n));
    let news = entries
        .iter()
        .map(|(_, m)| quote!(::std::sync::Arc::new(#m::Compiled)));
    let arms = entries.iter().map(|(n, m)| {
        let n = lit_str(n);
        quote!(#n => Some(::std::sync::Arc::new(#m::Compiled)),)
    });
    quote! {
        /// What `transform` made of a record: a bill, or *skipped* by a
        /// `skip` statement (the statement as written is the reason).
        pub enum Outcome<T> {
            Bill(T),
            Skipped { reason: &'static str },
        }

        /// The names of the compiled schemes, in name order.
        pub const NAMES: &[&str] = &[#(#names),*];

        /// Every compiled scheme, in name order.
        pub fn all() -> Vec<::std::sync::Arc<dyn ::duijie_maplib::Mapper>> {
            vec![#(#news),*]
        }

        /// The compiled scheme named `name`.
        pub fn by_name(name: &str) -> Option<::std::sync::Arc<dyn ::duijie_maplib::Mapper>> {
            match name {
                #(#arms)*
                _ => None,
            }
        }
    }
}
