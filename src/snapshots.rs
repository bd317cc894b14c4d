//! Payload snapshot tests of a project's schemes.
//!
//! A case is a file `fixtures/<scheme>/<case>.json`: a whole answer of the
//! scheme's source API (read by its connector, so an error answer is that
//! error), an array of records or one record. Its snapshot,
//! `fixtures/<scheme>/<case>.snap`, holds what the scheme makes of it: every
//! request body that would be sent (pretty-printed from the bytes the
//! runtime's own builder makes, `vendors::kingdee::save_requests`), then
//! one line per record that gave no bill, with its id and reason.
//!
//! Snapshots are in insta's format (a `---` header, then the body), and
//! follow insta's rules: a changed snapshot is written beside the old one
//! as `<case>.snap.new` (so `cargo insta review` works) and fails; a missing
//! one is written and passes, except in CI (`CI` set) or with
//! `INSTA_UPDATE=no`, where it fails; `--update` (or `INSTA_UPDATE=always`)
//! writes every snapshot.
//!
//! A scheme with lookups of master data finds its rows in
//! `fixtures/master_data.json` (`{ FORM: { KEY_FIELD: { KEY: { FIELD: "…" } } } }`,
//! [`MasterDataFile`]); a key not there makes its record wait, as a run
//! would, and the snapshot says so.
//!
//! `duijie test` runs the cases through the interpreter on the project's
//! `.map` files (no rebuild); a project's `cargo test` runs them through the
//! compiled code too ([`check_compiled`]), and requires the same bytes from
//! both.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use duijie_compiler::diag::{self, Severity};
use duijie_compiler::interp::Interpreter;
use duijie_compiler::project::{self, SpecsFrom};
use duijie_maplib::{Mapped, Mapper, SchemeMeta, SourceMeta};
use duijie_runtime::lookups::MasterDataFile;
use duijie_runtime::vendors::{self, kingdee};
use serde_json::value::RawValue;

use crate::Registry;

/// Why the cases could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Io(String),
    /// The project's schemes or specs have errors (the rendered report).
    #[error("{0}")]
    Check(String),
}

/// One fixture and its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The scheme (the fixture's directory).
    pub scheme: String,
    /// `fixtures/<scheme>/<case>.json`.
    pub input: PathBuf,
    /// `fixtures/<scheme>/<case>.snap`.
    pub snapshot: PathBuf,
}

/// The master data of `root/fixtures/master_data.json` (none: every lookup
/// misses).
pub fn master_data(root: &Path) -> Result<MasterDataFile, Error> {
    Ok(
        MasterDataFile::load(&root.join("fixtures").join("master_data.json"))
            .map_err(Error::Io)?
            .unwrap_or_default(),
    )
}

/// The cases under `root/fixtures`, in path order; of `only` scheme when
/// given.
pub fn cases(root: &Path, only: Option<&str>) -> Result<Vec<Case>, Error> {
    let dir = root.join("fixtures");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |p: &Path, e: std::io::Error| Error::Io(format!("cannot read {}: {e}", p.display()));
    let mut schemes: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    schemes.sort();
    let mut out = Vec::new();
    for scheme_dir in schemes {
        let scheme = scheme_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if only.is_some_and(|o| o != scheme) {
            continue;
        }
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&scheme_dir)
            .map_err(|e| io(&scheme_dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        inputs.sort();
        for input in inputs {
            out.push(Case {
                scheme: scheme.clone(),
                snapshot: input.with_extension("snap"),
                input,
            });
        }
    }
    Ok(out)
}

/// What a case's input gave, or why it gave nothing.
pub type Rendered = Result<Body, String>;

/// A snapshot's body, and the exact bytes of the requests it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The request bodies exactly as they are sent.
    pub wire: Vec<String>,
    /// The snapshot's body (after the header).
    pub text: String,
}

/// Maps the input `text` with `mapper` and renders the snapshot body.
/// `Err` when the input is no record, array or answer, or is an error
/// answer of the source (the error a run would report).
pub fn render(mapper: &dyn Mapper, text: &str, lookups: &dyn duijie_maplib::Lookups) -> Rendered {
    let meta = mapper.meta();
    let records = records(&meta.source, text)?;
    let mut bills: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut out = Vec::new();
    for (i, record) in records.iter().enumerate() {
        out.clear();
        let n = i + 1;
        match mapper.map_record_with(record.get(), &mut out, lookups) {
            Ok(Mapped::Bill { .. }) => bills.push(
                String::from_utf8(out.clone())
                    .map_err(|e| format!("record {n}: the bill is not UTF-8: {e}"))?,
            ),
            Ok(Mapped::Skipped { id, reason }) => notes.push(format!(
                "# record {n}{}: skipped ({reason})",
                id.map(|id| format!(" ({id})")).unwrap_or_default()
            )),
            // The error names the record's id.
            Err(e) if e.waiting.is_some() => {
                notes.push(format!("# record {n}: waits for base data: {e}"))
            }
            Err(e) => notes.push(format!("# record {n}: failed: {e}")),
        }
    }
    let bill_refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let wire = if bill_refs.is_empty() {
        Vec::new()
    } else {
        kingdee::save_requests(&meta.target, &bill_refs).map_err(|e| e.to_string())?
    };
    Ok(Body {
        text: body_text(meta, records.len(), bills.len(), &wire, &notes),
        wire,
    })
}

fn body_text(
    meta: &SchemeMeta,
    records: usize,
    bills: usize,
    wire: &[String],
    notes: &[String],
) -> String {
    let mut text = format!(
        "# {}.{} {}: {records} record{}, {bills} bill{}, {} request{}\n",
        meta.target.system,
        meta.target.operation,
        meta.target.form_id,
        plural(records),
        plural(bills),
        wire.len(),
        plural(wire.len())
    );
    for body in wire {
        text.push_str(&crate::cmd::preview::pretty(body));
        text.push('\n');
    }
    for note in notes {
        text.push_str(note);
        text.push('\n');
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The records of an input: an array of records, a whole answer of the
/// source API read by its connector, or one record.
pub(crate) fn records(source: &SourceMeta, input: &str) -> Result<Vec<Box<RawValue>>, String> {
    let invalid = |why: &dyn std::fmt::Display| {
        format!(
            "not a record, an array of records or an answer of {}: {why}",
            source.api
        )
    };
    let text = input.trim_start();
    if text.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| invalid(&e));
    }
    if vendors::is_source_answer(source, text) {
        return vendors::parse_source_answer(source, text.as_bytes())
            .map(|page| page.records)
            .map_err(|e| e.to_string());
    }
    let record: Box<RawValue> = serde_json::from_str(text).map_err(|e| invalid(&e))?;
    if !record.get().starts_with('{') {
        return Err(invalid(&"the input is not a JSON object or array"));
    }
    Ok(vec![record])
}

/// The schemes of a project, checked and ready for the interpreter.
pub struct Project {
    root: PathBuf,
    /// Scheme name → its file and interpreter.
    schemes: BTreeMap<String, (PathBuf, Arc<Interpreter>)>,
    /// Warnings of the check, rendered.
    pub warnings: String,
}

impl Project {
    /// Checks every scheme of `root/maps` against the built-in specs and
    /// `root/specs`; `Err` with the rendered report when any has an error.
    pub fn load(root: &Path) -> Result<Project, Error> {
        let specs_dir = root.join("specs");
        let from = if specs_dir.is_dir() {
            SpecsFrom::Dir(&specs_dir)
        } else {
            SpecsFrom::BuiltIn
        };
        let specs = from
            .load()
            .map_err(|e| Error::Check(format!("error: loading {from}: {e}\n")))?;
        let maps = root.join("maps");
        if !maps.is_dir() {
            return Err(Error::Check(format!(
                "error: {} does not exist: run `duijie test` in a project (made by `duijie new`), which has maps/ and fixtures/\n",
                maps.display()
            )));
        }
        let files = project::map_files(&maps, false).map_err(|e| Error::Io(e.to_string()))?;
        let mut report = String::new();
        let mut failed = false;
        let mut schemes = BTreeMap::new();
        for file in files {
            let out = duijie_compiler::check_file(&file, &specs);
            report.push_str(&diag::render(&out.diagnostics, &out.files, false));
            if out
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
            {
                failed = true;
                continue;
            }
            if let Some(scheme) = out.scheme {
                let name = scheme.meta.name.clone();
                schemes.insert(name, (file, Arc::new(Interpreter::new(scheme))));
            }
        }
        if failed {
            return Err(Error::Check(report));
        }
        Ok(Project {
            root: root.to_path_buf(),
            schemes,
            warnings: report,
        })
    }

    /// The interpreter of the scheme `name`.
    pub fn interpreter(&self, name: &str) -> Option<&Arc<Interpreter>> {
        self.schemes.get(name).map(|(_, i)| i)
    }

    /// The `.map` file of the scheme `name`.
    pub fn file(&self, name: &str) -> Option<&Path> {
        self.schemes.get(name).map(|(f, _)| f.as_path())
    }

    /// The names of its schemes.
    pub fn names(&self) -> Vec<&str> {
        self.schemes.keys().map(String::as_str).collect()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// How snapshots are written ([insta's rules](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Never write (CI, `INSTA_UPDATE=no`): a missing snapshot fails.
    No,
    /// Write a missing snapshot; a changed one as `.snap.new`.
    New,
    /// Write every snapshot (`--update`, `INSTA_UPDATE=always`).
    Always,
}

impl Update {
    /// From `--update`, `INSTA_UPDATE` and `CI`, as insta decides.
    pub fn from_env(update: bool) -> Update {
        if update {
            return Update::Always;
        }
        match std::env::var("INSTA_UPDATE").as_deref() {
            Ok("always") => Update::Always,
            Ok("no") => Update::No,
            Ok("new") => Update::New,
            _ if is_ci() => Update::No,
            _ => Update::New,
        }
    }
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    /// A missing snapshot, written.
    Written,
    /// The snapshot was rewritten (`--update`).
    Updated,
    /// A missing snapshot not written (CI).
    Missing,
    /// The body differs: the readable diff.
    Changed(String),
    /// The input could not be mapped: why (an error answer, a malformed
    /// input, a scheme that is not in the project).
    Error(String),
    /// The compiled code and the interpreter disagree (the first
    /// difference).
    Disagree(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Matched | Verdict::Written | Verdict::Updated)
    }
}

/// The cases run, and what became of each.
#[derive(Debug, Default)]
pub struct Report {
    pub results: Vec<(Case, Verdict)>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.results.iter().all(|(_, v)| v.passed())
    }

    pub fn failed(&self) -> usize {
        self.results.iter().filter(|(_, v)| !v.passed()).count()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (case, verdict) in &self.results {
            let input = case.input.display();
            match verdict {
                Verdict::Matched => writeln!(f, "ok      {input}")?,
                Verdict::Written => writeln!(
                    f,
                    "new     {input}: wrote {} (review it and commit it)",
                    case.snapshot.display()
                )?,
                Verdict::Updated => {
                    writeln!(f, "updated {input}: wrote {}", case.snapshot.display())?
                }
                Verdict::Missing => writeln!(
                    f,
                    "FAILED  {input}: no snapshot {} (run `duijie test --update` and commit it)",
                    case.snapshot.display()
                )?,
                Verdict::Changed(diff) => {
                    writeln!(
                        f,
                        "FAILED  {input}: the payload differs from {}",
                        case.snapshot.display()
                    )?;
                    f.write_str(diff)?;
                }
                Verdict::Error(e) => writeln!(f, "FAILED  {input}: {e}")?,
                Verdict::Disagree(e) => writeln!(
                    f,
                    "FAILED  {input}: the compiled code and the interpreter disagree: {e}"
                )?,
            }
        }
        let failed = self.failed();
        write!(
            f,
            "{} case{}: {} passed, {failed} failed",
            self.results.len(),
            plural(self.results.len()),
            self.results.len() - failed
        )
    }
}

/// Runs every case (of `only` scheme) through the project's interpreter and
/// compares it with its snapshot, writing snapshots as `update` allows.
pub fn run(project: &Project, only: Option<&str>, update: Update) -> Result<Report, Error> {
    let mut report = Report::default();
    let lookups = master_data(project.root())?;
    for case in cases(project.root(), only)? {
        let verdict = match project.interpreter(&case.scheme) {
            None => Verdict::Error(format!(
                "no scheme named `{}` in {} (the fixture's directory names its scheme; schemes: {})",
                case.scheme,
                project.root().join("maps").display(),
                project.names().join(", ")
            )),
            Some(interp) => {
                let file = project.file(&case.scheme).unwrap_or(Path::new(""));
                match read_input(&case).and_then(|text| render(interp.as_ref(), &text, &lookups)) {
                    Ok(body) => compare(project.root(), file, &case, &body.text, update),
                    Err(e) => Verdict::Error(e),
                }
            }
        };
        report.results.push((case, verdict));
    }
    Ok(report)
}

/// A project's `cargo test`: every case through the compiled schemes of
/// `registry` and through the interpreter on `root`'s `.map` files; both
/// must send the same bytes and match the snapshot (never written here).
pub fn check_compiled(registry: &Registry, root: &Path) -> Result<Report, Error> {
    let project = Project::load(root)?;
    let mut report = Report::default();
    let lookups = master_data(root)?;
    for case in cases(root, None)? {
        let verdict = match (
            registry.by_name(&case.scheme),
            project.interpreter(&case.scheme),
        ) {
            (Some(compiled), Some(interp)) => {
                let file = project.file(&case.scheme).unwrap_or(Path::new(""));
                match read_input(&case) {
                    Err(e) => Verdict::Error(e),
                    Ok(text) => match (
                        render(compiled.as_ref(), &text, &lookups),
                        render(interp.as_ref(), &text, &lookups),
                    ) {
                        (Ok(c), Ok(i)) if c == i => compare(root, file, &case, &c.text, Update::No),
                        (Ok(c), Ok(i)) => Verdict::Disagree(first_difference(&c, &i)),
                        (Err(c), Err(i)) if c == i => Verdict::Error(c),
                        (c, i) => Verdict::Disagree(format!("compiled: {c:?}; interpreted: {i:?}")),
                    },
                }
            }
            (None, _) => Verdict::Error(format!(
                "no compiled scheme named `{}` (compiled: {})",
                case.scheme,
                registry.names().join(", ")
            )),
            (_, None) => Verdict::Error(format!("no scheme named `{}` in maps/", case.scheme)),
        };
        report.results.push((case, verdict));
    }
    Ok(report)
}

fn first_difference(c: &Body, i: &Body) -> String {
    if c.wire.len() != i.wire.len() {
        return format!(
            "{} requests compiled, {} interpreted",
            c.wire.len(),
            i.wire.len()
        );
    }
    for (n, (a, b)) in c.wire.iter().zip(&i.wire).enumerate() {
        if a != b {
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let from = at.saturating_sub(40);
            let show = |s: &str| {
                s.get(from..(at + 40).min(s.len()))
                    .unwrap_or("")
                    .to_string()
            };
            return format!(
                "request {} differs at byte {at}: compiled …{}…, interpreted …{}…",
                n + 1,
                show(a),
                show(b)
            );
        }
    }
    diff(&c.text, &i.text)
}

fn read_input(case: &Case) -> Result<String, String> {
    std::fs::read_to_string(&case.input).map_err(|e| format!("cannot read it: {e}"))
}

/// The snapshot file's text: insta's header, then the body.
pub fn snapshot_text(root: &Path, map: &Path, case: &Case, body: &str) -> String {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    format!(
        "---\nsource: {}\nexpression: {}\n---\n{body}",
        rel(map),
        rel(&case.input)
    )
}

/// The body of a snapshot file (after insta's header).
fn snapshot_body(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(rest) = text.strip_prefix("---\n") {
        if let Some(end) = rest.find("\n---\n") {
            return &rest[end + 5..];
        }
    }
    text
}

fn compare(root: &Path, map: &Path, case: &Case, body: &str, update: Update) -> Verdict {
    let new_path = case.snapshot.with_extension("snap.new");
    let write = |path: &Path| -> Result<(), String> {
        std::fs::write(path, snapshot_text(root, map, case, body))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let old = match std::fs::read_to_string(&case.snapshot) {
        Ok(old) => Some(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Verdict::Error(format!("cannot read {}: {e}", case.snapshot.display())),
    };
    let old_body = old.as_deref().map(snapshot_body);
    let verdict = match (old_body, update) {
        (Some(old), _) if old == body => Verdict::Matched,
        (_, Update::Always) => match write(&case.snapshot) {
            Ok(()) => Verdict::Updated,
            Err(e) => return Verdict::Error(e),
        },
        (None, Update::No) => Verdict::Missing,
        (None, Update::New) => match write(&case.snapshot) {
            Ok(()) => Verdict::Written,
            Err(e) => return Verdict::Error(e),
        },
        (Some(old), update) => {
            let mut text = diff(old, body);
            if update == Update::New {
                match write(&new_path) {
                    Ok(()) => {
                        let _ = writeln!(
                            text,
                            "  the new snapshot is in {}: accept it with `duijie test --update` (or `cargo insta review`)",
                            new_path.display()
                        );
                    }
                    Err(e) => return Verdict::Error(e),
                }
            }
            return Verdict::Changed(text);
        }
    };
    // A pending snapshot that no longer differs is stale.
    if new_path.exists() {
        let _ = std::fs::remove_file(&new_path);
    }
    verdict
}

/// A readable diff of two snapshot bodies: each changed line with the JSON
/// path it is at (`request 1 $.data.Model[0].FPOOrderEntry[1].FQty`).
pub fn diff(old: &str, new: &str) -> String {
    let old_paths = line_paths(old);
    let new_paths = line_paths(new);
    let d = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in d.grouped_ops(0) {
        for op in group {
            for change in d.iter_changes(&op) {
                let (sign, path) = match change.tag() {
                    similar::ChangeTag::Equal => continue,
                    similar::ChangeTag::Delete => {
                        ('-', change.old_index().and_then(|i| old_paths.get(i)))
                    }
                    similar::ChangeTag::Insert => {
                        ('+', change.new_index().and_then(|i| new_paths.get(i)))
                    }
                };
                let line = change.value().trim_end_matches('\n');
                match path {
                    Some(p) if !p.is_empty() => {
                        let _ = writeln!(out, "  {sign} {p}: {}", line.trim());
                    }
                    _ => {
                        let _ = writeln!(out, "  {sign} {}", line.trim());
                    }
                }
            }
        }
    }
    out
}

/// The JSON path of every line of a snapshot body: `request N $.a.b[0]` for
/// lines of the pretty-printed requests, empty for the notes.
fn line_paths(body: &str) -> Vec<String> {
    enum Frame {
        Object(String),
        Array(String, usize),
    }
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut request = 0usize;
    for line in body.lines() {
        let t = line.trim();
        if stack.is_empty() && t.starts_with('#') {
            out.push(String::new());
            continue;
        }
        if t.starts_with('}') || t.starts_with(']') {
            let path = match stack.pop() {
                Some(Frame::Object(p)) | Some(Frame::Array(p, _)) => p,
                None => String::new(),
            };
            out.push(label(request, &path));
            continue;
        }
        let (path, rest) = match stack.last_mut() {
            None => {
                request += 1;
                ("$".to_string(), t)
            }
            Some(Frame::Array(p, i)) => {
                let path = format!("{p}[{i}]");
                *i += 1;
                (path, t)
            }
            Some(Frame::Object(p)) => match split_key(t) {
                Some((key, rest)) => {
                    let simple =
                        !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
                    let path = if simple {
                        format!("{p}.{key}")
                    } else {
                        format!("{p}[{key:?}]")
                    };
                    (path, rest)
                }
                None => (p.clone(), t),
            },
        };
        let rest = rest.trim_end_matches(',');
        if rest.ends_with('{') {
            stack.push(Frame::Object(path.clone()));
        } else if rest.ends_with('[') {
            stack.push(Frame::Array(path.clone(), 0));
        }
        out.push(label(request, &path));
    }
    out
}

fn label(request: usize, path: &str) -> String {
    format!("request {request} {path}")
}

/// `"key": rest` → (key, rest).
fn split_key(line: &str) -> Option<(String, &str)> {
    let mut de = serde_json::Deserializer::from_str(line).into_iter::<String>();
    let key = de.next()?.ok()?;
    let rest = line.get(de.byte_offset()..)?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    Some((key, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_names_the_json_path_of_each_change() {
        let old = "# kingdee.BatchSave F: 1 record, 1 bill, 1 request\n{\n  \"formid\": \"F\",\n  \"data\": {\n    \"Model\": [\n      {\n        \"FBillNo\": \"A\",\n        \"E\": [\n          {\n            \"FQty\": 1\n          },\n          {\n            \"FQty\": 2\n          }\n        ]\n      }\n    ]\n  }\n}\n";
        let new = old.replace("\"FQty\": 2", "\"FQty\": 3");
        let d = diff(old, &new);
        assert_eq!(
            d,
            "  - request 1 $.data.Model[0].E[1].FQty: \"FQty\": 2\n  + request 1 $.data.Model[0].E[1].FQty: \"FQty\": 3\n"
        );
        let note = format!("{old}# record 2 (X): skipped (skip if a)\n");
        assert_eq!(
            diff(old, &note),
            "  + # record 2 (X): skipped (skip if a)\n"
        );
    }

    #[test]
    fn keys_that_are_not_names_are_quoted_in_paths() {
        let body = "{\n  \"a.b\": {\n    \"c\": 1\n  }\n}\n";
        assert_eq!(
            line_paths(body),
            [
                "request 1 $",
                "request 1 $[\"a.b\"]",
                "request 1 $[\"a.b\"].c",
                "request 1 $[\"a.b\"]",
                "request 1 $"
            ]
        );
    }

    #[test]
    fn the_header_is_insta_s_and_the_body_follows_it() {
        let case = Case {
            scheme: "s".into(),
            input: PathBuf::from("/p/fixtures/s/a.json"),
            snapshot: PathBuf::from("/p/fixtures/s/a.snap"),
        };
        let text = snapshot_text(Path::new("/p"), Path::new("/p/maps/s.map"), &case, "body\n");
        assert_eq!(
            text,
            "---\nsource: maps/s.map\nexpression: fixtures/s/a.json\n---\nbody\n"
        );
        assert_eq!(snapshot_body(&text), "body\n");
    }
}
