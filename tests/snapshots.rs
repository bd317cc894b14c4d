//! The payload snapshots of `fixtures/` through the compiled schemes, as a
//! project made by `duijie new` tests its own (the same file is written
//! there): the bytes sent must be those of the interpreter (`duijie test`)
//! and of the committed `.snap` files.

mod schemes {
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}

#[test]
fn payloads_match_their_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    match duijie::snapshots::check_compiled(&schemes::registry(), root) {
        Ok(report) => {
            assert!(report.passed(), "{report}");
            assert_eq!(report.results.len(), 7, "{report}");
        }
        Err(e) => panic!("{e}"),
    }
}
