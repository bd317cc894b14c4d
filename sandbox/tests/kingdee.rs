//! 金蝶云星空 WebAPI over loopback HTTP: vectors 4 and 5, logins, sessions,
//! BatchSave/Save outcomes, queries, and faults around saving.

mod common;

use std::time::Duration;

use common::*;
use duijie_sandbox::{FaultConfig, MasterData, SandboxConfig, Service};
use serde_json::{json, Value};

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

fn batch(bills: Vec<Value>) -> Value {
    json!({"formid": "PUR_PurchaseOrder", "data": {"Model": bills, "NeedReturnFields": ["FBillNo"], "IsAutoSubmitAndAudit": "true"}})
}

fn status(v: &Value) -> &Value {
    &v["Result"]["ResponseStatus"]
}

fn session_lost(v: &Value) {
    let s = status(v);
    assert_eq!(s["MsgCode"], 1, "{v}");
    assert_eq!(s["IsSuccess"], false);
    assert_eq!(s["Errors"][0]["Message"], "会话信息已丢失，请重新登录");
}

#[tokio::test]
async fn protocol_vector_4_signed_headers_are_accepted() {
    let vector_4 = vectors().vector_4;
    let headers = &vector_4.headers;
    let sandbox = start(SandboxConfig {
        fixed_now: Some(vector_4.now),
        ..config()
    })
    .await;
    let url = kd_url(&sandbox, "DynamicFormService.BatchSave");
    let send = |cookie: Option<String>, body: Value| {
        let mut request = client().post(&url).json(&body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        if let Some(c) = cookie {
            request = request.header("kdservice-sessionid", c);
        }
        request.send()
    };
    let response = send(None, batch(vec![purchase_bill("CG001")]))
        .await
        .unwrap();
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("kdservice-sessionid="), "{cookie}");
    let session = cookie["kdservice-sessionid=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let v: Value = response.json().await.unwrap();
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    assert_eq!(status(&v)["SuccessEntitys"][0]["Number"], "CG001");
    assert_eq!(v["Result"]["NeedReturnData"], json!([{"FBillNo": "CG001"}]));

    // With the session header, no new cookie is set.
    let response = send(Some(session), batch(vec![purchase_bill("CG002")]))
        .await
        .unwrap();
    assert!(response.headers().get("set-cookie").is_none());

    // A signature over another path is rejected.
    let url = kd_url(&sandbox, "DynamicFormService.Save");
    let mut request = client()
        .post(&url)
        .json(&batch(vec![purchase_bill("CG003")]));
    for (k, v) in headers {
        request = request.header(k, v);
    }
    session_lost(&request.send().await.unwrap().json().await.unwrap());
    assert_eq!(sandbox.control().bill_count("PUR_PurchaseOrder"), 2);
}

#[tokio::test]
async fn signed_headers_of_the_runtime_match_and_wrong_secrets_fail() {
    let sandbox = start(config()).await;
    let url = kd_url(&sandbox, "DynamicFormService.ExecuteBillQuery");
    let ts = sandbox.control().now().to_string();
    let body = json!({"data": {"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo"}});
    let v = vectors().vector_4;
    for (secret, ok) in [
        (v.app_secret.as_str(), true),
        ("ffffffffffffffffffffffffffffffff", false),
    ] {
        let h = duijie_runtime::vendors::sign::kingdee_signed_headers(
            &v.app_id, secret, &v.acct_id, &v.user, v.lcid, &v.org, &url, &ts,
        );
        let mut request = client().post(&url).json(&body);
        for (k, v) in h.pairs() {
            request = request.header(k, v);
        }
        let v: Value = request.send().await.unwrap().json().await.unwrap();
        if ok {
            assert_eq!(v, json!([]));
        } else {
            assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1, "{v}");
        }
    }
}

#[tokio::test]
async fn protocol_vector_5_login_by_sign() {
    let vector_5 = vectors().vector_5;
    let mut cfg = config();
    cfg.fixed_now = Some(vector_5.timestamp.parse().unwrap());
    cfg.kingdee.app_id = vector_5.app_id.clone();
    let sandbox = start(cfg).await;
    let login = |body: Value| {
        client()
            .post(kd_url(&sandbox, "AuthService.LoginBySign"))
            .json(&body)
            .send()
    };
    let r = login(vector_5.body()).await.unwrap();
    assert!(r.headers().get("set-cookie").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["LoginResultType"], 1, "{v}");
    assert!(v["KDSVCSessionId"].as_str().unwrap().len() >= 16);
    assert_eq!(v["Context"]["UserName"], "webapi");

    let sign = &vector_5.sign;
    let bad = vector_5.body_signed(&format!("{}0", &sign[..sign.len() - 1]));
    let r = login(bad).await.unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["LoginResultType"], 0, "{v}");
    assert!(v["Message"].is_string());
}

#[tokio::test]
async fn logins_and_sessions() {
    let sandbox = start(SandboxConfig {
        kingdee: duijie_sandbox::KingdeeConfig {
            session_idle: Duration::from_millis(400),
            ..duijie_sandbox::KingdeeConfig::default()
        },
        ..config()
    })
    .await;
    let login = |method: &'static str, body: Value| {
        let url = kd_url(&sandbox, method);
        async move {
            client()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let v = login(
        "AuthService.ValidateUser",
        json!({"parameters": ["64f0c0ffee0001", "webapi", "wrong", 2052]}),
    )
    .await;
    assert_eq!(v["LoginResultType"], 0);
    assert_eq!(v["Message"], "用户名或密码错误！");
    let v = login(
        "AuthService.ValidateUser",
        json!({"parameters": ["nope", "webapi", "888888", 2052]}),
    )
    .await;
    assert_eq!(v["LoginResultType"], -1);
    let v = login(
        "AuthService.LoginByAppSecret",
        json!({"parameters": ["64f0c0ffee0001", "webapi", "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0", "0123456789abcdef0123456789abcdef", 2052]}),
    )
    .await;
    assert_eq!(v["LoginResultType"], 1, "{v}");

    let query = json!({"data": {"FormId": "PUR_PurchaseOrder", "FieldKeys": "FBillNo"}});
    // No session at all.
    let v: Value = client()
        .post(kd_url(&sandbox, "DynamicFormService.BatchSave"))
        .json(&batch(vec![purchase_bill("CG1")]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session_lost(&v);
    let v = Kd::with_session(&sandbox, "no-such-session")
        .call("ExecuteBillQuery", &query)
        .await;
    assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1, "{v}");

    // A live session works; expiring it on demand loses it.
    let kd = Kd::login(&sandbox).await;
    let debug = format!("{:?}", sandbox.control());
    assert!(
        !debug.contains(&kd.session) && !debug.contains("888888"),
        "{debug}"
    );
    assert!(debug.len() < 4000, "{debug}");
    assert_eq!(kd.call("ExecuteBillQuery", &query).await, json!([]));
    sandbox.control().expire_sessions();
    session_lost(
        &kd.call("BatchSave", &batch(vec![purchase_bill("CG1")]))
            .await,
    );

    // Idling out.
    let kd = Kd::login(&sandbox).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    session_lost(
        &kd.call(
            "View",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Number": "X"}}),
        )
        .await,
    );
    assert_eq!(sandbox.control().bill_count("PUR_PurchaseOrder"), 0);
}

#[tokio::test]
async fn batch_save_is_per_bill_with_vendor_errors() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    let v = kd
        .call("BatchSave", &batch(vec![purchase_bill("CG001")]))
        .await;
    assert_eq!(
        v,
        json!({"Result": {"ResponseStatus": {"ErrorCode": 0, "IsSuccess": true, "Errors": [],
            "SuccessEntitys": [{"Id": 100001, "Number": "CG001", "DIndex": 0}], "SuccessMessages": [], "MsgCode": 0},
            "NeedReturnData": [{"FBillNo": "CG001"}]}})
    );

    let mut no_supplier = purchase_bill("CG003");
    no_supplier.as_object_mut().unwrap().remove("FSupplierId");
    let v = kd
        .call(
            "BatchSave",
            &batch(vec![
                purchase_bill("CG002"),
                purchase_bill("CG001"),
                no_supplier,
                purchase_bill("CG004"),
            ]),
        )
        .await;
    let s = status(&v);
    assert_eq!(s["IsSuccess"], false, "{v}");
    assert_eq!(s["ErrorCode"], 500);
    assert_eq!(s["MsgCode"], 11);
    assert_eq!(
        s["SuccessEntitys"],
        json!([{"Id": 100002, "Number": "CG002", "DIndex": 0}, {"Id": 100003, "Number": "CG004", "DIndex": 3}])
    );
    assert_eq!(
        s["Errors"][0],
        json!({"FieldName": "FBillNo", "Message": "违反字段唯一性要求：编码唯一。[CG001]在当前系统中已经被使用。", "DIndex": 1})
    );
    assert_eq!(s["Errors"][1]["FieldName"], "FSupplierId");
    assert_eq!(s["Errors"][1]["DIndex"], 2);
    assert_eq!(
        v["Result"]["NeedReturnData"],
        json!([{"FBillNo": "CG002"}, {"FBillNo": "CG004"}])
    );

    let control = sandbox.control();
    assert_eq!(control.bill_count("PUR_PurchaseOrder"), 3);
    assert_eq!(
        control.bill_numbers("PUR_PurchaseOrder"),
        vec!["CG001", "CG002", "CG004"]
    );
    assert_eq!(
        control.bill_count_by_number("pur_purchaseorder", "CG001"),
        1
    );
    assert_eq!(
        control
            .bill_counts("PUR_PurchaseOrder")
            .values()
            .sum::<usize>(),
        3
    );

    // Unknown base data; an unknown form; no formid.
    let mut bad = purchase_bill("CG005");
    bad["FPOOrderEntry"][0]["FMaterialId"] = json!({"FNumber": "ZZZ"});
    let v = kd
        .call(
            "Save",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Model": bad}}),
        )
        .await;
    assert_eq!(status(&v)["Errors"][0]["FieldName"], "FMaterialId", "{v}");
    assert!(status(&v)["Errors"][0]["Message"]
        .as_str()
        .unwrap()
        .contains("ZZZ"));
    let v = kd
        .call(
            "BatchSave",
            &json!({"formid": "SAL_SaleOrder", "data": {"Model": []}}),
        )
        .await;
    assert_eq!(status(&v)["MsgCode"], 4);
    let v = kd.call("BatchSave", &json!({"data": {"Model": []}})).await;
    assert_eq!(status(&v)["MsgCode"], 5);
}

#[tokio::test]
async fn three_body_shapes_save_and_single_save() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    let data = json!({"Model": [purchase_bill("A1")]});
    let as_string = json!({"formid": "PUR_PurchaseOrder", "data": data.to_string()});
    let v = kd.call("BatchSave", &as_string).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    let positional = json!({"parameters": ["PUR_PurchaseOrder", {"Model": [purchase_bill("A2")]}]});
    let v = kd.call("BatchSave", &positional).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");

    // Save takes one object, answers Id and Number; no FBillNo → generated.
    let mut unnumbered = purchase_bill("");
    unnumbered.as_object_mut().unwrap().remove("FBillNo");
    let v = kd
        .call(
            "Save",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Model": unnumbered}}),
        )
        .await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    assert_eq!(v["Result"]["Number"], "CGDD000001");
    assert_eq!(v["Result"]["Id"], 100003);

    // Other stock-in form, keys in other cases, Model key case.
    let stk = json!({"formid": "STK_MISCELLANEOUS", "data": {"model": [{
        "fbillno": "QT001", "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"}, "FStockOrgId": {"FNumber": "100"},
        "FDate": "2024-01-03 00:00:00", "FEntity": [{"FMATERIALID": {"FNumber": "G1001-01"}, "FSTOCKID": {"FNumber": "CK001"},
        "FSTOCKSTATUSID": {"FNumber": "KCZT01_SYS"}, "FQty": "3.0000"}]}]}});
    let v = kd.call("BatchSave", &stk).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    assert_eq!(
        sandbox.control().bill_numbers("STK_MISCELLANEOUS"),
        vec!["QT001"]
    );
    let stored = &sandbox.control().bills("STK_MISCELLANEOUS")[0];
    assert_eq!(stored["FDate"], "2024-01-03T00:00:00");
    assert_eq!(stored["FDocumentStatus"], "A");
}

#[tokio::test]
async fn execute_bill_query_and_view() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    kd.call(
        "BatchSave",
        &batch(vec![purchase_bill("CG001"), purchase_bill("CG002")]),
    )
    .await;
    let unaudited =
        json!({"formid": "PUR_PurchaseOrder", "data": {"Model": [purchase_bill("CG003")]}});
    kd.call("BatchSave", &unaudited).await;

    let query = |filter: &str, keys: &str| {
        json!({"data": {"FormId": "PUR_PurchaseOrder", "FieldKeys": keys, "FilterString": filter,
            "OrderString": "", "TopRowCount": 0, "StartRow": 0, "Limit": 2000}})
    };
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query("FBillNo='CG001'", "FID,FBillNo,FDocumentStatus"),
        )
        .await;
    assert_eq!(v, json!([[100001, "CG001", "C"]]));
    let v = kd.call("ExecuteBillQuery", &query("FBillNo in ('CG002','CG003')", "FBillNo,FDocumentStatus,FSupplierId.FNumber,FPOOrderEntry_FEntryID,FMaterialId.FNumber,FQty"))
    .await;
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{v}");
    assert_eq!(rows[0], json!(["CG002", "C", "0003", 100003, "A01", 10]));
    assert_eq!((&rows[3][0], &rows[3][1]), (&json!("CG003"), &json!("A")));
    let v = kd.call("ExecuteBillQuery", &query("", "FBillNo")).await;
    assert_eq!(v.as_array().unwrap().len(), 3);
    let v = kd
        .call("BillQuery", &query("FBillNo='CG003'", "FBillNo,FID"))
        .await;
    assert_eq!(v, json!([{"FBillNo": "CG003", "FID": 100003}]));

    // Errors come wrapped.
    let mut too_many = query("", "FBillNo");
    too_many["data"]["Limit"] = json!(10001);
    let v = kd.call("ExecuteBillQuery", &too_many).await;
    assert_eq!(
        v[0][0]["Result"]["ResponseStatus"]["IsSuccess"], false,
        "{v}"
    );
    let v = kd
        .call("ExecuteBillQuery", &query("", "FBillNo,FNope"))
        .await;
    assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 9, "{v}");

    // View by number and by id.
    let v = kd
        .call(
            "View",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Number": "CG002"}}),
        )
        .await;
    assert_eq!(v["Result"]["ResponseStatus"], Value::Null);
    assert_eq!(v["Result"]["Result"]["Id"], 100002);
    let v = kd
        .call(
            "View",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Id": "100003"}}),
        )
        .await;
    assert_eq!(v["Result"]["Result"]["BillNo"], "CG003");
    let v = kd
        .call(
            "View",
            &json!({"formid": "PUR_PurchaseOrder", "data": {"Number": "NOPE"}}),
        )
        .await;
    assert_eq!(status(&v)["MsgCode"], 10);
}

#[tokio::test]
async fn master_data_can_be_replaced() {
    let mut cfg = config();
    let mut file = MasterData::parse("BD_Supplier = [\"V1\"]", false, "test.toml").unwrap();
    file.insert("BD_Supplier", "V2");
    cfg.kingdee.master_data.override_with(file);
    let sandbox = start(cfg).await;
    let kd = Kd::login(&sandbox).await;
    let v = kd
        .call("BatchSave", &batch(vec![purchase_bill("CG001")]))
        .await;
    assert_eq!(status(&v)["Errors"][0]["FieldName"], "FSupplierId", "{v}");
    let mut bill = purchase_bill("CG001");
    bill["FSupplierId"] = json!({"FNumber": "V2"});
    let v = kd.call("BatchSave", &batch(vec![bill])).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
}

#[tokio::test]
async fn faults_can_save_before_dropping_the_answer() {
    let mut cfg = config();
    cfg.fault_seed = 5;
    let sandbox = start(cfg).await;
    let control = sandbox.control();
    let kd = Kd::login(&sandbox).await;
    control.set_faults(
        Service::Kingdee,
        FaultConfig {
            drop: 1.0,
            ..FaultConfig::default()
        },
    );
    let mut failures = 0;
    for i in 0..12 {
        let body = batch(vec![purchase_bill(&format!("D{i:02}"))]);
        let r = client()
            .post(kd_url(&sandbox, "DynamicFormService.BatchSave"))
            .header("cookie", format!("kdservice-sessionid={}", kd.session))
            .json(&body)
            .send()
            .await;
        assert!(r.is_err());
        failures += 1;
    }
    let saved = control.bill_count("PUR_PurchaseOrder");
    assert_eq!(failures, 12);
    assert!(
        saved > 0 && saved < 12,
        "saved {saved} of 12 dropped answers"
    );

    // Rate limit and session loss come before saving.
    control.set_faults(
        Service::Kingdee,
        FaultConfig {
            rate_limit: 1.0,
            ..FaultConfig::default()
        },
    );
    let v = kd
        .call("BatchSave", &batch(vec![purchase_bill("R1")]))
        .await;
    assert_eq!(status(&v)["MsgCode"], 14, "{v}");
    control.set_faults(
        Service::Kingdee,
        FaultConfig {
            session_loss: 1.0,
            ..FaultConfig::default()
        },
    );
    session_lost(
        &kd.call("BatchSave", &batch(vec![purchase_bill("R1")]))
            .await,
    );
    control.clear_faults();
    session_lost(
        &kd.call("BatchSave", &batch(vec![purchase_bill("R1")]))
            .await,
    );
    assert_eq!(control.bill_count("PUR_PurchaseOrder"), saved);
    assert_eq!(control.bill_count_by_number("PUR_PurchaseOrder", "R1"), 0);
}

/// The load model: past twice its capacity of calls at once, a call is
/// refused at once with the concurrency answer; those within it are saved.
#[tokio::test]
async fn a_loaded_tenant_refuses_calls_past_twice_its_capacity() {
    let sandbox = start(SandboxConfig {
        kingdee: duijie_sandbox::KingdeeConfig {
            load: duijie_sandbox::KingdeeLoad {
                // Long enough that the three calls below overlap.
                per_call: Duration::from_secs(3),
                per_bill: Duration::ZERO,
                capacity: 1,
            },
            ..duijie_sandbox::KingdeeConfig::default()
        },
        ..config()
    })
    .await;
    let kd = Kd::login(&sandbox).await;
    let bodies: Vec<Value> = (1..=3)
        .map(|i| batch(vec![purchase_bill(&format!("LOAD{i}"))]))
        .collect();
    let (a, b, c) = tokio::join!(
        kd.call("BatchSave", &bodies[0]),
        kd.call("BatchSave", &bodies[1]),
        kd.call("BatchSave", &bodies[2]),
    );
    let answers = [a, b, c];
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|v| status(v)["IsSuccess"] == false)
        .collect();
    assert_eq!(refused.len(), 1, "{answers:?}");
    assert_eq!(status(refused[0])["MsgCode"], 14, "{:?}", refused[0]);
    assert_eq!(
        status(refused[0])["Errors"][0]["Message"],
        "当前接口并发请求数超过限制，请稍后重试"
    );
    let control = sandbox.control();
    assert_eq!(control.bill_count("PUR_PurchaseOrder"), 2);
    assert_eq!(control.request_counts().kingdee_refused, 1);
}
