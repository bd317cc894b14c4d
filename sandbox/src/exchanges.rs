//! A log of the exchanges the sandbox served, kept only while a test asks
//! for it ([`crate::Control::record_exchanges`]): each request's path and
//! body exactly as received and the answer's body exactly as sent, so a test
//! can hold what a client sent against what `duijie preview` prints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The request path with its query (`/openapi2/purchase_order_query.php`,
    /// `/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc`).
    pub path: String,
    /// The request body, byte for byte.
    pub request: Vec<u8>,
    /// The answer's status code.
    pub status: u16,
    /// The answer's body, byte for byte.
    pub answer: Vec<u8>,
}

/// The exchanges recorded so far; off until switched on.
#[derive(Debug, Default)]
pub(crate) struct ExchangeLog {
    on: AtomicBool,
    exchanges: Mutex<Vec<Exchange>>,
}

impl ExchangeLog {
    pub(crate) fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Exchange>> {
        self.exchanges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the exchanges recorded so far, in the order their answers were
    /// sent.
    pub(crate) fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.lock())
    }
}

/// The middleware: passes every request through, and records it with its
/// answer while the log is on.
pub(crate) async fn record(
    State(log): State<Arc<ExchangeLog>>,
    request: Request,
    next: Next,
) -> Response {
    if !log.on.load(Ordering::SeqCst) {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let (parts, body) = request.into_parts();
    let Ok(request_body) = to_bytes(body, usize::MAX).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body.clone())))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(answer) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    log.lock().push(Exchange {
        path,
        request: request_body.to_vec(),
        status: parts.status.as_u16(),
        answer: answer.to_vec(),
    });
    Response::from_parts(parts, Body::from(answer))
}
