//! The steps after a save, for schemes that submit and audit as separate
//! calls (`submit_and_audit`): the saved bills' Submit, then their Audit,
//! one request per step for a batch of bills.
//!
//! A step waits in the store from the transaction that records the save,
//! and each outcome is recorded as it comes: a run stopped between Save and
//! Audit (a crash, a target down) goes on at the step left. A step is safe
//! to repeat — a bill already submitted or audited counts as done — so an
//! unknown outcome is simply tried again. A refused step is a dead letter
//! that says the bill is saved, and which step was refused.

use super::{Engine, Scheme, StepResult, Stop};
use crate::error::ErrorKind;
use crate::state::{RunId, Step, StepItem, StepOutcome};

impl Engine {
    /// Runs every step of the scheme that is due now, a batch at a time.
    /// Steps in backoff stay for later.
    pub(crate) async fn run_steps(&self, s: &Scheme, run: RunId) -> Result<(), Stop> {
        let meta = s.mapper.meta();
        let form = meta.target.form_id.as_str();
        let batch = s.settings.batch_size.max(1);
        let policy = s.settings.retry;
        let mut streak = 0u32;
        loop {
            if self.shutdown.requested() {
                return Err(Stop::Shutdown);
            }
            let (scheme, now) = (s.name.clone(), self.now());
            let due = self
                .stored(move |store| store.due_steps(&scheme, batch, now))
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            for step in [Step::Submit, Step::Audit] {
                // A step that failed before is tried alone: an answer about
                // several bills may not say which one it meant.
                let group: Vec<&StepItem> = due.iter().filter(|i| i.step == step).collect();
                let (alone, together): (Vec<&StepItem>, Vec<&StepItem>) =
                    group.into_iter().partition(|i| i.attempts > 0);
                let mut calls: Vec<Vec<&StepItem>> = alone.into_iter().map(|i| vec![i]).collect();
                if !together.is_empty() {
                    calls.push(together);
                }
                for items in calls {
                    self.acquire(&s.target_limit).await?;
                    let ids: Vec<String> = items.iter().map(|i| i.target_id.clone()).collect();
                    let now = self.now();
                    let later = |i: &StepItem, count: bool, error: &str| StepOutcome::Retry {
                        at: now
                            + chrono::Duration::from_std(
                                policy.backoff(u32::try_from(i.attempts + 1).unwrap_or(u32::MAX)),
                            )
                            .unwrap_or_default(),
                        count_attempt: count,
                        error: error.to_string(),
                    };
                    let mut stop = None;
                    let outcomes: Vec<(i64, StepOutcome)> =
                        match s.target.step(form, step, &ids, &meta.target.options).await {
                            Ok(results) => items
                                .iter()
                                .enumerate()
                                .map(|(n, i)| {
                                    let o = match results.get(n).cloned().unwrap_or(StepResult::Unknown) {
                                        StepResult::Done => StepOutcome::Done,
                                        StepResult::Refused { message } => {
                                            tracing::warn!(scheme = %s.name, record = %i.record_id, step = step.as_str(), reason = %message, "step refused by the target");
                                            StepOutcome::Failed { reason: message }
                                        }
                                        StepResult::Unknown => {
                                            later(i, true, "the answer says nothing certain of this bill")
                                        }
                                    };
                                    (i.id, o)
                                })
                                .collect(),
                            Err(e) => {
                                let count = match e.kind() {
                                    ErrorKind::RateLimited => {
                                        streak += 1;
                                        s.target_limit.pause(policy.rate_limit_pause(streak));
                                        false
                                    }
                                    ErrorKind::Transient
                                    | ErrorKind::SessionLost
                                    | ErrorKind::Malformed => true,
                                    ErrorKind::Auth | ErrorKind::Permanent => {
                                        stop = Some(Stop::Failed(format!(
                                            "{} of saved bills of {form}: {e}; the step waits for the next run",
                                            step.as_str()
                                        )));
                                        false
                                    }
                                };
                                items
                                    .iter()
                                    .map(|i| (i.id, later(i, count, &e.to_string())))
                                    .collect()
                            }
                        };
                    let exhausted = items.iter().zip(&outcomes).find(|(i, (_, o))| {
                        matches!(
                            o,
                            StepOutcome::Retry {
                                count_attempt: true,
                                ..
                            }
                        ) && i.attempts + 1 >= i64::from(policy.max_attempts)
                    });
                    if let (Some((i, _)), None) = (exhausted, &stop) {
                        stop = Some(Stop::Incomplete(format!(
                            "{} of {} did not go through after {} attempts; it waits for the next run",
                            step.as_str(),
                            i.number.as_deref().unwrap_or(&i.record_id),
                            i.attempts + 1
                        )));
                    }
                    let (scheme, now) = (s.name.clone(), self.now());
                    self.stored(move |store| store.record_steps(run, &scheme, &outcomes, now))
                        .await?;
                    if let Some(stop) = stop {
                        return Err(stop);
                    }
                }
            }
        }
    }
}
