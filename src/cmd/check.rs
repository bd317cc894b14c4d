//! `duijie check`: check `.map` files against the API specs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use duijie_compiler::diag::{self, Severity};
use duijie_compiler::project;
use duijie_compiler::spec::Specs;

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered like rustc, on standard error.
    Human,
    /// One JSON array of diagnostics on standard output (for editors).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// `.map` files or directories to check (directories are searched
    /// recursively).
    #[arg(default_value = "maps")]
    pub paths: Vec<PathBuf>,
    /// Where the API specs are; default: `./specs` if it exists, else the
    /// specs built into duijie.
    #[arg(long, value_name = "DIR")]
    pub specs: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Loads specs from `dir`, from `./specs`, or the built-in copy
/// ([`project::SpecsFrom`]).
pub fn load_specs(dir: Option<&Path>) -> anyhow::Result<Specs> {
    let from = project::SpecsFrom::find(dir);
    from.load().with_context(|| format!("loading {from}"))
}

/// Runs the command; returns the exit code (0 clean, 1 errors).
pub fn run(args: CheckArgs) -> anyhow::Result<i32> {
    let specs = load_specs(args.specs.as_deref())?;
    let mut files = Vec::new();
    for p in &args.paths {
        if !p.exists() {
            eprintln!("error: {} does not exist", p.display());
            return Ok(2);
        }
        files.extend(project::map_files(p, true)?);
    }
    let color = args.format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let (mut errors, mut warnings, mut schemes, mut failing) = (0usize, 0usize, 0usize, 0usize);
    let mut json = Vec::new();
    for file in &files {
        let out = duijie_compiler::check_file(file, &specs);
        errors += out
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        warnings += out
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        // A file that is not a library is a scheme, with errors or not.
        if !out.is_library {
            schemes += 1;
            if out.scheme.is_none() {
                failing += 1;
            }
        }
        match args.format {
            Format::Human => eprint!("{}", diag::render(&out.diagnostics, &out.files, color)),
            Format::Json => json.extend(diag::to_json(&out.diagnostics, &out.files)),
        }
    }
    match args.format {
        Format::Json => {
            use std::io::Write;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string_pretty(&json)?
            );
        }
        Format::Human => eprintln!(
            "checked {} file{} ({schemes} scheme{}{}): {errors} error{}, {warnings} warning{}",
            files.len(),
            plural(files.len()),
            plural(schemes),
            if failing > 0 {
                format!(", {failing} with errors")
            } else {
                String::new()
            },
            plural(errors),
            plural(warnings)
        ),
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
