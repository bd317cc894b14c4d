//! The vendor clients against the sandboxes answering as real servers do,
//! not only in the textbook shapes: each sandbox quirk, and what the client
//! makes of it.

use std::time::Duration;

use duijie_runtime::error::ErrorKind;
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::kingdee::{BillQuery, Client, KingdeeAuth, KingdeeConfig};
use duijie_sandbox::{KingdeeQuirks, Sandbox, SandboxConfig};

async fn sandbox(quirks: KingdeeQuirks) -> Sandbox {
    let mut config = SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..SandboxConfig::default()
    };
    config.data.purchase_orders = 20;
    config.data.stockins = 20;
    config.kingdee.quirks = quirks;
    Sandbox::start(config).await.unwrap()
}

fn kingdee(sandbox: &Sandbox, auth: KingdeeAuth) -> Client {
    let k = duijie_sandbox::KingdeeConfig::default();
    let mut cfg = KingdeeConfig::new(
        format!("{}/k3cloud", sandbox.base_url()),
        k.acct_id,
        k.user_name,
        auth,
    );
    cfg.timeout = Duration::from_secs(5);
    Client::new(cfg).unwrap()
}

fn password() -> KingdeeAuth {
    KingdeeAuth::Password {
        password: Secret::new(duijie_sandbox::KingdeeConfig::default().password),
    }
}

fn signed() -> KingdeeAuth {
    let k = duijie_sandbox::KingdeeConfig::default();
    KingdeeAuth::Signed {
        app_id: k.app_id,
        app_secret: Secret::new(k.app_secret),
    }
}

fn any_query() -> BillQuery {
    BillQuery {
        form_id: "PUR_PurchaseOrder".into(),
        field_keys: vec!["FID".into(), "FBillNo".into()],
        limit: 100,
        ..BillQuery::default()
    }
}

#[tokio::test]
async fn kingdee_logins_answering_minus_5_and_minus_4_are_accepted() {
    for login_result in [-5, -4] {
        let sb = sandbox(KingdeeQuirks {
            login_result: Some(login_result),
            ..KingdeeQuirks::default()
        })
        .await;
        let c = kingdee(&sb, password());
        let rows = c.execute_bill_query(&any_query()).await;
        assert!(rows.is_ok(), "LoginResultType {login_result}: {rows:?}");
        assert_eq!(sb.control().live_sessions(), 1);
    }
}

#[tokio::test]
async fn kingdee_refused_logins_name_the_result_type() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    let c = kingdee(
        &sb,
        KingdeeAuth::Password {
            password: Secret::new("wrong"),
        },
    );
    let e = c.execute_bill_query(&any_query()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("LoginResultType 0, PWError"), "{e}");
    assert!(e.message().contains("password"), "{e}");
}

#[tokio::test]
async fn kingdee_unlicensed_server_is_a_license_error() {
    let sb = sandbox(KingdeeQuirks {
        unlicensed: true,
        ..KingdeeQuirks::default()
    })
    .await;
    // A login answers the cloud-inspection form and no session.
    let e = kingdee(&sb, password())
        .execute_bill_query(&any_query())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permanent);
    assert!(e.message().starts_with("license error"), "{e}");
    assert!(e.message().contains("BOS_CloudInspection"), "{e}");
    // Signed calls get MsgCode 7.
    let e = kingdee(&sb, signed())
        .execute_bill_query(&any_query())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permanent);
    assert_eq!(e.code(), Some("7"));
    assert!(e.message().starts_with("license error"), "{e}");
    assert!(e.message().contains("许可错误"), "{e}");
}

#[tokio::test]
async fn kingdee_session_lost_in_words_logs_in_again() {
    let sb = sandbox(KingdeeQuirks {
        session_words: true,
        ..KingdeeQuirks::default()
    })
    .await;
    let c = kingdee(&sb, password());
    c.execute_bill_query(&any_query()).await.unwrap();
    sb.control().expire_sessions();
    // "会话已过期，请重新登录" without MsgCode: a new login and one retry.
    c.execute_bill_query(&any_query()).await.unwrap();
    assert_eq!(sb.control().live_sessions(), 1);
    let requests = sb.control().request_counts().kingdee;
    assert_eq!(requests, 5, "login, query, query (lost), login, query");
}
