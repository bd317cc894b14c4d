//! The accept loop: one hyper HTTP/1 connection task per socket, each
//! request carrying the connection's [`KillSwitch`] so that the
//! dropped-connection fault can close it without an answer.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::app::App;
use crate::http::KillSwitch;
use crate::{exchanges, kingdee, wdt};

/// Largest request body (a BatchSave of many bills is a few MB at most).
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/openapi2/{file}", post(wdt::openapi2::handle))
        .route("/router/qm", any(wdt::qimen::handle))
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(
            app.exchanges.clone(),
            exchanges::record,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

async fn index() -> &'static str {
    "duijie sandbox: 旺店通 openapi2 POST /openapi2/{api}.php · Qimen POST /router/qm · \
     金蝶云星空 POST /k3cloud/Kingdee.BOS.WebApi.ServicesStub.{Service}.{Method}.common.kdsvc\n"
}

async fn fallback(
    state: axum::extract::State<Arc<App>>,
    kill: axum::Extension<KillSwitch>,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if uri.path().ends_with(".common.kdsvc") {
        return kingdee::handle(state, kill, uri, headers, body).await;
    }
    (StatusCode::NOT_FOUND, "404 Not Found").into_response()
}

/// Serves `listener` until the task is aborted (which drops every connection).
pub(crate) async fn serve(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, router.clone()));
                }
                Err(e) => {
                    tracing::warn!("sandbox accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: tokio::net::TcpStream, router: Router) {
    let kill = KillSwitch::new();
    let per_request = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(per_request.clone());
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(axum::body::Body::new)).await;
            Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!("sandbox connection ended: {e}");
            }
        }
        () = kill.fired() => {
            tracing::debug!("sandbox dropped a connection (fault injection)");
        }
    }
}
