//! The Qimen gateway client over HTTP, against a scripted loopback responder.

mod clients_support;

use std::time::Duration;

use clients_support::{serve, Reply};
use duijie_runtime::error::{ErrorKind, Vendor};
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::qimen::{Client, Clock, QimenConfig};

fn client(base: &str) -> Client {
    Client::new(QimenConfig {
        url: format!("{base}/router/qm"),
        app_key: "12345678".to_owned(),
        target_app_key: "23456789".to_owned(),
        secret: Secret::new("qimensecret"),
        sid: "apidevnew2".to_owned(),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
    // 2024-01-02 10:00:00 UTC+8 = 02:00:00 UTC.
    .with_clock(Clock::fixed(1_704_160_800))
}

fn params() -> Vec<(String, String)> {
    [
        ("start_time", "2024-01-01 00:00:00"),
        ("end_time", "2024-01-02 00:00:00"),
        ("page_no", "0"),
        ("page_size", "40"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn query_signs_vector_3_and_unwraps_the_response() {
    let (base, server) = serve(vec![Reply::json(
        r#"{"response":{"errorcode":0,"message":"","total_count":2,"stockin_list":[{"stockin_no":"RK1"},{"stockin_no":"RK2","num":"1.5000"}]}}"#,
    )])
    .await;
    let page = client(&base)
        .query("wdt.stockin.order.query", "stockin_list", &params())
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(
        page.records[1].get(),
        r#"{"stockin_no":"RK2","num":"1.5000"}"#
    );

    let r = &server.await.unwrap()[0];
    assert_eq!(r.path, "/router/qm");
    for (k, v) in [
        ("method", "wdt.stockin.order.query"),
        ("app_key", "12345678"),
        ("target_app_key", "23456789"),
        ("sign_method", "md5"),
        ("timestamp", "2024-01-02 10:00:00"),
        ("format", "json"),
        ("v", "2.0"),
        ("sid", "apidevnew2"),
        ("page_no", "0"),
        ("sign", "1A631981C54F544BABCF5C3C90E4DB55"),
    ] {
        assert_eq!(r.form_value(k).as_deref(), Some(v), "{k}");
    }
    assert!(r.form().iter().all(|(_, v)| v != "qimensecret"));
}

#[tokio::test]
async fn both_gateway_error_shapes() {
    let (base, _server) = serve(vec![
        Reply::json(
            r#"{"error_response":{"code":29,"msg":"Invalid app Key","sub_code":"isv.appkey-not-exists","request_id":"1"}}"#,
        ),
        Reply::json(r#"{"response":{"flag":"failure","code":"sign-check-failure","message":"Illegal request"}}"#),
        Reply::json(r#"{"response":{"errorcode":100,"message":"超过每分钟最大调用频率限制"}}"#),
    ])
    .await;
    let c = client(&base);
    let e = c
        .query("wdt.stockin.order.query", "stockin_list", &params())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Auth, Some("29/isv.appkey-not-exists"))
    );
    assert_eq!(e.vendor(), Vendor::Qimen);
    assert_eq!(e.api(), "wdt.stockin.order.query");
    let e = c
        .query("wdt.stockin.order.query", "stockin_list", &params())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Auth, Some("sign-check-failure"))
    );
    assert_eq!(e.message(), "Illegal request");
    let e = c
        .query("wdt.stockin.order.query", "stockin_list", &params())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
}
