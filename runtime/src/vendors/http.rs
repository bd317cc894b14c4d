//! What the three vendor clients share: the clock they sign with, the page of
//! records a query returns, and the HTTP plumbing (one reqwest + rustls client
//! per vendor client, a timeout on every call).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::error::{excerpt, Error, Vendor};

/// The source of "now" used for request timestamps and signatures.
///
/// [`Clock::system`] in production; [`Clock::fixed`] in tests, so that a
/// request can be signed at a known time and compared with a test vector.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The host's clock.
    pub fn system() -> Self {
        Clock(Arc::new(|| chrono::Utc::now().timestamp()))
    }

    /// Always the same instant (unix seconds).
    pub fn fixed(unix_seconds: i64) -> Self {
        Clock(Arc::new(move || unix_seconds))
    }

    /// Any function returning unix seconds.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    /// Now, in unix seconds.
    pub fn now_unix(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock(now={})", self.now_unix())
    }
}

/// One page of a WDT or Qimen query.
#[derive(Debug)]
pub struct Page {
    /// `total_count` as the vendor reported it (read it from page 0), when
    /// present.
    pub total_count: Option<u64>,
    /// The records under the list key, each kept as its exact JSON text (the
    /// mapper parses them; numbers never go through a binary float).
    pub records: Vec<Box<RawValue>>,
    /// How many elements the answer's list had, when that is not the number
    /// of records (a nested list key makes several records of one element);
    /// `total_count` counts these.
    pub listed: Option<u64>,
}

thread_local! {
    /// Certificates of private certificate authorities that clients built on
    /// this thread trust besides the system's (see [`with_extra_roots`]).
    static EXTRA_ROOTS: std::cell::RefCell<Vec<reqwest::Certificate>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Builds, with `build`, vendor clients that also trust `roots` (a
/// connection's `ca_file`: a 金蝶 server hosted with an internal CA). The
/// roots apply to the clients built inside `build` only.
pub fn with_extra_roots<T>(roots: Vec<reqwest::Certificate>, build: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            EXTRA_ROOTS.with(|r| r.borrow_mut().clear());
        }
    }
    EXTRA_ROOTS.with(|r| *r.borrow_mut() = roots);
    let _reset = Reset;
    build()
}

/// Reads the PEM certificates of `path` (a `ca_file`).
pub fn read_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{} holds no usable PEM certificate: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// Builds the HTTP client of one vendor client: rustls, the given overall
/// timeout per call, a connect timeout of at most 10 s.
pub(crate) fn build_http(vendor: Vendor, timeout: Duration) -> Result<reqwest::Client, Error> {
    let roots = EXTRA_ROOTS.with(|r| r.borrow().clone());
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)));
    if !roots.is_empty() {
        builder = builder.tls_certs_merge(roots);
    }
    builder
        .build()
        .map_err(|e| Error::from_reqwest(vendor, "client setup", e))
}

/// Why a request got no answer, for people, and whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    /// `could not connect to erp.example.com:443: the host name is unknown (DNS: …)`.
    pub message: String,
    /// A wrong host name or an untrusted certificate fails the same way
    /// every time: no retries.
    pub permanent: bool,
}

/// Names the host and the cause of a failed request: DNS, refused,
/// timeout, TLS certificate (and why), from the error's chain of causes.
pub(crate) fn cause_of(err: &reqwest::Error) -> Cause {
    let host = err.url().map(|u| {
        let h = u.host_str().unwrap_or("?");
        match u.port_or_known_default() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        }
    });
    let mut chain: Vec<String> = Vec::new();
    let mut io_kind = None;
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        let text = e.to_string();
        if !chain.iter().any(|c| c.contains(&text)) {
            chain.push(text);
        }
        next = e.source();
    }
    let detail = chain.join(": ");
    let lower = detail.to_lowercase();
    let (what, permanent) = if lower.contains("certificate")
        || lower.contains("tls") && lower.contains("handshake")
    {
        let why = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
            "the certificate is not signed by a trusted authority (self-signed or an internal CA: set `ca_file` on the connection)"
        } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            "the certificate is for another host name"
        } else if lower.contains("expired") {
            "the certificate has expired"
        } else {
            "the TLS certificate was refused"
        };
        (why.to_string(), true)
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        let temporary = lower.contains("temporary failure") || lower.contains("try again");
        if temporary {
            ("the name server did not answer (DNS)".to_string(), false)
        } else {
            (
                "the host name is unknown (DNS): check `base_url`".to_string(),
                true,
            )
        }
    } else if io_kind == Some(std::io::ErrorKind::ConnectionRefused)
        || lower.contains("connection refused")
    {
        (
            "the connection was refused (is the server up, and is the port right?)".to_string(),
            false,
        )
    } else if err.is_timeout() {
        ("no answer in time (timeout)".to_string(), false)
    } else if err.is_connect() {
        ("the connection failed".to_string(), false)
    } else if err.is_body() || err.is_decode() {
        (
            "the connection dropped while reading the answer".to_string(),
            false,
        )
    } else {
        ("the request failed".to_string(), false)
    };
    let verb = if err.is_connect() {
        "could not connect to"
    } else {
        "request to"
    };
    let mut message = match &host {
        Some(h) => format!("{verb} {h}: {what}"),
        None => what,
    };
    if !detail.is_empty() {
        message.push_str(&format!(" ({detail})"));
    }
    Cause { message, permanent }
}

/// The [`Error`] of a request that got no answer: host and cause named,
/// DNS-not-found and certificate errors permanent.
fn request_error(vendor: Vendor, api: &str, err: reqwest::Error) -> Error {
    let cause = cause_of(&err);
    let base = Error::from_reqwest(vendor, api, err);
    let kind = if cause.permanent {
        crate::error::ErrorKind::Permanent
    } else {
        base.kind()
    };
    let unknown = base.outcome_unknown() && !cause.permanent;
    Error::new(vendor, api, kind, cause.message).with_outcome_unknown(unknown)
}

/// An answer with a success status (2xx).
pub(crate) struct Answer {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends `request`, reads the whole answer, and turns a non-2xx status into an
/// [`Error`]. Logs the API, status and time taken at debug level — never the
/// body or headers.
pub(crate) async fn send(
    vendor: Vendor,
    api: &str,
    request: reqwest::RequestBuilder,
) -> Result<Answer, Error> {
    let started = Instant::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%vendor, api, elapsed_ms = started.elapsed().as_millis() as u64, "request failed");
            return Err(request_error(vendor, api, e));
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::from_reqwest(vendor, api, e))?
        .to_vec();
    tracing::debug!(
        %vendor,
        api,
        status,
        bytes = body.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "vendor call"
    );
    if !(200..300).contains(&status) {
        return Err(Error::from_status(
            vendor,
            api,
            status,
            &String::from_utf8_lossy(&body),
        ));
    }
    Ok(Answer { headers, body })
}

/// Parses `body` as JSON, or says why it is not.
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(
    vendor: Vendor,
    api: &str,
    body: &'a [u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| {
        let start = excerpt(String::from_utf8_lossy(body).trim(), 80);
        Error::malformed(
            vendor,
            api,
            format!("answer is not the expected JSON ({e}); it starts with: {start}"),
        )
        .with_outcome_unknown(true)
    })
}

/// A JSON value that should be an integer code: a number or a string of
/// digits (vendors send both).
pub(crate) fn code_of(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.to_string().parse().ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON value as text: strings as they are, other scalars as their JSON
/// text, `null` as `None`.
pub(crate) fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Parses a `total_count`: a number or a string of digits.
pub(crate) fn count_of(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.to_string().parse().ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock() {
        assert_eq!(Clock::fixed(1_700_000_000).now_unix(), 1_700_000_000);
        assert!(Clock::system().now_unix() > 1_700_000_000);
    }

    #[test]
    fn codes_from_numbers_and_strings() {
        use serde_json::json;
        assert_eq!(code_of(&json!(100)), Some(100));
        assert_eq!(code_of(&json!("100")), Some(100));
        assert_eq!(code_of(&json!(null)), None);
        assert_eq!(count_of(&json!("12")), Some(12));
        assert_eq!(text_of(&json!(7)), Some("7".to_owned()));
    }

    #[test]
    fn not_json_is_malformed() {
        let e = parse_json::<serde_json::Value>(Vendor::Wdt, "x", b"<html>502</html>").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Malformed);
        assert!(e.message().contains("<html>"), "{}", e.message());
    }
}
