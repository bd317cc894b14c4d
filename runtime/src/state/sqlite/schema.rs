//! The tables of the state store, as numbered migrations, and their
//! application when a store is opened.

use super::*;
use rusqlite::{Connection, TransactionBehavior};

/// The migrations, in order. Never edit one that has shipped: add another.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE watermarks (
    scheme      TEXT PRIMARY KEY,
    value_ms    BIGINT,
    updated_ms  BIGINT NOT NULL
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    scheme           TEXT NOT NULL,
    kind             TEXT NOT NULL,
    window_start_ms  BIGINT,
    window_end_ms    BIGINT,
    started_ms       BIGINT NOT NULL,
    ended_ms         BIGINT,
    outcome          TEXT NOT NULL,
    error            TEXT,
    n_read           BIGINT NOT NULL DEFAULT 0,
    n_mapped         BIGINT NOT NULL DEFAULT 0,
    n_skipped        BIGINT NOT NULL DEFAULT 0,
    n_unchanged      BIGINT NOT NULL DEFAULT 0,
    n_written        BIGINT NOT NULL DEFAULT 0,
    n_failed         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_scheme ON runs (scheme, id);

-- A window piece: reading -> read -> complete, or abandoned when its
-- runner died while reading it.
CREATE TABLE pieces (
    id            INTEGER PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES runs (id),
    scheme        TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    start_ms      BIGINT NOT NULL,
    end_ms        BIGINT NOT NULL,
    advances      SMALLINT NOT NULL,
    state         TEXT NOT NULL,
    completed_ms  BIGINT
);
CREATE INDEX pieces_by_run ON pieces (run_id, idx);
CREATE INDEX pieces_by_scheme ON pieces (scheme, state);

-- Every source record seen. status: queued | written | skipped | failed.
-- written_hash and target_id stay from the last successful write.
CREATE TABLE records (
    scheme        TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    status        TEXT NOT NULL,
    number        TEXT,
    hash          TEXT,
    written_hash  TEXT,
    target_id     TEXT,
    run_id        BIGINT,
    updated_ms    BIGINT NOT NULL,
    PRIMARY KEY (scheme, record_id)
);
CREATE INDEX records_by_status ON records (scheme, status);

-- The write queue. state: pending | inflight. A row leaves the queue when
-- its outcome is recorded.
CREATE TABLE queue (
    id             INTEGER PRIMARY KEY,
    scheme         TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    piece_id       BIGINT,
    number         TEXT,
    bill           TEXT NOT NULL,
    hash           TEXT NOT NULL,
    source_json    TEXT NOT NULL,
    target_id      TEXT,
    state          TEXT NOT NULL,
    verify         SMALLINT NOT NULL DEFAULT 0,
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_ms        BIGINT NOT NULL,
    lease_owner    TEXT,
    lease_expires  BIGINT,
    last_error     TEXT,
    created_ms     BIGINT NOT NULL,
    UNIQUE (scheme, record_id)
);
CREATE INDEX queue_due ON queue (scheme, state, next_ms, id);
CREATE INDEX queue_by_piece ON queue (piece_id);

-- Records that could not be mapped or written. At most one unresolved
-- dead letter per record: a repeat failure updates it.
CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY,
    scheme        TEXT NOT NULL,
    record_id     TEXT,
    stage         TEXT NOT NULL,
    target_field  TEXT NOT NULL,
    source_field  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    source_json   TEXT NOT NULL,
    bill          TEXT,
    hash          TEXT,
    run_id        BIGINT,
    first_ms      BIGINT NOT NULL,
    last_ms       BIGINT NOT NULL,
    occurrences   BIGINT NOT NULL DEFAULT 1,
    resolved_ms   BIGINT,
    resolution    TEXT
);
CREATE INDEX dead_by_record ON dead_letters (scheme, record_id, resolved_ms);
CREATE INDEX dead_open ON dead_letters (scheme, resolved_ms, id);
"#,
    // 2: claims walk due items in id order per state instead of scanning and
    // sorting the whole queue of a scheme (quadratic in the queue's length).
    r#"
CREATE INDEX queue_claim ON queue (scheme, state, id, next_ms, lease_expires);
"#,
    // 3: the steps after a save (Submit, then Audit) of schemes that take
    // them as separate calls. step: submit | audit. A row leaves when its
    // last step is done, or refused (a dead letter).
    r#"
CREATE TABLE steps (
    id           INTEGER PRIMARY KEY,
    scheme       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    number       TEXT,
    target_id    TEXT NOT NULL,
    step         TEXT NOT NULL,
    bill         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    source_json  TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_ms      BIGINT NOT NULL,
    last_error   TEXT,
    created_ms   BIGINT NOT NULL,
    UNIQUE (scheme, record_id)
);
CREATE INDEX steps_due ON steps (scheme, next_ms, id);
"#,
    // 4: the heartbeat of each `duijie daemon` (status tells a live daemon
    // from a dead one), and a word of its own for runs that finished with
    // dead letters (an older duijie would not read that outcome).
    r#"
CREATE TABLE daemons (
    id          INTEGER PRIMARY KEY,
    pid         BIGINT NOT NULL,
    host        TEXT NOT NULL,
    schemes     TEXT NOT NULL,
    started_ms  BIGINT NOT NULL,
    beat_ms     BIGINT NOT NULL,
    stopped_ms  BIGINT
);
"#,
    // 5: how many calls a run had in flight at once: where its limits
    // settled (writes, reads), the highest they reached and the overload
    // answers they handled; adaptive 1 when the run found them itself.
    r#"
ALTER TABLE runs ADD COLUMN concurrency_adaptive SMALLINT;
ALTER TABLE runs ADD COLUMN write_limit BIGINT;
ALTER TABLE runs ADD COLUMN write_peak BIGINT;
ALTER TABLE runs ADD COLUMN write_overloads BIGINT;
ALTER TABLE runs ADD COLUMN read_limit BIGINT;
ALTER TABLE runs ADD COLUMN read_peak BIGINT;
ALTER TABLE runs ADD COLUMN read_overloads BIGINT;
"#,
    // 6: what operators read and do: every answer the target gave to a bill
    // it did not write, a dead letter's note when discarded on purpose, and
    // the log of operators' actions.
    r#"
CREATE TABLE answers (
    id         INTEGER PRIMARY KEY,
    scheme     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    run_id     BIGINT,
    at_ms      BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    message    TEXT NOT NULL
);
CREATE INDEX answers_by_record ON answers (scheme, record_id, id);

ALTER TABLE dead_letters ADD COLUMN note TEXT;

CREATE TABLE actions (
    id           INTEGER PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    scheme       TEXT NOT NULL,
    action       TEXT NOT NULL,
    dead_letter  BIGINT,
    note         TEXT
);
CREATE INDEX actions_by_scheme ON actions (scheme, id);
CREATE INDEX actions_by_letter ON actions (dead_letter);
"#,
    // 7: lookups of master data. A cache per form and key field: its rows
    // (key → the fields the schemes read, as a JSON object of texts), when
    // each was last seen, and how far the refreshes have read by the form's
    // modify date. Records waiting for base data are dead letters of stage
    // `wait` that name the form, the key field and the key; runs count them.
    r#"
CREATE TABLE lookup_caches (
    form          TEXT NOT NULL,
    by_field      TEXT NOT NULL,
    fields        TEXT NOT NULL,
    modified_to   TEXT,
    modified_id   BIGINT,
    rows          BIGINT NOT NULL DEFAULT 0,
    refreshed_ms  BIGINT,
    full_ms       BIGINT,
    PRIMARY KEY (form, by_field)
);

CREATE TABLE lookup_rows (
    form      TEXT NOT NULL,
    by_field  TEXT NOT NULL,
    key       TEXT NOT NULL,
    row_id    BIGINT,
    fields    TEXT NOT NULL,
    seen_ms   BIGINT NOT NULL,
    PRIMARY KEY (form, by_field, key)
) WITHOUT ROWID;

ALTER TABLE dead_letters ADD COLUMN wait_form TEXT;
ALTER TABLE dead_letters ADD COLUMN wait_by TEXT;
ALTER TABLE dead_letters ADD COLUMN wait_key TEXT;
CREATE INDEX dead_letters_waiting ON dead_letters (wait_form, wait_by, wait_key) WHERE resolved_ms IS NULL;

ALTER TABLE runs ADD COLUMN n_waiting BIGINT NOT NULL DEFAULT 0;
"#,
];

/// Applies the migrations `conn` has not had yet, each in its own
/// transaction, recording their number in `PRAGMA user_version`. A store
/// with more migrations than this build knows (at `path`) is refused. The
/// version is read inside each migration's write transaction, so that two
/// processes opening a new store at once (a daemon and `status`) do not
/// both apply the same migration.
pub(super) fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let current: i64 = conn.row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == known {
        return Ok(()); // up to date: no write needed (a read-only store opens)
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.to_string(),
                found: version,
                known,
            });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
