//! Golden diagnostics: every `tests/diagnostics/*.map` is checked against
//! the repository's specs (plus the test specs beside the cases) and its
//! rendered diagnostics are compared with a snapshot.

use std::path::{Path, PathBuf};

use duijie_compiler::diag::{codes, render};
use duijie_compiler::spec::Specs;

fn specs() -> Specs {
    let mut specs = Specs::load_dir(Path::new("../specs")).expect("repository specs load");
    for entry in std::fs::read_dir("tests/diagnostics/specs").expect("test specs") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        specs
            .add_text(&path.display().to_string(), &text)
            .expect("test spec loads");
    }
    specs
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir("tests/diagnostics")
        .expect("cases dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "map"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn golden_diagnostics() {
    let specs = specs();
    let mut seen_codes = std::collections::BTreeSet::new();
    // Doctrine: every error has a help line.
    let mut no_help = Vec::new();
    for case in cases() {
        let out = duijie_compiler::check_file(&case, &specs);
        assert!(
            !out.diagnostics.is_empty(),
            "{} produced no diagnostic",
            case.display()
        );
        for d in &out.diagnostics {
            seen_codes.insert(d.code.id);
            if d.help.is_none() {
                no_help.push(format!("{}: {} {}", case.display(), d.code.id, d.message));
            }
        }
        let name = case
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("case")
            .to_string();
        // The file name says which code the case is about.
        let expected = name.split('_').next().unwrap_or("").to_uppercase();
        if codes::lookup(&expected).is_some() {
            assert!(
                out.diagnostics.iter().any(|d| d.code.id == expected),
                "{} should report {expected}:\n{}",
                case.display(),
                render(&out.diagnostics, &out.files, false)
            );
        }
        let rendered = render(&out.diagnostics, &out.files, false);
        insta::assert_snapshot!(name, rendered);
    }
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|c| c.id)
        .filter(|id| !seen_codes.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes never exercised by a case: {missing:?}"
    );
    assert!(
        no_help.is_empty(),
        "diagnostics without a help line:\n{}",
        no_help.join("\n")
    );
}

#[test]
fn json_diagnostics_carry_positions() {
    let specs = specs();
    let case = Path::new("tests/diagnostics/e0101_unknown_source_field.map");
    let out = duijie_compiler::check_file(case, &specs);
    let json = duijie_compiler::diag::to_json(&out.diagnostics, &out.files);
    let first = json.iter().find(|d| d.code == "E0101").expect("an E0101");
    assert_eq!(first.file, case.display().to_string());
    assert_eq!((first.line, first.column), (10, 11));
    assert_eq!(
        first.help.as_deref(),
        Some("did you mean `purchase_no` (采购单号)?")
    );
}
