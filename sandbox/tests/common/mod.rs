//! Helpers of the sandbox's HTTP tests: a sandbox on a free loopback port and
//! plain reqwest calls to it.
#![allow(dead_code)]

use duijie_runtime::vendors::sign;
use duijie_sandbox::{DataConfig, Sandbox, SandboxConfig};
use serde_json::Value;

/// 2024-01-31 00:00:00 +08:00: the anchor of the test data.
pub const ANCHOR: i64 = 1_706_630_400;

/// A small, reproducible configuration on a free port, clock frozen at the anchor.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: DataConfig {
            seed: 11,
            purchase_orders: 300,
            stockins: 200,
            spread_days: 20,
            anchor: Some(ANCHOR),
            ..DataConfig::default()
        },
        fixed_now: Some(ANCHOR),
        ..SandboxConfig::default()
    }
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.unwrap()
}

thread_local! {
    // Building a client loads TLS roots: do it once per test thread (a
    // client belongs to the runtime of the test that made it).
    static CLIENT: reqwest::Client = reqwest::Client::builder().build().unwrap();
}

pub fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

/// POSTs form fields, returns the JSON answer.
pub async fn post_form(url: &str, fields: &[(String, String)]) -> Value {
    let response = client().post(url).form(fields).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Common openapi2 parameters plus `business`, signed with `secret`.
pub fn wdt_fields(
    sandbox: &Sandbox,
    business: &[(&str, &str)],
    secret: &str,
) -> Vec<(String, String)> {
    let ts = sandbox.control().now().to_string();
    let mut fields = owned(&[
        ("sid", "apidevnew2"),
        ("appkey", "rhsw02"),
        ("timestamp", &ts),
    ]);
    fields.extend(owned(business));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let s = sign::wdt_sign(&pairs, secret);
    fields.push(("sign".into(), s));
    fields
}

/// One openapi2 call with the default credentials.
pub async fn wdt(sandbox: &Sandbox, api: &str, business: &[(&str, &str)]) -> Value {
    let url = format!("{}/openapi2/{api}.php", sandbox.base_url());
    post_form(&url, &wdt_fields(sandbox, business, "12345")).await
}

/// Qimen system parameters plus `business`, signed with `secret`.
pub fn qimen_fields(
    timestamp: &str,
    business: &[(&str, &str)],
    secret: &str,
) -> Vec<(String, String)> {
    let mut fields = owned(&[
        ("method", "wdt.stockin.order.query"),
        ("app_key", "12345678"),
        ("target_app_key", "23456789"),
        ("sign_method", "md5"),
        ("timestamp", timestamp),
        ("format", "json"),
        ("v", "2.0"),
    ]);
    fields.extend(owned(business));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let s = sign::top_md5_sign(&pairs, secret, None);
    fields.push(("sign".into(), s));
    fields
}

/// The Kingdee URL of `service.method`.
pub fn kd_url(sandbox: &Sandbox, service_method: &str) -> String {
    format!(
        "{}/k3cloud/Kingdee.BOS.WebApi.ServicesStub.{service_method}.common.kdsvc",
        sandbox.base_url()
    )
}

/// The `set-cookie` header of an answer.
pub fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

/// Kingdee calls in one session (the `kdservice-sessionid` cookie).
pub struct Kd<'s> {
    sandbox: &'s Sandbox,
    pub session: String,
}

impl<'s> Kd<'s> {
    /// Logs in with ValidateUser.
    pub async fn login(sandbox: &'s Sandbox) -> Self {
        let body = serde_json::json!({"parameters": ["64f0c0ffee0001", "webapi", "888888", 2052]});
        let response = client()
            .post(kd_url(sandbox, "AuthService.ValidateUser"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&response);
        let v: Value = response.json().await.unwrap();
        assert_eq!(v["LoginResultType"], 1, "{v}");
        let sid = v["KDSVCSessionId"].as_str().unwrap().to_owned();
        assert!(
            cookie.starts_with(&format!("kdservice-sessionid={sid}")),
            "{cookie}"
        );
        Kd::with_session(sandbox, &sid)
    }

    /// Calls with the cookie of `session`, whether it is live or not.
    pub fn with_session(sandbox: &'s Sandbox, session: &str) -> Self {
        Kd {
            sandbox,
            session: session.to_owned(),
        }
    }

    /// `DynamicFormService.{method}` with the session cookie.
    pub async fn call(&self, method: &str, body: &Value) -> Value {
        let response = client()
            .post(kd_url(
                self.sandbox,
                &format!("DynamicFormService.{method}"),
            ))
            .header("cookie", format!("kdservice-sessionid={}", self.session))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// A purchase order that passes the form's checks.
pub fn purchase_bill(number: &str) -> Value {
    serde_json::json!({
        "FBillNo": number,
        "FDate": "2024-01-02",
        "FBillTypeID": {"FNUMBER": "CGDD01_SYS"},
        "FBusinessType": "CG",
        "FSupplierId": {"FNumber": "0003"},
        "FPurchaseOrgId": {"FNumber": "100"},
        "FPOOrderEntry": [
            {"FMaterialId": {"FNumber": "A01"}, "FQty": "10.0000", "FPrice": "5.5000", "FEntryTaxRate": 13,
             "FEntryNote": "11", "FReceiveOrgId": {"FNumber": "100"}},
            {"FMaterialId": {"FNumber": "G1001-01"}, "FQty": 2, "FTaxPrice": "33.7870", "FEntryNote": "12"}
        ]
    })
}
