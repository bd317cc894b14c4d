//! Throughput of the interpreter on a JSON Lines file of WDT purchase
//! orders, against the seed scheme. Ignored by default; run with
//! `DUIJIE_PERF_INPUT=orders.jsonl cargo test --release -p duijie-compiler
//! --test interp_perf -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use duijie_compiler::interp::Interpreter;
use duijie_compiler::spec::Specs;
use duijie_maplib::Mapper;

#[test]
#[ignore]
fn throughput() {
    let Ok(input) = std::env::var("DUIJIE_PERF_INPUT") else {
        eprintln!("set DUIJIE_PERF_INPUT to a JSON Lines file of purchase orders");
        return;
    };
    let text = std::fs::read_to_string(input).unwrap();
    let specs = Specs::load_dir(Path::new("../specs")).unwrap();
    let out = duijie_compiler::check_file(Path::new("../maps/wdt_purchase_to_kingdee.map"), &specs);
    let interp = Interpreter::new(out.scheme.unwrap());
    let mut buf = Vec::with_capacity(text.len());
    let start = Instant::now();
    let mut n = 0usize;
    for line in text.lines() {
        interp.map_record(line, &mut buf).unwrap();
        buf.push(b'\n');
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{n} records, {:.1} MB in, {:.1} MB out, {secs:.3} s, {:.0} records/s, {:.1} MB/s",
        text.len() as f64 / 1e6,
        buf.len() as f64 / 1e6,
        n as f64 / secs,
        text.len() as f64 / 1e6 / secs
    );
    if let Ok(path) = std::env::var("DUIJIE_PERF_OUTPUT") {
        std::fs::write(path, &buf).unwrap();
    }
}
