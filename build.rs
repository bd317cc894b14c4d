//! Compiles the schemes of `maps/*.map` into typed Rust when `duijie` is
//! built, as prost-build does for protobuf: `$OUT_DIR/schemes.rs` (one module
//! per scheme, included by `src/schemes.rs`) and `$OUT_DIR/models.rs` (the
//! checked models, for `duijie map --interpret`).
//!
//! A scheme with errors fails the build with the report `duijie check`
//! prints: one `cargo::error=` line per error (`maps/x.map:12:5: error[E0101]:
//! …`), then the full rendered diagnostics.
//!
//! The schemes the code generation tests use (`tests/fixtures/codegen/*.map`,
//! with the specs beside them) are compiled too, into
//! `$OUT_DIR/test_schemes.rs` and `$OUT_DIR/test_models.rs`; only tests
//! include them, so a mistake there fails those tests, not the build.

use std::path::{Path, PathBuf};

use duijie_compiler::codegen::build::{compile_dir, compile_project, Build};

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

    let fixtures = Path::new("tests/fixtures/codegen");
    let tests = compile_dir(fixtures, &[PathBuf::from("specs"), fixtures.join("specs")]);
    watch(&tests);
    let failed = "compile_error!(\"the code generation test schemes have errors: see the warnings of the build script\");\n";
    for error in &tests.errors {
        println!("cargo::warning=test scheme: {error}");
    }
    write(
        &out_dir,
        "test_schemes.rs",
        tests.schemes.as_deref().unwrap_or(failed),
    );
    write(
        &out_dir,
        "test_models.rs",
        tests.models.as_deref().unwrap_or(failed),
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
