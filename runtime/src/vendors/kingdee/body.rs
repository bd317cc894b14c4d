//! Request bodies: one function for each operation's body, used by the
//! client, by `duijie preview` and by the sandbox's tests, so what is
//! previewed is what is sent.

use duijie_maplib::TargetMeta;
use serde_json::{Map, Value};

use super::*;
use crate::error::{Error, ErrorKind, Vendor};

/// The request bodies the engine sends for `bills` of a scheme: one
/// `BatchSave` body for the batch, or one `Save` body for each bill when the
/// scheme's operation is `Save` (the writer then sends bills one at a time).
/// The options are [`save_options`] of the scheme's. `duijie preview` prints
/// these, so what is previewed is what is sent.
pub fn save_requests(target: &TargetMeta, bills: &[&str]) -> Result<Vec<String>, Error> {
    let options = save_options(&target.form_id, &target.options);
    if target.saves_one_by_one() {
        bills
            .iter()
            .map(|bill| single_save_body(&target.form_id, bill, &options))
            .collect()
    } else {
        Ok(vec![batch_save_body(&target.form_id, bills, &options)?])
    }
}

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

pub(super) fn json_text<T: serde::Serialize + ?Sized>(
    api: &str,
    value: &T,
) -> Result<String, Error> {
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

/// The body of a `Submit` or `Audit` of the bills `ids`, with the
/// interaction options (`InterationFlags`, `IgnoreInterationFlag`) of the
/// scheme's.
pub fn operation_body(form_id: &str, ids: &[String], options: &[(String, Value)]) -> Value {
    let mut data = Map::new();
    data.insert("CreateOrgId".into(), Value::from(0));
    data.insert("Numbers".into(), Value::Array(Vec::new()));
    data.insert("Ids".into(), Value::from(ids.join(",")));
    for (k, v) in options {
        if k.eq_ignore_ascii_case("InterationFlags")
            || k.eq_ignore_ascii_case("IgnoreInterationFlag")
        {
            data.insert(k.clone(), v.clone());
        }
    }
    serde_json::json!({"formid": form_id, "data": data})
}

/// The body of a `View` by bill number.
pub fn view_body(form_id: &str, number: &str) -> Value {
    serde_json::json!({
        "formid": form_id,
        "data": {"CreateOrgId": 0, "Number": number, "Id": "", "IsSortBySeq": "false"}
    })
}

/// The save options of `form`: the client's defaults, then the scheme's.
/// Base data (`BD_…`, numbered by `FNumber`: a material has no `FBillNo`)
/// asks for its number back instead of `FBillNo`.
pub fn save_options(form: &str, options: &[(String, Value)]) -> Map<String, Value> {
    let mut m = default_save_options();
    if form.starts_with("BD_") {
        m.insert(
            "NeedReturnFields".to_owned(),
            Value::Array(vec![Value::from("FNumber")]),
        );
    }
    for (k, v) in options {
        // Keys are case-insensitive at the server: replace a default of
        // another case.
        if let Some(existing) = m.keys().find(|e| e.eq_ignore_ascii_case(k)).cloned() {
            m.remove(&existing);
        }
        m.insert(k.clone(), v.clone());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_options_override_the_defaults_whatever_their_case() {
        let m = save_options(
            "PUR_PurchaseOrder",
            &[("isautosubmitandaudit".into(), Value::Bool(true))],
        );
        assert_eq!(m.get("isautosubmitandaudit"), Some(&Value::Bool(true)));
        assert!(!m.contains_key("IsAutoSubmitAndAudit"));
        assert_eq!(m["NeedReturnFields"], serde_json::json!(["FBillNo"]));
    }

    #[test]
    fn base_data_asks_for_its_number_back() {
        let m = save_options("BD_MATERIAL", &[]);
        assert_eq!(m["NeedReturnFields"], serde_json::json!(["FNumber"]));
    }
}
