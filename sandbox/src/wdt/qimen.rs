//! 旺店通 through the Qimen gateway: `POST /router/qm` (form fields or query
//! string), method `wdt.stockin.order.query` (protocols.md §2).
//!
//! The gateway checks the system parameters and the TOP md5 sign (uppercase
//! hex); its own errors use the configured [`QimenErrorStyle`]:
//!
//! | TOP code | msg | sub_code | flag-failure `code` | when |
//! |---|---|---|---|---|
//! | 7 | App Call Limited | isv.api-call-limited | isv.api-call-limited | rate-limit fault |
//! | 21 | Missing method | isv.missing-method | missing-method | no `method` |
//! | 22 | Invalid method | isv.invalid-method | invalid-method | method other than `wdt.stockin.order.query` and `wdt.stockout.order.query.trade` (its answers: [`super::library`]) |
//! | 23 | Invalid format | isv.invalid-format | invalid-format | `format` other than `json` |
//! | 24 | Missing signature | isv.missing-signature | sign-check-failure | no `sign` |
//! | 25 | Invalid signature | isv.invalid-signature | sign-check-failure | sign mismatch |
//! | 28 | Missing app key | isv.missing-app-key | missing-app-key | no `app_key` |
//! | 29 | Invalid app key | isv.appkey-not-exists | invalid-app-key | unknown `app_key` |
//! | 31 | Invalid timestamp | isv.invalid-timestamp | invalid-timestamp | missing, malformed or skewed `timestamp` |
//! | 41 | Invalid arguments | isv.invalid-parameter:target_app_key | invalid-target-app-key | wrong `target_app_key` |
//! | 41 | Invalid arguments | isv.invalid-parameter:sign_method | invalid-sign-method | `sign_method` other than `md5` |
//!
//! Behind the gateway, 旺店通's answer is wrapped:
//! `{"response":{"errorcode":0,"message":"","total_count":N,"stockin_list":[…]}}`,
//! business errors `{"response":{"errorcode":<code>,"message":"…"}}` with the
//! codes of [`super`] (`sid` missing → 1000, unknown → 1011, rate limit → 100).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::Extension;

use super::{BizError, DocKind, DocQuery, Params, Refunds};
use crate::app::App;
use crate::clock::parse_cst;
use crate::config::{QimenErrorStyle, Service};
use crate::faults::Fault;
use crate::http::{http_500, json_text, json_value, KillSwitch};

/// The one method the sandbox's Qimen serves.
pub(crate) const METHOD: &str = "wdt.stockin.order.query";

/// A gateway error.
#[derive(Debug, Clone, Copy)]
struct GatewayError {
    code: i64,
    msg: &'static str,
    sub_code: &'static str,
    flag_code: &'static str,
    sub_msg: &'static str,
}

impl GatewayError {
    const fn new(
        code: i64,
        msg: &'static str,
        sub_code: &'static str,
        flag_code: &'static str,
        sub_msg: &'static str,
    ) -> Self {
        GatewayError {
            code,
            msg,
            sub_code,
            flag_code,
            sub_msg,
        }
    }
}

/// The gateway's errors (the table above): code, msg, sub_code, flag-failure
/// code, sub_msg.
#[rustfmt::skip]
impl GatewayError {
    const RATE_LIMITED: Self = Self::new(7, "App Call Limited", "isv.api-call-limited", "isv.api-call-limited", "调用频率超过限制，请稍后重试");
    const MISSING_METHOD: Self = Self::new(21, "Missing method", "isv.missing-method", "missing-method", "缺少method参数");
    const INVALID_METHOD: Self = Self::new(22, "Invalid method", "isv.invalid-method", "invalid-method", "方法不存在（沙箱提供wdt.stockin.order.query、wdt.stockout.order.query.trade）");
    const INVALID_FORMAT: Self = Self::new(23, "Invalid format", "isv.invalid-format", "invalid-format", "沙箱只支持format=json");
    const MISSING_SIGNATURE: Self = Self::new(24, "Missing signature", "isv.missing-signature", "sign-check-failure", "缺少sign参数");
    const INVALID_SIGNATURE: Self = Self::new(25, "Invalid signature", "isv.invalid-signature", "sign-check-failure", "Illegal request: 签名无效");
    const MISSING_APP_KEY: Self = Self::new(28, "Missing app key", "isv.missing-app-key", "missing-app-key", "缺少app_key参数");
    const INVALID_APP_KEY: Self = Self::new(29, "Invalid app Key", "isv.appkey-not-exists", "invalid-app-key", "app_key不存在");
    const MALFORMED_TIMESTAMP: Self = Self::new(31, "Invalid timestamp", "isv.invalid-timestamp", "invalid-timestamp", "timestamp缺失或格式错误，应为yyyy-MM-dd HH:mm:ss");
    const SKEWED_TIMESTAMP: Self = Self::new(31, "Invalid timestamp", "isv.invalid-timestamp", "invalid-timestamp", "timestamp与服务器时间相差过大");
    const INVALID_TARGET_APP_KEY: Self = Self::new(41, "Invalid arguments", "isv.invalid-parameter:target_app_key", "invalid-target-app-key", "target_app_key无效");
    const INVALID_SIGN_METHOD: Self = Self::new(41, "Invalid arguments", "isv.invalid-parameter:sign_method", "invalid-sign-method", "仅支持sign_method=md5");
}

fn gateway_error(style: QimenErrorStyle, e: GatewayError) -> Response {
    let body = match style {
        QimenErrorStyle::ErrorResponse => serde_json::json!({"error_response": {
            "code": e.code,
            "msg": e.msg,
            "sub_code": e.sub_code,
            "sub_msg": e.sub_msg,
            "request_id": "sandbox",
        }}),
        QimenErrorStyle::FlagFailure => serde_json::json!({"response": {
            "flag": "failure",
            "code": e.flag_code,
            "message": e.sub_msg,
            "request_id": "sandbox",
        }}),
    };
    json_value(&body)
}

fn business_error(e: &BizError) -> Response {
    json_value(&serde_json::json!({"response": {"errorcode": e.code, "message": e.message}}))
}

/// Axum handler of `/router/qm`.
pub(crate) async fn handle(
    State(app): State<Arc<App>>,
    Extension(kill): Extension<KillSwitch>,
    uri: Uri,
    body: Bytes,
) -> Response {
    app.stats.count(Service::Qimen);
    let style = app.config.qimen.error_style;
    match app.faults.roll(Service::Qimen) {
        Some(Fault::Http500) => return http_500(),
        Some(Fault::Drop { .. }) => return kill.drop_connection().await,
        Some(Fault::Slow { delay, .. }) => tokio::time::sleep(delay).await,
        Some(Fault::RateLimit) if app.wdt_quirks().rate_limit_words => {
            return business_error(&BizError::rate_limited_by(&app))
        }
        Some(Fault::RateLimit) => return gateway_error(style, GatewayError::RATE_LIMITED),
        Some(Fault::SessionLoss) | None => {}
    }
    let params = Params::parse(uri.query(), &body);
    if let Err(e) = check_gateway(&app, &params) {
        return gateway_error(style, e);
    }
    match answer(&app, &params) {
        Ok(text) => json_text(text),
        Err(e) => business_error(&e),
    }
}

fn check_gateway(app: &App, p: &Params) -> Result<(), GatewayError> {
    let q = &app.config.qimen;
    let Some(method) = p.non_empty("method") else {
        return Err(GatewayError::MISSING_METHOD);
    };
    let Some(app_key) = p.non_empty("app_key") else {
        return Err(GatewayError::MISSING_APP_KEY);
    };
    if app_key != q.app_key {
        return Err(GatewayError::INVALID_APP_KEY);
    }
    let Some(ts) = p.non_empty("timestamp").and_then(parse_cst) else {
        return Err(GatewayError::MALFORMED_TIMESTAMP);
    };
    if ts.abs_diff(app.clock.now()) > app.config.max_skew_secs {
        return Err(GatewayError::SKEWED_TIMESTAMP);
    }
    if p.non_empty("sign_method")
        .is_some_and(|m| !m.eq_ignore_ascii_case("md5"))
    {
        return Err(GatewayError::INVALID_SIGN_METHOD);
    }
    let Some(sign) = p.non_empty("sign") else {
        return Err(GatewayError::MISSING_SIGNATURE);
    };
    let expected = duijie_runtime::vendors::sign::top_md5_sign(&p.pairs(), &q.secret, None);
    if !sign.eq_ignore_ascii_case(&expected) {
        return Err(GatewayError::INVALID_SIGNATURE);
    }
    if p.non_empty("target_app_key") != Some(q.target_app_key.as_str()) {
        return Err(GatewayError::INVALID_TARGET_APP_KEY);
    }
    if p.non_empty("format").is_some_and(|f| f != "json") {
        return Err(GatewayError::INVALID_FORMAT);
    }
    if method != METHOD && !super::library::is_qimen_method(method) {
        return Err(GatewayError::INVALID_METHOD);
    }
    Ok(())
}

fn answer(app: &App, p: &Params) -> Result<String, BizError> {
    let sid = p.non_empty("sid").ok_or_else(|| BizError::missing("sid"))?;
    if sid != app.config.wdt.sid {
        return Err(BizError::new(1011, "卖家账号不存在"));
    }
    if !app.limiter.allow(sid) {
        return Err(BizError::rate_limited_by(app));
    }
    let method = p.non_empty("method").unwrap_or(METHOD);
    let max = app.config.qimen.max_page_size;
    if let Some(answer) = super::library::qimen(&app.data, method, p, max) {
        return answer;
    }
    let mut q = DocQuery::from_params(DocKind::StockIn, p, max)?;
    if app.wdt_quirks().refund_separate {
        q.refunds = Refunds::Without;
    }
    let (total, page) = app.data.query(DocKind::StockIn, &q);
    Ok(format!(
        "{{\"response\":{{\"errorcode\":0,\"message\":\"\",{}\"{}\":{}}}}}",
        super::total_field(app, q.page_no, total),
        page.list_key(),
        super::records_text(app, page.to_json())
    ))
}
