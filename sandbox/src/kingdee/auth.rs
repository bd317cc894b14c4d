//! Kingdee authentication: sessions, the SDK-v8 signed headers and the
//! `AuthService` logins (protocols.md §3).
//!
//! A call is authenticated when it carries valid signed headers (then a
//! session is created if the call has none, and its id set as the
//! `kdservice-sessionid` cookie), or a live session id in the
//! `kdservice-sessionid` cookie or header. Sessions unused for
//! `session_idle` are lost; `Control::expire_sessions` loses them all.
//!
//! Logins (`{"parameters":[…]}` or named fields) answer
//! `{"LoginResultType":1,"KDSVCSessionId":…,"Context":{…},…}` plus the
//! cookie, or `LoginResultType` 0 (wrong user, password, app secret or sign;
//! stale LoginBySign timestamp) / -1 (unknown data centre `acctId`) with a
//! `Message`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::prelude::{Engine as _, BASE64_STANDARD};
use duijie_runtime::vendors::sign;
use serde_json::{json, Value};

use crate::config::KingdeeConfig;
use crate::rng::{hash3, mix};

/// Name of the session cookie and header.
pub(crate) const SESSION_COOKIE: &str = "kdservice-sessionid";

struct Session {
    last_used: Instant,
}

/// Live sessions. Their ids are secrets: `Debug` shows only their number.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    idle: Duration,
    counter: AtomicU64,
    salt: u64,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("live", &self.live())
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    pub(crate) fn new(idle: Duration, salt: u64) -> Self {
        Sessions {
            map: Mutex::new(HashMap::new()),
            idle,
            counter: AtomicU64::new(1),
            salt,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session; returns its id.
    pub(crate) fn create(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let id = format!(
            "{:016x}{:016x}",
            hash3(self.salt, n, nanos),
            mix(n ^ nanos ^ self.salt)
        );
        self.lock().insert(
            id.clone(),
            Session {
                last_used: Instant::now(),
            },
        );
        id
    }

    /// Whether `id` is live; a live session's idle clock restarts.
    pub(crate) fn touch(&self, id: &str) -> bool {
        let mut map = self.lock();
        let now = Instant::now();
        match map.get_mut(id) {
            Some(s) if now.duration_since(s.last_used) <= self.idle => {
                s.last_used = now;
                true
            }
            Some(_) => {
                map.remove(id);
                false
            }
            None => false,
        }
    }

    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Sessions not yet idled out.
    pub(crate) fn live(&self) -> usize {
        let now = Instant::now();
        self.lock()
            .values()
            .filter(|s| now.duration_since(s.last_used) <= self.idle)
            .count()
    }
}

/// The session id a request carries (header first, then cookie).
pub(crate) fn session_id(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(SESSION_COOKIE).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v.to_owned());
        }
    }
    for cookie in headers.get_all(axum::http::header::COOKIE) {
        let Ok(text) = cookie.to_str() else { continue };
        for part in text.split(';') {
            if let Some((name, value)) = part.trim().split_once('=') {
                if name.trim().eq_ignore_ascii_case(SESSION_COOKIE) && !value.trim().is_empty() {
                    return Some(value.trim().to_owned());
                }
            }
        }
    }
    None
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether the request carries SDK signed headers at all.
pub(crate) fn has_signed_headers(headers: &HeaderMap) -> bool {
    headers.contains_key("x-kd-appkey") || headers.contains_key("x-api-signature")
}

/// Verifies the SDK-v8 signed headers against the configured app; `Err`
/// tells why not (for the log: the client gets MsgCode 1).
pub(crate) fn verify_signed_headers(
    config: &KingdeeConfig,
    headers: &HeaderMap,
    path_and_query: &str,
    now: i64,
    max_skew: u64,
) -> Result<(), String> {
    let get = |name: &str| header(headers, name).ok_or_else(|| format!("missing header {name}"));
    let app_key = get("x-kd-appkey")?;
    if app_key != config.app_id {
        return Err(format!("unknown X-Kd-Appkey {app_key}"));
    }
    let client_id = get("x-api-clientid")?;
    if client_id != sign::kingdee_client_id(&config.app_id) {
        return Err(format!(
            "X-Api-ClientID {client_id} does not match the app id"
        ));
    }
    let ts = get("x-api-timestamp")?;
    let nonce = get("x-api-nonce")?;
    let t: i64 = ts
        .parse()
        .map_err(|_| format!("x-api-timestamp {ts} is not unix seconds"))?;
    if t.abs_diff(now) > max_skew {
        return Err(format!(
            "x-api-timestamp {ts} is more than {max_skew} s away from the clock"
        ));
    }
    let client_sec = sign::kingdee_client_secret(&config.app_id);
    let expected = sign::kingdee_api_signature(&client_sec, path_and_query, ts, nonce);
    if get("x-api-signature")? != expected {
        return Err("X-Api-Signature does not match".into());
    }
    let app_data_b64 = get("x-kd-appdata")?;
    let raw = BASE64_STANDARD
        .decode(app_data_b64)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("X-Kd-Appdata is not base64 of UTF-8 text")?;
    let parts: Vec<&str> = raw.split(',').collect();
    let [acct, user, lcid, _org] = parts.as_slice() else {
        return Err(format!("X-Kd-Appdata holds {} fields, not 4", parts.len()));
    };
    if *acct != config.acct_id {
        return Err(format!("X-Kd-Appdata names data centre {acct}"));
    }
    if *user != config.user_name {
        return Err(format!("X-Kd-Appdata names user {user}"));
    }
    if lcid.parse::<u32>().is_err() {
        return Err(format!("X-Kd-Appdata lcid {lcid} is not a number"));
    }
    let expected = sign::kingdee_kd_signature(&config.app_secret, &config.app_id, &raw);
    if get("x-kd-signature")? != expected {
        return Err("X-Kd-Signature does not match".into());
    }
    Ok(())
}

/// The parameters of a login: positional `{"parameters":[…]}` or named.
pub(crate) fn login_params(body: &Value, names: &[&str]) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    };
    if let Some(list) = body
        .as_object()
        .and_then(|o| super::forms::get_ci(o, "parameters"))
    {
        let list = match list {
            Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
            other => other.clone(),
        };
        if let Value::Array(items) = list {
            return names
                .iter()
                .enumerate()
                .map(|(i, _)| items.get(i).map(text).unwrap_or_default())
                .collect();
        }
    }
    let obj = body.as_object();
    names
        .iter()
        .map(|n| {
            obj.and_then(|o| super::forms::get_ci(o, n))
                .map(text)
                .unwrap_or_default()
        })
        .collect()
}

/// Which login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the vendor's method names
pub(crate) enum Login {
    ValidateUser,
    LoginByAppSecret,
    LoginBySign,
}

impl Login {
    pub(crate) fn from_method(method: &str) -> Option<Self> {
        match method.to_ascii_lowercase().as_str() {
            "validateuser" => Some(Login::ValidateUser),
            "loginbyappsecret" => Some(Login::LoginByAppSecret),
            "loginbysign" => Some(Login::LoginBySign),
            _ => None,
        }
    }

    fn param_names(self) -> &'static [&'static str] {
        match self {
            Login::ValidateUser => &["acctID", "username", "password", "lcid"],
            Login::LoginByAppSecret => &["acctID", "username", "appId", "appSecret", "lcid"],
            Login::LoginBySign => &["acctID", "username", "appId", "timestamp", "sign", "lcid"],
        }
    }
}

/// The outcome of a login: `Ok(())` or `(LoginResultType, Message)`.
pub(crate) fn check_login(
    config: &KingdeeConfig,
    login: Login,
    body: &Value,
    now: i64,
    max_skew: u64,
) -> Result<(), (i64, String)> {
    let p = login_params(body, login.param_names());
    let (acct, user) = (p[0].as_str(), p[1].as_str());
    if acct != config.acct_id {
        return Err((-1, format!("数据中心“{acct}”不存在或已被禁用。")));
    }
    let wrong_user = || (0, "用户名或密码错误！".to_owned());
    if user != config.user_name {
        return Err(wrong_user());
    }
    match login {
        Login::ValidateUser => {
            if p[2] != config.password {
                return Err(wrong_user());
            }
        }
        Login::LoginByAppSecret => {
            if p[2] != config.app_id || p[3] != config.app_secret {
                return Err((
                    0,
                    "应用ID或应用密钥错误，请检查第三方系统登录授权配置。".into(),
                ));
            }
        }
        Login::LoginBySign => {
            let (app_id, ts, signature) = (p[2].as_str(), p[3].as_str(), p[4].as_str());
            if app_id != config.app_id {
                return Err((0, "应用ID错误，请检查第三方系统登录授权配置。".into()));
            }
            let t: i64 = ts
                .trim()
                .parse()
                .map_err(|_| (0, "时间戳格式错误。".to_owned()))?;
            if t.abs_diff(now) > max_skew {
                return Err((0, "签名已过期，请检查时间戳。".into()));
            }
            let expected = sign::kingdee_login_sign(acct, user, app_id, &config.app_secret, ts);
            // Old servers used SHA-1; the sandbox models the current SHA-256.
            if !signature.eq_ignore_ascii_case(&expected) {
                return Err((0, "签名验证失败，请检查应用密钥与签名算法。".into()));
            }
        }
    }
    Ok(())
}

/// A successful login's body; `result_type` is 1, or −5 (DealWithForm) / −4
/// (Wanning), which real servers answer with a valid session too.
pub(crate) fn login_success(config: &KingdeeConfig, session: &str, result_type: i64) -> Value {
    let tz = json!({
        "OffsetTicks": 288_000_000_000_i64,
        "StandardName": "(UTC+08:00)北京，重庆，香港特别行政区，乌鲁木齐",
        "Id": 230,
        "Number": "1078_SYS",
        "CanBeUsed": true
    });
    let message = match result_type {
        -5 => Some("当前用户为系统管理员，登录后需要处理系统提示。"),
        -4 => Some("用户密码即将过期，请及时修改密码。"),
        _ => None,
    };
    let mut answer = login_answer(result_type, message);
    answer["MessageCode"] = json!("CheckPasswordPolicy");
    answer["Context"] = json!({
        "UserLocale": "zh-CN",
        "LogLocale": "zh-CN",
        "DBid": config.acct_id,
        "DatabaseType": 3,
        "SessionId": session,
        "UseLanguages": [{"LocaleId": 2052, "LocaleName": "中文(简体)", "Alias": "CN"}],
        "UserId": 100_008,
        "UserName": config.user_name,
        "CustomName": "对接沙箱",
        "DisplayVersion": "8.2.0.20240101",
        "DataCenterName": "沙箱演示账套",
        "UserToken": session,
        "CurrentOrganizationInfo": {"ID": 100, "AcctOrgType": "1", "Name": "沙箱组织", "FunctionIds": [101, 102, 103, 104, 106, 107, 108, 109, 110, 111, 112, 113, 114]},
        "IsCH_ZH_AutoTrans": false,
        "ClientType": 32,
        "WeiboAuthInfo": null,
        "UTimeZone": tz.clone(),
        "STimeZone": tz,
        "GDCID": "",
        "Gsid": null,
        "TRLevel": 0,
        "ProductEdition": 0,
        "DataCenterNumber": config.acct_id
    });
    answer["KDSVCSessionId"] = json!(session);
    answer["IsSuccessByAPI"] = json!(true);
    answer
}

/// An unlicensed server's login answer: the form it wants shown
/// (`BOS_CloudInspection`) and no session.
pub(crate) fn login_unlicensed() -> Value {
    let mut answer = login_answer(-5, Some("许可检查未通过，请联系系统管理员。"));
    answer["FormId"] = json!("BOS_CloudInspection");
    answer
}

/// A failed login's body.
pub(crate) fn login_failure(result_type: i64, message: &str) -> Value {
    login_answer(result_type, Some(message))
}

/// A login answer of `result_type` with `message`: no context, no session.
fn login_answer(result_type: i64, message: Option<&str>) -> Value {
    json!({
        "Message": message,
        "MessageCode": null,
        "LoginResultType": result_type,
        "Context": null,
        "KDSVCSessionId": null,
        "FormId": null,
        "RedirectFormParam": null,
        "FormInputObject": null,
        "ErrorStackTrace": null,
        "Lcid": 0,
        "AccessToken": null,
        "KdAccessResult": null,
        "IsSuccessByAPI": false
    })
}

#[cfg(test)]
#[path = "../../../testdata/sign_vectors.rs"]
mod vectors;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use vectors::vectors;

    #[test]
    fn vector_4_headers_verify() {
        let vector = vectors().vector_4;
        let config = KingdeeConfig::default();
        let mut h = HeaderMap::new();
        for (name, value) in &vector.headers {
            h.insert(
                HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let (path, now) = (vector.path(), vector.now);
        assert_eq!(verify_signed_headers(&config, &h, path, now, 300), Ok(()));
        assert!(verify_signed_headers(&config, &h, path, now + 301, 300).is_err());
        let other = path.replace("BatchSave", "Save");
        assert!(verify_signed_headers(&config, &h, &other, now, 300).is_err());
    }

    #[test]
    fn cookies_and_sessions() {
        let s = Sessions::new(Duration::from_secs(60), 1);
        let id = s.create();
        assert!(s.touch(&id));
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            HeaderValue::from_str(&format!("Theme=standard;kdservice-sessionid={id}")).unwrap(),
        );
        assert_eq!(session_id(&h).as_deref(), Some(id.as_str()));
        s.clear();
        assert!(!s.touch(&id));
        let quick = Sessions::new(Duration::ZERO, 1);
        let id = quick.create();
        std::thread::sleep(Duration::from_millis(5));
        assert!(!quick.touch(&id));
    }

    #[test]
    fn vector_5_login_by_sign() {
        let vector = vectors().vector_5;
        let config = KingdeeConfig {
            app_id: vector.app_id.clone(),
            ..KingdeeConfig::default()
        };
        let now = vector.timestamp.parse().unwrap();
        assert_eq!(
            check_login(&config, Login::LoginBySign, &vector.body(), now, 300),
            Ok(())
        );
        let bad = vector.body_signed("00");
        assert_eq!(
            check_login(&config, Login::LoginBySign, &bad, now, 300)
                .unwrap_err()
                .0,
            0
        );
        let named = json!({"acctid": "64f0c0ffee0001", "username": "webapi", "password": "888888", "lcid": 2052});
        assert_eq!(
            check_login(&config, Login::ValidateUser, &named, 0, 300),
            Ok(())
        );
        let unknown = json!({"parameters": ["nope", "webapi", "888888", 2052]});
        assert_eq!(
            check_login(&config, Login::ValidateUser, &unknown, 0, 300)
                .unwrap_err()
                .0,
            -1
        );
    }
}
