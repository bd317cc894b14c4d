//! Answers: the `ResponseStatus` rules, per-bill outcomes of a save, query
//! rows, and what the engine makes of a bill's outcome.

use serde_json::Value;

use super::*;
use crate::engine::{BillResult, StepResult};
use crate::error::{Error, ErrorKind, Vendor};
use crate::vendors::http::{code_of, text_of};

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

/// True when the answer says the session is lost: MsgCode 1, or an error in
/// the words of [`SESSION_LOST_MARKERS`] (older servers send no code).
pub fn is_session_lost(answer: &Value) -> bool {
    let Some(status) = response_status(answer) else {
        return false;
    };
    status.get("MsgCode").and_then(code_of) == Some(MSG_CODE_SESSION_LOST)
        || (!is_success(status)
            && error_entries(status).any(|e| {
                e.get("Message")
                    .and_then(Value::as_str)
                    .is_some_and(says_session_lost)
            }))
}

fn error_entries(status: &Value) -> impl Iterator<Item = &Value> {
    status
        .get("Errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

pub(super) fn is_success(status: &Value) -> bool {
    match status.get("IsSuccess") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The messages of `Errors[]` joined with `; ` (or a description when there
/// are none).
pub(super) fn status_message(status: &Value) -> String {
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

/// The error of a failed `ResponseStatus` as a whole. MsgCode 7 (许可错误)
/// says what the license error means.
pub fn status_error(api: &str, status: &Value) -> Error {
    let msg_code = status.get("MsgCode").and_then(code_of);
    let mut message = status_message(status);
    if msg_code == Some(MSG_CODE_LICENSE) {
        message = license_message(&message);
    }
    let kind = kind_for_msg_code(msg_code, &message);
    let mut e = Error::new(Vendor::Kingdee, api, kind, message);
    if let Some(code) = msg_code {
        e = e.with_code(code.to_string());
    }
    e
}

/// Confirmations servers ask (words of the prompt) and the `InterationFlags`
/// value that lets each through.
pub const KNOWN_INTERACTIONS: &[(&str, &str)] = &[
    ("更新库存时出现可以忽略的异常数据", "STK_InvCheckResult"),
    ("价格来源", "SAL_CHECKPRICESOURCEFB"),
    ("限价", "SAL_DOWNPRICECHECK"),
];

/// The form id of the interaction an answer asks for:
/// `Result.InteractionContext.InteractionFormId` (or `SimpleFormId`).
pub fn interaction_form(answer: &Value) -> Option<String> {
    let result = answer.get("Result")?;
    let context = result
        .get("InteractionContext")
        .or_else(|| result.get("ResponseStatus")?.get("InteractionContext"))?;
    ["InteractionFormId", "SimpleFormId"]
        .iter()
        .find_map(|k| context.get(*k).and_then(text_of))
        .filter(|f| !f.is_empty())
}

/// What a bill's reason adds when the server asked for a confirmation
/// instead of saving it: which `InterationFlags` value lets it through.
pub fn interaction_hint(form: Option<&str>, message: &str) -> Option<String> {
    let flag = form.map(str::to_owned).or_else(|| {
        KNOWN_INTERACTIONS
            .iter()
            .find(|(words, _)| message.contains(words))
            .map(|(_, flag)| (*flag).to_owned())
    });
    match flag {
        Some(flag) => Some(format!(
            "the server asks for a confirmation ({flag}): add \"{flag}\" to the scheme's target option \
             InterationFlags (with IgnoreInterationFlag = true) to let such bills through"
        )),
        None if message.contains("是否继续") || message.contains(PSEUDO_ERROR_MARKER) => Some(
            "the server asks for a confirmation: set the scheme's target option InterationFlags to the \
             interaction's form id (the Kingdee BOS designer shows it), with IgnoreInterationFlag = true"
                .to_owned(),
        ),
        None => None,
    }
}

/// A license error's message: the server's words and what to do.
pub fn license_message(vendor_message: &str) -> String {
    format!(
        "license error: the Kingdee server's license does not cover this call ({vendor_message}); \
         ask the Kingdee administrator to check the license of the data centre and of WebAPI \
         (third-party system login) for this user"
    )
}

/// Parses a `Save`/`BatchSave` answer for a `Model` of `n_bills` bills.
///
/// Per bill: a `SuccessEntitys[]` entry gives [`BillOutcome::Saved`], an
/// `Errors[]` entry [`BillOutcome::Failed`] (for a single bill an error
/// without `DIndex` is that bill's), neither [`BillOutcome::Unknown`].
///
/// Older servers: a success without `SuccessEntitys` names its bill in
/// `Result.Id`/`Result.Number` (one bill), or names none (a batch: every
/// bill [`BillOutcome::Unknown`]); errors that name no bill of a batch, and
/// the pseudo-error [`PSEUDO_ERROR_MARKER`] for any bill, make every bill not
/// named otherwise [`BillOutcome::Unattributed`] with those messages.
///
/// A failed answer with a whole-call MsgCode ([`is_call_level_code`]), or
/// one that names no bill and has no message, is an [`Error`] (per
/// [`kind_for_msg_code`]).
pub fn parse_save_response(
    api: &str,
    n_bills: usize,
    answer: &Value,
) -> Result<BatchOutcome, Error> {
    let status = response_status(answer)
        .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `Result.ResponseStatus`"))?;
    let msg_code = status.get("MsgCode").and_then(code_of);
    let success = is_success(status);
    let always_whole = matches!(
        msg_code,
        Some(
            MSG_CODE_SESSION_LOST
                | MSG_CODE_NO_PERMISSION
                | MSG_CODE_RATE_LIMITED
                | MSG_CODE_ADMIN_FORBIDDEN
        )
    );
    if always_whole || (!success && is_call_level_code(msg_code)) {
        return Err(status_error(api, status));
    }
    if !success
        && matches!(
            kind_for_msg_code(msg_code, &status_message(status)),
            ErrorKind::RateLimited | ErrorKind::SessionLost
        )
    {
        // Said in words only: about the call, not a bill.
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
    if success && n_bills == 1 && per_bill[0].is_none() {
        // An older server's `{"Result":{"ResponseStatus":{"IsSuccess":true},"Id":…,"Number":…}}`.
        let result = answer.get("Result");
        if let Some(id) = result
            .and_then(|r| r.get("Id"))
            .and_then(text_of)
            .filter(|id| !id.is_empty() && id != "0")
        {
            named_any = true;
            per_bill[0] = Some(BillOutcome::Saved {
                dindex: 0,
                id,
                number: result
                    .and_then(|r| r.get("Number"))
                    .and_then(text_of)
                    .filter(|n| !n.is_empty()),
            });
        }
    }
    let mut unattributed: Vec<String> = Vec::new();
    for entry in error_entries(status) {
        let message = entry.get("Message").and_then(text_of).unwrap_or_default();
        let index = index_of(entry).filter(|i| *i < n_bills);
        let Some(dindex) = index.filter(|_| !message.contains(PSEUDO_ERROR_MARKER)) else {
            unattributed.push(message);
            continue;
        };
        named_any = true;
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
            slot
            @ (None | Some(BillOutcome::Unattributed { .. } | BillOutcome::Unknown { .. })) => {
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
    let unattributed: Vec<String> = unattributed.into_iter().filter(|m| !m.is_empty()).collect();
    if unattributed.is_empty() && !named_any && !success {
        return Err(status_error(api, status));
    }
    let message = unattributed.join("; ");
    let interaction = interaction_form(answer);
    let per_bill = per_bill
        .into_iter()
        .enumerate()
        .map(|(dindex, o)| match o {
            Some(BillOutcome::Failed { dindex, mut error }) => {
                if let Some(hint) = interaction_hint(interaction.as_deref(), &error.message) {
                    error.message = format!("{}; {hint}", error.message);
                }
                BillOutcome::Failed { dindex, error }
            }
            Some(o) => o,
            None if !message.is_empty() => BillOutcome::Unattributed {
                dindex,
                message: message.clone(),
            },
            None => BillOutcome::Unknown { dindex },
        })
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

/// Parses a `Submit` or `Audit` answer for the bills `ids` (in request
/// order): a success entry (by `DIndex`, or `Id`) is done; an error is the
/// bill's refusal, unless it says the step was done before
/// ([`says_already_done`]); a success naming no bill means all are done;
/// anything else leaves a bill unknown. Whole-call errors are an [`Error`].
pub fn parse_operation_response(
    api: &str,
    ids: &[String],
    answer: &Value,
) -> Result<Vec<StepResult>, Error> {
    let status = response_status(answer)
        .ok_or_else(|| Error::malformed(Vendor::Kingdee, api, "missing `Result.ResponseStatus`"))?;
    let msg_code = status.get("MsgCode").and_then(code_of);
    let success = is_success(status);
    if !success
        && (is_call_level_code(msg_code)
            || matches!(
                kind_for_msg_code(msg_code, &status_message(status)),
                ErrorKind::RateLimited | ErrorKind::SessionLost
            ))
    {
        return Err(status_error(api, status));
    }
    let n = ids.len();
    let index_of = |entry: &Value| -> Option<usize> {
        if let Some(i) = entry.get("DIndex").and_then(code_of) {
            return usize::try_from(i).ok().filter(|i| *i < n);
        }
        let id = entry.get("Id").and_then(super::target::cell_text)?;
        ids.iter().position(|x| *x == id).or((n == 1).then_some(0))
    };
    let mut out: Vec<Option<StepResult>> = vec![None; n];
    for entry in status
        .get("SuccessEntitys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(i) = index_of(entry) {
            out[i] = Some(StepResult::Done);
        }
    }
    let interaction = interaction_form(answer);
    for entry in error_entries(status) {
        let message = entry.get("Message").and_then(text_of).unwrap_or_default();
        let Some(i) = index_of(entry).or((n == 1).then_some(0)) else {
            continue;
        };
        if matches!(out[i], Some(StepResult::Done)) {
            continue;
        }
        out[i] = Some(
            if ALREADY_DONE_MARKERS.iter().any(|m| message.contains(m)) {
                StepResult::Done
            } else {
                let message = match interaction_hint(interaction.as_deref(), &message) {
                    Some(hint) => format!("{message}; {hint}"),
                    None => message,
                };
                StepResult::Refused { message }
            },
        );
    }
    let all_done = success && out.iter().all(Option::is_none);
    Ok(out
        .into_iter()
        .map(|o| {
            o.unwrap_or(if all_done {
                StepResult::Done
            } else {
                StepResult::Unknown
            })
        })
        .collect())
}

/// What the engine makes of a bill's outcome.
pub fn bill_result(o: BillOutcome) -> BillResult {
    match o {
        BillOutcome::Saved { id, .. } => BillResult::Saved { id },
        BillOutcome::Unknown { .. } => BillResult::Unknown,
        BillOutcome::Unattributed { message, .. } => BillResult::Unattributed { message },
        BillOutcome::Failed { error, .. } => {
            // The number field: a bill's FBillNo, base data's FNumber.
            let on_number = error.field.as_deref().is_none_or(|f| {
                f.eq_ignore_ascii_case("FBillNo") || f.eq_ignore_ascii_case("FNumber")
            });
            match error.kind {
                BillErrorKind::Duplicate if on_number => BillResult::Duplicate {
                    message: error.message,
                },
                _ if matches!(
                    error.msg_code,
                    Some(MSG_CODE_DB_FAILURE | MSG_CODE_NETWORK_CONTROL)
                ) =>
                {
                    BillResult::Transient {
                        message: error.message,
                    }
                }
                _ => BillResult::Rejected {
                    message: error.message,
                },
            }
        }
    }
}
