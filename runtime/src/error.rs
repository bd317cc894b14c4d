//! The one error type of the vendor clients.
//!
//! Every [`Error`] names the vendor, the API or method it came from, an
//! [`ErrorKind`] that tells the caller what to do, the vendor's code and
//! message when the vendor gave them, and the HTTP status when there was one.
//! Request bodies, secrets and session ids never appear in it.
//!
//! | kind | what happened | what the caller does |
//! |---|---|---|
//! | [`ErrorKind::Transient`] | network failure, timeout, connection dropped, HTTP 5xx, vendor DB failure (金蝶 MsgCode 6) or edit conflict (MsgCode 13) | retry later; for a write check [`Error::outcome_unknown`] first |
//! | [`ErrorKind::RateLimited`] | WDT code 100, 金蝶 MsgCode 14, TOP call-limit codes, HTTP 429, or any platform's words for it (`频率`, `并发`, `限流`, …: [`crate::vendors::says_rate_limited`]) | wait and resume; never fail a run for it |
//! | [`ErrorKind::SessionLost`] | 金蝶 MsgCode 1, or its words ("会话已过期", "请重新登录", …), even after the one re-login and retry | check the credentials / server; retry later |
//! | [`ErrorKind::Permanent`] | validation, bad request, unknown form, 金蝶 MsgCode 3 (no operation) and 7 (license: "license error: …"), the 旺店通 旗舰版's answers, any other vendor error | fix the data, the scheme or the license; retrying the same request fails again |
//! | [`ErrorKind::Auth`] | bad credentials, bad sign, unknown app key, no permission | fix the configuration |
//! | [`ErrorKind::Malformed`] | the answer is not JSON or lacks a key (the message names it) | report; the vendor or the configuration (e.g. a list key) is wrong |

use std::fmt;

/// Which vendor protocol an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// 旺店通 openapi2.
    Wdt,
    /// 旺店通 through the Taobao Qimen gateway.
    Qimen,
    /// 金蝶云星空 WebAPI.
    Kingdee,
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vendor::Wdt => "wdt",
            Vendor::Qimen => "qimen",
            Vendor::Kingdee => "kingdee",
        })
    }
}

/// What kind of failure an [`Error`] is; see the table of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Network, timeout, dropped connection, HTTP 5xx: retry later.
    Transient,
    /// The vendor's call limit: wait, then resume.
    RateLimited,
    /// 金蝶 session lost and the one re-login did not help.
    SessionLost,
    /// The request itself is wrong (validation, duplicate, bad request).
    Permanent,
    /// Bad credentials, bad sign, unknown key, no permission.
    Auth,
    /// Not JSON, or a key is missing.
    Malformed,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Transient => "transient error",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::SessionLost => "session lost",
            ErrorKind::Permanent => "rejected",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Malformed => "malformed response",
        })
    }
}

/// An error of a vendor call. Display: `kingdee DynamicFormService.BatchSave:
/// rate limited (code 14): 调用次数超过限制`.
#[derive(Debug, thiserror::Error)]
#[error("{vendor} {api}: {kind}{}: {message}", code_suffix(.code, .http_status))]
pub struct Error {
    vendor: Vendor,
    api: String,
    kind: ErrorKind,
    code: Option<String>,
    message: String,
    http_status: Option<u16>,
    outcome_unknown: bool,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

fn code_suffix(code: &Option<String>, status: &Option<u16>) -> String {
    match (code, status) {
        (Some(c), Some(s)) => format!(" (code {c}, HTTP {s})"),
        (Some(c), None) => format!(" (code {c})"),
        (None, Some(s)) => format!(" (HTTP {s})"),
        (None, None) => String::new(),
    }
}

impl Error {
    /// A new error. `api` is the WDT API name, the Qimen method or the 金蝶
    /// service (`DynamicFormService.BatchSave`); `message` is the vendor's
    /// message or a description of what was wrong — never a request body or
    /// a secret.
    pub fn new(
        vendor: Vendor,
        api: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Error {
            vendor,
            api: api.into(),
            kind,
            code: None,
            message: message.into(),
            http_status: None,
            outcome_unknown: false,
            source: None,
        }
    }

    /// Sets the vendor's error code (as text: WDT `code`, TOP `code/sub_code`,
    /// 金蝶 `MsgCode`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the HTTP status of the answer.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Marks that the request may have reached the vendor and been carried out.
    pub fn with_outcome_unknown(mut self, unknown: bool) -> Self {
        self.outcome_unknown = unknown;
        self
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The vendor protocol.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The API, method or service called.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The vendor's code, when it gave one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The vendor's message (or what was wrong with its answer).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the answer, when one arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// True when retrying the same request later may succeed: the kinds
    /// [`ErrorKind::Transient`] and [`ErrorKind::RateLimited`].
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Transient | ErrorKind::RateLimited)
    }

    /// True for [`ErrorKind::RateLimited`].
    pub fn is_rate_limited(&self) -> bool {
        self.kind == ErrorKind::RateLimited
    }

    /// True when the request may have been carried out although no usable
    /// answer came back (timeout or dropped connection after sending, HTTP 5xx,
    /// an unreadable answer). For a write (金蝶 Save/BatchSave) the caller must
    /// look the bill up before writing it again.
    pub fn outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// An error from the HTTP layer (no answer, or the body could not be read).
    pub(crate) fn from_reqwest(vendor: Vendor, api: &str, err: reqwest::Error) -> Self {
        let err = err.without_url();
        let what = if err.is_timeout() {
            "request timed out"
        } else if err.is_connect() {
            "could not connect"
        } else if err.is_body() || err.is_decode() {
            "connection dropped while reading the answer"
        } else if err.is_builder() {
            "could not build the request"
        } else {
            "request failed"
        };
        let kind = if err.is_builder() {
            ErrorKind::Permanent
        } else {
            ErrorKind::Transient
        };
        let outcome_unknown = !err.is_connect() && !err.is_builder();
        let mut e = Error::new(vendor, api, kind, what).with_outcome_unknown(outcome_unknown);
        if let Some(status) = err.status() {
            e = e.with_http_status(status.as_u16());
        }
        e.with_source(err)
    }

    /// An answer with a non-success HTTP status. `body_excerpt` is the start
    /// of the vendor's answer (never the request).
    pub(crate) fn from_status(vendor: Vendor, api: &str, status: u16, body_excerpt: &str) -> Self {
        let kind = match status {
            429 => ErrorKind::RateLimited,
            401 | 403 => ErrorKind::Auth,
            500..=599 => ErrorKind::Transient,
            _ => ErrorKind::Permanent,
        };
        let message = if body_excerpt.trim().is_empty() {
            format!("HTTP status {status}")
        } else {
            excerpt(body_excerpt, 300)
        };
        Error::new(vendor, api, kind, message)
            .with_http_status(status)
            .with_outcome_unknown(status >= 500)
    }

    /// An answer that is not what the protocol says (`what` names the missing
    /// key or the parse failure).
    pub(crate) fn malformed(vendor: Vendor, api: &str, what: impl Into<String>) -> Self {
        Error::new(vendor, api, ErrorKind::Malformed, what)
    }
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_vendor_api_kind_code_and_message() {
        let e = Error::new(
            Vendor::Wdt,
            "purchase_order_query",
            ErrorKind::RateLimited,
            "超过频率",
        )
        .with_code("100");
        assert_eq!(
            e.to_string(),
            "wdt purchase_order_query: rate limited (code 100): 超过频率"
        );
        assert!(e.is_transient());
        assert!(e.is_rate_limited());
        let e = Error::new(
            Vendor::Kingdee,
            "AuthService.ValidateUser",
            ErrorKind::Auth,
            "bad",
        )
        .with_http_status(401);
        assert_eq!(
            e.to_string(),
            "kingdee AuthService.ValidateUser: authentication failed (HTTP 401): bad"
        );
        assert!(!e.is_transient());
    }

    #[test]
    fn status_classification() {
        assert_eq!(
            Error::from_status(Vendor::Qimen, "m", 502, "").kind(),
            ErrorKind::Transient
        );
        assert!(Error::from_status(Vendor::Qimen, "m", 502, "").outcome_unknown());
        assert_eq!(
            Error::from_status(Vendor::Qimen, "m", 429, "").kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            Error::from_status(Vendor::Qimen, "m", 403, "").kind(),
            ErrorKind::Auth
        );
        assert_eq!(
            Error::from_status(Vendor::Qimen, "m", 404, "").kind(),
            ErrorKind::Permanent
        );
        assert_eq!(
            Error::from_status(Vendor::Qimen, "m", 404, "").message(),
            "HTTP status 404"
        );
    }

    #[test]
    fn excerpt_cuts_on_characters() {
        assert_eq!(excerpt("北京仓库", 2), "北京…");
        assert_eq!(excerpt("ab", 2), "ab");
    }
}
