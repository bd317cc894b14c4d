//! The vendors: one folder a vendor, each with its client (signing, paging,
//! answers and errors) and the adapter that gives the engine its
//! [`crate::engine::Source`] or [`crate::engine::Target`].
//!
//! - [`wdt`]: 旺店通·企业版 openapi2; [`qimen`]: 旺店通 through 企业奇门; what
//!   the two share is in `wdt_family`.
//! - [`kingdee`]: 金蝶云星空 WebAPI, with every request body it is sent
//!   ([`kingdee::save_request`] is what `duijie preview` prints).
//! - [`http`]: the HTTP call shared by all clients (timeouts, status, JSON);
//!   [`sign`]: every vendor's signature, checked against protocols.md's
//!   vectors.
//!
//! A new vendor is a new folder here and an arm in [`crate::connect`].

pub mod http;
pub mod kingdee;
pub mod qimen;
pub mod sign;
pub mod wdt;
mod wdt_family;
