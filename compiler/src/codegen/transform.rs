//! `transform`: the statements that build a bill from a record, and the
//! lookup tables.
//!
//! The generated function follows the evaluation order of the checked model
//! (docs in [`crate::model`]): in every block, first the nested source
//! objects of the block's level are read, then the `let`s and `skip`s run in
//! order, then the fields are computed in order, depth first. A skipped
//! record returns `Outcome::Skipped`; a skipped array element is left out
//! and takes no target index. Errors are placed as `duijie_maplib::error`
//! documents.

use std::collections::HashMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::expr::{
    compound, constant, operand_tokens, pattern, rust_type, show, single, ExprGen, Fields, Loc,
    Nulls,
};
use super::names::{self, Scope};
use super::source::{SlotKind, SourceNode};
use super::target::{TargetKind, TargetNode};
use super::{lit_str, CodegenError};
use crate::model::{
    Base, Block, Const, Expr, FieldRef, Prelude, Scheme, TargetField, TargetScalar, TargetValue,
};

/// Variable names the generated code uses for itself.
const RESERVED_VARS: &[&str] = &[
    "record", "read", "at", "At", "lhs", "rhs", "value", "key", "error", "text", "zone", "object",
    "raw", "arg0", "arg1", "arg2", "arg3", "arg4", "item0", "item1", "item2", "item3", "_value",
    "fail", "Some", "None", "Ok", "Err", "lookups", "META",
];

/// The source level a block reads from: the record or an array element.
struct Level<'s> {
    /// The variable holding the level's struct.
    var: Ident,
    node: &'s SourceNode,
    /// Nested objects of the level, read when the level's block is entered:
    /// their key path and variable.
    objects: Vec<(Vec<String>, Ident, &'s SourceNode)>,
}

/// The scope expressions are generated in.
struct Scopes<'s, 'v> {
    levels: &'v [Level<'s>],
    locals: &'v HashMap<usize, Ident>,
}

impl Fields for Scopes<'_, '_> {
    fn field(&self, level: usize, path: &[String]) -> Option<TokenStream> {
        let level = self.levels.get(level)?;
        let (last, parents) = path.split_last()?;
        let (var, node) = if parents.is_empty() {
            (&level.var, level.node)
        } else {
            let (_, var, node) = level
                .objects
                .iter()
                .find(|(p, _, _)| p.as_slice() == parents)?;
            (var, *node)
        };
        let slot = node.slot(last)?;
        if !matches!(slot.kind, SlotKind::Scalar) {
            return None;
        }
        let ident = &slot.ident;
        Some(quote!(#var.#ident))
    }

    fn local(&self, slot: usize) -> Option<&Ident> {
        self.locals.get(&slot)
    }
}

/// What a `skip` does in a block.
#[derive(Clone)]
enum SkipAction {
    /// Skip the record.
    Record,
    /// Leave out this element of an array built from a source array.
    Continue,
    /// Leave out this literal element (a labelled block).
    Break(TokenStream),
}

/// Generates the `transform` function of one scheme.
struct TransformGen<'s> {
    scheme: &'s Scheme,
    nulls: Nulls,
    vars: Scope,
    locals: HashMap<usize, Ident>,
    levels: Vec<Level<'s>>,
    /// Target indexes of the enclosing target array elements: variables,
    /// or literals in fixed arrays.
    target_indexes: Vec<TokenStream>,
    /// Source index variables of the enclosing source array elements.
    source_indexes: Vec<Ident>,
    /// The `At` variable of the current scope.
    at: Ident,
    tables: Vec<Ident>,
    labels: usize,
}

/// The `transform` function of a scheme.
pub fn transform(
    scheme: &Scheme,
    source: &SourceNode,
    target: &TargetNode,
) -> Result<TokenStream, CodegenError> {
    let mut g = TransformGen {
        scheme,
        nulls: Nulls::of_scheme(scheme),
        vars: Scope::with_reserved(RESERVED_VARS),
        locals: HashMap::new(),
        levels: Vec::new(),
        target_indexes: Vec::new(),
        source_indexes: Vec::new(),
        at: format_ident!("at"),
        tables: table_names(scheme),
        labels: 0,
    };
    let mut stmts = TokenStream::new();
    g.enter_level(format_ident!("record"), source, "", "", &mut stmts);
    let bill = g.block(&scheme.body, target, &SkipAction::Record, "", &mut stmts)?;
    let at = g.at_binding(&stmts);
    let record_ty = source.type_tokens();
    let bill_ty = super::target::type_of(target);
    let doc = format!(
        " Maps one `{}` record to its `{}` bill, or to *skipped* when a `skip` matches.",
        scheme.meta.source.list_key, scheme.meta.target.form_id
    );
    // Named `_lookups` when no lookup asks, so that it is not unused.
    let lookups = if scheme.lookups.is_empty() {
        format_ident!("_lookups")
    } else {
        format_ident!("lookups")
    };
    Ok(quote! {
        #[doc = #doc]
        pub fn transform<'a>(
            record: &#record_ty,
            #lookups: &dyn ::duijie_maplib::Lookups,
        ) -> Result<Outcome<#bill_ty>, MapError> {
            #at
            #stmts
            Ok(Outcome::Bill(#bill))
        }
    })
}

impl<'s> TransformGen<'s> {
    fn error(&self, message: impl Into<String>) -> CodegenError {
        CodegenError {
            scheme: self.scheme.meta.name.clone(),
            message: message.into(),
        }
    }

    fn var(&mut self, wanted: &str) -> Ident {
        names::ident(&self.vars.claim(wanted))
    }

    /// `let at = At { … };` for the current scope, when `stmts` use it.
    fn at_binding(&self, stmts: &TokenStream) -> TokenStream {
        let mut used = std::collections::BTreeSet::new();
        super::collect_idents(stmts, &mut used);
        if !used.contains(&self.at.to_string()) {
            return TokenStream::new();
        }
        let at = &self.at;
        let (t, s) = (&self.target_indexes, &self.source_indexes);
        quote!(let #at = At { record, target: &[#(#t),*], source: &[#(#s),*] };)
    }

    /// `.map_err(|error| at.fail(target, source, error))?` in the current
    /// scope.
    fn fail(&self, target: &str, source: &str) -> TokenStream {
        let at = &self.at;
        let (t, s) = (lit_str(target), lit_str(source));
        quote!(.map_err(|error| #at.fail(#t, #s, error))?)
    }

    /// Pushes a level and reads its nested objects (`block_target` is the
    /// path template of the block being entered, for errors).
    fn enter_level(
        &mut self,
        var: Ident,
        node: &'s SourceNode,
        display: &str,
        block_target: &str,
        stmts: &mut TokenStream,
    ) {
        let mut objects = Vec::new();
        self.read_objects(&var, node, display, &[], block_target, &mut objects, stmts);
        self.levels.push(Level { var, node, objects });
    }

    #[allow(clippy::too_many_arguments)] // a recursive walk with its context
    fn read_objects(
        &mut self,
        from: &Ident,
        node: &'s SourceNode,
        display: &str,
        path: &[String],
        block_target: &str,
        objects: &mut Vec<(Vec<String>, Ident, &'s SourceNode)>,
        stmts: &mut TokenStream,
    ) {
        for slot in &node.fields {
            let SlotKind::Object(inner) = &slot.kind else {
                continue;
            };
            let mut inner_path = path.to_vec();
            inner_path.push(slot.key.clone());
            let inner_display = if display.is_empty() {
                inner_path.join(".")
            } else {
                format!("{display}.{}", inner_path.join("."))
            };
            let var = self.var(&format!("{from}_{}", slot.ident));
            let field = &slot.ident;
            let fail = self.fail(block_target, &inner_display);
            stmts.extend(quote!(let #var = #from.#field.get() #fail;));
            objects.push((inner_path.clone(), var.clone(), inner));
            self.read_objects(
                &var,
                inner,
                display,
                &inner_path,
                block_target,
                objects,
                stmts,
            );
        }
    }

    /// The statements of a block, appended to `stmts`; returns the struct
    /// expression of the object the block builds.
    fn block(
        &mut self,
        block: &Block,
        node: &TargetNode,
        skip: &SkipAction,
        block_target: &str,
        stmts: &mut TokenStream,
    ) -> Result<TokenStream, CodegenError> {
        let prelude_loc = Loc {
            target: block_target.to_string(),
            sources: String::new(),
        };
        for step in &block.prelude {
            match step {
                Prelude::Let { local, name, expr } => {
                    let value = self.expr(expr, prelude_loc.clone())?;
                    let var = self.var(&names::snake(name));
                    let ty = rust_type(expr.ty.base);
                    let ty = if self.nulls.nullable(expr) {
                        quote!(Option<#ty>)
                    } else {
                        ty
                    };
                    stmts.extend(quote!(let #var: #ty = #value;));
                    self.locals.insert(*local, var);
                }
                Prelude::Skip { cond, unless, text } => {
                    let nullable = self.nulls.nullable(cond);
                    let mut value = self.expr(cond, prelude_loc.clone())?;
                    if compound(&value) {
                        let var = self.var("condition");
                        stmts.extend(quote!(let #var = #value;));
                        value = quote!(#var);
                    }
                    let paren = operand_tokens(value.clone());
                    let test = match (nullable, *unless) {
                        (true, false) => quote!(#paren == Some(true)),
                        (true, true) => quote!(#paren != Some(true)),
                        (false, false) => value,
                        (false, true) => quote!(!#paren),
                    };
                    let action = match skip {
                        SkipAction::Record => {
                            let reason = lit_str(text);
                            quote!(return Ok(Outcome::Skipped { reason: #reason });)
                        }
                        SkipAction::Continue => quote!(continue;),
                        SkipAction::Break(label) => quote!(break #label;),
                    };
                    stmts.extend(quote!(if #test { #action }));
                }
            }
        }
        let mut values: HashMap<&str, Ident> = HashMap::new();
        for field in &block.fields {
            let slot = node.slot(&field.name).ok_or_else(|| {
                self.error(format!("`{}` has no place in its struct", field.path))
            })?;
            let var = self.field(field, &slot.kind, stmts)?;
            values.insert(&field.name, var);
        }
        Ok(struct_literal(node, &values))
    }

    fn expr(&self, expr: &Expr, loc: Loc) -> Result<TokenStream, CodegenError> {
        let scopes = Scopes {
            levels: &self.levels,
            locals: &self.locals,
        };
        let g = ExprGen {
            scheme: self.scheme,
            nulls: &self.nulls,
            fields: &scopes,
            tables: &self.tables,
            at: self.at.clone(),
            loc,
        };
        g.expr(expr)
    }

    /// One target field: statements computing it into a new variable.
    fn field(
        &mut self,
        field: &TargetField,
        kind: &TargetKind,
        stmts: &mut TokenStream,
    ) -> Result<Ident, CodegenError> {
        match (&field.value, kind) {
            (
                TargetValue::Scalar {
                    expr,
                    ty,
                    required,
                    sources,
                },
                TargetKind::Scalar { optional, .. },
            ) => {
                let loc = Loc {
                    target: field.path.clone(),
                    sources: sources.clone(),
                };
                let nullable = self.nulls.nullable(expr);
                let value = self.expr(expr, loc)?;
                let var = self.var(&names::snake(&field.name));
                let fail = self.fail(&field.path, sources);
                let convert = self.write_conversion(ty, expr.ty.base, &fail)?;
                let value = match (*optional, nullable) {
                    (true, false) if convert.is_none() => quote!(Some(#value)),
                    _ => value,
                };
                stmts.extend(quote!(let #var = #value;));
                // Converted to what the struct holds.
                if let Some(conv) = convert {
                    let conv = if nullable {
                        single(&quote!(#var), &format_ident!("value"), conv, false)
                    } else {
                        replace_ident(&conv, "value", &var)
                    };
                    let conv = match (*optional, nullable) {
                        (true, false) => quote!(Some(#conv)),
                        _ => conv,
                    };
                    stmts.extend(quote!(let #var = #conv;));
                }
                if nullable && *required {
                    let at = &self.at;
                    let (t, s) = (lit_str(&field.path), lit_str(sources));
                    stmts.extend(quote! {
                        let Some(#var) = #var else {
                            return Err(#at.fail(#t, #s, ::duijie_maplib::error::required_target_null()));
                        };
                    });
                    if *optional {
                        // Optional in the struct shared with literal elements
                        // that leave it out.
                        stmts.extend(quote!(let #var = Some(#var);));
                    }
                } else if nullable && !*optional {
                    return Err(self.error(format!(
                        "`{}` can be null but is always written",
                        field.path
                    )));
                }
                Ok(var)
            }
            (TargetValue::Object(fields), TargetKind::Object(node)) => {
                let mut values: HashMap<&str, Ident> = HashMap::new();
                for sub in fields {
                    let slot = node.slot(&sub.name).ok_or_else(|| {
                        self.error(format!("`{}` has no place in its struct", sub.path))
                    })?;
                    let v = self.field(sub, &slot.kind, stmts)?;
                    values.insert(&sub.name, v);
                }
                let value = struct_literal(node, &values);
                let var = self.var(&names::snake(&field.name));
                stmts.extend(quote!(let #var = #value;));
                Ok(var)
            }
            (
                TargetValue::Array {
                    source,
                    level,
                    body,
                    required,
                },
                TargetKind::Array(node),
            ) => {
                let out = self.array(field, source, *level, body, node, stmts)?;
                if *required {
                    let at = &self.at;
                    let (t, s) = (lit_str(&field.path), lit_str(&source.display));
                    stmts.extend(quote! {
                        if #out.is_empty() {
                            return Err(#at.fail(#t, #s, ::duijie_maplib::error::required_target_empty()));
                        }
                    });
                }
                Ok(out)
            }
            (TargetValue::List(blocks), TargetKind::Array(node)) => {
                self.list(field, blocks, node, stmts)
            }
            (TargetValue::List(blocks), TargetKind::Fixed(node, n)) if blocks.len() == *n => {
                self.fixed_list(field, blocks, node, stmts)
            }
            _ => Err(self.error(format!("`{}` does not fit its struct", field.path))),
        }
    }

    /// How a value of base type `base` becomes the target scalar `ty`
    /// (`value` in scope): `None` when it is held as it is.
    fn write_conversion(
        &self,
        ty: &TargetScalar,
        base: Base,
        fail: &TokenStream,
    ) -> Result<Option<TokenStream>, CodegenError> {
        let m = quote!(::duijie_maplib);
        Ok(match (ty, base) {
            (TargetScalar::Str, Base::Str)
            | (TargetScalar::Dec, Base::Dec)
            | (TargetScalar::Int, Base::Int)
            | (TargetScalar::Bool, Base::Bool)
            | (TargetScalar::List, Base::List) => None,
            (_, Base::Null) => None,
            (TargetScalar::Dec, Base::Int) => Some(quote!(#m::dec::int_to_dec(value))),
            (TargetScalar::DateTime { format }, Base::DateTime) => {
                let format = lit_str(format);
                Some(
                    quote!(target_zone().and_then(|zone| #m::time::datetime_text(&value, #format, Some(zone))) #fail),
                )
            }
            (TargetScalar::Date { format }, Base::Date) => {
                let format = lit_str(format);
                Some(quote!(#m::time::date_text(value, #format) #fail))
            }
            (ty, base) => {
                return Err(self.error(format!("a {} value written as {ty:?}", base.name())));
            }
        })
    }

    /// `TARGET[] <- SOURCE < … >`.
    fn array(
        &mut self,
        field: &TargetField,
        source: &FieldRef,
        level: usize,
        body: &Block,
        node: &TargetNode,
        stmts: &mut TokenStream,
    ) -> Result<Ident, CodegenError> {
        let from = self.levels.get(source.level).ok_or_else(|| {
            self.error(format!(
                "`{}` is read from a level not entered",
                source.display
            ))
        })?;
        let (last, parents) = source
            .path
            .split_last()
            .ok_or_else(|| self.error(format!("`{}` has an empty path", field.path)))?;
        let (holder, holder_node) = if parents.is_empty() {
            (from.var.clone(), from.node)
        } else {
            let (_, var, node) = from
                .objects
                .iter()
                .find(|(p, _, _)| p.as_slice() == parents)
                .ok_or_else(|| {
                    self.error(format!("`{}` is not in the scheme's reads", source.display))
                })?;
            (var.clone(), *node)
        };
        let slot = holder_node.slot(last).ok_or_else(|| {
            self.error(format!("`{}` is not in the scheme's reads", source.display))
        })?;
        let SlotKind::Array(element) = &slot.kind else {
            return Err(self.error(format!("`{}` is not read as an array", source.display)));
        };
        if level != self.levels.len() {
            return Err(self.error(format!(
                "`{}` makes level {level} inside level {}",
                field.path,
                self.levels.len() - 1
            )));
        }
        let array_field = &slot.ident;
        let base = names::snake(last);
        let out = self.var(&names::snake(&field.name));
        let elements = self.var(&base);
        let source_index = self.var(&format!("{base}_index"));
        let target_index = self.var(&format!("{out}_index"));
        let item = self.var(&format!("{base}_item"));
        let element_at = self.var(&format!("{base}_at"));
        let fail = self.fail(&field.path, &source.display);
        stmts.extend(quote! {
            let #elements = #holder.#array_field.get() #fail;
            let mut #out = Vec::with_capacity(#elements.count());
        });
        let outer_at = std::mem::replace(&mut self.at, element_at);
        self.target_indexes.push(quote!(#target_index));
        self.source_indexes.push(source_index.clone());
        let element_target = element_template(&field.path);
        let element_source = format!("{}[]", source.display);
        let fail = self.fail(&element_target, &element_source);
        let mut inner = quote!(let #item = #elements.item(#source_index) #fail;);
        self.enter_level(item, element, &element_source, &element_target, &mut inner);
        let value = self.block(
            body,
            node,
            &SkipAction::Continue,
            &element_target,
            &mut inner,
        );
        let at = self.at_binding(&inner);
        self.levels.pop();
        self.target_indexes.pop();
        self.source_indexes.pop();
        self.at = outer_at;
        let value = value?;
        stmts.extend(quote! {
            for #source_index in 0..#elements.count() {
                let #target_index = #out.len();
                #at
                #inner
                #out.push(#value);
            }
        });
        Ok(out)
    }

    /// `TARGET[] = [< … >, …]`: literal elements at the current level.
    fn list(
        &mut self,
        field: &TargetField,
        blocks: &[Block],
        node: &TargetNode,
        stmts: &mut TokenStream,
    ) -> Result<Ident, CodegenError> {
        let out = self.var(&names::snake(&field.name));
        let capacity = Literal::usize_unsuffixed(blocks.len());
        stmts.extend(quote!(let mut #out = Vec::with_capacity(#capacity);));
        let element_target = element_template(&field.path);
        for block in blocks {
            let target_index = self.var(&format!("{out}_index"));
            let element_at = self.var(&format!("{out}_at"));
            let outer_at = std::mem::replace(&mut self.at, element_at);
            self.target_indexes.push(quote!(#target_index));
            let has_skip = super::target::has_skip(block);
            let label = has_skip.then(|| {
                self.labels += 1;
                let label = syn::Lifetime::new(
                    &format!("'{out}_{}", self.labels),
                    proc_macro2::Span::call_site(),
                );
                quote!(#label)
            });
            let skip = match &label {
                Some(l) => SkipAction::Break(l.clone()),
                None => SkipAction::Continue,
            };
            let mut inner = TokenStream::new();
            let value = self.block(block, node, &skip, &element_target, &mut inner);
            let at = self.at_binding(&inner);
            self.target_indexes.pop();
            self.at = outer_at;
            let value = value?;
            let body = quote! {
                let #target_index = #out.len();
                #at
                #inner
                #out.push(#value);
            };
            let uses_index = {
                let mut used = std::collections::BTreeSet::new();
                super::collect_idents(&quote!(#at #inner), &mut used);
                used.contains(&target_index.to_string())
            };
            let body = if uses_index {
                body
            } else {
                quote! {
                    #inner
                    #out.push(#value);
                }
            };
            match label {
                Some(l) => stmts.extend(quote!(#l: { #body })),
                None => stmts.extend(quote!({ #body })),
            }
        }
        Ok(out)
    }

    /// `TARGET[] = [< … >, …]` whose elements are never skipped: a Rust
    /// array of the elements' values, each computed in its own block, with
    /// its index a constant.
    fn fixed_list(
        &mut self,
        field: &TargetField,
        blocks: &[Block],
        node: &TargetNode,
        stmts: &mut TokenStream,
    ) -> Result<Ident, CodegenError> {
        let out = self.var(&names::snake(&field.name));
        let element_target = element_template(&field.path);
        let mut elements = Vec::new();
        for (index, block) in blocks.iter().enumerate() {
            if super::target::has_skip(block) {
                return Err(self.error(format!(
                    "`{}` has an element that can be skipped in a fixed array",
                    field.path
                )));
            }
            let element_at = self.var(&format!("{out}_at"));
            let outer_at = std::mem::replace(&mut self.at, element_at);
            let index = Literal::usize_unsuffixed(index);
            self.target_indexes.push(quote!(#index));
            let mut inner = TokenStream::new();
            let value = self.block(
                block,
                node,
                &SkipAction::Continue,
                &element_target,
                &mut inner,
            );
            let at = self.at_binding(&inner);
            self.target_indexes.pop();
            self.at = outer_at;
            let value = value?;
            elements.push(if inner.is_empty() {
                value
            } else {
                quote!({
                    #at
                    #inner
                    #value
                })
            });
        }
        stmts.extend(quote!(let #out = [#(#elements),*];));
        Ok(out)
    }
}

/// The path template of one element of a target array (`FEntity[]`).
fn element_template(array_path: &str) -> String {
    if array_path.ends_with("[]") {
        array_path.to_string()
    } else {
        format!("{array_path}[]")
    }
}

/// `Struct { field, other: var, missing: None }` from the fields' variables.
fn struct_literal(node: &TargetNode, values: &HashMap<&str, Ident>) -> TokenStream {
    let ty = &node.ty;
    let inits = node.fields.iter().map(|slot| {
        let ident = &slot.ident;
        match values.get(slot.key.as_str()) {
            Some(var) if *var == *ident => quote!(#ident),
            Some(var) => quote!(#ident: #var),
            None => quote!(#ident: None),
        }
    });
    quote!(#ty { #(#inits),* })
}

/// The function name of each table, by index.
fn table_names(scheme: &Scheme) -> Vec<Ident> {
    let mut scope = Scope::with_reserved(&["transform", "fail", "source_zone", "target_zone"]);
    scheme
        .tables
        .iter()
        .map(|t| names::ident(&scope.claim(&format!("table_{}", names::snake(&t.name)))))
        .collect()
}

/// One function per lookup table: the value of a key, the default on a
/// miss, or an error when the table has no default.
pub fn tables(scheme: &Scheme) -> Result<TokenStream, CodegenError> {
    let error = |message: String| CodegenError {
        scheme: scheme.meta.name.clone(),
        message,
    };
    let fns = table_names(scheme);
    let mut out = TokenStream::new();
    for (table, name) in scheme.tables.iter().zip(&fns) {
        let key_ty = match table.key {
            Base::Str => quote!(&str),
            other => rust_type(other),
        };
        let value_null = table.entries.iter().any(|(_, v)| *v == Const::Null)
            || table.default.as_ref() == Some(&Const::Null);
        let value_ty = match table.value {
            Base::Str => quote!(Cow<'static, str>),
            other => rust_type(other),
        };
        let value_ty = if value_null {
            quote!(Option<#value_ty>)
        } else {
            value_ty
        };
        let value = |c: &Const| -> Result<TokenStream, CodegenError> {
            let v = constant(c).map_err(&error)?;
            Ok(if value_null && *c != Const::Null {
                quote!(Some(#v))
            } else {
                v
            })
        };
        let miss = match &table.default {
            Some(d) => value(d)?,
            None => {
                let tname = lit_str(&table.name);
                let key = format_ident!("key");
                // A text key is already a `&str` here.
                let shown = match table.key {
                    Base::Str => quote!(&::duijie_maplib::error::show_str(#key)),
                    other => show(other, &key),
                };
                quote!(return Err(::duijie_maplib::error::table_miss(#tname, #shown)))
            }
        };
        let pattern_keys = matches!(table.key, Base::Str | Base::Int | Base::Bool);
        let mut arms = Vec::new();
        for (k, v) in &table.entries {
            if *k == Const::Null {
                continue;
            }
            let v = value(v)?;
            if pattern_keys {
                let pat = pattern(k).map_err(|_| {
                    error(format!(
                        "table `{}` has a key {k:?} of another type",
                        table.name
                    ))
                })?;
                arms.push(quote!(#pat => #v,));
            } else {
                let k = constant(k).map_err(&error)?;
                arms.push(quote!(if key == #k { #v }));
            }
        }
        let body = if pattern_keys {
            quote!(match key {
                #(#arms)*
                _ => #miss,
            })
        } else {
            quote!(#(#arms else)* { #miss })
        };
        let doc = format!(" The table `{}`.", table.name);
        out.extend(if table.default.is_some() {
            quote! {
                #[doc = #doc]
                fn #name(key: #key_ty) -> #value_ty {
                    #body
                }
            }
        } else {
            quote! {
                #[doc = #doc]
                fn #name(key: #key_ty) -> Result<#value_ty, ValueError> {
                    Ok(#body)
                }
            }
        });
    }
    Ok(out)
}

/// `tokens` with the identifier `name` replaced by `by`.
fn replace_ident(tokens: &TokenStream, name: &str, by: &Ident) -> TokenStream {
    let mut out = TokenStream::new();
    for t in tokens.clone() {
        match t {
            proc_macro2::TokenTree::Ident(i) if i == name => {
                out.extend([proc_macro2::TokenTree::Ident(by.clone())]);
            }
            proc_macro2::TokenTree::Group(g) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), replace_ident(&g.stream(), name, by));
                group.set_span(g.span());
                out.extend([proc_macro2::TokenTree::Group(group)]);
            }
            other => out.extend([other]),
        }
    }
    out
}
