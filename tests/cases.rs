//! The behaviour cases of the `.map` language, as data
//! (`tests/cases/README.md`): schemes with their records and the bills,
//! skips and errors they give, run through the interpreter and through the
//! code compiled by `tests/fixtures/codegen`'s build script; schemes with
//! the diagnostics `duijie check` gives; specs with the error loading them
//! gives; and every example of `docs/language.md`.
//!
//! `CASES_BLESS=1 cargo test --test cases` writes what the cases give into
//! their expected files instead of comparing: read the difference before
//! committing it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

#[path = "cases/manual.rs"]
mod manual;

use duijie_codegen_fixtures as fixtures;
use duijie_compiler::diag::render;
use duijie_compiler::interp::Interpreter;
use duijie_compiler::spec::Specs;
use duijie_maplib::{Mapped, Mapper};
use duijie_runtime::lookups::MasterDataFile;

const CASES: &str = "tests/cases";

fn spec_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("specs"),
        PathBuf::from("tests/fixtures/codegen/specs"),
    ];
    let own = Path::new(CASES).join("specs");
    if own.is_dir() {
        dirs.push(own);
    }
    dirs
}

fn specs() -> Specs {
    let mut specs = Specs::default();
    for dir in spec_dirs() {
        specs.add_dir(&dir).expect("the cases' specs load");
    }
    specs
}

fn bless() -> bool {
    std::env::var_os("CASES_BLESS").is_some_and(|v| v == "1")
}

/// The files of `dir` ending in `.ext`, in name order.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Compares `actual` with the file `expected` (or writes it, blessing);
/// returns a description of the difference.
fn compare(expected: &Path, actual: &str) -> Option<String> {
    if bless() {
        std::fs::write(expected, actual).expect("write expected file");
        return None;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_default();
    if want == actual {
        return None;
    }
    let mut diff = format!("{}:\n", expected.display());
    let (w, a): (Vec<&str>, Vec<&str>) = (want.lines().collect(), actual.lines().collect());
    for i in 0..w.len().max(a.len()) {
        let (x, y) = (w.get(i), a.get(i));
        if x != y {
            diff.push_str(&format!(
                "  line {}:\n    expected: {}\n    actual:   {}\n",
                i + 1,
                x.unwrap_or(&"(nothing)"),
                y.unwrap_or(&"(nothing)")
            ));
        }
    }
    Some(diff)
}

/// The master data the cases' lookups find (`tests/cases/master_data.json`:
/// form → key field → key → fields).
fn master_data() -> &'static MasterDataFile {
    static DATA: std::sync::OnceLock<MasterDataFile> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        MasterDataFile::load(&Path::new(CASES).join("master_data.json"))
            .expect("tests/cases/master_data.json loads")
            .expect("tests/cases/master_data.json exists")
    })
}

/// What one record gave, as one line of an `.out` file.
fn outcome_line(mapper: &dyn Mapper, record: &str) -> String {
    let mut out = Vec::new();
    match mapper.map_record_with(record, &mut out, master_data()) {
        Ok(Mapped::Bill { id, number }) => format!(
            "bill id={} number={} {}",
            id.as_deref().unwrap_or("-"),
            number.as_deref().unwrap_or("-"),
            String::from_utf8_lossy(&out)
        ),
        Ok(Mapped::Skipped { id, reason }) => {
            format!("skip id={}: {reason}", id.as_deref().unwrap_or("-"))
        }
        Err(e) if e.waiting.is_some() => format!("wait {e}"),
        Err(e) => format!("error {e}"),
    }
}

/// Every record of `input` (JSON Lines; blank lines ignored) through both
/// mappers: the `.out` text, or the first record on which they differ.
fn run_both(interp: &Interpreter, compiled: &dyn Mapper, input: &str) -> Result<String, String> {
    let mut text = String::new();
    for record in input.lines().filter(|l| !l.trim().is_empty()) {
        let a = outcome_line(interp, record);
        let b = outcome_line(compiled, record);
        if a != b {
            return Err(format!(
                "interpreter and compiled code differ on {record}\n  interpreter: {a}\n  compiled:    {b}"
            ));
        }
        text.push_str(&a);
        text.push('\n');
    }
    Ok(text)
}

/// `tests/cases/NAME.map` with `NAME.in` and `NAME.out`.
#[test]
fn schemes_map_records_as_their_cases_say() {
    let specs = specs();
    let mut failures = Vec::new();
    let maps = files(Path::new(CASES), "map");
    assert!(!maps.is_empty(), "no cases in {CASES}");
    for map in maps {
        let out = duijie_compiler::check_file(&map, &specs);
        if out.is_library {
            continue;
        }
        let Some(scheme) = out.scheme else {
            failures.push(format!(
                "{} does not check:\n{}",
                map.display(),
                render(&out.diagnostics, &out.files, false)
            ));
            continue;
        };
        let name = scheme.meta.name.clone();
        let Some(compiled) = fixtures::cases::by_name(&name) else {
            failures.push(format!("{}: `{name}` is not compiled", map.display()));
            continue;
        };
        let input = std::fs::read_to_string(map.with_extension("in"))
            .unwrap_or_else(|e| panic!("{}: no input: {e}", map.display()));
        match run_both(&Interpreter::new(scheme), compiled.as_ref(), &input) {
            Ok(text) => failures.extend(compare(&map.with_extension("out"), &text)),
            Err(e) => failures.push(format!("{}: {e}", map.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `tests/cases/check/NAME.map` with the diagnostics in `NAME.out`.
#[test]
fn schemes_give_the_diagnostics_their_cases_say() {
    let specs = specs();
    let mut failures = Vec::new();
    let maps = files(&Path::new(CASES).join("check"), "map");
    assert!(!maps.is_empty(), "no check cases");
    for map in maps {
        let out = duijie_compiler::check_file(&map, &specs);
        let text = render(&out.diagnostics, &out.files, false);
        failures.extend(compare(&map.with_extension("out"), &text));
        // Doctrine: every error has a help line.
        for d in out.diagnostics.iter().filter(|d| d.help.is_none()) {
            failures.push(format!("{}: {} has no help line", map.display(), d.code.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `tests/cases/spec_files/NAME.toml`: what loading it gives (`loads`, or the error), in `NAME.out`.
#[test]
fn bad_specs_give_the_errors_their_cases_say() {
    let mut failures = Vec::new();
    let tomls = files(&Path::new(CASES).join("spec_files"), "toml");
    for toml in tomls {
        let text = std::fs::read_to_string(&toml).expect("read spec case");
        let mut specs = Specs::default();
        let got = match specs.add_text(&toml.display().to_string(), &text) {
            Ok(()) => "loads\n".to_string(),
            Err(e) => format!("{e}\n"),
        };
        failures.extend(compare(&toml.with_extension("out"), &got));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every block of `docs/language.md` with `tests/cases/manual/NAME.*`: with
/// `NAME.in`, the records it maps (through both paths) as `NAME.out` says;
/// without, the diagnostics of `NAME.out` (empty: it checks clean).
#[test]
fn every_example_of_the_manual_runs() {
    let docs = std::fs::read_to_string("docs/language.md").expect("the manual");
    let examples = manual::examples(&docs).unwrap_or_else(|e| panic!("{e}"));
    assert!(examples.len() >= 7, "only {} examples", examples.len());
    let specs = specs();
    let dir = Path::new(CASES).join("manual");
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for example in &examples {
        if !names.insert(example.name.clone()) {
            failures.push(format!("two examples are named `{}`", example.name));
        }
        let base = dir.join(&example.name);
        let wrapper = std::fs::read_to_string(base.with_extension("map")).ok();
        let text = match manual::expand(example, wrapper.as_deref()) {
            Ok(text) => text,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let path = base.with_extension("map");
        let out = duijie_compiler::check_source(&path, &text, &specs);
        let rendered = render(&out.diagnostics, &out.files, false);
        let expected = base.with_extension("out");
        let input = base.with_extension("in");
        if !input.exists() {
            failures.extend(compare(&expected, &rendered));
            continue;
        }
        let Some(scheme) = out.scheme else {
            failures.push(format!(
                "the example `{}` (docs/language.md:{}) does not check:\n{rendered}",
                example.name, example.line
            ));
            continue;
        };
        let compiled: Option<Arc<dyn Mapper>> = fixtures::manual::by_name(&scheme.meta.name);
        let Some(compiled) = compiled else {
            failures.push(format!("the example `{}` is not compiled", example.name));
            continue;
        };
        let records = std::fs::read_to_string(&input).expect("read input");
        match run_both(&Interpreter::new(scheme), compiled.as_ref(), &records) {
            Ok(text) => failures.extend(compare(&expected, &format!("{rendered}{text}"))),
            Err(e) => failures.push(format!("the example `{}`: {e}", example.name)),
        }
    }
    // A case file of an example that is no longer in the manual.
    for ext in ["map", "in", "out"] {
        for file in files(&dir, ext) {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if !names.contains(stem) {
                failures.push(format!("{}: no example of that name", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
