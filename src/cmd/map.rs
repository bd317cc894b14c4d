//! `duijie map SCHEME [--interpret]`: source records in, bills out.
//!
//! Reads JSON Lines of source records (one record object per line) on
//! standard input and writes one bill (the `Model` object, compact JSON) per
//! line on standard output, in input order, as it goes: memory stays bounded
//! by the longest line. A record that fails prints one line on standard
//! error (`line 3: wdt_purchase_to_kingdee record CG001: FPOOrderEntry[1].FQty
//! <- details_list[1].num: "abc" is not a decimal`) and the run goes on; a
//! record that a `skip` filter leaves out prints nothing. The summary at the
//! end (standard error) counts bills, skipped and failed records. Exit code:
//! 0 when every record mapped or was skipped, 1 when any failed, 2 for an
//! unknown scheme.
//!
//! The compiled code runs by default; `--interpret` runs the interpreter on
//! the checked model the code was generated from (same output, byte for
//! byte; slower), to compare the two.

use std::io::{self, BufRead, BufWriter, Write};
use std::sync::Arc;

use duijie_maplib::{Mapped, Mapper};

use crate::schemes;

#[derive(Debug, clap::Args)]
pub struct MapArgs {
    /// The scheme to run (`duijie schemes` lists them).
    pub scheme: String,
    /// Run the interpreter on the scheme's checked model instead of the
    /// compiled code.
    #[arg(long)]
    pub interpret: bool,
}

/// What a run mapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read (blank lines are not records).
    pub records: u64,
    pub bills: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// The compiled scheme `name`, or the interpreter on its checked model.
pub fn mapper(name: &str, interpret: bool) -> Option<Arc<dyn Mapper>> {
    if interpret {
        let model = schemes::models::by_name(name)?;
        Some(Arc::new(duijie_compiler::interp::Interpreter::new(model)))
    } else {
        schemes::by_name(name)
    }
}

pub fn run(args: MapArgs) -> anyhow::Result<i32> {
    let Some(mapper) = mapper(&args.scheme, args.interpret) else {
        eprintln!(
            "error: no compiled scheme is named `{}` (compiled: {})",
            args.scheme,
            schemes::NAMES.join(", ")
        );
        return Ok(2);
    };
    let stdin = io::stdin().lock();
    let mut stdout = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut stderr = io::stderr().lock();
    let summary = map_stream(mapper.as_ref(), stdin, &mut stdout, &mut stderr)?;
    writeln!(
        stderr,
        "{}: {} record{}, {} bill{}, {} skipped, {} failed",
        args.scheme,
        summary.records,
        plural(summary.records),
        summary.bills,
        plural(summary.bills),
        summary.skipped,
        summary.failed
    )?;
    Ok(if summary.failed > 0 { 1 } else { 0 })
}

/// Maps every line of `input`, writing bills to `out` and one line per
/// failed record to `err`. Stops early, without error, when `out` is closed
/// (`duijie map … | head`).
pub fn map_stream(
    mapper: &dyn Mapper,
    mut input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::with_capacity(1 << 12);
    let mut bill = Vec::with_capacity(1 << 12);
    let mut number = 0u64;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(text) => text.trim_end_matches(['\n', '\r']),
            Err(e) => {
                summary.records += 1;
                summary.failed += 1;
                writeln!(err, "line {number}: the record is not UTF-8 text: {e}")?;
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        summary.records += 1;
        bill.clear();
        match mapper.map_record(text, &mut bill) {
            Ok(Mapped::Bill) => {
                summary.bills += 1;
                bill.push(b'\n');
                if let Err(e) = out.write_all(&bill) {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return Ok(summary);
                    }
                    return Err(e);
                }
            }
            Ok(Mapped::Skipped { .. }) => summary.skipped += 1,
            Err(e) => {
                summary.failed += 1;
                writeln!(err, "line {number}: {e}")?;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(summary),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
