//! Compiles the schemes of `maps/*.map` into typed Rust when `duijie` is
//! built, as prost-build does for protobuf: `$OUT_DIR/schemes.rs` (one module
//! per scheme, included by `src/schemes.rs`) and `$OUT_DIR/models.rs` (the
//! checked models, for `duijie map --interpret`).
//!
//! A scheme with errors fails the build with the report `duijie check`
//! prints: one `cargo::error=` line per error (`maps/x.map:12:5: error[E0101]:
//! …`), then the full rendered diagnostics (`duijie_compiler::project`).
//!
//! The schemes of the code generation tests are compiled by their own test
//! crate (`tests/fixtures/codegen`), not here.

use std::path::{Path, PathBuf};

fn main() {
    let code = duijie_compiler::project::build_script(Path::new("maps"), &[PathBuf::from("specs")]);
    std::process::exit(code);
}
