//! The 金蝶 WebAPI client over HTTP, against a scripted loopback responder:
//! signed headers (vector 4), logins (vector 5), session renewal after
//! MsgCode 1, per-bill outcomes, queries.

mod clients_support;

use std::time::Duration;

use clients_support::{serve, Reply};
use duijie_runtime::error::{ErrorKind, Vendor};
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::http::Clock;
use duijie_runtime::vendors::kingdee::{
    default_save_options, BillErrorKind, BillOutcome, BillQuery, Client, KingdeeAuth, KingdeeConfig,
};
use serde_json::{json, Map};

const SAVED_ONE: &str = r#"{"Result":{"ResponseStatus":{"ErrorCode":0,"IsSuccess":true,"Errors":[],
  "SuccessEntitys":[{"Id":100123,"Number":"CG001","DIndex":0}],"SuccessMessages":[],"MsgCode":0},
  "NeedReturnData":[{"FBillNo":"CG001"}]}}"#;
const SESSION_LOST: &str = r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
  "Errors":[{"FieldName":null,"Message":"会话信息已丢失，请重新登录","DIndex":0}],"SuccessEntitys":[],"MsgCode":1}}}"#;
const LOGIN_OK: &str = r#"{"Message":null,"LoginResultType":1,"KDSVCSessionId":"body-sid","Context":{"UserName":"webapi"}}"#;

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

/// The data centre, user and clock of protocols.md's vector 4.
fn client(base: &str, auth: KingdeeAuth) -> Client {
    let v = vectors().vector_4;
    let mut cfg = KingdeeConfig::new(format!("{base}/k3cloud/"), v.acct_id, v.user, auth);
    cfg.timeout = Duration::from_secs(5);
    Client::new(cfg).unwrap().with_clock(Clock::fixed(v.now))
}

/// The app of vector 4.
fn signed() -> KingdeeAuth {
    let v = vectors().vector_4;
    KingdeeAuth::Signed {
        app_id: v.app_id,
        app_secret: Secret::new(v.app_secret),
    }
}

fn password() -> KingdeeAuth {
    KingdeeAuth::Password {
        password: Secret::new("p@ss-word"),
    }
}

#[tokio::test]
async fn signed_mode_sends_vector_4_headers_and_keeps_the_session_cookie() {
    let (base, server) = serve(vec![
        Reply::json(SAVED_ONE)
            .with_header("Set-Cookie", "kdservice-sessionid=sess-1; path=/; HttpOnly"),
        Reply::json(SAVED_ONE),
    ])
    .await;
    let c = client(&base, signed());
    let bill = r#"{"FBillNo":"CG001","FQty":10.50}"#;
    let outcome = c
        .batch_save("PUR_PurchaseOrder", &[bill], &default_save_options())
        .await
        .unwrap();
    assert_eq!(
        outcome.per_bill,
        vec![BillOutcome::Saved {
            dindex: 0,
            id: "100123".into(),
            number: Some("CG001".into())
        }]
    );
    c.batch_save("PUR_PurchaseOrder", &[bill], &Map::new())
        .await
        .unwrap();

    let received = server.await.unwrap();
    let r = &received[0];
    let v = vectors().vector_4;
    assert_eq!(r.path, v.path());
    assert_eq!(r.header("content-type"), Some("application/json"));
    for (name, value) in &v.headers {
        assert_eq!(r.header(name), Some(value.as_str()), "{name}");
    }
    assert_eq!(r.header("kdservice-sessionid"), None);
    // The bill travels verbatim (exact decimal text).
    assert!(
        r.body
            .contains(r#""Model":[{"FBillNo":"CG001","FQty":10.50}]"#),
        "{}",
        r.body
    );
    assert_eq!(r.json()["formid"], json!("PUR_PurchaseOrder"));
    assert_eq!(r.json()["data"]["NeedReturnFields"], json!(["FBillNo"]));
    assert!(!r.body.contains(&v.app_secret));

    let r = &received[1];
    assert_eq!(r.header("kdservice-sessionid"), Some("sess-1"));
    assert_eq!(r.header("cookie"), Some("kdservice-sessionid=sess-1"));
}

#[tokio::test]
async fn password_login_then_relogin_once_after_msgcode_1() {
    let (base, server) = serve(vec![
        Reply::json(LOGIN_OK).with_header("Set-Cookie", "kdservice-sessionid=s1; path=/"),
        Reply::json(SESSION_LOST),
        Reply::json(LOGIN_OK).with_header("Set-Cookie", "kdservice-sessionid=s2; path=/"),
        Reply::json(SAVED_ONE),
    ])
    .await;
    let c = client(&base, password());
    let outcome = c
        .save("PUR_PurchaseOrder", r#"{"FBillNo":"CG001"}"#, &Map::new())
        .await
        .unwrap();
    assert!(matches!(outcome, BillOutcome::Saved { dindex: 0, .. }));

    let received = server.await.unwrap();
    assert_eq!(received.len(), 4);
    let login = &received[0];
    assert!(
        login
            .path
            .ends_with("AuthService.ValidateUser.common.kdsvc"),
        "{}",
        login.path
    );
    assert_eq!(
        login.json(),
        json!({"parameters":["64f0c0ffee0001","webapi","p@ss-word",2052]})
    );
    assert_eq!(login.header("x-api-signature"), None);
    assert!(received[1]
        .path
        .ends_with("DynamicFormService.Save.common.kdsvc"));
    assert_eq!(received[1].header("kdservice-sessionid"), Some("s1"));
    assert!(received[2]
        .path
        .ends_with("AuthService.ValidateUser.common.kdsvc"));
    assert_eq!(
        received[2].header("kdservice-sessionid"),
        None,
        "the lost session is dropped"
    );
    assert_eq!(received[3].header("kdservice-sessionid"), Some("s2"));
    assert_eq!(
        received[3].body, received[1].body,
        "the same call is retried"
    );
}

#[tokio::test]
async fn session_lost_twice_is_an_error() {
    let (base, server) = serve(vec![
        Reply::json(LOGIN_OK),
        Reply::json(SESSION_LOST),
        Reply::json(LOGIN_OK),
        Reply::json(SESSION_LOST),
    ])
    .await;
    let c = client(&base, password());
    let e = c
        .batch_save("PUR_PurchaseOrder", &[r#"{"a":1}"#], &Map::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SessionLost);
    assert_eq!(e.code(), Some("1"));
    assert_eq!(e.vendor(), Vendor::Kingdee);
    assert_eq!(e.api(), "DynamicFormService.BatchSave");
    assert!(e.message().contains("会话信息已丢失"));
    // Without a session cookie the body's KDSVCSessionId is used.
    let received = server.await.unwrap();
    assert_eq!(received[1].header("kdservice-sessionid"), Some("body-sid"));
}

#[tokio::test]
async fn failed_login_is_auth_without_the_password() {
    let (base, _server) = serve(vec![Reply::json(
        r#"{"Message":"用户名或密码错误！","LoginResultType":0,"KDSVCSessionId":null}"#,
    )])
    .await;
    let c = client(&base, password());
    let e = c.view("PUR_PurchaseOrder", "CG001").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.api(), "AuthService.ValidateUser");
    assert!(e.message().starts_with("用户名或密码错误！"), "{e}");
    assert!(e.message().contains("LoginResultType 0, PWError"), "{e}");
    assert!(e.message().contains("check the user name"), "{e}");
    assert!(!format!("{e} {e:?}").contains("p@ss-word"));
}

#[tokio::test]
async fn a_login_answered_with_a_call_limit_is_a_rate_limit() {
    let (base, _server) = serve(vec![Reply::json(
        r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
          "Errors":[{"FieldName":null,"Message":"调用次数超过限制","DIndex":0}],"SuccessEntitys":[],"MsgCode":14}}}"#,
    )])
    .await;
    let c = client(&base, password());
    let e = c.view("PUR_PurchaseOrder", "CG001").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(e.api(), "AuthService.ValidateUser");
    assert!(e.message().contains("调用次数超过限制"), "{e}");
}

#[tokio::test]
async fn login_by_sign_sends_vector_5() {
    let (base, server) = serve(vec![Reply::json(LOGIN_OK), Reply::json("[]")]).await;
    let v = vectors().vector_5;
    let mut cfg = KingdeeConfig::new(
        format!("{base}/k3cloud"),
        &v.acct_id,
        &v.user,
        KingdeeAuth::LoginBySign {
            app_id: v.app_id.clone(),
            app_secret: Secret::new(&v.app_secret),
        },
    );
    cfg.timeout = Duration::from_secs(5);
    let c = Client::new(cfg)
        .unwrap()
        .with_clock(Clock::fixed(v.timestamp.parse().unwrap()));
    let rows = c
        .execute_bill_query(&BillQuery {
            form_id: "PUR_PurchaseOrder".into(),
            field_keys: vec!["FID".into()],
            ..BillQuery::default()
        })
        .await
        .unwrap();
    assert!(rows.is_empty());
    let received = server.await.unwrap();
    assert!(received[0]
        .path
        .ends_with("AuthService.LoginBySign.common.kdsvc"));
    assert_eq!(received[0].json(), v.body());
}

#[tokio::test]
async fn login_by_app_secret_parameters() {
    let (base, server) = serve(vec![Reply::json(LOGIN_OK), Reply::json("[]")]).await;
    let c = client(
        &base,
        KingdeeAuth::LoginByAppSecret {
            app_id: "123456_appid".to_owned(),
            app_secret: Secret::new("s3"),
        },
    );
    c.execute_bill_query(&BillQuery::default()).await.unwrap();
    let received = server.await.unwrap();
    assert!(received[0]
        .path
        .ends_with("AuthService.LoginByAppSecret.common.kdsvc"));
    assert_eq!(
        received[0].json(),
        json!({"parameters":["64f0c0ffee0001","webapi","123456_appid","s3",2052]})
    );
}

#[tokio::test]
async fn batch_outcomes_and_query_errors_over_http() {
    let (base, server) = serve(vec![
        Reply::json(
            r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
            "Errors":[{"FieldName":"FBillNo","Message":"违反字段唯一性要求：编码唯一。[CG001]在当前系统中已经被使用。","DIndex":0}],
            "SuccessEntitys":[{"Id":100124,"Number":"CG002","DIndex":1}],"MsgCode":11}}}"#,
        ),
        Reply::json(r#"[[100124,"CG002",12.3400]]"#),
        Reply::json(
            r#"[[{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,"Errors":[{"FieldName":null,"Message":"调用次数超过限制","DIndex":0}],"MsgCode":14}}}]]"#,
        ),
        Reply::json("response_error: 应用签名校验失败"),
        Reply::status(500, "Internal Server Error"),
    ])
    .await;
    let c = client(&base, signed());
    let o = c
        .batch_save(
            "PUR_PurchaseOrder",
            &[
                r#"{"FBillNo":"CG001"}"#,
                r#"{"FBillNo":"CG002"}"#,
                r#"{"FBillNo":"CG003"}"#,
            ],
            &Map::new(),
        )
        .await
        .unwrap();
    assert!(matches!(&o.per_bill[0], BillOutcome::Failed { error, .. }
        if error.kind == BillErrorKind::Duplicate && error.msg_code == Some(11)));
    assert!(matches!(&o.per_bill[1], BillOutcome::Saved { number: Some(n), .. } if n == "CG002"));
    assert_eq!(o.per_bill[2], BillOutcome::Unknown { dindex: 2 });

    let q = BillQuery {
        form_id: "PUR_PurchaseOrder".into(),
        field_keys: vec!["FID".into(), "FBillNo".into(), "FQty".into()],
        filter: "FBillNo='CG002'".into(),
        ..BillQuery::default()
    };
    let rows = c.execute_bill_query(&q).await.unwrap();
    assert_eq!(rows[0][2].to_string(), "12.3400");
    let e = c.execute_bill_query(&q).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.api(), "DynamicFormService.ExecuteBillQuery");
    let e = c.view("PUR_PurchaseOrder", "CG001").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.message(), "应用签名校验失败");
    let e = c.view("PUR_PurchaseOrder", "CG001").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(e.outcome_unknown());

    let received = server.await.unwrap();
    assert_eq!(
        received[1].json()["data"]["FilterString"],
        json!("FBillNo='CG002'")
    );
    assert_eq!(received[3].json()["data"]["Number"], json!("CG001"));
}
