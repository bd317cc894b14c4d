//! The scheme header: one each of `scheme`, `source` (see [`super::source`]),
//! `target` (the system, operation, form and options), `id` and `number`;
//! and the scheme put together from the header and the checked body.

use std::collections::HashMap;

use duijie_dsl::ast::{self, Span};
use duijie_maplib::{SchemeMeta, TargetMeta};

use super::report::{suggest, suggest_field, Repeat};
use super::zone::parse_offset;
use super::{const_base, Checker, Level, TargetObject};
use crate::diag::{codes, Diagnostic};
use crate::model::{self, Const};
use crate::spec::{ApiSpec, FieldType, FormSpec, OperationSpec};

/// Header items of a scheme file.
#[derive(Default)]
pub(super) struct Header<'a> {
    pub(super) scheme: Vec<&'a ast::SchemeDecl>,
    source: Vec<&'a ast::SourceDecl>,
    target: Vec<&'a ast::TargetDecl>,
    id: Vec<&'a ast::KeyDecl>,
    number: Vec<&'a ast::KeyDecl>,
}

impl<'a> Header<'a> {
    /// The header items of a file, and its statements.
    pub(super) fn of(file: &'a ast::File) -> (Header<'a>, Vec<&'a ast::Stmt>) {
        let mut header = Header::default();
        let mut stmts = Vec::new();
        for item in &file.items {
            match item {
                ast::Item::Scheme(s) => header.scheme.push(s),
                ast::Item::Source(s) => header.source.push(s),
                ast::Item::Target(t) => header.target.push(t),
                ast::Item::Key(k) => match k.kind {
                    ast::KeyKind::Id => header.id.push(k),
                    ast::KeyKind::Number => header.number.push(k),
                },
                ast::Item::Stmt(s) => stmts.push(s),
                ast::Item::Include(_)
                | ast::Item::Table(_)
                | ast::Item::Lookup(_)
                | ast::Item::Def(_) => {}
            }
        }
        (header, stmts)
    }

    /// How many header items other than `scheme` there are.
    pub(super) fn items(&self) -> usize {
        self.source.len() + self.target.len() + self.id.len() + self.number.len()
    }
}

impl<'s> Checker<'s, '_> {
    /// Reports scheme items in a file without a `scheme` header.
    pub(super) fn missing_scheme_header(&mut self, file: &ast::File) {
        let first = first_scheme_item(file).unwrap_or(file.span);
        self.error(
            codes::MISSING_HEADER,
            Span::new(first.start, first.start),
            "this file has scheme items but no `scheme` header",
        )
        .help("start the file with `scheme NAME \"title\"`; a file of shared tables and definitions holds nothing else");
    }

    pub(super) fn check_scheme(
        &mut self,
        header: &Header<'_>,
        stmts: &[&ast::Stmt],
    ) -> Option<model::Scheme> {
        let scheme_decl = *header.scheme.first()?;
        self.check_header_counts(header, scheme_decl.span);
        let source = header
            .source
            .first()
            .and_then(|s| self.check_source_decl(s));
        let target = header
            .target
            .first()
            .and_then(|t| self.check_target_decl(t));

        // Without a source spec nothing else can be resolved.
        let api = self.source_api?;
        let (id_field, number_field, body) = self.check_record(header, stmts, api);

        let form = self.form?;
        let lookups = self.take_used_lookups();
        let meta = SchemeMeta {
            name: scheme_decl.name.name.clone(),
            title: scheme_decl.title.as_ref().map(|t| t.value.clone()),
            file: self.files.name(self.main).to_string(),
            source: source?,
            target: target?,
            id_field: id_field?,
            number_field: number_field?,
            number_target: form.number_field.clone(),
            lookups: lookups.iter().map(|l| l.meta.clone()).collect(),
        };
        Some(model::Scheme {
            meta,
            source_time: time_format(&api.zone, &api.datetime_format),
            target_time: time_format(&form.zone, &form.datetime_format),
            reads: std::mem::take(&mut self.reads),
            tables: self.take_used_tables(),
            lookups,
            body,
        })
    }

    /// Exactly one of each header item.
    fn check_header_counts(&mut self, header: &Header<'_>, anchor: Span) {
        for (items, what, help) in [
            (header.source.iter().map(|s| s.span).collect::<Vec<_>>(), "source", "add `source SYSTEM.API { … }`, e.g. `source wdt.purchase_order_query { … }`"),
            (header.target.iter().map(|s| s.span).collect(), "target", "add `target SYSTEM.OPERATION FORM { … }`, e.g. `target kingdee.BatchSave PUR_PurchaseOrder`"),
            (header.id.iter().map(|s| s.span).collect(), "id", "add `id FIELD`: the source field that identifies a record"),
            (header.number.iter().map(|s| s.span).collect(), "number", "add `number FIELD`: the source field holding the business number"),
            (header.scheme.iter().map(|s| s.span).collect(), "scheme", ""),
        ] {
            let Some(&first) = items.first() else {
                self.error(codes::MISSING_HEADER, anchor, format!("the scheme has no `{what}`"))
                    .label("in this scheme")
                    .help(help);
                continue;
            };
            for extra in items.iter().skip(1) {
                let file = self.file;
                self.set_twice(
                    codes::DUPLICATE_HEADER,
                    *extra,
                    format!("`{what}` is given twice"),
                    Repeat::Given,
                    (file, first),
                )
                .help(format!(
                    "a scheme has one `{what}`: keep the one you mean and remove the other"
                ));
            }
        }
    }

    /// Checks what reads the record, in the order it is read: the `id` and
    /// `number` keys, then the statements of the bill.
    fn check_record(
        &mut self,
        header: &Header<'_>,
        stmts: &[&ast::Stmt],
        api: &'s ApiSpec,
    ) -> (Option<String>, Option<String>, model::Block) {
        self.levels.push(Level {
            fields: &api.response,
            qualifier: "record".into(),
            display: String::new(),
            shape_path: Vec::new(),
            locals: Vec::new(),
        });
        let id_field = header.id.first().and_then(|k| self.key_field(k));
        let number_field = header.number.first().and_then(|k| self.key_field(k));

        let form = self.form;
        let mut bill = TargetObject::new(
            form.map(|f| f.fields.as_slice()).unwrap_or(&[]),
            String::new(),
        );
        let body = self.check_block_stmts(stmts.iter().copied(), &mut bill, form.is_some());
        if let (Some(form), Some(t)) = (form, header.target.first()) {
            self.require_fields(
                form.fields.as_slice(),
                &bill,
                "",
                t.form.span,
                &format!("the form {}", form.form),
            );
        }
        self.warn_unused_locals();
        self.levels.pop();
        if let (Some(number), Some(key), Some(target)) = (
            &number_field,
            header.number.first(),
            form.and_then(|f| f.number_field.as_deref()),
        ) {
            // Said of a scheme that otherwise checks: next to errors it
            // is noise.
            let clean = !self.diags.iter().any(|d| d.is_error());
            if clean && !body.fields.iter().any(|f| f.name == target) {
                self.number_not_written(number, key, target);
            }
        }
        (id_field, number_field, body)
    }

    /// Warns that the bill number is never written to the form's number
    /// field: duijie finds a bill it already wrote by that number, before
    /// it sends it again.
    fn number_not_written(&mut self, number: &str, key: &ast::KeyDecl, target: &str) {
        let mut d = Diagnostic::warning(
            codes::NUMBER_NOT_WRITTEN,
            self.file,
            key.span,
            format!("the number `{number}` is not written to the form's number field `{target}`"),
        );
        d.label("the bill's number")
            .help(format!(
                "assign it: `{target} = {number}`; without it a bill cannot be found by its number before it is sent again"
            ));
        self.push(d);
    }

    /// Resolves an `id` / `number` key to a dotted path of a scalar field of
    /// the record, and makes sure the mapping reads it.
    fn key_field(&mut self, k: &ast::KeyDecl) -> Option<String> {
        let segments: Vec<&ast::Ident> = match k.path.segments.first() {
            Some(first) if first.name == "record" && k.path.segments.len() > 1 => {
                k.path.segments[1..].iter().collect()
            }
            _ => k.path.segments.iter().collect(),
        };
        let r = self.resolve_in_level(0, &segments)?;
        Some(r.field_ref.path.join("."))
    }

    /// `target SYSTEM.OPERATION FORM { options }`; sets the form the body
    /// assigns into.
    fn check_target_decl(&mut self, t: &ast::TargetDecl) -> Option<TargetMeta> {
        let system = t.system.name.as_str();
        if !self.is_target_system(&t.system) {
            return None;
        }
        let op = self.target_operation(t, system);
        let form = self.target_form(t, system);
        self.form = form;
        let op = op?;
        let options = self.target_options(&t.options, op);
        let form = form?;
        Some(TargetMeta {
            system: system.to_string(),
            operation: op.operation.clone(),
            form_id: form.form.clone(),
            options,
        })
    }

    /// Whether `system` has target specs; reports it when not.
    fn is_target_system(&mut self, system: &ast::Ident) -> bool {
        let name = system.name.as_str();
        if self.specs.systems().contains(&name) && self.specs.forms().any(|f| f.system == name) {
            return true;
        }
        let known: Vec<&str> = self
            .specs
            .forms()
            .map(|f| f.system.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let help = suggest(name, known.iter().copied(), || {
            format!("target systems: {}", known.join(", "))
        });
        self.unknown(
            codes::UNKNOWN_OPERATION,
            system.span,
            "target system",
            name,
            help,
        )
        .label("no target spec for this system");
        false
    }

    fn target_operation(&mut self, t: &ast::TargetDecl, system: &str) -> Option<&'s OperationSpec> {
        let op = self.specs.operation(system, &t.operation.name);
        if op.is_none() {
            let known: Vec<&str> = self
                .specs
                .operations()
                .filter(|o| o.system == system)
                .map(|o| o.operation.as_str())
                .collect();
            let help = suggest(&t.operation.name, known.iter().copied(), || {
                format!("operations of {system}: {}", known.join(", "))
            });
            self.unknown(
                codes::UNKNOWN_OPERATION,
                t.operation.span,
                "operation",
                &t.operation.name,
                help,
            )
            .label(format!("not an operation of {system}"));
        }
        op
    }

    fn target_form(&mut self, t: &ast::TargetDecl, system: &str) -> Option<&'s FormSpec> {
        let form = self.specs.form(system, &t.form.name);
        if form.is_none() {
            let known: Vec<&str> = self
                .specs
                .forms()
                .filter(|f| f.system == system)
                .map(|f| f.form.as_str())
                .collect();
            let help = suggest(&t.form.name, known.iter().copied(), || {
                format!("forms with a spec: {}", known.join(", "))
            });
            self.unknown(codes::UNKNOWN_FORM, t.form.span, "form", &t.form.name, help)
                .label("no spec in specs/ for this form");
        }
        form
    }

    /// The options of the target operation, each known and set once.
    fn target_options(
        &mut self,
        settings: &[ast::OptionSetting],
        op: &OperationSpec,
    ) -> Vec<(String, serde_json::Value)> {
        let mut options = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for o in settings {
            if !self.set_once(&mut seen, &o.name, "option") {
                continue;
            }
            let Some(spec_opt) = crate::spec::find(&op.options, &o.name.name) else {
                let help = suggest_field(&o.name.name, &op.options);
                self.unknown(
                    codes::UNKNOWN_OPTION,
                    o.name.span,
                    "option",
                    &o.name.name,
                    help,
                )
                .label(format!("not an option of {}", op.operation));
                continue;
            };
            if let Some(value) = self.option_value(o, spec_opt.ty) {
                options.push((o.name.name.clone(), value));
            }
        }
        options
    }

    /// An option's literal as the JSON value of its type.
    fn option_value(&mut self, o: &ast::OptionSetting, ty: FieldType) -> Option<serde_json::Value> {
        let c = self.literal(&o.value)?;
        Some(match (&c, ty) {
            (Const::Bool(b), FieldType::Bool) => serde_json::Value::Bool(*b),
            (Const::Int(i), FieldType::Integer) => serde_json::Value::from(*i),
            (Const::Str(s), FieldType::String) => serde_json::Value::String(s.clone()),
            (Const::Str(s), FieldType::List) => serde_json::Value::Array(
                s.split(',')
                    .map(|p| serde_json::Value::String(p.trim().to_string()))
                    .filter(|v| v != "")
                    .collect(),
            ),
            _ => {
                self.error(
                    codes::TYPE_MISMATCH,
                    o.value.span,
                    format!("the option `{}` takes a {}", o.name.name, ty.name()),
                )
                .label(format!("this is a {}", const_base(&c).name()))
                .help(match ty {
                    FieldType::Bool => "write `true` or `false`".to_string(),
                    FieldType::List => {
                        "write the field names in one string, separated by commas".to_string()
                    }
                    other => format!("write a {} literal", other.name()),
                });
                return None;
            }
        })
    }
}

fn first_scheme_item(file: &ast::File) -> Option<Span> {
    file.items.iter().find_map(|i| match i {
        ast::Item::Source(s) => Some(s.span),
        ast::Item::Target(t) => Some(t.span),
        ast::Item::Key(k) => Some(k.span),
        ast::Item::Stmt(s) => Some(s.span()),
        _ => None,
    })
}

fn time_format(zone: &str, datetime_format: &str) -> model::TimeFormat {
    model::TimeFormat {
        utc_offset_secs: parse_offset(zone).unwrap_or(8 * 3600),
        datetime_format: datetime_format.to_string(),
        date_format: "%Y-%m-%d".into(),
    }
}
