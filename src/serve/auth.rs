//! Who may read the pages and act: the access token (`DUIJIE_SERVE_TOKEN`),
//! required on any address but loopback and checked on every request but
//! `/healthz`, as `Authorization: Bearer …` or the cookie `/login?token=…`
//! sets; and the CSRF token every form carries. Both are compared in
//! constant time; the access token is never logged nor shown.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{KeyInit, Mac};

use super::App;

/// The environment variable holding the access token.
pub const TOKEN_VAR: &str = "DUIJIE_SERVE_TOKEN";

/// The cookie `/login` sets.
const COOKIE: &str = "duijie_session";

/// The shortest access token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// The secrets of one server process.
pub struct Auth {
    /// The access token, when one is required.
    token: Option<String>,
    /// What the session cookie holds: derived from the process's random
    /// secret, so that a restart ends every session.
    session: String,
    /// The CSRF token of this process's forms.
    csrf: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 of `what` under `key`, as hex.
fn derive(key: &[u8; 32], what: &str) -> String {
    match <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(what.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        // A 32-byte key always fits HMAC; the key itself is as random.
        Err(_) => hex(key),
    }
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths
/// only.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Auth {
    /// The secrets of a process requiring `token` (none: open to whoever
    /// reaches the address).
    pub fn new(token: Option<String>) -> Auth {
        let secret: [u8; 32] = rand::random();
        Auth {
            token,
            session: derive(&secret, "session"),
            csrf: derive(&secret, "csrf"),
        }
    }

    /// Whether requests need the access token.
    pub fn required(&self) -> bool {
        self.token.is_some()
    }

    /// The CSRF token to embed in forms.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether a form's CSRF token is this process's.
    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        given.is_some_and(|g| same(g.as_bytes(), self.csrf.as_bytes()))
    }

    /// Whether `headers` carry the access token (or the session cookie).
    fn allowed(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let bearer = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
            .any(|t| same(t.trim().as_bytes(), token.as_bytes()));
        bearer
            || cookie(headers, COOKIE).is_some_and(|c| same(c.as_bytes(), self.session.as_bytes()))
    }

    /// Whether `headers` carry the access token itself (for who acted).
    pub fn holder(&self, headers: &HeaderMap) -> bool {
        self.required() && self.allowed(headers)
    }
}

/// The value of cookie `name`.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Refuses requests without the access token (but `/healthz` and
/// `/login`, which checks it itself).
pub async fn require_token(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/login" || app.auth.allowed(request.headers()) {
        return next.run(request).await;
    }
    unauthorized()
}

fn unauthorized() -> Response {
    let body = super::pages::plain_page(
        "需要访问令牌 · Access token required",
        "打开 /login?token=… 或发送 Authorization: Bearer … (the token of DUIJIE_SERVE_TOKEN)",
    );
    let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[derive(Debug, serde::Deserialize)]
pub struct Login {
    token: Option<String>,
}

/// `GET /login?token=…`: sets the session cookie when the token is right.
pub async fn login(State(app): State<Arc<App>>, Query(q): Query<Login>) -> Response {
    let Some(want) = &app.auth.token else {
        return Redirect::to("/").into_response();
    };
    match q.token {
        Some(t) if same(t.as_bytes(), want.as_bytes()) => {
            let cookie = format!(
                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                app.auth.session
            );
            let mut response = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        _ => unauthorized(),
    }
}

/// Who acts, for the action log: `web:ADDR`, or `web:token@ADDR` when the
/// request carries the access token.
pub fn actor(app: &App, headers: &HeaderMap, from: ConnectInfo<SocketAddr>) -> String {
    if app.auth.holder(headers) {
        format!("web:token@{}", from.0.ip())
    } else {
        format!("web:{}", from.0.ip())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole_and_cookies_are_found_by_name() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        let auth = Auth::new(Some("0123456789abcdef".into()));
        let mut h = HeaderMap::new();
        assert!(!auth.allowed(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer wrong"),
        );
        assert!(!auth.allowed(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef"),
        );
        assert!(auth.allowed(&h));
        let mut c = HeaderMap::new();
        let v = format!("other=1; {COOKIE}={}", auth.session);
        c.insert(header::COOKIE, HeaderValue::from_str(&v).unwrap());
        assert!(auth.allowed(&c));
        assert!(auth.csrf_ok(Some(auth.csrf())));
        assert!(!auth.csrf_ok(Some("x")));
        assert!(!auth.csrf_ok(None));
        // Two processes have different secrets.
        assert_ne!(Auth::new(None).csrf, auth.csrf);
        assert!(Auth::new(None).allowed(&HeaderMap::new()));
    }
}
