//! The caches of lookups: rows of master-data forms by key, filled page by
//! page by refreshes, read one key at a time by the mapping.

use super::*;
use rusqlite::{params, OptionalExtension, Transaction};

fn cache(r: &rusqlite::Row<'_>) -> Result<LookupCache> {
    let fields: String = r.get(2)?;
    Ok(LookupCache {
        form: r.get(0)?,
        by: r.get(1)?,
        fields: fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
        modified_to: r.get(3)?,
        modified_id: r.get(7)?,
        rows: r.get(4)?,
        refreshed: from_ms_opt(r.get(5)?)?,
        full: from_ms_opt(r.get(6)?)?,
    })
}

const COLUMNS: &str =
    "form, by_field, fields, modified_to, rows, refreshed_ms, full_ms, modified_id";

pub(super) fn lookup_cache(conn: &Connection, form: &str, by: &str) -> Result<Option<LookupCache>> {
    conn.row(
        &format!("SELECT {COLUMNS} FROM lookup_caches WHERE form = ?1 AND by_field = ?2"),
        params![form, by],
        |r| Ok(cache(r)),
    )
    .optional()?
    .transpose()
}

pub(super) fn lookup_caches(conn: &Connection) -> Result<Vec<LookupCache>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM lookup_caches ORDER BY form, by_field"
    ))?;
    let rows = stmt.query_map([], |r| Ok(cache(r)))?;
    rows.map(|row| row?).collect()
}

pub(super) fn put_rows(
    tx: &Transaction<'_>,
    form: &str,
    by: &str,
    rows: &[LookupRow],
    seen: i64,
) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO lookup_rows (form, by_field, key, row_id, fields, seen_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (form, by_field, key) DO UPDATE
         SET row_id = excluded.row_id, fields = excluded.fields, seen_ms = excluded.seen_ms",
    )?;
    let mut drop = tx
        .prepare_cached("DELETE FROM lookup_rows WHERE form = ?1 AND by_field = ?2 AND key = ?3")?;
    for row in rows {
        match &row.fields {
            Some(fields) => {
                put.execute(params![form, by, row.key, row.id, fields, seen])?;
            }
            None => {
                drop.execute(params![form, by, row.key])?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn finish_refresh(
    tx: &Transaction<'_>,
    form: &str,
    by: &str,
    fields: &[String],
    full: bool,
    started: i64,
    modified_to: Option<(&str, i64)>,
    now: i64,
) -> Result<i64> {
    if full {
        tx.exec(
            "DELETE FROM lookup_rows WHERE form = ?1 AND by_field = ?2 AND seen_ms < ?3",
            params![form, by, started],
        )?;
    }
    let rows: i64 = tx.row(
        "SELECT COUNT(*) FROM lookup_rows WHERE form = ?1 AND by_field = ?2",
        params![form, by],
        |r| r.get(0),
    )?;
    let fields = fields.join(",");
    let full_ms = full.then_some(now);
    let (to, to_id) = (modified_to.map(|m| m.0), modified_to.map(|m| m.1));
    tx.exec(
        "INSERT INTO lookup_caches
             (form, by_field, fields, modified_to, modified_id, rows, refreshed_ms, full_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (form, by_field) DO UPDATE
         SET fields = excluded.fields,
             modified_to = COALESCE(excluded.modified_to, modified_to),
             modified_id = CASE WHEN excluded.modified_to IS NULL THEN modified_id
                                ELSE excluded.modified_id END,
             rows = excluded.rows, refreshed_ms = excluded.refreshed_ms,
             full_ms = COALESCE(excluded.full_ms, full_ms)",
        params![form, by, fields, to, to_id, rows, now, full_ms],
    )?;
    Ok(rows)
}

pub(super) fn lookup_row(
    conn: &Connection,
    form: &str,
    by: &str,
    key: &str,
) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT fields FROM lookup_rows WHERE form = ?1 AND by_field = ?2 AND key = ?3",
    )?;
    Ok(stmt
        .query_row(params![form, by, key], |r| r.get(0))
        .optional()?)
}
