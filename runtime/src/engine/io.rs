//! What the engine needs of a source and a target, as two small traits.
//!
//! The vendor clients implement them through thin adapters
//! ([`crate::vendors`], assembled by [`crate::connect`]); tests implement them with fakes. Errors are the
//! clients' [`crate::error::Error`], whose kind tells the engine what to do
//! (retry, pause, verify, give up).

use std::future::Future;
use std::pin::Pin;

use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Vendor};
use crate::state::Step;

/// A boxed future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One page of source records.
#[derive(Debug)]
pub struct SourcePage {
    /// The number of records matching the request, when the source says.
    pub total_count: Option<u64>,
    /// The records, as exact JSON text.
    pub records: Vec<Box<RawValue>>,
    /// How many of what `total_count` counts the page held, when that is
    /// not `records.len()` (旺店通 `goods_query` counts goods, each of which
    /// gives one record per spec).
    pub listed: Option<u64>,
}

impl SourcePage {
    /// The page's length in the units `total_count` counts.
    pub fn listed(&self) -> u64 {
        self.listed.unwrap_or(self.records.len() as u64)
    }
}

/// Reads pages of one query API.
pub trait Source: Send + Sync {
    /// Sends one request with these business parameters (window, paging and
    /// the scheme's constants; the client adds the common ones and signs).
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>>;
}

/// What happened to one bill of a save request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillResult {
    /// Saved; the target's id (FID).
    Saved { id: String },
    /// The target says the bill number is already used.
    Duplicate { message: String },
    /// The target rejected the bill (validation, missing base data, …).
    Rejected { message: String },
    /// Retryable for this bill alone (e.g. an edit conflict).
    Transient { message: String },
    /// The answer says nothing about this bill.
    Unknown,
    /// The answer has an error that names no bill, and does not say this
    /// bill was saved: the error may be this bill's or another's of the
    /// batch. The writer looks the bill up, and sends it again in smaller
    /// batches, alone at last, where the error is its own.
    Unattributed { message: String },
}

/// What happened to one bill of a step (Submit, Audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    /// Done, or found already done ("单据已经审核").
    Done,
    /// Refused (the target's message).
    Refused { message: String },
    /// The answer says nothing certain of this bill: try again (a step is
    /// safe to repeat).
    Unknown,
}

/// A query of the rows of a form, one page of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowsQuery {
    pub form_id: String,
    pub field_keys: Vec<String>,
    /// A filter in the target's query language (empty: every row).
    pub filter: String,
    /// A stable order, so that pages neither skip nor repeat rows.
    pub order: String,
    /// The first row of the page (0-based).
    pub start: u32,
    /// Rows per page.
    pub limit: u32,
}

/// Writes bills to one target form and finds them again by number.
pub trait Target: Send + Sync {
    /// Saves `bills` (each a `Model` object, compact JSON) in one request
    /// (BatchSave; or Save when one bill). Returns one result per bill, in
    /// order.
    fn save<'a>(
        &'a self,
        form_id: &'a str,
        bills: &'a [&'a str],
        options: &'a [(String, serde_json::Value)],
    ) -> BoxFuture<'a, Result<Vec<BillResult>, Error>>;

    /// Looks bills up by number (ExecuteBillQuery): the `(number, id)` of
    /// those that exist.
    fn find<'a>(
        &'a self,
        form_id: &'a str,
        number_field: &'a str,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, Error>>;

    /// Checks that the target answers and accepts the credentials (logs in).
    fn check(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// One page of the rows of a form (ExecuteBillQuery on master data):
    /// each row's values in `query.field_keys` order, as text (`None` for
    /// no value). Targets that cannot be queried refuse.
    fn rows<'a>(
        &'a self,
        query: &'a RowsQuery,
    ) -> BoxFuture<'a, Result<Vec<Vec<Option<String>>>, Error>> {
        Box::pin(async move {
            Err(Error::new(
                Vendor::Kingdee,
                "ExecuteBillQuery",
                ErrorKind::Permanent,
                format!(
                    "this target cannot be queried for the rows of {}",
                    query.form_id
                ),
            ))
        })
    }

    /// Runs `step` on the saved bills `ids` (target ids) in one request.
    /// Returns one result per id, in order. Targets without steps refuse.
    fn step<'a>(
        &'a self,
        form_id: &'a str,
        step: Step,
        ids: &'a [String],
        options: &'a [(String, serde_json::Value)],
    ) -> BoxFuture<'a, Result<Vec<StepResult>, Error>> {
        let _ = (form_id, ids, options);
        Box::pin(async move {
            Err(Error::new(
                Vendor::Kingdee,
                step.as_str(),
                ErrorKind::Permanent,
                "this target cannot submit or audit bills",
            ))
        })
    }
}
