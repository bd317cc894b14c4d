//! The Qimen gateway client over HTTP, against a scripted loopback responder.

mod clients_support;

use std::time::Duration;

use clients_support::{serve, Reply};
use duijie_runtime::error::{ErrorKind, Vendor};
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::qimen::{Client, Clock, QimenConfig};

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

/// The settings and clock of protocols.md's vector 3.
fn client(base: &str) -> Client {
    let v = vectors().vector_3;
    Client::new(QimenConfig {
        url: format!("{base}/router/qm"),
        app_key: v.client_value("app_key").to_owned(),
        target_app_key: v.client_value("target_app_key").to_owned(),
        sid: v.client_value("sid").to_owned(),
        secret: Secret::new(v.secret),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
    .with_clock(Clock::fixed(v.now))
}

/// Vector 3's query parameters.
fn params() -> Vec<(String, String)> {
    vectors().vector_3.query
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
    let v = vectors().vector_3;
    for (k, value) in v.signed_form() {
        assert_eq!(r.form_value(&k), Some(value), "{k}");
    }
    assert!(r.form().iter().all(|(_, value)| *value != v.secret));
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
    let fail = || async {
        c.query("wdt.stockin.order.query", "stockin_list", &params())
            .await
            .unwrap_err()
    };
    let e = fail().await;
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Auth, Some("29/isv.appkey-not-exists"))
    );
    assert_eq!(e.vendor(), Vendor::Qimen);
    assert_eq!(e.api(), "wdt.stockin.order.query");
    let e = fail().await;
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Auth, Some("sign-check-failure"))
    );
    assert_eq!(e.message(), "Illegal request");
    let e = fail().await;
    assert_eq!(e.kind(), ErrorKind::RateLimited);
}
