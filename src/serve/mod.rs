//! `duijie serve`: the run overview (运行概况) in a browser, with the
//! operators' actions (retry, discard, pause, run now), Prometheus metrics
//! and a health check, over the same state store as `run` and the daemon
//! (`duijie daemon --serve ADDR` runs both in one process).
//!
//! - [`pages`]: the HTML pages, rendered on the server.
//! - [`actions`]: the POST actions, each checked for the CSRF token and
//!   logged in the store's action log.
//! - [`metrics`]: `GET /metrics` and `GET /healthz`.
//! - [`auth`]: the access token and the CSRF token.
//!
//! Secure by default: it binds 127.0.0.1:8787; any other address needs the
//! access token of `DUIJIE_SERVE_TOKEN`. No secret of the configuration is
//! ever on a page: every page body is cleared of them before it goes out.

pub mod actions;
pub mod auth;
pub mod metrics;
pub mod pages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _};
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use duijie_maplib::Mapper;
use duijie_runtime::config::{Account, Config, SecretSource};
use duijie_runtime::engine::Shutdown;
use duijie_runtime::ratelimit::RateLimits;
use duijie_runtime::state::SqliteStore;

use crate::cmd::run::{load_config, open_store, shutdown_on_signals};

/// Where `duijie serve` listens unless told.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on; any but loopback needs the access token
    /// in DUIJIE_SERVE_TOKEN.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// The configuration file (default: ./duijie.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What every page and action shares.
pub struct App {
    pub config: Config,
    pub mappers: Vec<Arc<dyn Mapper>>,
    pub store: Arc<SqliteStore>,
    pub auth: auth::Auth,
    /// The rate limits of the accounts, shared with the daemon's runs when
    /// it serves.
    pub limits: Arc<RateLimits>,
    /// Stops the runs an action started.
    pub shutdown: Shutdown,
    /// What the last action started in the background gave, per scheme.
    pub notes: Mutex<HashMap<String, String>>,
    /// The secrets of the configuration, cleared from every page.
    secrets: Vec<String>,
}

impl App {
    pub fn new(
        config: Config,
        mappers: Vec<Arc<dyn Mapper>>,
        store: Arc<SqliteStore>,
        token: Option<String>,
        limits: Arc<RateLimits>,
        shutdown: Shutdown,
    ) -> App {
        let mut secrets = config_secrets(&config);
        secrets.extend(token.iter().cloned());
        App {
            config,
            mappers,
            store,
            auth: auth::Auth::new(token),
            limits,
            shutdown,
            notes: Mutex::new(HashMap::new()),
            secrets,
        }
    }

    /// `text` with every secret of the configuration (and the access token)
    /// replaced by `***`.
    pub fn redact(&self, text: String) -> String {
        let mut text = text;
        for s in &self.secrets {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "***");
            }
        }
        text
    }

    /// Keeps what a background action gave, for the scheme's page.
    pub fn note(&self, scheme: &str, text: String) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        notes.insert(scheme.to_string(), text);
    }

    /// What the last background action on `scheme` gave.
    pub fn last_note(&self, scheme: &str) -> Option<String> {
        let notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        notes.get(scheme).cloned()
    }
}

/// Every secret the configuration holds or names (resolved from the
/// environment), to keep them off the pages.
fn config_secrets(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |s: &SecretSource| {
        if let Ok(v) = s.resolve() {
            // A secret of a character or two would blank out ordinary text.
            if v.expose().chars().count() >= 4 {
                out.push(v.expose().to_string());
            }
        }
    };
    for c in config.connections.values() {
        match &c.account {
            Account::Wdt { appsecret, .. } => add(appsecret),
            Account::WdtQm { app_secret, .. } => add(app_secret),
            Account::Kingdee {
                app_secret,
                password,
                ..
            } => {
                app_secret.iter().for_each(&mut add);
                password.iter().for_each(&mut add);
            }
        }
    }
    out
}

/// The router of the pages, actions and metrics.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/schemes/{name}", get(pages::scheme))
        .route("/schemes/{name}/dead-letters/{id}", get(pages::dead_letter))
        .route("/runs/{id}", get(pages::run))
        .route("/schemes/{name}/run", post(actions::run_now))
        .route("/schemes/{name}/pause", post(actions::pause))
        .route("/schemes/{name}/resume", post(actions::resume))
        .route("/schemes/{name}/retry-reason", post(actions::retry_reason))
        .route(
            "/schemes/{name}/dead-letters/{id}/retry",
            post(actions::retry_one),
        )
        .route(
            "/schemes/{name}/dead-letters/{id}/discard",
            post(actions::discard),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz))
        .route("/login", get(auth::login))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::require_token,
        ))
        .layer(axum::middleware::map_response(headers))
        .with_state(app)
}

/// Headers of every answer: no framing, no sniffing, no referrer (the
/// login link holds the token), scripts and styles of the page only.
async fn headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The access token for listening on `listen`: required (from
/// `DUIJIE_SERVE_TOKEN`) on any address but loopback; used on loopback too
/// when set.
pub fn token_for(listen: SocketAddr) -> anyhow::Result<Option<String>> {
    let token = std::env::var(auth::TOKEN_VAR).ok();
    match token {
        Some(t) if t.chars().count() >= auth::MIN_TOKEN_LEN => Ok(Some(t)),
        Some(_) => bail!(
            "{} is too short: at least {} characters (e.g. `openssl rand -hex 24`)",
            auth::TOKEN_VAR,
            auth::MIN_TOKEN_LEN
        ),
        None if listen.ip().is_loopback() => Ok(None),
        None => bail!(
            "listening on {listen} (not loopback) needs an access token: set {} \
             (at least {} characters); every page and action then asks for it",
            auth::TOKEN_VAR,
            auth::MIN_TOKEN_LEN
        ),
    }
}

/// A server bound and ready to serve.
pub struct Bound {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    pub addr: SocketAddr,
}

/// Binds `listen` for `app`.
pub async fn bind(listen: SocketAddr, app: Arc<App>) -> anyhow::Result<Bound> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    Ok(Bound {
        listener,
        app,
        addr,
    })
}

impl Bound {
    /// Says where it serves (and whether the token is asked), on standard
    /// error.
    pub fn announce(&self) {
        let how = if self.app.auth.required() {
            format!("the access token of {} is required", auth::TOKEN_VAR)
        } else {
            "no access token asked (loopback only)".to_string()
        };
        eprintln!("duijie serve: http://{}/ ({how})", self.addr);
    }

    /// Serves until `shutdown`.
    pub async fn serve(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let service = router(self.app).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
            .context("serving")?;
        Ok(())
    }
}

/// `duijie serve`.
pub async fn run(args: ServeArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let token = token_for(args.listen)?;
    let config = load_config(args.config.as_deref())?;
    let store = open_store(&config)?;
    let shutdown = shutdown_on_signals();
    let app = Arc::new(App::new(
        config,
        schemes.to_vec(),
        store,
        token,
        Arc::new(RateLimits::new()),
        shutdown.clone(),
    ));
    let bound = bind(args.listen, app).await?;
    bound.announce();
    bound.serve(shutdown).await?;
    eprintln!("duijie serve: stopped");
    Ok(0)
}
