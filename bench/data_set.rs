//! The benchmark data set: 旺店通 purchase orders (`purchase_order_query`
//! records) as the sandbox generates and serves them
//! ([`duijie_sandbox::purchase_order_json`]), of one seed and fixed in time,
//! so that `benches/mapping` and the `gen_orders` example
//! (`cargo run --release --example gen_orders -- N`, which the scripts in
//! `bench/` call) read the same bytes on every machine and every run.

use duijie_sandbox::DataConfig;

/// The default seed of the data set.
pub const SEED: u64 = 20_240_131;

/// End of the modified-time spread: 2024-02-01 00:00:00 UTC+8.
const ANCHOR: i64 = 1_706_716_800;

/// Order `i` (from 0) of the data set `seed`, as one line of compact JSON
/// (no newline).
pub fn order(seed: u64, i: u32) -> String {
    let data = DataConfig {
        seed,
        ..DataConfig::default()
    };
    duijie_sandbox::purchase_order_json(&data, ANCHOR, i)
}

/// Orders `0..n` of `seed` as JSON Lines (each line ends with `\n`).
pub fn json_lines(seed: u64, n: u32) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&order(seed, i));
        out.push('\n');
    }
    out
}
