//! Mapping throughput of the purchase-order scheme
//! (`maps/wdt_purchase_to_kingdee.map`), four ways in one run:
//!
//! | bench | what |
//! |---|---|
//! | `compiled` | the generated code (`Mapper::map_record`), what `duijie map` and `duijie run` use |
//! | `interpreter` | `duijie_compiler::interp::Interpreter` on the same checked model (`duijie map --interpret`, `duijie preview`) |
//! | `handwritten` | the same mapping written by hand with serde (`handwritten.rs`): the yardstick |
//! | `handwritten_ser_dec` | the same, writing decimals with `maplib::json::ser::dec` as the generated code does |
//! | `value_passthrough` | `serde_json::Value`: parse each record and write it back, no mapping |
//!
//! Every iteration maps the whole data set (`bench/orders.rs`: 1000 orders of
//! 5 lines, seed [`orders::SEED`]), one record at a time into a reused
//! buffer, as `duijie map` does; divan reports records/s (items) and MB/s of
//! input. Before measuring, the compiled output is checked to be byte for
//! byte that of the hand-written version and of the interpreter.
//!
//! After divan's table, a summary measures the paths again in interleaved
//! rounds (less exposed to other load on the machine) and prints the ratios
//! the targets are about (docs/performance.md). `DUIJIE_BENCH_ORDERS=N`
//! changes the data set size; `DUIJIE_BENCH_SUMMARY=0` skips the summary.
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

#[path = "../../bench/orders.rs"]
mod orders;

#[allow(dead_code, clippy::all)]
#[path = "../../src/schemes.rs"]
mod schemes;

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
    let text = orders::json_lines(orders::SEED, n);
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, start + line.trim_end().len()));
        start += line.len();
    }
    Data { text, lines }
});

static INTERPRETER: LazyLock<Interpreter> = LazyLock::new(|| {
    let model = schemes::models::by_name(SCHEME).expect("the purchase scheme is compiled");
    Interpreter::new(model)
});

fn compiled() -> &'static dyn Mapper {
    &schemes::wdt_purchase_to_kingdee::Compiled
}

/// One way of mapping a record: appends the bill to `out`, `true` for a
/// bill, `false` for a skipped record.
type MapFn = fn(&str, &mut Vec<u8>) -> bool;

fn map_compiled(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(compiled().map_record(record, out), Ok(Mapped::Bill))
}

fn map_interpreter(record: &str, out: &mut Vec<u8>) -> bool {
    matches!(INTERPRETER.map_record(record, out), Ok(Mapped::Bill))
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
            Ok(Mapped::Bill) => true,
            Ok(Mapped::Skipped { .. }) => false,
            Err(e) => panic!("record {i}: the compiled scheme failed: {e}"),
        };
        let interpreted = match INTERPRETER.map_record(record, &mut b) {
            Ok(Mapped::Bill) => true,
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
    eprintln!(
        "data set: {} orders × {} lines, {:.2} MB ({} bytes/order); {bills} bills, {skipped} skipped; \
         compiled = interpreter = hand-written, byte for byte",
        data.count(),
        orders::LINES,
        data.bytes() as f64 / 1e6,
        data.bytes() / data.count().max(1),
    );
}

/// Interleaved rounds of every path; prints median throughput and ratios.
fn summary(data: &Data) {
    let paths: [(&str, MapFn); 5] = [
        ("compiled", map_compiled),
        ("interpreter", map_interpreter),
        ("handwritten", map_handwritten),
        ("handwritten_ser_dec", map_handwritten_ser_dec),
        ("value_passthrough", map_value),
    ];
    let mut out = Vec::with_capacity(1 << 14);
    // Warm up.
    for (_, map) in paths {
        pass(map, data, &mut out);
    }
    let rounds = 15;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); paths.len()];
    for _ in 0..rounds {
        for (k, (_, map)) in paths.iter().enumerate() {
            let start = Instant::now();
            pass(*map, data, &mut out);
            times[k].push(start.elapsed());
        }
    }
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let spread = |t: &[Duration]| {
        // (max − min) / min over the rounds, after sorting.
        let (lo, hi) = (t[0].as_secs_f64(), t[t.len() - 1].as_secs_f64());
        (hi - lo) / lo * 100.0
    };
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t).as_secs_f64()).collect();
    println!();
    println!(
        "summary: {rounds} interleaved rounds over {} records ({:.2} MB); median per pass",
        data.count(),
        data.bytes() as f64 / 1e6
    );
    println!(
        "{:<22}{:>12}{:>14}{:>10}{:>14}",
        "path", "ms/pass", "records/s", "MB/s", "spread %"
    );
    for (k, (name, _)) in paths.iter().enumerate() {
        let secs = medians[k];
        println!(
            "{:<22}{:>12.3}{:>14.0}{:>10.1}{:>14.1}",
            name,
            secs * 1e3,
            data.count() as f64 / secs,
            data.bytes() as f64 / secs / 1e6,
            spread(&times[k])
        );
    }
    let (compiled, interp, hand) = (medians[0], medians[1], medians[2]);
    println!(
        "compiled / hand-written throughput: {:.2} (target ≥ 0.90)",
        hand / compiled
    );
    println!(
        "compiled / interpreter throughput: {:.1}×; compiled / Value pass-through: {:.2}",
        interp / compiled,
        medians[4] / compiled
    );
}

fn main() {
    let data = &*DATA;
    LazyLock::force(&INTERPRETER);
    check_same_output(data);
    let args: Vec<String> = std::env::args().collect();
    let testing = args.iter().any(|a| a == "--test");
    divan::main();
    if !testing && std::env::var("DUIJIE_BENCH_SUMMARY").as_deref() != Ok("0") {
        summary(data);
    }
}
