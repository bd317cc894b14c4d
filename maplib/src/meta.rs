//! Scheme metadata: what the sync engine needs to know about a scheme to run
//! it, taken from the `.map` header and the API specs at compile time.

use serde::{Deserialize, Serialize};

/// Everything about a scheme except the mapping itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeMeta {
    /// The scheme's name (`scheme NAME` in the `.map` file).
    pub name: String,
    /// A human title, if the file gives one.
    pub title: Option<String>,
    /// The `.map` file, relative to the project root.
    pub file: String,
    /// Where records come from.
    pub source: SourceMeta,
    /// Where bills go.
    pub target: TargetMeta,
    /// Dotted path of the source field that identifies a record (dedup,
    /// idempotent writes), e.g. `purchase_no`.
    pub id_field: String,
    /// Dotted path of the source field holding the business number.
    pub number_field: String,
    /// The target field that carries the business number (`FBillNo`), used
    /// to verify a bill in the target before sending it again.
    pub number_target: Option<String>,
    /// The scheme's lookups of master data, in declaration order.
    #[serde(default)]
    pub lookups: Vec<crate::LookupMeta>,
}

/// The source query API and the request the scheme sends to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Connector kind: `wdt` (旺店通·企业版 openapi2) or `wdtqm` (企业奇门).
    pub system: String,
    /// API name (`purchase_order_query`) or Qimen method (`wdt.stockin.order.query`).
    pub api: String,
    /// Key of the response array holding the records (`purchase_list`).
    pub list_key: String,
    /// Request parameters in `.map` order.
    pub params: Vec<ParamMeta>,
    /// Paging parameter names and limits.
    pub page_no_param: String,
    pub page_size_param: String,
    /// Number of the first page (0 for WDT).
    pub first_page: u32,
    pub default_page_size: u32,
    pub max_page_size: u32,
    /// The modified-time window, when the API has one.
    pub window: Option<WindowMeta>,
}

/// How the API filters by modified time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowMeta {
    pub start_param: String,
    pub end_param: String,
    /// Longest span one request may ask for, in seconds (0: no limit).
    pub max_secs: u64,
    /// chrono format of the window's date-times, e.g. `%Y-%m-%d %H:%M:%S`.
    pub format: String,
    /// The zone the API's times are written in, seconds east of UTC
    /// (28800 for UTC+8), whatever the host's zone is.
    pub utc_offset_secs: i32,
}

/// One request parameter and what it is bound to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamMeta {
    pub name: String,
    pub value: ParamValue,
}

/// What a request parameter is bound to in the `.map` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ParamValue {
    /// A constant, sent as written.
    Const(String),
    /// The start of the window being read (the watermark, less the overlap).
    LastSyncTime,
    /// The end of the window being read.
    CurrentTime,
    /// The start of the day `n` days before now, for backfills.
    DaysAgo(u32),
    /// The page size the engine uses.
    PageSize,
    /// The page being read.
    PageNo,
}

/// The target write operation and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetMeta {
    /// Connector kind: `kingdee`.
    pub system: String,
    /// `BatchSave` or `Save`.
    pub operation: String,
    /// Kingdee form id, e.g. `PUR_PurchaseOrder`.
    pub form_id: String,
    /// Operation options in `.map` order (IsAutoSubmitAndAudit, …), as JSON values.
    pub options: Vec<(String, serde_json::Value)>,
}

impl TargetMeta {
    /// Whether bills are written one a call (`Save`) rather than in batches
    /// (`BatchSave`): the writer's batch size and the request bodies follow.
    pub fn saves_one_by_one(&self) -> bool {
        self.operation.eq_ignore_ascii_case("Save")
    }
}
