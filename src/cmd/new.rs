//! `duijie new NAME [--from SCHEME]...`: a new project, a cargo crate of its
//! own whose binary is the whole duijie CLI over its schemes
//! (docs/projects.md).
//!
//! It writes `Cargo.toml` (the duijie crates by path to the checkout this
//! binary was built from, when it is there; else by version), `build.rs`
//! (the build library compiles `maps/`), `src/main.rs` (the schemes handed
//! to the CLI), `tests/snapshots.rs` (the payload snapshots through the
//! compiled code), `maps/` (each chosen scheme of the library with the files
//! it includes), `specs/` (the project's own specs, laid over the built-in
//! ones), `fixtures/<scheme>/` (the library's sample answers and their
//! snapshots, made here by the interpreter), a starter `duijie.toml`,
//! `.gitignore` and `README.md`. It refuses an existing directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use duijie_maplib::Mapper;

use crate::snapshots::{self, Project, Update};

/// The scheme library: `(path, text)` of every file of duijie's `maps/` and
/// `fixtures/` (`build.rs`).
const LIBRARY: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// The checkout this binary was built from.
const CHECKOUT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The project's directory; its last component is the crate's name.
    pub path: PathBuf,
    /// Start from this ready scheme of the library (repeatable); without
    /// it, `maps/` starts empty.
    #[arg(long = "from", value_name = "SCHEME")]
    pub from: Vec<String>,
    /// The duijie checkout to depend on by path (default: the one this
    /// binary was built from, when it exists).
    #[arg(long, value_name = "DIR")]
    pub duijie: Option<PathBuf>,
}

/// The library's schemes: the `.map` files directly in `maps/`, by stem.
pub fn library_schemes() -> Vec<&'static str> {
    LIBRARY
        .iter()
        .filter_map(|(path, _)| path.strip_prefix("maps/")?.strip_suffix(".map"))
        .filter(|stem| !stem.contains('/'))
        .collect()
}

/// The text of the library's scheme `stem` (`maps/{stem}.map`).
pub fn library_scheme_text(stem: &str) -> Option<&'static str> {
    library_file(&format!("maps/{stem}.map"))
}

fn library_file(path: &str) -> Option<&'static str> {
    LIBRARY.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

pub fn run(args: NewArgs) -> anyhow::Result<i32> {
    let root = &args.path;
    if root.exists() {
        bail!(
            "{} already exists: `duijie new` makes a new directory and never writes into an existing one",
            root.display()
        );
    }
    let name = crate_name(root)?;
    let known = library_schemes();
    for scheme in &args.from {
        if !known.contains(&scheme.as_str()) {
            bail!(
                "no scheme named `{scheme}` in the library (ready schemes: {})",
                known.join(", ")
            );
        }
    }
    let checkout =
        match &args.duijie {
            Some(dir) => Some(dir.canonicalize().with_context(|| {
                format!("the duijie checkout {} cannot be found", dir.display())
            })?),
            None => Path::new(CHECKOUT)
                .join("Cargo.toml")
                .is_file()
                .then(|| PathBuf::from(CHECKOUT)),
        };
    let mut files: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), cargo_toml(&name, checkout.as_deref())),
        ("build.rs".into(), BUILD_RS.into()),
        ("src/main.rs".into(), main_rs(&name)),
        ("tests/snapshots.rs".into(), TESTS_RS.into()),
        ("specs/README.md".into(), SPECS_README.into()),
        (".gitignore".into(), GITIGNORE.into()),
        ("README.md".into(), readme(&name, &args.from)),
    ];
    for scheme in &args.from {
        copy_scheme(scheme, &mut files)?;
    }
    if args.from.is_empty() {
        files.push(("maps/README.md".into(), MAPS_README.into()));
    }
    if let Some(dir) = &checkout {
        // The versions duijie is built and tested with, so that the project
        // builds offline from the same crates.
        if let Ok(lock) = std::fs::read_to_string(dir.join("Cargo.lock")) {
            files.push(("Cargo.lock".into(), lock));
        }
    }
    for (path, text) in &files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let mappers = snapshot_fixtures(root)?;
    let starter = super::init::starter(&super::init::starter_schemes(&mappers), None);
    std::fs::write(root.join("duijie.toml"), starter)
        .with_context(|| format!("writing {}", root.join("duijie.toml").display()))?;
    println!(
        "made {} ({} scheme{}):",
        root.display(),
        args.from.len(),
        if args.from.len() == 1 { "" } else { "s" }
    );
    println!("  cd {}", root.display());
    println!(
        "  duijie check && duijie test      # check the schemes, test their payloads (no build)"
    );
    println!("  cargo test                       # the same through the compiled code");
    println!("  cargo run --release -- run --all # the CLI with these schemes compiled in");
    if checkout.is_none() {
        println!(
            "note: no duijie checkout was found, so Cargo.toml names the crates by version; give --duijie DIR to depend on a checkout"
        );
    }
    Ok(0)
}

/// The crate name of the directory `root`.
fn crate_name(root: &Path) -> anyhow::Result<String> {
    let Some(name) = root.file_name().and_then(|n| n.to_str()) else {
        bail!("{} has no name to give the crate", root.display());
    };
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !valid {
        bail!("`{name}` cannot name a crate: use ASCII letters, digits, `-` and `_`, starting with a letter");
    }
    Ok(name.to_string())
}

/// Adds the scheme's `.map` file, the files it includes (transitively) and
/// its fixtures.
fn copy_scheme(scheme: &str, files: &mut Vec<(PathBuf, String)>) -> anyhow::Result<()> {
    let mut todo = vec![format!("maps/{scheme}.map")];
    let mut done = BTreeSet::new();
    let mut looks_up = false;
    while let Some(path) = todo.pop() {
        if !done.insert(path.clone()) {
            continue;
        }
        let Some(text) = library_file(&path) else {
            bail!("the library has no {path}");
        };
        if let Ok(file) = duijie_dsl::parse(text) {
            let dir = Path::new(&path).parent().unwrap_or(Path::new("maps"));
            for item in &file.items {
                match item {
                    duijie_dsl::ast::Item::Include(inc) => {
                        let included = normalize(&dir.join(&inc.path.value));
                        todo.push(included);
                    }
                    duijie_dsl::ast::Item::Lookup(_) => looks_up = true,
                    _ => {}
                }
            }
        }
        if !files.iter().any(|(p, _)| p == Path::new(&path)) {
            files.push((path.into(), text.to_string()));
        }
    }
    let prefix = format!("fixtures/{scheme}/");
    for (path, text) in LIBRARY {
        let master_data = looks_up && *path == "fixtures/master_data.json";
        if (path.starts_with(&prefix) && path.ends_with(".json") || master_data)
            && !files.iter().any(|(p, _)| p == Path::new(path))
        {
            files.push((PathBuf::from(path), text.to_string()));
        }
    }
    Ok(())
}

/// `maps/a/../b.map` → `maps/b.map`, with `/` separators.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Writes the snapshot of every fixture, made by the interpreter on the
/// copied schemes, and returns the schemes (for the starter file).
fn snapshot_fixtures(root: &Path) -> anyhow::Result<Vec<Arc<dyn Mapper>>> {
    let project = Project::load(root).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = snapshots::run(&project, None, Update::Always)?;
    if !report.passed() {
        bail!("the fixtures of the library do not map:\n{report}");
    }
    Ok(project
        .names()
        .iter()
        .filter_map(|n| project.interpreter(n))
        .map(|i| i.clone() as Arc<dyn Mapper>)
        .collect())
}

fn cargo_toml(name: &str, checkout: Option<&Path>) -> String {
    let dep = |krate: &str, dir: &str| match checkout {
        Some(root) => {
            let path = if dir.is_empty() {
                root.to_path_buf()
            } else {
                root.join(dir)
            };
            format!("{krate} = {{ path = {:?} }}", path.display().to_string())
        }
        None => format!("{krate} = \"0.1\""),
    };
    let how = if checkout.is_some() {
        "# The duijie crates, by path to the checkout this project was made from (they\n\
         # are not on crates.io yet). Once they are published, these lines become\n\
         # versions (`duijie = \"0.1\"`, …) and the checkout is no longer needed.\n"
    } else {
        "# The duijie crates by version. They are not on crates.io yet: until they are,\n\
         # point these at a checkout instead (`duijie = { path = \"…/duijie\" }`, …),\n\
         # or make the project with `duijie new --duijie DIR`.\n"
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

{how}[dependencies]
# The whole command line (run, daemon, status, retry, map, preview, check, test, …).
{}
# What the generated mapping code calls, and the checked models it is made from.
{}
{}

[build-dependencies]
# Compiles maps/*.map against the built-in specs and specs/ (build.rs).
{}

# Its own workspace, even when made inside another one.
[workspace]

[profile.dev.package."*"]
opt-level = 1

[profile.release]
debug = "line-tables-only"
"#,
        dep("duijie", ""),
        dep("duijie-maplib", "maplib"),
        dep("duijie-compiler", "compiler"),
        dep("duijie-build", "build"),
    )
}

const BUILD_RS: &str = r#"//! Compiles the schemes of maps/ into typed Rust. A mistake in a .map file
//! (a field the API does not have, a type that does not fit) fails the
//! build with its line and column, as `duijie check` reports it.

fn main() -> Result<(), duijie_build::Error> {
    duijie_build::Config::new().maps("maps").specs("specs").compile()
}
"#;

fn main_rs(name: &str) -> String {
    format!(
        r#"//! {name}: the duijie command line with this project's schemes compiled in.

mod schemes {{
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}}

fn main() -> std::process::ExitCode {{
    duijie::cli::main(schemes::registry())
}}
"#
    )
}

const TESTS_RS: &str = r#"//! The payload snapshots of fixtures/ through the compiled code: the bytes
//! sent must be those of the interpreter (`duijie test`) and of the
//! committed `.snap` files.

mod schemes {
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}

#[test]
fn payloads_match_their_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    match duijie::snapshots::check_compiled(&schemes::registry(), root) {
        Ok(report) => assert!(report.passed(), "{report}"),
        Err(e) => panic!("{e}"),
    }
}
"#;

const SPECS_README: &str = "# Specs of this project\n\n\
A `.toml` file here adds an API or form to duijie's built-in specs, replaces one (same `system` and\n\
name), or overrides single fields of one (`role = \"override\"`, each with its `reason`); the format is\n\
duijie's `specs/README.md`. `duijie check --explain FIELD` says which file a field was checked against.\n";

const MAPS_README: &str =
    "# Schemes\n\nEach `.map` file here is a scheme (docs/language.md of duijie); files in subdirectories are\nlibraries the schemes include. Start from a ready one with `duijie new NAME --from SCHEME`.\n";

const GITIGNORE: &str = "/target\n/.duijie\n*.snap.new\n";

fn readme(name: &str, schemes: &[String]) -> String {
    let list = if schemes.is_empty() {
        "none yet: add `.map` files to `maps/`".to_string()
    } else {
        schemes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"# {name}

Integration schemes on duijie (对接): {list}.

- `maps/*.map`: the schemes; `specs/`: this project's own API specs over duijie's built-in ones.
- `fixtures/<scheme>/<case>.json`: sample source answers; `<case>.snap`: the requests they give.

```sh
duijie check                      # the schemes against the specs
duijie test                       # payload snapshots, no rebuild (--update accepts changes)
cargo test                        # the same through the compiled code
cargo run --release -- init       # then edit duijie.toml: connections and secrets
cargo run --release -- run --all  # this project's binary: the whole duijie CLI
```
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_has_the_seed_schemes_with_their_includes_and_fixtures() {
        let schemes = library_schemes();
        assert!(schemes.contains(&"wdt_purchase_to_kingdee"), "{schemes:?}");
        let mut files = Vec::new();
        copy_scheme("wdt_purchase_to_kingdee", &mut files).unwrap();
        let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert!(
            paths.contains(&"maps/wdt_purchase_to_kingdee.map".to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"maps/shared/kingdee_codes.map".to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"fixtures/wdt_purchase_to_kingdee/answer.json".to_string()),
            "{paths:?}"
        );
    }

    #[test]
    fn a_crate_needs_a_name() {
        assert!(crate_name(Path::new("/tmp/acme-sync")).is_ok());
        let e = crate_name(Path::new("/tmp/9lives"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("starting with a letter"), "{e}");
    }
}
