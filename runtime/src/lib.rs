//! The shared runtime: vendor connectors (signing, paging, errors), the state
//! store and the sync engine.

pub mod config;
pub mod engine;
pub mod error;
pub mod http;
pub mod kingdee;
pub mod qimen;
pub mod ratelimit;
pub mod secret;
pub mod sign;
pub mod signal;
pub mod state;
pub mod wdt;
