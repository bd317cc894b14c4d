//! The client: sessions and logins, signed headers, one call with its
//! retry after a lost session.

use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::answer::{is_success, status_message};
use super::body::json_text;
use super::*;
use crate::error::{Error, ErrorKind, Vendor};
use crate::secret::Secret;
use crate::vendors::http::{self, code_of, text_of, Clock};
use crate::vendors::sign;

#[derive(Default)]
struct Session {
    /// Cookies set by the server (`kdservice-sessionid`, `ASP.NET_SessionId`, …).
    cookies: Vec<(String, Secret)>,
    /// A session id from a login answer's `KDSVCSessionId` (when no cookie came).
    body_session_id: Option<Secret>,
    /// Login modes: a login succeeded and was not invalidated since.
    logged_in: bool,
    /// Bumped at every renewal, so that concurrent calls that saw the same
    /// lost session renew it once.
    generation: u64,
}

impl Session {
    fn session_id(&self) -> Option<&Secret> {
        self.cookies
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SESSION_COOKIE))
            .map(|(_, v)| v)
            .or(self.body_session_id.as_ref())
    }

    fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        if !value.is_empty() {
            self.cookies.push((name.to_owned(), Secret::new(value)));
        }
    }
}

/// A 金蝶 WebAPI client. Share it (`&self` methods; the session is shared and
/// renewed once for all concurrent callers).
pub struct Client {
    config: KingdeeConfig,
    http: reqwest::Client,
    clock: Clock,
    session: Mutex<Session>,
    login_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with the system clock. No network call is made yet (login
    /// modes log in at the first call).
    pub fn new(config: KingdeeConfig) -> Result<Self, Error> {
        let http = http::build_http(Vendor::Kingdee, config.timeout)?;
        Ok(Client {
            config,
            http,
            clock: Clock::system(),
            session: Mutex::new(Session::default()),
            login_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Replaces the clock used for signed headers and LoginBySign.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &KingdeeConfig {
        &self.config
    }

    /// `{server_url}/{service}.common.kdsvc`.
    pub fn endpoint(&self, service: &str) -> String {
        format!(
            "{}/{service}.common.kdsvc",
            self.config.server_url.trim_end_matches('/')
        )
    }

    /// `BatchSave` of `bills` (each the text of a JSON object, sent verbatim
    /// inside `Model`) with `options` (see [`default_save_options`]).
    pub async fn batch_save(
        &self,
        form_id: &str,
        bills: &[&str],
        options: &Map<String, Value>,
    ) -> Result<BatchOutcome, Error> {
        let api = short_name(SERVICE_BATCH_SAVE);
        let body = batch_save_body(form_id, bills, options)?;
        let answer = self.call(SERVICE_BATCH_SAVE, body).await?;
        parse_save_response(api, bills.len(), &answer)
    }

    /// `Save` of one bill.
    pub async fn save(
        &self,
        form_id: &str,
        bill: &str,
        options: &Map<String, Value>,
    ) -> Result<BillOutcome, Error> {
        let api = short_name(SERVICE_SAVE);
        let body = single_save_body(form_id, bill, options)?;
        let answer = self.call(SERVICE_SAVE, body).await?;
        let mut outcome = parse_save_response(api, 1, &answer)?;
        outcome
            .per_bill
            .pop()
            .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "no outcome for the bill"))
    }

    /// `Submit` or `Audit` (`service`) of the saved bills `ids`: one result
    /// per id, in order ([`parse_operation_response`]).
    pub async fn operation(
        &self,
        service: &str,
        form_id: &str,
        ids: &[String],
        options: &[(String, Value)],
    ) -> Result<Vec<crate::engine::StepResult>, Error> {
        let api = short_name(service);
        let body = json_text(api, &operation_body(form_id, ids, options))?;
        let answer = self.call(service, body).await?;
        parse_operation_response(api, ids, &answer)
    }

    /// `ExecuteBillQuery`: rows of values in `field_keys` order.
    pub async fn execute_bill_query(&self, query: &BillQuery) -> Result<Vec<Vec<Value>>, Error> {
        let api = short_name(SERVICE_EXECUTE_BILL_QUERY);
        let body = json_text(api, &bill_query_body(query))?;
        let answer = self.call(SERVICE_EXECUTE_BILL_QUERY, body).await?;
        parse_bill_query_response(api, answer)
    }

    /// `ExecuteBillQuery` of every row: the query is sent page by page
    /// (`StartRow` moves by `Limit`, at most [`MAX_QUERY_ROWS`] a call, the
    /// server's cap) until a page comes back short; `TopRowCount`, when set,
    /// caps the total.
    pub async fn execute_bill_query_all(
        &self,
        query: &BillQuery,
    ) -> Result<Vec<Vec<Value>>, Error> {
        let limit = match query.limit {
            0 => MAX_QUERY_ROWS,
            n => n.min(MAX_QUERY_ROWS),
        };
        let mut page = BillQuery {
            limit,
            ..query.clone()
        };
        let mut rows = Vec::new();
        loop {
            let got = self.execute_bill_query(&page).await?;
            let n = u32::try_from(got.len()).unwrap_or(u32::MAX);
            rows.extend(got);
            let full = n >= limit;
            let capped = query.top > 0 && rows.len() >= query.top as usize;
            if !full || capped {
                if query.top > 0 {
                    rows.truncate(query.top as usize);
                }
                return Ok(rows);
            }
            page.start = page.start.saturating_add(n);
        }
    }

    /// `View` of the bill numbered `number`: the bill, or `None` when it does
    /// not exist.
    pub async fn view(&self, form_id: &str, number: &str) -> Result<Option<Value>, Error> {
        let api = short_name(SERVICE_VIEW);
        let body = json_text(api, &view_body(form_id, number))?;
        let answer = self.call(SERVICE_VIEW, body).await?;
        parse_view_response(api, &answer)
    }

    /// Calls `service` with a JSON `body`, handling login, session renewal
    /// and the one retry after MsgCode 1. Returns the parsed answer.
    pub async fn call(&self, service: &str, body: String) -> Result<Value, Error> {
        let api = short_name(service);
        let generation = self.ensure_session().await?;
        let answer = self.send(service, &body).await?;
        if !is_session_lost(&answer) {
            return Ok(answer);
        }
        tracing::debug!(api, "kingdee session lost; renewing it and retrying once");
        self.renew_session(generation).await?;
        let answer = self.send(service, &body).await?;
        if is_session_lost(&answer) {
            let status = response_status(&answer);
            let mut e = Error::new(
                Vendor::Kingdee,
                api,
                ErrorKind::SessionLost,
                status.map_or_else(|| SESSION_LOST_MARKER.to_owned(), status_message),
            );
            e = e.with_code(MSG_CODE_SESSION_LOST.to_string());
            return Err(e);
        }
        Ok(answer)
    }

    fn lock_session(&self) -> MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Login modes: logs in when there is no session. Returns the session
    /// generation the call runs under.
    async fn ensure_session(&self) -> Result<u64, Error> {
        let (generation, logged_in) = {
            let s = self.lock_session();
            (s.generation, s.logged_in)
        };
        if !self.config.auth.is_login() || logged_in {
            return Ok(generation);
        }
        self.renew_session(generation).await?;
        Ok(self.lock_session().generation)
    }

    /// Drops the session seen at `stale_generation` and (login modes) logs in
    /// again; does nothing when another caller already renewed it.
    async fn renew_session(&self, stale_generation: u64) -> Result<(), Error> {
        let _login = self.login_lock.lock().await;
        {
            let mut s = self.lock_session();
            if s.generation != stale_generation {
                return Ok(());
            }
            s.cookies.clear();
            s.body_session_id = None;
            s.logged_in = false;
        }
        if self.config.auth.is_login() {
            self.login().await?;
        }
        let mut s = self.lock_session();
        s.logged_in = self.config.auth.is_login();
        s.generation += 1;
        Ok(())
    }

    async fn login(&self) -> Result<(), Error> {
        let c = &self.config;
        let (service, parameters) = match &c.auth {
            KingdeeAuth::Signed { .. } => return Ok(()),
            KingdeeAuth::Password { password } => (
                SERVICE_VALIDATE_USER,
                serde_json::json!([c.acct_id, c.user_name, password.expose(), c.lcid]),
            ),
            KingdeeAuth::LoginByAppSecret { app_id, app_secret } => (
                SERVICE_LOGIN_BY_APP_SECRET,
                serde_json::json!([c.acct_id, c.user_name, app_id, app_secret.expose(), c.lcid]),
            ),
            KingdeeAuth::LoginBySign { app_id, app_secret } => {
                let timestamp = self.clock.now_unix().to_string();
                let sign = sign::kingdee_login_sign(
                    &c.acct_id,
                    &c.user_name,
                    app_id,
                    app_secret.expose(),
                    &timestamp,
                );
                (
                    SERVICE_LOGIN_BY_SIGN,
                    serde_json::json!([c.acct_id, c.user_name, app_id, timestamp, sign, c.lcid]),
                )
            }
        };
        let api = short_name(service);
        let body = json_text(api, &serde_json::json!({ "parameters": parameters }))?;
        let answer = self.send(service, &body).await?;
        if answer.get("LoginResultType").is_none() {
            // The gateway answers a login it does not carry out (call limit,
            // server busy) with the usual status.
            if let Some(status) = response_status(&answer).filter(|s| !is_success(s)) {
                return Err(status_error(api, status));
            }
        }
        let body_session = answer
            .get("KDSVCSessionId")
            .and_then(text_of)
            .filter(|s| !s.is_empty());
        let has_session = body_session.is_some() || self.lock_session().session_id().is_some();
        // An unlicensed server answers with the form it wants shown (e.g.
        // `BOS_CloudInspection`) and no session.
        let form = answer
            .get("FormId")
            .or_else(|| answer.get("Context").and_then(|c| c.get("FormId")))
            .and_then(text_of)
            .filter(|f| !f.is_empty());
        let result_type = answer.get("LoginResultType").and_then(code_of);
        if let (Some(form), false) = (&form, has_session) {
            if result_type != Some(1) {
                let mut e = Error::new(
                    Vendor::Kingdee,
                    api,
                    ErrorKind::Permanent,
                    format!(
                        "license error: the server answered the login with the form {form} and no session; \
                         its license does not allow this login (an unlicensed or expired server, or one \
                         waiting for its cloud inspection): ask the Kingdee administrator to check the license"
                    ),
                );
                if let Some(t) = result_type {
                    e = e.with_code(format!("LoginResultType {t}"));
                }
                return Err(e);
            }
        }
        let result_type = result_type
            .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `LoginResultType`"))?;
        let message = answer
            .get("Message")
            .and_then(text_of)
            .filter(|m| !m.is_empty());
        let name = login_result_name(result_type).unwrap_or("unknown");
        match result_type {
            1 => {}
            -5 | -4 if has_session => {
                // DealWithForm (an administrator's login, a form to show)
                // and Wanning come with a valid session.
                tracing::warn!(
                    api,
                    result_type,
                    name,
                    message = message.as_deref().unwrap_or(""),
                    "kingdee login accepted with LoginResultType {result_type} ({name}); the session is used as is"
                );
            }
            _ => {
                let mut text = format!(
                    "login refused (LoginResultType {result_type}, {name}): {}",
                    login_result_advice(result_type)
                );
                if let Some(m) = &message {
                    text = format!("{m}; {text}");
                }
                return Err(Error::new(Vendor::Kingdee, api, ErrorKind::Auth, text)
                    .with_code(format!("LoginResultType {result_type}")));
            }
        }
        if let Some(id) = body_session {
            self.lock_session().body_session_id = Some(Secret::new(id));
        }
        tracing::debug!(api, "kingdee login succeeded");
        Ok(())
    }

    /// One HTTP call: headers (signed, session), status check, cookies kept,
    /// JSON parsed.
    async fn send(&self, service: &str, body: &str) -> Result<Value, Error> {
        let api = short_name(service);
        let url = self.endpoint(service);
        let mut request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT_CHARSET, "utf-8")
            .body(body.to_owned());
        if let KingdeeAuth::Signed { app_id, app_secret } = &self.config.auth {
            let c = &self.config;
            let timestamp = self.clock.now_unix().to_string();
            let signed = sign::kingdee_signed_headers(
                app_id,
                app_secret.expose(),
                &c.acct_id,
                &c.user_name,
                c.lcid,
                &c.org_num,
                &url,
                &timestamp,
            );
            for (name, value) in signed.pairs() {
                request = request.header(name, value);
            }
        }
        {
            let s = self.lock_session();
            if let Some(id) = s.session_id() {
                request = request.header(SESSION_COOKIE, id.expose());
            }
            let mut cookies: Vec<String> = s
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={}", value.expose()))
                .collect();
            if let Some(id) = &s.body_session_id {
                if !s
                    .cookies
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(SESSION_COOKIE))
                {
                    cookies.push(format!("{SESSION_COOKIE}={}", id.expose()));
                }
            }
            if !cookies.is_empty() {
                request = request.header(reqwest::header::COOKIE, cookies.join("; "));
            }
        }
        let answer = http::send(Vendor::Kingdee, api, request).await?;
        {
            let mut s = self.lock_session();
            for value in answer.headers.get_all(reqwest::header::SET_COOKIE) {
                let Ok(text) = value.to_str() else { continue };
                let pair = text.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    s.set_cookie(name.trim(), value.trim());
                }
            }
        }
        let text = String::from_utf8_lossy(&answer.body);
        if let Some(rest) = text.trim_start().strip_prefix("response_error:") {
            let message = crate::error::excerpt(rest.trim(), 300);
            let kind = match kind_for_msg_code(None, &message) {
                ErrorKind::Auth => ErrorKind::Auth,
                ErrorKind::SessionLost => ErrorKind::SessionLost,
                _ => ErrorKind::Permanent,
            };
            return Err(Error::new(Vendor::Kingdee, api, kind, message));
        }
        http::parse_json(Vendor::Kingdee, api, &answer.body)
    }
}
