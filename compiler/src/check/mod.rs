//! The checker: from syntax trees and specs to a [`model::Scheme`], or to
//! diagnostics.
//!
//! It collects every error it can find rather than stopping at the first:
//! a wrong name is reported and the statement skipped, and expressions that
//! already failed are not reported again by what contains them.
//!
//! This module holds the entry points and the state shared by the checks;
//! each job has its own file:
//!
//! - `includes.rs`: parsing files, following `include`s, declaring tables
//!   and definitions;
//! - `tables.rs`: lookup tables and their use;
//! - `header.rs`: the scheme header (`scheme`, `target`, `id`, `number`),
//!   and `source.rs` for the `source` item and its request parameters;
//! - `block.rs`: the statements of the bill and of array elements;
//! - `target.rs`: target fields and required fields;
//! - `resolve.rs`: source field names in scope;
//! - `expr.rs`, `functions.rs` and `types.rs`: typing expressions;
//! - `report.rs`: the diagnostics many checks share; `zone.rs`: time zones.

mod block;
mod expr;
mod functions;
mod header;
mod includes;
mod lookups;
pub(crate) use includes::canonical;
mod report;
mod resolve;
mod source;
mod tables;
mod target;
mod types;
mod zone;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use duijie_dsl::ast::{self, Span};

use crate::diag::{codes, Diagnostic, FileId, SourceFiles};
use crate::model::{self, Base, Ty};
use crate::spec::{ApiSpec, Field, FieldType, FormSpec, Specs};

pub use zone::parse_offset;

/// Every built-in function's name (for editors; docs/language.md documents
/// each).
pub use functions::NAMES as FUNCTIONS;
/// The sync variables a request parameter can be bound to.
pub use source::SYNC as SYNC_VARIABLES;

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
    /// The tables of libraries this file read (its includes', or its own
    /// when it is a library), and whether it used them; see
    /// [`warn_unused_library_tables`].
    pub library_tables: Vec<LibraryTable>,
}

/// A table declared in a library, as one checked file saw it.
#[derive(Debug, Clone)]
pub struct LibraryTable {
    /// The library's canonical path.
    pub path: PathBuf,
    pub name: String,
    /// Where it is declared, in the checked file's [`SourceFiles`].
    pub file: FileId,
    pub span: Span,
    /// The checked file is a scheme that uses it, or has errors (it may use
    /// it where its errors are, so it is not called unused).
    pub used: bool,
}

/// Gives W0001 for every library table that none of `outputs` uses (see
/// [`LibraryTable::used`]). The warning goes to the first output that read
/// the library, so put the files whose diagnostics are shown first.
pub fn warn_unused_library_tables(outputs: &mut [CheckOutput]) {
    use std::collections::HashSet;
    let used: HashSet<(&Path, &str)> = outputs
        .iter()
        .flat_map(|o| &o.library_tables)
        .filter(|t| t.used)
        .map(|t| (t.path.as_path(), t.name.as_str()))
        .collect();
    let mut warnings: Vec<(usize, Diagnostic)> = Vec::new();
    let mut warned: HashSet<(&Path, &str)> = HashSet::new();
    for (i, o) in outputs.iter().enumerate() {
        for t in &o.library_tables {
            let key = (t.path.as_path(), t.name.as_str());
            if used.contains(&key) || !warned.insert(key) {
                continue;
            }
            let mut d = Diagnostic::warning(
                codes::UNUSED_TABLE,
                t.file,
                t.span,
                format!("table `{}` of a library is used by no scheme", t.name),
            );
            d.label("declared here")
                .help("use it from a scheme with `name[key]`, or remove it from the library");
            warnings.push((i, d));
        }
    }
    for (i, d) in warnings {
        // Kept in file order.
        outputs[i].diagnostics.push(d);
        dedup_diagnostics(&mut outputs[i].diagnostics);
    }
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
    let name = path.display().to_string();
    let d = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => return check_text(files, path, text, specs),
        // Shown with the bad bytes replaced, pointing at the first.
        Ok(Err(e)) => {
            let at = e.utf8_error().valid_up_to();
            let id = files.add(name, String::from_utf8_lossy(e.as_bytes()).into_owned());
            let mut d = Diagnostic::error(
                codes::CANNOT_READ,
                id,
                Span::new(at, at + '\u{FFFD}'.len_utf8()),
                format!(
                    "{} is not UTF-8: the byte at offset {at} is not part of a character",
                    path.display()
                ),
            );
            d.label(format!("byte {at}")).help(
                "save the file as UTF-8 (a `.map` file is UTF-8 text; a byte-order mark is allowed)",
            );
            d
        }
        Err(e) => {
            let id = files.add(name, String::new());
            let mut d = Diagnostic::error(
                codes::CANNOT_READ,
                id,
                Span::default(),
                format!("cannot read {}: {e}", path.display()),
            );
            d.help("check the path and its permissions");
            d
        }
    };
    CheckOutput {
        files,
        diagnostics: vec![d],
        scheme: None,
        is_library: false,
        inputs: vec![path.to_path_buf()],
        library_tables: Vec::new(),
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
        lookups: Vec::new(),
        lookup_index: HashMap::new(),
        used_lookups: Vec::new(),
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
    dedup_diagnostics(&mut diags);
    let has_errors = diags.iter().any(|d| d.is_error());
    let library_tables = cx
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| is_library || !t.local)
        .map(|(i, t)| LibraryTable {
            path: includes::canonical(Path::new(cx.files.name(t.file))),
            name: t.table.name.clone(),
            file: t.file,
            span: t.span,
            used: has_errors || (!is_library && cx.used_tables.contains(&i)),
        })
        .collect();
    drop(cx);
    CheckOutput {
        scheme: match scheme {
            Outcome::Scheme(s) if !has_errors => Some(*s),
            _ => None,
        },
        files,
        diagnostics: diags,
        is_library,
        inputs,
        library_tables,
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
struct TargetObject<'s> {
    /// Spec fields of this object.
    fields: &'s [Field],
    /// `FPOOrderEntry[].` — prefix of this object's field paths.
    prefix: String,
    /// Where each assigned field was first assigned (by dotted path from
    /// this object), for duplicate and required checks.
    assigned: HashMap<String, (FileId, Span)>,
}

impl<'s> TargetObject<'s> {
    /// An object with nothing assigned yet.
    fn new(fields: &'s [Field], prefix: String) -> Self {
        TargetObject {
            fields,
            prefix,
            assigned: HashMap::new(),
        }
    }
}

pub(crate) struct Checker<'s, 'f> {
    specs: &'s Specs,
    files: &'f mut SourceFiles,
    diags: Vec<Diagnostic>,
    inputs: Vec<PathBuf>,
    tables: Vec<TableInfo>,
    table_index: HashMap<String, usize>,
    /// Lookups declared, in declaration order.
    lookups: Vec<lookups::LookupInfo<'s>>,
    lookup_index: HashMap<String, usize>,
    /// Lookups used, in order of first use (index into `lookups`).
    used_lookups: Vec<usize>,
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

impl Checker<'_, '_> {
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

    fn run(&mut self, path: &Path, main: FileId) -> Outcome {
        let Some(file) = self.parse(main) else {
            return Outcome::Failed;
        };
        // Includes first, depth first, so that their names are known.
        let mut stack = vec![(includes::canonical(path), path.to_path_buf())];
        self.load_includes(&file, path, main, &mut stack);
        self.file = main;
        self.declare_items(&file, main, true);

        let (header, stmts) = header::Header::of(&file);
        if header.scheme.is_empty() {
            if header.items() + stmts.len() == 0 {
                // A library: its tables and definitions were checked as they were
                // declared; the schemes that include it use them.
                return Outcome::Library;
            }
            self.missing_scheme_header(&file);
            return Outcome::Failed;
        }
        let scheme = self.check_scheme(&header, &stmts);
        self.warn_unused_tables();
        self.warn_unused_lookups();
        match scheme {
            Some(s) => Outcome::Scheme(Box::new(s)),
            None => Outcome::Failed,
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
            // Read as a record's decimal is read, so that a literal that
            // passes the check never fails a record.
            ast::LitKind::Dec(text) => match duijie_maplib::dec::parse_dec(text) {
                Ok(_) => model::Const::Dec(text.clone()),
                Err(_) => {
                    self.error(
                        codes::BAD_LITERAL,
                        lit.span,
                        format!("the decimal {text} does not fit a decimal"),
                    )
                    .label("too many digits to be kept exactly")
                    .help(format!("{}; write fewer digits", duijie_maplib::dec::FITS));
                    return None;
                }
            },
        })
    }
}

/// The base type a spec field's values have.
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

/// The base type of a constant.
pub(crate) fn const_base(c: &model::Const) -> Base {
    match c {
        model::Const::Null => Base::Null,
        model::Const::Str(_) => Base::Str,
        model::Const::Dec(_) => Base::Dec,
        model::Const::Int(_) => Base::Int,
        model::Const::Bool(_) => Base::Bool,
    }
}
