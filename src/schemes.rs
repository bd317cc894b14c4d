//! The schemes of `maps/*.map`, compiled into typed Rust by `build.rs`.
//!
//! Per scheme a module (`wdt_purchase_to_kingdee`, …) with its source
//! structs, bill structs, `transform` and `META`; then the registry:
//! [`NAMES`], [`all`], [`by_name`]. [`models`] holds the checked models the
//! code was generated from, for `duijie map --interpret`. The generated code
//! is in `target/…/build/duijie-*/out/schemes.rs` (its snapshots are in
//! `compiler/tests/snapshots/`).

include!(concat!(env!("OUT_DIR"), "/schemes.rs"));

/// The checked models of the compiled schemes.
pub mod models {
    include!(concat!(env!("OUT_DIR"), "/models.rs"));

    /// The checked model of the compiled scheme named `name`.
    pub fn by_name(name: &str) -> Option<::duijie_compiler::model::Scheme> {
        models().into_iter().find(|s| s.meta.name == name)
    }
}
