//! The checker: from syntax trees and specs to a [`model::Scheme`], or to
//! diagnostics.
//!
//! It collects every error it can find rather than stopping at the first:
//! a wrong name is reported and the statement skipped, and expressions that
//! already failed are not reported again by what contains them.

mod expr;
mod functions;
mod types;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use duijie_dsl::ast::{self, Span};
use duijie_maplib::{ParamMeta, ParamValue, SchemeMeta, SourceMeta, TargetMeta, WindowMeta};

use crate::diag::{closest, codes, Diagnostic, FileId, SourceFiles};
use crate::model::{self, Base, Ty};
use crate::spec::{self, ApiSpec, Field, FieldType, FormSpec, Specs};

/// What checking one `.map` file produced.
pub struct CheckOutput {
    /// The texts the diagnostics point into (the file and what it includes).
    pub files: SourceFiles,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked scheme, when the file is a scheme and has no errors.
    pub scheme: Option<model::Scheme>,
    /// True when the file has no `scheme` header (a library of tables and
    /// definitions).
    pub is_library: bool,
    /// Every file read (the file itself and its includes).
    pub inputs: Vec<PathBuf>,
}

impl CheckOutput {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Checks the `.map` file at `path`. `path` is shown in diagnostics as
/// given, so pass it relative to where the user stands.
pub fn check_file(path: &Path, specs: &Specs) -> CheckOutput {
    let mut files = SourceFiles::new();
    match std::fs::read_to_string(path) {
        Ok(text) => check_text(files, path, text, specs),
        Err(e) => {
            let id = files.add(path.display().to_string(), String::new());
            let d = Diagnostic::error(
                codes::CANNOT_READ,
                id,
                Span::default(),
                format!("cannot read {}: {e}", path.display()),
            );
            CheckOutput {
                files,
                diagnostics: vec![d],
                scheme: None,
                is_library: false,
                inputs: vec![path.to_path_buf()],
            }
        }
    }
}

/// Checks `.map` text as if it were the file at `path` (includes are read
/// relative to it).
pub fn check_source(path: &Path, text: &str, specs: &Specs) -> CheckOutput {
    check_text(SourceFiles::new(), path, text.to_string(), specs)
}

fn check_text(mut files: SourceFiles, path: &Path, text: String, specs: &Specs) -> CheckOutput {
    let main = files.add(path.display().to_string(), text);
    let mut cx = Checker {
        specs,
        files: &mut files,
        diags: Vec::new(),
        inputs: vec![path.to_path_buf()],
        tables: Vec::new(),
        table_index: HashMap::new(),
        defs: HashMap::new(),
        def_stack: Vec::new(),
        levels: Vec::new(),
        reads: model::Shape::default(),
        next_local: 0,
        used_tables: Vec::new(),
        source_api: None,
        form: None,
        main,
        file: main,
        failed_include: None,
    };
    let scheme = cx.run(path, main);
    let mut diags = std::mem::take(&mut cx.diags);
    let inputs = std::mem::take(&mut cx.inputs);
    let is_library = matches!(scheme, Outcome::Library);
    drop(cx);
    dedup_diagnostics(&mut diags);
    let has_errors = diags.iter().any(|d| d.is_error());
    CheckOutput {
        scheme: match scheme {
            Outcome::Scheme(s) if !has_errors => Some(*s),
            _ => None,
        },
        files,
        diagnostics: diags,
        is_library,
        inputs,
    }
}

/// Sorts diagnostics by file and position and drops exact repeats (a `def`
/// used twice reports its own mistakes once).
fn dedup_diagnostics(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.code.id, d.primary.file, d.primary.span, d.message.clone())));
    diags.sort_by_key(|d| (d.primary.file, d.primary.span.start, d.primary.span.end));
}

enum Outcome {
    Scheme(Box<model::Scheme>),
    Library,
    Failed,
}

/// A table as declared, with where it came from.
struct TableInfo {
    table: model::Table,
    file: FileId,
    span: Span,
    /// Declared in the scheme's own file (unused ones there are warned about).
    local: bool,
}

/// A `def` as declared.
#[derive(Clone)]
struct DefInfo {
    decl: ast::DefDecl,
    file: FileId,
}

/// One level of source records in scope: the record, or the elements of a
/// mapped array.
struct Level<'s> {
    /// The spec fields of this level's objects.
    fields: &'s [Field],
    /// The name that qualifies this level (`record`, the array's name, or
    /// its `as` alias).
    qualifier: String,
    /// `details_list[]` — the prefix of this level's field paths in messages.
    display: String,
    /// Where this level's fields sit in the `reads` shape, from the record.
    shape_path: Vec<(String, ShapeStep)>,
    /// Locals declared at this level, in order.
    locals: Vec<Local>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ShapeStep {
    Object,
    Array,
}

struct Local {
    name: String,
    slot: usize,
    ty: Ty,
    file: FileId,
    span: Span,
    used: bool,
}

/// The target object a block assigns into.
struct TargetCx<'s> {
    /// Spec fields of this object.
    fields: &'s [Field],
    /// `FPOOrderEntry[].` — prefix of this object's field paths.
    prefix: String,
    /// Where each assigned field was first assigned (by dotted path from
    /// this object), for duplicate and required checks.
    assigned: HashMap<String, (FileId, Span)>,
}

pub(crate) struct Checker<'s, 'f> {
    specs: &'s Specs,
    files: &'f mut SourceFiles,
    diags: Vec<Diagnostic>,
    inputs: Vec<PathBuf>,
    tables: Vec<TableInfo>,
    table_index: HashMap<String, usize>,
    defs: HashMap<String, DefInfo>,
    /// `def`s being expanded, with their parameter bindings.
    def_stack: Vec<(String, Vec<(String, model::Expr)>)>,
    levels: Vec<Level<'s>>,
    reads: model::Shape,
    next_local: usize,
    /// Tables used, in order of first use (index into `tables`).
    used_tables: Vec<usize>,
    source_api: Option<&'s ApiSpec>,
    form: Option<&'s FormSpec>,
    /// The scheme's own file.
    main: FileId,
    /// The file the node being checked comes from.
    file: FileId,
    /// An include that could not be read or parsed: names it would have
    /// declared are unknown, and the help lines say so.
    failed_include: Option<String>,
}

/// Header items of a scheme file.
#[derive(Default)]
struct Header<'a> {
    scheme: Vec<&'a ast::SchemeDecl>,
    source: Vec<&'a ast::SourceDecl>,
    target: Vec<&'a ast::TargetDecl>,
    id: Vec<&'a ast::KeyDecl>,
    number: Vec<&'a ast::KeyDecl>,
}

impl<'s> Checker<'s, '_> {
    fn error(
        &mut self,
        code: crate::diag::Code,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(code, self.file, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn text(&self, span: Span) -> String {
        self.files
            .text(self.file)
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }

    fn parse(&mut self, file: FileId) -> Option<ast::File> {
        let text = self.files.text(file).to_string();
        match duijie_dsl::parse(&text) {
            Ok(f) => Some(f),
            Err(e) => {
                let mut d = Diagnostic::error(codes::SYNTAX, file, e.span, e.message.clone());
                if !e.expected.is_empty() {
                    d.label(format!("expected {}", join_or(&e.expected)));
                }
                if let Some(h) = e.help {
                    d.help(h);
                }
                self.push(d);
                None
            }
        }
    }

    fn run(&mut self, path: &Path, main: FileId) -> Outcome {
        let Some(file) = self.parse(main) else {
            return Outcome::Failed;
        };
        // Includes first, depth first, so that their names are known.
        let mut stack = vec![(canonical(path), path.to_path_buf())];
        self.load_includes(&file, path, main, &mut stack);
        self.file = main;
        self.declare_items(&file, main, true);

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
                ast::Item::Include(_) | ast::Item::Table(_) | ast::Item::Def(_) => {}
            }
        }
        if header.scheme.is_empty() {
            let scheme_items = header.source.len()
                + header.target.len()
                + header.id.len()
                + header.number.len()
                + stmts.len();
            if scheme_items == 0 {
                // A library: its tables and definitions were checked as they were
                // declared; the schemes that include it use them.
                return Outcome::Library;
            }
            let first = first_scheme_item(&file).unwrap_or(file.span);
            self.error(
                codes::MISSING_HEADER,
                Span::new(first.start, first.start),
                "this file has scheme items but no `scheme` header",
            )
            .help("start the file with `scheme NAME \"title\"`; a file of shared tables and definitions holds nothing else");
            return Outcome::Failed;
        }
        let scheme = self.check_scheme(&header, &stmts);
        self.warn_unused_tables();
        match scheme {
            Some(s) => Outcome::Scheme(Box::new(s)),
            None => Outcome::Failed,
        }
    }

    fn load_includes(
        &mut self,
        file: &ast::File,
        path: &Path,
        file_id: FileId,
        stack: &mut Vec<(PathBuf, PathBuf)>,
    ) {
        for item in &file.items {
            let ast::Item::Include(inc) = item else {
                continue;
            };
            self.file = file_id;
            let dir = path.parent().unwrap_or(Path::new(""));
            let inc_path = dir.join(&inc.path.value);
            let canon = canonical(&inc_path);
            if let Some(pos) = stack.iter().position(|(p, _)| *p == canon) {
                // Shown as the files were named, not as absolute paths.
                let chain: Vec<String> = stack[pos..]
                    .iter()
                    .map(|(_, shown)| shown)
                    .chain(std::iter::once(&inc_path))
                    .map(|p| p.display().to_string())
                    .collect();
                self.error(
                    codes::INCLUDE_CYCLE,
                    inc.path.span,
                    "files include each other",
                )
                .label("this include closes a cycle")
                .help(format!("the chain is {}", chain.join(" → ")));
                continue;
            }
            if self.inputs.iter().any(|p| canonical(p) == canon) {
                continue; // already included through another file
            }
            let text = match std::fs::read_to_string(&inc_path) {
                Ok(t) => t,
                Err(e) => {
                    self.error(
                        codes::CANNOT_READ,
                        inc.path.span,
                        format!("cannot read the included file {}: {e}", inc_path.display()),
                    )
                    .label("included here")
                    .help("include paths are relative to the including file");
                    self.failed_include = Some(inc.path.value.clone());
                    continue;
                }
            };
            self.inputs.push(inc_path.clone());
            let id = self.files.add(inc_path.display().to_string(), text);
            let Some(inc_file) = self.parse(id) else {
                continue;
            };
            stack.push((canon, inc_path.clone()));
            self.load_includes(&inc_file, &inc_path, id, stack);
            stack.pop();
            self.file = id;
            for item in &inc_file.items {
                let span = match item {
                    ast::Item::Scheme(s) => Some(s.span),
                    ast::Item::Source(s) => Some(s.span),
                    ast::Item::Target(t) => Some(t.span),
                    ast::Item::Key(k) => Some(k.span),
                    ast::Item::Stmt(s) => Some(s.span()),
                    _ => None,
                };
                if let Some(span) = span {
                    self.error(
                        codes::LIBRARY_STATEMENT,
                        span,
                        "an included file may hold only `table`, `def` and `include` items",
                    )
                    .label("a scheme item in an included file")
                    .help("move it into the scheme that includes this file");
                }
            }
            self.declare_items(&inc_file, id, false);
        }
    }

    /// Registers the tables and definitions of a file.
    fn declare_items(&mut self, file: &ast::File, id: FileId, local: bool) {
        self.file = id;
        for item in &file.items {
            match item {
                ast::Item::Table(t) => {
                    if let Some(prev) = self.name_taken(&t.name.name) {
                        let (pf, ps) = prev;
                        self.error(
                            codes::DUPLICATE_NAME,
                            t.name.span,
                            format!("the name `{}` is used twice", t.name.name),
                        )
                        .label("declared again here");
                        let last = self.diags.len() - 1;
                        self.diags[last].with(pf, ps, "first declared here");
                        continue;
                    }
                    let table = self.check_table(t);
                    self.table_index
                        .insert(t.name.name.clone(), self.tables.len());
                    self.tables.push(TableInfo {
                        table,
                        file: id,
                        span: t.name.span,
                        local,
                    });
                }
                ast::Item::Def(d) => {
                    if let Some((pf, ps)) = self.name_taken(&d.name.name) {
                        self.error(
                            codes::DUPLICATE_NAME,
                            d.name.span,
                            format!("the name `{}` is used twice", d.name.name),
                        )
                        .label("declared again here");
                        let last = self.diags.len() - 1;
                        self.diags[last].with(pf, ps, "first declared here");
                        continue;
                    }
                    if functions::is_builtin(&d.name.name) {
                        self.error(
                            codes::DUPLICATE_NAME,
                            d.name.span,
                            format!("`{}` is a built-in function", d.name.name),
                        )
                        .label("this definition would hide it")
                        .help("choose another name");
                        continue;
                    }
                    self.defs.insert(
                        d.name.name.clone(),
                        DefInfo {
                            decl: d.clone(),
                            file: id,
                        },
                    );
                }
                _ => {}
            }
        }
    }

    fn name_taken(&self, name: &str) -> Option<(FileId, Span)> {
        if let Some(&i) = self.table_index.get(name) {
            return Some((self.tables[i].file, self.tables[i].span));
        }
        self.defs.get(name).map(|d| (d.file, d.decl.name.span))
    }

    fn check_table(&mut self, t: &ast::TableDecl) -> model::Table {
        let mut entries: Vec<(model::Const, model::Const)> = Vec::new();
        let mut key_spans: Vec<Span> = Vec::new();
        let mut key_base: Option<(Base, Span)> = None;
        let mut value_base: Option<(Base, Span)> = None;
        for e in &t.entries {
            let Some(key) = self.literal(&e.key) else {
                continue;
            };
            let Some(value) = self.literal(&e.value) else {
                continue;
            };
            if key == model::Const::Null {
                self.error(codes::BAD_LITERAL, e.key.span, "a table key cannot be null")
                    .label("null key")
                    .help("a null key always gives null; leave it out");
                continue;
            }
            if let Some(i) = entries.iter().position(|(k, _)| *k == key) {
                let first = key_spans[i];
                let file = self.file;
                self.error(
                    codes::DUPLICATE_KEY,
                    e.key.span,
                    format!(
                        "the key {} is in table `{}` twice",
                        self.text(e.key.span),
                        t.name.name
                    ),
                )
                .label("again here");
                let last = self.diags.len() - 1;
                self.diags[last].with(file, first, "first here");
                continue;
            }
            self.unify_table_type(
                &mut key_base,
                const_base(&key),
                e.key.span,
                "key",
                &t.name.name,
            );
            if value != model::Const::Null {
                self.unify_table_type(
                    &mut value_base,
                    const_base(&value),
                    e.value.span,
                    "value",
                    &t.name.name,
                );
            }
            entries.push((key, value));
            key_spans.push(e.key.span);
        }
        let default = t.default.as_ref().and_then(|d| {
            let v = self.literal(&d.value)?;
            if v != model::Const::Null {
                self.unify_table_type(
                    &mut value_base,
                    const_base(&v),
                    d.value.span,
                    "value",
                    &t.name.name,
                );
            }
            Some(v)
        });
        let key = key_base.map(|(b, _)| b).unwrap_or(Base::Str);
        let value = value_base.map(|(b, _)| b).unwrap_or(Base::Null);
        // Integers stand for decimals where the other entries are decimals.
        let widen = |c: model::Const, base: Base| match (c, base) {
            (model::Const::Int(i), Base::Dec) => model::Const::Dec(i.to_string()),
            (c, _) => c,
        };
        model::Table {
            name: t.name.name.clone(),
            key,
            value,
            entries: entries
                .into_iter()
                .map(|(k, v)| (widen(k, key), widen(v, value)))
                .collect(),
            default: default.map(|d| widen(d, value)),
        }
    }

    fn unify_table_type(
        &mut self,
        slot: &mut Option<(Base, Span)>,
        base: Base,
        span: Span,
        what: &str,
        table: &str,
    ) {
        match slot {
            None => *slot = Some((base, span)),
            Some((b, first)) => {
                if *b == base {
                    return;
                }
                if (*b == Base::Int && base == Base::Dec) || (*b == Base::Dec && base == Base::Int)
                {
                    *b = Base::Dec;
                    return;
                }
                let (first, b) = (*first, *b);
                let file = self.file;
                self.error(
                    codes::TABLE_TYPES,
                    span,
                    format!(
                        "table `{table}` mixes {what}s of type {} and {}",
                        b.name(),
                        base.name()
                    ),
                )
                .label(base.with_article().to_string())
                .help(format!("every {what} of a table has one type"));
                let last = self.diags.len() - 1;
                self.diags[last].with(file, first, b.with_article().to_string());
            }
        }
    }

    fn warn_unused_tables(&mut self) {
        for (i, t) in self.tables.iter().enumerate() {
            if t.local && !self.used_tables.contains(&i) {
                let mut d = Diagnostic::warning(
                    codes::UNUSED_TABLE,
                    t.file,
                    t.span,
                    format!("table `{}` is never used", t.table.name),
                );
                d.label("declared here")
                    .help("use it with `name[key]`, or remove it");
                self.diags.push(d);
            }
        }
    }

    /// A literal as a constant; reports bad integers and decimals.
    pub(crate) fn literal(&mut self, lit: &ast::Literal) -> Option<model::Const> {
        Some(match &lit.kind {
            ast::LitKind::Str(s) => model::Const::Str(s.clone()),
            ast::LitKind::Bool(b) => model::Const::Bool(*b),
            ast::LitKind::Null => model::Const::Null,
            ast::LitKind::Int(text) => match text.parse::<i64>() {
                Ok(i) => model::Const::Int(i),
                Err(_) => {
                    self.error(
                        codes::BAD_LITERAL,
                        lit.span,
                        format!("the integer {text} is out of range"),
                    )
                    .label("not a 64-bit integer")
                    .help("write it as a decimal (`12345678901234567890.0`) or as a string");
                    return None;
                }
            },
            ast::LitKind::Dec(text) => match text.parse::<rust_decimal::Decimal>() {
                Ok(_) => model::Const::Dec(text.clone()),
                Err(_) => {
                    self.error(
                        codes::BAD_LITERAL,
                        lit.span,
                        format!("the decimal {text} cannot be represented exactly"),
                    )
                    .label("more than 28 significant digits")
                    .help("decimals keep at most 28 significant digits");
                    return None;
                }
            },
        })
    }

    fn check_scheme(&mut self, header: &Header<'_>, stmts: &[&ast::Stmt]) -> Option<model::Scheme> {
        // Exactly one of each header item.
        let anchor = header.scheme[0].span;
        for (items, what, help) in [
            (header.source.iter().map(|s| s.span).collect::<Vec<_>>(), "source", "add `source SYSTEM.API { … }`, e.g. `source wdt.purchase_order_query { … }`"),
            (header.target.iter().map(|s| s.span).collect(), "target", "add `target SYSTEM.OPERATION FORM { … }`, e.g. `target kingdee.BatchSave PUR_PurchaseOrder`"),
            (header.id.iter().map(|s| s.span).collect(), "id", "add `id FIELD`: the source field that identifies a record"),
            (header.number.iter().map(|s| s.span).collect(), "number", "add `number FIELD`: the source field holding the business number"),
            (header.scheme.iter().map(|s| s.span).collect(), "scheme", ""),
        ] {
            if items.is_empty() {
                self.error(codes::MISSING_HEADER, anchor, format!("the scheme has no `{what}`"))
                    .label("in this scheme")
                    .help(help);
            }
            for extra in items.iter().skip(1) {
                let file_id = self.file;
                self.error(codes::DUPLICATE_HEADER, *extra, format!("`{what}` is given twice"))
                    .label("again here");
                let last = self.diags.len() - 1;
                self.diags[last].with(file_id, items[0], "first here");
            }
        }
        let scheme_decl = header.scheme[0];
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
        let mut tcx = TargetCx {
            fields: form.map(|f| f.fields.as_slice()).unwrap_or(&[]),
            prefix: String::new(),
            assigned: HashMap::new(),
        };
        let body = self.check_block_stmts(stmts.iter().copied(), &mut tcx, form.is_some());
        if let (Some(form), Some(t)) = (form, header.target.first()) {
            let span = t.form.span;
            self.require_fields(
                form.fields.as_slice(),
                &tcx,
                "",
                span,
                &format!("the form {}", form.form),
            );
        }
        self.warn_unused_locals();
        self.levels.pop();

        let source = source?;
        let target = target?;
        let id_field = id_field?;
        let number_field = number_field?;
        let form = self.form?;
        let meta = SchemeMeta {
            name: scheme_decl.name.name.clone(),
            title: scheme_decl.title.as_ref().map(|t| t.value.clone()),
            file: self.files.name(self.main).to_string(),
            source,
            target,
            id_field,
            number_field,
            number_target: form.number_field.clone(),
        };
        Some(model::Scheme {
            meta,
            source_time: time_format(&api.zone, &api.datetime_format),
            target_time: time_format(&form.zone, &form.datetime_format),
            reads: std::mem::take(&mut self.reads),
            tables: self.take_used_tables(),
            body,
        })
    }

    /// The used tables, renumbered in order of first use; `Lookup` indexes
    /// in the body are rewritten to match.
    fn take_used_tables(&mut self) -> Vec<model::Table> {
        // Lookups were created with indexes into `used_tables` order already.
        self.used_tables
            .iter()
            .map(|&i| self.tables[i].table.clone())
            .collect()
    }

    /// The model index of table `i`, registering its first use.
    pub(crate) fn use_table(&mut self, i: usize) -> usize {
        match self.used_tables.iter().position(|&u| u == i) {
            Some(p) => p,
            None => {
                self.used_tables.push(i);
                self.used_tables.len() - 1
            }
        }
    }

    fn check_source_decl(&mut self, s: &ast::SourceDecl) -> Option<SourceMeta> {
        let system = s.system.name.as_str();
        let api_name = s.api_name();
        let Some(api) = self.specs.api(system, &api_name) else {
            let known: Vec<String> = self
                .specs
                .apis()
                .map(|a| format!("{}.{}", a.system, a.api))
                .collect();
            let wanted = format!("{system}.{api_name}");
            let mut help = match closest(&wanted, known.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("known source APIs: {}", known.join(", ")),
            };
            if !self.specs.systems().contains(&system) {
                help = format!(
                    "`{system}` is not a known system ({}); {help}",
                    self.specs.systems().join(", ")
                );
            }
            self.error(
                codes::UNKNOWN_API,
                s.name_span,
                format!("unknown source API `{wanted}`"),
            )
            .label("no spec in specs/ for this API")
            .help(help);
            return None;
        };
        self.source_api = Some(api);
        let mut params = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for p in &s.params {
            if let Some(first) = seen.get(&p.name.name) {
                let (file, first) = (self.file, *first);
                self.error(
                    codes::DUPLICATE_ASSIGN,
                    p.name.span,
                    format!("the parameter `{}` is set twice", p.name.name),
                )
                .label("again here");
                let last = self.diags.len() - 1;
                self.diags[last].with(file, first, "first here");
                continue;
            }
            seen.insert(p.name.name.clone(), p.name.span);
            let Some(field) = spec::find(&api.request, &p.name.name) else {
                let help = suggest_field(&p.name.name, &api.request);
                self.error(
                    codes::UNKNOWN_PARAM,
                    p.name.span,
                    format!("unknown request parameter `{}`", p.name.name),
                )
                .label(format!("not a parameter of {}.{}", api.system, api.api))
                .help(help);
                continue;
            };
            if field.supplied_by.as_deref() == Some("connection") {
                self.error(
                    codes::UNKNOWN_PARAM,
                    p.name.span,
                    format!("`{}` is supplied by the connection", p.name.name),
                )
                .label("set in duijie.toml, not in the scheme")
                .help("remove this line; the connector sends the connection's value");
                continue;
            }
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
        let window = api.window.as_ref().map(|w| WindowMeta {
            start_param: w.start.clone(),
            end_param: w.end.clone(),
            max_days: w.max_days,
            format: api.datetime_format.clone(),
            utc_offset_secs: parse_offset(&api.zone).unwrap_or(8 * 3600),
        });
        Some(SourceMeta {
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
        })
    }

    fn param_value(&mut self, p: &ast::Param, field: &Field, api: &ApiSpec) -> Option<ParamValue> {
        match &p.value {
            ast::ParamValue::Lit(lit) => {
                let c = self.literal(lit)?;
                let text = match c {
                    model::Const::Str(s) => s,
                    model::Const::Dec(d) => d,
                    model::Const::Int(i) => i.to_string(),
                    model::Const::Bool(b) => b.to_string(),
                    model::Const::Null => {
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
            ast::ParamValue::Sync { name, args, span } => {
                const SYNC: &[&str] = &[
                    "LAST_SYNC_TIME",
                    "CURRENT_TIME",
                    "DAYS_AGO",
                    "PAGE_SIZE",
                    "PAGE_NO",
                ];
                let value = match name.name.as_str() {
                    "LAST_SYNC_TIME" => ParamValue::LastSyncTime,
                    "CURRENT_TIME" => ParamValue::CurrentTime,
                    "PAGE_SIZE" => ParamValue::PageSize,
                    "PAGE_NO" => ParamValue::PageNo,
                    "DAYS_AGO" => {
                        let n = match args.as_slice() {
                            [ast::Literal {
                                kind: ast::LitKind::Int(t),
                                ..
                            }] => t.parse::<u32>().ok(),
                            _ => None,
                        };
                        let Some(n) = n else {
                            self.error(
                                codes::SYNC_VAR_ARGS,
                                *span,
                                "`DAYS_AGO` takes one whole number of days",
                            )
                            .label("e.g. `DAYS_AGO(7)`")
                            .help("write the number of days back, from 0");
                            return None;
                        };
                        return self.time_param(p, field, ParamValue::DaysAgo(n));
                    }
                    other => {
                        let help = match closest(other, SYNC.iter().copied()) {
                            Some(c) => format!("did you mean `{c}`? (a constant is written in quotes: \"{other}\")"),
                            None => format!("the sync variables are {}; a constant is written in quotes", SYNC.join(", ")),
                        };
                        self.error(
                            codes::UNKNOWN_SYNC_VAR,
                            name.span,
                            format!("unknown sync variable `{other}`"),
                        )
                        .label("not a sync variable")
                        .help(help);
                        return None;
                    }
                };
                if !args.is_empty() {
                    self.error(
                        codes::SYNC_VAR_ARGS,
                        *span,
                        format!("`{}` takes no arguments", name.name),
                    )
                    .label("remove the parentheses");
                    return None;
                }
                match value {
                    ParamValue::LastSyncTime | ParamValue::CurrentTime => {
                        self.time_param(p, field, value)
                    }
                    ParamValue::PageSize if field.name != api.paging.page_size => {
                        self.error(
                            codes::SYNC_VAR_ARGS,
                            name.span,
                            "`PAGE_SIZE` bound to a parameter that is not the page size",
                        )
                        .label(format!(
                            "the page size parameter is `{}`",
                            api.paging.page_size
                        ));
                        None
                    }
                    ParamValue::PageNo if field.name != api.paging.page_no => {
                        self.error(
                            codes::SYNC_VAR_ARGS,
                            name.span,
                            "`PAGE_NO` bound to a parameter that is not the page number",
                        )
                        .label(format!(
                            "the page number parameter is `{}`",
                            api.paging.page_no
                        ));
                        None
                    }
                    v => Some(v),
                }
            }
        }
    }

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

    fn check_target_decl(&mut self, t: &ast::TargetDecl) -> Option<TargetMeta> {
        let system = t.system.name.as_str();
        if !self.specs.systems().contains(&system) || self.specs.forms().all(|f| f.system != system)
        {
            let known: Vec<&str> = self
                .specs
                .forms()
                .map(|f| f.system.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let help = match closest(system, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("target systems: {}", known.join(", ")),
            };
            self.error(
                codes::UNKNOWN_OPERATION,
                t.system.span,
                format!("unknown target system `{system}`"),
            )
            .label("no target spec for this system")
            .help(help);
            return None;
        }
        let op = self.specs.operation(system, &t.operation.name);
        if op.is_none() {
            let known: Vec<&str> = self
                .specs
                .operations()
                .filter(|o| o.system == system)
                .map(|o| o.operation.as_str())
                .collect();
            let help = match closest(&t.operation.name, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("operations of {system}: {}", known.join(", ")),
            };
            self.error(
                codes::UNKNOWN_OPERATION,
                t.operation.span,
                format!("unknown operation `{}`", t.operation.name),
            )
            .label(format!("not an operation of {system}"))
            .help(help);
        }
        let form = self.specs.form(system, &t.form.name);
        if form.is_none() {
            let known: Vec<&str> = self
                .specs
                .forms()
                .filter(|f| f.system == system)
                .map(|f| f.form.as_str())
                .collect();
            let help = match closest(&t.form.name, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("forms with a spec: {}", known.join(", ")),
            };
            self.error(
                codes::UNKNOWN_FORM,
                t.form.span,
                format!("unknown form `{}`", t.form.name),
            )
            .label("no spec in specs/ for this form")
            .help(help);
        }
        self.form = form;
        let op = op?;
        let mut options = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for o in &t.options {
            if let Some(first) = seen.get(&o.name.name) {
                let (file, first) = (self.file, *first);
                self.error(
                    codes::DUPLICATE_ASSIGN,
                    o.name.span,
                    format!("the option `{}` is set twice", o.name.name),
                )
                .label("again here");
                let last = self.diags.len() - 1;
                self.diags[last].with(file, first, "first here");
                continue;
            }
            seen.insert(o.name.name.clone(), o.name.span);
            let Some(spec_opt) = spec::find(&op.options, &o.name.name) else {
                let help = suggest_field(&o.name.name, &op.options);
                self.error(
                    codes::UNKNOWN_OPTION,
                    o.name.span,
                    format!("unknown option `{}`", o.name.name),
                )
                .label(format!("not an option of {}", op.operation))
                .help(help);
                continue;
            };
            let Some(c) = self.literal(&o.value) else {
                continue;
            };
            let value = match (&c, spec_opt.ty) {
                (model::Const::Bool(b), FieldType::Bool) => serde_json::Value::Bool(*b),
                (model::Const::Int(i), FieldType::Integer) => serde_json::Value::from(*i),
                (model::Const::Str(s), FieldType::String) => serde_json::Value::String(s.clone()),
                (model::Const::Str(s), FieldType::List) => serde_json::Value::Array(
                    s.split(',')
                        .map(|p| serde_json::Value::String(p.trim().to_string()))
                        .filter(|v| v != "")
                        .collect(),
                ),
                _ => {
                    self.error(
                        codes::TYPE_MISMATCH,
                        o.value.span,
                        format!(
                            "the option `{}` takes a {}",
                            o.name.name,
                            spec_opt.ty.name()
                        ),
                    )
                    .label(format!("this is a {}", const_base(&c).name()))
                    .help(match spec_opt.ty {
                        FieldType::Bool => "write `true` or `false`".to_string(),
                        FieldType::List => {
                            "write the field names in one string, separated by commas".to_string()
                        }
                        other => format!("write a {} literal", other.name()),
                    });
                    continue;
                }
            };
            options.push((o.name.name.clone(), value));
        }
        let form = form?;
        Some(TargetMeta {
            system: system.to_string(),
            operation: op.operation.clone(),
            form_id: form.form.clone(),
            options,
        })
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

    fn warn_unused_locals(&mut self) {
        let Some(level) = self.levels.last_mut() else {
            return;
        };
        let unused: Vec<(FileId, Span, String)> = level
            .locals
            .iter()
            .filter(|l| !l.used)
            .map(|l| (l.file, l.span, l.name.clone()))
            .collect();
        for (file, span, name) in unused {
            let mut d = Diagnostic::warning(
                codes::UNUSED_LOCAL,
                file,
                span,
                format!("the local `{name}` is never used"),
            );
            d.label("defined here").help("use it or remove the `let`");
            self.diags.push(d);
        }
    }

    /// Checks the statements of one block (the bill or an array element).
    fn check_block_stmts<'a>(
        &mut self,
        stmts: impl IntoIterator<Item = &'a ast::Stmt>,
        tcx: &mut TargetCx<'s>,
        has_target: bool,
    ) -> model::Block {
        let mut block = model::Block::default();
        for stmt in stmts {
            match stmt {
                ast::Stmt::Let(l) => {
                    let Some(expr) = self.expr(&l.value) else {
                        continue;
                    };
                    if self
                        .levels
                        .iter()
                        .any(|lv| lv.locals.iter().any(|x| x.name == l.name.name))
                    {
                        self.error(
                            codes::DUPLICATE_LOCAL,
                            l.name.span,
                            format!("the local `{}` is defined twice", l.name.name),
                        )
                        .label("defined again here")
                        .help("give it another name");
                        continue;
                    }
                    if self
                        .levels
                        .iter()
                        .any(|lv| spec::find(lv.fields, &l.name.name).is_some())
                    {
                        self.error(
                            codes::DUPLICATE_LOCAL,
                            l.name.span,
                            format!("the local `{}` has the name of a source field", l.name.name),
                        )
                        .label("a source field of this name is in scope")
                        .help("give the local another name, so that every name means one thing");
                        continue;
                    }
                    let slot = self.next_local;
                    self.next_local += 1;
                    let file = self.file;
                    if let Some(level) = self.levels.last_mut() {
                        level.locals.push(Local {
                            name: l.name.name.clone(),
                            slot,
                            ty: expr.ty,
                            file,
                            span: l.name.span,
                            used: false,
                        });
                    }
                    block.prelude.push(model::Prelude::Let {
                        local: slot,
                        name: l.name.name.clone(),
                        expr,
                    });
                }
                ast::Stmt::Skip(s) => {
                    let Some(cond) = self.expr(&s.cond) else {
                        continue;
                    };
                    if !matches!(cond.ty.base, Base::Bool | Base::Null) {
                        self.error(
                            codes::TYPE_MISMATCH,
                            s.cond.span,
                            format!(
                                "a skip condition must be a bool, not {}",
                                cond.ty.describe()
                            ),
                        )
                        .label("not a condition")
                        .help("compare it: `skip if status == \"10\"`");
                        continue;
                    }
                    block.prelude.push(model::Prelude::Skip {
                        cond,
                        unless: s.unless,
                        text: self.text(s.span),
                    });
                }
                ast::Stmt::Assign(a) => {
                    // The target first: it is marked assigned even when the
                    // value has an error, so no misleading "required field
                    // not assigned" follows.
                    let target = self.target_leaf(&a.target, tcx, has_target, true);
                    let Some(expr) = self.expr(&a.value) else {
                        continue;
                    };
                    let Some((path, field)) = target else {
                        continue;
                    };
                    let Some(value) =
                        self.assign_value(expr, field, a.value.span, &tcx.prefix, &path)
                    else {
                        continue;
                    };
                    insert_field(&mut block.fields, &path, &tcx.prefix, value);
                }
                ast::Stmt::MapArray(m) => {
                    let target = self.target_array(&m.target, tcx, has_target);
                    let Some(source) = self.source_array(&m.source) else {
                        continue;
                    };
                    let (src_ref, elem_fields, shape_path, display) = source;
                    let qualifier = m.alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| {
                        m.source
                            .segments
                            .last()
                            .map(|s| s.name.clone())
                            .unwrap_or_default()
                    });
                    self.levels.push(Level {
                        fields: elem_fields,
                        qualifier,
                        display,
                        shape_path,
                        locals: Vec::new(),
                    });
                    let level = self.levels.len() - 1;
                    let (elem_specs, path) = match &target {
                        Some((path, f)) => (f.children.as_slice(), path.clone()),
                        None => (
                            &[][..],
                            m.target
                                .segments
                                .iter()
                                .map(|s| s.name.clone())
                                .collect::<Vec<_>>()
                                .join("."),
                        ),
                    };
                    let mut inner = TargetCx {
                        fields: elem_specs,
                        prefix: format!("{}{}[].", tcx.prefix, path),
                        assigned: HashMap::new(),
                    };
                    let body =
                        self.check_block_stmts(m.body.stmts.iter(), &mut inner, target.is_some());
                    if let Some((_, f)) = &target {
                        let span = m.target.span.to(m.source.span);
                        self.require_fields(
                            &f.children,
                            &inner,
                            "",
                            span,
                            &format!("each element of {}", f.name),
                        );
                    }
                    self.warn_unused_locals();
                    self.levels.pop();
                    if target.is_some() {
                        insert_field(
                            &mut block.fields,
                            &path,
                            &tcx.prefix,
                            model::TargetValue::Array {
                                source: src_ref,
                                level,
                                body,
                            },
                        );
                    }
                }
                ast::Stmt::ArrayLit(al) => {
                    let target = self.target_array(&al.target, tcx, has_target);
                    let mut elements = Vec::new();
                    for el in &al.elements {
                        let (elem_specs, path) = match &target {
                            Some((path, f)) => (f.children.as_slice(), path.clone()),
                            None => (&[][..], String::new()),
                        };
                        let mut inner = TargetCx {
                            fields: elem_specs,
                            prefix: format!("{}{}[].", tcx.prefix, path),
                            assigned: HashMap::new(),
                        };
                        let body =
                            self.check_block_stmts(el.stmts.iter(), &mut inner, target.is_some());
                        if let Some((_, f)) = &target {
                            self.require_fields(
                                &f.children,
                                &inner,
                                "",
                                el.span,
                                &format!("each element of {}", f.name),
                            );
                        }
                        elements.push(body);
                    }
                    if let Some((path, _)) = target {
                        insert_field(
                            &mut block.fields,
                            &path,
                            &tcx.prefix,
                            model::TargetValue::List(elements),
                        );
                    }
                }
            }
        }
        block
    }

    /// Resolves the target of `PATH = …`: must be a scalar field. Returns
    /// its dotted path (from this object) and spec.
    fn target_leaf(
        &mut self,
        tp: &ast::TargetPath,
        tcx: &mut TargetCx<'s>,
        has_target: bool,
        report: bool,
    ) -> Option<(String, &'s Field)> {
        if !has_target {
            return None;
        }
        let Some((path, field)) = self.walk_target(tp, tcx, report) else {
            // A misspelt sub-field still assigns its object: no "required
            // field not assigned" on top of the real mistake.
            if let Some(first) = tp.segments.first().filter(|_| tp.segments.len() > 1) {
                if spec::find(tcx.fields, &first.name).is_some() {
                    tcx.assigned
                        .entry(first.name.clone())
                        .or_insert((self.file, tp.span));
                }
            }
            return None;
        };
        if report {
            match field.ty {
                FieldType::Object => {
                    let sub: Vec<&str> = field.children.iter().map(|c| c.name.as_str()).collect();
                    let first = sub.first().copied().unwrap_or("FNumber");
                    self.error(
                        codes::SHAPE_TARGET,
                        tp.span,
                        format!(
                            "`{}` is an object ({}), not a value",
                            field.name, field.label
                        ),
                    )
                    .label("a lookup object")
                    .help(format!(
                        "assign its fields, e.g. `{}.{first} = …` (fields: {})",
                        path,
                        sub.join(", ")
                    ));
                    return None;
                }
                FieldType::Array => {
                    self.error(codes::SHAPE_TARGET, tp.span, format!("`{}` is an array ({}), not a value", field.name, field.label))
                        .label("an array of objects")
                        .help(format!("build it from a source array: `{path}[] <- details_list < … >`, or literally: `{path}[] = [< … >]`"));
                    return None;
                }
                _ => {}
            }
        }
        if let Some(&(file, first)) = tcx.assigned.get(&path) {
            if report {
                self.error(codes::DUPLICATE_ASSIGN, tp.span, format!("`{}{}` is assigned twice", tcx.prefix, path))
                    .label("assigned again here")
                    .help("each target field gets one value; combine the two with `if`/`??` or remove one");
                let last = self.diags.len() - 1;
                self.diags[last].with(file, first, "first assigned here");
            }
            return None;
        }
        tcx.assigned.insert(path.clone(), (self.file, tp.span));
        // Parents count as assigned too (for required checks).
        let mut parent = String::new();
        for seg in &tp.segments[..tp.segments.len().saturating_sub(1)] {
            if !parent.is_empty() {
                parent.push('.');
            }
            parent.push_str(&seg.name);
            tcx.assigned
                .entry(parent.clone())
                .or_insert((self.file, tp.span));
        }
        Some((path, field))
    }

    /// Resolves the target of `PATH[] …`: must be an array field.
    fn target_array(
        &mut self,
        tp: &ast::TargetPath,
        tcx: &mut TargetCx<'s>,
        has_target: bool,
    ) -> Option<(String, &'s Field)> {
        if !has_target {
            return None;
        }
        let (path, field) = self.walk_target(tp, tcx, true)?;
        if field.ty != FieldType::Array {
            let help = if field.ty == FieldType::Object {
                format!(
                    "it is a lookup object: assign `{path}.{} = …`",
                    field
                        .children
                        .first()
                        .map(|c| c.name.as_str())
                        .unwrap_or("FNumber")
                )
            } else {
                format!("assign it a value: `{path} = …`")
            };
            self.error(
                codes::SHAPE_TARGET,
                tp.span,
                format!("`{}` is a {}, not an array", field.name, field.ty.name()),
            )
            .label(format!("{} is not an array", field.label))
            .help(help);
            return None;
        }
        if let Some(&(file, first)) = tcx.assigned.get(&path) {
            self.error(
                codes::DUPLICATE_ASSIGN,
                tp.span,
                format!("`{}{}` is assigned twice", tcx.prefix, path),
            )
            .label("assigned again here")
            .help("an array is built by one statement");
            let last = self.diags.len() - 1;
            self.diags[last].with(file, first, "first assigned here");
            return None;
        }
        tcx.assigned.insert(path.clone(), (self.file, tp.span));
        Some((path, field))
    }

    fn walk_target(
        &mut self,
        tp: &ast::TargetPath,
        tcx: &TargetCx<'s>,
        report: bool,
    ) -> Option<(String, &'s Field)> {
        let mut fields = tcx.fields;
        let mut field: Option<&'s Field> = None;
        let mut path = String::new();
        for (i, seg) in tp.segments.iter().enumerate() {
            if let Some(f) = field {
                if f.ty != FieldType::Object {
                    if report {
                        let what = if f.ty == FieldType::Array {
                            "an array: map it with `[] <-`"
                        } else {
                            "a value, without fields"
                        };
                        self.error(codes::SHAPE_TARGET, seg.span, format!("`{path}` is {what}"))
                            .label(format!("`{}` cannot be reached through `{path}`", seg.name));
                    }
                    return None;
                }
                fields = &f.children;
            }
            let Some(next) = spec::find(fields, &seg.name) else {
                if report {
                    let owner = if i == 0 {
                        if tcx.prefix.is_empty() {
                            self.form
                                .map(|f| format!("the form {}", f.form))
                                .unwrap_or_default()
                        } else {
                            format!("`{}`", tcx.prefix.trim_end_matches('.'))
                        }
                    } else {
                        format!("`{}{path}`", tcx.prefix)
                    };
                    let help = suggest_field(&seg.name, fields);
                    self.error(
                        codes::UNKNOWN_TARGET_FIELD,
                        seg.span,
                        format!("unknown target field `{}`", seg.name),
                    )
                    .label(format!("not a field of {owner}"))
                    .help(help);
                }
                return None;
            };
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&next.name);
            field = Some(next);
        }
        field.map(|f| (path, f))
    }

    /// Reports required fields of `fields` that `tcx` did not assign.
    fn require_fields(
        &mut self,
        fields: &'s [Field],
        tcx: &TargetCx<'s>,
        prefix: &str,
        span: Span,
        owner: &str,
    ) {
        for f in fields {
            let path = if prefix.is_empty() {
                f.name.clone()
            } else {
                format!("{prefix}.{}", f.name)
            };
            let assigned = tcx.assigned.contains_key(&path);
            if f.required && !assigned {
                let example = match f.ty {
                    FieldType::Object => format!(
                        "{path}.{} = …",
                        f.children
                            .first()
                            .map(|c| c.name.as_str())
                            .unwrap_or("FNumber")
                    ),
                    FieldType::Array => format!("{path}[] <- … < … >"),
                    _ => format!("{path} = …"),
                };
                self.error(
                    codes::MISSING_REQUIRED,
                    span,
                    format!(
                        "the required field `{}{path}` ({}) is not assigned",
                        tcx.prefix, f.label
                    ),
                )
                .label(format!("{owner} requires it"))
                .help(format!("add `{example}`"));
            } else if assigned && f.ty == FieldType::Object {
                self.require_fields(&f.children, tcx, &path, span, owner);
            }
        }
    }

    /// Checks an assignment's value against its target field's type.
    fn assign_value(
        &mut self,
        expr: model::Expr,
        field: &Field,
        span: Span,
        prefix: &str,
        path: &str,
    ) -> Option<model::TargetValue> {
        let (ty, want) = match field.ty {
            FieldType::String => (model::TargetScalar::Str, Base::Str),
            FieldType::Decimal => (model::TargetScalar::Dec, Base::Dec),
            FieldType::Integer => (model::TargetScalar::Int, Base::Int),
            FieldType::Bool => (model::TargetScalar::Bool, Base::Bool),
            FieldType::Datetime => (
                model::TargetScalar::DateTime {
                    format: field.format.clone().unwrap_or_else(|| {
                        self.form
                            .map(|f| f.datetime_format.clone())
                            .unwrap_or_default()
                    }),
                },
                Base::DateTime,
            ),
            FieldType::Date => (
                model::TargetScalar::Date {
                    format: field.format.clone().unwrap_or_else(|| "%Y-%m-%d".into()),
                },
                Base::Date,
            ),
            FieldType::List => (model::TargetScalar::List, Base::List),
            FieldType::Object | FieldType::Array => return None,
        };
        let expr = self.coerce(
            expr,
            want,
            span,
            &format!("`{prefix}{path}` ({})", field.label),
        )?;
        let sources = expr::sources_of(&expr).join(", ");
        Some(model::TargetValue::Scalar {
            expr,
            ty,
            required: field.required,
            sources,
        })
    }

    /// Resolves the source array of `[] <-`.
    #[allow(clippy::type_complexity)]
    fn source_array(
        &mut self,
        path: &ast::Path,
    ) -> Option<(
        model::FieldRef,
        &'s [Field],
        Vec<(String, ShapeStep)>,
        String,
    )> {
        let r = self.resolve_path(path, true)?;
        if r.field.ty != FieldType::Array {
            self.error(
                codes::SHAPE_SOURCE,
                path.span,
                format!(
                    "`{}` is a {}, not an array",
                    path.dotted(),
                    r.field.ty.name()
                ),
            )
            .label(format!("{} is not an array", r.field.label))
            .help("`[] <-` maps each element of a source array; assign a value with `=`");
            return None;
        }
        let level = &self.levels[r.level];
        let mut shape_path = level.shape_path.clone();
        for (i, key) in r.field_ref.path.iter().enumerate() {
            let step = if i + 1 == r.field_ref.path.len() {
                ShapeStep::Array
            } else {
                ShapeStep::Object
            };
            shape_path.push((key.clone(), step));
        }
        let display = format!("{}[]", r.field_ref.display);
        self.mark_read(&shape_path, None);
        Some((r.field_ref, &r.field.children, shape_path, display))
    }

    /// Records in `reads` that the field at `shape_path` is read.
    fn mark_read(&mut self, shape_path: &[(String, ShapeStep)], leaf: Option<model::SourceScalar>) {
        let mut shape = &mut self.reads;
        for (i, (key, step)) in shape_path.iter().enumerate() {
            let last = i + 1 == shape_path.len();
            let pos = shape.fields.iter().position(|f| f.name == *key);
            let idx = match pos {
                Some(p) => p,
                None => {
                    let kind = match (last, &leaf, step) {
                        (true, Some(s), _) => model::ShapeKind::Scalar(s.clone()),
                        (_, _, ShapeStep::Array) => {
                            model::ShapeKind::Array(model::Shape::default())
                        }
                        (_, _, ShapeStep::Object) => {
                            model::ShapeKind::Object(model::Shape::default())
                        }
                    };
                    shape.fields.push(model::ShapeField {
                        name: key.clone(),
                        kind,
                    });
                    shape.fields.len() - 1
                }
            };
            match &mut shape.fields[idx].kind {
                model::ShapeKind::Object(s) | model::ShapeKind::Array(s) => shape = s,
                model::ShapeKind::Scalar(_) => return,
            }
        }
    }
}

/// Where a source path resolved to.
pub(crate) struct Resolved<'s> {
    level: usize,
    field: &'s Field,
    field_ref: model::FieldRef,
}

impl<'s> Checker<'s, '_> {
    /// Resolves a path of source field names at a given level.
    fn resolve_in_level(&mut self, level: usize, segments: &[&ast::Ident]) -> Option<Resolved<'s>> {
        let lv = &self.levels[level];
        let mut fields = lv.fields;
        let mut keys = Vec::new();
        let mut field: Option<&'s Field> = None;
        for seg in segments {
            if let Some(f) = field {
                if f.ty != FieldType::Object {
                    let msg = if f.ty == FieldType::Array {
                        format!(
                            "`{}` is an array; its elements are reached inside `[] <- {} < … >`",
                            keys.join("."),
                            keys.join(".")
                        )
                    } else {
                        format!(
                            "`{}` is a {}, it has no fields",
                            keys.join("."),
                            f.ty.name()
                        )
                    };
                    self.error(codes::SHAPE_SOURCE, seg.span, msg)
                        .label(format!("`{}` cannot be reached this way", seg.name));
                    return None;
                }
                fields = &f.children;
            }
            let Some(next) = spec::find(fields, &seg.name) else {
                let owner = if keys.is_empty() {
                    self.level_owner(level)
                } else {
                    format!("`{}`", keys.join("."))
                };
                let help = suggest_field(&seg.name, fields);
                self.error(
                    codes::UNKNOWN_SOURCE_FIELD,
                    seg.span,
                    format!("unknown source field `{}`", seg.name),
                )
                .label(format!("not a field of {owner}"))
                .help(help);
                return None;
            };
            keys.push(next.name.clone());
            field = Some(next);
        }
        let field = field?;
        let lv = &self.levels[level];
        let display = if lv.display.is_empty() {
            keys.join(".")
        } else {
            format!("{}.{}", lv.display, keys.join("."))
        };
        Some(Resolved {
            level,
            field,
            field_ref: model::FieldRef {
                level,
                path: keys,
                display,
            },
        })
    }

    fn level_owner(&self, level: usize) -> String {
        if level == 0 {
            self.source_api
                .map(|a| format!("{}.{}", a.system, a.api))
                .unwrap_or_default()
        } else {
            format!(
                "the elements of `{}`",
                self.levels[level].display.trim_end_matches("[]")
            )
        }
    }

    /// Resolves a source path (in an expression or after `<-`). With
    /// `composite`, the field may be an array or object.
    fn resolve_path(&mut self, path: &ast::Path, composite: bool) -> Option<Resolved<'s>> {
        let segs: Vec<&ast::Ident> = path.segments.iter().collect();
        let first = segs.first()?;
        // `record.x`: the record itself.
        if first.name == "record"
            && segs.len() > 1
            && spec::find(self.levels[0].fields, "record").is_none()
        {
            return self.resolve_checked(0, &segs[1..], path, composite);
        }
        // `details_list.x` / `alias.x`: a qualified element.
        if segs.len() > 1 {
            if let Some(level) = (1..self.levels.len())
                .rev()
                .find(|&l| self.levels[l].qualifier == first.name)
            {
                return self.resolve_checked(level, &segs[1..], path, composite);
            }
        } else if (1..self.levels.len()).any(|l| self.levels[l].qualifier == first.name)
            && !self
                .levels
                .iter()
                .any(|l| spec::find(l.fields, &first.name).is_some())
        {
            self.error(
                codes::SHAPE_SOURCE,
                first.span,
                format!("`{}` is an array element, not a value", first.name),
            )
            .label("the element as a whole")
            .help(format!("name one of its fields: `{}.FIELD`", first.name));
            return None;
        }
        // A bare name: look at every level in scope.
        let found: Vec<usize> = (0..self.levels.len())
            .rev()
            .filter(|&l| spec::find(self.levels[l].fields, &first.name).is_some())
            .collect();
        match found.len() {
            0 => {
                let mut candidates: Vec<&Field> = Vec::new();
                for l in self.levels.iter().rev() {
                    candidates.extend(l.fields.iter());
                }
                let names: Vec<&str> = candidates.iter().map(|f| f.name.as_str()).collect();
                let owner = if self.levels.len() == 1 {
                    self.level_owner(0)
                } else {
                    format!(
                        "{} or any enclosing level",
                        self.level_owner(self.levels.len() - 1)
                    )
                };
                let help = match closest(&first.name, names.iter().copied()) {
                    Some(c) => {
                        let f = candidates.iter().find(|f| f.name == c);
                        match f {
                            Some(f) if !f.label.is_empty() => {
                                format!("did you mean `{c}` ({})?", f.label)
                            }
                            _ => format!("did you mean `{c}`?"),
                        }
                    }
                    None => match (self.locals_named_like(&first.name), &self.failed_include) {
                        (Some(l), _) => format!("did you mean the local `{l}`?"),
                        (None, Some(inc)) => {
                            format!("it may be declared in \"{inc}\", which could not be loaded")
                        }
                        (None, None) => "see the API's fields in its spec under specs/".into(),
                    },
                };
                self.error(
                    codes::UNKNOWN_SOURCE_FIELD,
                    first.span,
                    format!("unknown source field `{}`", first.name),
                )
                .label(format!("not a field of {owner}"))
                .help(help);
                None
            }
            1 => self.resolve_checked(found[0], &segs, path, composite),
            _ => {
                let quals: Vec<String> = found
                    .iter()
                    .map(|&l| format!("`{}.{}`", self.levels[l].qualifier, path.dotted()))
                    .collect();
                let levels: Vec<String> = found.iter().map(|&l| self.level_owner(l)).collect();
                self.error(
                    codes::AMBIGUOUS_NAME,
                    first.span,
                    format!("`{}` is a field of more than one level", first.name),
                )
                .label(format!("a field of {}", levels.join(" and of ")))
                .help(format!("qualify it: {}", quals.join(" or ")));
                None
            }
        }
    }

    /// Whether a source field of this name exists at any level in scope.
    pub(crate) fn is_field_in_scope(&self, name: &str) -> bool {
        self.levels
            .iter()
            .any(|l| spec::find(l.fields, name).is_some())
    }

    fn locals_named_like(&self, name: &str) -> Option<String> {
        let names: Vec<&str> = self
            .levels
            .iter()
            .flat_map(|l| l.locals.iter().map(|x| x.name.as_str()))
            .collect();
        closest(name, names.iter().copied()).map(str::to_string)
    }

    fn resolve_checked(
        &mut self,
        level: usize,
        segs: &[&ast::Ident],
        path: &ast::Path,
        composite: bool,
    ) -> Option<Resolved<'s>> {
        let r = self.resolve_in_level(level, segs)?;
        if !composite && r.field.ty.is_composite() {
            let what = if r.field.ty == FieldType::Array {
                "an array"
            } else {
                "an object"
            };
            let help = if r.field.ty == FieldType::Array {
                format!("map its elements: `TARGET[] <- {} < … >`", path.dotted())
            } else {
                let first = r
                    .field
                    .children
                    .first()
                    .map(|c| c.name.as_str())
                    .unwrap_or("x");
                format!("name one of its fields, e.g. `{}.{first}`", path.dotted())
            };
            self.error(
                codes::SHAPE_SOURCE,
                path.span,
                format!(
                    "`{}` is {what} ({}), not a value",
                    path.dotted(),
                    r.field.label
                ),
            )
            .label(format!("{what}, used as a value"))
            .help(help);
            return None;
        }
        if !r.field.ty.is_composite() {
            let scalar = source_scalar(r.field, self.source_api);
            let mut shape_path = self.levels[level].shape_path.clone();
            shape_path.extend(
                r.field_ref
                    .path
                    .iter()
                    .map(|key| (key.clone(), ShapeStep::Object)),
            );
            self.mark_read(&shape_path, Some(scalar));
        }
        Some(r)
    }
}

/// How a source scalar field is decoded.
fn source_scalar(f: &Field, api: Option<&ApiSpec>) -> model::SourceScalar {
    let ty = base_of(f.ty);
    let format = match f.ty {
        FieldType::Datetime => Some(f.format.clone().unwrap_or_else(|| {
            api.map(|a| a.datetime_format.clone())
                .unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into())
        })),
        FieldType::Date => Some(f.format.clone().unwrap_or_else(|| "%Y-%m-%d".into())),
        _ => None,
    };
    model::SourceScalar {
        ty,
        required: f.required,
        format,
    }
}

pub(crate) fn base_of(t: FieldType) -> Base {
    match t {
        FieldType::String => Base::Str,
        FieldType::Decimal => Base::Dec,
        FieldType::Integer => Base::Int,
        FieldType::Bool => Base::Bool,
        FieldType::Datetime => Base::DateTime,
        FieldType::Date => Base::Date,
        FieldType::List => Base::List,
        FieldType::Object | FieldType::Array => Base::Null,
    }
}

pub(crate) fn const_base(c: &model::Const) -> Base {
    match c {
        model::Const::Null => Base::Null,
        model::Const::Str(_) => Base::Str,
        model::Const::Dec(_) => Base::Dec,
        model::Const::Int(_) => Base::Int,
        model::Const::Bool(_) => Base::Bool,
    }
}

/// "did you mean …" for a name among spec fields, with the 中文 label.
fn suggest_field(name: &str, fields: &[Field]) -> String {
    match closest(name, fields.iter().map(|f| f.name.as_str())) {
        Some(c) => match spec::find(fields, c) {
            Some(f) if !f.label.is_empty() => format!("did you mean `{c}` ({})?", f.label),
            _ => format!("did you mean `{c}`?"),
        },
        None => {
            let mut names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            if names.len() > 12 {
                names.truncate(12);
                names.push("…");
            }
            format!("the fields here are: {}", names.join(", "))
        }
    }
}

/// Inserts a target field by dotted path, creating sub-objects in first-use
/// order.
fn insert_field(
    fields: &mut Vec<model::TargetField>,
    path: &str,
    prefix: &str,
    value: model::TargetValue,
) {
    let mut parts = path.split('.').peekable();
    let mut level = fields;
    let mut walked = String::from(prefix);
    while let Some(part) = parts.next() {
        if !walked.is_empty() && !walked.ends_with('.') {
            walked.push('.');
        }
        walked.push_str(part);
        if parts.peek().is_none() {
            let shown = match &value {
                model::TargetValue::Array { .. } | model::TargetValue::List(_) => {
                    format!("{walked}[]")
                }
                _ => walked.clone(),
            };
            level.push(model::TargetField {
                name: part.to_string(),
                path: shown,
                value,
            });
            return;
        }
        let idx = match level.iter().position(|f| f.name == part) {
            Some(i) => i,
            None => {
                level.push(model::TargetField {
                    name: part.to_string(),
                    path: walked.clone(),
                    value: model::TargetValue::Object(Vec::new()),
                });
                level.len() - 1
            }
        };
        match &mut level[idx].value {
            model::TargetValue::Object(children) => level = children,
            _ => return,
        }
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

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn time_format(zone: &str, datetime_format: &str) -> model::TimeFormat {
    model::TimeFormat {
        utc_offset_secs: parse_offset(zone).unwrap_or(8 * 3600),
        datetime_format: datetime_format.to_string(),
        date_format: "%Y-%m-%d".into(),
    }
}

/// Parses a zone as the language accepts it: `+08:00`, `-05:00`, `Z`, `UTC`,
/// or one of the named zones without daylight saving time.
pub fn parse_offset(zone: &str) -> Option<i32> {
    match zone {
        "Z" | "UTC" | "Etc/UTC" => return Some(0),
        "Asia/Shanghai" | "Asia/Hong_Kong" | "Asia/Taipei" | "Asia/Singapore"
        | "Asia/Chongqing" | "PRC" => return Some(8 * 3600),
        _ => {}
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}
