//! Schemes that `duijie.toml` names by their `.map` file (`map =
//! "maps/x.map"`): checked when a command starts (a scheme with errors does
//! not start; the diagnostics are those of `duijie check`) and run through
//! the interpreter, which the differential tests hold to the compiled code.
//! A changed mapping then needs no Rust toolchain and no rebuild; the
//! compiled path is faster (docs/performance.md), so a scheme that has
//! settled belongs in `maps/` of the binary.
//!
//! The file is relative to the configuration file's directory, and is
//! checked against the built-in specs with that directory's `specs/` laid
//! over them, as `duijie check` there would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use duijie_compiler::diag;
use duijie_compiler::interp::Interpreter;
use duijie_compiler::project::SpecsFrom;
use duijie_compiler::spec::Specs;
use duijie_maplib::Mapper;
use duijie_runtime::config::{Config, SchemeConfig};

/// Whether the scheme names a `.map` file rather than a compiled scheme.
pub fn names_a_file(cfg: &SchemeConfig) -> bool {
    cfg.map.ends_with(".map")
}

/// The `.map` file a scheme names, relative to the configuration's
/// directory.
pub fn file_of(config: &Config, cfg: &SchemeConfig) -> PathBuf {
    let dir = config.path.parent().unwrap_or(Path::new(""));
    dir.join(&cfg.map)
}

/// `compiled`, or `interpreted from maps/x.map`: which path runs a scheme.
pub fn path_word(cfg: &SchemeConfig) -> String {
    if names_a_file(cfg) {
        format!("interpreted from {}", cfg.map)
    } else {
        "compiled".to_string()
    }
}

/// Checks the `.map` file of every scheme of `chosen` that names one and
/// returns their interpreters by scheme (table) name; an error with the
/// rendered diagnostics when any has an error.
pub fn load(
    config: &Config,
    chosen: &[&SchemeConfig],
) -> anyhow::Result<BTreeMap<String, Arc<dyn Mapper>>> {
    let mut out: BTreeMap<String, Arc<dyn Mapper>> = BTreeMap::new();
    if !chosen.iter().any(|c| names_a_file(c)) {
        return Ok(out);
    }
    let dir = config.path.parent().unwrap_or(Path::new(""));
    let specs_dir = dir.join("specs");
    let from = if specs_dir.is_dir() {
        SpecsFrom::Dir(&specs_dir)
    } else {
        SpecsFrom::BuiltIn
    };
    let specs = from
        .load()
        .map_err(|e| anyhow::anyhow!("loading {from}: {e}"))?;
    for cfg in chosen.iter().filter(|c| names_a_file(c)) {
        let file = file_of(config, cfg);
        if !file.is_file() {
            bail!(
                "{}: scheme `{}` names {}, which does not exist",
                config.path.display(),
                cfg.name,
                file.display()
            );
        }
        let scheme = check(&file, &specs).map_err(|e| {
            anyhow::anyhow!(
                "{e}scheme `{}` does not start (`duijie check {}`)",
                cfg.name,
                cfg.map
            )
        })?;
        tracing::info!(scheme = %cfg.name, file = %file.display(), "interpreting the scheme's .map file");
        out.insert(cfg.name.clone(), scheme);
    }
    Ok(out)
}

/// Checks the scheme in `file` and returns its interpreter; `Err` with the
/// rendered diagnostics (ending in a line saying what is wrong) when it has
/// errors or is a library. Warnings go to standard error.
pub fn check(file: &Path, specs: &Specs) -> Result<Arc<dyn Mapper>, String> {
    let checked = duijie_compiler::check_file(file, specs);
    let rendered = diag::render(&checked.diagnostics, &checked.files, false);
    match checked.scheme {
        Some(s) if !checked.has_errors() => {
            eprint!("{rendered}");
            Ok(Arc::new(Interpreter::new(s)))
        }
        _ if checked.is_library => Err(format!(
            "{rendered}error: {} is a library (it has no `scheme` header), not a scheme\n",
            file.display()
        )),
        _ => Err(format!("{rendered}error: {} has errors\n", file.display())),
    }
}
