//! Mapping throughput of the purchase-order scheme
//! (`maps/wdt_purchase_to_kingdee.map`), four ways in one run:
//!
//! | bench | what |
//! |---|---|
//! | `compiled` | the generated code (`Mapper::map_record`), what `duijie map` and `duijie run` use |
//! | `interpreter` | `duijie_compiler::interp::Interpreter` on the same checked model (`duijie map --interpret`, `duijie preview`) |
//! | `handwritten` | the same mapping written by hand with serde (`handwritten.rs`): the yardstick |
//! | `handwritten_ser_dec` | the same, writing decimals with `maplib::json::ser::dec` (serde's way for a `Decimal` field; the generated code writes JSON itself) |
//! | `value_passthrough` | `serde_json::Value`: parse each record and write it back, no mapping |
//!
//! Every iteration maps the whole data set (`bench/data_set.rs`: 1000 of the
//! sandbox's purchase orders, seed [`data_set::SEED`]), one record at a time into a reused
//! buffer, as `duijie map` does; divan reports records/s (items) and MB/s of
//! input. Before measuring, the compiled output is checked to be byte for
//! byte that of the hand-written version and of the interpreter.
//!
//! After divan's table, a summary measures the paths again in interleaved
//! rounds (less exposed to other load on the machine) and prints the ratios
//! the targets are about (docs/performance.md). `DUIJIE_BENCH_ORDERS=N`
//! changes the data set size; `DUIJIE_BENCH_SUMMARY=0` skips the summary.
//!
//! For profilers, `DUIJIE_BENCH_ONLY=PATH` (`compiled`, `interpreter`,
//! `handwritten`, `handwritten_ser_dec`, `value_passthrough`) skips divan and
//! maps the data set `DUIJIE_BENCH_PASSES` times (default 10) with that path
//! alone, e.g. `valgrind --tool=callgrind target/release/deps/mapping-…`.
//!
//! `cargo bench --bench mapping`

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use duijie_compiler::interp::Interpreter;
use duijie_maplib::{Mapped, Mapper};

mod handwritten;

#[path = "../../bench/data_set.rs"]
mod data_set;

#[allow(clippy::all)]
mod schemes {
    include!(concat!(env!("OUT_DIR"), "/duijie.rs"));
}

const SCHEME: &str = "wdt_purchase_to_kingdee";

/// The data set: JSON Lines text and each record's range in it.
struct Data {
    text: String,
    lines: Vec<(usize, usize)>,
}

impl Data {
    fn records(&self) -> impl Iterator<Item = &str> + '_ {
        self.lines.iter().map(|&(a, b)| &self.text[a..b])
    }

    fn count(&self) -> usize {
        self.lines.len()
    }

    fn bytes(&self) -> usize {
        self.text.len()
    }
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let n = std::env::var("DUIJIE_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let text = data_set::json_lines(data_set::SEED, n);
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, start + line.trim_end().len()));
        start += line.len();
    }
    Data { text, lines }
});

static INTERPRETER: LazyLock<Interpreter> = LazyLock::new(|| {
    let model = schemes::registry()
        .model(SCHEME)
        .expect("the purchase scheme is compiled");
    Interpreter::new(model)
});

fn compiled() -> &'static dyn Mapper {
    &schemes::wdt_purchase_to_kingdee::Compiled
}

/// One way of mapping a record: appends the bill to `out`, `true` for a
/// bill, `false` for a skipped record.
type MapFn = fn(&str, &mut Vec<u8>) -> bool;

fn map_compiled(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(compiled().map_record(record, out), Ok(Mapped::Bill { .. }))
}

fn map_interpreter(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(INTERPRETER.map_record(record, out), Ok(Mapped::Bill { .. }))
}

fn map_handwritten(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(handwritten::map_record(record, out), Ok(true))
}

fn map_handwritten_ser_dec(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(handwritten::map_record_ser_dec(record, out), Ok(true))
}

fn map_value(record: &str, out: &mut Vec<u8>) -> bool {
    match serde_json::from_str::<serde_json::Value>(record) {
        Ok(value) => serde_json::to_writer(&mut *out, &value).is_ok(),
        Err(_) => false,
    }
}

/// Maps every record of the data set; returns the bytes written.
fn pass(map: MapFn, data: &Data, out: &mut Vec<u8>) -> usize {
    let mut written = 0;
    for record in data.records() {
        out.clear();
        if map(black_box(record), out) {
            written += out.len();
        }
    }
    black_box(written)
}

fn bench(bencher: Bencher, map: MapFn) {
    let data = &*DATA;
    let mut out = Vec::with_capacity(1 << 14);
    bencher
        .counter(ItemsCount::new(data.count()))
        .counter(BytesCount::new(data.bytes()))
        .bench_local(|| pass(map, data, &mut out));
}

#[divan::bench]
fn compiled_scheme(bencher: Bencher) {
    bench(bencher, map_compiled);
}

#[divan::bench]
fn interpreter(bencher: Bencher) {
    LazyLock::force(&INTERPRETER);
    bench(bencher, map_interpreter);
}

#[divan::bench]
fn handwritten(bencher: Bencher) {
    bench(bencher, map_handwritten);
}

#[divan::bench]
fn handwritten_ser_dec(bencher: Bencher) {
    bench(bencher, map_handwritten_ser_dec);
}

#[divan::bench]
fn value_passthrough(bencher: Bencher) {
    bench(bencher, map_value);
}

/// The compiled scheme, the interpreter and the hand-written version agree
/// byte for byte on every record, and skip the same records.
fn check_same_output(data: &Data) {
    let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut bills, mut skipped) = (0, 0);
    for (i, record) in data.records().enumerate() {
        a.clear();
        b.clear();
        c.clear();
        d.clear();
        let compiled = match compiled().map_record(record, &mut a) {
            Ok(Mapped::Bill { .. }) => true,
            Ok(Mapped::Skipped { .. }) => false,
            Err(e) => panic!("record {i}: the compiled scheme failed: {e}"),
        };
        let interpreted = match INTERPRETER.map_record(record, &mut b) {
            Ok(Mapped::Bill { .. }) => true,
            Ok(Mapped::Skipped { .. }) => false,
            Err(e) => panic!("record {i}: the interpreter failed: {e}"),
        };
        let hand = match handwritten::map_record(record, &mut c) {
            Ok(bill) => bill,
            Err(e) => panic!("record {i}: the hand-written mapping failed: {}", e.0),
        };
        let hand_ser_dec = handwritten::map_record_ser_dec(record, &mut d).is_ok_and(|bill| bill);
        assert_eq!(compiled, hand, "record {i}: skipped by one path only");
        assert_eq!(
            compiled, interpreted,
            "record {i}: skipped by one path only"
        );
        assert_eq!(
            compiled, hand_ser_dec,
            "record {i}: skipped by one path only"
        );
        let show = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        assert_eq!(show(&a), show(&c), "record {i}: compiled ≠ hand-written");
        assert_eq!(show(&a), show(&b), "record {i}: compiled ≠ interpreter");
        assert_eq!(
            show(&a),
            show(&d),
            "record {i}: compiled ≠ hand-written (ser::dec)"
        );
        if compiled {
            bills += 1;
        } else {
            skipped += 1;
        }
    }
    let lines: usize = data
        .records()
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .filter_map(|v| v["details_list"].as_array().map(Vec::len))
        .sum();
    eprintln!(
        "data set: {} orders, {lines} lines, {:.2} MB ({} bytes/order); {bills} bills, {skipped} skipped; \
         compiled = interpreter = hand-written, byte for byte",
        data.count(),
        data.bytes() as f64 / 1e6,
        data.bytes() / data.count().max(1),
    );
}

/// Every path, by name.
const PATHS: [(&str, MapFn); 5] = [
    ("compiled", map_compiled),
    ("interpreter", map_interpreter),
    ("handwritten", map_handwritten),
    ("handwritten_ser_dec", map_handwritten_ser_dec),
    ("value_passthrough", map_value),
];

/// CPU time of this thread (Linux: `/proc/thread-self/schedstat`), which
/// other processes competing for the cores do not inflate as they do wall
/// time.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// A clock: thread CPU time where available, else wall time.
fn clock() -> (&'static str, fn() -> Duration) {
    if thread_cpu().is_some_and(|t| t > Duration::ZERO) {
        ("thread CPU time", || thread_cpu().unwrap_or_default())
    } else {
        static START: LazyLock<Instant> = LazyLock::new(Instant::now);
        ("wall time", || START.elapsed())
    }
}

/// Interleaved rounds of every path; prints best and median throughput and
/// the ratios the targets are about.
fn summary(data: &Data) {
    let rounds: usize = std::env::var("DUIJIE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11)
        .max(1);
    let (clock_name, now) = clock();
    let mut out = Vec::with_capacity(1 << 14);
    // Warm-up, and the number of passes that makes one sample last about
    // 0.5 s of the slowest path: the thread CPU clock may advance in ticks
    // of a few milliseconds (4 ms here), which must be small beside a sample.
    let mut slowest = Duration::ZERO;
    for (_, map) in PATHS {
        let start = Instant::now();
        pass(map, data, &mut out);
        slowest = slowest.max(start.elapsed());
    }
    let passes = (0.5 / slowest.as_secs_f64().max(1e-6))
        .ceil()
        .clamp(1.0, 1000.0) as usize;
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); PATHS.len()];
    for _ in 0..rounds {
        for (k, (_, map)) in PATHS.iter().enumerate() {
            let start = now();
            for _ in 0..passes {
                pass(*map, data, &mut out);
            }
            times[k].push((now() - start).as_secs_f64() / passes as f64);
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    let best = |k: usize| times[k][0];
    let median = |k: usize| times[k][times[k].len() / 2];
    println!();
    println!(
        "summary: {rounds} interleaved rounds of {passes} passes of each path over {} records ({:.2} MB), {clock_name} per pass",
        data.count(),
        data.bytes() as f64 / 1e6
    );
    println!(
        "{:<22}{:>10}{:>10}{:>14}{:>10}{:>14}{:>10}",
        "path", "best ms", "median", "records/s", "MB/s", "records/s", "MB/s"
    );
    println!("{:<42}{:>24}{:>24}", "", "(best)", "(median)");
    for (k, (name, _)) in PATHS.iter().enumerate() {
        let (b, m) = (best(k), median(k));
        println!(
            "{:<22}{:>10.2}{:>10.2}{:>14.0}{:>10.1}{:>14.0}{:>10.1}",
            name,
            b * 1e3,
            m * 1e3,
            data.count() as f64 / b,
            data.bytes() as f64 / b / 1e6,
            data.count() as f64 / m,
            data.bytes() as f64 / m / 1e6,
        );
    }
    let ratio = |a: usize, b: usize| (best(b) / best(a), median(b) / median(a));
    let (hb, hm) = ratio(0, 2);
    println!("compiled ÷ hand-written throughput: {hb:.2} best, {hm:.2} median (target ≥ 0.90)");
    let (ib, im) = ratio(1, 0);
    println!(
        "compiled ÷ interpreter throughput:  {:.2} best, {:.2} median",
        1.0 / ib,
        1.0 / im
    );
    let (vb, vm) = ratio(0, 4);
    println!("compiled ÷ Value pass-through:      {vb:.2} best, {vm:.2} median");
}

/// `DUIJIE_BENCH_ONLY`: one path alone, for a profiler.
fn profile(name: &str, data: &Data) {
    let Some((_, map)) = PATHS.iter().find(|(n, _)| *n == name) else {
        eprintln!(
            "DUIJIE_BENCH_ONLY: unknown path {name:?} (one of {})",
            PATHS.map(|p| p.0).join(", ")
        );
        std::process::exit(2);
    };
    let passes: usize = std::env::var("DUIJIE_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let mut out = Vec::with_capacity(1 << 14);
    let start = Instant::now();
    for _ in 0..passes {
        pass(*map, data, &mut out);
    }
    eprintln!(
        "{name}: {passes} passes over {} records in {:.3} s",
        data.count(),
        start.elapsed().as_secs_f64()
    );
}

fn main() {
    let data = &*DATA;
    if let Ok(name) = std::env::var("DUIJIE_BENCH_ONLY") {
        if name == "interpreter" {
            LazyLock::force(&INTERPRETER);
        }
        profile(&name, data);
        return;
    }
    LazyLock::force(&INTERPRETER);
    check_same_output(data);
    let args: Vec<String> = std::env::args().collect();
    let testing = args.iter().any(|a| a == "--test");
    divan::main();
    if !testing && std::env::var("DUIJIE_BENCH_SUMMARY").as_deref() != Ok("0") {
        summary(data);
    }
}
