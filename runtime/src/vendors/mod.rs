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

use crate::config::ConnectionKind;
use crate::error::{Error, ErrorKind, Vendor};

/// Reads one answer of a scheme's source API exactly as its connector does:
/// the same envelope (`{"code":0,…,"purchase_list":[…]}` for openapi2,
/// `{"response":{…}}` for Qimen) and the same error for a vendor error
/// answer, a malformed body or a missing list.
pub fn parse_source_answer(
    source: &duijie_maplib::SourceMeta,
    body: &[u8],
) -> Result<http::Page, Error> {
    match ConnectionKind::parse(&source.system) {
        Some(ConnectionKind::Wdt) => wdt::parse_response(&source.api, &source.list_key, body),
        Some(ConnectionKind::WdtQm) => qimen::parse_response(&source.api, &source.list_key, body),
        _ => Err(Error::new(
            Vendor::Wdt,
            &source.api,
            ErrorKind::Permanent,
            format!("`{}` is not a source system", source.system),
        )),
    }
}

/// The top-level keys only an answer of a WDT-family API has: openapi2's
/// `code`, Qimen's `response` envelope, `error_response` and `errorcode`.
const ANSWER_KEYS: [&str; 5] = ["code", "errorcode", "response", "error_response", "flag"];

/// Whether `body`, a JSON object, is a whole answer of the scheme's source
/// API rather than one record: it has the list key (`purchase_list`) or one
/// of the envelope's keys at the top.
pub fn is_source_answer(source: &duijie_maplib::SourceMeta, body: &str) -> bool {
    let Ok(top) = serde_json::from_str::<
        std::collections::BTreeMap<String, &serde_json::value::RawValue>,
    >(body) else {
        return false;
    };
    top.contains_key(source.list_key.as_str()) || ANSWER_KEYS.iter().any(|k| top.contains_key(*k))
}
