use super::*;
use crate::engine::{BillResult, StepResult};
use serde_json::{json, Map, Value};

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
    let e = parse_bill_query_response("DynamicFormService.ExecuteBillQuery", wrapped).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permanent);
    assert_eq!(e.code(), Some("9"));
    assert_eq!(e.message(), "字段FXXX不存在");
    let lost =
        answer(r#"[[{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":1,"Errors":[]}}}]]"#);
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

#[test]
fn older_servers_answers() {
    // One bill: only `Id` and `Number` beside the status.
    let a =
        answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":true},"Id":100125,"Number":"CG9"}}"#);
    let o = parse_save_response("DynamicFormService.Save", 1, &a).unwrap();
    assert_eq!(
        o.per_bill,
        vec![BillOutcome::Saved {
            dindex: 0,
            id: "100125".into(),
            number: Some("CG9".into())
        }]
    );
    // A batch saved without naming its bills: each must be looked up.
    let a = answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":true},"Id":"","Number":""}}"#);
    let o = parse_save_response("DynamicFormService.BatchSave", 2, &a).unwrap();
    assert_eq!(
        o.per_bill,
        vec![
            BillOutcome::Unknown { dindex: 0 },
            BillOutcome::Unknown { dindex: 1 }
        ]
    );
    // A batch with an error that names no bill: every bill is open, with
    // Kingdee's message.
    let a = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"FieldName":"FMaterialId","Message":"字段“物料编码”的值“M9”在基础资料中不存在"}]}}}"#,
    );
    let o = parse_save_response("DynamicFormService.BatchSave", 3, &a).unwrap();
    assert_eq!(o.per_bill.len(), 3);
    for (i, b) in o.per_bill.iter().enumerate() {
        assert!(
            matches!(b, BillOutcome::Unattributed { dindex, message } if *dindex == i && message.contains("M9")),
            "{b:?}"
        );
    }
    assert!(matches!(
        bill_result(o.per_bill[0].clone()),
        BillResult::Unattributed { message } if message.contains("M9")
    ));
    // The pseudo-error leaves even a single bill open; named successes stay.
    let a = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"AbstractInteractionResult.InteractionContext is null","DIndex":0}],
        "SuccessEntitys":[{"Id":7,"Number":"CG2","DIndex":1}]}}}"#,
    );
    let o = parse_save_response("DynamicFormService.BatchSave", 2, &a).unwrap();
    assert!(
        matches!(&o.per_bill[0], BillOutcome::Unattributed { message, .. } if message.contains(PSEUDO_ERROR_MARKER))
    );
    assert!(matches!(&o.per_bill[1], BillOutcome::Saved { id, .. } if id == "7"));
    let a = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"AbstractInteractionResult.InteractionContext is null"}]}}}"#,
    );
    let o = parse_save_response("DynamicFormService.Save", 1, &a).unwrap();
    assert!(matches!(&o.per_bill[0], BillOutcome::Unattributed { .. }));
}

#[test]
fn whole_call_codes_are_never_one_bills() {
    for (code, kind) in [
        (3, ErrorKind::Permanent),
        (4, ErrorKind::Permanent),
        (7, ErrorKind::Permanent),
        (2, ErrorKind::Auth),
    ] {
        let a = answer(&format!(
            r#"{{"Result":{{"ResponseStatus":{{"IsSuccess":false,"Errors":[{{"Message":"m"}}],"MsgCode":{code}}}}}}}"#
        ));
        let e = parse_save_response("x", 3, &a).unwrap_err();
        assert_eq!(e.kind(), kind, "MsgCode {code}");
        assert_eq!(e.code(), Some(code.to_string().as_str()));
    }
    let license = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"许可错误"}],"MsgCode":7}}}"#,
    );
    let e = parse_save_response("x", 1, &license).unwrap_err();
    assert!(e.message().contains("license"), "{e}");
    assert!(e.message().contains("许可错误"), "{e}");
}

#[test]
fn session_loss_in_words() {
    for words in [
        "会话已过期，请重新登录",
        "请重新登录",
        "会话信息已丢失",
        "Fail to verify thirty passport",
        "当前尝试登录的数据中心无法获取到",
    ] {
        let a = answer(&format!(
            r#"{{"Result":{{"ResponseStatus":{{"IsSuccess":false,"Errors":[{{"Message":"{words}"}}]}}}}}}"#
        ));
        assert!(is_session_lost(&a), "{words}");
        assert_eq!(kind_for_msg_code(None, words), ErrorKind::SessionLost);
    }
    let saved = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":true,"Errors":[],"SuccessEntitys":[{"Id":1,"DIndex":0}]}}}"#,
    );
    assert!(!is_session_lost(&saved));
}

#[test]
fn login_result_types_are_named() {
    assert_eq!(login_result_name(-5), Some("DealWithForm"));
    assert_eq!(login_result_name(-7), Some("Activation"));
    assert_eq!(login_result_name(0), Some("PWError"));
    assert_eq!(login_result_name(9), None);
    assert!(login_result_advice(0).contains("password"));
}

#[test]
fn submit_and_audit_answers() {
    let ids: Vec<String> = vec!["7".into(), "8".into(), "9".into()];
    let a = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":11,
        "Errors":[{"Message":"单据“CG8”已经审核，不能重复审核。","DIndex":1},{"Message":"审核不通过：库存不足","DIndex":2}],
        "SuccessEntitys":[{"Id":7.0,"Number":"CG7","DIndex":0}]}}}"#,
    );
    let r = parse_operation_response("DynamicFormService.Audit", &ids, &a).unwrap();
    assert_eq!(r[0], StepResult::Done);
    assert_eq!(r[1], StepResult::Done, "already audited is done");
    assert!(matches!(&r[2], StepResult::Refused { message } if message.contains("库存不足")));
    let a = answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":true}}}"#);
    assert_eq!(
        parse_operation_response("x", &ids, &a).unwrap(),
        vec![StepResult::Done; 3]
    );
    let a = answer(
        r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"数据状态不是已提交，不能审核"}]}}}"#,
    );
    let r = parse_operation_response("x", &ids[..1], &a).unwrap();
    assert!(matches!(&r[0], StepResult::Refused { .. }), "{r:?}");
    let r = parse_operation_response("x", &ids, &a).unwrap();
    assert_eq!(r, vec![StepResult::Unknown; 3], "names no bill of several");
    let lost =
        answer(r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":1,"Errors":[]}}}"#);
    assert_eq!(
        parse_operation_response("x", &ids, &lost)
            .unwrap_err()
            .kind(),
        ErrorKind::SessionLost
    );
}
