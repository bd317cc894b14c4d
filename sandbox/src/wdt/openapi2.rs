//! 旺店通 openapi2: `POST /openapi2/{api}.php`, form-urlencoded
//! (protocols.md §1).
//!
//! Checks, in order: common parameters present (`sid`, `appkey`,
//! `timestamp`, `sign`), `appkey` and `sid` known, `timestamp` within
//! `max_skew_secs`, `sign` (character lengths: a byte-length sign over a
//! Chinese value is rejected), the per-`sid` rate limit, the API name, then
//! the business parameters ([`super::DocQuery::from_params`]). Answers
//! `{"code":0,"message":"","total_count":N,"purchase_list":[…]}` or
//! `{"code":<non-zero>,"message":"…"}`, always HTTP 200.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::Extension;

use super::{BizError, DocKind, DocQuery, Params};
use crate::app::App;
use crate::config::Service;
use crate::faults::Fault;
use crate::http::{http_500, json_text, KillSwitch};

/// The largest page openapi2 serves.
pub(crate) const MAX_PAGE_SIZE: u32 = 100;

fn error_body(e: &BizError) -> String {
    serde_json::json!({"code": e.code, "message": e.message}).to_string()
}

/// Axum handler of `POST /openapi2/{file}`.
pub(crate) async fn handle(
    State(app): State<Arc<App>>,
    Extension(kill): Extension<KillSwitch>,
    Path(file): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Response {
    app.stats.count(Service::Wdt);
    match app.faults.roll(Service::Wdt) {
        Some(Fault::Http500) => return http_500(),
        Some(Fault::Drop { .. }) => return kill.drop_connection().await,
        Some(Fault::Slow { delay, .. }) => tokio::time::sleep(delay).await,
        Some(Fault::RateLimit) => return json_text(error_body(&BizError::rate_limited())),
        Some(Fault::SessionLoss) | None => {}
    }
    let params = Params::parse(uri.query(), &body);
    let api = file.strip_suffix(".php").unwrap_or(&file);
    json_text(match answer(&app, api, &params) {
        Ok(text) => text,
        Err(e) => error_body(&e),
    })
}

/// Authenticates the call; the `sid` is then known to be the configured one.
fn authenticate(app: &App, p: &Params) -> Result<(), BizError> {
    let creds = &app.config.wdt;
    for name in ["sid", "appkey", "timestamp", "sign"] {
        if p.non_empty(name).is_none() {
            return Err(BizError::missing(name));
        }
    }
    if p.get("appkey") != Some(creds.appkey.as_str()) {
        return Err(BizError::new(1010, "appkey不存在或已停用"));
    }
    if p.get("sid") != Some(creds.sid.as_str()) {
        return Err(BizError::new(1011, "卖家账号不存在"));
    }
    let ts: i64 = p
        .get("timestamp")
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| BizError::invalid("timestamp必须是Unix时间戳（秒）"))?;
    if ts.abs_diff(app.clock.now()) > app.config.max_skew_secs {
        return Err(BizError::new(1021, "请求已过期，请检查服务器时间"));
    }
    let expected = duijie_runtime::vendors::sign::wdt_sign(&p.pairs(), &creds.appsecret);
    let given = p.get("sign").unwrap_or_default();
    if !given.eq_ignore_ascii_case(&expected) {
        return Err(BizError::new(1020, "签名错误"));
    }
    Ok(())
}

fn answer(app: &App, api: &str, p: &Params) -> Result<String, BizError> {
    authenticate(app, p)?;
    if !app.limiter.allow(&app.config.wdt.sid) {
        return Err(BizError::rate_limited());
    }
    if let Some(answer) = super::library::openapi2(&app.data, api, p) {
        return answer;
    }
    let kind = match api {
        "purchase_order_query" => DocKind::PurchaseOrder,
        "stockin_order_query" => DocKind::StockIn,
        other => return Err(BizError::new(1030, format!("接口不存在：{other}"))),
    };
    let q = DocQuery::from_params(kind, p, MAX_PAGE_SIZE)?;
    let (total, page) = app.data.query(kind, &q);
    Ok(format!(
        "{{\"code\":0,\"message\":\"\",\"total_count\":{total},\"{}\":{}}}",
        page.list_key(),
        page.to_json()
    ))
}
