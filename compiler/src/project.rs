//! A project: its `maps/` and `specs/`, above the stages (check, code
//! generation) that work on one file or one set of schemes.
//!
//! - [`map_files`] finds the `.map` files of a path (what `duijie check`
//!   checks; [`compile_dir`] compiles the schemes directly in a directory:
//!   files in subdirectories, such as `maps/shared/`, are libraries that
//!   schemes include, not schemes).
//! - [`find_specs`] loads the specs a command runs with: the specs built
//!   into duijie, with a directory given or `./specs` laid over them.
//! - [`compile_project`] / [`compile_over_builtin`] / [`compile_dir`], the
//!   work of a build script (`duijie_build::Config` in a project's),
//!   check every scheme and generate the code of the clean ones, with the
//!   inputs for `cargo::rerun-if-changed`. A scheme with errors produces no
//!   code: the build script prints the report and fails, exactly as
//!   `duijie check` would have.

use std::path::{Path, PathBuf};

use crate::diag::{self, Severity};
use crate::model::Scheme;
use crate::spec::{SpecError, Specs};

/// A path of a project that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct ReadError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The `.map` files of `path`, in path order: `path` itself when it is a
/// file; else the `*.map` files in it and, with `libraries`, in its
/// subdirectories too (recursively).
pub fn map_files(path: &Path, libraries: bool) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    if path.is_dir() {
        collect(path, libraries, &mut out)?;
    } else {
        out.push(path.to_path_buf());
    }
    Ok(out)
}

/// The `.map` files a library's tables may be used from, for checking
/// `file` alone: every file under the outermost directory named `maps`
/// holding it (a project's schemes and libraries), else under its own
/// directory.
pub fn neighbours(file: &Path) -> Vec<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let root = dir
        .ancestors()
        .filter(|a| a.file_name().is_some_and(|n| n == "maps"))
        .last()
        .unwrap_or(dir);
    map_files(root, true).unwrap_or_default()
}

fn collect(dir: &Path, libraries: bool, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let error = |source| ReadError {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(error)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            if libraries {
                collect(&e, libraries, out)?;
            }
        } else if e.extension().is_some_and(|x| x == "map") {
            out.push(e);
        }
    }
    Ok(())
}

/// Where the specs a command runs with come from: the specs built into
/// duijie, with the directory given, else `./specs` when it exists, laid
/// over them (a project's own specs add, replace or override built-in ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecsFrom<'a> {
    Dir(&'a Path),
    /// `./specs`.
    Local,
    BuiltIn,
}

impl<'a> SpecsFrom<'a> {
    /// The specs of `dir` when given, else of `./specs`, else built in.
    pub fn find(dir: Option<&'a Path>) -> SpecsFrom<'a> {
        match dir {
            Some(d) => SpecsFrom::Dir(d),
            None if Path::new("specs").is_dir() => SpecsFrom::Local,
            None => SpecsFrom::BuiltIn,
        }
    }

    /// Loads them: the built-in specs, with the directory (given or
    /// `./specs`) laid over them ([`Specs::add_overlay`]).
    pub fn load(self) -> Result<Specs, SpecError> {
        let mut specs = Specs::embedded()?;
        match self {
            SpecsFrom::Dir(d) => specs.add_overlay(d)?,
            SpecsFrom::Local => specs.add_overlay(Path::new("specs"))?,
            SpecsFrom::BuiltIn => {}
        }
        Ok(specs)
    }
}

/// `specs from DIR`, `specs from ./specs`, `the built-in specs`.
impl std::fmt::Display for SpecsFrom<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecsFrom::Dir(d) => write!(f, "the built-in specs and those of {}", d.display()),
            SpecsFrom::Local => f.write_str("the built-in specs and those of ./specs"),
            SpecsFrom::BuiltIn => f.write_str("the built-in specs"),
        }
    }
}

/// The specs a command runs with ([`SpecsFrom::find`]), loaded.
pub fn find_specs(dir: Option<&Path>) -> Result<Specs, SpecError> {
    SpecsFrom::find(dir).load()
}

/// What compiling a project's schemes produced.
#[derive(Debug, Default)]
pub struct Build {
    /// Every file the result depends on: the specs directory, the maps
    /// directory, each map and each file it includes (for
    /// `cargo::rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
    /// The generated schemes (`schemes.rs`), when nothing has errors.
    pub schemes: Option<String>,
    /// The checked models as Rust values (`models.rs`), when nothing has
    /// errors.
    pub models: Option<String>,
    /// Diagnostics rendered as `duijie check` renders them (no colour).
    pub report: String,
    /// One line per error: `path:line:col: error[E0101]: message (help)`.
    pub errors: Vec<String>,
    /// One line per warning, in the same form.
    pub warnings: Vec<String>,
}

impl Build {
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Records an error that is not a diagnostic of a file.
    fn fail(&mut self, line: String) {
        self.report.push_str(&line);
        self.report.push('\n');
        self.errors.push(line);
    }
}

/// Checks and compiles the schemes of the project at `root` (the directory
/// holding `maps/` and, when it has its own specs, `specs/`, laid over the
/// built-in ones). Paths in diagnostics are `root` joined
/// with `maps/…`: pass `""` to show them relative to the current directory.
pub fn compile_project(root: &Path) -> Build {
    let specs = root.join("specs");
    let overlays = if specs.is_dir() {
        vec![specs]
    } else {
        Vec::new()
    };
    compile_over_builtin(&root.join("maps"), &overlays)
}

/// Checks and compiles every `*.map` file directly in `maps_dir` against the
/// specs of `spec_dirs` (loaded in order; a later file may add APIs and
/// forms).
pub fn compile_dir(maps_dir: &Path, spec_dirs: &[PathBuf]) -> Build {
    let mut build = Build::default();
    let mut specs = Specs::default();
    for dir in spec_dirs {
        build.inputs.push(dir.clone());
        if let Err(e) = specs.add_dir(dir) {
            build.fail(format!("error: {e}"));
            return build;
        }
    }
    compile_maps(build, maps_dir, &specs)
}

/// Checks and compiles every `*.map` file directly in `maps_dir` against the
/// specs built into duijie with each of `overlays` laid over them in order
/// ([`Specs::add_overlay`]): what a project's build script does.
pub fn compile_over_builtin(maps_dir: &Path, overlays: &[PathBuf]) -> Build {
    let mut build = Build::default();
    let mut specs = match Specs::embedded() {
        Ok(specs) => specs,
        Err(e) => {
            build.fail(format!("error: the built-in specs: {e}"));
            return build;
        }
    };
    for dir in overlays {
        build.inputs.push(dir.clone());
        if !dir.is_dir() {
            build.fail(format!(
                "error: the specs directory {} does not exist (create it, or leave it out of the build script)",
                dir.display()
            ));
            return build;
        }
        if let Err(e) = specs.add_overlay(dir) {
            build.fail(format!("error: {e}"));
            return build;
        }
    }
    compile_maps(build, maps_dir, &specs)
}

fn compile_maps(mut build: Build, maps_dir: &Path, specs: &Specs) -> Build {
    let maps_dir = maps_dir.to_path_buf();
    build.inputs.extend(specs.files().iter().cloned());
    build.inputs.push(maps_dir.clone());
    let maps = match map_files(&maps_dir, false) {
        Ok(maps) => maps,
        Err(e) => {
            build.fail(format!("error: {e}"));
            return build;
        }
    };
    let mut schemes: Vec<Scheme> = Vec::new();
    let mut outputs: Vec<_> = maps.iter().map(|m| crate::check_file(m, specs)).collect();
    crate::warn_unused_library_tables(&mut outputs);
    for out in outputs {
        for input in &out.inputs {
            if !build.inputs.contains(input) {
                build.inputs.push(input.clone());
            }
        }
        build
            .report
            .push_str(&diag::render(&out.diagnostics, &out.files, false));
        for d in &out.diagnostics {
            let file = out.files.name(d.primary.file);
            let (line, col) = out.files.line_col(d.primary.file, d.primary.span.start);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut text = format!("{file}:{line}:{col}: {level}[{}]: {}", d.code.id, d.message);
            if let Some(help) = &d.help {
                text.push_str(&format!(" (help: {help})"));
            }
            // Cargo takes one line per instruction.
            let text = text.replace(['\r', '\n'], " ");
            match d.severity {
                Severity::Error => build.errors.push(text),
                Severity::Warning => build.warnings.push(text),
            }
        }
        if out.is_library {
            continue;
        }
        if let Some(scheme) = out.scheme {
            schemes.push(scheme);
        }
    }
    if let Some(dup) = duplicate_name(&schemes) {
        build.fail(format!(
            "error: two schemes are named `{dup}`: scheme names must be unique"
        ));
    }
    if build.failed() {
        return build;
    }
    match (
        crate::codegen::generate(&schemes),
        crate::codegen::generate_models(&schemes),
    ) {
        (Ok(code), Ok(models)) => {
            build.schemes = Some(code);
            build.models = Some(models);
        }
        (Err(e), _) | (_, Err(e)) => {
            build.fail(format!("error: {e}"));
        }
    }
    build
}

impl Build {
    /// What a build script does with the result, as cargo expects it: a
    /// `cargo::rerun-if-changed` line for every input and a
    /// `cargo::warning` for every warning; on errors one `cargo::error`
    /// line each and the full report on standard error, then `Err` (the
    /// script should exit 1); else `schemes.rs` and `models.rs` written to
    /// `out_dir`, for the crate to `include!`, and `duijie.rs`, which
    /// includes both and adds `registry()` for a binary on duijie's CLI.
    pub fn emit(&self, out_dir: &Path) -> Result<(), String> {
        for input in &self.inputs {
            println!("cargo::rerun-if-changed={}", input.display());
        }
        for warning in &self.warnings {
            println!("cargo::warning={warning}");
        }
        if self.failed() {
            for error in &self.errors {
                println!("cargo::error={error}");
            }
            eprint!("{}", self.report);
            return Err(format!("{} error(s) in the schemes", self.errors.len()));
        }
        let files = [
            ("schemes.rs", self.schemes.as_deref()),
            ("models.rs", self.models.as_deref()),
            ("duijie.rs", Some(REGISTRY)),
        ];
        for (name, text) in files {
            let path = out_dir.join(name);
            if let Err(e) = std::fs::write(&path, text.unwrap_or_default()) {
                let message = format!("cannot write {}: {e}", path.display());
                println!("cargo::error={message}");
                return Err(message);
            }
        }
        Ok(())
    }
}

/// `duijie.rs`, what a binary built on duijie's CLI includes: the schemes,
/// their checked models and the registry `duijie::cli::main` takes.
const REGISTRY: &str = r#"// @generated by duijie-compiler: the compiled schemes of this crate.

/// One module per scheme, the registry functions (`all`, `by_name`,
/// `NAMES`) and the checked models (`models`); a binary uses only some.
#[allow(dead_code)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/schemes.rs"));
    include!(concat!(env!("OUT_DIR"), "/models.rs"));
}

#[allow(unused_imports)]
pub use generated::*;

/// The compiled schemes with their checked models, for `duijie::cli::main`.
pub fn registry() -> ::duijie::Registry {
    ::duijie::Registry::new(generated::all(), generated::models)
}
"#;

/// The whole of a build script that compiles the schemes of `maps_dir`
/// against `spec_dirs` ([`compile_dir`]) into `$OUT_DIR` ([`Build::emit`]).
/// Returns the exit code the script should end with.
pub fn build_script(maps_dir: &Path, spec_dirs: &[PathBuf]) -> i32 {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set: run this build script through cargo");
        return 1;
    };
    match compile_dir(maps_dir, spec_dirs).emit(&out_dir) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

fn duplicate_name(schemes: &[Scheme]) -> Option<&str> {
    let mut names: Vec<&str> = schemes.iter().map(|s| s.meta.name.as_str()).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory given is where the specs come from, and a missing one
    /// is an error naming it.
    #[test]
    fn specs_from_a_directory_given() {
        let from = SpecsFrom::find(Some(Path::new("no/such/dir")));
        assert_eq!(from, SpecsFrom::Dir(Path::new("no/such/dir")));
        assert_eq!(
            from.to_string(),
            "the built-in specs and those of no/such/dir"
        );
        let e = from.load().unwrap_err().to_string();
        assert!(e.contains("no/such/dir"), "{e}");
        assert_eq!(SpecsFrom::BuiltIn.to_string(), "the built-in specs");
        assert!(SpecsFrom::BuiltIn.load().is_ok());
    }

    /// The kitchen-sink scheme of the code generation tests checks.
    #[test]
    fn kitchen_sink_compiles() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = root.join("tests/fixtures/codegen");
        let build = compile_dir(&dir, &[root.join("specs"), dir.join("specs")]);
        assert!(!build.failed(), "{}", build.report);
    }
}
