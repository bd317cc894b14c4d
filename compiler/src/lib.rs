//! The `.map` compiler: specs, name resolution and type checking into a
//! checked model, diagnostics, code generation and an interpreter.

pub mod check;
pub mod codegen;
pub mod diag;
pub mod interp;
pub mod model;
pub mod project;
pub mod spec;

pub use check::{check_file, check_source, warn_unused_library_tables, CheckOutput, LibraryTable};
