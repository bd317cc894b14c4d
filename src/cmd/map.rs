//! `duijie map SCHEME [--interpret]`: source records in, bills out.
//!
//! Reads JSON Lines of source records (one record object per line) on
//! standard input and writes one bill (the `Model` object, compact JSON) per
//! line on standard output, in input order, as it goes (in blocks of 1 MiB):
//! memory stays bounded by the block and the longest line. A record that fails prints one line on standard
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
//!
//! The bills are those `duijie run` puts in the write queue; the request
//! that carries them to Kingdee (`{"formid":…,"data":{<options>,"Model":[…]}}`)
//! is built by `duijie_runtime::vendors::kingdee::save_requests`, which
//! `duijie preview` prints.

use std::io::{self, BufRead, BufReader, Write};
use std::sync::Arc;

use duijie_maplib::{Mapped, Mapper};

use crate::Registry;

#[derive(Debug, clap::Args)]
pub struct MapArgs {
    /// The scheme to run (`duijie schemes` lists them), or a `.map` file to
    /// check and interpret (no rebuild).
    pub scheme: String,
    /// Run the interpreter on the scheme's checked model instead of the
    /// compiled code.
    #[arg(long)]
    pub interpret: bool,
    /// The master data the scheme's lookups find (JSON: form → key field →
    /// key → fields); default: `fixtures/master_data.json` if it exists.
    /// Without it every lookup misses and its record waits (a failed line).
    #[arg(long, value_name = "FILE.json")]
    pub master_data: Option<std::path::PathBuf>,
}

/// The size of the blocks standard input is read in and bills are written
/// out in.
const BLOCK: usize = 1 << 20;

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
pub fn mapper(registry: &Registry, name: &str, interpret: bool) -> Option<Arc<dyn Mapper>> {
    if interpret {
        let model = registry.model(name)?;
        Some(Arc::new(duijie_compiler::interp::Interpreter::new(model)))
    } else {
        registry.by_name(name)
    }
}

pub fn run(args: MapArgs, registry: &Registry) -> anyhow::Result<i32> {
    let found = if args.scheme.ends_with(".map") {
        // A scheme file: checked now and interpreted, no rebuild.
        let specs = super::check::load_specs(None)?;
        match super::interpreted::check(std::path::Path::new(&args.scheme), &specs) {
            Ok(m) => Some(m),
            Err(report) => {
                eprint!("{report}");
                return Ok(2);
            }
        }
    } else {
        mapper(registry, &args.scheme, args.interpret)
    };
    let Some(mapper) = found else {
        eprintln!(
            "error: no compiled scheme is named `{}` (compiled: {})",
            args.scheme,
            registry.names().join(", ")
        );
        return Ok(2);
    };
    // Large blocks both ways: a record is several KB, and reading or
    // writing in small pieces costs more system calls and copies than the
    // mapping itself.
    let stdin = BufReader::with_capacity(BLOCK, io::stdin().lock());
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let master_data = match &args.master_data {
        Some(path) => duijie_runtime::lookups::MasterDataFile::load(path)
            .map_err(anyhow::Error::msg)?
            .ok_or_else(|| anyhow::anyhow!("{} does not exist", path.display()))?,
        None => crate::snapshots::master_data(std::path::Path::new("."))?,
    };
    let summary = map_stream_with(
        mapper.as_ref(),
        &master_data,
        stdin,
        &mut stdout,
        &mut stderr,
    )?;
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
///
/// Lines are found (`memchr`) and checked to be UTF-8 (`simdutf8`) in the
/// reader's own buffer, without copying them; only a line cut by the end of
/// the buffer is put together in a line buffer. Bills are appended to one
/// buffer, written to `out` in blocks of about [`BLOCK`] bytes (and at the
/// end); `out` needs no buffering of its own.
pub fn map_stream(
    mapper: &dyn Mapper,
    input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Summary> {
    map_stream_with(mapper, &duijie_maplib::NoLookups, input, out, err)
}

/// [`map_stream`], with the scheme's lookups answered by `lookups`.
pub fn map_stream_with(
    mapper: &dyn Mapper,
    lookups: &dyn duijie_maplib::Lookups,
    mut input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Summary> {
    let mut m = Lines {
        mapper,
        lookups,
        summary: Summary::default(),
        bills: Vec::with_capacity(BLOCK + (1 << 16)),
        number: 0,
    };
    // The start of a line the buffer's end cut.
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        let mut at = 0;
        if !partial.is_empty() {
            match memchr::memchr(b'\n', buf) {
                None => {
                    partial.extend_from_slice(buf);
                    input.consume(len);
                    continue;
                }
                Some(end) => {
                    partial.extend_from_slice(&buf[..end]);
                    at = end + 1;
                    if !m.line(&partial, out, err)? {
                        return Ok(m.summary);
                    }
                    partial.clear();
                }
            }
        }
        let base = at;
        for end in memchr::memchr_iter(b'\n', &buf[base..]) {
            let line = &buf[at..base + end];
            if !m.line(line, out, err)? {
                return Ok(m.summary);
            }
            at = base + end + 1;
        }
        partial.extend_from_slice(&buf[at..]);
        input.consume(len);
    }
    if !partial.is_empty() && !m.line(&partial, out, err)? {
        return Ok(m.summary);
    }
    if write_out(out, &mut m.bills)? {
        match out.flush() {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e),
            _ => {}
        }
    }
    Ok(m.summary)
}

/// The state of [`map_stream`].
struct Lines<'m> {
    mapper: &'m dyn Mapper,
    lookups: &'m dyn duijie_maplib::Lookups,
    summary: Summary,
    bills: Vec<u8>,
    /// The number of the last line seen.
    number: u64,
}

impl Lines<'_> {
    /// Maps one line (without its `\n`): `false` when `out` is closed.
    fn line(
        &mut self,
        line: &[u8],
        out: &mut impl Write,
        err: &mut impl Write,
    ) -> io::Result<bool> {
        self.number += 1;
        let number = self.number;
        let summary = &mut self.summary;
        let text = match simdutf8::basic::from_utf8(line) {
            Ok(text) => text.trim_end_matches('\r'),
            Err(_) => {
                summary.records += 1;
                summary.failed += 1;
                // The detailed error (where) of the standard library.
                let e = std::str::from_utf8(line).err();
                match e {
                    Some(e) => writeln!(err, "line {number}: the record is not UTF-8 text: {e}")?,
                    None => writeln!(err, "line {number}: the record is not UTF-8 text")?,
                }
                return Ok(true);
            }
        };
        if text.trim().is_empty() {
            return Ok(true);
        }
        summary.records += 1;
        let bills = &mut self.bills;
        let start = bills.len();
        match self.mapper.map_record_with(text, bills, self.lookups) {
            Ok(Mapped::Bill { .. }) => {
                summary.bills += 1;
                bills.push(b'\n');
                if bills.len() >= BLOCK {
                    return write_out(out, bills);
                }
            }
            Ok(Mapped::Skipped { .. }) => {
                summary.skipped += 1;
                bills.truncate(start);
            }
            Err(e) => {
                summary.failed += 1;
                bills.truncate(start);
                writeln!(err, "line {number}: {e}")?;
            }
        }
        Ok(true)
    }
}

/// Writes and empties `bills`: `false` when `out` is closed.
fn write_out(out: &mut impl Write, bills: &mut Vec<u8>) -> io::Result<bool> {
    let written = out.write_all(bills);
    bills.clear();
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts writes; fails with a broken pipe after `limit` writes.
    struct Sink {
        bytes: Vec<u8>,
        writes: usize,
        limit: usize,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.writes == self.limit {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.writes += 1;
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const RECORD: &str = r#"{"purchase_no":"A","check_time":"2024-01-01 00:00:00","details_list":[{"rec_id":"1","num":"1"}]}"#;

    #[test]
    fn bills_go_out_in_large_blocks_and_stop_at_a_closed_pipe() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("maps/wdt_purchase_to_kingdee.map");
        let specs = duijie_compiler::spec::Specs::embedded().unwrap();
        let model = duijie_compiler::check_file(&file, &specs).scheme.unwrap();
        let mapper: Arc<dyn Mapper> = Arc::new(duijie_compiler::interp::Interpreter::new(model));
        let mut one = Vec::new();
        mapper.map_record(RECORD, &mut one).unwrap();
        let n = BLOCK / one.len() * 2 + 10;
        // CRLF, blank lines, a failing record and a last line without a
        // newline.
        let mut input = format!("{RECORD}\r\n\n  \nnot json\n");
        for _ in 1..n - 1 {
            input.push_str(RECORD);
            input.push('\n');
        }
        input.push_str(RECORD);
        let mut sink = Sink {
            bytes: Vec::new(),
            writes: 0,
            limit: usize::MAX,
        };
        let mut err = Vec::new();
        let summary = map_stream(mapper.as_ref(), input.as_bytes(), &mut sink, &mut err).unwrap();
        assert_eq!(
            summary,
            Summary {
                records: n as u64 + 1,
                bills: n as u64,
                skipped: 0,
                failed: 1
            }
        );
        assert!(String::from_utf8(err).unwrap().starts_with("line 4: "));
        assert_eq!(sink.writes, 3, "two full blocks and the rest");
        let mut want = one.clone();
        want.push(b'\n');
        assert_eq!(sink.bytes, want.repeat(n));

        let mut closed = Sink {
            bytes: Vec::new(),
            writes: 0,
            limit: 1,
        };
        let summary = map_stream(
            mapper.as_ref(),
            input.as_bytes(),
            &mut closed,
            &mut Vec::new(),
        )
        .unwrap();
        assert!(summary.bills < n as u64);
        assert_eq!(closed.writes, 1);

        // Lines cut by the reader's buffer at every place, a line that is
        // not UTF-8, the same bills.
        let mut input = format!("{RECORD}\n{RECORD}\r\n").into_bytes();
        input.extend_from_slice(b"\xff\xfe\n\n");
        input.extend_from_slice(RECORD.as_bytes());
        for capacity in [1, 2, 7, 64, RECORD.len(), RECORD.len() + 1] {
            let mut sink = Sink {
                bytes: Vec::new(),
                writes: 0,
                limit: usize::MAX,
            };
            let mut err = Vec::new();
            let reader = BufReader::with_capacity(capacity, &input[..]);
            let summary = map_stream(mapper.as_ref(), reader, &mut sink, &mut err).unwrap();
            assert_eq!(
                summary,
                Summary {
                    records: 4,
                    bills: 3,
                    skipped: 0,
                    failed: 1
                },
                "buffer of {capacity}"
            );
            assert_eq!(sink.bytes, want.repeat(3), "buffer of {capacity}");
            let err = String::from_utf8(err).unwrap();
            assert!(
                err.starts_with("line 3: the record is not UTF-8 text: invalid utf-8"),
                "{err}"
            );
        }
    }
}
