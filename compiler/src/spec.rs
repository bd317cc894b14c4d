//! API specs: the fields of every source API and target form, loaded from the
//! TOML files in `specs/` (documented in `specs/README.md`).
//!
//! A spec file is data: adding an API means adding a file. The files are
//! flat tables of rows with dotted names (`details_list.num`); loading builds
//! the tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod overlay;
pub use overlay::{Explanation, Override};

/// What a field holds, by meaning (WDT sends most of these as strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Decimal,
    Integer,
    Bool,
    Datetime,
    Date,
    Object,
    Array,
    List,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Decimal => "decimal",
            FieldType::Integer => "integer",
            FieldType::Bool => "bool",
            FieldType::Datetime => "datetime",
            FieldType::Date => "date",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::List => "list",
        }
    }

    /// Whether the field contains other fields.
    pub fn is_composite(self) -> bool {
        matches!(self, FieldType::Object | FieldType::Array)
    }
}

/// One field (or request parameter, or option) of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's own name (the last segment of its dotted path).
    pub name: String,
    /// The dotted path from the top of the record.
    pub path: String,
    /// 中文 label.
    pub label: String,
    pub ty: FieldType,
    pub required: bool,
    /// How the vendor sends it (`string` or `number`), when the spec says.
    pub wire: Option<String>,
    /// chrono format overriding the spec's `datetime_format`.
    pub format: Option<String>,
    /// Kingdee base-data form of a lookup object.
    pub base_data: Option<String>,
    /// Allowed values.
    pub values: Vec<String>,
    pub note: Option<String>,
    /// Default of an operation option, as TOML text.
    pub default: Option<toml::Value>,
    /// `connection` for a request parameter the connector fills in from the
    /// connection's settings (Qimen's `sid`): a `.map` need not bind it.
    pub supplied_by: Option<String>,
    /// Child fields of an object or array, in spec order.
    pub children: Vec<Field>,
}

impl Field {
    /// The child named `name`.
    pub fn child(&self, name: &str) -> Option<&Field> {
        self.children.iter().find(|f| f.name == name)
    }
}

/// Find a field among `fields` by name.
pub fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == name)
}

/// Paging of a source API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub page_no: String,
    pub page_size: String,
    #[serde(default)]
    pub first_page: u32,
    pub default_size: u32,
    pub max_size: u32,
}

/// The modified-time window of a source API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: String,
    pub end: String,
    /// The longest span in whole days (`max_days = 30`), or
    #[serde(default)]
    pub max_days: Option<u32>,
    /// in any unit (`max_span = "60m"`: `s`, `m`, `h` or `d`); one of the two.
    #[serde(default)]
    pub max_span: Option<String>,
}

impl Window {
    /// The longest span, in seconds (0: no limit). Checked when the spec
    /// is loaded ([`Window::check`]).
    pub fn max_secs(&self) -> u64 {
        match (&self.max_days, &self.max_span) {
            (Some(days), _) => u64::from(*days) * 86_400,
            (None, Some(span)) => parse_span(span).unwrap_or(0),
            (None, None) => 0,
        }
    }

    fn check(&self) -> Result<(), String> {
        match (&self.max_days, &self.max_span) {
            (Some(_), Some(_)) => Err("`window`: give `max_days` or `max_span`, not both".into()),
            (None, None) => Err(
                "`window` needs the longest span a request may ask for: `max_days = 30` or `max_span = \"60m\"`".into(),
            ),
            (None, Some(span)) => parse_span(span).map(|_| ()).ok_or_else(|| {
                format!("`window`: `max_span = {span:?}` is not a span: write a whole number and a unit, `90s`, `60m`, `12h` or `30d`")
            }),
            (Some(_), None) => Ok(()),
        }
    }
}

/// `60m` → 3600: a whole number above 0 and one of `s`, `m`, `h`, `d`.
fn parse_span(text: &str) -> Option<u64> {
    let unit = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    if n == 0 {
        return None;
    }
    n.checked_mul(unit)
}

/// A source query API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSpec {
    pub system: String,
    pub api: String,
    pub label: String,
    pub list_key: String,
    pub zone: String,
    pub datetime_format: String,
    pub paging: Paging,
    pub window: Option<Window>,
    pub request: Vec<Field>,
    pub response: Vec<Field>,
    /// The file it came from (for messages).
    pub file: String,
}

/// A target form (Kingdee 业务对象).
#[derive(Debug, Clone, PartialEq)]
pub struct FormSpec {
    pub system: String,
    pub form: String,
    pub label: String,
    pub number_field: Option<String>,
    pub zone: String,
    pub datetime_format: String,
    pub fields: Vec<Field>,
    /// The field keys `ExecuteBillQuery` answers for a lookup of this form
    /// (`lookup m = kingdee BD_MATERIAL by FNumber`), flat and dotted as the
    /// query names them (`FBaseUnitId.FNumber`). Empty: the form cannot be
    /// looked up.
    pub query_fields: Vec<QueryField>,
    /// The form's internal id (`FMATERIALID`), for lookups.
    pub id_field: Option<String>,
    /// The field of the last change (`FModifyDate`), for lookups.
    pub modify_field: String,
    pub file: String,
}

/// One field key of a form's query (see [`FormSpec::query_fields`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryField {
    /// The field key, e.g. `FNumber` or `FBaseUnitId.FNumber`.
    pub name: String,
    /// 中文 label.
    pub label: String,
    /// `string`, `integer`, `decimal` or `bool`.
    pub ty: FieldType,
    /// Every usable row has a value.
    pub required: bool,
}

/// A target write operation and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationSpec {
    pub system: String,
    pub operation: String,
    pub label: String,
    pub options: Vec<Field>,
    pub file: String,
}

/// Why a spec file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// All specs known to a check or a build.
#[derive(Debug, Clone, Default)]
pub struct Specs {
    apis: BTreeMap<(String, String), ApiSpec>,
    forms: BTreeMap<(String, String), FormSpec>,
    operations: BTreeMap<(String, String), OperationSpec>,
    /// Every file read, for `rerun-if-changed`.
    files: Vec<PathBuf>,
    /// What the project's own spec directories changed.
    overlay: overlay::Layers,
}

/// The spec files of this repository, compiled into the binary, so that
/// `duijie check` works anywhere. Paths are relative to `specs/`.
pub const EMBEDDED: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/embedded_specs.rs"));

impl Specs {
    /// The specs compiled into the binary.
    pub fn embedded() -> Result<Specs, SpecError> {
        let mut specs = Specs::default();
        for (name, text) in EMBEDDED {
            specs.add_text(&format!("specs/{name}"), text)?;
        }
        Ok(specs)
    }

    /// Loads every `*.toml` file under `dir` (recursively), in path order.
    pub fn load_dir(dir: &Path) -> Result<Specs, SpecError> {
        let mut specs = Specs::default();
        specs.add_dir(dir)?;
        Ok(specs)
    }

    /// Adds every `*.toml` file under `dir` (recursively), in path order; a
    /// later file may add APIs and forms.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), SpecError> {
        let mut files = Vec::new();
        collect_toml(dir, &mut files)?;
        files.sort();
        let specs = self;
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|source| SpecError::Io {
                path: file.display().to_string(),
                source,
            })?;
            specs.add_text(&file.display().to_string(), &text)?;
            specs.files.push(file);
        }
        Ok(())
    }

    /// Adds one spec file's text; `path` names it in errors.
    pub fn add_text(&mut self, path: &str, text: &str) -> Result<(), SpecError> {
        let raw: RawSpec = toml::from_str(text).map_err(|e| SpecError::Invalid {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| SpecError::Invalid {
            path: path.to_string(),
            message,
        };
        check_times(path, text, &raw)?;
        if let Some(w) = &raw.window {
            w.check().map_err(invalid)?;
        }
        let zone = |z: &Option<toml::Spanned<String>>| {
            z.as_ref()
                .map_or_else(|| "+08:00".to_string(), |z| z.get_ref().clone())
        };
        let datetime_format = |f: &Option<toml::Spanned<String>>| {
            f.as_ref()
                .map_or_else(|| "%Y-%m-%d %H:%M:%S".to_string(), |f| f.get_ref().clone())
        };
        match raw.role.as_str() {
            "source" => {
                let api = raw
                    .api
                    .ok_or_else(|| invalid("a source spec needs `api`".into()))?;
                let spec = ApiSpec {
                    system: raw.system.clone(),
                    label: raw.label,
                    list_key: raw
                        .list_key
                        .ok_or_else(|| invalid("a source spec needs `list_key`".into()))?,
                    zone: zone(&raw.zone),
                    datetime_format: datetime_format(&raw.datetime_format),
                    paging: raw
                        .paging
                        .ok_or_else(|| invalid("a source spec needs `paging`".into()))?,
                    window: raw.window,
                    request: build_tree(raw.request).map_err(invalid)?,
                    response: build_tree(raw.response).map_err(invalid)?,
                    file: path.to_string(),
                    api: api.clone(),
                };
                self.apis.insert((raw.system, api), spec);
            }
            "target" => {
                let form = raw
                    .form
                    .ok_or_else(|| invalid("a target spec needs `form`".into()))?;
                let spec = FormSpec {
                    system: raw.system.clone(),
                    form: form.clone(),
                    label: raw.label,
                    number_field: raw.number_field,
                    zone: zone(&raw.zone),
                    datetime_format: datetime_format(&raw.datetime_format),
                    fields: build_tree(raw.fields).map_err(invalid)?,
                    query_fields: query_fields(raw.query_fields).map_err(invalid)?,
                    id_field: raw.id_field,
                    modify_field: raw
                        .modify_field
                        .unwrap_or_else(|| "FModifyDate".to_string()),
                    file: path.to_string(),
                };
                if !spec.query_fields.is_empty() && spec.id_field.is_none() {
                    return Err(invalid(
                        "a form with `query_fields` needs `id_field` (its internal id, e.g. `FMATERIALID`)"
                            .into(),
                    ));
                }
                self.forms.insert((raw.system, form), spec);
            }
            "operation" => {
                let operation = raw
                    .operation
                    .ok_or_else(|| invalid("an operation spec needs `operation`".into()))?;
                let spec = OperationSpec {
                    system: raw.system.clone(),
                    operation: operation.clone(),
                    label: raw.label,
                    options: build_tree(raw.options).map_err(invalid)?,
                    file: path.to_string(),
                };
                self.operations.insert((raw.system, operation), spec);
            }
            other => {
                return Err(invalid(format!(
                    "unknown role `{other}` (expected source, target or operation)"
                )))
            }
        }
        Ok(())
    }

    pub fn api(&self, system: &str, api: &str) -> Option<&ApiSpec> {
        self.apis.get(&(system.to_string(), api.to_string()))
    }

    pub fn form(&self, system: &str, form: &str) -> Option<&FormSpec> {
        self.forms.get(&(system.to_string(), form.to_string()))
    }

    pub fn operation(&self, system: &str, operation: &str) -> Option<&OperationSpec> {
        self.operations
            .get(&(system.to_string(), operation.to_string()))
    }

    pub fn apis(&self) -> impl Iterator<Item = &ApiSpec> {
        self.apis.values()
    }

    pub fn forms(&self) -> impl Iterator<Item = &FormSpec> {
        self.forms.values()
    }

    pub fn operations(&self) -> impl Iterator<Item = &OperationSpec> {
        self.operations.values()
    }

    /// The files loaded by [`Specs::load_dir`].
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Every system (connector) any spec names.
    pub fn systems(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .apis
            .keys()
            .chain(self.forms.keys())
            .chain(self.operations.keys())
            .map(|(s, _)| s.as_str())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SpecError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SpecError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| SpecError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    system: String,
    role: String,
    #[serde(default)]
    label: String,
    api: Option<String>,
    form: Option<String>,
    operation: Option<String>,
    list_key: Option<String>,
    number_field: Option<String>,
    zone: Option<toml::Spanned<String>>,
    datetime_format: Option<toml::Spanned<String>>,
    paging: Option<Paging>,
    window: Option<Window>,
    #[serde(default)]
    request: Vec<RawField>,
    #[serde(default)]
    response: Vec<RawField>,
    #[serde(default)]
    fields: Vec<RawField>,
    #[serde(default)]
    options: Vec<RawField>,
    #[serde(default)]
    query_fields: Vec<RawField>,
    id_field: Option<String>,
    modify_field: Option<String>,
    /// Free text for readers of the file.
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(default)]
    label: String,
    #[serde(rename = "type")]
    ty: FieldType,
    #[serde(default)]
    required: bool,
    wire: Option<String>,
    format: Option<toml::Spanned<String>>,
    base_data: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    note: Option<String>,
    default: Option<toml::Value>,
    supplied_by: Option<String>,
}

/// Checks the zone and the date-time formats of a spec when it is loaded
/// (rather than when a record is read): an error names the value's line and
/// column.
fn check_times(path: &str, text: &str, raw: &RawSpec) -> Result<(), SpecError> {
    let at = |span: std::ops::Range<usize>, message: String| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before, |i| &before[i + 1..])
            .chars()
            .count()
            + 1;
        SpecError::Invalid {
            path: format!("{path}:{line}:{col}"),
            message,
        }
    };
    if let Some(zone) = &raw.zone {
        if crate::check::parse_offset(zone.get_ref()).is_none() {
            return Err(at(
                zone.span(),
                format!(
                    "`zone = {:?}` is not a zone: write a UTC offset (`+08:00`, `-05:00`) or one of `UTC`, `Asia/Shanghai`, `Asia/Hong_Kong`, `Asia/Taipei`, `Asia/Singapore`",
                    zone.get_ref()
                ),
            ));
        }
    }
    // A source reads its date-times, so its formats must read back what
    // they write; a target only writes them.
    let source = raw.role == "source";
    if let Some(f) = &raw.datetime_format {
        let checked = if source {
            duijie_maplib::time::check_datetime_format(f.get_ref())
        } else {
            duijie_maplib::check_format(f.get_ref())
        };
        checked.map_err(|e| at(f.span(), format!("`datetime_format`: {e}")))?;
    }
    let rows = [&raw.request, &raw.response, &raw.fields, &raw.options];
    for (i, row) in rows.iter().flat_map(|r| r.iter()).enumerate() {
        let Some(f) = &row.format else {
            continue;
        };
        let read = source && i >= raw.request.len();
        let checked = match row.ty {
            FieldType::Date if read => duijie_maplib::time::check_date_format(f.get_ref()),
            FieldType::Datetime if read => duijie_maplib::time::check_datetime_format(f.get_ref()),
            _ => duijie_maplib::check_format(f.get_ref()),
        };
        checked.map_err(|e| {
            at(
                f.span(),
                format!("field `{}`: `format`: {e}", row.name.trim()),
            )
        })?;
    }
    Ok(())
}

/// Builds the field tree from flat rows with dotted names.
/// The query fields of a form: flat keys of scalar types, each once.
fn query_fields(rows: Vec<RawField>) -> Result<Vec<QueryField>, String> {
    let mut out: Vec<QueryField> = Vec::new();
    for row in rows {
        let name = row.name.trim().to_string();
        if name.is_empty() || name.split('.').any(str::is_empty) {
            return Err(format!("query field `{name}`: empty segment in the name"));
        }
        if !matches!(
            row.ty,
            FieldType::String | FieldType::Integer | FieldType::Decimal | FieldType::Bool
        ) {
            return Err(format!(
                "query field `{name}`: type `{}`; a lookup reads string, integer, decimal or bool fields",
                row.ty.name()
            ));
        }
        if out.iter().any(|f| f.name == name) {
            return Err(format!("query field `{name}` is listed twice"));
        }
        out.push(QueryField {
            name,
            label: row.label,
            ty: row.ty,
            required: row.required,
        });
    }
    Ok(out)
}

fn build_tree(rows: Vec<RawField>) -> Result<Vec<Field>, String> {
    let mut top: Vec<Field> = Vec::new();
    for row in rows {
        let path = row.name.trim().to_string();
        let segments: Vec<&str> = path.split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("field `{path}`: empty segment in the name"));
        }
        let (parents, leaf) = segments.split_at(segments.len() - 1);
        let mut level = &mut top;
        let mut walked = String::new();
        for parent in parents {
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(parent);
            let Some(idx) = level.iter().position(|f| f.name == *parent) else {
                return Err(format!(
                    "field `{path}` comes before (or without) its parent `{walked}`"
                ));
            };
            let node = &mut level[idx];
            if !node.ty.is_composite() {
                return Err(format!(
                    "field `{path}`: its parent `{walked}` is a {}, not an object or array",
                    node.ty.name()
                ));
            }
            level = &mut node.children;
        }
        if level.iter().any(|f| f.name == leaf[0]) {
            return Err(format!("field `{path}` is listed twice"));
        }
        level.push(Field {
            name: leaf[0].to_string(),
            path: path.clone(),
            label: row.label,
            ty: row.ty,
            required: row.required,
            wire: row.wire,
            format: row.format.map(toml::Spanned::into_inner),
            base_data: row.base_data,
            values: row.values,
            note: row.note,
            default: row.default,
            supplied_by: row.supplied_by,
            children: Vec::new(),
        });
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = r#"
system = "wdt"
api = "purchase_order_query"
label = "查询采购单"
role = "source"
list_key = "purchase_list"
paging = { page_no = "page_no", page_size = "page_size", first_page = 0, default_size = 40, max_size = 100 }
window = { start = "start_time", end = "end_time", max_days = 30 }
request = [ { name = "start_time", label = "开始时间", type = "datetime" } ]
response = [
  { name = "purchase_no", label = "采购单号", type = "string", required = true },
  { name = "details_list", label = "明细", type = "array" },
  { name = "details_list.num", label = "数量", type = "decimal", wire = "string" },
]
"#;

    /// A window limit in any unit reaches the scheme's meta in seconds.
    #[test]
    fn window_limits_in_days_or_any_unit() {
        let w = |days: Option<u32>, span: Option<&str>| Window {
            start: "s".into(),
            end: "e".into(),
            max_days: days,
            max_span: span.map(String::from),
        };
        assert_eq!(w(Some(30), None).max_secs(), 30 * 86_400);
        assert_eq!(w(None, Some("60m")).max_secs(), 3_600);
        assert_eq!(w(None, Some("90s")).max_secs(), 90);
        assert_eq!(w(None, Some("12h")).max_secs(), 43_200);
        for bad in ["60", "m", "0m", "-5m", "1.5h", "60 m", "60M"] {
            assert!(w(None, Some(bad)).check().is_err(), "{bad}");
        }
        assert!(w(None, None).check().is_err());
        assert!(w(Some(1), Some("1d")).check().is_err());
    }

    #[test]
    fn builds_the_tree_from_dotted_rows() {
        let mut specs = Specs::default();
        specs.add_text("t.toml", API).unwrap();
        let api = specs.api("wdt", "purchase_order_query").unwrap();
        assert_eq!(api.zone, "+08:00");
        let details = find(&api.response, "details_list").unwrap();
        assert_eq!(details.ty, FieldType::Array);
        let num = details.child("num").unwrap();
        assert_eq!(num.path, "details_list.num");
        assert_eq!(num.ty, FieldType::Decimal);
        assert_eq!(num.label, "数量");
    }

    #[test]
    fn rejects_a_child_before_its_parent() {
        let text = API.replace(
            "{ name = \"details_list\", label = \"明细\", type = \"array\" },\n",
            "",
        );
        let mut specs = Specs::default();
        let err = specs.add_text("t.toml", &text).unwrap_err().to_string();
        assert!(
            err.contains("before (or without) its parent `details_list`"),
            "{err}"
        );
    }

    #[test]
    fn rejects_duplicates_and_unknown_keys() {
        let dup = API.replace(
            "{ name = \"details_list\", label",
            "{ name = \"purchase_no\", label = \"x\", type = \"string\" },\n  { name = \"details_list\", label",
        );
        let mut specs = Specs::default();
        let err = specs.add_text("t.toml", &dup).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
        let unknown = API.replace("list_key", "listkey");
        let err = Specs::default()
            .add_text("t.toml", &unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("listkey"), "{err}");
    }

    #[test]
    fn the_embedded_specs_load() {
        let specs = Specs::embedded().unwrap();
        assert_eq!(
            specs.apis().count() + specs.forms().count() + specs.operations().count(),
            EMBEDDED.len()
        );
    }
}
