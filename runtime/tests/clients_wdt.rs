//! The WDT openapi2 client over HTTP, against a scripted loopback responder.

mod clients_support;

use std::time::Duration;

use clients_support::{closed_port, serve, Reply};
use duijie_runtime::error::{ErrorKind, Vendor};
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::wdt::{Client, Clock, WdtConfig};

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

/// The credentials of protocols.md's vector 1.
fn config(base_url: &str, timeout: Duration) -> WdtConfig {
    let v = vectors().vector_1;
    WdtConfig {
        base_url: base_url.to_owned(),
        sid: v.client_value("sid").to_owned(),
        appkey: v.client_value("appkey").to_owned(),
        appsecret: Secret::new(v.secret),
        timeout,
    }
}

fn client(base_url: &str) -> Client {
    Client::new(config(base_url, Duration::from_secs(5)))
        .unwrap()
        .with_clock(Clock::fixed(vectors().vector_1.now))
}

/// Vector 1's query parameters, then `extra`.
fn params(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut p = vectors().vector_1.query;
    p.extend_from_slice(extra);
    p
}

#[tokio::test]
async fn query_posts_a_signed_form_and_reads_the_page() {
    let vectors = vectors();
    let (v1, v2) = (vectors.vector_1, vectors.vector_2);
    let (base, server) = serve(vec![Reply::json(
        r#"{"code":0,"message":"","total_count":1,"purchase_list":[{"purchase_no":"CG1","details_list":[{"num":"10.0000"}]}]}"#,
    )])
    .await;
    let page = client(&base)
        .query(
            "purchase_order_query",
            "purchase_list",
            &params(std::slice::from_ref(&v2.pair)),
        )
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(1));
    assert_eq!(
        page.records[0].get(),
        r#"{"purchase_no":"CG1","details_list":[{"num":"10.0000"}]}"#
    );

    let received = server.await.unwrap();
    let r = &received[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/openapi2/purchase_order_query.php");
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    for (k, v) in &v1.client {
        assert_eq!(r.form_value(k).as_deref(), Some(v.as_str()), "{k}");
    }
    let (key, value) = &v2.pair;
    assert_eq!(r.form_value(key).as_deref(), Some(value.as_str()));
    // Vector 2 of protocols.md: the character-counting sign.
    assert_eq!(r.form_value("sign").as_deref(), Some(v2.sign.as_str()));
    assert!(
        r.form().iter().all(|(_, v)| *v != v1.secret),
        "the appsecret is never sent"
    );
}

#[tokio::test]
async fn rate_limit_is_reported_as_such() {
    let (base, _server) = serve(vec![Reply::json(
        r#"{"code":100,"message":"超过每分钟最大调用频率限制，请稍后重试"}"#,
    )])
    .await;
    let e = client(&base)
        .query("purchase_order_query", "purchase_list", &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.vendor(), Vendor::Wdt);
    assert_eq!(e.code(), Some("100"));
    assert_eq!(e.api(), "purchase_order_query");
    assert!(e.is_transient());
}

#[tokio::test]
async fn http_5xx_is_transient_and_html_is_malformed() {
    let (base, _server) = serve(vec![
        Reply::status(502, "<html>Bad Gateway</html>"),
        Reply::json("<html>maintenance</html>"),
    ])
    .await;
    let c = client(&base);
    let e = c
        .query("purchase_order_query", "purchase_list", &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert_eq!(e.http_status(), Some(502));
    let e = c
        .query("purchase_order_query", "purchase_list", &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(e.message().contains("maintenance"), "{}", e.message());
}

#[tokio::test]
async fn timeout_and_refused_connection_are_transient() {
    let (base, _server) = serve(vec![Reply::hang()]).await;
    let c = Client::new(config(&base, Duration::from_millis(300))).unwrap();
    let e = c
        .query("purchase_order_query", "purchase_list", &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(e.outcome_unknown());
    assert!(e.message().contains("timed out"), "{e}");
    assert!(!e.to_string().contains(&vectors().vector_1.secret));

    let c = Client::new(config(&closed_port().await, Duration::from_secs(2))).unwrap();
    let e = c
        .query("purchase_order_query", "purchase_list", &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(!e.outcome_unknown());
}
