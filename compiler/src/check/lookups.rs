//! Lookups of master data: `lookup NAME = kingdee FORM by FIELD` declared,
//! and `NAME[key].FIELD` typed from the form's query fields.

use duijie_dsl::ast::{self, Span};

use super::report::suggest;
use super::{base_of, Checker};
use crate::diag::{codes, FileId};
use crate::model::{Base, Expr, ExprKind, Lookup, LookupField, OnMiss, Ty};
use crate::spec::FormSpec;

/// A lookup as declared.
pub(super) struct LookupInfo<'s> {
    pub name: String,
    pub form: &'s FormSpec,
    /// Index of the key field in the form's query fields.
    pub by: usize,
    pub file: FileId,
    pub span: Span,
    /// Fields read, in order of first use.
    pub fields: Vec<usize>,
    /// Index in the scheme's used lookups, once used.
    pub used: Option<usize>,
}

impl<'s> Checker<'s, '_> {
    /// Registers a `lookup` declaration, or reports what is wrong with it.
    pub(super) fn declare_lookup(&mut self, l: &ast::LookupDecl, id: FileId) {
        if self.name_used_twice(&l.name) {
            return;
        }
        let specs = self.specs;
        let form = specs
            .forms()
            .find(|f| f.system == "kingdee" && f.form == l.form.name)
            .filter(|f| !f.query_fields.is_empty());
        let Some(form) = form else {
            let names: Vec<&str> = specs
                .forms()
                .filter(|f| f.system == "kingdee" && !f.query_fields.is_empty())
                .map(|f| f.form.as_str())
                .collect();
            let exists = specs.forms().any(|f| f.form == l.form.name);
            let help = suggest(&l.form.name, names.iter().copied(), || {
                format!("the forms that can be looked up are: {}", names.join(", "))
            });
            let message = if exists {
                format!(
                    "the form `{}` cannot be looked up: its spec has no `query_fields`",
                    l.form.name
                )
            } else {
                format!("unknown lookup form `{}`", l.form.name)
            };
            let label = if exists {
                "a form without query fields"
            } else {
                "no master-data form of this name"
            };
            self.error(codes::UNKNOWN_LOOKUP_FORM, l.form.span, message)
                .label(label)
                .help(help);
            return;
        };
        let Some(by) = self.query_field(form, &l.by) else {
            return;
        };
        let key_ty = form.query_fields[by].ty;
        if !matches!(base_of(key_ty), Base::Str | Base::Int) {
            self.error(
                codes::LOOKUP_KEY_TYPE,
                l.by.span,
                format!(
                    "`{}.{}` is {}: a lookup finds rows by a string or integer field",
                    form.form,
                    l.by.name,
                    base_of(key_ty).with_article()
                ),
            )
            .label("not a key")
            .help("look rows up by their number (`FNumber`), name or internal id");
            return;
        }
        self.lookup_index
            .insert(l.name.name.clone(), self.lookups.len());
        self.lookups.push(LookupInfo {
            name: l.name.name.clone(),
            form,
            by,
            file: id,
            span: l.name.span,
            fields: Vec::new(),
            used: None,
        });
    }

    /// The query field `name` of `form`, or E0602.
    fn query_field(&mut self, form: &FormSpec, name: &ast::Ident) -> Option<usize> {
        if let Some(i) = form.query_fields.iter().position(|f| f.name == name.name) {
            return Some(i);
        }
        let names: Vec<&str> = form.query_fields.iter().map(|f| f.name.as_str()).collect();
        let help = suggest(&name.name, names.iter().copied(), || {
            format!(
                "the query fields of {} are: {}",
                form.form,
                names.join(", ")
            )
        });
        self.error(
            codes::UNKNOWN_LOOKUP_FIELD,
            name.span,
            format!(
                "unknown field `{}` of the {} ({}) lookup",
                name.name, form.label, form.form
            ),
        )
        .label(format!("not a query field of {}", form.form))
        .help(help);
        None
    }

    /// Whether `name` is a declared lookup.
    pub(super) fn is_lookup(&self, name: &str) -> bool {
        self.lookup_index.contains_key(name)
    }

    /// `name[key].field`; `on_miss` is `Null` on the left of `??`.
    pub(super) fn base_data(
        &mut self,
        name: &ast::Ident,
        key: &ast::Expr,
        field: Option<&ast::Ident>,
        span: Span,
        on_miss: OnMiss,
    ) -> Option<Expr> {
        let k = self.expr(key);
        let li = *self.lookup_index.get(&name.name)?;
        let Some(field) = field else {
            let form = self.lookups[li].form;
            let by = &form.query_fields[self.lookups[li].by].name;
            self.error(
                codes::LOOKUP_FIELD_MISSING,
                span,
                format!(
                    "`{}[…]` is a row of {} ({}): say which field",
                    name.name, form.label, form.form
                ),
            )
            .label("a row, not a value")
            .help(format!(
                "write `{}[…].{by}` or another of its query fields",
                name.name
            ));
            return None;
        };
        let form = self.lookups[li].form;
        let fi = self.query_field(form, field)?;
        let k = k?;
        let by = &form.query_fields[self.lookups[li].by];
        let key_base = base_of(by.ty);
        let place = format!("the key of `{}` ({}.{})", name.name, form.form, by.name);
        if k.ty.base != key_base && k.ty.base != Base::Null {
            self.error(
                codes::LOOKUP_KEY_TYPE,
                key.span,
                format!(
                    "{place} is {}, but this is {}",
                    key_base.with_article(),
                    k.ty.with_article()
                ),
            )
            .label(format!(
                "{}, where {} is needed",
                k.ty.with_article(),
                key_base.with_article()
            ))
            .help(if key_base == Base::Str {
                "convert it with `to_string(…)`".to_string()
            } else {
                "convert it with `to_int(…)`".to_string()
            });
            return None;
        }
        let info = &mut self.lookups[li];
        let field_pos = match info.fields.iter().position(|&f| f == fi) {
            Some(p) => p,
            None => {
                info.fields.push(fi);
                info.fields.len() - 1
            }
        };
        let used = match info.used {
            Some(u) => u,
            None => {
                self.used_lookups.push(li);
                let u = self.used_lookups.len() - 1;
                self.lookups[li].used = Some(u);
                u
            }
        };
        let q = &form.query_fields[fi];
        Some(Expr {
            ty: Ty {
                base: base_of(q.ty),
                nullable: k.ty.nullable || on_miss == OnMiss::Null || !q.required,
            },
            kind: ExprKind::BaseData {
                lookup: used,
                key: Box::new(k),
                field: field_pos,
                on_miss,
            },
        })
    }

    /// The lookups the scheme used, in order of first use, with the fields
    /// each reads. A field's index in [`Lookup::fields`] is its order of first
    /// use, which `ExprKind::BaseData::field` counts in; `meta.fields` is the
    /// same list.
    pub(super) fn take_used_lookups(&mut self) -> Vec<Lookup> {
        let used = std::mem::take(&mut self.used_lookups);
        used.into_iter()
            .map(|li| {
                let info = &self.lookups[li];
                let form = info.form;
                let by = &form.query_fields[info.by];
                let fields: Vec<LookupField> = info
                    .fields
                    .iter()
                    .map(|&f| {
                        let q = &form.query_fields[f];
                        LookupField {
                            name: q.name.clone(),
                            ty: base_of(q.ty),
                            required: q.required,
                        }
                    })
                    .collect();
                Lookup {
                    meta: duijie_maplib::LookupMeta {
                        name: info.name.clone(),
                        system: form.system.clone(),
                        form: form.form.clone(),
                        label: form.label.clone(),
                        by: by.name.clone(),
                        fields: fields.iter().map(|f| f.name.clone()).collect(),
                        id_field: form.id_field.clone().unwrap_or_default(),
                        modify_field: form.modify_field.clone(),
                    },
                    key: base_of(by.ty),
                    fields,
                }
            })
            .collect()
    }

    /// W0001 for lookups of the scheme's own file that nothing uses.
    pub(super) fn warn_unused_lookups(&mut self) {
        // A use may be where the errors are.
        if self.diags.iter().any(|d| d.is_error()) {
            return;
        }
        let unused: Vec<(FileId, Span, String)> = self
            .lookups
            .iter()
            .filter(|l| l.used.is_none() && l.file == self.main)
            .map(|l| (l.file, l.span, l.name.clone()))
            .collect();
        for (file, span, name) in unused {
            let mut d = crate::diag::Diagnostic::warning(
                codes::UNUSED_TABLE,
                file,
                span,
                format!("lookup `{name}` is never used"),
            );
            d.label("declared here")
                .help(format!("use it as `{name}[key].FIELD`, or remove it"));
            self.push(d);
        }
    }
}
