//! The `source SYSTEM.API { … }` header item: the API's spec, and its
//! request parameters, each bound to a constant or a sync variable
//! (`LAST_SYNC_TIME`, `CURRENT_TIME`, `DAYS_AGO(n)`, `PAGE_SIZE`, `PAGE_NO`).

use std::collections::HashMap;

use duijie_dsl::ast::{self, Span};
use duijie_maplib::{ParamMeta, ParamValue, SourceMeta, WindowMeta};

use super::report::{did_you_mean, suggest, suggest_field};
use super::zone::parse_offset;
use super::Checker;
use crate::diag::codes;
use crate::model::Const;
use crate::spec::{self, ApiSpec, Field, FieldType};

/// The sync variables a request parameter can be bound to.
pub const SYNC: &[&str] = &[
    "LAST_SYNC_TIME",
    "CURRENT_TIME",
    "DAYS_AGO",
    "PAGE_SIZE",
    "PAGE_NO",
];

impl<'s> Checker<'s, '_> {
    /// Checks the `source` item; sets the API the record comes from.
    pub(super) fn check_source_decl(&mut self, s: &ast::SourceDecl) -> Option<SourceMeta> {
        let api = self.source_spec(s)?;
        self.source_api = Some(api);
        let params = self.request_params(s, api);
        Some(source_meta(api, params))
    }

    /// The spec of the source API; reports an unknown one.
    fn source_spec(&mut self, s: &ast::SourceDecl) -> Option<&'s ApiSpec> {
        let system = s.system.name.as_str();
        let api_name = s.api_name();
        if let Some(api) = self.specs.api(system, &api_name) {
            return Some(api);
        }
        let known: Vec<String> = self
            .specs
            .apis()
            .map(|a| format!("{}.{}", a.system, a.api))
            .collect();
        let wanted = format!("{system}.{api_name}");
        let mut help = suggest(&wanted, known.iter().map(String::as_str), || {
            format!("known source APIs: {}", known.join(", "))
        });
        if !self.specs.systems().contains(&system) {
            help = format!(
                "`{system}` is not a known system ({}); {help}",
                self.specs.systems().join(", ")
            );
        }
        self.unknown(codes::UNKNOWN_API, s.name_span, "source API", &wanted, help)
            .label("no spec in specs/ for this API");
        None
    }

    /// The parameters the `source` block sets, each once; then the
    /// required ones it does not set are reported.
    fn request_params(&mut self, s: &ast::SourceDecl, api: &'s ApiSpec) -> Vec<ParamMeta> {
        let mut params = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for p in &s.params {
            if !self.set_once(&mut seen, &p.name, "parameter") {
                continue;
            }
            let Some(field) = self.request_field(p, api) else {
                continue;
            };
            if let Some(value) = self.param_value(p, field, api) {
                params.push(ParamMeta {
                    name: p.name.name.clone(),
                    value,
                });
            }
        }
        for field in &api.request {
            if field.required && field.supplied_by.is_none() && !seen.contains_key(&field.name) {
                self.error(
                    codes::MISSING_PARAM,
                    s.name_span,
                    format!(
                        "the required parameter `{}` ({}) is not set",
                        field.name, field.label
                    ),
                )
                .label(format!("{} requires it", api.api))
                .help(format!("add `{} = …` to the source block", field.name));
            }
        }
        params
    }

    /// The spec of a parameter the scheme may set.
    fn request_field(&mut self, p: &ast::Param, api: &'s ApiSpec) -> Option<&'s Field> {
        let Some(field) = spec::find(&api.request, &p.name.name) else {
            let help = suggest_field(&p.name.name, &api.request);
            self.unknown(
                codes::UNKNOWN_PARAM,
                p.name.span,
                "request parameter",
                &p.name.name,
                help,
            )
            .label(format!("not a parameter of {}.{}", api.system, api.api));
            return None;
        };
        if field.supplied_by.as_deref() == Some("connection") {
            self.error(
                codes::UNKNOWN_PARAM,
                p.name.span,
                format!("`{}` is supplied by the connection", p.name.name),
            )
            .label("set in duijie.toml, not in the scheme")
            .help("remove this line; the connector sends the connection's value");
            return None;
        }
        Some(field)
    }

    fn param_value(&mut self, p: &ast::Param, field: &Field, api: &ApiSpec) -> Option<ParamValue> {
        match &p.value {
            ast::ParamValue::Lit(lit) => self.const_param(lit),
            ast::ParamValue::Sync { name, args, span } => {
                let value = self.sync_variable(name, args, *span)?;
                self.bind_sync(p, field, api, name, value)
            }
        }
    }

    /// A constant parameter, as the text it is sent as.
    fn const_param(&mut self, lit: &ast::Literal) -> Option<ParamValue> {
        let text = match self.literal(lit)? {
            Const::Str(s) => s,
            Const::Dec(d) => d,
            Const::Int(i) => i.to_string(),
            Const::Bool(b) => b.to_string(),
            Const::Null => {
                self.error(
                    codes::TYPE_MISMATCH,
                    lit.span,
                    "a request parameter cannot be null",
                )
                .label("null")
                .help("leave the parameter out instead");
                return None;
            }
        };
        Some(ParamValue::Const(text))
    }

    /// The sync variable `name(args)`, its arguments checked.
    fn sync_variable(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Literal],
        span: Span,
    ) -> Option<ParamValue> {
        let value = match name.name.as_str() {
            "LAST_SYNC_TIME" => ParamValue::LastSyncTime,
            "CURRENT_TIME" => ParamValue::CurrentTime,
            "PAGE_SIZE" => ParamValue::PageSize,
            "PAGE_NO" => ParamValue::PageNo,
            "DAYS_AGO" => return self.days_ago(args, span).map(ParamValue::DaysAgo),
            other => {
                let help = match did_you_mean(other, SYNC.iter().copied()) {
                    Some(help) => {
                        format!("{help} (a constant is written in quotes: \"{other}\")")
                    }
                    None => format!(
                        "the sync variables are {}; a constant is written in quotes",
                        SYNC.join(", ")
                    ),
                };
                self.unknown(
                    codes::UNKNOWN_SYNC_VAR,
                    name.span,
                    "sync variable",
                    other,
                    help,
                )
                .label("not a sync variable");
                return None;
            }
        };
        if !args.is_empty() {
            self.error(
                codes::SYNC_VAR_ARGS,
                span,
                format!("`{}` takes no arguments", name.name),
            )
            .label("remove the parentheses")
            .help(format!("write `{}` alone", name.name));
            return None;
        }
        Some(value)
    }

    /// The whole number of days of `DAYS_AGO(n)`.
    fn days_ago(&mut self, args: &[ast::Literal], span: Span) -> Option<u32> {
        let n = match args {
            [ast::Literal {
                kind: ast::LitKind::Int(t),
                ..
            }] => t.parse::<u32>().ok(),
            _ => None,
        };
        if n.is_none() {
            self.error(
                codes::SYNC_VAR_ARGS,
                span,
                "`DAYS_AGO` takes one whole number of days",
            )
            .label("e.g. `DAYS_AGO(7)`")
            .help("write the number of days back, from 0");
        }
        n
    }

    /// Checks that a sync variable suits the parameter it is bound to.
    fn bind_sync(
        &mut self,
        p: &ast::Param,
        field: &Field,
        api: &ApiSpec,
        name: &ast::Ident,
        value: ParamValue,
    ) -> Option<ParamValue> {
        match value {
            ParamValue::LastSyncTime | ParamValue::CurrentTime | ParamValue::DaysAgo(_) => {
                self.time_param(p, field, value)
            }
            ParamValue::PageSize if field.name != api.paging.page_size => {
                self.paging_mismatch(name, "page size", &api.paging.page_size);
                None
            }
            ParamValue::PageNo if field.name != api.paging.page_no => {
                self.paging_mismatch(name, "page number", &api.paging.page_no);
                None
            }
            v => Some(v),
        }
    }

    /// Reports `PAGE_SIZE` or `PAGE_NO` bound to another parameter than the
    /// API's page size or number (`what`), which is `param`.
    fn paging_mismatch(&mut self, name: &ast::Ident, what: &str, param: &str) {
        self.error(
            codes::SYNC_VAR_ARGS,
            name.span,
            format!(
                "`{}` bound to a parameter that is not the {what}",
                name.name
            ),
        )
        .label(format!("the {what} parameter is `{param}`"))
        .help(format!("bind it to `{param}`: `{param} = {}`", name.name));
    }

    /// A time sync variable, which only a date or date-time parameter takes.
    fn time_param(
        &mut self,
        p: &ast::Param,
        field: &Field,
        value: ParamValue,
    ) -> Option<ParamValue> {
        if matches!(field.ty, FieldType::Datetime | FieldType::Date) {
            return Some(value);
        }
        let span = match &p.value {
            ast::ParamValue::Sync { span, .. } => *span,
            ast::ParamValue::Lit(l) => l.span,
        };
        self.error(
            codes::TYPE_MISMATCH,
            span,
            format!(
                "a time bound to `{}`, which is a {}",
                field.name,
                field.ty.name()
            ),
        )
        .label("a date-time")
        .help("time sync variables go to date-time parameters (start_time, end_time)");
        None
    }
}

/// The source part of the scheme's meta.
fn source_meta(api: &ApiSpec, params: Vec<ParamMeta>) -> SourceMeta {
    let window = api.window.as_ref().map(|w| WindowMeta {
        start_param: w.start.clone(),
        end_param: w.end.clone(),
        max_secs: w.max_secs(),
        format: api.datetime_format.clone(),
        utc_offset_secs: parse_offset(&api.zone).unwrap_or(8 * 3600),
    });
    SourceMeta {
        system: api.system.clone(),
        api: api.api.clone(),
        list_key: api.list_key.clone(),
        params,
        page_no_param: api.paging.page_no.clone(),
        page_size_param: api.paging.page_size.clone(),
        first_page: api.paging.first_page,
        default_page_size: api.paging.default_size,
        max_page_size: api.paging.max_size,
        window,
    }
}
