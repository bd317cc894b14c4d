//! Values as Rust expressions that rebuild them: the scheme metadata
//! (`META` of each scheme module) and the whole checked model (for
//! `duijie map --interpret`, which runs the interpreter on the very model the
//! code was generated from).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::lit_str;
use crate::model::*;
use duijie_maplib::{ParamValue, SchemeMeta};

fn string(s: &str) -> TokenStream {
    let s = lit_str(s);
    quote!(::std::string::String::from(#s))
}

fn opt_string(s: &Option<String>) -> TokenStream {
    match s {
        Some(s) => {
            let s = string(s);
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn vec(items: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let items = items.into_iter();
    quote!(::std::vec![#(#items),*])
}

fn json(value: &serde_json::Value) -> TokenStream {
    let v = quote!(::duijie_maplib::serde_json::Value);
    match value {
        serde_json::Value::Null => quote!(#v::Null),
        serde_json::Value::Bool(b) => quote!(#v::Bool(#b)),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let i = Literal::i64_suffixed(i);
                quote!(#v::from(#i))
            } else if let Some(u) = n.as_u64() {
                let u = Literal::u64_suffixed(u);
                quote!(#v::from(#u))
            } else {
                let text = lit_str(&n.to_string());
                quote!(<::duijie_maplib::serde_json::Number as ::core::str::FromStr>::from_str(#text)
                    .map(#v::Number)
                    .unwrap_or(#v::Null))
            }
        }
        serde_json::Value::String(s) => {
            let s = string(s);
            quote!(#v::String(#s))
        }
        serde_json::Value::Array(items) => {
            let items = vec(items.iter().map(json));
            quote!(#v::Array(#items))
        }
        serde_json::Value::Object(map) => {
            let entries = map.iter().map(|(k, val)| {
                let k = string(k);
                let val = json(val);
                quote!((#k, #val))
            });
            quote!(#v::Object(::core::iter::FromIterator::from_iter([#(#entries),*])))
        }
    }
}

/// A [`SchemeMeta`] value.
pub fn meta(meta: &SchemeMeta) -> TokenStream {
    let m = quote!(::duijie_maplib);
    let name = string(&meta.name);
    let title = opt_string(&meta.title);
    let file = string(&meta.file);
    let s = &meta.source;
    let system = string(&s.system);
    let api = string(&s.api);
    let list_key = string(&s.list_key);
    let params = vec(s.params.iter().map(|p| {
        let name = string(&p.name);
        let value = match &p.value {
            ParamValue::Const(c) => {
                let c = string(c);
                quote!(#m::ParamValue::Const(#c))
            }
            ParamValue::LastSyncTime => quote!(#m::ParamValue::LastSyncTime),
            ParamValue::CurrentTime => quote!(#m::ParamValue::CurrentTime),
            ParamValue::DaysAgo(n) => quote!(#m::ParamValue::DaysAgo(#n)),
            ParamValue::PageSize => quote!(#m::ParamValue::PageSize),
            ParamValue::PageNo => quote!(#m::ParamValue::PageNo),
        };
        quote!(#m::ParamMeta { name: #name, value: #value })
    }));
    let page_no = string(&s.page_no_param);
    let page_size = string(&s.page_size_param);
    let (first, default_size, max_size) = (s.first_page, s.default_page_size, s.max_page_size);
    let window = match &s.window {
        Some(w) => {
            let start = string(&w.start_param);
            let end = string(&w.end_param);
            let format = string(&w.format);
            let (max_secs, offset) = (w.max_secs, w.utc_offset_secs);
            quote!(::core::option::Option::Some(#m::WindowMeta {
                start_param: #start,
                end_param: #end,
                max_secs: #max_secs,
                format: #format,
                utc_offset_secs: #offset,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let t = &meta.target;
    let t_system = string(&t.system);
    let operation = string(&t.operation);
    let form_id = string(&t.form_id);
    let options = vec(t.options.iter().map(|(k, v)| {
        let k = string(k);
        let v = json(v);
        quote!((#k, #v))
    }));
    let id_field = string(&meta.id_field);
    let number_field = string(&meta.number_field);
    let number_target = opt_string(&meta.number_target);
    let lookups = vec(meta.lookups.iter().map(lookup_meta));
    quote! {
        #m::SchemeMeta {
            name: #name,
            title: #title,
            file: #file,
            source: #m::SourceMeta {
                system: #system,
                api: #api,
                list_key: #list_key,
                params: #params,
                page_no_param: #page_no,
                page_size_param: #page_size,
                first_page: #first,
                default_page_size: #default_size,
                max_page_size: #max_size,
                window: #window,
            },
            target: #m::TargetMeta {
                system: #t_system,
                operation: #operation,
                form_id: #form_id,
                options: #options,
            },
            id_field: #id_field,
            number_field: #number_field,
            number_target: #number_target,
            lookups: #lookups,
        }
    }
}

/// A [`duijie_maplib::LookupMeta`] value.
fn lookup_meta(l: &duijie_maplib::LookupMeta) -> TokenStream {
    let (name, system, form, label) = (
        string(&l.name),
        string(&l.system),
        string(&l.form),
        string(&l.label),
    );
    let (by, id_field, modify_field) =
        (string(&l.by), string(&l.id_field), string(&l.modify_field));
    let fields = vec(l.fields.iter().map(|f| string(f)));
    quote!(::duijie_maplib::LookupMeta {
        name: #name,
        system: #system,
        form: #form,
        label: #label,
        by: #by,
        fields: #fields,
        id_field: #id_field,
        modify_field: #modify_field,
    })
}

/// A checked [`crate::model::Lookup`] value.
fn lookup(l: &crate::model::Lookup) -> TokenStream {
    let ty = path("Lookup");
    let field_ty = path("LookupField");
    let meta = lookup_meta(&l.meta);
    let key = base(l.key);
    let fields = vec(l.fields.iter().map(|f| {
        let name = string(&f.name);
        let t = base(f.ty);
        let required = f.required;
        quote!(#field_ty { name: #name, ty: #t, required: #required })
    }));
    quote!(#ty { meta: #meta, key: #key, fields: #fields })
}

const M: &str = "::duijie_compiler::model";

fn path(name: &str) -> TokenStream {
    let p: TokenStream = format!("{M}::{name}").parse().unwrap_or_default();
    p
}

/// A whole checked [`Scheme`] value.
pub fn scheme(s: &Scheme) -> TokenStream {
    let ty = path("Scheme");
    let meta = meta(&s.meta);
    let source_time = time(&s.source_time);
    let target_time = time(&s.target_time);
    let reads = shape(&s.reads);
    let tables = vec(s.tables.iter().map(table));
    let lookups = vec(s.lookups.iter().map(lookup));
    let body = block(&s.body);
    quote!(#ty {
        meta: #meta,
        source_time: #source_time,
        target_time: #target_time,
        reads: #reads,
        tables: #tables,
        lookups: #lookups,
        body: #body,
    })
}

fn time(t: &TimeFormat) -> TokenStream {
    let ty = path("TimeFormat");
    let secs = t.utc_offset_secs;
    let dt = string(&t.datetime_format);
    let d = string(&t.date_format);
    quote!(#ty { utc_offset_secs: #secs, datetime_format: #dt, date_format: #d })
}

fn shape(s: &Shape) -> TokenStream {
    let ty = path("Shape");
    let kind = path("ShapeKind");
    let field_ty = path("ShapeField");
    let fields = vec(s.fields.iter().map(|f| {
        let name = string(&f.name);
        let k = match &f.kind {
            ShapeKind::Scalar(sc) => {
                let sc = source_scalar(sc);
                quote!(#kind::Scalar(#sc))
            }
            ShapeKind::Object(inner) => {
                let inner = shape(inner);
                quote!(#kind::Object(#inner))
            }
            ShapeKind::Array(inner) => {
                let inner = shape(inner);
                quote!(#kind::Array(#inner))
            }
        };
        quote!(#field_ty { name: #name, kind: #k })
    }));
    quote!(#ty { fields: #fields })
}

fn source_scalar(s: &SourceScalar) -> TokenStream {
    let ty = path("SourceScalar");
    let base = base(s.ty);
    let required = s.required;
    let format = opt_string(&s.format);
    quote!(#ty { ty: #base, required: #required, format: #format })
}

fn base(b: Base) -> TokenStream {
    path(&format!("Base::{b:?}"))
}

fn ty(t: Ty) -> TokenStream {
    let ty = path("Ty");
    let base = base(t.base);
    let nullable = t.nullable;
    quote!(#ty { base: #base, nullable: #nullable })
}

fn constant(c: &Const) -> TokenStream {
    let ty = path("Const");
    match c {
        Const::Null => quote!(#ty::Null),
        Const::Str(s) => {
            let s = string(s);
            quote!(#ty::Str(#s))
        }
        Const::Dec(s) => {
            let s = string(s);
            quote!(#ty::Dec(#s))
        }
        Const::Int(i) => {
            let i = Literal::i64_suffixed(*i);
            quote!(#ty::Int(#i))
        }
        Const::Bool(b) => quote!(#ty::Bool(#b)),
    }
}

fn table(t: &Table) -> TokenStream {
    let ty = path("Table");
    let name = string(&t.name);
    let key = base(t.key);
    let value = base(t.value);
    let entries = vec(t.entries.iter().map(|(k, v)| {
        let (k, v) = (constant(k), constant(v));
        quote!((#k, #v))
    }));
    let default = match &t.default {
        Some(c) => {
            let c = constant(c);
            quote!(::core::option::Option::Some(#c))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(#ty { name: #name, key: #key, value: #value, entries: #entries, default: #default })
}

fn block(b: &Block) -> TokenStream {
    let ty = path("Block");
    let prelude_ty = path("Prelude");
    let prelude = vec(b.prelude.iter().map(|p| match p {
        Prelude::Let {
            local,
            name,
            expr: e,
        } => {
            let local = Literal::usize_suffixed(*local);
            let name = string(name);
            let e = expr(e);
            quote!(#prelude_ty::Let { local: #local, name: #name, expr: #e })
        }
        Prelude::Skip { cond, unless, text } => {
            let cond = expr(cond);
            let text = string(text);
            quote!(#prelude_ty::Skip { cond: #cond, unless: #unless, text: #text })
        }
    }));
    let fields = vec(b.fields.iter().map(target_field));
    quote!(#ty { prelude: #prelude, fields: #fields })
}

fn target_field(f: &TargetField) -> TokenStream {
    let ty = path("TargetField");
    let tv = path("TargetValue");
    let name = string(&f.name);
    let p = string(&f.path);
    let value = match &f.value {
        TargetValue::Scalar {
            expr: e,
            ty: scalar,
            required,
            sources,
        } => {
            let e = expr(e);
            let scalar = target_scalar(scalar);
            let sources = string(sources);
            quote!(#tv::Scalar { expr: #e, ty: #scalar, required: #required, sources: #sources })
        }
        TargetValue::Object(fields) => {
            let fields = vec(fields.iter().map(target_field));
            quote!(#tv::Object(#fields))
        }
        TargetValue::Array {
            source,
            level,
            body,
            required,
        } => {
            let source = field_ref(source);
            let level = Literal::usize_suffixed(*level);
            let body = block(body);
            quote!(#tv::Array { source: #source, level: #level, body: #body, required: #required })
        }
        TargetValue::List(blocks) => {
            let blocks = vec(blocks.iter().map(block));
            quote!(#tv::List(#blocks))
        }
    };
    quote!(#ty { name: #name, path: #p, value: #value })
}

fn target_scalar(t: &TargetScalar) -> TokenStream {
    let ty = path("TargetScalar");
    match t {
        TargetScalar::Str => quote!(#ty::Str),
        TargetScalar::Dec => quote!(#ty::Dec),
        TargetScalar::Int => quote!(#ty::Int),
        TargetScalar::Bool => quote!(#ty::Bool),
        TargetScalar::List => quote!(#ty::List),
        TargetScalar::DateTime { format } => {
            let format = string(format);
            quote!(#ty::DateTime { format: #format })
        }
        TargetScalar::Date { format } => {
            let format = string(format);
            quote!(#ty::Date { format: #format })
        }
    }
}

fn field_ref(f: &FieldRef) -> TokenStream {
    let ty = path("FieldRef");
    let level = Literal::usize_suffixed(f.level);
    let p = vec(f.path.iter().map(|s| string(s)));
    let display = string(&f.display);
    quote!(#ty { level: #level, path: #p, display: #display })
}

fn expr(e: &Expr) -> TokenStream {
    let ty_path = path("Expr");
    let k = path("ExprKind");
    let t = ty(e.ty);
    let boxed = |e: &Expr| {
        let e = expr(e);
        quote!(::std::boxed::Box::new(#e))
    };
    let kind = match &e.kind {
        ExprKind::Const(c) => {
            let c = constant(c);
            quote!(#k::Const(#c))
        }
        ExprKind::Field { field, scalar } => {
            let field = field_ref(field);
            let scalar = source_scalar(scalar);
            quote!(#k::Field { field: #field, scalar: #scalar })
        }
        ExprKind::Local(slot) => {
            let slot = Literal::usize_suffixed(*slot);
            quote!(#k::Local(#slot))
        }
        ExprKind::Call { func, args } => {
            let func = path(&format!("Builtin::{func:?}"));
            let args = vec(args.iter().map(expr));
            quote!(#k::Call { func: #func, args: #args })
        }
        ExprKind::Lookup { table, key } => {
            let table = Literal::usize_suffixed(*table);
            let key = boxed(key);
            quote!(#k::Lookup { table: #table, key: #key })
        }
        ExprKind::BaseData {
            lookup,
            key,
            field,
            on_miss,
        } => {
            let lookup = Literal::usize_suffixed(*lookup);
            let key = boxed(key);
            let field = Literal::usize_suffixed(*field);
            let on_miss = path(&format!("OnMiss::{on_miss:?}"));
            quote!(#k::BaseData { lookup: #lookup, key: #key, field: #field, on_miss: #on_miss })
        }
        ExprKind::Neg(a) => {
            let a = boxed(a);
            quote!(#k::Neg(#a))
        }
        ExprKind::Not(a) => {
            let a = boxed(a);
            quote!(#k::Not(#a))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let op = path(&format!("Op::{op:?}"));
            let (lhs, rhs) = (boxed(lhs), boxed(rhs));
            quote!(#k::Binary { op: #op, lhs: #lhs, rhs: #rhs })
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            let (c, t, o) = (boxed(cond), boxed(then), boxed(otherwise));
            quote!(#k::If { cond: #c, then: #t, otherwise: #o })
        }
        ExprKind::Match {
            scrutinee,
            arms,
            default,
        } => {
            let s = boxed(scrutinee);
            let arms = vec(arms.iter().map(|(consts, e)| {
                let consts = vec(consts.iter().map(constant));
                let e = expr(e);
                quote!((#consts, #e))
            }));
            let default = match default {
                Some(d) => {
                    let d = boxed(d);
                    quote!(::core::option::Option::Some(#d))
                }
                None => quote!(::core::option::Option::None),
            };
            quote!(#k::Match { scrutinee: #s, arms: #arms, default: #default })
        }
        ExprKind::In { value, items } => {
            let value = boxed(value);
            let items = vec(items.iter().map(expr));
            quote!(#k::In { value: #value, items: #items })
        }
        ExprKind::List(items) => {
            let items = vec(items.iter().map(expr));
            quote!(#k::List(#items))
        }
    };
    quote!(#ty_path { kind: #kind, ty: #t })
}
