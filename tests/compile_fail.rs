//! A scheme with a mistake fails the build of `duijie` with the diagnostic
//! `duijie check` shows. The build script (`build.rs`) is a thin shell around
//! `duijie_compiler::project::compile_project`; these tests run that
//! function on a copy of the project with a misspelt field, as cargo would.

use std::path::{Path, PathBuf};

use duijie_compiler::diag;
use duijie_compiler::project::compile_project;
use duijie_compiler::spec::Specs;

/// A copy of `specs/` and `maps/` in a fresh temporary directory.
fn project(name: &str) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("duijie-compile-fail-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy(Path::new("specs"), &root.join("specs"));
    copy(Path::new("maps"), &root.join("maps"));
    root
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

#[test]
fn the_repository_compiles() {
    let build = compile_project(Path::new(""));
    assert!(!build.failed(), "{}", build.report);
    let code = build.schemes.expect("code");
    assert!(code.contains("pub mod wdt_purchase_to_kingdee"));
    assert!(code.contains("pub mod wdtqm_stockin_to_kingdee"));
    assert!(build.models.is_some());
    for input in [
        "specs",
        "maps",
        "maps/wdt_purchase_to_kingdee.map",
        "maps/shared/kingdee_codes.map",
    ] {
        assert!(
            build.inputs.contains(&PathBuf::from(input)),
            "{input} is not watched"
        );
    }
    assert!(build
        .inputs
        .iter()
        .any(|p| p.ends_with("PUR_PurchaseOrder.toml")));
    // Deterministic: the same input gives the same bytes.
    assert_eq!(
        compile_project(Path::new("")).schemes.as_deref(),
        Some(code.as_str())
    );
}

#[test]
fn a_misspelt_field_fails_the_build_at_its_line() {
    let root = project("typo");
    let map = root.join("maps/wdt_purchase_to_kingdee.map");
    let text = std::fs::read_to_string(&map).unwrap();
    let (line_no, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("FQty") && l.trim_end().ends_with("= num"))
        .expect("the seed maps FQty from num");
    let col = line.rfind("num").unwrap() + 1;
    std::fs::write(
        &map,
        text.replacen(line, &line.replacen("= num", "= nmu", 1), 1),
    )
    .unwrap();

    let build = compile_project(&root);
    assert!(build.failed());
    assert!(build.schemes.is_none() && build.models.is_none());
    let headline = format!(
        "{}:{}:{col}: error[E0101]: unknown source field `nmu`",
        map.display(),
        line_no + 1
    );
    assert_eq!(build.errors.len(), 1, "{:#?}", build.errors);
    assert!(
        build.errors[0].starts_with(&headline),
        "{}\nexpected {headline}",
        build.errors[0]
    );
    assert!(
        build.errors[0].contains("did you mean `num`"),
        "{}",
        build.errors[0]
    );
    assert!(!build.errors[0].contains('\n'));

    // The full report is what `duijie check` prints for the file.
    let specs = Specs::load_dir(&root.join("specs")).unwrap();
    let checked = duijie_compiler::check_file(&map, &specs);
    assert_eq!(
        build.report,
        diag::render(&checked.diagnostics, &checked.files, false)
    );
    assert!(build
        .report
        .contains(&format!("--> {}:{}:{col}", map.display(), line_no + 1)));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_broken_library_fails_the_build_and_names_its_includer() {
    let root = project("library");
    let lib = root.join("maps/shared/kingdee_codes.map");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replacen(
            "table stock_of_warehouse {",
            "table stock_of_warehouse {\n    \"WH001\" => 1",
            1,
        ),
    )
    .unwrap();
    let build = compile_project(&root);
    assert!(build.failed());
    assert!(
        build.report.contains("kingdee_codes.map"),
        "{}",
        build.report
    );
    assert!(build.inputs.contains(&lib));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn two_schemes_with_one_name_fail_the_build() {
    let root = project("duplicate");
    let text = std::fs::read_to_string(root.join("maps/wdt_purchase_to_kingdee.map")).unwrap();
    std::fs::write(root.join("maps/zz_copy.map"), text).unwrap();
    let build = compile_project(&root);
    assert!(build.failed());
    assert!(
        build
            .errors
            .iter()
            .any(|e| e.contains("two schemes are named `wdt_purchase_to_kingdee`")),
        "{:#?}",
        build.errors
    );
    std::fs::remove_dir_all(&root).unwrap();
}
