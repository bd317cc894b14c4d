//! The shared runtime: vendor connectors (signing, paging, errors), the state
//! store and the sync engine.

pub mod error;
pub mod http;
pub mod kingdee;
pub mod qimen;
pub mod secret;
pub mod sign;
pub mod wdt;
pub mod state;
pub mod config;
pub mod engine;
pub mod ratelimit;
