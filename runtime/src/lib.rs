//! The shared runtime: vendor connectors (signing, paging, errors), the state
//! store and the sync engine.
//!
//! - [`vendors`]: one folder a vendor (clients and their engine adapters);
//! - [`connect`]: from the configuration to runnable schemes;
//! - [`engine`]: reading, mapping, queueing and writing, vendor-blind;
//! - [`state`]: the durable store (SQLite).

pub mod config;
pub mod connect;
pub mod engine;
pub mod error;
pub mod limit;
pub mod lookups;
pub mod ratelimit;
pub mod secret;
pub mod signal;
pub mod state;
pub mod vendors;
