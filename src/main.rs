//! `duijie` (对接): typed, compiled data sync from 旺店通 to 金蝶云星空.
//!
//! The whole CLI is the library's (`duijie::cli`); this binary hands it the
//! schemes of `maps/`, compiled by `build.rs` as any project's are.

/// The schemes of `maps/*.map`, compiled into typed Rust by `build.rs`: one
/// module per scheme (`wdt_purchase_to_kingdee`, …) with its source
/// structs, bill structs, `transform` and `META`; the checked models the
/// code was generated from; and `registry()`. The generated code is in
/// `target/…/build/duijie-*/out/` (its snapshots are in
/// `compiler/tests/snapshots/`).
mod schemes {
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}

fn main() -> std::process::ExitCode {
    duijie::cli::main(schemes::registry())
}
