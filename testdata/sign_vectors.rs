//! The signing test vectors of shared/protocols.md §1–2 (`sign_vectors.json`
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
