//! One module per subcommand: its arguments, its core (public, for tests
//! and for programs that embed a command) and its `run`.

pub mod check;
pub mod daemon;
pub mod demo;
pub mod init;
pub mod interpreted;
pub mod lsp;
pub mod map;
pub mod new;
pub mod preview;
pub mod retry;
pub mod run;
pub mod schemes;
pub mod status;
pub mod test;
