//! Compiles the schemes of `maps/*.map` into typed Rust when `duijie` is
//! built, with the build library every project on duijie uses
//! (`duijie_build`, docs/projects.md): `$OUT_DIR/duijie.rs` holds one module
//! per scheme, their checked models (for `duijie map --interpret`) and the
//! registry `src/main.rs` hands to the CLI.
//!
//! A scheme with errors fails the build with the report `duijie check`
//! prints: one `cargo::error=` line per error (`maps/x.map:12:5: error[E0101]:
//! …`), then the full rendered diagnostics.
//!
//! It also embeds the scheme library (`maps/` and `fixtures/`) that `duijie
//! new --from` copies into a new project. The schemes of the code
//! generation tests are compiled by their own test crate
//! (`tests/fixtures/codegen`), not here.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    duijie_build::Config::new().maps("maps").compile()?;
    embed_library()?;
    Ok(())
}

/// `$OUT_DIR/library.rs`: `(path, text)` of every file under `maps/` and
/// `fixtures/`, for `duijie new`.
fn embed_library() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    for dir in ["maps", "fixtures"] {
        println!("cargo::rerun-if-changed={dir}");
        collect(std::path::Path::new(dir), &mut files)?;
    }
    files.sort();
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let mut out = String::from("&[\n");
    for file in &files {
        let rel = file.to_string_lossy().replace('\\', "/");
        let abs = std::path::Path::new(&manifest).join(file);
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push(']');
    let dest = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("library.rs");
    std::fs::write(dest, out)?;
    Ok(())
}

fn collect(
    dir: &std::path::Path,
    out: &mut Vec<std::path::PathBuf>,
) -> Result<(), Box<dyn std::error::Error>> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            println!("cargo::rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
    Ok(())
}
