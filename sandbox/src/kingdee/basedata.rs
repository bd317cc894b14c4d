//! Saving base data: `Save` / `BatchSave` with FormId `BD_MATERIAL`,
//! `BD_Supplier`, `BD_Customer`, `BD_STOCK`, `BD_Department` or `BD_UNIT`
//! create or update records of [`crate::masterdata`], and `Submit` /
//! `Audit` move them from created (A) to submitted (B) to audited (C).
//!
//! A model is a record's fields:
//! `{"FNumber":"SKU9","FName":"…","FSpecification":"…","FBaseUnitId":{"FNumber":"Pcs"},"FCreateOrgId":{"FNumber":"100"},"FUseOrgId":{"FNumber":"100"}}`;
//! a material's base unit, bar code and 物料属性 may also be in its sub-head
//! `FMaterialBase` (`"FMaterialBase":{"FBaseUnitId":{"FNumber":"Pcs"},"FBARCODE":"…"}`),
//! where Kingdee's own Model has them.
//! Without the form's internal id (`FMATERIALID`, `FSupplierId`, …) it is a
//! new record: `FNumber` and `FName` are required (`字段“编码”是必填项。`,
//! `字段“名称”是必填项。`), a number in use answers
//! `违反字段唯一性要求：编码唯一。[SKU9]在当前系统中已经被使用。`; it gets the
//! next internal id, its create and modify times are now, and it is created
//! (A), or audited (C) with `IsAutoSubmitAndAudit`. With the internal id it
//! updates that record (the fields given; modify time now; audited with
//! `IsAutoSubmitAndAudit`, else its status stays). With
//! `IsVerifyBaseDataField` the base unit and organisations must name
//! audited records. Only audited records that are not forbidden satisfy
//! the lookups of saved bills. Submit and Audit change the status only
//! (not the modify time).

use serde_json::{json, Map, Value};

use super::forms::{flag, get_ci, set_ci, value_text, FieldError};
use super::state::KingdeeState;
use super::steps::{named, Named, StepOp};
use crate::masterdata::schema::{schema_of, Schema, ORG};
use crate::masterdata::table::{NewRecord, Table, FIRST_TEXT, NAME};
use crate::masterdata::{apply_model, field_text, MasterData};

/// The schema of `form` if base-data saves take it.
pub(crate) fn savable(form: &str) -> Option<&'static Schema> {
    schema_of(form).filter(|s| s.savable)
}

/// One model's outcome.
pub(crate) struct Saved {
    pub id: i64,
    pub number: String,
    /// The model as stored, with the internal id and number filled in.
    pub model: Map<String, Value>,
}

/// The internal id a model names (> 0).
fn model_id(schema: &Schema, model: &Map<String, Value>) -> Option<Result<i64, String>> {
    let v = get_ci(model, schema.id_key)?;
    let text = value_text(v)?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(0) => None,
        Ok(n) if n > 0 => Some(Ok(n)),
        _ => Some(Err(text.to_owned())),
    }
}

fn text_of(model: &Map<String, Value>, key: &str) -> Option<String> {
    get_ci(model, key)
        .and_then(field_text)
        .map(|t| t.trim().to_owned())
}

fn error(field: &str, message: String) -> FieldError {
    FieldError {
        field_name: field.to_owned(),
        message,
    }
}

/// The lookups of a model that name no audited record.
fn unknown_lookups(
    md: &MasterData,
    schema: &Schema,
    model: &Map<String, Value>,
) -> Vec<FieldError> {
    let mut lookups: Vec<(&str, &str, &str)> = vec![
        ("FCreateOrgId", "创建组织", "ORG_Organizations"),
        ("FUseOrgId", "使用组织", "ORG_Organizations"),
    ];
    for t in schema.texts {
        if let Some(form) = t.lookup {
            lookups.push((
                t.key,
                if t.key == "FBaseUnitId" {
                    "基本单位"
                } else {
                    t.key
                },
                form,
            ));
        }
    }
    lookups
        .into_iter()
        .filter_map(|(key, label, form)| {
            let number = text_of(model, key).filter(|n| !n.is_empty())?;
            (!md.contains(form, &number)).then(|| {
                error(
                    key,
                    format!("字段“{label}”的值“{number}”在系统中不存在或未审核（{form}）。"),
                )
            })
        })
        .collect()
}

/// The sub-heads of a material's Model (`FMaterialBase`: 基本, where
/// Kingdee's own Model keeps the base unit, bar code and 物料属性;
/// `FMaterialStock`, `FMaterialPurchase`, `FMaterialSale`): their fields
/// the record keeps are read as if given at the top (a top-level field wins,
/// as older integrations send them there).
fn hoist_sub_heads(schema: &Schema, model: &mut Map<String, Value>) {
    if schema.form != "BD_MATERIAL" {
        return;
    }
    for head in [
        "FMaterialBase",
        "FMaterialStock",
        "FMaterialPurchase",
        "FMaterialSale",
    ] {
        let Some(Value::Object(sub)) = get_ci(model, head).cloned() else {
            continue;
        };
        for t in schema.texts {
            if get_ci(model, t.key).is_none() {
                if let Some(v) = get_ci(&sub, t.key) {
                    set_ci(model, t.key, v.clone());
                }
            }
        }
    }
}

/// Saves one model of `schema`'s form at `now` (unix seconds).
pub(crate) fn save_one(
    k: &KingdeeState,
    schema: &'static Schema,
    mut model: Map<String, Value>,
    data: &Map<String, Value>,
    audit: bool,
    now: i64,
) -> Result<Saved, Vec<FieldError>> {
    let verify = flag(get_ci(data, "IsVerifyBaseDataField"), false);
    let validate = flag(get_ci(data, "ValidateFlag"), true);
    hoist_sub_heads(schema, &mut model);
    let mut md = k.master_mut();
    if verify {
        let problems = unknown_lookups(&md, schema, &model);
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    let given_number = text_of(&model, "FNumber").filter(|n| !n.is_empty());
    let given_name = text_of(&model, "FName");
    let table = md.table_mut(schema.form);
    let (pos, rec) = match model_id(schema, &model) {
        Some(id) => {
            let pos = id.ok().and_then(|id| table.position(id)).ok_or_else(|| {
                let shown = value_text(get_ci(&model, schema.id_key).unwrap_or(&Value::Null))
                    .unwrap_or_default();
                vec![error(
                    schema.id_key,
                    format!(
                        "{}内码为{}的数据不存在或已被删除。",
                        schema.label,
                        shown.trim()
                    ),
                )]
            })?;
            let mut rec = table.record(pos);
            if let Some(number) = given_number {
                rec.number = number;
            }
            if given_name.as_deref() == Some("") && validate {
                return Err(vec![error("FName", "字段“名称”是必填项。".into())]);
            }
            let (status, forbid) = (rec.status, rec.forbid);
            apply_model(schema, &mut rec, &model);
            rec.status = if audit { b'C' } else { status };
            rec.forbid = forbid;
            rec.modified = now;
            (Some(pos), rec)
        }
        None => {
            let mut problems = Vec::new();
            if given_number.is_none() {
                problems.push(error("FNumber", "字段“编码”是必填项。".into()));
            }
            if validate && given_name.as_deref().is_none_or(str::is_empty) {
                problems.push(error("FName", "字段“名称”是必填项。".into()));
            }
            let Some(number) = given_number.filter(|_| problems.is_empty()) else {
                return Err(problems);
            };
            let mut texts = vec![String::new(), ORG.to_owned(), ORG.to_owned()];
            texts.extend(schema.texts.iter().map(|t| t.default.to_owned()));
            let mut rec = NewRecord {
                number,
                texts,
                status: b'A',
                forbid: b'A',
                created: now,
                modified: now,
            };
            apply_model(schema, &mut rec, &model);
            rec.status = if audit { b'C' } else { b'A' };
            rec.forbid = b'A';
            (None, rec)
        }
    };
    if table.find(&rec.number).is_some_and(|p| Some(p) != pos) {
        return Err(vec![error(
            "FNumber",
            format!(
                "违反字段唯一性要求：编码唯一。[{}]在当前系统中已经被使用。",
                rec.number
            ),
        )]);
    }
    let pos = match pos {
        Some(p) => {
            table.replace(p, &rec);
            p
        }
        None => table.push(&rec),
    };
    let id = Table::id(pos);
    drop(md);
    set_ci(&mut model, schema.id_key, Value::from(id));
    set_ci(&mut model, "FNumber", Value::String(rec.number.clone()));
    if let Some(name) = rec.texts.get(NAME) {
        set_ci(&mut model, "FName", Value::String(name.clone()));
    }
    for (i, t) in schema.texts.iter().enumerate() {
        if t.lookup.is_none() && get_ci(&model, t.key).is_none() {
            if let Some(v) = rec.texts.get(FIRST_TEXT + i) {
                model.insert(t.key.to_owned(), Value::String(v.clone()));
            }
        }
    }
    Ok(Saved {
        id,
        number: rec.number,
        model,
    })
}

/// The answer of a Submit or Audit of base data of `schema`'s form.
pub(crate) fn steps(
    k: &KingdeeState,
    op: StepOp,
    schema: &'static Schema,
    data: &Map<String, Value>,
) -> Value {
    let mut md = k.master_mut();
    let table = md.table_mut(schema.form);
    let targets: Vec<(String, Option<usize>)> = match named(data) {
        Named::Ids(ids) => ids
            .into_iter()
            .map(|t| {
                let pos = t
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| table.position(id));
                (t, pos)
            })
            .collect(),
        Named::Numbers(numbers) => numbers
            .into_iter()
            .map(|n| {
                let pos = table.find(n.trim());
                (n, pos)
            })
            .collect(),
    };
    let label = schema.label;
    let mut successes = Vec::new();
    let mut errors = Vec::new();
    for (index, (text, pos)) in targets.into_iter().enumerate() {
        let Some(pos) = pos else {
            errors.push(json!({"FieldName": null, "Message": format!("{label}“{text}”不存在或已被删除。"), "DIndex": index}));
            continue;
        };
        let number = table.number(pos).into_owned();
        let status = table.status(pos);
        let refusal = match (op, status) {
            (StepOp::Submit, b'C') => Some(format!("{label}“{number}”已经审核，不能提交。")),
            (StepOp::Submit, b'B') => Some(format!("{label}“{number}”已经提交，不能重复提交。")),
            (StepOp::Audit, b'C') => Some(format!("{label}“{number}”已经审核，不能重复审核。")),
            (StepOp::Audit, b'B') => None,
            (StepOp::Audit, _) => {
                Some(format!("{label}“{number}”的数据状态不是已提交，不能审核。"))
            }
            (StepOp::Submit, _) => None,
        };
        if let Some(message) = refusal {
            errors.push(json!({"FieldName": null, "Message": message, "DIndex": index}));
            continue;
        }
        table.set_status(pos, if op == StepOp::Submit { b'B' } else { b'C' });
        successes.push(json!({"Id": Table::id(pos), "Number": number, "DIndex": index}));
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
