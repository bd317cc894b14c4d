//! `duijie test [SCHEME] [--update]`: the payload snapshot tests of the
//! project in the current directory, through the interpreter (no rebuild):
//! every `fixtures/<scheme>/<case>.json` against its `<case>.snap`
//! ([`crate::snapshots`]). Exit code 0 when every case matches, 1 when any
//! differs, is missing in CI or cannot be mapped, 2 when the project's
//! schemes have errors.

use std::path::PathBuf;

use crate::snapshots::{self, Project, Update};

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Only the cases of this scheme (`fixtures/SCHEME/`).
    pub scheme: Option<String>,
    /// Write every snapshot anew (accept the changes).
    #[arg(long)]
    pub update: bool,
    /// The project's directory (the one holding maps/ and fixtures/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

pub fn run(mut args: TestArgs) -> anyhow::Result<i32> {
    if args.project == std::path::Path::new(".") {
        // Paths in the report relative to here: `fixtures/…`, not `./fixtures/…`.
        args.project = PathBuf::new();
    }
    let project = match Project::load(&args.project) {
        Ok(p) => p,
        Err(snapshots::Error::Check(report)) => {
            eprint!("{report}");
            eprintln!("error: the schemes have errors; fix them (`duijie check`) before testing");
            return Ok(2);
        }
        Err(e) => return Err(e.into()),
    };
    eprint!("{}", project.warnings);
    if let Some(s) = &args.scheme {
        if project.interpreter(s).is_none() {
            eprintln!(
                "error: no scheme named `{s}` in {} (schemes: {})",
                args.project.join("maps").display(),
                project.names().join(", ")
            );
            return Ok(2);
        }
    }
    let report = snapshots::run(
        &project,
        args.scheme.as_deref(),
        Update::from_env(args.update),
    )?;
    if report.results.is_empty() {
        eprintln!(
            "no cases: add a source answer or record as {}/<scheme>/<case>.json",
            args.project.join("fixtures").display()
        );
        return Ok(0);
    }
    println!("{report}");
    Ok(if report.passed() { 0 } else { 1 })
}
