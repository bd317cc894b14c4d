//! 金蝶云星空 (Kingdee K/3 Cloud) WebAPI client (protocols.md §3).
//!
//! `POST {server_url}/{service}.common.kdsvc`, JSON in and out, HTTP 200 even
//! for business errors. Authentication ([`KingdeeAuth`]):
//! - `Signed`: the SDK-v8 signed headers ([`crate::sign::kingdee_signed_headers`])
//!   on every call, no login;
//! - `LoginBySign`, `LoginByAppSecret`, `Password`: one `AuthService` login
//!   (`{"parameters":[…]}`), whose session (cookie `kdservice-sessionid`) is sent
//!   back on later calls as cookie and header.
//!
//! In every mode the cookies the server sets are kept and sent back, and an
//! answer with MsgCode 1 ("会话信息已丢失，请重新登录") makes the client drop the
//! session, log in again (login modes) and retry the call once; a second
//! MsgCode 1 is [`ErrorKind::SessionLost`].
//!
//! MsgCode classification of a failed call ([`kind_for_msg_code`]): 1 session
//! lost; 14 rate limited; 2 (no permission) and 15 (administrator login
//! forbidden) auth; 6 (DB failure) and 13 (network-control conflict)
//! transient; every other code permanent, except that a message about
//! signatures, authorisation or passwords is auth.
//!
//! `BatchSave` is not atomic: [`BatchOutcome`] tells per bill (by `DIndex`)
//! whether it was saved, failed, or is unknown (no entry in the answer: the
//! caller must look it up before writing it again).

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Vendor};
use crate::http::{self, code_of, text_of, Clock};
use crate::secret::Secret;
use crate::sign;

/// `DynamicFormService.BatchSave`.
pub const SERVICE_BATCH_SAVE: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave";
/// `DynamicFormService.Save`.
pub const SERVICE_SAVE: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save";
/// `DynamicFormService.View`.
pub const SERVICE_VIEW: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.View";
/// `DynamicFormService.ExecuteBillQuery`.
pub const SERVICE_EXECUTE_BILL_QUERY: &str =
    "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery";
/// `AuthService.ValidateUser` `[acctId, userName, password, lcid]`.
pub const SERVICE_VALIDATE_USER: &str = "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser";
/// `AuthService.LoginByAppSecret` `[acctId, userName, appId, appSecret, lcid]`.
pub const SERVICE_LOGIN_BY_APP_SECRET: &str =
    "Kingdee.BOS.WebApi.ServicesStub.AuthService.LoginByAppSecret";
/// `AuthService.LoginBySign` `[acctId, userName, appId, timestamp, sign, lcid]`.
pub const SERVICE_LOGIN_BY_SIGN: &str = "Kingdee.BOS.WebApi.ServicesStub.AuthService.LoginBySign";

/// The session cookie (and header) name.
pub const SESSION_COOKIE: &str = "kdservice-sessionid";

/// MsgCode: context/session lost, log in again.
pub const MSG_CODE_SESSION_LOST: i64 = 1;
/// MsgCode: no permission.
pub const MSG_CODE_NO_PERMISSION: i64 = 2;
/// MsgCode: database failure.
pub const MSG_CODE_DB_FAILURE: i64 = 6;
/// MsgCode: no data.
pub const MSG_CODE_NO_DATA: i64 = 10;
/// MsgCode: validation failed (also duplicate bill numbers).
pub const MSG_CODE_VALIDATION: i64 = 11;
/// MsgCode: network-control (网控) conflict.
pub const MSG_CODE_NETWORK_CONTROL: i64 = 13;
/// MsgCode: call limit, back off.
pub const MSG_CODE_RATE_LIMITED: i64 = 14;
/// MsgCode: administrator login forbidden.
pub const MSG_CODE_ADMIN_FORBIDDEN: i64 = 15;

/// The message part that marks a duplicate value of a unique field.
pub const DUPLICATE_MARKER: &str = "违反字段唯一性要求";
/// The message part that marks a lost session.
pub const SESSION_LOST_MARKER: &str = "会话信息已丢失";

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum KingdeeAuth {
    /// SDK-v8 signed headers on every call (`app_id` = `<client_id>_<enc>`).
    Signed { app_id: String, app_secret: Secret },
    /// `AuthService.LoginBySign` (SHA-256 sign of the sorted strings).
    LoginBySign { app_id: String, app_secret: Secret },
    /// `AuthService.LoginByAppSecret`.
    LoginByAppSecret { app_id: String, app_secret: Secret },
    /// `AuthService.ValidateUser` with the user's password.
    Password { password: Secret },
}

impl KingdeeAuth {
    fn is_login(&self) -> bool {
        !matches!(self, KingdeeAuth::Signed { .. })
    }
}

/// Connection settings of one 金蝶 data centre and user.
#[derive(Debug, Clone)]
pub struct KingdeeConfig {
    /// e.g. `http://host/k3cloud` (a trailing `/` is ignored).
    pub server_url: String,
    /// Data centre (账套) id.
    pub acct_id: String,
    /// User name.
    pub user_name: String,
    /// Language id, 2052 (zh-CN) by default.
    pub lcid: u32,
    /// Organisation number for the signed app data, `"0"` by default.
    pub org_num: String,
    /// Authentication mode and secrets.
    pub auth: KingdeeAuth,
    /// Overall time limit of one call.
    pub timeout: Duration,
}

impl KingdeeConfig {
    /// A configuration with lcid 2052, org "0" and a 60 s timeout.
    pub fn new(
        server_url: impl Into<String>,
        acct_id: impl Into<String>,
        user_name: impl Into<String>,
        auth: KingdeeAuth,
    ) -> Self {
        KingdeeConfig {
            server_url: server_url.into(),
            acct_id: acct_id.into(),
            user_name: user_name.into(),
            lcid: 2052,
            org_num: "0".to_owned(),
            auth,
            timeout: Duration::from_secs(60),
        }
    }
}

/// An `ExecuteBillQuery` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillQuery {
    /// `FormId`, e.g. `PUR_PurchaseOrder`.
    pub form_id: String,
    /// `FieldKeys`, sent joined with `,`; rows come back in this order.
    pub field_keys: Vec<String>,
    /// `FilterString`, e.g. `FBillNo='CG001'`.
    pub filter: String,
    /// `OrderString`.
    pub order: String,
    /// `TopRowCount` (0 = no limit).
    pub top: u32,
    /// `StartRow`.
    pub start: u32,
    /// `Limit` (≤ 10000; 0 = server default).
    pub limit: u32,
}

/// The result of a `BatchSave`: one entry per bill, `per_bill[i].dindex() == i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Outcomes in `Model` order.
    pub per_bill: Vec<BillOutcome>,
}

/// What happened to one bill of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillOutcome {
    /// Saved: `SuccessEntitys[]` named it.
    Saved {
        dindex: usize,
        /// `Id` as its exact JSON text (a number for bills).
        id: String,
        /// `Number` (the bill number) when returned.
        number: Option<String>,
    },
    /// Rejected: `Errors[]` named it (several errors are joined with `; `).
    Failed { dindex: usize, error: BillError },
    /// Neither a success nor an error entry: the bill may or may not exist;
    /// look it up before writing it again.
    Unknown { dindex: usize },
}

impl BillOutcome {
    /// The bill's index in `Model`.
    pub fn dindex(&self) -> usize {
        match self {
            BillOutcome::Saved { dindex, .. }
            | BillOutcome::Failed { dindex, .. }
            | BillOutcome::Unknown { dindex } => *dindex,
        }
    }
}

/// Why one bill was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillError {
    /// The answer's `MsgCode` (11 for validation and duplicates).
    pub msg_code: Option<i64>,
    /// `FieldName` of the (first) error, e.g. `FBillNo`.
    pub field: Option<String>,
    /// The vendor's message(s).
    pub message: String,
    /// What kind of rejection ([`bill_error_kind`]).
    pub kind: BillErrorKind,
}

/// Kinds of per-bill rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillErrorKind {
    /// A unique field already holds this value ("违反字段唯一性要求"); with
    /// `field` `FBillNo` the bill number exists: the bill was probably written
    /// before.
    Duplicate,
    /// A referenced base-data record (material, supplier, stock…) does not
    /// exist, is disabled or unaudited.
    BaseData,
    /// Other validation failures (required field, bad value, MsgCode 8/9/11/12).
    Validation,
    /// Anything else.
    Other,
}

/// Classifies one bill error by its message and the answer's MsgCode.
pub fn bill_error_kind(msg_code: Option<i64>, message: &str) -> BillErrorKind {
    if message.contains(DUPLICATE_MARKER) {
        BillErrorKind::Duplicate
    } else if message.contains("基础资料")
        || ((message.contains("不存在")
            || message.contains("已禁用")
            || message.contains("未审核"))
            && (message.contains("值") || message.contains("编码")))
    {
        BillErrorKind::BaseData
    } else if matches!(msg_code, Some(8 | 9 | 11 | 12))
        || ["必录", "必填", "不能为空", "校验", "不合法", "格式"]
            .iter()
            .any(|w| message.contains(w))
    {
        BillErrorKind::Validation
    } else {
        BillErrorKind::Other
    }
}

/// The kind of a failed call from its MsgCode and message.
pub fn kind_for_msg_code(msg_code: Option<i64>, message: &str) -> ErrorKind {
    match msg_code {
        Some(MSG_CODE_SESSION_LOST) => return ErrorKind::SessionLost,
        Some(MSG_CODE_RATE_LIMITED) => return ErrorKind::RateLimited,
        Some(MSG_CODE_NO_PERMISSION | MSG_CODE_ADMIN_FORBIDDEN) => return ErrorKind::Auth,
        Some(MSG_CODE_DB_FAILURE | MSG_CODE_NETWORK_CONTROL) => return ErrorKind::Transient,
        _ => {}
    }
    if message.contains(SESSION_LOST_MARKER) {
        return ErrorKind::SessionLost;
    }
    let lower = message.to_lowercase();
    if [
        "签名",
        "授权",
        "密钥",
        "密码",
        "用户名",
        "appid",
        "app_id",
        "signature",
        "unauthorized",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        ErrorKind::Auth
    } else {
        ErrorKind::Permanent
    }
}

/// The short name of a service for errors and logs:
/// `DynamicFormService.BatchSave`.
pub fn short_name(service: &str) -> &str {
    let mut dots = service.rmatch_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((i, _))) => &service[i + 1..],
        _ => service,
    }
}

// ---------------------------------------------------------------------------
// request bodies

/// `{"formid":…,"data":{<options>,"Model":[bill,…]}}`. Each bill must be the
/// text of a JSON object and is copied verbatim; an option named `Model` (any
/// case) is ignored.
pub fn batch_save_body(
    form_id: &str,
    bills: &[&str],
    options: &Map<String, Value>,
) -> Result<String, Error> {
    let api = short_name(SERVICE_BATCH_SAVE);
    let mut model = String::from("[");
    for (i, bill) in bills.iter().enumerate() {
        if i > 0 {
            model.push(',');
        }
        model.push_str(checked_object(api, i, bill)?);
    }
    model.push(']');
    save_body(api, form_id, &model, options)
}

/// `{"formid":…,"data":{<options>,"Model":bill}}` for `Save`.
pub fn single_save_body(
    form_id: &str,
    bill: &str,
    options: &Map<String, Value>,
) -> Result<String, Error> {
    let api = short_name(SERVICE_SAVE);
    let model = checked_object(api, 0, bill)?;
    save_body(api, form_id, model, options)
}

fn checked_object<'a>(api: &str, index: usize, bill: &'a str) -> Result<&'a str, Error> {
    match serde_json::from_str::<&serde_json::value::RawValue>(bill) {
        Ok(raw) if raw.get().starts_with('{') => Ok(raw.get()),
        _ => Err(Error::new(
            Vendor::Kingdee,
            api,
            ErrorKind::Permanent,
            format!("bill {index} is not the text of a JSON object"),
        )),
    }
}

fn save_body(
    api: &str,
    form_id: &str,
    model: &str,
    options: &Map<String, Value>,
) -> Result<String, Error> {
    let mut data = String::from("{");
    for (key, value) in options {
        if key.eq_ignore_ascii_case("Model") {
            continue;
        }
        data.push_str(&json_text(api, key)?);
        data.push(':');
        data.push_str(&json_text(api, value)?);
        data.push(',');
    }
    data.push_str("\"Model\":");
    data.push_str(model);
    data.push('}');
    Ok(format!(
        "{{\"formid\":{},\"data\":{data}}}",
        json_text(api, form_id)?
    ))
}

fn json_text<T: serde::Serialize + ?Sized>(api: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| {
        Error::new(
            Vendor::Kingdee,
            api,
            ErrorKind::Permanent,
            format!("could not write the request: {e}"),
        )
    })
}

/// The usual `BatchSave` options: `NeedReturnFields ["FBillNo"]`, empty
/// `NeedUpDateFields`, `IsDeleteEntry "true"`, `IsVerifyBaseDataField
/// "true"` (so a missing material is reported, not silently blanked),
/// `IsAutoSubmitAndAudit "false"`.
pub fn default_save_options() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("NeedUpDateFields".to_owned(), Value::Array(Vec::new()));
    m.insert(
        "NeedReturnFields".to_owned(),
        Value::Array(vec![Value::from("FBillNo")]),
    );
    m.insert("IsDeleteEntry".to_owned(), Value::from("true"));
    m.insert("IsVerifyBaseDataField".to_owned(), Value::from("true"));
    m.insert("IsAutoSubmitAndAudit".to_owned(), Value::from("false"));
    m
}

/// The body of an `ExecuteBillQuery`.
pub fn bill_query_body(query: &BillQuery) -> Value {
    serde_json::json!({
        "data": {
            "FormId": query.form_id,
            "FieldKeys": query.field_keys.join(","),
            "FilterString": query.filter,
            "OrderString": query.order,
            "TopRowCount": query.top,
            "StartRow": query.start,
            "Limit": query.limit,
        }
    })
}

/// The body of a `View` by bill number.
pub fn view_body(form_id: &str, number: &str) -> Value {
    serde_json::json!({
        "formid": form_id,
        "data": {"CreateOrgId": 0, "Number": number, "Id": "", "IsSortBySeq": "false"}
    })
}

// ---------------------------------------------------------------------------
// answers

/// The `ResponseStatus` of an answer: `{"Result":{"ResponseStatus":{…}}}`, or
/// the query error wrapping `[[{"Result":{"ResponseStatus":{…}}}]]`.
pub fn response_status(answer: &Value) -> Option<&Value> {
    let status = match answer {
        Value::Object(_) => answer.get("Result")?.get("ResponseStatus")?,
        Value::Array(rows) => match rows.as_slice() {
            [Value::Array(cells)] => match cells.as_slice() {
                [cell @ Value::Object(_)] => cell.get("Result")?.get("ResponseStatus")?,
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    status.is_object().then_some(status)
}

/// True when the answer says the session is lost (MsgCode 1 or its message).
pub fn is_session_lost(answer: &Value) -> bool {
    let Some(status) = response_status(answer) else {
        return false;
    };
    status.get("MsgCode").and_then(code_of) == Some(MSG_CODE_SESSION_LOST)
        || error_entries(status).any(|e| {
            e.get("Message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains(SESSION_LOST_MARKER))
        })
}

fn error_entries(status: &Value) -> impl Iterator<Item = &Value> {
    status
        .get("Errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn is_success(status: &Value) -> bool {
    match status.get("IsSuccess") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The messages of `Errors[]` joined with `; ` (or a description when there
/// are none).
fn status_message(status: &Value) -> String {
    let messages: Vec<String> = error_entries(status)
        .filter_map(|e| e.get("Message").and_then(text_of))
        .filter(|m| !m.is_empty())
        .collect();
    if messages.is_empty() {
        let code = status
            .get("ErrorCode")
            .and_then(text_of)
            .unwrap_or_default();
        format!("IsSuccess is false (ErrorCode {code}) without a message")
    } else {
        messages.join("; ")
    }
}

/// The error of a failed `ResponseStatus` as a whole.
pub fn status_error(api: &str, status: &Value) -> Error {
    let msg_code = status.get("MsgCode").and_then(code_of);
    let message = status_message(status);
    let kind = kind_for_msg_code(msg_code, &message);
    let mut e = Error::new(Vendor::Kingdee, api, kind, message);
    if let Some(code) = msg_code {
        e = e.with_code(code.to_string());
    }
    e
}

/// Parses a `Save`/`BatchSave` answer for a `Model` of `n_bills` bills.
///
/// Per bill: a `SuccessEntitys[]` entry gives [`BillOutcome::Saved`], an
/// `Errors[]` entry [`BillOutcome::Failed`] (for a single bill an error
/// without `DIndex` is that bill's), neither [`BillOutcome::Unknown`]. A
/// failed answer that names no bill at all is an [`Error`] (MsgCode 1 session
/// lost, 14 rate limited, 2/15 auth, other codes per [`kind_for_msg_code`]);
/// MsgCode 1, 2, 14 and 15 are an [`Error`] in every case.
pub fn parse_save_response(
    api: &str,
    n_bills: usize,
    answer: &Value,
) -> Result<BatchOutcome, Error> {
    let status = response_status(answer)
        .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `Result.ResponseStatus`"))?;
    let msg_code = status.get("MsgCode").and_then(code_of);
    if matches!(
        msg_code,
        Some(
            MSG_CODE_SESSION_LOST
                | MSG_CODE_NO_PERMISSION
                | MSG_CODE_RATE_LIMITED
                | MSG_CODE_ADMIN_FORBIDDEN
        )
    ) {
        return Err(status_error(api, status));
    }
    let index_of = |entry: &Value| -> Option<usize> {
        match entry.get("DIndex").and_then(code_of) {
            Some(i) => usize::try_from(i).ok(),
            None if n_bills == 1 => Some(0),
            None => None,
        }
    };

    let mut per_bill: Vec<Option<BillOutcome>> = vec![None; n_bills];
    let mut named_any = false;
    for entry in status
        .get("SuccessEntitys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(dindex) = index_of(entry).filter(|i| *i < n_bills) else {
            tracing::debug!(api, "success entry without a usable DIndex");
            continue;
        };
        named_any = true;
        per_bill[dindex] = Some(BillOutcome::Saved {
            dindex,
            id: entry.get("Id").and_then(text_of).unwrap_or_default(),
            number: entry
                .get("Number")
                .and_then(text_of)
                .filter(|n| !n.is_empty()),
        });
    }
    let mut unattributed = 0usize;
    for entry in error_entries(status) {
        let Some(dindex) = index_of(entry).filter(|i| *i < n_bills) else {
            unattributed += 1;
            continue;
        };
        named_any = true;
        let message = entry.get("Message").and_then(text_of).unwrap_or_default();
        let field = entry
            .get("FieldName")
            .and_then(text_of)
            .filter(|f| !f.is_empty());
        match &mut per_bill[dindex] {
            Some(BillOutcome::Saved { .. }) => {}
            Some(BillOutcome::Failed { error, .. }) => {
                if !message.is_empty() {
                    if !error.message.is_empty() {
                        error.message.push_str("; ");
                    }
                    error.message.push_str(&message);
                }
                if error.field.is_none() {
                    error.field = field;
                }
                if bill_error_kind(msg_code, &message) == BillErrorKind::Duplicate {
                    error.kind = BillErrorKind::Duplicate;
                }
            }
            slot @ (None | Some(BillOutcome::Unknown { .. })) => {
                let kind = bill_error_kind(msg_code, &message);
                *slot = Some(BillOutcome::Failed {
                    dindex,
                    error: BillError {
                        msg_code,
                        field,
                        message,
                        kind,
                    },
                });
            }
        }
    }
    if !named_any && (!is_success(status) || unattributed > 0) {
        return Err(status_error(api, status));
    }
    let per_bill = per_bill
        .into_iter()
        .enumerate()
        .map(|(dindex, o)| o.unwrap_or(BillOutcome::Unknown { dindex }))
        .collect();
    Ok(BatchOutcome { per_bill })
}

/// Parses an `ExecuteBillQuery` answer: rows of values in `FieldKeys` order
/// (numbers keep their exact text), or the wrapped error
/// `[[{"Result":{"ResponseStatus":…}}]]`.
pub fn parse_bill_query_response(api: &str, answer: Value) -> Result<Vec<Vec<Value>>, Error> {
    if let Some(status) = response_status(&answer) {
        if !is_success(status)
            || status
                .get("Errors")
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty())
        {
            return Err(status_error(api, status));
        }
    }
    let Value::Array(rows) = answer else {
        return Err(Error::malformed(
            Vendor::Kingdee,
            api,
            "the answer is not a list of rows",
        ));
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Array(cells) => Ok(cells),
            _ => Err(Error::malformed(
                Vendor::Kingdee,
                api,
                format!("row {i} is not a list"),
            )),
        })
        .collect()
}

/// Parses a `View` answer: the bill object, or `None` when the bill does not
/// exist (MsgCode 10 or a "不存在" message).
pub fn parse_view_response(api: &str, answer: &Value) -> Result<Option<Value>, Error> {
    let result = answer
        .get("Result")
        .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `Result`"))?;
    if let Some(status) = result.get("ResponseStatus").filter(|s| s.is_object()) {
        if !is_success(status) {
            let msg_code = status.get("MsgCode").and_then(code_of);
            let message = status_message(status);
            if msg_code == Some(MSG_CODE_NO_DATA)
                || (msg_code.is_none_or(|c| c == 0) && message.contains("不存在"))
            {
                return Ok(None);
            }
            return Err(status_error(api, status));
        }
    }
    match result.get("Result") {
        Some(Value::Null) | None => Ok(None),
        Some(bill) => Ok(Some(bill.clone())),
    }
}

// ---------------------------------------------------------------------------
// client

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

    /// `ExecuteBillQuery`: rows of values in `field_keys` order.
    pub async fn execute_bill_query(&self, query: &BillQuery) -> Result<Vec<Vec<Value>>, Error> {
        let api = short_name(SERVICE_EXECUTE_BILL_QUERY);
        let body = json_text(api, &bill_query_body(query))?;
        let answer = self.call(SERVICE_EXECUTE_BILL_QUERY, body).await?;
        parse_bill_query_response(api, answer)
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
        let result_type = answer
            .get("LoginResultType")
            .and_then(code_of)
            .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `LoginResultType`"))?;
        if result_type != 1 {
            let message = answer
                .get("Message")
                .and_then(text_of)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("login refused (LoginResultType {result_type})"));
            return Err(Error::new(Vendor::Kingdee, api, ErrorKind::Auth, message)
                .with_code(format!("LoginResultType {result_type}")));
        }
        if let Some(id) = answer
            .get("KDSVCSessionId")
            .and_then(text_of)
            .filter(|s| !s.is_empty())
        {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_names() {
        assert_eq!(
            short_name(SERVICE_BATCH_SAVE),
            "DynamicFormService.BatchSave"
        );
        assert_eq!(short_name(SERVICE_LOGIN_BY_SIGN), "AuthService.LoginBySign");
        assert_eq!(short_name("x"), "x");
    }

    #[test]
    fn batch_body_keeps_bills_verbatim() {
        let mut options = Map::new();
        options.insert("IsAutoSubmitAndAudit".to_owned(), json!("false"));
        options.insert("model".to_owned(), json!("ignored"));
        let body = batch_save_body(
            "PUR_PurchaseOrder",
            &[
                r#"{"FBillNo":"CG1","FQty":10.50}"#,
                r#" {"FBillNo":"CG2"} "#,
            ],
            &options,
        )
        .unwrap();
        assert_eq!(
            body,
            r#"{"formid":"PUR_PurchaseOrder","data":{"IsAutoSubmitAndAudit":"false","Model":[{"FBillNo":"CG1","FQty":10.50},{"FBillNo":"CG2"}]}}"#
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["Model"][0]["FQty"].to_string(), "10.50");
    }

    #[test]
    fn bad_bills_are_refused_without_their_text() {
        let e = batch_save_body("F", &[r#"{"a":1}"#, r#"[1,2]"#], &Map::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert!(e.message().contains("bill 1"));
        assert!(!e.to_string().contains("[1,2]"));
        assert!(single_save_body("F", "{not json", &Map::new()).is_err());
        let body = single_save_body("F", r#"{"a":1}"#, &default_save_options()).unwrap();
        assert!(body.ends_with(r#""Model":{"a":1}}}"#), "{body}");
    }

    #[test]
    fn query_and_view_bodies() {
        let q = BillQuery {
            form_id: "PUR_PurchaseOrder".into(),
            field_keys: vec!["FID".into(), "FBillNo".into()],
            filter: "FBillNo='CG001'".into(),
            limit: 2000,
            ..BillQuery::default()
        };
        assert_eq!(
            bill_query_body(&q),
            json!({"data":{"FormId":"PUR_PurchaseOrder","FieldKeys":"FID,FBillNo","FilterString":"FBillNo='CG001'","OrderString":"","TopRowCount":0,"StartRow":0,"Limit":2000}})
        );
        assert_eq!(view_body("F", "CG1")["data"]["Number"], json!("CG1"));
    }

    fn answer(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn save_success() {
        let a = answer(
            r#"{"Result":{"ResponseStatus":{"ErrorCode":0,"IsSuccess":true,"Errors":[],
            "SuccessEntitys":[{"Id":100123,"Number":"CG001","DIndex":0}],"SuccessMessages":[],"MsgCode":0},
            "NeedReturnData":[{"FBillNo":"CG001"}]}}"#,
        );
        let o = parse_save_response("DynamicFormService.BatchSave", 1, &a).unwrap();
        assert_eq!(
            o.per_bill,
            vec![BillOutcome::Saved {
                dindex: 0,
                id: "100123".into(),
                number: Some("CG001".into())
            }]
        );
    }

    #[test]
    fn batch_mixed_outcomes_by_dindex() {
        let a = answer(
            r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
            "Errors":[{"FieldName":"FBillNo","Message":"违反字段唯一性要求：编码唯一。[CG002]在当前系统中已经被使用。","DIndex":1},
                      {"FieldName":"FMaterialId","Message":"字段“物料编码”的值“M9”在基础资料中不存在","DIndex":3}],
            "SuccessEntitys":[{"Id":"100124","Number":"CG001","DIndex":0}],"SuccessMessages":[],"MsgCode":11}}}"#,
        );
        let o = parse_save_response("DynamicFormService.BatchSave", 4, &a).unwrap();
        assert_eq!(o.per_bill.len(), 4);
        for (i, b) in o.per_bill.iter().enumerate() {
            assert_eq!(b.dindex(), i);
        }
        assert!(matches!(&o.per_bill[0], BillOutcome::Saved { id, .. } if id == "100124"));
        match &o.per_bill[1] {
            BillOutcome::Failed { error, .. } => {
                assert_eq!(error.kind, BillErrorKind::Duplicate);
                assert_eq!(error.msg_code, Some(11));
                assert_eq!(error.field.as_deref(), Some("FBillNo"));
                assert!(error.message.contains("CG002"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(o.per_bill[2], BillOutcome::Unknown { dindex: 2 });
        assert!(
            matches!(&o.per_bill[3], BillOutcome::Failed { error, .. } if error.kind == BillErrorKind::BaseData)
        );
    }

    #[test]
    fn duplicate_single_bill_captured_response() {
        let a = answer(
            r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
            "Errors":[{"FieldName":"FBillNo","Message":"违反字段唯一性要求：编码唯一。[CG001]在当前系统中已经被使用。","DIndex":0}],
            "SuccessEntitys":[],"SuccessMessages":[],"MsgCode":11}}}"#,
        );
        let o = parse_save_response("DynamicFormService.Save", 1, &a).unwrap();
        assert!(
            matches!(&o.per_bill[0], BillOutcome::Failed { error, .. } if error.kind == BillErrorKind::Duplicate)
        );
    }

    #[test]
    fn errors_without_dindex() {
        // One bill: the error is that bill's.
        let a = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"FieldName":"FDate","Message":"字段“日期”是必填项"}],"MsgCode":11}}}"#,
        );
        let o = parse_save_response("x", 1, &a).unwrap();
        assert!(
            matches!(&o.per_bill[0], BillOutcome::Failed { error, .. } if error.kind == BillErrorKind::Validation)
        );
        // Several bills, nothing attributable: an error for the whole call.
        let a = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"表单ID为空"}],"MsgCode":5}}}"#,
        );
        let e = parse_save_response("x", 3, &a).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("5"));
        assert_eq!(e.message(), "表单ID为空");
    }

    #[test]
    fn whole_call_codes() {
        let lost = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"会话信息已丢失，请重新登录"}],"MsgCode":1}}}"#,
        );
        assert!(is_session_lost(&lost));
        let e = parse_save_response("x", 2, &lost).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SessionLost);
        let limited = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"调用次数超过限制"}],"MsgCode":14}}}"#,
        );
        let e = parse_save_response("x", 1, &limited).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.is_transient());
        let perm =
            answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[],"MsgCode":2}}}"#);
        assert_eq!(
            parse_save_response("x", 1, &perm).unwrap_err().kind(),
            ErrorKind::Auth
        );
        let e = parse_save_response("x", 1, &answer(r#"{"Result":{}}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("Result.ResponseStatus"));
    }

    #[test]
    fn bill_query_rows_and_wrapped_error() {
        let rows = parse_bill_query_response(
            "q",
            answer(r#"[[100001,"CG001","C",12.3400],[100002,"CG002","A",0.1000000000000000055511151231257827]]"#),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][3].to_string(), "12.3400");
        assert_eq!(
            rows[1][3].to_string(),
            "0.1000000000000000055511151231257827"
        );
        assert!(parse_bill_query_response("q", answer("[]"))
            .unwrap()
            .is_empty());

        let wrapped = answer(
            r#"[[{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,"Errors":[{"FieldName":null,"Message":"字段FXXX不存在","DIndex":0}],"MsgCode":9}}}]]"#,
        );
        let e =
            parse_bill_query_response("DynamicFormService.ExecuteBillQuery", wrapped).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permanent);
        assert_eq!(e.code(), Some("9"));
        assert_eq!(e.message(), "字段FXXX不存在");
        let lost = answer(
            r#"[[{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":1,"Errors":[]}}}]]"#,
        );
        assert!(is_session_lost(&lost));

        let e = parse_bill_query_response("q", answer(r#"{"a":1}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        let e = parse_bill_query_response("q", answer(r#"[[1],2]"#)).unwrap_err();
        assert!(e.message().contains("row 1"));
    }

    #[test]
    fn view_found_and_missing() {
        let found = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":true,"Errors":[],"MsgCode":0},"Result":{"Id":1,"BillNo":"CG1"}}}"#,
        );
        assert_eq!(
            parse_view_response("v", &found).unwrap().unwrap()["BillNo"],
            json!("CG1")
        );
        let found_no_status = answer(r#"{"Result":{"ResponseStatus":null,"Result":{"Id":1}}}"#);
        assert!(parse_view_response("v", &found_no_status)
            .unwrap()
            .is_some());
        let missing = answer(
            r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"单据不存在或者您没有查看权限！"}],"MsgCode":0}}}"#,
        );
        assert_eq!(parse_view_response("v", &missing).unwrap(), None);
        let limited =
            answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[],"MsgCode":14}}}"#);
        assert_eq!(
            parse_view_response("v", &limited).unwrap_err().kind(),
            ErrorKind::RateLimited
        );
    }

    #[test]
    fn bill_error_kinds() {
        assert_eq!(
            bill_error_kind(Some(11), "违反字段唯一性要求：编码唯一。"),
            BillErrorKind::Duplicate
        );
        assert_eq!(
            bill_error_kind(Some(11), "字段“供应商”的值“V9”不存在"),
            BillErrorKind::BaseData
        );
        assert_eq!(
            bill_error_kind(Some(11), "第1行“数量”必须大于0"),
            BillErrorKind::Validation
        );
        assert_eq!(
            bill_error_kind(Some(4), "Object reference not set"),
            BillErrorKind::Other
        );
    }

    #[test]
    fn msg_code_kinds() {
        assert_eq!(kind_for_msg_code(Some(6), ""), ErrorKind::Transient);
        assert_eq!(kind_for_msg_code(Some(13), ""), ErrorKind::Transient);
        assert_eq!(kind_for_msg_code(Some(15), ""), ErrorKind::Auth);
        assert_eq!(
            kind_for_msg_code(Some(0), "用户名或密码错误"),
            ErrorKind::Auth
        );
        assert_eq!(
            kind_for_msg_code(Some(0), "会话信息已丢失，请重新登录"),
            ErrorKind::SessionLost
        );
        assert_eq!(kind_for_msg_code(Some(8), "参数错误"), ErrorKind::Permanent);
    }

    #[test]
    fn debug_hides_secrets() {
        let cfg = KingdeeConfig::new(
            "http://h/k3cloud",
            "a",
            "u",
            KingdeeAuth::Password {
                password: Secret::new("pa55"),
            },
        );
        let c = Client::new(cfg).unwrap();
        assert!(!format!("{c:?}").contains("pa55"));
    }
}
