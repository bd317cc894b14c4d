//! The actions, POST only, each refused without this process's CSRF token
//! and logged in the store's action log (who: `web:ADDR`, or
//! `web:token@ADDR` with the access token): retry one dead letter, retry
//! every dead letter of a reason, discard one with a note, pause and resume
//! a scheme, run a scheme now. Retries and runs go on in the background,
//! with the engine `duijie retry` and `duijie run` use; what they gave is
//! shown on the scheme's page.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use duijie_runtime::engine::{Engine, RetrySelection, RunOptions};
use duijie_runtime::state::{DeadLetterQuery, Discard, Store};

use super::pages::{blocking, fail, scheme_config, Refusal};
use super::{auth, App};
use crate::cmd::dead_letters::reason_line;
use crate::cmd::run::{connect_all, report_line};

type Fields = Result<Form<HashMap<String, String>>, FormRejection>;

/// The form's fields when it carries this process's CSRF token; a 403
/// otherwise.
fn checked(app: &App, form: Fields) -> Result<HashMap<String, String>, Refusal> {
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    if app.auth.csrf_ok(fields.get("csrf").map(String::as_str)) {
        Ok(fields)
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "拒绝 · Forbidden",
            "the form's CSRF token is missing or wrong: reload the page and try again",
        ))
    }
}

/// [`checked`], for an action on the configured scheme `name`.
fn checked_for(app: &App, form: Fields, name: &str) -> Result<HashMap<String, String>, Refusal> {
    let fields = checked(app, form)?;
    scheme_config(app, name)?;
    Ok(fields)
}

fn back_to(name: &str) -> Response {
    Redirect::to(&format!("/schemes/{name}")).into_response()
}

/// What runs in the background.
enum Work {
    Run,
    Retry(Vec<i64>),
}

/// Runs `work` on scheme `name` in the background, with the engine of
/// `duijie run` and `duijie retry`; what it gave goes on the scheme's page.
fn start(app: Arc<App>, name: String, work: Work) {
    app.note(&name, "started 已开始…".to_string());
    tokio::spawn(async move {
        let text = match background(&app, &name, work).await {
            Ok(text) => text,
            Err(e) => format!("{e:#}"),
        };
        tracing::info!(scheme = %name, "web action: {text}");
        app.note(&name, text);
    });
}

async fn background(app: &App, name: &str, work: Work) -> anyhow::Result<String> {
    let Some(cfg) = app.config.scheme(name) else {
        anyhow::bail!("no scheme `{name}`");
    };
    let connected = connect_all(&app.config, &[cfg], &app.mappers, &app.limits)?;
    let Some(scheme) = connected.first() else {
        anyhow::bail!("no scheme `{name}`");
    };
    let engine =
        Engine::new(app.store.clone() as Arc<dyn Store>).with_shutdown(app.shutdown.clone());
    Ok(match work {
        Work::Run => report_line(&engine.run(scheme, &RunOptions::default()).await?),
        Work::Retry(ids) => match engine
            .retry(scheme, &RetrySelection::Ids(ids), true)
            .await?
        {
            Some(report) => report_line(&report),
            None => "nothing to retry (no open dead letters) 无可重试".to_string(),
        },
    })
}

/// `POST /schemes/{name}/run`: runs the scheme now.
pub async fn run_now(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    if let Err(r) = checked_for(&app, form, &name) {
        return r.into_response();
    }
    let who = auth::actor(&app, &headers, from);
    let n = name.clone();
    let paused = blocking(&app, move |app| {
        if app.store.paused(&n)?.is_some() {
            return Ok(true);
        }
        app.store
            .record_action(&who, &n, "run", None, None, Utc::now())?;
        Ok(false)
    })
    .await;
    match paused {
        Ok(false) => {
            start(app, name.clone(), Work::Run);
            back_to(&name)
        }
        Ok(true) => fail(
            StatusCode::CONFLICT,
            "方案已暂停 · Scheme paused",
            "resume the scheme before running it",
        ),
        Err(r) => r.into_response(),
    }
}

async fn set_paused(
    app: Arc<App>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    name: String,
    form: Fields,
    paused: bool,
) -> Response {
    if let Err(r) = checked_for(&app, form, &name) {
        return r.into_response();
    }
    let who = auth::actor(&app, &headers, from);
    let n = name.clone();
    match blocking(&app, move |app| {
        Ok(app.store.set_paused(&n, paused, &who, Utc::now())?)
    })
    .await
    {
        Ok(_) => back_to(&name),
        Err(r) => r.into_response(),
    }
}

/// `POST /schemes/{name}/pause`: the daemon and `run` leave the scheme
/// alone until it is resumed.
pub async fn pause(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    set_paused(app, from, headers, name, form, true).await
}

/// `POST /schemes/{name}/resume`.
pub async fn resume(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    set_paused(app, from, headers, name, form, false).await
}

/// `POST /schemes/{name}/dead-letters/{id}/retry`.
pub async fn retry_one(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, i64)>,
    form: Fields,
) -> Response {
    if let Err(r) = checked_for(&app, form, &name) {
        return r.into_response();
    }
    let who = auth::actor(&app, &headers, from);
    let n = name.clone();
    let found = blocking(&app, move |app| {
        let open = app
            .store
            .dead_letter_detail(id)?
            .is_some_and(|d| d.info.letter.scheme == n && d.info.resolution.is_none());
        if open {
            app.store
                .record_action(&who, &n, "retry", Some(id), None, Utc::now())?;
        }
        Ok(open)
    })
    .await;
    match found {
        Ok(true) => {
            start(app, name.clone(), Work::Retry(vec![id]));
            back_to(&name)
        }
        Ok(false) => fail(
            StatusCode::NOT_FOUND,
            "找不到死信 · No such dead letter",
            "no open dead letter of that id in this scheme",
        ),
        Err(r) => r.into_response(),
    }
}

/// `POST /schemes/{name}/retry-reason` (`reason`): retries every open dead
/// letter of the reason.
pub async fn retry_reason(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    form: Fields,
) -> Response {
    let fields = match checked_for(&app, form, &name) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let Some(reason) = fields.get("reason").cloned() else {
        return fail(
            StatusCode::BAD_REQUEST,
            "缺少原因 · No reason",
            "the form names no reason",
        );
    };
    let who = auth::actor(&app, &headers, from);
    let n = name.clone();
    let ids = blocking(&app, move |app| {
        let ids: Vec<i64> = app
            .store
            .list_dead_letters(&n, &DeadLetterQuery::default())?
            .iter()
            .filter(|d| reason_line(&d.letter) == reason)
            .map(|d| d.letter.id)
            .collect();
        if !ids.is_empty() {
            let note = format!("{} dead letter(s) of: {reason}", ids.len());
            app.store
                .record_action(&who, &n, "retry", None, Some(&note), Utc::now())?;
        }
        Ok(ids)
    })
    .await;
    match ids {
        Ok(ids) if ids.is_empty() => fail(
            StatusCode::NOT_FOUND,
            "没有此原因的死信 · None of this reason",
            "no open dead letter of this scheme gives that reason",
        ),
        Ok(ids) => {
            start(app, name.clone(), Work::Retry(ids));
            back_to(&name)
        }
        Err(r) => r.into_response(),
    }
}

/// `POST /schemes/{name}/dead-letters/{id}/discard` (`note`, required):
/// closes the dead letter on purpose, as `duijie dead-letters discard`.
pub async fn discard(
    State(app): State<Arc<App>>,
    from: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, i64)>,
    form: Fields,
) -> Response {
    let fields = match checked_for(&app, form, &name) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let note = fields
        .get("note")
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    if note.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            "需要作废原因 · A note is required",
            "say why the dead letter is closed without being written",
        );
    }
    let who = auth::actor(&app, &headers, from);
    let n = name.clone();
    let done = blocking(&app, move |app| {
        // Only a dead letter of this scheme.
        match app.store.dead_letter_detail(id)? {
            Some(d) if d.info.letter.scheme == n => {}
            _ => return Ok(Discard::NotFound),
        }
        Ok(app.store.discard_dead_letter(id, &note, &who, Utc::now())?)
    })
    .await;
    match done {
        Ok(Discard::Discarded(_)) => back_to(&name),
        Ok(Discard::NotFound) => fail(
            StatusCode::NOT_FOUND,
            "找不到死信 · No such dead letter",
            "no dead letter of that id in this scheme",
        ),
        Ok(Discard::AlreadyResolved(how)) => fail(
            StatusCode::CONFLICT,
            "已关闭 · Closed already",
            &format!("the dead letter is closed already ({how})"),
        ),
        Err(r) => r.into_response(),
    }
}
