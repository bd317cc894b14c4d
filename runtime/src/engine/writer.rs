//! Writing the queue: batches of bills to the target, each bill's outcome
//! recorded by its position (DIndex), exactly once.
//!
//! For each batch claimed from the queue:
//!
//! 1. bills marked *to verify* (an earlier attempt's outcome is unknown)
//!    are looked up by number; those found are recorded as written, the
//!    others are sent;
//! 2. the rest is sent in one save request; each bill's result is
//!    recorded: saved → written (with the target's id); duplicate number →
//!    looked up by number and recorded as written if found; rejected →
//!    dead letter with the target's message; no result → looked up, and to
//!    verify if not found; an error naming no bill (older servers) →
//!    looked up, and those not found sent again in halves, down to one
//!    bill, whose error is then its own (a dead letter);
//! 3. a failure of the whole request puts the bills back: to verify when
//!    the request may have been carried out, after a backoff with jitter
//!    (or a pause of the account for a rate-limit answer, which is not
//!    counted as an attempt).
//!
//! Outcomes are recorded in one transaction per batch, which also completes
//! the window pieces they finish. Nothing is ever sent without first being
//! durably queued, and nothing claimed is forgotten: a dead writer's bills
//! come back to verify.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;

use super::record::with_target_id;
use super::{BillResult, Engine, Scheme, Stop};
use crate::error::{Error, ErrorKind};
use crate::state::{QueueId, QueueItem, RunId, WriteOutcome};

/// Per-run attempt counts of queued bills.
pub(crate) type Tries = Mutex<HashMap<QueueId, u32>>;

/// What the reader tells a writer that runs beside it: bills were queued,
/// and reading is over (no more bills will come).
#[derive(Debug, Default)]
pub(crate) struct Feed {
    done: AtomicBool,
    /// Reading stopped because the state store failed: the writer sends
    /// nothing more (an outcome it cannot record would be a bill to look up
    /// again), it only finishes the batches in flight.
    abandoned: AtomicBool,
    more: Notify,
}

impl Feed {
    /// Bills were queued.
    pub(crate) fn queued(&self) {
        self.more.notify_one();
    }

    /// Reading is over, whatever its outcome.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::Release);
        self.more.notify_one();
    }

    /// Reading stopped on a failure of the state store.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        self.finish();
    }

    fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl Engine {
    /// Writes every due bill of the scheme's queue, `concurrency` batches
    /// at a time, waiting for bills in backoff, until the queue is empty —
    /// and, with a `feed`, until reading is over too.
    ///
    /// A stop (shutdown, a failing target, the store) ends the claiming of
    /// new batches; the batches in flight finish and their outcomes are
    /// recorded before the stop is returned.
    pub(crate) async fn drain(
        &self,
        s: &Scheme,
        run: RunId,
        tries: &Tries,
        feed: Option<&Feed>,
    ) -> Result<(), Stop> {
        let meta = s.mapper.meta();
        let batch = if meta.target.saves_one_by_one() {
            1
        } else {
            s.settings.batch_size.max(1)
        };
        let concurrency = s.settings.concurrency.max(1);
        let mut running = FuturesUnordered::new();
        let mut stop: Option<Stop> = None;
        let mut streak = 0u32;
        let mut limited_since: Option<tokio::time::Instant> = None;
        loop {
            while stop.is_none() && running.len() < concurrency {
                if self.shutdown.requested() {
                    stop = Some(Stop::Shutdown);
                    break;
                }
                if feed.is_some_and(Feed::is_abandoned) {
                    // The reader's store error is the run's; this one is
                    // not reported.
                    stop = Some(Stop::Shutdown);
                    break;
                }
                if batch > 1 && feed.is_some_and(|f| !f.is_done()) {
                    // While reading goes on, only full batches: the rest
                    // waits for more bills or the end of reading.
                    let (scheme, now) = (s.name.clone(), self.now());
                    let due = self
                        .stored(move |store| store.due_count(&scheme, now, batch))
                        .await;
                    match due {
                        Ok(n) if n < batch => break,
                        Ok(_) => {}
                        Err(e) => {
                            stop = Some(e);
                            break;
                        }
                    }
                }
                let (scheme, owner, lease, now) = (
                    s.name.clone(),
                    self.owner.clone(),
                    s.settings.lease,
                    self.now(),
                );
                let claimed = self
                    .stored(move |store| store.claim(&scheme, &owner, batch, lease, now))
                    .await;
                match claimed {
                    Ok(items) if items.is_empty() => break,
                    Ok(items) => running.push(async move {
                        let (mut outcomes, stop, limited) =
                            self.write_batch(s, &items, tries, streak).await;
                        if s.settings.submit_and_audit {
                            then_submit(&mut outcomes);
                        }
                        (items, (outcomes, stop, limited))
                    }),
                    Err(e) => stop = Some(e),
                }
            }
            if running.is_empty() {
                if let Some(stop) = stop {
                    return Err(stop);
                }
                if feed.is_none_or(Feed::is_done) {
                    // Saved bills wait for their Submit and Audit.
                    self.run_steps(s, run).await?;
                }
                // Nothing to send now. Whether reading is over is read
                // before the queue: once it is, every bill read is queued.
                let reading = feed.filter(|f| !f.is_done());
                let scheme = s.name.clone();
                let due = self.stored(move |store| store.next_due(&scheme)).await?;
                let wait = due.map(|at| (at - self.now()).to_std().unwrap_or_default());
                match reading {
                    None => match wait {
                        None => {
                            // Steps in backoff: wait for the first.
                            let scheme = s.name.clone();
                            let step = self
                                .stored(move |store| store.next_step_due(&scheme))
                                .await?;
                            match step {
                                None => return Ok(()),
                                Some(at) => {
                                    self.sleep((at - self.now()).to_std().unwrap_or_default())
                                        .await?
                                }
                            }
                        }
                        Some(wait) => self.sleep(wait).await?,
                    },
                    Some(feed) => {
                        // More bills, the end of reading, or a bill in
                        // backoff falling due (one due already waits for
                        // a full batch).
                        let wait = wait
                            .filter(|w| !w.is_zero())
                            .unwrap_or(std::time::Duration::from_secs(3600));
                        tokio::select! {
                            _ = feed.more.notified() => {}
                            r = self.sleep(wait) => r?,
                        }
                    }
                }
                continue;
            }
            let Some((items, (outcomes, batch_stop, rate_limited))) = running.next().await else {
                continue;
            };
            let written = outcomes
                .iter()
                .filter(|(_, o)| {
                    matches!(o, WriteOutcome::Written { .. } | WriteOutcome::Saved { .. })
                })
                .count();
            let (scheme, now) = (s.name.clone(), self.now());
            let recorded = self
                .stored(move |store| store.record_outcomes(run, &scheme, &outcomes, now))
                .await;
            if let Err(e) = recorded {
                if let Stop::Store(e) = &e {
                    tracing::error!(scheme = %s.name, bills = items.len(), error = %e, "could not record the outcome of a batch; its bills will be looked up before being sent again");
                }
                stop.get_or_insert(e);
                continue;
            }
            if written > 0 {
                self.progress.written(&s.name, written as u64);
            }
            if let Some(batch_stop) = batch_stop {
                stop.get_or_insert(batch_stop);
            }
            if rate_limited {
                streak += 1;
                let since = *limited_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() > s.settings.retry.rate_limit_patience {
                    stop.get_or_insert(Stop::Incomplete(format!(
                        "the target kept answering \"too many calls\" for {:?}; the bills stay queued",
                        s.settings.retry.rate_limit_patience
                    )));
                }
            } else {
                streak = 0;
                limited_since = None;
            }
        }
    }

    /// Writes one claimed batch. Returns the outcome of every item, a stop
    /// if the run must stop, and whether the target rate-limited us.
    async fn write_batch(
        &self,
        s: &Scheme,
        items: &[QueueItem],
        tries: &Tries,
        streak: u32,
    ) -> (Vec<(QueueId, WriteOutcome)>, Option<Stop>, bool) {
        let meta = s.mapper.meta();
        let form = meta.target.form_id.as_str();
        let number_field = meta.number_target.as_deref().unwrap_or("FBillNo");
        let mut out: Vec<(QueueId, WriteOutcome)> = Vec::with_capacity(items.len());

        // 1. Look up bills whose earlier outcome is unknown. An update
        //    (target id known) is safe to send again as is.
        let mut send: Vec<&QueueItem> = Vec::with_capacity(items.len());
        let mut verify: Vec<&QueueItem> = Vec::new();
        for item in items {
            if item.verify && item.target_id.is_none() {
                if item.number.is_some() {
                    verify.push(item);
                } else {
                    out.push((
                        item.id,
                        WriteOutcome::Failed {
                            reason: "an earlier write of this bill may have succeeded, and the bill has no number to look it up by; \
                                     check the target, then retry the dead letter"
                                .into(),
                        },
                    ));
                }
            } else {
                send.push(item);
            }
        }
        if !verify.is_empty() {
            let numbers: Vec<String> = verify.iter().filter_map(|i| i.number.clone()).collect();
            match self.find(s, form, number_field, &numbers).await {
                Ok(found) => {
                    for item in verify {
                        match item.number.as_ref().and_then(|n| found.get(n)) {
                            Some(id) => {
                                tracing::info!(scheme = %s.name, number = item.number.as_deref().unwrap_or(""), "bill found in the target: not sent again");
                                out.push((
                                    item.id,
                                    WriteOutcome::Written {
                                        target_id: id.clone(),
                                    },
                                ));
                            }
                            None => send.push(item),
                        }
                    }
                }
                Err(e) => {
                    // Nothing was sent: the bills keep their need to be verified.
                    let rest: Vec<&QueueItem> = verify.into_iter().chain(send).collect();
                    let (stop, limited) =
                        self.put_back(s, &rest, &e, tries, streak, &|i| i.verify, &mut out);
                    return (out, stop, limited);
                }
            }
        }
        if send.is_empty() {
            return (out, None, false);
        }

        // 2. Send, in one request. Bills the answer leaves open are looked
        //    up; those not found whose answer had an error naming no bill are
        //    sent again in smaller batches, down to one bill, where the
        //    error is the bill's own.
        let mut duplicates: Vec<(&QueueItem, String)> = Vec::new();
        let mut stop = None;
        let mut groups: Vec<Vec<&QueueItem>> = vec![send];
        let mut resend = false;
        while let Some(group) = groups.pop() {
            let bills: Vec<String> = group
                .iter()
                .map(|i| match &i.target_id {
                    Some(id) => with_target_id(&i.bill, id),
                    None => i.bill.clone(),
                })
                .collect();
            let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
            if let Err(halt) = self.acquire(&s.target_limit).await {
                // Shutdown before sending: nothing of these was sent (now).
                for item in group.iter().chain(groups.iter().flatten()) {
                    out.push((item.id, retry_now(self.now(), resend, "not sent: stopping")));
                }
                park(&mut out, duplicates, self.now());
                return (out, Some(halt), false);
            }
            let results = match s.target.save(form, &refs, &meta.target.options).await {
                Ok(r) => r,
                Err(e) => {
                    // Sent: the bills may be in the target if the request may
                    // have been carried out.
                    let unknown = e.outcome_unknown() || resend;
                    let (halt, limited) =
                        self.put_back(s, &group, &e, tries, streak, &|_| unknown, &mut out);
                    for item in groups.iter().flatten() {
                        out.push((
                            item.id,
                            retry_now(self.now(), true, "not sent again: a smaller batch failed"),
                        ));
                    }
                    park(&mut out, duplicates, self.now());
                    return (out, stop.or(halt), limited);
                }
            };
            let mut open: Vec<(&QueueItem, Option<String>)> = Vec::new();
            for (i, item) in group.iter().copied().enumerate() {
                match results.get(i).cloned().unwrap_or(BillResult::Unknown) {
                    BillResult::Saved { id } => {
                        out.push((item.id, WriteOutcome::Written { target_id: id }))
                    }
                    BillResult::Duplicate { message } => duplicates.push((item, message)),
                    BillResult::Rejected { message } => {
                        tracing::info!(scheme = %s.name, record = %item.record_id, reason = %message, "bill rejected by the target");
                        out.push((item.id, WriteOutcome::Failed { reason: message }));
                    }
                    BillResult::Transient { message } => {
                        let o = self.retry_later(s, item, tries, false, &message, &mut stop);
                        out.push((item.id, o));
                    }
                    BillResult::Unknown => open.push((item, None)),
                    BillResult::Unattributed { message } => open.push((item, Some(message))),
                }
            }
            if open.is_empty() {
                continue;
            }
            let numbers: Vec<String> = open.iter().filter_map(|(i, _)| i.number.clone()).collect();
            let found = if numbers.is_empty() {
                Ok(HashMap::new())
            } else {
                self.find(s, form, number_field, &numbers).await
            };
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    // Whether they were saved is still unknown.
                    let items: Vec<&QueueItem> = open.iter().map(|(i, _)| *i).collect();
                    let (halt, limited) =
                        self.put_back(s, &items, &e, tries, streak, &|_| true, &mut out);
                    for item in groups.iter().flatten() {
                        out.push((
                            item.id,
                            retry_now(self.now(), true, "not sent again: lookup failed"),
                        ));
                    }
                    park(&mut out, duplicates, self.now());
                    return (out, stop.or(halt), limited);
                }
            };
            let mut suspects: Vec<&QueueItem> = Vec::new();
            for (item, message) in open {
                if let Some(id) = item.number.as_ref().and_then(|n| found.get(n)) {
                    out.push((
                        item.id,
                        WriteOutcome::Written {
                            target_id: id.clone(),
                        },
                    ));
                    continue;
                }
                match message {
                    None => {
                        let o = self.retry_later(
                            s,
                            item,
                            tries,
                            true,
                            "the answer says nothing of this bill",
                            &mut stop,
                        );
                        out.push((item.id, o));
                    }
                    Some(message) if group.len() == 1 => {
                        tracing::warn!(scheme = %s.name, record = %item.record_id, reason = %message, "bill rejected by the target (sent alone)");
                        out.push((item.id, WriteOutcome::Failed { reason: message }));
                    }
                    Some(message) if item.number.is_none() => out.push((
                        item.id,
                        WriteOutcome::Failed {
                            reason: format!(
                                "{message} (the answer names no bill, and this bill has no number to look it up by: \
                                 check the target, then retry the dead letter)"
                            ),
                        },
                    )),
                    Some(_) => suspects.push(item),
                }
            }
            if !suspects.is_empty() {
                tracing::info!(scheme = %s.name, bills = suspects.len(), "the answer's errors name no bill: sending the bills not saved again in smaller batches");
                let half = suspects.len().div_ceil(2);
                // Popped last first: the first half is sent first.
                let mut halves: Vec<Vec<&QueueItem>> =
                    suspects.chunks(half).map(<[_]>::to_vec).collect();
                halves.reverse();
                groups.extend(halves);
            }
            resend = true;
        }

        // 3. A duplicate number: is it our own earlier write?
        if !duplicates.is_empty() {
            let numbers: Vec<String> = duplicates
                .iter()
                .filter_map(|(i, _)| i.number.clone())
                .collect();
            let found = if numbers.is_empty() {
                Ok(HashMap::new())
            } else {
                self.find(s, form, number_field, &numbers).await
            };
            match found {
                Ok(found) => {
                    for (item, message) in duplicates {
                        match item.number.as_ref().and_then(|n| found.get(n)) {
                            Some(id) => out.push((
                                item.id,
                                WriteOutcome::Written {
                                    target_id: id.clone(),
                                },
                            )),
                            None => out.push((
                                item.id,
                                WriteOutcome::Failed {
                                    reason: format!(
                                        "{message} (and no bill with this number was found)"
                                    ),
                                },
                            )),
                        }
                    }
                }
                Err(e) => {
                    let items: Vec<&QueueItem> = duplicates.into_iter().map(|(i, _)| i).collect();
                    // The target has a bill with this number: look again later.
                    let (s2, limited) =
                        self.put_back(s, &items, &e, tries, streak, &|_| true, &mut out);
                    return (out, stop.or(s2), limited);
                }
            }
        }
        (out, stop, false)
    }

    /// Looks bills up by number: number → target id.
    async fn find(
        &self,
        s: &Scheme,
        form: &str,
        number_field: &str,
        numbers: &[String],
    ) -> Result<HashMap<String, String>, Error> {
        // A shutdown while waiting: go on, one lookup is quick.
        let _ = self.acquire(&s.target_limit).await;
        let rows = s.target.find(form, number_field, numbers).await?;
        Ok(rows.into_iter().collect())
    }

    /// The outcome of a bill to try again later, counting the attempt.
    fn retry_later(
        &self,
        s: &Scheme,
        item: &QueueItem,
        tries: &Tries,
        verify: bool,
        error: &str,
        stop: &mut Option<Stop>,
    ) -> WriteOutcome {
        let policy = s.settings.retry;
        let mut tries = tries.lock().unwrap_or_else(|e| e.into_inner());
        let n = tries.entry(item.id).or_insert(0);
        *n += 1;
        let n = *n;
        drop(tries);
        if n >= policy.max_attempts && stop.is_none() {
            *stop = Some(Stop::Incomplete(format!(
                "writing {}: {error} (after {n} attempts); it stays queued for the next run",
                item.number.as_deref().unwrap_or(&item.record_id)
            )));
        }
        WriteOutcome::Retry {
            at: self.now() + chrono::Duration::from_std(policy.backoff(n)).unwrap_or_default(),
            verify,
            count_attempt: true,
            error: error.to_string(),
        }
    }

    /// Puts `items` back in the queue after a failure of the whole request
    /// `e`; `verify` tells whether a bill may be in the target unknown to
    /// us. Returns a stop and whether it was a rate limit.
    #[allow(clippy::too_many_arguments)]
    fn put_back(
        &self,
        s: &Scheme,
        items: &[&QueueItem],
        e: &Error,
        tries: &Tries,
        streak: u32,
        verify: &dyn Fn(&QueueItem) -> bool,
        out: &mut Vec<(QueueId, WriteOutcome)>,
    ) -> (Option<Stop>, bool) {
        let now = self.now();
        let unknown = |i: &QueueItem| verify(i);
        match e.kind() {
            ErrorKind::RateLimited => {
                let pause = s.settings.retry.rate_limit_pause(streak + 1);
                tracing::info!(scheme = %s.name, ?pause, "target rate limit: pausing");
                self.progress.paused(&s.name, "金蝶", pause);
                s.target_limit.pause(pause);
                for i in items {
                    out.push((
                        i.id,
                        WriteOutcome::Retry {
                            at: now,
                            verify: unknown(i),
                            count_attempt: false,
                            error: e.to_string(),
                        },
                    ));
                }
                (None, true)
            }
            ErrorKind::Transient | ErrorKind::SessionLost | ErrorKind::Malformed => {
                tracing::info!(scheme = %s.name, error = %e, bills = items.len(), "target call failed; will retry");
                let mut stop = None;
                for i in items {
                    let o = self.retry_later(s, i, tries, unknown(i), &e.to_string(), &mut stop);
                    out.push((i.id, o));
                }
                (stop, false)
            }
            ErrorKind::Auth | ErrorKind::Permanent => {
                for i in items {
                    out.push((
                        i.id,
                        WriteOutcome::Retry {
                            at: now,
                            verify: unknown(i),
                            count_attempt: false,
                            error: e.to_string(),
                        },
                    ));
                }
                (
                    Some(Stop::Failed(format!(
                        "writing to {}: {e}; the bills stay queued",
                        s.mapper.meta().target.form_id
                    ))),
                    false,
                )
            }
        }
    }
}

/// Saved bills of a scheme that submits and audits as separate calls: each
/// is recorded with its Submit waiting, in the same transaction.
fn then_submit(outcomes: &mut [(QueueId, WriteOutcome)]) {
    for (_, o) in outcomes.iter_mut() {
        if let WriteOutcome::Written { target_id } = o {
            *o = WriteOutcome::Saved {
                target_id: std::mem::take(target_id),
                then: crate::state::Step::Submit,
            };
        }
    }
}

/// Bills with a duplicate number not yet looked up, when the batch must stop:
/// looked up at their next turn.
fn park(
    out: &mut Vec<(QueueId, WriteOutcome)>,
    duplicates: Vec<(&QueueItem, String)>,
    now: chrono::DateTime<chrono::Utc>,
) {
    for (item, message) in duplicates {
        out.push((item.id, retry_now(now, true, &message)));
    }
}

fn retry_now(now: chrono::DateTime<chrono::Utc>, verify: bool, error: &str) -> WriteOutcome {
    WriteOutcome::Retry {
        at: now,
        verify,
        count_attempt: false,
        error: error.to_string(),
    }
}
