//! Files: parsing them, following `include`s depth first (reporting cycles,
//! unreadable files and scheme items where only shared ones may be), and
//! declaring the tables and definitions each file holds.

use std::path::{Path, PathBuf};

use duijie_dsl::ast::{self, Span};

use super::report::Repeat;
use super::{functions, Checker, DefInfo, TableInfo};
use crate::diag::{codes, Diagnostic, FileId};

/// The includes being followed: each file's canonical path and its path
/// as named.
type IncludeStack = Vec<(PathBuf, PathBuf)>;

impl Checker<'_, '_> {
    pub(super) fn parse(&mut self, file: FileId) -> Option<ast::File> {
        let text = self.files.text(file).to_string();
        match duijie_dsl::parse(&text) {
            Ok(f) => Some(f),
            Err(e) => {
                let mut d = Diagnostic::error(codes::SYNTAX, file, e.span, e.message.clone());
                if !e.expected.is_empty() {
                    d.label(format!("expected {}", join_or(&e.expected)));
                }
                // Every error has a help line: the parser's hint for a known
                // mistake, else what would have been accepted.
                match e.help {
                    Some(h) => d.help(h),
                    None if !e.expected.is_empty() => d.help(format!(
                        "write {} here (docs/language.md describes the syntax)",
                        join_or(&e.expected)
                    )),
                    None => d.help("docs/language.md describes the syntax"),
                };
                self.push(d);
                None
            }
        }
    }

    /// Loads the files `file` (at `path`) includes, and theirs.
    pub(super) fn load_includes(
        &mut self,
        file: &ast::File,
        path: &Path,
        file_id: FileId,
        stack: &mut IncludeStack,
    ) {
        for item in &file.items {
            let ast::Item::Include(inc) = item else {
                continue;
            };
            self.file = file_id;
            self.load_include(inc, path, stack);
        }
    }

    fn load_include(&mut self, inc: &ast::Include, path: &Path, stack: &mut IncludeStack) {
        let dir = path.parent().unwrap_or(Path::new(""));
        let inc_path = dir.join(&inc.path.value);
        let canon = canonical(&inc_path);
        if let Some(pos) = stack.iter().position(|(p, _)| *p == canon) {
            self.include_cycle(inc, &stack[pos..], &inc_path);
            return;
        }
        if self.inputs.iter().any(|p| canonical(p) == canon) {
            return; // already included through another file
        }
        let Some(text) = self.read_include(inc, &inc_path) else {
            return;
        };
        self.inputs.push(inc_path.clone());
        let id = self.files.add(inc_path.display().to_string(), text);
        let Some(inc_file) = self.parse(id) else {
            return;
        };
        stack.push((canon, inc_path.clone()));
        self.load_includes(&inc_file, &inc_path, id, stack);
        stack.pop();
        self.file = id;
        self.reject_scheme_items(&inc_file);
        self.declare_items(&inc_file, id, false);
    }

    /// Reports an include of a file that is being included already.
    fn include_cycle(&mut self, inc: &ast::Include, chain: &[(PathBuf, PathBuf)], to: &Path) {
        // Shown as the files were named, not as absolute paths.
        let chain: Vec<String> = chain
            .iter()
            .map(|(_, shown)| shown.as_path())
            .chain(std::iter::once(to))
            .map(|p| p.display().to_string())
            .collect();
        self.error(
            codes::INCLUDE_CYCLE,
            inc.path.span,
            "files include each other",
        )
        .label("this include closes a cycle")
        .help(format!("the chain is {}", chain.join(" → ")));
    }

    fn read_include(&mut self, inc: &ast::Include, inc_path: &Path) -> Option<String> {
        match std::fs::read_to_string(inc_path) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error(
                    codes::CANNOT_READ,
                    inc.path.span,
                    format!("cannot read the included file {}: {e}", inc_path.display()),
                )
                .label("included here")
                .help("include paths are relative to the including file");
                self.failed_include = Some(inc.path.value.clone());
                None
            }
        }
    }

    /// Reports the scheme items of an included file.
    fn reject_scheme_items(&mut self, inc_file: &ast::File) {
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
                    "an included file may hold only `table`, `lookup`, `def` and `include` items",
                )
                .label("a scheme item in an included file")
                .help("move it into the scheme that includes this file");
            }
        }
    }

    /// Registers the tables and definitions of a file.
    pub(super) fn declare_items(&mut self, file: &ast::File, id: FileId, local: bool) {
        self.file = id;
        for item in &file.items {
            match item {
                ast::Item::Table(t) => self.declare_table(t, id, local),
                ast::Item::Lookup(l) => self.declare_lookup(l, id),
                ast::Item::Def(d) => self.declare_def(d, id),
                _ => {}
            }
        }
    }

    fn declare_table(&mut self, t: &ast::TableDecl, id: FileId, local: bool) {
        if self.name_used_twice(&t.name) {
            return;
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

    fn declare_def(&mut self, d: &ast::DefDecl, id: FileId) {
        if self.name_used_twice(&d.name) {
            return;
        }
        if functions::is_builtin(&d.name.name) {
            self.error(
                codes::DUPLICATE_NAME,
                d.name.span,
                format!("`{}` is a built-in function", d.name.name),
            )
            .label("this definition would hide it")
            .help("choose another name");
            return;
        }
        self.defs.insert(
            d.name.name.clone(),
            DefInfo {
                decl: d.clone(),
                file: id,
            },
        );
    }

    /// Reports a table or definition name declared before; true if it was.
    pub(super) fn name_used_twice(&mut self, name: &ast::Ident) -> bool {
        let Some(first) = self.name_taken(&name.name) else {
            return false;
        };
        self.set_twice(
            codes::DUPLICATE_NAME,
            name.span,
            format!("the name `{}` is used twice", name.name),
            Repeat::Declared,
            first,
        )
        .help("tables, lookups and definitions share one namespace across a scheme and its includes: rename one of them");
        true
    }

    fn name_taken(&self, name: &str) -> Option<(FileId, Span)> {
        if let Some(&i) = self.table_index.get(name) {
            return Some((self.tables[i].file, self.tables[i].span));
        }
        if let Some(&i) = self.lookup_index.get(name) {
            return Some((self.lookups[i].file, self.lookups[i].span));
        }
        self.defs.get(name).map(|d| (d.file, d.decl.name.span))
    }
}

/// The path with links and `..` resolved, for telling files apart; the path
/// itself when it cannot be resolved.
pub(crate) fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
