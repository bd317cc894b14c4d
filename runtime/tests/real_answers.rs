//! The vendor clients against the sandboxes answering as real servers do,
//! not only in the textbook shapes: each sandbox quirk, and what the client
//! makes of it.

use std::sync::Arc;
use std::time::Duration;

use duijie_runtime::engine::{StepResult, Target};
use duijie_runtime::error::ErrorKind;
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::kingdee::{
    cell_text, default_save_options, parse_operation_response, save_options, BillOutcome,
    BillQuery, Client, KingdeeAuth, KingdeeConfig, KingdeeTarget, SERVICE_AUDIT,
    SERVICE_EXECUTE_OPERATION, SERVICE_SUBMIT,
};
use duijie_sandbox::{FaultConfig, KingdeeQuirks, Sandbox, SandboxConfig, Service, WdtQuirks};

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

fn bill(number: &str) -> String {
    format!(
        r#"{{"FBillNo":"{number}","FDate":"2024-01-02","FBillTypeID":{{"FNUMBER":"CGDD01_SYS"}},"FSupplierId":{{"FNumber":"0003"}},"FPurchaseOrgId":{{"FNumber":"100"}},"FPOOrderEntry":[{{"FMaterialId":{{"FNumber":"A01"}},"FQty":2.5}}]}}"#
    )
}

/// Saves `n` bills `T001`… and returns `(number, id)` as the save answered.
async fn save_bills(c: &Client, n: usize) -> Vec<(String, String)> {
    let bills: Vec<String> = (1..=n).map(|i| bill(&format!("T{i:03}"))).collect();
    let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let outcome = c
        .batch_save("PUR_PurchaseOrder", &refs, &default_save_options())
        .await
        .unwrap();
    outcome
        .per_bill
        .into_iter()
        .enumerate()
        .map(|(i, o)| match o {
            BillOutcome::Saved { id, .. } => (format!("T{:03}", i + 1), id),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn kingdee_float_query_answers_give_the_same_ids() {
    let sb = sandbox(KingdeeQuirks {
        float_query: true,
        ..KingdeeQuirks::default()
    })
    .await;
    let c = Arc::new(kingdee(&sb, signed()));
    let saved = save_bills(&c, 3).await;
    // The server answers `100001.0`.
    let rows = c
        .execute_bill_query(&BillQuery {
            field_keys: vec!["FID".into(), "FModifyDate".into()],
            ..any_query()
        })
        .await
        .unwrap();
    assert!(rows[0][0].to_string().ends_with(".0"), "{rows:?}");
    assert!(rows[0][1].as_str().unwrap().ends_with(".96"), "{rows:?}");
    // Looked up by number, the ids are the saved ones.
    let target = KingdeeTarget {
        client: c.clone(),
        single: false,
        check_form: "PUR_PurchaseOrder".into(),
    };
    let numbers: Vec<String> = saved.iter().map(|(n, _)| n.clone()).collect();
    let mut found = target
        .find("PUR_PurchaseOrder", "FBillNo", &numbers)
        .await
        .unwrap();
    found.sort();
    assert_eq!(found, saved);
}

#[tokio::test]
async fn kingdee_queries_are_paged_to_the_last_row() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    let c = kingdee(&sb, signed());
    let saved = save_bills(&c, 25).await;
    sb.control().record_exchanges(true);
    let rows = c
        .execute_bill_query_all(&BillQuery {
            order: "FID".into(),
            limit: 10,
            ..any_query()
        })
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().filter_map(|r| cell_text(&r[0])).collect();
    let mut expected: Vec<String> = saved.into_iter().map(|(_, id)| id).collect();
    expected.sort_by_key(|id| id.parse::<u64>().unwrap());
    assert_eq!(ids, expected, "every row once, in order");
    let starts: Vec<u64> = sb
        .control()
        .take_exchanges()
        .iter()
        .map(|x| serde_json::from_slice::<serde_json::Value>(&x.request).unwrap())
        .map(|b| b["data"]["StartRow"].as_u64().unwrap())
        .collect();
    assert_eq!(starts, vec![0, 10, 20]);
    // TopRowCount caps the total across pages.
    let rows = c
        .execute_bill_query_all(&BillQuery {
            order: "FID".into(),
            limit: 10,
            top: 15,
            ..any_query()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 15);
}

fn wdt(sb: &Sandbox) -> duijie_runtime::vendors::wdt::Client {
    let w = duijie_sandbox::WdtCredentials::default();
    duijie_runtime::vendors::wdt::Client::new(duijie_runtime::vendors::wdt::WdtConfig {
        base_url: sb.base_url(),
        sid: w.sid,
        appkey: w.appkey,
        appsecret: Secret::new(w.appsecret),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn qimen(sb: &Sandbox) -> duijie_runtime::vendors::qimen::Client {
    let q = duijie_sandbox::QimenConfig::default();
    duijie_runtime::vendors::qimen::Client::new(duijie_runtime::vendors::qimen::QimenConfig {
        url: format!("{}/router/qm", sb.base_url()),
        app_key: q.app_key,
        target_app_key: q.target_app_key,
        secret: Secret::new(q.secret),
        sid: duijie_sandbox::WdtCredentials::default().sid,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

/// The whole modified-time span of the sandbox's documents, page `page_no`.
fn window(sb: &Sandbox, page_no: u32, page_size: u32) -> Vec<(String, String)> {
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let now = chrono::DateTime::from_timestamp(sb.control().now(), 0)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    vec![
        ("start_time".into(), fmt(now - chrono::Duration::days(29))),
        ("end_time".into(), fmt(now + chrono::Duration::hours(1))),
        ("page_no".into(), page_no.to_string()),
        ("page_size".into(), page_size.to_string()),
    ]
}

#[tokio::test]
async fn wdt_total_count_on_page_0_only() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    sb.control().set_wdt_quirks(WdtQuirks {
        total_first_page: true,
        ..WdtQuirks::default()
    });
    let c = wdt(&sb);
    let first = c
        .query("purchase_order_query", "purchase_list", &window(&sb, 0, 8))
        .await
        .unwrap();
    let total = first.total_count.expect("page 0 has a total (as a string)");
    assert!(total > 8, "{total}");
    let second = c
        .query("purchase_order_query", "purchase_list", &window(&sb, 1, 8))
        .await
        .unwrap();
    assert_eq!(second.total_count, None);
    assert_eq!(second.records.len(), 8);
    let q = qimen(&sb);
    let first = q
        .query(
            "wdt.stockin.order.query",
            "stockin_list",
            &window(&sb, 0, 8),
        )
        .await
        .unwrap();
    assert!(first.total_count.is_some_and(|t| t > 8));
    let second = q
        .query(
            "wdt.stockin.order.query",
            "stockin_list",
            &window(&sb, 1, 8),
        )
        .await
        .unwrap();
    assert_eq!((second.total_count, second.records.len()), (None, 8));
}

#[tokio::test]
async fn rate_limits_in_each_platforms_words_are_rate_limits() {
    let sb = sandbox(KingdeeQuirks {
        rate_limit_words: true,
        ..KingdeeQuirks::default()
    })
    .await;
    sb.control().set_wdt_quirks(WdtQuirks {
        rate_limit_words: true,
        ..WdtQuirks::default()
    });
    let always = FaultConfig {
        rate_limit: 1.0,
        ..FaultConfig::default()
    };
    for service in [Service::Wdt, Service::Qimen, Service::Kingdee] {
        sb.control().set_faults(service, always.clone());
    }
    // The concurrency and the per-minute wordings take turns.
    let (c, q) = (wdt(&sb), qimen(&sb));
    let mut messages = Vec::new();
    for _ in 0..2 {
        let e = c
            .query("purchase_order_query", "purchase_list", &window(&sb, 0, 8))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
        assert_ne!(e.code(), Some("100"));
        messages.push(e.message().to_string());
        let e = q
            .query(
                "wdt.stockin.order.query",
                "stockin_list",
                &window(&sb, 0, 8),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
        messages.push(e.message().to_string());
    }
    assert!(messages.iter().any(|m| m.contains("并发")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("每分钟")),
        "{messages:?}"
    );
    // 金蝶 without MsgCode 14, for a query and for a batch.
    let k = kingdee(&sb, signed());
    let e = k.execute_bill_query(&any_query()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    let bills = [bill("R1"), bill("R2")];
    let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let e = k
        .batch_save("PUR_PurchaseOrder", &refs, &default_save_options())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
}

fn stock_bill(number: &str) -> String {
    format!(
        r#"{{"FBillNo":"{number}","FDate":"2024-01-02","FBillTypeID":{{"FNUMBER":"QTRKD01_SYS"}},"FStockOrgId":{{"FNumber":"100"}},"FEntity":[{{"FMATERIALID":{{"FNumber":"A01"}},"FSTOCKID":{{"FNumber":"CK001"}},"FQty":3}}]}}"#
    )
}

#[tokio::test]
async fn kingdee_confirmation_prompts_name_the_flag_that_lets_them_through() {
    let sb = sandbox(KingdeeQuirks {
        stock_prompt: true,
        ..KingdeeQuirks::default()
    })
    .await;
    let c = kingdee(&sb, signed());
    let bills = [stock_bill("QT1"), stock_bill("QT2")];
    let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let outcome = c
        .batch_save("STK_MISCELLANEOUS", &refs, &default_save_options())
        .await
        .unwrap();
    for o in &outcome.per_bill {
        let BillOutcome::Failed { error, .. } = o else {
            panic!("{o:?}");
        };
        assert!(error.message.contains("是否继续"), "{}", error.message);
        assert!(
            error
                .message
                .contains("\"STK_InvCheckResult\" to the scheme's target option InterationFlags"),
            "{}",
            error.message
        );
    }
    assert_eq!(sb.control().bill_count("STK_MISCELLANEOUS"), 0);
    // With the scheme's options the bills go through.
    let options = save_options(
        "STK_MISCELLANEOUS",
        &[
            ("InterationFlags".into(), "STK_InvCheckResult".into()),
            ("IgnoreInterationFlag".into(), true.into()),
        ],
    );
    let outcome = c
        .batch_save("STK_MISCELLANEOUS", &refs, &options)
        .await
        .unwrap();
    assert!(
        outcome
            .per_bill
            .iter()
            .all(|o| matches!(o, BillOutcome::Saved { .. })),
        "{outcome:?}"
    );
    assert_eq!(sb.control().bill_count("STK_MISCELLANEOUS"), 2);
}

#[tokio::test]
async fn wdt_ultimate_answers_are_refused_by_name() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    sb.control().set_wdt_quirks(WdtQuirks {
        ultimate: true,
        ..WdtQuirks::default()
    });
    let e = wdt(&sb)
        .query("purchase_order_query", "purchase_list", &window(&sb, 0, 8))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permanent);
    assert!(e.message().contains("旗舰版"), "{e}");
    assert!(e.message().contains("creation, not modification"), "{e}");
}

#[tokio::test]
async fn refund_stock_ins_come_from_their_own_query() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    sb.control().set_wdt_quirks(WdtQuirks {
        refund_separate: true,
        ..WdtQuirks::default()
    });
    let order_types = |page: &duijie_runtime::vendors::wdt::Page| -> Vec<String> {
        page.records
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r.get()).unwrap();
                v["order_type"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let c = wdt(&sb);
    let general = c
        .query("stockin_order_query", "stockin_list", &window(&sb, 0, 100))
        .await
        .unwrap();
    let refunds = c
        .query(
            "stockin_order_query_refund",
            "stockin_list",
            &window(&sb, 0, 100),
        )
        .await
        .unwrap();
    let qm = qimen(&sb)
        .query(
            "wdt.stockin.order.query",
            "stockin_list",
            &window(&sb, 0, 100),
        )
        .await
        .unwrap();
    assert!(order_types(&general).iter().all(|t| t != "3"));
    assert!(order_types(&qm).iter().all(|t| t != "3"));
    let refund_types = order_types(&refunds);
    assert!(!refund_types.is_empty() && refund_types.iter().all(|t| t == "3"));
    assert_eq!(general.total_count, Some(general.records.len() as u64));
    assert_eq!(refunds.total_count, Some(refunds.records.len() as u64));
    // Together they are every stock-in of the window.
    sb.control().set_wdt_quirks(WdtQuirks::default());
    let all = c
        .query("stockin_order_query", "stockin_list", &window(&sb, 0, 100))
        .await
        .unwrap();
    assert_eq!(
        all.records.len(),
        general.records.len() + refunds.records.len()
    );
}

#[tokio::test]
async fn kingdee_submit_then_audit_and_again_is_done() {
    let sb = sandbox(KingdeeQuirks {
        no_auto_audit: true,
        ..KingdeeQuirks::default()
    })
    .await;
    let c = kingdee(&sb, signed());
    let saved = save_bills(&c, 3).await;
    let ids: Vec<String> = saved.iter().map(|(_, id)| id.clone()).collect();
    let status = |n: &str| sb.control().bill_status("PUR_PurchaseOrder", n);
    assert_eq!(
        status("T001"),
        Some("A"),
        "IsAutoSubmitAndAudit not honoured"
    );
    let audit = |ids: Vec<String>| {
        let c = &c;
        async move {
            c.operation(SERVICE_AUDIT, "PUR_PurchaseOrder", &ids, &[])
                .await
                .unwrap()
        }
    };
    let submit = |ids: Vec<String>| {
        let c = &c;
        async move {
            c.operation(SERVICE_SUBMIT, "PUR_PurchaseOrder", &ids, &[])
                .await
                .unwrap()
        }
    };
    // Audit before Submit is refused with the server's words.
    let early = audit(ids[..1].to_vec()).await;
    assert!(
        matches!(&early[0], StepResult::Refused { message } if message.contains("不是已提交")),
        "{early:?}"
    );
    assert_eq!(submit(ids.clone()).await, vec![StepResult::Done; 3]);
    assert_eq!(status("T002"), Some("B"));
    // Submitted again (a rerun): "已经提交" is done.
    assert_eq!(submit(ids.clone()).await, vec![StepResult::Done; 3]);
    assert_eq!(audit(ids.clone()).await, vec![StepResult::Done; 3]);
    assert_eq!(status("T003"), Some("C"));
    // Audited again: "单据已经审核" is done, not a failure.
    assert_eq!(audit(ids).await, vec![StepResult::Done; 3]);
}

#[tokio::test]
async fn kingdee_an_empty_operation_is_msgcode_3_for_the_whole_call() {
    let sb = sandbox(KingdeeQuirks::default()).await;
    let c = kingdee(&sb, signed());
    let body = serde_json::json!({"parameters": ["PUR_PurchaseOrder", "", {"Ids": "1,2"}]});
    let answer = c
        .call(SERVICE_EXECUTE_OPERATION, body.to_string())
        .await
        .unwrap();
    let ids = vec!["1".to_string(), "2".to_string()];
    let e =
        parse_operation_response("DynamicFormService.ExecuteOperation", &ids, &answer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permanent);
    assert_eq!(e.code(), Some("3"));
    assert!(e.message().contains("操作标识为空"), "{e}");
}
