//! `DynamicFormService.Submit` and `Audit`: bills named by `Ids`
//! (`"1,2"` or a list) or `Numbers` go from created (A) to submitted (B) to
//! audited (C). Submitting a submitted bill answers `单据已经提交`, and
//! auditing an audited one `单据已经审核`, as errors — what a client that
//! runs the steps again must take as done.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::forms::{get_ci, value_text};
use super::state::KingdeeState;

/// Which step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepOp {
    Submit,
    Audit,
}

/// Bills submitted and not yet audited, by (form, id).
#[derive(Debug, Default)]
pub(crate) struct Submitted(Mutex<HashSet<(String, i64)>>);

impl Submitted {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<(String, i64)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn contains(&self, form: &str, id: i64) -> bool {
        self.lock().contains(&(form.to_ascii_uppercase(), id))
    }

    fn insert(&self, form: &str, id: i64) {
        self.lock().insert((form.to_ascii_uppercase(), id));
    }
}

/// What a Submit or Audit names: `Ids` (text or list), else `Numbers`.
pub(crate) enum Named {
    Ids(Vec<String>),
    Numbers(Vec<String>),
}

/// What `data` names.
pub(crate) fn named(data: &Map<String, Value>) -> Named {
    let ids: Vec<String> = match get_ci(data, "Ids") {
        Some(Value::Array(a)) => a.iter().filter_map(value_text).collect(),
        Some(v) => value_text(v)
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => Vec::new(),
    };
    if !ids.is_empty() {
        return Named::Ids(ids);
    }
    Named::Numbers(
        get_ci(data, "Numbers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(value_text)
            .collect(),
    )
}

/// The ids a request names: `Ids` (text or list), else `Numbers`.
fn named_bills(
    k: &KingdeeState,
    form: &str,
    data: &Map<String, Value>,
) -> Vec<(String, Option<i64>)> {
    match named(data) {
        Named::Ids(ids) => ids
            .into_iter()
            .map(|text| {
                let id = text.parse::<i64>().ok();
                (text, id)
            })
            .collect(),
        Named::Numbers(numbers) => numbers
            .into_iter()
            .map(|n| {
                let id = k
                    .store
                    .by_number(form, &n)
                    .and_then(|b| b.get(0).map(|b| b.id));
                (n, id)
            })
            .collect(),
    }
}

/// The answer of a Submit or Audit of `form` with `data`.
pub(crate) fn run(k: &KingdeeState, op: StepOp, form: &str, data: &Map<String, Value>) -> Value {
    let mut successes = Vec::new();
    let mut errors = Vec::new();
    for (index, (text, id)) in named_bills(k, form, data).into_iter().enumerate() {
        let bill = id.and_then(|id| k.store.by_id(form, id));
        let Some(b) = bill.as_ref().and_then(|b| b.get(0)) else {
            errors.push(json!({"FieldName": null, "Message": format!("单据“{text}”不存在或已被删除。"), "DIndex": index}));
            continue;
        };
        let audited = b.status() == "C";
        let submitted = audited || k.submitted.contains(form, b.id);
        let refusal = match op {
            StepOp::Submit if audited => Some(format!("单据“{}”已经审核，不能提交。", b.number)),
            StepOp::Submit if submitted => {
                Some(format!("单据“{}”已经提交，不能重复提交。", b.number))
            }
            StepOp::Audit if audited => Some(format!("单据“{}”已经审核，不能重复审核。", b.number)),
            StepOp::Audit if !submitted => Some(format!(
                "单据“{}”的数据状态不是已提交，不能审核。",
                b.number
            )),
            _ => None,
        };
        if let Some(message) = refusal {
            errors.push(json!({"FieldName": null, "Message": message, "DIndex": index}));
            continue;
        }
        match op {
            StepOp::Submit => k.submitted.insert(form, b.id),
            StepOp::Audit => {
                k.store.set_audited(form, b.id);
            }
        }
        successes.push(json!({"Id": b.id, "Number": b.number, "DIndex": index}));
    }
    let ok = errors.is_empty();
    json!({"Result": {"ResponseStatus": {
        "ErrorCode": if ok { 0 } else { 500 },
        "IsSuccess": ok,
        "Errors": errors,
        "SuccessEntitys": successes,
        "SuccessMessages": [],
        "MsgCode": if ok { 0 } else { 11 }
    }}})
}
