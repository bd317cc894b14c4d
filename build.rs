//! Compiles the schemes of `maps/*.map` into typed Rust when `duijie` is
//! built, as prost-build does for protobuf: `$OUT_DIR/schemes.rs` (one module
//! per scheme, included by `src/schemes.rs`) and `$OUT_DIR/models.rs` (the
//! checked models, for `duijie map --interpret`).
//!
//! A scheme with errors fails the build with the report `duijie check`
//! prints: one `cargo::error=` line per error (`maps/x.map:12:5: error[E0101]:
//! …`), then the full rendered diagnostics.
//!
//! The schemes of the code generation tests are compiled by their own test
//! crate (`tests/fixtures/codegen`), not here.

use std::path::{Path, PathBuf};

use duijie_compiler::project::{compile_project, Build};

fn main() {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set: run this build script through cargo");
        std::process::exit(1);
    };
    let build = compile_project(Path::new(""));
    watch(&build);
    for warning in &build.warnings {
        println!("cargo::warning={warning}");
    }
    if build.failed() {
        for error in &build.errors {
            println!("cargo::error={error}");
        }
        eprint!("{}", build.report);
        // Exiting with an error makes cargo show the report above.
        std::process::exit(1);
    }
    write(
        &out_dir,
        "schemes.rs",
        build.schemes.as_deref().unwrap_or_default(),
    );
    write(
        &out_dir,
        "models.rs",
        build.models.as_deref().unwrap_or_default(),
    );
}

fn watch(build: &Build) {
    for input in &build.inputs {
        println!("cargo::rerun-if-changed={}", input.display());
    }
}

fn write(out_dir: &Path, name: &str, text: &str) {
    let path = out_dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        println!("cargo::error=cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}
