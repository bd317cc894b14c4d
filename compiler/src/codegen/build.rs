//! The work of the `duijie` build script, as a library function so that it
//! can be tested without running cargo.
//!
//! [`compile_project`] checks every `maps/*.map` of a project against its
//! `specs/` (files in subdirectories of `maps/`, such as `maps/shared/`, are
//! libraries that schemes include, not schemes) and generates the code of
//! the clean ones. A scheme with errors produces no code: the build script
//! prints the report and fails, exactly as `duijie check` would have.

use std::path::{Path, PathBuf};

use crate::diag::{self, Severity};
use crate::model::Scheme;
use crate::spec::Specs;

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
}

/// Checks and compiles the schemes of the project at `root` (the directory
/// holding `maps/` and `specs/`). Paths in diagnostics are `root` joined
/// with `maps/…`: pass `""` to show them relative to the current directory.
pub fn compile_project(root: &Path) -> Build {
    compile_dir(&root.join("maps"), &[root.join("specs")])
}

/// Checks and compiles every `*.map` file directly in `maps_dir` against the
/// specs of `spec_dirs` (loaded in order; a later file may add APIs and
/// forms).
pub fn compile_dir(maps_dir: &Path, spec_dirs: &[PathBuf]) -> Build {
    let mut build = Build::default();
    let maps_dir = maps_dir.to_path_buf();
    let mut specs = Specs::default();
    for dir in spec_dirs {
        build.inputs.push(dir.clone());
        match load_into(&mut specs, dir) {
            Ok(files) => build.inputs.extend(files),
            Err(e) => {
                let line = format!("error: {e}");
                build.report.push_str(&line);
                build.report.push('\n');
                build.errors.push(line);
                return build;
            }
        }
    }
    build.inputs.push(maps_dir.clone());
    let mut maps: Vec<PathBuf> = match std::fs::read_dir(&maps_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "map"))
            .collect(),
        Err(e) => {
            let line = format!("error: cannot read {}: {e}", maps_dir.display());
            build.report.push_str(&line);
            build.report.push('\n');
            build.errors.push(line);
            return build;
        }
    };
    maps.sort();
    let mut schemes: Vec<Scheme> = Vec::new();
    for map in &maps {
        let out = crate::check_file(map, &specs);
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
        let line = format!("error: two schemes are named `{dup}`: scheme names must be unique");
        build.report.push_str(&line);
        build.report.push('\n');
        build.errors.push(line);
    }
    if build.failed() {
        return build;
    }
    match (super::generate(&schemes), super::generate_models(&schemes)) {
        (Ok(code), Ok(models)) => {
            build.schemes = Some(code);
            build.models = Some(models);
        }
        (Err(e), _) | (_, Err(e)) => {
            let line = format!("error: {e}");
            build.report.push_str(&line);
            build.report.push('\n');
            build.errors.push(line);
        }
    }
    build
}

fn duplicate_name(schemes: &[Scheme]) -> Option<&str> {
    let mut names: Vec<&str> = schemes.iter().map(|s| s.meta.name.as_str()).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// Adds the spec files of `dir` (every `*.toml`, recursively, in path
/// order, as [`Specs::load_dir`] reads them) to `specs`; returns the files.
fn load_into(specs: &mut Specs, dir: &Path) -> Result<Vec<PathBuf>, crate::spec::SpecError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| crate::spec::SpecError::Io { path, source }
    };
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(io(file))?;
        specs.add_text(&file.display().to_string(), &text)?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kitchen-sink scheme of the code generation tests checks.
    #[test]
    fn kitchen_sink_compiles() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = root.join("tests/fixtures/codegen");
        let build = compile_dir(&dir, &[root.join("specs"), dir.join("specs")]);
        assert!(!build.failed(), "{}", build.report);
    }
}
