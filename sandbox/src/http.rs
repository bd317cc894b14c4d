//! HTTP plumbing shared by the three services: JSON answers, the HTTP 500
//! fault, and the per-connection kill switch behind the dropped-connection
//! fault.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

/// Closes the connection a request came on, without answering.
///
/// The server puts one in every request's extensions; firing it makes the
/// connection task drop the socket.
#[derive(Clone, Debug, Default)]
pub(crate) struct KillSwitch(Arc<Notify>);

impl KillSwitch {
    pub(crate) fn new() -> Self {
        KillSwitch(Arc::new(Notify::new()))
    }

    /// Fires the switch and never returns: the connection (and with it this
    /// request) is dropped.
    pub(crate) async fn drop_connection(&self) -> Response {
        self.0.notify_one();
        std::future::pending::<Response>().await
    }

    /// Resolves once the switch fired.
    pub(crate) async fn fired(&self) {
        self.0.notified().await;
    }
}

/// A 200 answer with a JSON body given as text.
pub(crate) fn json_text(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A 200 answer with a JSON body.
pub(crate) fn json_value(value: &serde_json::Value) -> Response {
    json_text(value.to_string())
}

/// The HTTP 500 fault: a plain-text body, as a failing web server gives.
pub(crate) fn http_500() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error (sandbox fault injection)",
    )
        .into_response()
}
