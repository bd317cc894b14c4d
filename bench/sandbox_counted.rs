//! `duijie sandbox` with its counters, for `bench/e2e.sh`: the same servers,
//! the same flags (`--orders`, `--rate-limit-per-min`, `--listen`, …) and the
//! same banner; when stopped (SIGINT or SIGTERM) it prints one line
//!
//! ```text
//! counters: {"requests":{"wdt":…,"qimen":…,"kingdee":…},"faults":{…},"bills":…,"lines":…,"duplicates":…,"peak_rss_kb":…}
//! ```
//!
//! on standard output: the requests served per service (rate-limit answers
//! included), the faults injected, the 金蝶 `PUR_PurchaseOrder` bills stored,
//! their entry lines, bill numbers stored more than once, and the sandbox's
//! own peak resident memory and CPU time.
//!
//! `cargo run --release --example sandbox_counted -- --listen 127.0.0.1:0 --orders 1000`

use std::process::ExitCode;

use clap::Parser;
use duijie_sandbox::cli::{banner, SandboxArgs};
use duijie_sandbox::Sandbox;

#[derive(Parser)]
#[command(about = "duijie sandbox that prints its request counters when stopped")]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

const FORM: &str = "PUR_PurchaseOrder";

/// CPU time this process used so far (user, system), in ms: counted
/// before the stored bills are read back for the counters.
fn cpu_ms() -> Option<(u64, u64)> {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks; the command name
    // (field 2) is in parentheses and may hold spaces.
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    let ms = |i: usize| -> Option<u64> { Some(fields.get(i)?.parse::<u64>().ok()? * 1000 / ticks) };
    Some((ms(11)?, ms(12)?))
}

/// `VmHWM` of /proc/self/status, in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.args.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", banner(&sandbox, &config));
    duijie_runtime::signal::stop_requested().await;

    let cpu = cpu_ms();
    let control = sandbox.control();
    let requests = control.request_counts();
    let faults = control.fault_counts();
    // Counted without reading the stored bills back (a million of them
    // would not fit in memory as values).
    let bills = control.bill_count(FORM);
    let lines = control.entry_rows(FORM, "FPOOrderEntry");
    let duplicates: usize = control
        .bill_counts(FORM)
        .values()
        .map(|n| n.saturating_sub(1))
        .sum();
    let summary = serde_json::json!({
        "requests": {"wdt": requests.wdt, "qimen": requests.qimen, "kingdee": requests.kingdee,
                     "kingdee_refused": requests.kingdee_refused},
        "faults": {
            "http_500": faults.http_500,
            "slow": faults.slow,
            "drop": faults.drop,
            "rate_limit": faults.rate_limit,
            "session_loss": faults.session_loss,
        },
        "bills": bills,
        "lines": lines,
        "duplicates": duplicates,
        "peak_rss_kb": peak_rss_kb(),
        "cpu_user_ms": cpu.map(|c| c.0),
        "cpu_sys_ms": cpu.map(|c| c.1),
    });
    println!("counters: {summary}");
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
