//! Writes the benchmark data set of 旺店通 purchase orders as JSON Lines on
//! standard output: `cargo run --release --example gen_orders -- N [SEED]`.
//! See `bench/data_set.rs` for what the orders are.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "data_set.rs"]
mod data_set;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(|text| text.replace('_', ""));
    let n = arg(0).map_or(Some(1000), |text| text.parse::<u32>().ok());
    let seed = arg(1).map_or(Some(data_set::SEED), |text| text.parse::<u64>().ok());
    let (Some(n), Some(seed)) = (n, seed) else {
        eprintln!("usage: gen_orders [N] [SEED]   (N orders as JSON Lines on stdout)");
        return ExitCode::from(2);
    };
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    for i in 0..n {
        let line = data_set::order(seed, i);
        if writeln!(out, "{line}").is_err() {
            // Closed pipe (`| head`): stop quietly.
            return ExitCode::SUCCESS;
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
