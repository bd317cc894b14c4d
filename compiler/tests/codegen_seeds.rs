//! The generated Rust of the seed schemes, pinned by snapshots.
//!
//! Review a change with `cargo insta review`; the build of the `duijie`
//! binary proves that the same code compiles without warnings.

use std::path::Path;
use std::sync::Once;

use duijie_compiler::spec::Specs;

/// Tests of this file use paths relative to the repository root, as the
/// build script does (the scheme's `file` is written into the code).
fn at_root() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .expect("repository root");
    });
}

fn scheme(path: &str) -> duijie_compiler::model::Scheme {
    at_root();
    let specs = Specs::load_dir(Path::new("specs")).expect("specs load");
    let out = duijie_compiler::check_file(Path::new(path), &specs);
    assert!(!out.has_errors(), "{path} has errors");
    out.scheme.expect("a scheme")
}

#[test]
fn purchase_scheme() {
    let s = scheme("maps/wdt_purchase_to_kingdee.map");
    let code = duijie_compiler::codegen::generate(&[s]).expect("generates");
    insta::assert_snapshot!(code);
}

#[test]
fn stockin_scheme() {
    let s = scheme("maps/wdtqm_stockin_to_kingdee.map");
    let code = duijie_compiler::codegen::generate(&[s]).expect("generates");
    insta::assert_snapshot!(code);
}

/// Every construct of the language (`tests/fixtures/codegen/kitchen_sink.map`,
/// against the test specs beside it).
#[test]
fn kitchen_sink_scheme() {
    at_root();
    let dir = Path::new("tests/fixtures/codegen");
    let build = duijie_compiler::project::compile_dir(
        dir,
        &[Path::new("specs").to_path_buf(), dir.join("specs")],
    );
    assert!(!build.failed(), "{}", build.report);
    insta::assert_snapshot!(build.schemes.expect("code"));
}
