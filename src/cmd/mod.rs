//! One module per subcommand: its arguments, its core (public, for tests
//! and for programs that embed a command) and its `run`.

pub mod check;
pub mod config_diag;
pub mod daemon;
pub mod dead_letters;
pub mod demo;
pub mod init;
pub mod interpreted;
pub mod lookups;
pub mod lsp;
pub mod map;
pub mod new;
pub mod preview;
pub mod retry;
pub mod run;
pub mod schemes;
pub mod status;
pub mod test;
pub mod watch;

/// Whether logs are JSON (`--log-format json`): then every error, fatal ones
/// included, goes out as a JSON log line instead of plain text.
static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether logs are JSON.
pub fn set_json_logs(json: bool) {
    JSON_LOGS.store(json, std::sync::atomic::Ordering::Relaxed);
}

/// Whether logs are JSON.
pub fn json_logs() -> bool {
    JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed)
}
