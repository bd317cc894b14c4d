//! 旺店通 openapi2 over loopback HTTP: the protocol vectors, the vendor's
//! error shapes, paging, determinism, moving data, rate limit and faults.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use duijie_sandbox::{DocKind, FaultConfig, Sandbox, SandboxConfig, Service};
use serde_json::Value;

#[path = "../../testdata/sign_vectors.rs"]
mod vectors;

use vectors::vectors;

/// Frozen at the timestamp of vector 1.
fn vector_config() -> SandboxConfig {
    SandboxConfig {
        fixed_now: Some(vectors().vector_1.now),
        ..config()
    }
}

/// `purchase_order_query` with the default credentials.
async fn purchases(sandbox: &Sandbox, business: &[(&str, &str)]) -> Value {
    wdt(sandbox, "purchase_order_query", business).await
}

/// `stockin_order_query` with the default credentials.
async fn stockins(sandbox: &Sandbox, business: &[(&str, &str)]) -> Value {
    wdt(sandbox, "stockin_order_query", business).await
}

fn is_error(v: &Value, code: i64) {
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 2, "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
}

#[tokio::test]
async fn protocol_vectors_1_and_2_are_accepted() {
    let sandbox = start(vector_config()).await;
    let vectors = vectors();
    let (v1, v2) = (vectors.vector_1, vectors.vector_2);
    for api in ["purchase_order_query", "stockin_order_query"] {
        let url = format!("{}/openapi2/{api}.php", sandbox.base_url());
        let v = post_form(&url, &v1.signed_form()).await;
        assert_eq!(v["code"], 0, "{v}");
        assert_eq!(v["message"], "");
        assert!(v["total_count"].is_u64());

        let v = post_form(&url, &v2.form_signed(&v1, &v2.sign)).await;
        assert_eq!(v["code"], 0, "{v}");

        // The byte-length sign of vector 2 is what a wrong port computes: rejected.
        let v = post_form(&url, &v2.form_signed(&v1, &v2.byte_counting_sign)).await;
        is_error(&v, 1020);
        assert_eq!(v["message"], "签名错误");
    }
}

#[tokio::test]
async fn bad_requests_get_the_vendor_error_shape() {
    let sandbox = start(config()).await;
    let url = format!("{}/openapi2/purchase_order_query.php", sandbox.base_url());
    let window = [
        ("start_time", "2024-01-20 00:00:00"),
        ("end_time", "2024-01-30 00:00:00"),
    ];

    // Wrong secret.
    let v = post_form(&url, &wdt_fields(&sandbox, &window, "54321")).await;
    is_error(&v, 1020);

    // Stale timestamp (6 minutes old).
    let mut fields = owned(&[("sid", "apidevnew2"), ("appkey", "rhsw02")]);
    fields.push(("timestamp".into(), (ANCHOR - 360).to_string()));
    fields.extend(owned(&window));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let s = duijie_runtime::vendors::sign::wdt_sign(&pairs, "12345");
    fields.push(("sign".into(), s));
    let v = post_form(&url, &fields).await;
    is_error(&v, 1021);

    // page_size 101, 0 and "abc".
    for size in ["101", "0", "abc"] {
        let v = purchases(&sandbox, &[window[0], window[1], ("page_size", size)]).await;
        is_error(&v, 1001);
    }
    // page_size 100 is fine.
    let v = purchases(&sandbox, &[window[0], window[1], ("page_size", "100")]).await;
    assert_eq!(v["code"], 0);

    // A 31-day window; exactly 30 days is allowed.
    let v = purchases(
        &sandbox,
        &[
            ("start_time", "2024-01-01 00:00:00"),
            ("end_time", "2024-02-01 00:00:00"),
        ],
    )
    .await;
    is_error(&v, 1001);
    assert!(v["message"].as_str().unwrap().contains("30天"));
    let v = purchases(
        &sandbox,
        &[
            ("start_time", "2024-01-01 00:00:00"),
            ("end_time", "2024-01-31 00:00:00"),
        ],
    )
    .await;
    assert_eq!(v["code"], 0, "{v}");

    // Missing window without a bill number; malformed time; end before start.
    let v = purchases(&sandbox, &[("start_time", "2024-01-01 00:00:00")]).await;
    is_error(&v, 1000);
    let v = purchases(&sandbox, &[("start_time", "2024/01/01"), window[1]]).await;
    is_error(&v, 1001);
    let v = purchases(
        &sandbox,
        &[(window[0].0, window[1].1), (window[1].0, window[0].1)],
    )
    .await;
    is_error(&v, 1001);

    // Unknown sid, unknown appkey, missing sign, unknown API.
    let mut fields = wdt_fields(&sandbox, &window, "12345");
    fields[0].1 = "nobody".into();
    is_error(&post_form(&url, &fields).await, 1011);
    let mut fields = wdt_fields(&sandbox, &window, "12345");
    fields[1].1 = "nokey".into();
    is_error(&post_form(&url, &fields).await, 1010);
    let mut fields = wdt_fields(&sandbox, &window, "12345");
    fields.pop();
    is_error(&post_form(&url, &fields).await, 1000);
    let v = wdt(&sandbox, "trade_query", &window).await;
    is_error(&v, 1030);
}

async fn read_all(
    sandbox: &Sandbox,
    api: &str,
    list: &str,
    id: &str,
    window: [(&str, &str); 2],
    size: u32,
) -> (Vec<u64>, Vec<String>) {
    let mut totals = Vec::new();
    let mut ids = Vec::new();
    for page in 0.. {
        let page = page.to_string();
        let size = size.to_string();
        let v = wdt(
            sandbox,
            api,
            &[
                window[0],
                window[1],
                ("page_no", &page),
                ("page_size", &size),
            ],
        )
        .await;
        assert_eq!(v["code"], 0, "{v}");
        totals.push(v["total_count"].as_u64().unwrap());
        let records = v[list].as_array().unwrap();
        if records.is_empty() {
            break;
        }
        for r in records {
            ids.push(r[id].as_str().unwrap().to_owned());
        }
    }
    (totals, ids)
}

#[tokio::test]
async fn paging_totals_are_consistent_and_ordered() {
    let sandbox = start(config()).await;
    let window = [
        ("start_time", "2024-01-10 00:00:00"),
        ("end_time", "2024-01-31 00:00:00"),
    ];
    let (totals, ids) = read_all(
        &sandbox,
        "purchase_order_query",
        "purchase_list",
        "purchase_id",
        window,
        40,
    )
    .await;
    assert!(totals.iter().all(|t| *t == 300), "{totals:?}");
    assert_eq!(ids.len(), 300);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 300);

    // Modified times ascend within the answer; both window ends are inclusive.
    let v = stockins(&sandbox, &[window[0], window[1], ("page_size", "100")]).await;
    let list = v["stockin_list"].as_array().unwrap();
    let times: Vec<&str> = list
        .iter()
        .map(|r| r["modified"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let first = list[0]["modified"].as_str().unwrap();
    let v = stockins(&sandbox, &[("start_time", first), ("end_time", first)]).await;
    assert!(v["total_count"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["stockin_list"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["modified"] == first));

    // A bill number makes the window optional.
    let no = list[3]["stockin_no"].as_str().unwrap();
    let v = stockins(&sandbox, &[("stockin_no", no)]).await;
    assert_eq!(v["total_count"], 1, "{v}");
    assert_eq!(v["stockin_list"][0]["stockin_no"], no);
}

#[tokio::test]
async fn records_are_realistic_and_complete() {
    let sandbox = start(config()).await;
    let window = [
        ("start_time", "2024-01-10 00:00:00"),
        ("end_time", "2024-01-31 00:00:00"),
    ];
    for (api, spec, list) in [
        (
            "purchase_order_query",
            "purchase_order_query.toml",
            "purchase_list",
        ),
        (
            "stockin_order_query",
            "stockin_order_query.toml",
            "stockin_list",
        ),
        // stockin_order_query_refund sends numbers and a null as its
        // sample does: tests/library.rs checks its records.
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/../specs/wdt/{spec}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let spec: toml::Table = toml::from_str(&text).unwrap();
        let rows = spec["response"].as_array().unwrap();
        let v = wdt(&sandbox, api, &[window[0], window[1], ("page_size", "100")]).await;
        for record in v[list].as_array().unwrap() {
            let lines = record["details_list"].as_array().unwrap();
            assert!((1..=6).contains(&lines.len()));
            for row in rows {
                let name = row["name"].as_str().unwrap();
                let ty = row["type"].as_str().unwrap();
                let values: Vec<&Value> = match name.strip_prefix("details_list.") {
                    Some(child) => lines.iter().map(|l| &l[child]).collect(),
                    None => vec![&record[name]],
                };
                for value in values {
                    assert!(!value.is_null(), "{api}: {name} missing");
                    if ty == "array" {
                        continue;
                    }
                    let s = value
                        .as_str()
                        .unwrap_or_else(|| panic!("{api}: {name} is not a string: {value}"));
                    match ty {
                        "decimal" => {
                            let (_, frac) =
                                s.split_once('.').unwrap_or_else(|| panic!("{name}={s}"));
                            assert_eq!(frac.len(), 4, "{name}={s}");
                            s.parse::<f64>().unwrap();
                        }
                        "datetime" => assert_eq!(s.len(), 19, "{name}={s}"),
                        "integer" => {
                            s.parse::<i64>().unwrap_or_else(|_| panic!("{name}={s}"));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let po = sandbox
        .control()
        .document(DocKind::PurchaseOrder, 1)
        .unwrap();
    assert!(
        po["provider_name"].as_str().unwrap().contains("有限公司")
            || po["provider_name"].as_str().unwrap().contains("商行")
            || po["provider_name"].as_str().unwrap().contains("厂")
    );
    assert!(po["details_list"][0]["goods_name"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| c > '\u{4e00}'));
}

#[tokio::test]
async fn data_are_deterministic_for_a_seed() {
    let a = start(config()).await;
    let b = start(config()).await;
    let mut other = config();
    other.data.seed = 12;
    let c = start(other).await;
    let window = [
        ("start_time", "2024-01-10 00:00:00"),
        ("end_time", "2024-01-31 00:00:00"),
        ("page_no", "2"),
    ];
    let va = wdt(&a, "purchase_order_query", &window).await;
    let vb = wdt(&b, "purchase_order_query", &window).await;
    let vc = wdt(&c, "purchase_order_query", &window).await;
    assert_eq!(va, vb);
    assert_ne!(va, vc);
}

#[tokio::test]
async fn touched_records_move_between_pages() {
    let sandbox = start(config()).await;
    let control = sandbox.control();
    let window = [
        ("start_time", "2024-01-10 00:00:00"),
        ("end_time", "2024-01-31 00:00:00"),
    ];
    let v = purchases(&sandbox, &[window[0], window[1], ("page_size", "50")]).await;
    let first_page: Vec<u64> = v["purchase_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["purchase_id"].as_str().unwrap().parse().unwrap())
        .collect();
    // Ten records of page 0 are edited now (the window's end): they move to the last page,
    // and everything after them shifts back by ten.
    let now = chrono::DateTime::from_timestamp(ANCHOR, 0).unwrap();
    assert_eq!(
        control.touch(DocKind::PurchaseOrder, &first_page[..10], &now),
        10
    );
    let (_, rest) = read_all(
        &sandbox,
        "purchase_order_query",
        "purchase_list",
        "purchase_id",
        window,
        50,
    )
    .await;
    let mut seen: BTreeSet<String> = first_page.iter().map(u64::to_string).collect();
    let naive_second_page: Vec<&String> = rest.iter().skip(50).take(50).collect();
    seen.extend(rest.iter().skip(50).cloned());
    // A reader that pages by offset alone misses the ten records that slid onto page 0.
    assert_eq!(
        seen.len(),
        290,
        "second page starts at {naive_second_page:?}"
    );
    let moved = control
        .document(DocKind::PurchaseOrder, first_page[0])
        .unwrap();
    assert_eq!(moved["modified"], "2024-01-31 00:00:00");
    // Equal modified times are ordered by id.
    assert_eq!(
        rest.last().unwrap(),
        &first_page[..10].iter().max().unwrap().to_string()
    );

    let ids = control.touch_random(DocKind::StockIn, 4);
    assert_eq!(ids.len(), 4);
    let v = stockins(
        &sandbox,
        &[
            ("start_time", "2024-01-31 00:00:00"),
            ("end_time", "2024-01-31 00:00:00"),
        ],
    )
    .await;
    assert!(v["total_count"].as_u64().unwrap() >= 4);
}

#[tokio::test]
async fn rate_limit_answers_code_100() {
    let mut cfg = config();
    cfg.rate_limit_per_min = 2;
    let sandbox = start(cfg).await;
    let window = [
        ("start_time", "2024-01-20 00:00:00"),
        ("end_time", "2024-01-30 00:00:00"),
    ];
    assert_eq!(purchases(&sandbox, &window).await["code"], 0);
    assert_eq!(stockins(&sandbox, &window).await["code"], 0);
    let v = purchases(&sandbox, &window).await;
    is_error(&v, 100);
    assert_eq!(v["message"], "超过每分钟最大调用频率限制，请稍后重试");
    sandbox.control().set_rate_limit_per_min(0);
    assert_eq!(purchases(&sandbox, &window).await["code"], 0);
}

#[tokio::test]
async fn faults_500_drop_slow_and_rate_limit() {
    let sandbox = start(config()).await;
    let control = sandbox.control();
    let url = format!("{}/openapi2/purchase_order_query.php", sandbox.base_url());
    let window = [
        ("start_time", "2024-01-20 00:00:00"),
        ("end_time", "2024-01-30 00:00:00"),
    ];
    let fields = wdt_fields(&sandbox, &window, "12345");

    control.set_faults(
        Service::Wdt,
        FaultConfig {
            http_500: 1.0,
            ..FaultConfig::default()
        },
    );
    let r = client().post(&url).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 500);

    control.set_faults(
        Service::Wdt,
        FaultConfig {
            drop: 1.0,
            ..FaultConfig::default()
        },
    );
    let e = client().post(&url).form(&fields).send().await.unwrap_err();
    assert!(!e.is_timeout(), "{e:?}");

    control.set_faults(
        Service::Wdt,
        FaultConfig {
            slow: 1.0,
            slow_delay: Duration::from_secs(2),
            ..FaultConfig::default()
        },
    );
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = quick.post(&url).form(&fields).send().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");

    control.set_faults(
        Service::Wdt,
        FaultConfig {
            rate_limit: 1.0,
            ..FaultConfig::default()
        },
    );
    is_error(&post_form(&url, &fields).await, 100);

    control.clear_faults();
    assert_eq!(post_form(&url, &fields).await["code"], 0);
    let counts = control.fault_counts();
    assert_eq!(
        (counts.http_500, counts.drop, counts.slow, counts.rate_limit),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let sandbox = start(config()).await;
    let url = format!("{}/", sandbox.base_url());
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    sandbox.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&url).send().await.is_err());
}
