//! The signing test vectors of shared/protocols.md §1–3 (`sign_vectors.json`
//! beside this file), for the tests of the runtime's signing and clients and
//! of the sandbox, which must all reproduce them exactly. A test crate takes
//! this module with `#[path = "…/testdata/sign_vectors.rs"] mod vectors;`.
#![allow(dead_code)]

use serde::Deserialize;

/// Parameters as `(name, value)`, in protocols.md's order.
pub type Pairs = Vec<(String, String)>;

/// Every vector.
#[derive(Debug, Deserialize)]
pub struct Vectors {
    /// 旺店通 openapi2.
    pub vector_1: Vector,
    /// Vector 1 with one Chinese value.
    pub vector_2: ChineseValue,
    /// 旺店通 through the Qimen gateway (Taobao TOP MD5).
    pub vector_3: Vector,
    /// 金蝶's signed headers.
    pub vector_4: SignedHeaders,
    /// 金蝶's `AuthService.LoginBySign`.
    pub vector_5: LoginBySign,
}

/// One signed call.
#[derive(Debug, Deserialize)]
pub struct Vector {
    pub secret: String,
    /// The clock at the vector's `timestamp`, in unix seconds.
    pub now: i64,
    /// What a client adds to every call itself: credentials, timestamp, ….
    pub client: Pairs,
    /// The call's own parameters.
    pub query: Pairs,
    /// The text signed (before the secret), where protocols.md gives it.
    #[serde(default)]
    pub payload: Option<String>,
    pub sign: String,
}

/// Vector 2: vector 1 plus `pair`, whose value's length counts characters.
#[derive(Debug, Deserialize)]
pub struct ChineseValue {
    pub pair: (String, String),
    /// The piece of the signed text `pair` gives.
    pub segment: String,
    pub sign: String,
    /// What a port counting bytes computes, and a correct server rejects.
    pub byte_counting_sign: String,
}

/// Vector 4: the headers of one signed 金蝶 request.
#[derive(Debug, Deserialize)]
pub struct SignedHeaders {
    pub app_id: String,
    pub app_secret: String,
    pub acct_id: String,
    pub user: String,
    pub lcid: u32,
    pub org: String,
    /// The clock at `x-api-timestamp` (also the nonce), in unix seconds.
    pub now: i64,
    /// The URL called.
    pub url: String,
    /// The secret derived from `app_id`.
    pub client_sec: String,
    /// `X-Kd-Appdata` before base64.
    pub app_data: String,
    /// Every header signed mode sends, in protocols.md's order.
    pub headers: Pairs,
}

/// Vector 5: a LoginBySign call.
#[derive(Debug, Deserialize)]
pub struct LoginBySign {
    pub acct_id: String,
    pub user: String,
    pub app_id: String,
    pub app_secret: String,
    pub timestamp: String,
    pub lcid: u32,
    pub sign: String,
}

/// The vectors, read from `sign_vectors.json`.
pub fn vectors() -> Vectors {
    serde_json::from_str(include_str!("sign_vectors.json")).expect("testdata/sign_vectors.json")
}

/// Borrowed pairs, as the signing functions take them.
pub fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

impl Vector {
    /// Every parameter signed: the client's, then the call's.
    pub fn pairs(&self) -> Pairs {
        self.client.iter().chain(&self.query).cloned().collect()
    }

    /// Every parameter, then `sign`: the form a server accepts.
    pub fn signed_form(&self) -> Pairs {
        let mut form = self.pairs();
        form.push(("sign".to_owned(), self.sign.clone()));
        form
    }

    /// The value of one of the client's parameters.
    pub fn client_value(&self, name: &str) -> &str {
        self.client
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no client parameter {name}"))
    }
}

impl ChineseValue {
    /// Every parameter signed: vector 1's, then `pair`.
    pub fn pairs(&self, vector_1: &Vector) -> Pairs {
        let mut pairs = vector_1.pairs();
        pairs.push(self.pair.clone());
        pairs
    }

    /// Every parameter, then `sign` as given.
    pub fn form_signed(&self, vector_1: &Vector, sign: &str) -> Pairs {
        let mut form = self.pairs(vector_1);
        form.push(("sign".to_owned(), sign.to_owned()));
        form
    }
}

impl SignedHeaders {
    /// The URL's path: from the first `/` after the host.
    pub fn path(&self) -> &str {
        let host_and_path = self
            .url
            .split_once("://")
            .map_or(&*self.url, |(_, rest)| rest);
        host_and_path.find('/').map_or("/", |i| &host_and_path[i..])
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no header {name}"))
    }
}

impl LoginBySign {
    /// The request body: `{"parameters":[acctId, userName, appId, timestamp, sign, lcid]}`.
    pub fn body(&self) -> serde_json::Value {
        self.body_signed(&self.sign)
    }

    /// The same body with another `sign`.
    pub fn body_signed(&self, sign: &str) -> serde_json::Value {
        serde_json::json!({"parameters": [
            self.acct_id, self.user, self.app_id, self.timestamp, sign, self.lcid
        ]})
    }
}
