//! `duijie check` as a user runs it: exit codes, rustc-like rendering with
//! no colour when not a terminal, JSON for editors.

use std::path::Path;
use std::process::Command;

fn duijie() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_duijie"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn the_repository_schemes_check_clean() {
    let out = duijie().arg("check").output().expect("run duijie");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        // The two seed schemes, the library's five and their two includes.
        stderr.contains("checked 9 files (7 schemes): 0 errors, 0 warnings"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_field_fails_with_line_column_and_suggestion() {
    let dir = tempdir("typo");
    std::fs::create_dir_all(dir.join("shared")).expect("mkdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("maps/shared/kingdee_codes.map"),
        dir.join("shared/kingdee_codes.map"),
    )
    .expect("copy");
    let seed =
        std::fs::read_to_string(root.join("maps/wdt_purchase_to_kingdee.map")).expect("seed");
    let typo = seed.replacen(
        "FPrice                    = price",
        "FPrice                    = prcie",
        1,
    );
    assert_ne!(seed, typo);
    let file = dir.join("po.map");
    std::fs::write(&file, &typo).expect("write");
    let out = duijie().arg("check").arg(&file).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = typo
        .lines()
        .position(|l| l.contains("prcie"))
        .expect("line")
        + 1;
    assert!(stderr.contains(&format!("po.map:{line}:33")), "{stderr}");
    assert!(
        stderr.contains("error[E0101]: unknown source field `prcie`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `price` (税前单价)?"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no colour when not a terminal");
    // The file is a scheme, with errors: the summary counts it as one.
    assert!(
        stderr.contains("checked 1 file (1 scheme, 1 with errors): 1 error, 0 warnings"),
        "{stderr}"
    );

    let out = duijie()
        .args(["check", "--format", "json"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    let first = &json[0];
    assert_eq!(first["code"], "E0101");
    assert_eq!(first["line"].as_u64(), Some(line as u64));
    assert_eq!(first["column"].as_u64(), Some(33));
}

#[test]
fn usage_errors_exit_2() {
    let out = duijie()
        .args(["check", "--no-such-flag"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = duijie()
        .args(["check", "does/not/exist.map"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("duijie-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// W0001 for a library's table: unused when no scheme beside the library
/// uses it, whether the directory, a scheme or the library is checked.
#[test]
fn a_library_table_no_scheme_uses_is_warned_about() {
    let dir = tempdir("library-table");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let maps = dir.join("maps");
    std::fs::create_dir_all(maps.join("shared")).expect("mkdir");
    for f in [
        "wdt_purchase_to_kingdee.map",
        "wdtqm_stockin_to_kingdee.map",
        "shared/kingdee_codes.map",
    ] {
        std::fs::copy(root.join("maps").join(f), maps.join(f)).expect("copy");
    }
    let check = |path: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_duijie"))
            .current_dir(&dir)
            .args(["check", path])
            .output()
            .expect("run duijie");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // `stock_of_warehouse` is used by the stock-in scheme only: checking the
    // other scheme alone does not call it unused.
    let alone = check("maps/wdt_purchase_to_kingdee.map");
    assert!(alone.contains("0 errors, 0 warnings"), "{alone}");

    let lib = maps.join("shared/kingdee_codes.map");
    let mut text = std::fs::read_to_string(&lib).expect("read");
    let line = text.lines().count() + 2;
    text.push_str("\ntable never_used {\n  \"a\" => \"b\",\n}\n");
    std::fs::write(&lib, text).expect("write");
    for path in [
        "maps",
        "maps/wdt_purchase_to_kingdee.map",
        "maps/shared/kingdee_codes.map",
    ] {
        let stderr = check(path);
        assert!(
            stderr.contains("warning[W0001]: table `never_used` of a library is used by no scheme"),
            "{path}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("maps/shared/kingdee_codes.map:{line}:7")),
            "{path}: {stderr}"
        );
        assert_eq!(stderr.matches("W0001").count(), 1, "{path}: {stderr}");
    }
}
