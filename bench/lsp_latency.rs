//! How long `duijie lsp` takes from a change to its diagnostics, as an
//! editor sees it (docs/performance.md): opens the purchase-order scheme,
//! then sends N changes, alternately with a typo and without, and times
//! each until the diagnostics for it arrive (the server's debounce
//! included).
//!
//! `cargo build --release && cargo run --release --example lsp_latency -- [N]`

use std::path::Path;
use std::time::Instant;

use serde_json::json;

#[path = "../testdata/lsp_client.rs"]
mod lsp_client;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = root.join("target/release/duijie");
    if !exe.is_file() {
        eprintln!(
            "build it first: cargo build --release ({} is missing)",
            exe.display()
        );
        std::process::exit(2);
    }
    let file = root.join("maps/wdt_purchase_to_kingdee.map");
    let Ok(text) = std::fs::read_to_string(&file) else {
        eprintln!("cannot read {}", file.display());
        std::process::exit(2);
    };
    let typo = text.replacen("= num", "= nmu", 1);
    let uri = format!("file://{}", file.display());
    let mut c = lsp_client::Client::start(&exe);
    c.request("initialize", json!({"processId": null, "capabilities": {}}));
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "duijie-map", "version": 1, "text": text}}),
    );
    c.diagnostics(&uri);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let body = if i % 2 == 0 { &typo } else { &text };
        let start = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": body}]}),
        );
        let diags = c.diagnostics(&uri);
        times.push(start.elapsed());
        assert_eq!(diags.len(), usize::from(i % 2 == 0), "{diags:?}");
    }
    c.request("shutdown", serde_json::Value::Null);
    c.notify("exit", serde_json::Value::Null);
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{n} changes → diagnostics: median {:.1} ms, p95 {:.1} ms, max {:.1} ms (debounce 25 ms included)",
        ms(times[n / 2]),
        ms(times[n * 95 / 100]),
        ms(times[n - 1])
    );
}
