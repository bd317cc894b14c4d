//! Lookups of master data at run time.
//!
//! Each lookup a scheme declares (`lookup material = kingdee BD_MATERIAL by
//! FNumber`) is served from a cache in the state store, one per form and key
//! field, shared by every scheme that uses it. A refresh reads the form's
//! rows from the target page by page (`ExecuteBillQuery`, ordered by the
//! internal id, `StartRow`/`Limit`), only the fields the schemes read, and
//! only the rows changed since the newest modify date it saw before (a full
//! refresh reads every row and drops those gone). Rows that are not
//! audited or are forbidden leave the cache: bills that name them would be
//! refused. The mapping reads one key at a time ([`StoreLookups`]), so the
//! memory a run needs does not grow with the form.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use duijie_maplib::{Found, LookupMeta, Lookups, ValueError};
use serde_json::{Map, Value};

use crate::engine::{RowsQuery, Target};
use crate::error::Error;
use crate::state::{LookupRow, Store, StoreError};

/// Rows a refresh asks for in one call.
pub const PAGE_ROWS: u32 = 2000;

/// The status fields of every Kingdee base-data form: a row is usable when
/// audited (`C`) and not forbidden (`A`).
const STATUS: &str = "FDocumentStatus";
const FORBID: &str = "FForbidStatus";

/// What the schemes want cached of one form and key field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub form: String,
    pub label: String,
    pub by: String,
    /// The fields read from a row (the key field excluded), sorted.
    pub fields: BTreeSet<String>,
    pub id_field: String,
    pub modify_field: String,
}

/// The caches that `lookups` (of any number of schemes) need: one per form
/// and key field, with every field any of them reads.
pub fn wanted<'a>(lookups: impl IntoIterator<Item = &'a LookupMeta>) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = Vec::new();
    for l in lookups {
        let fields = l.fields.iter().filter(|f| **f != l.by).cloned();
        match out.iter_mut().find(|w| w.form == l.form && w.by == l.by) {
            Some(w) => w.fields.extend(fields),
            None => out.push(Wanted {
                form: l.form.clone(),
                label: l.label.clone(),
                by: l.by.clone(),
                fields: fields.collect(),
                id_field: l.id_field.clone(),
                modify_field: l.modify_field.clone(),
            }),
        }
    }
    out
}

/// Why a refresh stopped.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Target(#[from] Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    pub form: String,
    pub by: String,
    /// Every row was read (the first refresh, a new field, or asked for).
    pub full: bool,
    /// Rows the target answered.
    pub read: u64,
    /// Rows in the cache after it.
    pub rows: i64,
}

/// Refreshes the cache `w` from `target`: incrementally from the newest
/// modify date seen, or fully when `full`, when the cache is new, or when it
/// lacks a field now wanted. Fields other schemes read are kept.
pub async fn refresh(
    store: &Arc<dyn Store>,
    target: &dyn Target,
    w: &Wanted,
    full: bool,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Refreshed, RefreshError> {
    let cache = store.lookup_cache(&w.form, &w.by)?;
    let mut fields: BTreeSet<String> = w.fields.clone();
    let mut full = full;
    match &cache {
        Some(c) => {
            let had: BTreeSet<String> = c.fields.iter().cloned().collect();
            if !fields.is_subset(&had) {
                full = true;
            }
            fields.extend(had);
        }
        None => full = true,
    }
    // Where the last refresh stopped: its newest modify date, and the
    // highest id among the rows of that date.
    let since: Option<(String, i64)> = if full {
        None
    } else {
        cache.as_ref().and_then(|c| {
            c.modified_to
                .clone()
                .map(|t| (t, c.modified_id.unwrap_or(0)))
        })
    };
    let mut keys: Vec<String> = vec![
        w.id_field.clone(),
        w.by.clone(),
        w.modify_field.clone(),
        STATUS.to_string(),
        FORBID.to_string(),
    ];
    for f in &fields {
        if !keys.contains(f) {
            keys.push(f.clone());
        }
    }
    let at = |name: &str| keys.iter().position(|k| k == name);
    let (id_at, by_at, modify_at) = (at(&w.id_field), at(&w.by), at(&w.modify_field));
    let (status_at, forbid_at) = (at(STATUS), at(FORBID));
    let field_at: Vec<(String, Option<usize>)> =
        fields.iter().map(|f| (f.clone(), at(f))).collect();
    let started = now();
    let mut query = RowsQuery {
        form_id: w.form.clone(),
        field_keys: keys.clone(),
        filter: since
            .as_ref()
            .map(|(t, id)| {
                let t = t.replace('\'', "''");
                format!(
                    "{m} > '{t}' OR ({m} = '{t}' AND {i} > {id})",
                    m = w.modify_field,
                    i = w.id_field
                )
            })
            .unwrap_or_default(),
        order: format!("{} ASC", w.id_field),
        start: 0,
        limit: PAGE_ROWS,
    };
    let mut newest: Option<(String, i64)> = since.clone();
    let mut read = 0u64;
    loop {
        let page = target.rows(&query).await?;
        let n = page.len();
        read += n as u64;
        let mut rows = Vec::with_capacity(n);
        for row in &page {
            let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).and_then(|v| v.as_deref());
            let Some(key) = cell(by_at) else {
                continue;
            };
            let id = cell(id_at).and_then(|t| t.trim().parse::<i64>().ok());
            if let Some(m) = cell(modify_at) {
                let id = id.unwrap_or(0);
                let later = match &newest {
                    None => true,
                    Some((t, i)) => m > t.as_str() || (m == t.as_str() && id > *i),
                };
                if later {
                    newest = Some((m.to_string(), id));
                }
            }
            let usable = cell(status_at).is_none_or(|s| s == "C")
                && cell(forbid_at).is_none_or(|s| s == "A");
            let fields = usable.then(|| {
                let mut map = Map::new();
                for (name, i) in &field_at {
                    let v = cell(*i).map_or(Value::Null, |t| Value::String(t.to_string()));
                    map.insert(name.clone(), v);
                }
                Value::Object(map).to_string()
            });
            rows.push(LookupRow {
                key: key.to_string(),
                id,
                fields,
            });
        }
        let (s, form, by) = (store.clone(), w.form.clone(), w.by.clone());
        let seen = started;
        tokio::task::spawn_blocking(move || s.put_lookup_rows(&form, &by, &rows, seen))
            .await
            .map_err(|e| StoreError::Corrupt(format!("the cache writer stopped: {e}")))??;
        if (n as u32) < query.limit {
            break;
        }
        query.start = query.start.saturating_add(n as u32);
    }
    let fields: Vec<String> = fields.into_iter().collect();
    let rows = store.finish_lookup_refresh(
        &w.form,
        &w.by,
        &fields,
        full,
        started,
        newest.as_ref().map(|(t, i)| (t.as_str(), *i)),
        now(),
    )?;
    Ok(Refreshed {
        form: w.form.clone(),
        by: w.by.clone(),
        full,
        read,
        rows,
    })
}

/// Rows remembered between lookups of a run; cleared when full.
const MEMO_ROWS: usize = 20_000;

type Row = Option<Arc<Map<String, Value>>>;

/// The mapping's lookups, answered from the caches in the state store.
pub struct StoreLookups {
    store: Arc<dyn Store>,
    memo: Mutex<HashMap<(String, String, String), Row>>,
}

impl StoreLookups {
    pub fn new(store: Arc<dyn Store>) -> Self {
        StoreLookups {
            store,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets the rows read so far (after a refresh).
    pub fn forget(&self) {
        if let Ok(mut m) = self.memo.lock() {
            m.clear();
        }
    }

    fn row(&self, lookup: &LookupMeta, key: &str) -> Result<Row, ValueError> {
        let id = (lookup.form.clone(), lookup.by.clone(), key.to_string());
        if let Ok(m) = self.memo.lock() {
            if let Some(row) = m.get(&id) {
                return Ok(row.clone());
            }
        }
        let text = self
            .store
            .lookup_row(&lookup.form, &lookup.by, key)
            .map_err(|e| {
                ValueError::new(format!("the {} cache cannot be read: {e}", lookup.form))
            })?;
        let row = match text {
            None => None,
            Some(t) => Some(Arc::new(
                serde_json::from_str::<Map<String, Value>>(&t).map_err(|e| {
                    ValueError::new(format!(
                        "the {} cache holds a bad row for {key}: {e}",
                        lookup.form
                    ))
                })?,
            )),
        };
        if let Ok(mut m) = self.memo.lock() {
            if m.len() >= MEMO_ROWS {
                m.clear();
            }
            m.insert(id, row.clone());
        }
        Ok(row)
    }
}

impl Lookups for StoreLookups {
    fn find(&self, lookup: &LookupMeta, key: &str, field: &str) -> Result<Found, ValueError> {
        let Some(row) = self.row(lookup, key)? else {
            return Ok(Found::Missing);
        };
        if field == lookup.by {
            return Ok(Found::Value(Some(key.to_string())));
        }
        Ok(Found::Value(match row.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }))
    }
}

/// Master data from a JSON file, for the tools that map without a state
/// store (`duijie test`, the behaviour cases): `{ FORM: { KEY_FIELD: { KEY:
/// { FIELD: "text" | null, … } } } }`. A key present is a usable row.
#[derive(Debug, Clone, Default)]
pub struct MasterDataFile {
    forms: Value,
}

impl MasterDataFile {
    /// The master data of `text` (`path` names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<Self, String> {
        let forms: Value =
            serde_json::from_str(text).map_err(|e| format!("{path}: not JSON: {e}"))?;
        let shape_error = || {
            format!(
                "{path}: expected {{ FORM: {{ KEY_FIELD: {{ KEY: {{ FIELD: \"text\" }} }} }} }}"
            )
        };
        let forms_map = forms.as_object().ok_or_else(shape_error)?;
        for by in forms_map.values() {
            for keys in by.as_object().ok_or_else(shape_error)?.values() {
                for row in keys.as_object().ok_or_else(shape_error)?.values() {
                    for v in row.as_object().ok_or_else(shape_error)?.values() {
                        if !(v.is_string() || v.is_null()) {
                            return Err(format!("{path}: field values are text or null, not {v}"));
                        }
                    }
                }
            }
        }
        Ok(MasterDataFile { forms })
    }

    /// The master data of the file at `path`; `None` when there is none.
    pub fn load(path: &std::path::Path) -> Result<Option<Self>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &path.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

impl Lookups for MasterDataFile {
    fn find(&self, lookup: &LookupMeta, key: &str, field: &str) -> Result<Found, ValueError> {
        let Some(row) = self
            .forms
            .get(&lookup.form)
            .and_then(|by| by.get(&lookup.by))
            .and_then(|keys| keys.get(key))
        else {
            return Ok(Found::Missing);
        };
        if field == lookup.by {
            return Ok(Found::Value(Some(key.to_string())));
        }
        Ok(Found::Value(
            row.get(field).and_then(Value::as_str).map(str::to_string),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BillResult, BoxFuture};
    use crate::state::SqliteStore;
    use chrono::TimeZone;

    /// One material: id, number, name, modified, status, forbidden.
    type Material = (i64, String, String, String, &'static str, &'static str);

    struct Materials {
        rows: Mutex<Vec<Material>>,
        queries: Mutex<Vec<RowsQuery>>,
    }

    impl Materials {
        fn new(n: i64) -> Self {
            let rows = (1..=n)
                .map(|i| {
                    (
                        100_000 + i,
                        format!("M{i:04}"),
                        format!("物料{i}"),
                        (Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
                            + chrono::Duration::seconds(i))
                        .format("%Y-%m-%dT%H:%M:%S")
                        .to_string(),
                        "C",
                        "A",
                    )
                })
                .collect();
            Materials {
                rows: Mutex::new(rows),
                queries: Mutex::new(Vec::new()),
            }
        }
    }

    impl Target for Materials {
        fn save<'a>(
            &'a self,
            _: &'a str,
            _: &'a [&'a str],
            _: &'a [(String, Value)],
        ) -> BoxFuture<'a, Result<Vec<BillResult>, Error>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn find<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: &'a [String],
        ) -> BoxFuture<'a, Result<Vec<(String, String)>, Error>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn check(&self) -> BoxFuture<'_, Result<(), Error>> {
            Box::pin(async { Ok(()) })
        }
        fn rows<'a>(
            &'a self,
            q: &'a RowsQuery,
        ) -> BoxFuture<'a, Result<Vec<Vec<Option<String>>>, Error>> {
            Box::pin(async move {
                self.queries.lock().unwrap().push(q.clone());
                // `FModifyDate > 'T' OR (FModifyDate = 'T' AND FMATERIALID > ID)`
                let since = q.filter.strip_prefix("FModifyDate > '").and_then(|r| {
                    let (t, rest) = r.split_once('\'')?;
                    let id = rest.rsplit_once("> ")?.1.trim_end_matches(')');
                    Some((t.to_string(), id.parse::<i64>().ok()?))
                });
                let rows = self.rows.lock().unwrap();
                Ok(rows
                    .iter()
                    .filter(|r| {
                        since.as_ref().is_none_or(|(t, id)| {
                            r.3.as_str() > t.as_str() || (r.3 == *t && r.0 > *id)
                        })
                    })
                    .skip(q.start as usize)
                    .take(q.limit as usize)
                    .map(|r| {
                        q.field_keys
                            .iter()
                            .map(|k| match k.as_str() {
                                "FMATERIALID" => Some(r.0.to_string()),
                                "FNumber" => Some(r.1.clone()),
                                "FName" => Some(r.2.clone()),
                                "FModifyDate" => Some(r.3.clone()),
                                "FDocumentStatus" => Some(r.4.to_string()),
                                "FForbidStatus" => Some(r.5.to_string()),
                                _ => None,
                            })
                            .collect()
                    })
                    .collect())
            })
        }
    }

    fn material(fields: &[&str]) -> LookupMeta {
        LookupMeta {
            name: "material".into(),
            system: "kingdee".into(),
            form: "BD_MATERIAL".into(),
            label: "物料".into(),
            by: "FNumber".into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            id_field: "FMATERIALID".into(),
            modify_field: "FModifyDate".into(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
    }

    #[tokio::test]
    async fn refreshes_page_by_id_then_read_only_what_changed() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let target = Materials::new(4500);
        let w = wanted([
            &material(&["FName"]),
            &material(&["FMATERIALID", "FNumber"]),
        ]);
        assert_eq!(w.len(), 1, "one cache per form and key field");
        let w = &w[0];
        assert_eq!(
            w.fields.iter().cloned().collect::<Vec<_>>(),
            ["FMATERIALID", "FName"]
        );
        let r = refresh(&store, &target, w, false, now).await.unwrap();
        assert_eq!((r.full, r.read, r.rows), (true, 4500, 4500));
        {
            let q = target.queries.lock().unwrap();
            assert_eq!(
                q.iter().map(|q| q.start).collect::<Vec<_>>(),
                [0, 2000, 4000]
            );
            assert!(q
                .iter()
                .all(|q| q.order == "FMATERIALID ASC" && q.filter.is_empty()));
        }
        let lookups = StoreLookups::new(store.clone());
        let m = material(&["FName"]);
        assert_eq!(
            lookups.find(&m, "M0042", "FName"),
            Ok(Found::Value(Some("物料42".into())))
        );
        assert_eq!(
            lookups.find(&m, "M0042", "FMATERIALID"),
            Ok(Found::Value(Some("100042".into())))
        );
        assert_eq!(lookups.find(&m, "M9999", "FName"), Ok(Found::Missing));
        // Two rows change: one renamed, one forbidden; one is added.
        {
            let mut rows = target.rows.lock().unwrap();
            rows[41].2 = "改名".into();
            rows[41].3 = "2026-12-04T09:00:00".into();
            rows[42].5 = "B";
            rows[42].3 = "2026-12-04T09:30:00".into();
            rows.push((
                200_000,
                "NEW1".into(),
                "新物料".into(),
                "2026-12-04T09:30:00".into(),
                "C",
                "A",
            ));
        }
        target.queries.lock().unwrap().clear();
        // Read again: the three changes only (after the newest modify date
        // read, or of that date with a higher id).
        let r = refresh(&store, &target, w, false, now).await.unwrap();
        assert_eq!((r.full, r.read, r.rows), (false, 3, 4500));
        let q = target.queries.lock().unwrap().clone();
        assert_eq!(q.len(), 1);
        assert_eq!(
            q[0].filter,
            "FModifyDate > '2026-12-01T01:15:00' OR (FModifyDate = '2026-12-01T01:15:00' AND FMATERIALID > 104500)"
        );
        lookups.forget();
        assert_eq!(
            lookups.find(&m, "M0042", "FName"),
            Ok(Found::Value(Some("改名".into())))
        );
        assert_eq!(lookups.find(&m, "M0043", "FName"), Ok(Found::Missing));
        assert_eq!(
            lookups.find(&m, "NEW1", "FName"),
            Ok(Found::Value(Some("新物料".into())))
        );
        // The next refresh reads from the newest modify date seen: nothing
        // changed since; then rows saved in that same second after it.
        target.queries.lock().unwrap().clear();
        let r = refresh(&store, &target, w, false, now).await.unwrap();
        assert_eq!(r.read, 0);
        assert_eq!(
            target.queries.lock().unwrap()[0].filter,
            "FModifyDate > '2026-12-04T09:30:00' OR (FModifyDate = '2026-12-04T09:30:00' AND FMATERIALID > 200000)"
        );
        target.rows.lock().unwrap().push((
            200_001,
            "NEW2".into(),
            "同一秒".into(),
            "2026-12-04T09:30:00".into(),
            "C",
            "A",
        ));
        let r = refresh(&store, &target, w, false, now).await.unwrap();
        assert_eq!(r.read, 1);
        lookups.forget();
        assert_eq!(
            lookups.find(&m, "NEW2", "FName"),
            Ok(Found::Value(Some("同一秒".into())))
        );
        // A field no cache kept yet: a full refresh, the old fields kept.
        let more = wanted([&material(&["FSpecification"])]);
        let r = refresh(&store, &target, &more[0], false, now)
            .await
            .unwrap();
        assert!(r.full);
        let c = store
            .lookup_cache("BD_MATERIAL", "FNumber")
            .unwrap()
            .unwrap();
        assert_eq!(c.fields, ["FMATERIALID", "FName", "FSpecification"]);
    }
}
