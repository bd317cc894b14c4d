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
    /// A directory of the project's own specs, laid over the built-in ones;
    /// default: `./specs` if it exists.
    #[arg(long, value_name = "DIR")]
    pub specs: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Say which spec file the field FIELD (a dotted path such as
    /// `FPOOrderEntry.FQty` or `details_list.num`) of each checked scheme's
    /// source and target was checked against, and what overrode it.
    #[arg(long, value_name = "FIELD")]
    pub explain: Option<String>,
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
            let cwd = std::env::current_dir().unwrap_or_default();
            eprintln!(
                "error: {} does not exist (looked in {})",
                p.display(),
                cwd.display()
            );
            if p == Path::new("maps") {
                eprintln!(
                    "help: run `duijie check` in a project, the directory holding maps/ (make one with `duijie new NAME --from SCHEME`), or name the .map files or directories to check"
                );
            }
            return Ok(2);
        }
        files.extend(project::map_files(p, true)?);
    }
    let color = args.format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let (mut errors, mut warnings, mut schemes, mut failing) = (0usize, 0usize, 0usize, 0usize);
    let mut json = Vec::new();
    let mut explained = Vec::new();
    let mut outputs: Vec<_> = files
        .iter()
        .map(|f| duijie_compiler::check_file(f, &specs))
        .collect();
    // A library's table is unused when no scheme beside it uses it, so the
    // neighbours of the checked files are checked too (not shown).
    let mut seen: Vec<PathBuf> = files.iter().map(|f| canonical(f)).collect();
    for f in &files {
        for n in project::neighbours(f) {
            let c = canonical(&n);
            if !seen.contains(&c) {
                seen.push(c);
                outputs.push(duijie_compiler::check_file(&n, &specs));
            }
        }
    }
    duijie_compiler::warn_unused_library_tables(&mut outputs);
    outputs.truncate(files.len());
    for (file, out) in files.iter().zip(&outputs) {
        if let Some(field) = &args.explain {
            for e in explain(&specs, file, field) {
                // Schemes writing one form share its explanation.
                if !explained.contains(&e) {
                    explained.push(e);
                }
            }
        }
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
    if let Some(field) = &args.explain {
        if explained.is_empty() {
            eprintln!(
                "error: no checked scheme's source or target has a field `{field}` (give its dotted path, e.g. `FPOOrderEntry.FQty`)"
            );
            return Ok(1);
        }
        match args.format {
            Format::Human => {
                for e in &explained {
                    print!("{e}");
                }
            }
            Format::Json => println!("{}", serde_json::to_string_pretty(&explained)?),
        }
        return Ok(if errors > 0 { 1 } else { 0 });
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

/// Where `field` of the source API, target form and operation that the
/// scheme in `file` names is defined (read from its header, so that a
/// scheme with errors can be explained too).
fn explain(specs: &Specs, file: &Path, field: &str) -> Vec<duijie_compiler::spec::Explanation> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let Ok(ast) = duijie_dsl::parse(&text) else {
        return Vec::new();
    };
    let mut specs_named: Vec<(String, String)> = Vec::new();
    for item in &ast.items {
        match item {
            duijie_dsl::ast::Item::Source(s) => {
                specs_named.push((s.system.name.clone(), s.api_name()));
            }
            duijie_dsl::ast::Item::Target(t) => {
                specs_named.push((t.system.name.clone(), t.form.name.clone()));
                specs_named.push((t.system.name.clone(), t.operation.name.clone()));
            }
            _ => {}
        }
    }
    specs_named
        .iter()
        .filter_map(|(system, spec)| specs.explain(system, spec, field))
        .collect()
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
