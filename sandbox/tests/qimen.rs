//! The Qimen gateway over loopback HTTP: vector 3, gateway and business
//! errors in both shapes, the same stock-ins as openapi2.

mod common;

use common::*;
use duijie_sandbox::{FaultConfig, QimenErrorStyle, SandboxConfig, Service};
use serde_json::Value;

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

/// Frozen at the timestamp of vector 3.
fn vector_config() -> SandboxConfig {
    SandboxConfig {
        fixed_now: Some(vectors().vector_3.now),
        ..config()
    }
}

fn url(sandbox: &duijie_sandbox::Sandbox) -> String {
    format!("{}/router/qm", sandbox.base_url())
}

#[tokio::test]
async fn protocol_vector_3_is_accepted_as_form_or_query_string() {
    let sandbox = start(vector_config()).await;
    let vector_3 = vectors().vector_3.signed_form();
    let v = post_form(&url(&sandbox), &vector_3).await;
    let r = &v["response"];
    assert_eq!(r["errorcode"], 0, "{v}");
    assert_eq!(r["message"], "");
    assert!(r["total_count"].is_u64());
    assert!(r["stockin_list"].is_array());

    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&vector_3)
        .finish();
    let response = client()
        .post(format!("{}?{query}", url(&sandbox)))
        .send()
        .await
        .unwrap();
    let v: Value = response.json().await.unwrap();
    assert_eq!(v["response"]["errorcode"], 0, "{v}");
}

#[tokio::test]
async fn gateway_errors_as_error_response() {
    let sandbox = start(vector_config()).await;
    let vector_3 = vectors().vector_3;
    let sign = &vector_3.sign;
    let mut fields = vector_3.signed_form();
    fields.last_mut().unwrap().1 = format!("{}6", &sign[..sign.len() - 1]);
    let v = post_form(&url(&sandbox), &fields).await;
    let e = &v["error_response"];
    assert_eq!(e["code"], 25, "{v}");
    assert_eq!(e["msg"], "Invalid signature");
    assert_eq!(e["sub_code"], "isv.invalid-signature");

    // A lowercase sign is the same hex: accepted.
    let mut fields = vector_3.signed_form();
    fields.last_mut().unwrap().1 = sign.to_lowercase();
    assert_eq!(
        post_form(&url(&sandbox), &fields).await["response"]["errorcode"],
        0
    );

    let ts = "2024-01-02 10:00:00";
    let mut fields = qimen_fields(ts, &[("sid", "apidevnew2")], "qimensecret");
    fields[1].1 = "99999999".into();
    assert_eq!(
        post_form(&url(&sandbox), &fields).await["error_response"]["code"],
        29
    );

    let stale = qimen_fields(
        "2024-01-02 09:50:00",
        &[("sid", "apidevnew2")],
        "qimensecret",
    );
    assert_eq!(
        post_form(&url(&sandbox), &stale).await["error_response"]["code"],
        31
    );

    let mut other = qimen_fields(ts, &[("sid", "apidevnew2")], "qimensecret");
    other[0].1 = "wdt.trade.query".into();
    let pairs: Vec<(&str, &str)> = other[..other.len() - 1]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let s = duijie_runtime::vendors::sign::top_md5_sign(&pairs, "qimensecret", None);
    other.last_mut().unwrap().1 = s;
    assert_eq!(
        post_form(&url(&sandbox), &other).await["error_response"]["code"],
        22
    );
}

#[tokio::test]
async fn gateway_errors_as_flag_failure() {
    let mut cfg = vector_config();
    cfg.qimen.error_style = QimenErrorStyle::FlagFailure;
    let sandbox = start(cfg).await;
    let fields = qimen_fields(
        "2024-01-02 10:00:00",
        &[("sid", "apidevnew2")],
        "wrongsecret",
    );
    let v = post_form(&url(&sandbox), &fields).await;
    assert_eq!(v["response"]["flag"], "failure", "{v}");
    assert_eq!(v["response"]["code"], "sign-check-failure");
    assert!(v["response"]["message"].is_string());
}

#[tokio::test]
async fn business_errors_in_the_envelope() {
    let mut cfg = vector_config();
    cfg.qimen.max_page_size = 30;
    let sandbox = start(cfg).await;
    let ts = "2024-01-02 10:00:00";
    let window = [
        ("start_time", "2024-01-01 00:00:00"),
        ("end_time", "2024-01-02 00:00:00"),
    ];

    let v = post_form(&url(&sandbox), &qimen_fields(ts, &window, "qimensecret")).await;
    assert_eq!(v["response"]["errorcode"], 1000, "{v}");
    assert!(v["response"]["message"].as_str().unwrap().contains("sid"));

    let v = post_form(
        &url(&sandbox),
        &qimen_fields(ts, &[("sid", "other"), window[0], window[1]], "qimensecret"),
    )
    .await;
    assert_eq!(v["response"]["errorcode"], 1011, "{v}");

    let v = post_form(
        &url(&sandbox),
        &qimen_fields(
            ts,
            &[
                ("sid", "apidevnew2"),
                window[0],
                window[1],
                ("page_size", "31"),
            ],
            "qimensecret",
        ),
    )
    .await;
    assert_eq!(v["response"]["errorcode"], 1001, "{v}");

    let v = post_form(
        &url(&sandbox),
        &qimen_fields(
            ts,
            &[
                ("sid", "apidevnew2"),
                ("start_time", "2023-11-01 00:00:00"),
                window[1],
            ],
            "qimensecret",
        ),
    )
    .await;
    assert_eq!(v["response"]["errorcode"], 1001, "{v}");
}

#[tokio::test]
async fn same_stockins_as_openapi2() {
    let sandbox = start(config()).await;
    let window = [
        ("start_time", "2024-01-15 00:00:00"),
        ("end_time", "2024-01-31 00:00:00"),
    ];
    let ts = "2024-01-31 00:00:00";
    let mut business = vec![
        ("sid", "apidevnew2"),
        window[0],
        window[1],
        ("page_no", "1"),
        ("page_size", "20"),
    ];
    let q = post_form(&url(&sandbox), &qimen_fields(ts, &business, "qimensecret")).await;
    business.remove(0);
    let w = wdt(&sandbox, "stockin_order_query", &business).await;
    assert_eq!(q["response"]["total_count"], w["total_count"]);
    assert_eq!(q["response"]["stockin_list"], w["stockin_list"]);
    assert_eq!(w["stockin_list"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn rate_limit_fault_is_a_gateway_error() {
    let sandbox = start(config()).await;
    sandbox.control().set_faults(
        Service::Qimen,
        FaultConfig {
            rate_limit: 1.0,
            ..FaultConfig::default()
        },
    );
    let fields = qimen_fields(
        "2024-01-31 00:00:00",
        &[("sid", "apidevnew2")],
        "qimensecret",
    );
    let v = post_form(&url(&sandbox), &fields).await;
    assert_eq!(
        v["error_response"]["sub_code"], "isv.api-call-limited",
        "{v}"
    );
}
