//! Compiles a project's duijie schemes from its `build.rs`, as prost-build
//! compiles `.proto` files:
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), duijie_build::Error> {
//!     duijie_build::Config::new().maps("maps").specs("specs").compile()
//! }
//! ```
//!
//! and in `src/main.rs`:
//!
//! ```ignore
//! mod schemes {
//!     include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     duijie::cli::main(schemes::registry())
//! }
//! ```
//!
//! Every `.map` file directly in the maps directory is a scheme (files in
//! subdirectories are libraries the schemes include). They are checked
//! against the specs built into duijie, with the project's own spec
//! directories laid over them (a file there adds an API or form, replaces a
//! built-in spec, or overrides one field with `role = "override"`; see
//! `specs/README.md`). A scheme with an error fails the build with the
//! report `duijie check` prints: one `cargo::error=` line per error naming
//! the `.map` file, line and column, then the rendered diagnostics.
//!
//! The generated code calls `duijie_maplib` (the mapping runtime) and names
//! `duijie_compiler`'s checked models, so a project depends on `duijie`,
//! `duijie-maplib` and `duijie-compiler`, and on this crate for building.

use std::path::{Path, PathBuf};

use duijie_compiler::project;

/// Why the schemes did not compile; the details went to cargo (errors and
/// the rendered report) before this was returned.
pub struct Error(String);

/// As its message: a build script that returns it prints `Error: <message>`.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// What to compile and where the code goes.
#[derive(Debug, Clone)]
pub struct Config {
    maps: PathBuf,
    specs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Schemes from `maps/`, the built-in specs only, code to `$OUT_DIR`.
    pub fn new() -> Config {
        Config {
            maps: PathBuf::from("maps"),
            specs: Vec::new(),
            out_dir: None,
        }
    }

    /// The directory of the schemes (default `maps`).
    pub fn maps(mut self, dir: impl AsRef<Path>) -> Config {
        self.maps = dir.as_ref().to_path_buf();
        self
    }

    /// A directory of the project's own specs, laid over the built-in ones
    /// (and over earlier directories given). It must exist.
    pub fn specs(mut self, dir: impl AsRef<Path>) -> Config {
        self.specs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Where the generated files go (default: cargo's `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Config {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Checks every scheme and, when none has an error, writes
    /// `duijie.rs` (the schemes, their checked models and `registry()`)
    /// with the files it includes to the output directory. Prints the
    /// `cargo::` instructions a build script owes cargo
    /// (`rerun-if-changed` for every input, warnings, errors).
    pub fn compile(&self) -> Result<(), Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => match std::env::var_os("OUT_DIR") {
                Some(dir) => PathBuf::from(dir),
                None => {
                    let message =
                        "OUT_DIR is not set: run this from a build script, or give Config::out_dir";
                    println!("cargo::error={message}");
                    return Err(Error(message.to_string()));
                }
            },
        };
        project::compile_over_builtin(&self.maps, &self.specs)
            .emit(&out_dir)
            .map_err(Error)
    }
}
