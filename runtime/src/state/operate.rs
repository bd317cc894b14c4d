//! What operators read and do beside the engine: dead letters listed with
//! filters, one dead letter in full (its record, its bill, every answer the
//! target gave), a dead letter discarded on purpose, and the log of such
//! actions (who, when, what), and schemes paused by an operator (kept in
//! that log: a scheme is paused while its last `pause` or `resume` is a
//! `pause`).
//!
//! These are not part of the engine's [`Store`](super::Store): the engine
//! never needs them. [`SqliteStore`](super::SqliteStore) carries them out,
//! each in one transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{DeadLetter, DeadLetterId, RunId};

/// Which open dead letters of a scheme to list.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    /// Only those whose reason or fields contain this text (ASCII letters
    /// compared without case).
    pub reason: Option<String>,
    /// Only those that failed (last) at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (most recent first); 0 for all.
    pub limit: usize,
    /// The records waiting for base data instead of the dead letters.
    pub waiting: bool,
}

impl DeadLetterQuery {
    /// Whether `d` passes the reason filter.
    pub(super) fn matches_reason(&self, d: &DeadLetter) -> bool {
        let Some(want) = self.reason.as_deref() else {
            return true;
        };
        let want = want.to_lowercase();
        [&d.reason, &d.target_field, &d.source_field]
            .iter()
            .any(|text| text.to_lowercase().contains(&want))
    }
}

/// A dead letter as operators list it: the letter, the number of its bill,
/// and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterInfo {
    #[serde(flatten)]
    pub letter: DeadLetter,
    /// The bill's number (FBillNo), when the record was mapped to a bill.
    pub number: Option<String>,
    /// `None` while open; `written`, `requeued`, `skipped` or `discarded`.
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Why it was discarded, as the operator wrote it.
    pub note: Option<String>,
}

/// One answer of the target to a bill that was not written: an attempt to
/// be made again, or the rejection that made the dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub at: DateTime<Utc>,
    pub run_id: Option<RunId>,
    /// `retry` (the attempt failed and is made again) or `rejected`.
    pub outcome: String,
    /// The error or the target's message.
    pub message: String,
}

/// A dead letter in full, for `duijie dead-letters show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterDetail {
    #[serde(flatten)]
    pub info: DeadLetterInfo,
    /// Every answer recorded for the record's bills, oldest first.
    pub answers: Vec<Answer>,
    /// What operators did with this dead letter, oldest first.
    pub actions: Vec<Action>,
}

/// Something an operator did, as the action log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who: `cli:<user>` from the command line.
    pub actor: String,
    pub scheme: String,
    /// What: `discard`, …
    pub action: String,
    /// The dead letter it concerned, if any.
    pub dead_letter: Option<DeadLetterId>,
    pub note: Option<String>,
}

/// A scheme an operator paused: the daemon and `duijie run` leave it alone
/// until it is resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub scheme: String,
    pub at: DateTime<Utc>,
    /// Who paused it.
    pub actor: String,
}

/// What [`SqliteStore::discard_dead_letter`](super::SqliteStore::discard_dead_letter) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discard {
    /// Closed on purpose: kept, marked, never resent.
    Discarded(Box<DeadLetterInfo>),
    /// No dead letter has this id.
    NotFound,
    /// It is closed already (written, requeued, skipped or discarded).
    AlreadyResolved(String),
}
