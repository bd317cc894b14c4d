//! One module per subcommand.

pub mod check;
pub mod daemon;
pub mod demo;
pub mod init;
pub mod map;
pub mod preview;
pub mod retry;
pub mod run;
pub mod schemes;
pub mod status;
