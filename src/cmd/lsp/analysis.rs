//! What the language server answers, computed from a document's text and
//! the specs: diagnostics (the checker's, as `duijie check` gives them),
//! completion, hover, definition and the "did you mean" fixes.

use std::path::{Path, PathBuf};

use duijie_compiler::diag::Severity;
use duijie_compiler::spec::{Field, FormSpec, Specs};
use lsp_types::{
    CompletionItem, CompletionItemKind, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Documentation, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, Range, Url,
};

use super::scan::{self, Braces, DeclKind, Levels};
use super::text;

/// The manual, whose function table documents every built-in function.
const MANUAL: &str = include_str!("../../../docs/language.md");

/// A built-in function as the manual documents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDoc {
    pub name: String,
    /// `round(x, n)`
    pub signature: String,
    /// `dec, int → dec`
    pub types: String,
    /// Whether (and how) it may fail the record.
    pub fails: String,
}

/// The rows of the manual's function table.
pub fn functions() -> Vec<FunctionDoc> {
    let Some(start) = MANUAL.find("\n## Functions") else {
        return Vec::new();
    };
    let section = &MANUAL[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |n| n + 3)];
    let mut out = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [sigs, types, fails, ..] = cells[..] else {
            continue;
        };
        for sig in sigs.split("`, `") {
            let sig = sig.trim_matches('`').to_string();
            let name = sig.split('(').next().unwrap_or("").to_string();
            out.push(FunctionDoc {
                name,
                signature: sig,
                types: types.trim_matches('`').to_string(),
                fails: fails.to_string(),
            });
        }
    }
    out
}

/// The project root of a `.map` file: the directory holding its `maps/`
/// (or the file's own directory).
pub fn project_root(path: &Path) -> PathBuf {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == "maps") {
            return d.parent().unwrap_or(Path::new("")).to_path_buf();
        }
        dir = d.parent();
    }
    path.parent().unwrap_or(Path::new("")).to_path_buf()
}

/// The specs a file is checked against: the built-in ones with its
/// project's `specs/` laid over them.
pub fn load_specs(root: &Path) -> Result<Specs, String> {
    let mut specs = Specs::embedded().map_err(|e| e.to_string())?;
    let dir = root.join("specs");
    if dir.is_dir() {
        specs.add_overlay(&dir).map_err(|e| e.to_string())?;
    }
    Ok(specs)
}

/// The checker's diagnostics of `text` (the file `path`), by file: the
/// document's own and those of files it includes.
pub fn diagnostics(path: &Path, text: &str, specs: &Specs) -> Vec<(PathBuf, Vec<Diagnostic>)> {
    let out = duijie_compiler::check_source(path, text, specs);
    let mut by_file: Vec<(PathBuf, Vec<Diagnostic>)> = vec![(path.to_path_buf(), Vec::new())];
    for d in &out.diagnostics {
        let file = PathBuf::from(out.files.name(d.primary.file));
        let file_text = out.files.text(d.primary.file);
        let range = text::range(file_text, d.primary.span.start, d.primary.span.end);
        let related = d
            .secondary
            .iter()
            .filter_map(|l| {
                let url = Url::from_file_path(absolute(Path::new(out.files.name(l.file)))).ok()?;
                let t = out.files.text(l.file);
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: url,
                        range: text::range(t, l.span.start, l.span.end),
                    },
                    message: l.message.clone(),
                })
            })
            .collect::<Vec<_>>();
        let mut message = d.message.clone();
        if !d.primary.message.is_empty() {
            message.push_str(&format!(" ({})", d.primary.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let diagnostic = Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.id.to_string())),
            source: Some("duijie".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: d.help.as_ref().map(|h| serde_json::json!({ "help": h })),
            ..Diagnostic::default()
        };
        match by_file.iter_mut().find(|(f, _)| *f == file) {
            Some((_, list)) => list.push(diagnostic),
            None => by_file.push((file, vec![diagnostic])),
        }
    }
    by_file
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    }
}

/// The replacement a diagnostic's help proposes: the text in the first
/// backticks of "did you mean `…`".
pub fn suggestion(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    Some(&rest[..rest.find('`')?])
}

/// Where a field sits in its spec, for messages.
struct Found<'a> {
    field: &'a Field,
    spec: String,
    file: String,
}

/// The children of the field at dotted `path` of `fields` (the top when
/// `path` is empty).
fn level<'a>(fields: &'a [Field], path: &str) -> Option<&'a [Field]> {
    if path.is_empty() {
        return Some(fields);
    }
    let mut level = fields;
    for seg in path.split('.') {
        level = &level.iter().find(|f| f.name == seg)?.children;
    }
    Some(level)
}

fn find<'a>(fields: &'a [Field], path: &str) -> Option<&'a Field> {
    let (parent, name) = match path.rsplit_once('.') {
        Some((p, n)) => (p, n),
        None => ("", path),
    };
    level(fields, parent)?.iter().find(|f| f.name == name)
}

fn describe(f: &Field) -> String {
    let required = if f.required { " · required" } else { "" };
    format!("{} · {}{required}", f.label, f.ty.name())
}

/// The source levels visible at `levels`, innermost first: (dotted path of
/// the level, its fields).
fn source_levels<'a>(response: &'a [Field], levels: &Levels) -> Vec<(String, &'a [Field])> {
    let mut out = Vec::new();
    for depth in (0..=levels.source.len()).rev() {
        let path = levels.source[..depth].join(".");
        if let Some(fields) = level(response, &path) {
            out.push((path, fields));
        }
    }
    out
}

/// Completion at byte `offset` of `text`.
pub fn complete(path: &Path, text: &str, offset: usize, specs: &Specs) -> Vec<CompletionItem> {
    let header = scan::header(text);
    let levels = scan::levels(text, offset);
    let line = text::line_before(text, offset);
    let typed: String = line
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let parent = typed.rsplit_once('.').map(|(p, _)| p.to_string());
    let rhs = scan::in_expression(line);
    let api = header.source.as_ref().and_then(|(s, a)| specs.api(s, a));
    let form = header
        .target
        .as_ref()
        .and_then(|(s, _, f)| specs.form(s, f));
    let op = header
        .target
        .as_ref()
        .and_then(|(s, o, _)| specs.operation(s, o));
    let mut items = Vec::new();
    if let Some(found) = lookup_completion(path, text, line, &typed, specs) {
        return found;
    }
    let field_item =
        |f: &Field, label: String, kind: CompletionItemKind, sort: &str, file: &str| {
            CompletionItem {
                label,
                kind: Some(kind),
                detail: Some(describe(f)),
                documentation: Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: format!("`{}` — {}\n\n{}", f.path, describe(f), file),
                })),
                sort_text: Some(format!("{sort}{}", f.name)),
                ..CompletionItem::default()
            }
        };
    match (levels.braces, rhs) {
        (Braces::SourceParams, false) => {
            if let Some(api) = api {
                for f in &api.request {
                    if f.supplied_by.is_none() {
                        items.push(field_item(
                            f,
                            f.name.clone(),
                            CompletionItemKind::PROPERTY,
                            "0",
                            &api.file,
                        ));
                    }
                }
            }
        }
        (Braces::SourceParams, true) => {
            for v in duijie_compiler::check::SYNC_VARIABLES {
                items.push(CompletionItem {
                    label: (*v).to_string(),
                    kind: Some(CompletionItemKind::CONSTANT),
                    detail: Some("sync variable".into()),
                    ..CompletionItem::default()
                });
            }
        }
        (Braces::TargetOptions, false) => {
            if let Some(op) = op {
                for f in &op.options {
                    items.push(field_item(
                        f,
                        f.name.clone(),
                        CompletionItemKind::PROPERTY,
                        "0",
                        &op.file,
                    ));
                }
            }
        }
        (Braces::Table | Braces::TargetOptions, _) => {}
        (_, false) => {
            // Target fields of this level not yet assigned, required first.
            let Some(form) = form else {
                return items;
            };
            let base = levels.target_path();
            let path = match &parent {
                Some(p) if base.is_empty() => p.clone(),
                Some(p) => format!("{base}.{p}"),
                None => base.clone(),
            };
            let assigned = assigned_names(text, &levels);
            if let Some(fields) = level(&form.fields, &path) {
                for f in fields {
                    let local = match &parent {
                        Some(p) => format!("{p}.{}", f.name),
                        None => f.name.clone(),
                    };
                    if assigned.iter().any(|a| a == &local) {
                        continue;
                    }
                    let sort = if f.required { "0" } else { "1" };
                    items.push(field_item(
                        f,
                        f.name.clone(),
                        CompletionItemKind::FIELD,
                        sort,
                        &form.file,
                    ));
                }
            }
        }
        (_, true) => {
            if let Some(api) = api {
                let visible = source_levels(&api.response, &levels);
                match parent.as_deref() {
                    Some("record") => {
                        for f in &api.response {
                            items.push(field_item(
                                f,
                                f.name.clone(),
                                CompletionItemKind::FIELD,
                                "0",
                                &api.file,
                            ));
                        }
                    }
                    Some(p) => {
                        for (lvl, _) in &visible {
                            let full = if lvl.is_empty() {
                                p.to_string()
                            } else {
                                format!("{lvl}.{p}")
                            };
                            if let Some(children) = level(&api.response, &full) {
                                for f in children {
                                    items.push(field_item(
                                        f,
                                        f.name.clone(),
                                        CompletionItemKind::FIELD,
                                        "0",
                                        &api.file,
                                    ));
                                }
                                break;
                            }
                        }
                    }
                    None => {
                        for (depth, (_, fields)) in visible.iter().enumerate() {
                            for f in fields.iter() {
                                if items.iter().any(|i: &CompletionItem| i.label == f.name) {
                                    continue;
                                }
                                let sort = format!("{depth}");
                                items.push(field_item(
                                    f,
                                    f.name.clone(),
                                    CompletionItemKind::FIELD,
                                    &sort,
                                    &api.file,
                                ));
                            }
                        }
                    }
                }
            }
            if parent.is_none() {
                for doc in functions() {
                    if items.iter().any(|i| i.label == doc.name) {
                        continue;
                    }
                    items.push(CompletionItem {
                        label: doc.name.clone(),
                        kind: Some(CompletionItemKind::FUNCTION),
                        detail: Some(format!("{} : {}", doc.signature, doc.types)),
                        documentation: Some(Documentation::String(format!(
                            "may fail the record: {}",
                            doc.fails
                        ))),
                        sort_text: Some(format!("8{}", doc.name)),
                        ..CompletionItem::default()
                    });
                }
                for d in scan::declared(path, text) {
                    let (kind, detail) = match d.kind {
                        DeclKind::Table => (CompletionItemKind::STRUCT, "table"),
                        DeclKind::Def => (CompletionItemKind::FUNCTION, "definition"),
                        DeclKind::Local => (CompletionItemKind::VARIABLE, "local"),
                        DeclKind::Lookup => (CompletionItemKind::STRUCT, "lookup of master data"),
                    };
                    if d.kind == DeclKind::Local && (d.file != path || d.at > offset) {
                        continue;
                    }
                    items.push(CompletionItem {
                        label: d.name.clone(),
                        kind: Some(kind),
                        detail: Some(detail.into()),
                        sort_text: Some(format!("5{}", d.name)),
                        ..CompletionItem::default()
                    });
                }
            }
        }
    }
    items
}

/// The form of the lookup `name` declared in the file or its includes.
fn lookup_form<'s>(path: &Path, text: &str, name: &str, specs: &'s Specs) -> Option<&'s FormSpec> {
    let decl = scan::declared(path, text)
        .into_iter()
        .find(|d| d.kind == DeclKind::Lookup && d.name == name)?;
    let mut words = decl.text.split_whitespace();
    let form = words.by_ref().skip_while(|w| *w != "kingdee").nth(1)?;
    specs.form("kingdee", form)
}

/// Completion in a lookup: the forms after `lookup NAME = kingdee `, their
/// query fields after `by ` and after `NAME[key].`.
fn lookup_completion(
    path: &Path,
    text: &str,
    line: &str,
    typed: &str,
    specs: &Specs,
) -> Option<Vec<CompletionItem>> {
    let before = &line[..line.len() - typed.len()];
    let query_items = |form: &FormSpec| {
        form.query_fields
            .iter()
            .map(|q| CompletionItem {
                label: q.name.clone(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(format!("{} · {} ({})", q.label, q.ty.name(), form.form)),
                sort_text: Some(format!("{}{}", if q.required { "0" } else { "1" }, q.name)),
                ..CompletionItem::default()
            })
            .collect::<Vec<_>>()
    };
    let t = before.trim_start();
    if t.starts_with("lookup ") {
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.ends_with(' ') && words.last() == Some(&"kingdee") {
            return Some(
                specs
                    .forms()
                    .filter(|f| f.system == "kingdee" && !f.query_fields.is_empty())
                    .map(|f| CompletionItem {
                        label: f.form.clone(),
                        kind: Some(CompletionItemKind::MODULE),
                        detail: Some(format!("{} (master data)", f.label)),
                        ..CompletionItem::default()
                    })
                    .collect(),
            );
        }
        if t.ends_with(' ') && words.last() == Some(&"by") {
            let form = words.iter().rev().nth(1)?;
            return specs.form("kingdee", form).map(query_items);
        }
        return None;
    }
    // `NAME[…].` with the cursor after the dot.
    let rest = typed.strip_prefix('.')?;
    if rest.contains('.') {
        return None;
    }
    let inner = before.strip_suffix(']')?;
    let mut depth = 0usize;
    let mut open = None;
    for (i, c) in inner.char_indices().rev() {
        match c {
            ']' => depth += 1,
            '[' if depth == 0 => {
                open = Some(i);
                break;
            }
            '[' => depth -= 1,
            _ => {}
        }
    }
    let name: String = inner[..open?]
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    lookup_form(path, text, &name, specs).map(query_items)
}

/// The targets assigned in the block the position is in (at its level).
fn assigned_names(text: &str, at: &Levels) -> Vec<String> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let code = scan::strip_comment(line);
        let t = code.trim_start();
        if let Some((lhs, _)) = t.split_once('=') {
            let lhs = lhs.trim();
            let simple = !lhs.is_empty()
                && lhs
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
            if simple && !t.starts_with("let ") {
                let here = scan::levels(text, offset + (code.len() - t.len()));
                if here.target == at.target && here.braces == Braces::None {
                    out.push(lhs.to_string());
                }
            }
        }
        offset += line.len();
    }
    out
}

/// What hovering over the word at `offset` shows, and the word's range.
pub fn hover(path: &Path, text: &str, offset: usize, specs: &Specs) -> Option<(String, Range)> {
    let (start, end, word) = text::word_at(text, offset)?;
    let range = text::range(text, start, end);
    if text[end..].trim_start().starts_with('(') {
        if let Some(doc) = functions().into_iter().find(|f| f.name == word) {
            return Some((
                format!(
                    "```\n{}\n```\n{}\n\nmay fail the record: {}",
                    doc.signature, doc.types, doc.fails
                ),
                range,
            ));
        }
    }
    if let Some(d) = scan::declared(path, text)
        .into_iter()
        .find(|d| d.name == word)
    {
        return Some((format!("```\n{}\n```", d.text.trim_end()), range));
    }
    let found = resolve_field(text, start, word, specs)?;
    let f = found.field;
    Some((
        format!(
            "**{}** — {}\n\n`{}` of {} ({})",
            f.name,
            describe(f),
            f.path,
            found.spec,
            found.file
        ),
        range,
    ))
}

/// The spec field the word at `start` names: a target field on the left of
/// an assignment, a source field (at this level or an enclosing one) on the
/// right, a request parameter or option inside their braces.
fn resolve_field<'a>(text: &str, start: usize, word: &str, specs: &'a Specs) -> Option<Found<'a>> {
    let header = scan::header(text);
    let levels = scan::levels(text, start);
    let rhs = scan::in_expression(text::line_before(text, start));
    match (levels.braces, rhs) {
        (Braces::SourceParams, false) => {
            let (s, a) = header.source.as_ref()?;
            let api = specs.api(s, a)?;
            Some(Found {
                field: find(&api.request, word)?,
                spec: format!("{s}.{a} (request)"),
                file: api.file.clone(),
            })
        }
        (Braces::TargetOptions, false) => {
            let (s, o, _) = header.target.as_ref()?;
            let op = specs.operation(s, o)?;
            Some(Found {
                field: find(&op.options, word)?,
                spec: format!("{s}.{o} (options)"),
                file: op.file.clone(),
            })
        }
        (_, false) => {
            let (s, _, form_name) = header.target.as_ref()?;
            let form = specs.form(s, form_name)?;
            let base = levels.target_path();
            let full = if base.is_empty() {
                word.to_string()
            } else {
                format!("{base}.{word}")
            };
            Some(Found {
                field: find(&form.fields, &full)?,
                spec: format!("{s}.{form_name}"),
                file: form.file.clone(),
            })
        }
        (_, true) => {
            let (s, a) = header.source.as_ref()?;
            let api = specs.api(s, a)?;
            let word = word.strip_prefix("record.").unwrap_or(word);
            for (lvl, _) in source_levels(&api.response, &levels) {
                let full = if lvl.is_empty() {
                    word.to_string()
                } else {
                    format!("{lvl}.{word}")
                };
                if let Some(field) = find(&api.response, &full) {
                    let level = if lvl.is_empty() {
                        "the record".to_string()
                    } else {
                        format!("the elements of `{lvl}`")
                    };
                    return Some(Found {
                        field,
                        spec: format!("{s}.{a}, a field of {level}"),
                        file: api.file.clone(),
                    });
                }
            }
            None
        }
    }
}

/// Where the word at `offset` is defined: a table or definition (here or
/// in an included file), an included file, or a spec field (its row in the
/// spec TOML).
pub fn definition(path: &Path, text: &str, offset: usize, specs: &Specs) -> Option<Location> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    if line.trim_start().starts_with("include") {
        let rel = scan::quoted(line)?;
        let file = absolute(&path.parent().unwrap_or(Path::new("")).join(rel));
        return Some(Location {
            uri: Url::from_file_path(file).ok()?,
            range: Range::default(),
        });
    }
    let (start, _, word) = text::word_at(text, offset)?;
    if let Some(d) = scan::declared(path, text)
        .into_iter()
        .find(|d| d.name == word)
    {
        let decl_text = if d.file == path {
            text.to_string()
        } else {
            std::fs::read_to_string(&d.file).ok()?
        };
        let at = text::position(&decl_text, d.at);
        return Some(Location {
            uri: Url::from_file_path(absolute(&d.file)).ok()?,
            range: Range { start: at, end: at },
        });
    }
    let found = resolve_field(text, start, word, specs)?;
    let file = spec_file(path, &found.file)?;
    let spec_text = std::fs::read_to_string(&file).ok()?;
    let needle = format!("name = \"{}\"", found.field.path);
    let at = spec_text.find(&needle).unwrap_or(0);
    let pos = text::position(&spec_text, at);
    Some(Location {
        uri: Url::from_file_path(absolute(&file)).ok()?,
        range: Range {
            start: pos,
            end: Position {
                line: pos.line,
                character: pos.character + needle.chars().count() as u32,
            },
        },
    })
}

/// The file on disk of a spec named `name` (`specs/kingdee/X.toml` for a
/// built-in one): the project's copy, else duijie's checkout.
fn spec_file(path: &Path, name: &str) -> Option<PathBuf> {
    let named = PathBuf::from(name);
    if named.is_absolute() && named.is_file() {
        return Some(named);
    }
    let root = project_root(&absolute(path));
    [
        root.join(name),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_documents_every_function() {
        let docs = functions();
        for name in duijie_compiler::check::FUNCTIONS {
            assert!(
                docs.iter().any(|d| d.name == *name),
                "no row for {name} in docs/language.md"
            );
        }
        let round = docs.iter().find(|d| d.name == "round").unwrap();
        assert_eq!(round.signature, "round(x, n)");
        assert_eq!(round.types, "dec, int → dec");
    }

    /// Every answer on every prefix of the schemes of this repository (as
    /// they are while being typed), and on them with a character dropped or
    /// doubled, without a panic.
    #[test]
    fn lookups_complete_their_forms_and_query_fields() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let specs = load_specs(root).unwrap();
        let path = root.join("maps/wdt_stockin_purchase_to_kingdee.map");
        let labels = |text: &str| -> Vec<String> {
            complete(&path, text, text.len(), &specs)
                .into_iter()
                .map(|i| i.label)
                .collect()
        };
        let forms = labels("lookup m = kingdee ");
        assert!(forms.contains(&"BD_MATERIAL".to_string()), "{forms:?}");
        assert!(
            !forms.contains(&"PUR_PurchaseOrder".to_string()),
            "{forms:?}"
        );
        let by = labels("lookup m = kingdee BD_Supplier by ");
        assert!(by.contains(&"FName".to_string()), "{by:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find("material[spec_no].FNumber").unwrap() + "material[spec_no].".len();
        let fields: Vec<String> = complete(&path, &text[..at], at, &specs)
            .into_iter()
            .map(|i| i.label)
            .collect();
        for f in ["FMATERIALID", "FName", "FBaseUnitId.FNumber"] {
            assert!(fields.contains(&f.to_string()), "{f}: {fields:?}");
        }
        assert!(!fields.contains(&"FSupplierId".to_string()), "{fields:?}");
    }

    #[test]
    fn half_typed_files_get_answers_not_panics() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let specs = load_specs(root).unwrap();
        let files = [
            root.join("maps/wdt_purchase_to_kingdee.map"),
            root.join("maps/wdtqm_stockin_to_kingdee.map"),
            root.join("maps/shared/kingdee_codes.map"),
            root.join("tests/fixtures/codegen/kitchen_sink.map"),
            root.join("maps/wdt_stockin_purchase_to_kingdee.map"),
        ];
        for file in &files {
            let full = std::fs::read_to_string(file).unwrap();
            let cuts: Vec<usize> = (0..full.len())
                .step_by(53)
                .filter(|i| full.is_char_boundary(*i))
                .collect();
            for &cut in &cuts {
                let mut variants = vec![full[..cut].to_string()];
                let next = full[cut..].chars().next();
                if let Some(c) = next {
                    let mut dropped = full.clone();
                    dropped.replace_range(cut..cut + c.len_utf8(), "");
                    let mut doubled = full.clone();
                    doubled.insert(cut, c);
                    variants.push(dropped);
                    variants.push(doubled);
                }
                for text in &variants {
                    let _ = diagnostics(file, text, &specs);
                    // Where the cursor is while typing.
                    let mut at = cut.min(text.len());
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let _ = complete(file, text, at, &specs);
                    let _ = hover(file, text, at, &specs);
                    let _ = definition(file, text, at, &specs);
                }
            }
        }
    }

    #[test]
    fn a_suggestion_is_the_text_in_backticks() {
        assert_eq!(
            suggestion("did you mean `price` (税前单价)?"),
            Some("price")
        );
        assert_eq!(suggestion("parse it: `to_date(x)`"), None);
    }
}
