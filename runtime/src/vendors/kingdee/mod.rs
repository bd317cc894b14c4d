//! 金蝶云星空 (Kingdee K/3 Cloud) WebAPI client (protocols.md §3).
//!
//! `POST {server_url}/{service}.common.kdsvc`, JSON in and out, HTTP 200 even
//! for business errors. Authentication ([`KingdeeAuth`]):
//! - `Signed`: the SDK-v8 signed headers ([`crate::vendors::sign::kingdee_signed_headers`])
//!   on every call, no login;
//! - `LoginBySign`, `LoginByAppSecret`, `Password`: one `AuthService` login
//!   (`{"parameters":[…]}`), whose session (cookie `kdservice-sessionid`) is sent
//!   back on later calls as cookie and header.
//!
//! In every mode the cookies the server sets are kept and sent back, and an
//! answer that says the session is lost — MsgCode 1, or only in words
//! ([`SESSION_LOST_MARKERS`]: "会话已过期", "请重新登录", "Fail to verify thirty
//! passport", …) — makes the client drop the session, log in again (login
//! modes) and retry the call once; a second loss is [`ErrorKind::SessionLost`].
//!
//! A login answers `LoginResultType` ([`login_result_name`]): 1 (Success) is
//! a session; −5 (DealWithForm, common for administrators) and −4 (Wanning)
//! carry a valid session too and are accepted with a logged note; every other
//! value is refused with its name and what to do. An unlicensed server answers
//! a `FormId` (`BOS_CloudInspection`, …) and no session: a license error.
//!
//! MsgCode classification of a failed call ([`kind_for_msg_code`]): 1 session
//! lost; 14 rate limited; 2 (no permission) and 15 (administrator login
//! forbidden) auth; 6 (DB failure) and 13 (network-control conflict)
//! transient; 3 (操作标识为空: the operation is missing), 7 (许可错误: the
//! license does not cover the call) and every other code permanent, except
//! that a message about signatures, authorisation or passwords is auth. The
//! whole-call codes ([`is_call_level_code`]: 1–5, 7, 14, 15) fail a save as a
//! whole, whatever it names.
//!
//! `BatchSave` is not atomic: [`BatchOutcome`] tells per bill (by `DIndex`)
//! whether it was saved, failed, or is unknown (no entry in the answer: the
//! caller must look it up before writing it again). Older servers send no
//! `DIndex`, `MsgCode` or `SuccessEntitys`: an error that names no bill of a
//! batch makes every bill not named as saved [`BillOutcome::Unattributed`],
//! for the caller to look up and resend in smaller batches.

use std::time::Duration;

use crate::error::ErrorKind;
use crate::secret::Secret;

mod answer;
mod body;
mod client;
mod target;

pub use answer::*;
pub use body::*;
pub use client::Client;
pub use target::{cell_text, KingdeeTarget};

/// `DynamicFormService.BatchSave`.
pub const SERVICE_BATCH_SAVE: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave";
/// `DynamicFormService.Save`.
pub const SERVICE_SAVE: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save";
/// `DynamicFormService.Submit`.
pub const SERVICE_SUBMIT: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Submit";
/// `DynamicFormService.Audit`.
pub const SERVICE_AUDIT: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Audit";
/// `DynamicFormService.ExecuteOperation` `[formid, opNumber, data]`.
pub const SERVICE_EXECUTE_OPERATION: &str =
    "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteOperation";
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

/// The most rows `ExecuteBillQuery` answers in one call, whatever `Limit` says.
pub const MAX_QUERY_ROWS: u32 = 10_000;

/// The session cookie (and header) name.
pub const SESSION_COOKIE: &str = "kdservice-sessionid";

/// MsgCode: context/session lost, log in again.
pub const MSG_CODE_SESSION_LOST: i64 = 1;
/// MsgCode: no permission.
pub const MSG_CODE_NO_PERMISSION: i64 = 2;
/// MsgCode: the operation (操作标识) is empty.
pub const MSG_CODE_NO_OPERATION: i64 = 3;
/// MsgCode: an exception on the server (unknown form, bad filter, …).
pub const MSG_CODE_EXCEPTION: i64 = 4;
/// MsgCode: the form id is empty.
pub const MSG_CODE_NO_FORM_ID: i64 = 5;
/// MsgCode: database failure.
pub const MSG_CODE_DB_FAILURE: i64 = 6;
/// MsgCode: license error (许可错误): the server's license does not cover
/// the call.
pub const MSG_CODE_LICENSE: i64 = 7;
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
/// Words of real servers that mean the session is lost, with or without
/// MsgCode 1 (compared without case; "thirty" is the server's spelling).
pub const SESSION_LOST_MARKERS: &[&str] = &[
    SESSION_LOST_MARKER,
    "会话已过期",
    "会话已失效",
    "请重新登录",
    "fail to verify thirty passport",
    "当前尝试登录的数据中心无法获取到",
];
/// Words of a refused Submit or Audit that mean the step was done before
/// (a rerun after a crash): done, not failed — unless negated
/// ("数据状态不是已提交").
pub const ALREADY_DONE_MARKERS: &[&str] = &["已经审核", "已审核", "已经提交", "审核中"];

/// Whether a refused Submit or Audit says the step was done before.
pub fn says_already_done(message: &str) -> bool {
    !message.contains("不是") && ALREADY_DONE_MARKERS.iter().any(|m| message.contains(m))
}

/// The pseudo-error of older servers: an interaction the server could not
/// show; the bill may or may not have been saved.
pub const PSEUDO_ERROR_MARKER: &str = "InteractionContext is null";

/// True when `message` says the session is lost ([`SESSION_LOST_MARKERS`]).
pub fn says_session_lost(message: &str) -> bool {
    let lower = message.to_lowercase();
    SESSION_LOST_MARKERS
        .iter()
        .any(|m| lower.contains(&m.to_lowercase()))
}

/// The MsgCodes that are about the call as a whole (session, permission,
/// operation, form, license, call limit), never about one bill.
pub fn is_call_level_code(msg_code: Option<i64>) -> bool {
    matches!(
        msg_code,
        Some(
            MSG_CODE_SESSION_LOST
                | MSG_CODE_NO_PERMISSION
                | MSG_CODE_NO_OPERATION
                | MSG_CODE_EXCEPTION
                | MSG_CODE_NO_FORM_ID
                | MSG_CODE_LICENSE
                | MSG_CODE_RATE_LIMITED
                | MSG_CODE_ADMIN_FORBIDDEN
        )
    )
}

/// The name of a `LoginResultType` (`Kingdee.BOS.Authentication.LoginResultType`).
pub fn login_result_name(result_type: i64) -> Option<&'static str> {
    Some(match result_type {
        1 => "Success",
        0 => "PWError",
        -1 => "Failure",
        -4 => "Wanning",
        -5 => "DealWithForm",
        -7 => "Activation",
        _ => return None,
    })
}

/// What to do about a refused login, by its `LoginResultType`.
pub fn login_result_advice(result_type: i64) -> &'static str {
    match result_type {
        0 => "check the user name and the password, app id or app secret of the connection",
        -1 => "check acct_id (the data centre id) and that the user exists in it",
        -7 => "the user or data centre must be activated in the Kingdee client first",
        _ => "log in once with the Kingdee client as this user to see what the server asks",
    }
}

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
    /// `Limit` (≤ [`MAX_QUERY_ROWS`]; 0 = server default).
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
    /// The answer has errors that name no bill (an older server's batch
    /// answer, or its pseudo-error), and does not name this bill as saved:
    /// it may be saved, or the error may be its own. Look it up, then send
    /// it in a smaller batch.
    Unattributed { dindex: usize, message: String },
}

impl BillOutcome {
    /// The bill's index in `Model`.
    pub fn dindex(&self) -> usize {
        match self {
            BillOutcome::Saved { dindex, .. }
            | BillOutcome::Failed { dindex, .. }
            | BillOutcome::Unattributed { dindex, .. }
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
        Some(MSG_CODE_LICENSE | MSG_CODE_NO_OPERATION) => return ErrorKind::Permanent,
        Some(MSG_CODE_RATE_LIMITED) => return ErrorKind::RateLimited,
        Some(MSG_CODE_NO_PERMISSION | MSG_CODE_ADMIN_FORBIDDEN) => return ErrorKind::Auth,
        Some(MSG_CODE_DB_FAILURE | MSG_CODE_NETWORK_CONTROL) => return ErrorKind::Transient,
        _ => {}
    }
    if says_session_lost(message) {
        return ErrorKind::SessionLost;
    }
    if crate::vendors::says_rate_limited(message) {
        return ErrorKind::RateLimited;
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

#[cfg(test)]
mod tests;
