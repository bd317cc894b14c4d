//! 旺店通 openapi2: `POST /openapi2/{api}.php`, form-urlencoded
//! (protocols.md §1).
//!
//! APIs: `purchase_order_query`, `stockin_order_query` (with the quirk
//! `refund-separate` it leaves out the refund stock-ins, `order_type` 3, as
//! real servers do), and the library's APIs of [`super::library`], among
//! them `stockin_order_query_refund`, which serves those refund stock-ins in
//! its own shape.
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

use super::{BizError, DocKind, DocQuery, Params, Refunds};
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
        Some(Fault::RateLimit) => return json_text(error_body(&BizError::rate_limited_by(&app))),
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

/// An answer in the 旗舰版 shape (quirk `ultimate`): `status`, `data`,
/// list key `order`, ISO times with their offset, unscaled decimals.
fn ultimate_answer(total: u64, records: &str) -> String {
    fn convert(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S") {
                    return Value::String(format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S")));
                }
                match s.parse::<rust_decimal::Decimal>() {
                    Ok(d) if s.contains('.') => Value::String(d.normalize().to_string()),
                    _ => Value::String(s),
                }
            }
            Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
            Value::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
            other => other,
        }
    }
    let list = serde_json::from_str(records).map_or(serde_json::Value::Null, convert);
    serde_json::json!({"status": 0, "data": {"total_count": total, "order": list}}).to_string()
}

fn answer(app: &App, api: &str, p: &Params) -> Result<String, BizError> {
    authenticate(app, p)?;
    if !app.limiter.allow(&app.config.wdt.sid) {
        return Err(BizError::rate_limited_by(app));
    }
    if let Some(answer) = super::library::openapi2(&app.data, api, p) {
        return answer;
    }
    let (kind, refunds) = match api {
        "purchase_order_query" => (DocKind::PurchaseOrder, Refunds::All),
        "stockin_order_query" if app.wdt_quirks().refund_separate => {
            (DocKind::StockIn, Refunds::Without)
        }
        "stockin_order_query" => (DocKind::StockIn, Refunds::All),
        other => return Err(BizError::new(1030, format!("接口不存在：{other}"))),
    };
    let q = DocQuery {
        refunds,
        ..DocQuery::from_params(kind, p, MAX_PAGE_SIZE)?
    };
    let (total, page) = app.data.query(kind, &q);
    if app.wdt_quirks().ultimate {
        return Ok(ultimate_answer(total, &page.to_json()));
    }
    Ok(format!(
        "{{\"code\":0,\"message\":\"\",{}\"{}\":{}}}",
        super::total_field(app, q.page_no, total),
        page.list_key(),
        super::records_text(app, page.to_json())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ultimate_answers_have_iso_times_and_unscaled_decimals() {
        let text = ultimate_answer(
            1,
            r#"[{"modified":"2024-01-02 10:00:00","num":"10.0000","price":"2.5000","purchase_no":"CG1"}]"#,
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["status"], 0);
        let order = &v["data"]["order"][0];
        assert_eq!(order["modified"], "2024-01-02T10:00:00+08:00");
        assert_eq!(order["num"], "10");
        assert_eq!(order["price"], "2.5");
        assert_eq!(order["purchase_no"], "CG1");
        assert!(v.get("code").is_none());
    }
}
