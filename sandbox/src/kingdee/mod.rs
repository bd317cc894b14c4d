//! 金蝶云星空 WebAPI: `POST …/Kingdee.BOS.WebApi.ServicesStub.{Service}.{Method}.common.kdsvc`
//! (protocols.md §3). Any path ending in `.common.kdsvc` is served (the usual
//! one starts with `/k3cloud/`); answers are JSON with HTTP 200, business
//! errors included.
//!
//! | service.method | does |
//! |---|---|
//! | `AuthService.ValidateUser` / `LoginByAppSecret` / `LoginBySign` | log in ([`auth`]) |
//! | `AuthService.Logout` | forget the caller's session |
//! | `DynamicFormService.BatchSave` / `Save` | check ([`forms`], [`links`]) and store bills of `PUR_PurchaseOrder`, `STK_MISCELLANEOUS`, `SAL_OUTSTOCK`, `STK_InStock`, `SAL_RETURNSTOCK`, `PUR_MRB`; add or update base data of `BD_MATERIAL`, `BD_Supplier`, `BD_Customer`, `BD_STOCK`, `BD_Department`, `BD_UNIT` ([`basedata`]) |
//! | `DynamicFormService.ExecuteBillQuery` / `BillQuery` | query stored bills and the base data ([`query`]) |
//! | `DynamicFormService.View` | one bill by `Number` or `Id` |
//! | `DynamicFormService.Submit` / `Audit` | submit, audit bills ([`steps`]) or base data ([`basedata`]) by `Ids` or `Numbers` |
//! | `DynamicFormService.ExecuteOperation` | MsgCode 3 (操作标识为空) without `opNumber`; no operation carried out |
//!
//! The body may be `{"formid":…,"data":{…}}`, the same with `data` a JSON
//! string, or positional `{"parameters":[formid, data]}`
//! (`{"parameters":[data]}` for the queries).
//!
//! BatchSave is not atomic: each bill of `Model` is checked
//! ([`forms::FormSpec::check`]) and saved alone; the answer lists
//! `SuccessEntitys` (`Id`, `Number`, `DIndex`) and `Errors` (`FieldName`,
//! `Message`, `DIndex`) and is `IsSuccess:false`, `ErrorCode:500`, `MsgCode:11`
//! when any bill failed. A duplicate `FBillNo` gets Kingdee's captured error
//! `违反字段唯一性要求：编码唯一。[CG001]在当前系统中已经被使用。`.
//!
//! Other answers in the ResponseStatus shape (wrapped `[[{"Result":…}]]` for
//! the queries): MsgCode 1 `会话信息已丢失，请重新登录` (no valid auth, expired
//! session, session-loss fault), 4 (unknown form or operation, bad filter),
//! 5 (form id empty), 8 (malformed request), 9 (unknown query field), 10 (View
//! found nothing), 14 `接口调用频率超出限制，请稍后重试` (rate-limit fault).
//!
//! Quirks of real servers ([`KingdeeQuirks`], `--kingdee-quirks`): older
//! save answers (`legacy-save`: no `DIndex`, `MsgCode`, `SuccessEntitys`),
//! the pseudo-error `AbstractInteractionResult.InteractionContext is null`
//! on failed saves (`pseudo-error`), logins answering −5 or −4 with a valid
//! session (`admin-login`, `warning-login`), an unlicensed server
//! (`unlicensed`: the login answers the form `BOS_CloudInspection` and no
//! session, other calls MsgCode 7 `许可错误`), a lost session said only in
//! words (`session-words`: `会话已过期，请重新登录`, no MsgCode), query
//! answers with floats and fractions of seconds (`float-query`: `100001.0`,
//! `2024-01-02T09:18:04.96`), a rate limit said only in words
//! (`rate-limit-words`: `当前接口并发请求数超过限制`, no MsgCode), a
//! confirmation asked by stock bills (`stock-prompt`: the bill is not saved,
//! its error is `更新库存时出现可以忽略的异常数据，是否继续？` and the answer's
//! `Result.InteractionContext` names `STK_InvCheckResult`, unless
//! `InterationFlags` names it and `IgnoreInterationFlag` is not false),
//! `IsAutoSubmitAndAudit` not honoured (`no-auto-audit`: saved bills stay
//! created until Submit and Audit).

pub(crate) mod auth;
pub(crate) mod basedata;
pub(crate) mod forms;
pub(crate) mod links;
pub(crate) mod query;
pub(crate) mod state;
pub(crate) mod steps;
pub(crate) mod store;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Map, Value};

use crate::app::App;
use crate::clock::fmt_cst;
use crate::config::{KingdeeQuirks, Service};
use crate::faults::Fault;
use crate::http::{http_500, json_value, KillSwitch};
use auth::Login;
use forms::{flag, get_ci, take_ci, value_text, Rules};
use query::QueryRequest;
use state::KingdeeState;
use store::SaveError;

pub(crate) const SESSION_LOST: &str = "会话信息已丢失，请重新登录";
/// A lost session in the words of servers that send no MsgCode for it.
pub(crate) const SESSION_EXPIRED_WORDS: &str = "会话已过期，请重新登录";
/// An unlicensed server's answer to every call but a login (MsgCode 7).
pub(crate) const LICENSE_ERROR: &str = "许可错误：当前数据中心没有WebAPI（第三方系统登录）的许可。";
/// The confirmation a stock bill asks (quirk `stock-prompt`), and its
/// interaction's form id.
pub(crate) const STOCK_PROMPT: &str = "更新库存时出现可以忽略的异常数据，是否继续？";
pub(crate) const STOCK_INTERACTION: &str = "STK_InvCheckResult";
/// The pseudo-error older servers add to failed saves.
pub(crate) const PSEUDO_ERROR: &str = "AbstractInteractionResult.InteractionContext is null";
pub(crate) const RATE_LIMITED: &str = "接口调用频率超出限制，请稍后重试";
/// A rate limit in the words of servers that send no MsgCode for it.
pub(crate) const RATE_LIMITED_WORDS: &str = "当前接口并发请求数超过限制，请稍后重试";

/// The operations served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Login(Login),
    Logout,
    Save,
    BatchSave,
    ExecuteBillQuery,
    BillQuery,
    View,
    Step(steps::StepOp),
    ExecuteOperation,
    Unknown,
}

impl Op {
    fn parse(path: &str) -> (Op, String) {
        let last = path.rsplit('/').next().unwrap_or_default();
        let stem = last.strip_suffix(".common.kdsvc").unwrap_or(last);
        let mut parts = stem.rsplit('.');
        let method = parts.next().unwrap_or_default();
        let service = parts.next().unwrap_or_default();
        let name = format!("{service}.{method}");
        let op = match (
            service.to_ascii_lowercase().as_str(),
            method.to_ascii_lowercase().as_str(),
        ) {
            ("authservice", "logout") => Op::Logout,
            ("authservice", m) => Login::from_method(m).map_or(Op::Unknown, Op::Login),
            ("dynamicformservice", "save") => Op::Save,
            ("dynamicformservice", "batchsave") => Op::BatchSave,
            ("dynamicformservice", "executebillquery") => Op::ExecuteBillQuery,
            ("dynamicformservice", "billquery") => Op::BillQuery,
            ("dynamicformservice", "view") => Op::View,
            ("dynamicformservice", "executeoperation") => Op::ExecuteOperation,
            ("dynamicformservice", "submit") => Op::Step(steps::StepOp::Submit),
            ("dynamicformservice", "audit") => Op::Step(steps::StepOp::Audit),
            _ => Op::Unknown,
        };
        (op, name)
    }

    fn is_query(self) -> bool {
        matches!(self, Op::ExecuteBillQuery | Op::BillQuery)
    }
}

/// `{"Result":{"ResponseStatus":{…error…}}}`.
fn status_error(msg_code: i64, message: &str) -> Value {
    json!({"Result": {"ResponseStatus": {
        "ErrorCode": 500,
        "IsSuccess": false,
        "Errors": [{"FieldName": null, "Message": message, "DIndex": 0}],
        "SuccessEntitys": [],
        "SuccessMessages": [],
        "MsgCode": msg_code
    }}})
}

/// An error answer of `op` (queries wrap it in `[[…]]`).
fn error_response(op: Op, msg_code: i64, message: &str) -> Response {
    let v = status_error(msg_code, message);
    json_value(&if op.is_query() { json!([[v]]) } else { v })
}

/// A lost session: MsgCode 1, or (quirk `session-words`) only words.
fn session_lost(k: &KingdeeState, op: Op) -> Response {
    if !k.quirks().session_words {
        return error_response(op, 1, SESSION_LOST);
    }
    let v = json!({"Result": {"ResponseStatus": {
        "ErrorCode": 500,
        "IsSuccess": false,
        "Errors": [{"FieldName": null, "Message": SESSION_EXPIRED_WORDS}]
    }}});
    json_value(&if op.is_query() { json!([[v]]) } else { v })
}

fn with_cookie(mut response: Response, session: Option<String>) -> Response {
    if let Some(s) = session {
        if let Ok(v) =
            HeaderValue::from_str(&format!("{}={s}; path=/; HttpOnly", auth::SESSION_COOKIE))
        {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Axum handler of every `….common.kdsvc` path.
pub(crate) async fn handle(
    State(app): State<Arc<App>>,
    Extension(kill): Extension<KillSwitch>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.stats.count(Service::Kingdee);
    let (op, name) = Op::parse(uri.path());
    let fault = app.faults.roll(Service::Kingdee);
    match fault {
        Some(Fault::Http500) => return http_500(),
        Some(Fault::RateLimit) if app.kingdee.quirks().rate_limit_words => {
            let v = json!({"Result": {"ResponseStatus": {
                "ErrorCode": 500,
                "IsSuccess": false,
                "Errors": [{"FieldName": null, "Message": RATE_LIMITED_WORDS}]
            }}});
            return json_value(&if op.is_query() { json!([[v]]) } else { v });
        }
        Some(Fault::RateLimit) => return error_response(op, 14, RATE_LIMITED),
        Some(Fault::SessionLoss) if !matches!(op, Op::Login(_)) => {
            if let Some(s) = auth::session_id(&headers) {
                app.kingdee.sessions.remove(&s);
            }
            return session_lost(&app.kingdee, op);
        }
        Some(Fault::Drop {
            after_processing: false,
        }) => return kill.drop_connection().await,
        Some(Fault::Slow {
            after_processing: false,
            delay,
        }) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let load = app.kingdee.config.load;
    let (_in_flight, calls) = state::InFlight::enter(&app.kingdee.in_flight);
    if load.capacity > 0 && calls > 2 * load.capacity {
        app.stats.refused_for_load();
        return error_response(op, 14, RATE_LIMITED_WORDS);
    }
    let mut bills = 0;
    let response = process(&app, op, &name, &path, &headers, &body, &mut bills);
    let work = load.per_call + load.per_bill * bills;
    if !work.is_zero() {
        // Past its capacity the server shares itself among the calls.
        let work = if load.capacity > 0 && calls > load.capacity {
            work * calls / load.capacity
        } else {
            work
        };
        tokio::time::sleep(work).await;
    }
    match fault {
        Some(Fault::Drop {
            after_processing: true,
        }) => kill.drop_connection().await,
        Some(Fault::Slow {
            after_processing: true,
            delay,
        }) => {
            tokio::time::sleep(delay).await;
            response
        }
        _ => response,
    }
}

/// Answers one call; `bills` is set to the number of bills a save names.
fn process(
    app: &App,
    op: Op,
    name: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    bills: &mut u32,
) -> Response {
    let k = &app.kingdee;
    let now = app.clock.now();
    let body: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => Value::Object(Map::new()),
        Err(e) => return error_response(op, 8, &format!("请求数据不是有效的JSON：{e}")),
    };
    let quirks = k.quirks();
    if let Op::Login(login) = op {
        return match auth::check_login(&k.config, login, &body, now, app.config.max_skew_secs) {
            Ok(()) if quirks.unlicensed => json_value(&auth::login_unlicensed()),
            Ok(()) => {
                let session = k.sessions.create();
                let result_type = quirks.login_result.unwrap_or(1);
                with_cookie(
                    json_value(&auth::login_success(&k.config, &session, result_type)),
                    Some(session),
                )
            }
            Err((code, message)) => json_value(&auth::login_failure(code, &message)),
        };
    }
    if op == Op::Logout {
        if let Some(s) = auth::session_id(headers) {
            k.sessions.remove(&s);
        }
        return json_value(&Value::Bool(true));
    }

    // Everything else needs a session or valid signed headers.
    let mut new_session = None;
    if auth::has_signed_headers(headers) {
        if let Err(reason) =
            auth::verify_signed_headers(&k.config, headers, path, now, app.config.max_skew_secs)
        {
            tracing::warn!("kingdee sandbox: signed headers rejected: {reason}");
            return session_lost(k, op);
        }
        if !auth::session_id(headers).is_some_and(|s| k.sessions.touch(&s)) {
            new_session = Some(k.sessions.create());
        }
    } else if !auth::session_id(headers).is_some_and(|s| k.sessions.touch(&s)) {
        return session_lost(k, op);
    }
    if quirks.unlicensed {
        return error_response(op, 7, LICENSE_ERROR);
    }

    // ExecuteOperation: `{"parameters":[formid, opNumber, data]}` or
    // `{"formid":…,"opNumber":…,"data":…}`.
    let body_operation = operation_of(&body);
    let (form_id, data) = form_and_data(body, op);
    let now_text = fmt_cst(now).replacen(' ', "T", 1);
    let answer = match op {
        Op::Save | Op::BatchSave => {
            *bills = bill_count(&data);
            save(k, op, form_id.as_deref(), data, (now, &now_text), &quirks)
        }
        Op::ExecuteBillQuery | Op::BillQuery => bill_query(k, op, data, &quirks),
        Op::View => view(k, form_id.as_deref(), data),
        Op::ExecuteOperation => execute_operation(k, &body_operation),
        Op::Step(step) => match (form_id.as_deref().map(str::trim), data) {
            (Some(form), Value::Object(data)) if k.form(form).is_some() => {
                json_value(&steps::run(k, step, form, &data))
            }
            (Some(form), Value::Object(data)) if basedata::savable(form).is_some() => {
                match basedata::savable(form) {
                    Some(schema) => json_value(&basedata::steps(k, step, schema, &data)),
                    None => error_response(op, 4, &format!("业务对象“{form}”不存在。")),
                }
            }
            (None | Some(""), _) => error_response(op, 5, "表单Id（formid）不能为空。"),
            (Some(form), Value::Object(_)) => {
                error_response(op, 4, &format!("业务对象“{form}”不存在。"))
            }
            _ => error_response(op, 8, "参数data不能为空，应为包含Ids或Numbers的JSON对象。"),
        },
        _ => error_response(op, 4, &format!("沙箱未提供服务方法“{name}”。")),
    };
    with_cookie(answer, new_session)
}

/// The operation (`opNumber`) and form of an `ExecuteOperation` body.
fn operation_of(body: &Value) -> (Option<String>, Option<String>) {
    if let Some(Value::Array(p)) = body.get("parameters") {
        return (
            p.first().and_then(value_text),
            p.get(1).and_then(value_text),
        );
    }
    (
        body.get("formid").and_then(value_text),
        body.get("opNumber").and_then(value_text),
    )
}

/// `ExecuteOperation`: an empty operation is MsgCode 3 (操作标识为空); the
/// sandbox carries out no other operation than Submit and Audit, which have
/// their own services.
fn execute_operation(
    k: &KingdeeState,
    (form, operation): &(Option<String>, Option<String>),
) -> Response {
    let op = Op::ExecuteOperation;
    let operation = operation.as_deref().map(str::trim).unwrap_or_default();
    if operation.is_empty() {
        return error_response(op, 3, "操作标识为空，请传入opNumber。");
    }
    match form.as_deref().map(str::trim) {
        None | Some("") => error_response(op, 5, "表单Id（formid）不能为空。"),
        Some(f) if k.form(f).is_none() => error_response(op, 4, &format!("业务对象“{f}”不存在。")),
        Some(_) => error_response(
            op,
            4,
            &format!("沙箱未提供操作“{operation}”（提交与审核请用Submit、Audit）。"),
        ),
    }
}

/// `(formid, data)` of a body, taken out of it; `data` parsed when sent as
/// a JSON string.
fn form_and_data(body: Value, op: Op) -> (Option<String>, Value) {
    let parse = |v: Value| match v {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
        other => other,
    };
    let Value::Object(mut obj) = body else {
        return (None, Value::Null);
    };
    if let Some(params) = take_ci(&mut obj, "parameters") {
        let items = match parse(params) {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        let mut items = items.into_iter();
        return if op.is_query() {
            (None, items.next().map(parse).unwrap_or(Value::Null))
        } else {
            let form = items.next();
            (
                form.as_ref().and_then(value_text),
                items.next().map(parse).unwrap_or(Value::Null),
            )
        };
    }
    let form = get_ci(&obj, "formid").and_then(value_text);
    let data = take_ci(&mut obj, "data").map(parse).unwrap_or(Value::Null);
    (form, data)
}

fn list_of_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(value_text).collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// The `NeedReturnData` item of a saved bill: `fields` of its stored model
/// (`entity.field` gives `{"entity":[{"field":…},…]}`).
fn need_return(id: i64, data: &Map<String, Value>, fields: &[String]) -> Value {
    let mut out = Map::new();
    for f in fields {
        match f.split_once('.') {
            None => {
                let v = if f.eq_ignore_ascii_case("FID") {
                    Value::from(id)
                } else {
                    get_ci(data, f).cloned().unwrap_or(Value::Null)
                };
                out.insert(f.clone(), v);
            }
            Some((entity, child)) => {
                let rows: Vec<Value> = get_ci(data, entity)
                    .and_then(Value::as_array)
                    .map(|rows| {
                        rows.iter()
                            .filter_map(Value::as_object)
                            .map(|r| {
                                json!({ child: get_ci(r, child).cloned().unwrap_or(Value::Null) })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let slot = out
                    .entry(entity.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(existing) = slot {
                    if existing.is_empty() {
                        *existing = rows;
                    } else {
                        for (e, r) in existing.iter_mut().zip(rows) {
                            if let (Value::Object(e), Value::Object(r)) = (e, r) {
                                e.extend(r);
                            }
                        }
                    }
                }
            }
        }
    }
    Value::Object(out)
}

/// How many bills the `Model` of a save's data names.
fn bill_count(data: &Value) -> u32 {
    let model = data.as_object().and_then(|o| {
        o.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("Model"))
            .map(|(_, v)| v)
    });
    match model {
        Some(Value::Array(a)) => u32::try_from(a.len()).unwrap_or(u32::MAX),
        Some(_) => 1,
        None => 0,
    }
}

/// A save's data (without `Model`) and its models.
type SaveRequest = (Map<String, Value>, Vec<Value>);

/// The data and models of a save; else the MsgCode and message of its
/// refusal.
fn save_models(op: Op, data: Value) -> Result<SaveRequest, (i64, &'static str)> {
    let Value::Object(mut data) = data else {
        return Err((8, "参数data不能为空，应为包含Model的JSON对象。"));
    };
    let models: Vec<Value> = match take_ci(&mut data, "Model") {
        Some(Value::Array(a)) if op == Op::BatchSave => a,
        Some(Value::Object(o)) => vec![Value::Object(o)],
        Some(Value::Array(a)) if a.len() == 1 => a,
        _ => return Err((8, "参数Model不能为空。")),
    };
    Ok((data, models))
}

const NOT_AN_OBJECT: &str = "数据包格式错误：Model的元素应为JSON对象。";

/// What a save did: successes, errors, `NeedReturnData`, the last saved
/// (id, number), whether it asked a confirmation.
#[derive(Default)]
struct SaveOutcome {
    successes: Vec<Value>,
    errors: Vec<Value>,
    returned: Vec<Value>,
    last: Option<(i64, String)>,
    asked: bool,
}

fn save(
    k: &KingdeeState,
    op: Op,
    form_id: Option<&str>,
    data: Value,
    (now_secs, now): (i64, &str),
    quirks: &KingdeeQuirks,
) -> Response {
    let Some(form_id) = form_id.map(str::trim).filter(|f| !f.is_empty()) else {
        return error_response(op, 5, "表单Id（formid）不能为空。");
    };
    let Some(spec) = k.form(form_id) else {
        if let Some(schema) = basedata::savable(form_id) {
            return match save_models(op, data) {
                Ok((data, models)) => {
                    let outcome = save_base_data(k, schema, &data, models, now_secs, quirks);
                    save_answer(op, quirks, outcome)
                }
                Err((code, message)) => error_response(op, code, message),
            };
        }
        return error_response(
            op,
            4,
            &format!(
                "业务对象“{form_id}”不存在（沙箱提供 PUR_PurchaseOrder、STK_MISCELLANEOUS）。"
            ),
        );
    };
    let (data, models) = match save_models(op, data) {
        Ok(v) => v,
        Err((code, message)) => return error_response(op, code, message),
    };
    let master = k.master();
    let rules = Rules {
        master: &master,
        verify_base_data: flag(get_ci(&data, "IsVerifyBaseDataField"), false),
        validate: flag(get_ci(&data, "ValidateFlag"), true),
    };
    let audit = flag(get_ci(&data, "IsAutoSubmitAndAudit"), false) && !quirks.no_auto_audit;
    let return_fields = list_of_strings(get_ci(&data, "NeedReturnFields"));
    // Negative stock: a confirmation, unless the caller allows it.
    let prompt = quirks.stock_prompt
        && spec.form_id.eq_ignore_ascii_case("STK_MISCELLANEOUS")
        && !(interaction_allowed(&data, STOCK_INTERACTION));
    let mut out = SaveOutcome::default();
    for (index, model) in models.into_iter().enumerate() {
        let Value::Object(mut bill) = model else {
            out.errors
                .push(json!({"FieldName": null, "Message": NOT_AN_OBJECT, "DIndex": index}));
            continue;
        };
        let mut problems = spec.check(&mut bill, &rules);
        problems.extend(links::check(k, &master, spec, &bill));
        if !problems.is_empty() {
            for p in problems {
                out.errors.push(
                    json!({"FieldName": p.field_name, "Message": p.message, "DIndex": index}),
                );
            }
            continue;
        }
        if prompt {
            out.errors
                .push(json!({"FieldName": null, "Message": STOCK_PROMPT, "DIndex": index}));
            out.asked = true;
            continue;
        }
        let need = |id: i64, data: &Map<String, Value>| {
            (!return_fields.is_empty()).then(|| need_return(id, data, &return_fields))
        };
        match k.store.save(spec, bill, audit, now, need) {
            Ok(saved) => {
                out.successes
                    .push(json!({"Id": saved.id, "Number": saved.number, "DIndex": index}));
                out.returned.extend(saved.returned);
                out.last = Some((saved.id, saved.number));
            }
            Err(SaveError::Duplicate(number)) => out.errors.push(json!({
                "FieldName": spec.number_field,
                "Message": format!("违反字段唯一性要求：编码唯一。[{number}]在当前系统中已经被使用。"),
                "DIndex": index
            })),
            Err(SaveError::NoSuchId(id)) => out.errors.push(json!({
                "FieldName": "FID",
                "Message": format!("单据内码为{id}的数据不存在或已被删除。"),
                "DIndex": index
            })),
        }
    }
    drop(master);
    save_answer(op, quirks, out)
}

/// Saves base-data models ([`basedata`]) one by one, as BatchSave saves
/// bills.
fn save_base_data(
    k: &KingdeeState,
    schema: &'static crate::masterdata::schema::Schema,
    data: &Map<String, Value>,
    models: Vec<Value>,
    now: i64,
    quirks: &KingdeeQuirks,
) -> SaveOutcome {
    let audit = flag(get_ci(data, "IsAutoSubmitAndAudit"), false) && !quirks.no_auto_audit;
    let return_fields = list_of_strings(get_ci(data, "NeedReturnFields"));
    let mut out = SaveOutcome::default();
    for (index, model) in models.into_iter().enumerate() {
        let Value::Object(model) = model else {
            out.errors
                .push(json!({"FieldName": null, "Message": NOT_AN_OBJECT, "DIndex": index}));
            continue;
        };
        match basedata::save_one(k, schema, model, data, audit, now) {
            Ok(saved) => {
                out.successes
                    .push(json!({"Id": saved.id, "Number": saved.number, "DIndex": index}));
                if !return_fields.is_empty() {
                    out.returned
                        .push(need_return(saved.id, &saved.model, &return_fields));
                }
                out.last = Some((saved.id, saved.number));
            }
            Err(problems) => {
                for p in problems {
                    out.errors.push(
                        json!({"FieldName": p.field_name, "Message": p.message, "DIndex": index}),
                    );
                }
            }
        }
    }
    out
}

/// The answer of a save.
fn save_answer(op: Op, quirks: &KingdeeQuirks, out: SaveOutcome) -> Response {
    let SaveOutcome {
        successes,
        mut errors,
        returned,
        last,
        asked,
    } = out;
    let ok = errors.is_empty();
    if quirks.pseudo_error && !ok {
        errors.push(json!({"FieldName": null, "Message": PSEUDO_ERROR, "DIndex": 0}));
    }
    if quirks.legacy_save {
        return json_value(&legacy_save_answer(errors, last));
    }
    let interaction = asked.then(|| {
        json!({
            "InteractionFormId": STOCK_INTERACTION,
            "SimpleFormId": STOCK_INTERACTION,
            "Messages": [{"Message": STOCK_PROMPT}]
        })
    });
    let mut result = json!({
        "ResponseStatus": {
            "ErrorCode": if ok { 0 } else { 500 },
            "IsSuccess": ok,
            "Errors": errors,
            "SuccessEntitys": successes,
            "SuccessMessages": [],
            "MsgCode": if ok { 0 } else { 11 }
        }
    });
    if op == Op::Save {
        result["Id"] = last.as_ref().map_or(json!(""), |(id, _)| json!(id));
        result["Number"] = last.as_ref().map_or(json!(""), |(_, number)| json!(number));
    }
    result["NeedReturnData"] = Value::Array(returned);
    if let Some(context) = interaction {
        result["InteractionContext"] = context;
    }
    json_value(&json!({ "Result": result }))
}

/// Whether the request's `InterationFlags` (`;` or `,` separated) name
/// `interaction` and `IgnoreInterationFlag` (default true) lets it through.
fn interaction_allowed(data: &Map<String, Value>, interaction: &str) -> bool {
    let flags = get_ci(data, "InterationFlags")
        .and_then(value_text)
        .unwrap_or_default();
    flag(get_ci(data, "IgnoreInterationFlag"), true)
        && flags
            .split([';', ','])
            .any(|f| f.trim().eq_ignore_ascii_case(interaction))
}

/// An older server's save answer: no `DIndex`, `MsgCode` or
/// `SuccessEntitys`; the last bill saved in `Id`/`Number`.
fn legacy_save_answer(errors: Vec<Value>, last: Option<(i64, String)>) -> Value {
    let ok = errors.is_empty();
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|mut e| {
            if let Value::Object(o) = &mut e {
                o.remove("DIndex");
            }
            e
        })
        .collect();
    let mut status = json!({"IsSuccess": ok});
    if !ok {
        status["ErrorCode"] = json!(500);
        status["Errors"] = Value::Array(errors);
    }
    let (id, number) = last.map_or((json!(""), json!("")), |(id, n)| (json!(id), json!(n)));
    json!({"Result": {"ResponseStatus": status, "Id": id, "Number": number}})
}

/// A query cell as servers with the `float-query` quirk answer it: numbers
/// as floats (`100001.0`), times with a fraction of a second.
fn float_cell(v: Value) -> Value {
    match v {
        Value::Number(n) => {
            let text = n.to_string();
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => json!(f),
                _ => Value::Number(n),
            }
        }
        Value::String(s)
            if s.len() == 19
                && s.as_bytes().get(10) == Some(&b'T')
                && s.get(..4)
                    .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Value::String(format!("{s}.96"))
        }
        other => other,
    }
}

fn bill_query(k: &KingdeeState, op: Op, data: Value, quirks: &KingdeeQuirks) -> Response {
    let Value::Object(data) = data else {
        return error_response(op, 8, "参数data不能为空，应为查询条件的JSON对象。");
    };
    let request = match QueryRequest::parse(&data) {
        Ok(r) => r,
        Err(e) => return error_response(op, e.msg_code, &e.message),
    };
    let rows = match k.form(&request.form_id) {
        Some(spec) => {
            let bills = k.store.all(&spec.form_id);
            request.run(spec, &bills, &k.master())
        }
        None => match request.run_master(&k.master(), &k.resumes) {
            Some(rows) => rows,
            None => {
                return error_response(
                    op,
                    4,
                    &format!(
                        "业务对象“{}”不存在（沙箱提供 PUR_PurchaseOrder、STK_MISCELLANEOUS）。",
                        request.form_id
                    ),
                )
            }
        },
    };
    let rows = rows.map(|rows| {
        if !quirks.float_query {
            return rows;
        }
        rows.into_iter()
            .map(|row| row.into_iter().map(float_cell).collect())
            .collect()
    });
    match rows {
        Ok(rows) if op == Op::BillQuery => {
            let objects: Vec<Value> = rows
                .into_iter()
                .map(|row| {
                    let map: Map<String, Value> = request.keys().iter().cloned().zip(row).collect();
                    Value::Object(map)
                })
                .collect();
            json_value(&Value::Array(objects))
        }
        Ok(rows) => json_value(&json!(rows)),
        Err(e) => error_response(op, e.msg_code, &e.message),
    }
}

fn view(k: &KingdeeState, form_id: Option<&str>, data: Value) -> Response {
    let op = Op::View;
    let Some(form_id) = form_id.map(str::trim).filter(|f| !f.is_empty()) else {
        return error_response(op, 5, "表单Id（formid）不能为空。");
    };
    let Some(spec) = k.form(form_id) else {
        return error_response(op, 4, &format!("业务对象“{form_id}”不存在。"));
    };
    let data = match data {
        Value::Object(data) => data,
        _ => Map::new(),
    };
    let number = get_ci(&data, "Number")
        .and_then(value_text)
        .filter(|s| !s.trim().is_empty());
    let id = get_ci(&data, "Id")
        .and_then(value_text)
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n > 0);
    let found = match (number, id) {
        (_, Some(id)) => k.store.by_id(&spec.form_id, id),
        (Some(n), None) => k.store.by_number(&spec.form_id, n.trim()),
        (None, None) => return error_response(op, 8, "参数Number或Id至少需要一个。"),
    };
    match found.as_ref().and_then(|f| f.get(0)) {
        Some(b) => {
            let mut result = b.data();
            result.insert("Id".into(), json!(b.id));
            result.insert("BillNo".into(), json!(b.number));
            result.insert("DocumentStatus".into(), json!(b.status()));
            result.insert("CreateDate".into(), json!(b.created));
            result.insert("ModifyDate".into(), json!(b.modified));
            json_value(&json!({"Result": {"ResponseStatus": null, "Result": result}}))
        }
        None => error_response(op, 10, "单据不存在或已被删除。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_from_paths() {
        let (op, name) = Op::parse(
            "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave.common.kdsvc",
        );
        assert_eq!(
            (op, name.as_str()),
            (Op::BatchSave, "DynamicFormService.BatchSave")
        );
        let (op, _) =
            Op::parse("/Kingdee.BOS.WebApi.ServicesStub.AuthService.LoginBySign.common.kdsvc");
        assert_eq!(op, Op::Login(Login::LoginBySign));
        assert_eq!(Op::parse("/k3cloud/x.common.kdsvc").0, Op::Unknown);
    }

    #[test]
    fn bodies_in_three_shapes() {
        let object = json!({"formid": "F", "data": {"Model": []}});
        let text = json!({"formid": "F", "data": "{\"Model\": []}"});
        let positional = json!({"parameters": ["F", {"Model": []}]});
        for body in [object, text, positional] {
            let (form, data) = form_and_data(body, Op::BatchSave);
            assert_eq!(form.as_deref(), Some("F"));
            assert_eq!(data, json!({"Model": []}));
        }
        let (_, data) = form_and_data(
            json!({"parameters": ["{\"FormId\":\"X\"}"]}),
            Op::ExecuteBillQuery,
        );
        assert_eq!(data, json!({"FormId": "X"}));
    }
}
