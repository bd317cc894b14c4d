//! duijie (对接) as a library: the whole command line over a set of compiled
//! schemes, so that a project's own binary is the duijie CLI with its
//! schemes compiled in (docs/projects.md):
//!
//! ```ignore
//! mod schemes {
//!     include!(concat!(env!("OUT_DIR"), "/duijie.rs")); // written by duijie_build
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     duijie::cli::main(schemes::registry())
//! }
//! ```
//!
//! [`snapshots`] is the payload snapshot test of a project's fixtures, which
//! `duijie test` runs through the interpreter and a project's `cargo test`
//! through its compiled code.

pub mod cli;
pub mod cmd;
mod registry;
pub mod serve;
pub mod snapshots;

pub use registry::Registry;
