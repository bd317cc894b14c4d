//! The `duijie` command line (对接: typed, compiled data sync from 旺店通 to
//! 金蝶云星空), over the schemes a binary was built with: duijie's own, or a
//! project's (`duijie new`, docs/projects.md).

use std::process::ExitCode;

use crate::cmd;
use crate::Registry;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "duijie", version, about = "Typed, compiled data sync: 旺店通 → 金蝶云星空", long_about = None)]
struct Cli {
    /// Log format on standard error.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run both seed schemes end to end against built-in sandboxes and print the overview.
    Demo(cmd::demo::DemoArgs),
    /// Check `.map` files against the API specs.
    Check(cmd::check::CheckArgs),
    /// A language server for `.map` files (diagnostics, completion, hover, definition) over stdio.
    Lsp(cmd::lsp::LspArgs),
    /// Make a new project: a cargo crate with its own schemes, specs and fixtures.
    New(cmd::new::NewArgs),
    /// Payload snapshot tests of the project's fixtures (fixtures/<scheme>/<case>.json).
    Test(cmd::test::TestArgs),
    /// List the compiled schemes.
    Schemes(cmd::schemes::SchemesArgs),
    /// Map JSON Lines of source records (stdin) to bills (stdout).
    Map(cmd::map::MapArgs),
    /// Show the request body a `.map` file would send for a sample record or response.
    Preview(cmd::preview::PreviewArgs),
    /// Write a starter duijie.toml in the current directory.
    Init(cmd::init::InitArgs),
    /// Run schemes once: read, map, queue, write.
    Run(cmd::run::RunArgs),
    /// Run schemes on their schedules until SIGINT or SIGTERM.
    Daemon(cmd::daemon::DaemonArgs),
    /// The run overview (运行概况): runs, counts, queue, dead letters, watermarks.
    Status(cmd::status::StatusArgs),
    /// Re-map dead letters with the current mapping and queue them again.
    Retry(cmd::retry::RetryArgs),
    /// List, read and discard dead letters: records that could not be mapped or written.
    DeadLetters(cmd::dead_letters::DeadLettersArgs),
    /// The run overview in a browser, with retry, discard, pause and run now; /metrics and /healthz.
    Serve(crate::serve::ServeArgs),
    /// The caches of master data the schemes look up: status, refresh.
    Lookups(cmd::lookups::LookupsArgs),
    /// Serve local sandboxes of 旺店通 openapi2, 旺店通 Qimen and 金蝶云星空 WebAPI.
    Sandbox(Box<duijie_sandbox::cli::SandboxArgs>),
}

fn init_logging(format: LogFormat, verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs a command that needs the async runtime (network, signals).
///
/// Once the command is done, work left on the blocking pool (a store call
/// stuck on a failing disk) gets a second to end: the process exits with
/// the command's status rather than waiting for it.
fn block_on(fut: impl std::future::Future<Output = anyhow::Result<i32>>) -> anyhow::Result<i32> {
    let rt = runtime()?;
    let out = rt.block_on(fut);
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    out
}

/// Output to a closed pipe (`duijie status | head`) ends the process quietly,
/// as for any Unix tool, instead of failing on the next write. The engine
/// loses nothing to this: every state change is durable before its effect.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any other
    // thread exists has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A write past the file-size limit (`ulimit -f`) fails with an error the
/// state store reports, instead of killing the process without a word.
fn ignore_sigxfsz() {
    #[cfg(unix)]
    // SAFETY: as in `restore_sigpipe`.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Runs the command line over the schemes of `registry` and returns the
/// process's exit code: the whole of a project's `main`.
pub fn main(registry: Registry) -> ExitCode {
    restore_sigpipe();
    ignore_sigxfsz();
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    cmd::set_json_logs(cli.log_format == LogFormat::Json);
    // Commands whose output is JSON give a configuration error as the JSON
    // of `duijie check --format json`.
    let json_out = match &cli.command {
        Command::Run(a) => a.format == cmd::run::ReportFormat::Json,
        Command::Status(a) => a.format == cmd::run::ReportFormat::Json,
        Command::Retry(a) => a.format == cmd::run::ReportFormat::Json,
        _ => false,
    };
    let compiled = registry.mappers().to_vec();
    let result: anyhow::Result<i32> = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::New(args) => cmd::new::run(args),
        Command::Lsp(args) => cmd::lsp::run(args),
        Command::Test(args) => cmd::test::run(args),
        Command::Schemes(args) => cmd::schemes::run(args, &registry),
        Command::Map(args) => cmd::map::run(args, &registry),
        Command::Preview(args) => cmd::preview::run(args),
        Command::Demo(args) => block_on(cmd::demo::run(args, &compiled)),
        Command::Init(args) => block_on(cmd::init::run(args, &compiled)),
        Command::Run(args) => block_on(cmd::run::run(args, &compiled)),
        Command::Daemon(args) => block_on(cmd::daemon::run(args, &compiled)),
        Command::Status(args) => block_on(cmd::status::run(args, &compiled)),
        Command::Retry(args) => block_on(cmd::retry::run(args, &compiled)),
        Command::DeadLetters(args) => block_on(cmd::dead_letters::run(args, &compiled)),
        Command::Serve(args) => block_on(crate::serve::run(args, &compiled)),
        Command::Lookups(args) => block_on(cmd::lookups::run(args, &compiled)),
        Command::Sandbox(args) => block_on(async {
            duijie_sandbox::cli::run(*args).await?;
            Ok(0)
        }),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            if json_out {
                if let Some(json) = cmd::config_diag::json_error(&e) {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json).unwrap_or_default()
                    );
                }
            }
            if cmd::json_logs() {
                tracing::error!(error = %format!("{e:#}"), "command failed");
            } else if let Some(shown) = cmd::config_diag::render_error(
                &e,
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
            ) {
                eprint!("{shown}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(1)
        }
    }
}
