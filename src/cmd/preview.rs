//! `duijie preview FILE.map --input FILE.json`: the requests a scheme would
//! send, without sending them and without rebuilding duijie.
//!
//! Checks the `.map` file (diagnostics as `duijie check` renders them; exit 1
//! on errors), runs the interpreter on the input, and prints the request body
//! of the scheme's target operation with every bill, built by the function
//! the runtime sends with (`duijie_runtime::vendors::kingdee::save_requests`):
//! for `BatchSave` `{"formid":…,"data":{<options>,"Model":[bill,…]}}`, one
//! body per bill for `Save`. Bodies are pretty-printed with keys in the
//! order they are sent; `--wire` prints them exactly as sent, byte for byte,
//! one a line.
//!
//! The input is one record, an array of records, or a whole answer of the
//! source API (`{"code":0,"purchase_list":[…]}`, a Qimen `{"response":{…}}`
//! envelope): an answer is read by the scheme's connector, so an error
//! answer gives the error a run would report. Skipped and failed records
//! are listed on standard error; the exit code is 1 when any record failed.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use duijie_compiler::diag;
use duijie_compiler::interp::{Interpreter, Outcome};
use duijie_compiler::spec::Specs;
use duijie_maplib::SourceMeta;
use duijie_runtime::vendors::kingdee;
use serde_json::value::RawValue;

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The `.map` scheme to check and run.
    pub file: PathBuf,
    /// One source record, an array of records, or a whole answer of the
    /// source API (JSON; an object with the list key or an envelope key —
    /// `code`, `response`, `error_response`, `errorcode`, `flag` — is read
    /// as an answer); `-` for standard input.
    #[arg(long, short, value_name = "FILE.json")]
    pub input: PathBuf,
    /// A directory of the project's own specs, laid over the built-in ones;
    /// default: `./specs` if it exists.
    #[arg(long, value_name = "DIR")]
    pub specs: Option<PathBuf>,
    /// Print each body exactly as it is sent (compact JSON, one a line)
    /// instead of pretty-printed.
    #[arg(long)]
    pub wire: bool,
    /// The master data the scheme's lookups find (JSON: form → key field →
    /// key → fields); default: `fixtures/master_data.json` if it exists.
    /// Without it, every lookup misses and its record is said to wait.
    #[arg(long, value_name = "FILE.json")]
    pub master_data: Option<PathBuf>,
}

/// A preview: the request body, and what became of each record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The request bodies exactly as they are sent: one for `BatchSave`,
    /// one per bill for `Save`.
    pub wire: Vec<String>,
    /// The same, pretty-printed ([`pretty`]).
    pub bodies: Vec<String>,
    /// One line per record that gave no bill: `record 2 (CG001): skipped
    /// (skip if status == "10")`, `record 3: <error>` (which names the id).
    pub notes: Vec<String>,
    /// Records that failed.
    pub failed: usize,
}

/// Why a preview could not be made.
#[derive(Debug)]
pub enum PreviewError {
    /// The scheme has errors (or is a library): the rendered diagnostics.
    Check(String),
    /// The input is not a record or a response.
    Input(String),
}

/// Checks `file` and maps `input` with the interpreter.
pub fn preview(
    file: &Path,
    input: &str,
    specs: &Specs,
    color: bool,
    lookups: &dyn duijie_maplib::Lookups,
) -> Result<Preview, PreviewError> {
    let out = duijie_compiler::check_file(file, specs);
    let rendered = diag::render(&out.diagnostics, &out.files, color);
    let scheme = match out.scheme {
        Some(s) if !out.has_errors() => s,
        _ if out.is_library => {
            return Err(PreviewError::Check(format!(
                "{rendered}error: {} is a library (it has no `scheme` header): preview a scheme that includes it\n",
                file.display()
            )))
        }
        _ => return Err(PreviewError::Check(rendered)),
    };
    if !rendered.is_empty() {
        // Warnings only: show them, then the preview.
        eprint!("{rendered}");
    }
    let interp = Interpreter::new(scheme);
    let meta = &interp.scheme().meta;
    let records = records(&meta.source, input)?;
    let outcomes = interp.map_all_with(records.iter().map(|r| r.get()), lookups);
    let mut bills = Vec::new();
    let mut notes = Vec::new();
    let mut failed = 0;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let n = i + 1;
        match outcome {
            Outcome::Bill(bill) => bills.push(bill),
            Outcome::Skipped { reason } => {
                // Named by its id too, as a failed record is.
                let id = duijie_maplib::json::record_id(records[i].get(), &meta.id_field)
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
                notes.push(format!("record {n}{id}: skipped ({reason})"));
            }
            Outcome::Failed(e) if e.waiting.is_some() => {
                failed += 1;
                notes.push(format!("record {n}: waits for base data: {e}"));
            }
            Outcome::Failed(e) => {
                failed += 1;
                notes.push(format!("record {n}: {e}"));
            }
        }
    }
    let bill_refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let wire = if bill_refs.is_empty() {
        Vec::new()
    } else {
        kingdee::save_requests(&meta.target, &bill_refs)
            .map_err(|e| PreviewError::Input(e.to_string()))?
    };
    Ok(Preview {
        bodies: wire.iter().map(|body| pretty(body)).collect(),
        wire,
        notes,
        failed,
    })
}

/// The records of the input ([`crate::snapshots`] reads fixtures the same
/// way).
fn records(source: &SourceMeta, input: &str) -> Result<Vec<Box<RawValue>>, PreviewError> {
    crate::snapshots::records(source, input).map_err(PreviewError::Input)
}

pub fn run(args: PreviewArgs) -> anyhow::Result<i32> {
    let specs = super::check::load_specs(args.specs.as_deref())?;
    let input = if args.input == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the input from standard input")?;
        s
    } else {
        std::fs::read_to_string(&args.input)
            .with_context(|| format!("reading {}", args.input.display()))?
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let master_data = match &args.master_data {
        Some(path) => duijie_runtime::lookups::MasterDataFile::load(path)
            .map_err(anyhow::Error::msg)?
            .with_context(|| format!("{} does not exist", path.display()))?,
        None => crate::snapshots::master_data(Path::new("."))?,
    };
    match preview(&args.file, &input, &specs, color, &master_data) {
        Ok(p) => {
            for note in &p.notes {
                eprintln!("{note}");
            }
            let mut stdout = std::io::stdout().lock();
            let bodies = if args.wire { &p.wire } else { &p.bodies };
            for body in bodies {
                // A closed pipe (`| head`) ends the output, not the command.
                if let Err(e) = writeln!(stdout, "{body}") {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        break;
                    }
                    return Err(e.into());
                }
            }
            Ok(if p.failed > 0 { 1 } else { 0 })
        }
        Err(PreviewError::Check(rendered)) => {
            eprint!("{rendered}");
            Ok(1)
        }
        Err(PreviewError::Input(e)) => {
            let input = if args.input == Path::new("-") {
                "standard input".to_string()
            } else {
                args.input.display().to_string()
            };
            eprintln!("error: {input}: {e}");
            Ok(1)
        }
    }
}

/// Re-indents compact JSON as `serde_json::to_string_pretty` would (two
/// spaces, `"key": value`, `[]` and `{}` for empty containers), keeping the
/// text of every key, string and number as it is: decimals keep their exact
/// text and keys their order.
pub fn pretty(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    out.push(c);
                    match c {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn pretty_is_serde_pretty_with_exact_numbers() {
        let compact = r#"{"formid":"PUR_PurchaseOrder","data":{"Model":[{"FQty":10.0000,"E":[],"O":{},"S":"a,b:{\"c\"}"}],"IsAutoSubmitAndAudit":true}}"#;
        let value: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,{"b":"x"}],"c":{},"d":[]}"#).unwrap();
        assert_eq!(
            pretty(r#"{"a":[1,{"b":"x"}],"c":{},"d":[]}"#),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(
            pretty(compact),
            "{\n  \"formid\": \"PUR_PurchaseOrder\",\n  \"data\": {\n    \"Model\": [\n      {\n        \"FQty\": 10.0000,\n        \"E\": [],\n        \"O\": {},\n        \"S\": \"a,b:{\\\"c\\\"}\"\n      }\n    ],\n    \"IsAutoSubmitAndAudit\": true\n  }\n}"
        );
    }
}
