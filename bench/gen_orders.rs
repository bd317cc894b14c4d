//! Writes the benchmark data set of 旺店通 purchase orders as JSON Lines on
//! standard output: `cargo run --release --example gen_orders -- N [SEED]`.
//! See `bench/orders.rs` for what the orders hold.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "orders.rs"]
mod orders;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |i: usize, default: u64| -> Option<u64> {
        match args.get(i) {
            None => Some(default),
            Some(text) => text.replace('_', "").parse().ok(),
        }
    };
    let (Some(n), Some(seed)) = (parse(0, 1000), parse(1, orders::SEED)) else {
        eprintln!("usage: gen_orders [N] [SEED]   (N orders as JSON Lines on stdout)");
        return ExitCode::from(2);
    };
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    for i in 0..n {
        let line = orders::order(seed, i);
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
