//! Reading one window piece: every page, several at once, within the
//! account's rate limit, without losing a record that moves between pages.
//!
//! A record edited while we read gets a new modified time — now — so it
//! either leaves the window (it belongs to the next one) or, if the source
//! orders by modified time, moves to the very end of the order. Either way
//! the records after its old place shift one place down, and one of them
//! can cross onto a page already read: lost, if nothing is done. So:
//!
//! 1. **Fast pass.** Page 0 first (it gives `total_count`), then the other
//!    pages, highest first, as many at a time as the run's read limit allows
//!    ([`crate::limit`]); each page is mapped and
//!    stored in one transaction as it arrives. Then page 0 is asked again:
//!    if the total is unchanged and the pages added up to it, nothing moved.
//! 2. **Careful pass**, when something moved: page 0 for the total, then
//!    the other pages one at a time from the highest down, then page 0 again
//!    (stored too). In that order a downward shift only carries records from
//!    pages already read onto pages still to read — read twice, never
//!    missed — and an edited record is read in this window or the next (the
//!    overlap covers it). The pass is complete if the total did not grow;
//!    if it grew (records *entered* the window, which edits do not do), the
//!    careful pass is repeated, up to `max_rereads` times, then the run stops
//!    for now without moving the watermark.
//!
//! Reading a record twice costs nothing: the store recognises a record it
//! has already queued or written.

use futures_util::stream::{FuturesOrdered, StreamExt};
use serde_json::value::RawValue;

use super::record::map_one;
use super::window::{page_params, Piece};
use super::writer::{overload_or_not, Feed};
use super::{blocking, Engine, Scheme, SourcePage, Stop};
use crate::error::ErrorKind;
use crate::limit::{Limit, Outcome};
use crate::state::{IngestOptions, PieceId, RunId};

/// How long a reader waits before offering again a record whose earlier
/// version is being written.
const BUSY_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

impl Engine {
    pub(crate) async fn read_piece(
        &self,
        s: &Scheme,
        run: RunId,
        piece: &Piece,
        pid: PieceId,
        limit: &Limit,
        feed: &Feed,
    ) -> Result<(), Stop> {
        let meta = &s.mapper.meta().source;
        let windowed = meta.window.is_some();
        let piece_arg = windowed.then_some(piece);
        let first = meta.first_page;
        let page_size = s.settings.page_size.max(1);
        let mut last_reason = String::new();
        for attempt in 0..=s.settings.max_rereads {
            let careful = attempt > 0;
            if careful {
                tracing::info!(
                    scheme = %s.name,
                    attempt,
                    reason = %last_reason,
                    "records moved while the window was read; reading it again, pages high to low"
                );
            }
            let page0 = self.fetch(s, piece_arg, first, page_size, limit).await?;
            let n0 = page0.listed();
            self.ingest_page(s, run, pid, page0.records, feed).await?;
            let Some(total) = page0.total_count else {
                // No total: read on until a short page.
                return self
                    .read_until_short(s, run, pid, piece_arg, first, page_size, n0, limit, feed)
                    .await;
            };
            if !careful {
                self.progress.total(&s.name, total);
            }
            if n0 < total.min(u64::from(page_size)) {
                return Err(Stop::Failed(format!(
                    "{} returned {n0} records on its first page although {total} match and page_size is {page_size}: \
                     the API may cap the page size; set a smaller page_size for scheme `{}` (or max_page_size on its connection)",
                    meta.api, s.name
                )));
            }
            let pages = total.div_ceil(u64::from(page_size)).max(1);
            if pages == 1 {
                // One answer holds every record: nothing could move.
                return Ok(());
            }
            let last = u64::from(first) + pages - 1;
            let Ok(last) = u32::try_from(last) else {
                return Err(Stop::Failed(format!(
                    "{} reports {total} records: too many pages",
                    meta.api
                )));
            };
            let rest: Vec<u32> = ((first + 1)..=last).rev().collect();
            let mut received = n0;
            {
                // Pages are fetched while earlier ones are mapped and stored,
                // as many at once as the limit allows (one in the careful
                // pass), and stored in their order.
                let (pages_tx, mut pages_rx) =
                    tokio::sync::mpsc::channel(s.settings.concurrency.max());
                let fetching = async move {
                    let mut pages = rest.into_iter();
                    let mut in_flight = FuturesOrdered::new();
                    loop {
                        let room = if careful { 1 } else { limit.current() };
                        while in_flight.len() < room {
                            let Some(p) = pages.next() else { break };
                            in_flight.push_back(self.fetch(s, piece_arg, p, page_size, limit));
                        }
                        let Some(page) = in_flight.next().await else {
                            break;
                        };
                        if pages_tx.send(page?).await.is_err() {
                            break; // storing stopped
                        }
                    }
                    Ok::<(), Stop>(())
                };
                let storing = async {
                    while let Some(page) = pages_rx.recv().await {
                        received += page.listed();
                        self.ingest_page(s, run, pid, page.records, feed).await?;
                        if self.shutdown.requested() {
                            return Err(Stop::Shutdown);
                        }
                    }
                    Ok(())
                };
                let (fetched, stored) = tokio::join!(fetching, storing);
                stored?;
                fetched?;
            }
            let check = self.fetch(s, piece_arg, first, page_size, limit).await?;
            if careful {
                // Page 0 read last completes the high-to-low order.
                self.ingest_page(s, run, pid, check.records, feed).await?;
            }
            match check.total_count {
                Some(t) if t == total && received == total => return Ok(()),
                Some(t) if careful && t <= total => return Ok(()),
                Some(t) if t != total => {
                    last_reason = format!("total_count went from {total} to {t}");
                }
                _ => {
                    last_reason = format!("{received} records received, total_count {total}");
                }
            }
        }
        Err(Stop::Incomplete(format!(
            "records kept moving while window {} … {} was read ({last_reason}); the next run reads it again",
            piece.start, piece.end
        )))
    }

    #[allow(clippy::too_many_arguments)]
    async fn read_until_short(
        &self,
        s: &Scheme,
        run: RunId,
        pid: PieceId,
        piece: Option<&Piece>,
        first: u32,
        page_size: u32,
        mut last_len: u64,
        limit: &Limit,
        feed: &Feed,
    ) -> Result<(), Stop> {
        let mut page_no = first;
        while last_len >= u64::from(page_size) {
            page_no += 1;
            let page = self.fetch(s, piece, page_no, page_size, limit).await?;
            last_len = page.listed();
            self.ingest_page(s, run, pid, page.records, feed).await?;
            if self.shutdown.requested() {
                return Err(Stop::Shutdown);
            }
        }
        Ok(())
    }

    /// Maps a page and stores it in one transaction.
    ///
    /// A record whose earlier version is being written right now is stored
    /// once that write is recorded (the store reports it *busy*): the page
    /// is complete in the store before this returns.
    async fn ingest_page(
        &self,
        s: &Scheme,
        run: RunId,
        pid: PieceId,
        records: Vec<Box<RawValue>>,
        feed: &Feed,
    ) -> Result<(), Stop> {
        if records.is_empty() {
            return Ok(());
        }
        let n = records.len() as u64;
        // Mapped on the blocking pool too: the task goes on with requests.
        let (mapper, lookups) = (s.mapper.clone(), self.lookups.clone());
        let mut mapped = blocking(move || {
            let meta = mapper.meta();
            let mut buf = Vec::new();
            records
                .iter()
                .map(|r| map_one(mapper.as_ref(), meta, lookups.as_ref(), r.get(), &mut buf))
                .collect::<Vec<_>>()
        })
        .await?;
        let options = IngestOptions {
            on_change: s.settings.on_change,
            force: false,
        };
        let mut waited = std::time::Duration::ZERO;
        loop {
            let (scheme, now) = (s.name.clone(), self.now());
            let (back, sum) = self
                .stored(move |store| {
                    let sum = store.ingest(run, &scheme, Some(pid), options, &mapped, now)?;
                    Ok((mapped, sum))
                })
                .await?;
            mapped = back;
            if sum.queued > 0 {
                self.progress.queued(&s.name, sum.queued as u64);
                feed.queued();
            }
            if sum.busy.is_empty() {
                break;
            }
            if waited >= s.settings.lease {
                return Err(Stop::Incomplete(format!(
                    "{} records of this window were still being written after {waited:?}; the next run reads them again",
                    sum.busy.len()
                )));
            }
            let mut keep = sum.busy.into_iter().peekable();
            let mut i = 0;
            mapped.retain(|_| {
                let k = keep.next_if_eq(&i).is_some();
                i += 1;
                k
            });
            self.sleep(BUSY_PAUSE).await?;
            waited += BUSY_PAUSE;
        }
        self.progress.read(&s.name, n);
        Ok(())
    }

    /// Fetches one page, waiting for the rate limit, pausing on rate-limit
    /// answers and retrying transient failures with backoff. Each answer
    /// tells the concurrency `limit` of the load.
    async fn fetch(
        &self,
        s: &Scheme,
        piece: Option<&Piece>,
        page_no: u32,
        page_size: u32,
        limit: &Limit,
    ) -> Result<SourcePage, Stop> {
        let meta = &s.mapper.meta().source;
        let params = page_params(meta, piece, page_no, page_size, self.now());
        let policy = s.settings.retry;
        let mut attempts = 0u32;
        let mut streak = 0u32;
        let started = tokio::time::Instant::now();
        loop {
            self.acquire(&s.source_limit).await?;
            let permit = limit.start();
            let sent = tokio::time::Instant::now();
            let answer = s.source.query(&params).await;
            limit.finish(
                permit,
                match &answer {
                    Ok(page) => Outcome::Answered {
                        latency: sent.elapsed(),
                        measured: page.listed() >= u64::from(page_size),
                    },
                    Err(e) => overload_or_not(e),
                },
            );
            match answer {
                Ok(page) => return Ok(page),
                Err(e) if e.is_rate_limited() => {
                    streak += 1;
                    if started.elapsed() > policy.rate_limit_patience {
                        return Err(Stop::Incomplete(format!(
                            "reading page {page_no}: still rate-limited after {:?}: {e}",
                            policy.rate_limit_patience
                        )));
                    }
                    let pause = policy.rate_limit_pause(streak);
                    tracing::info!(scheme = %s.name, page = page_no, ?pause, "source rate limit: pausing");
                    self.progress.paused(&s.name, "旺店通", pause);
                    s.source_limit.pause(pause);
                }
                Err(e) if e.is_transient() || e.kind() == ErrorKind::SessionLost => {
                    attempts += 1;
                    if attempts >= policy.max_attempts {
                        return Err(Stop::Incomplete(format!(
                            "reading page {page_no}: {e} (after {attempts} attempts)"
                        )));
                    }
                    let wait = policy.backoff(attempts);
                    tracing::info!(scheme = %s.name, page = page_no, attempt = attempts, ?wait, error = %e, "source call failed; retrying");
                    self.sleep(wait).await?;
                }
                Err(e) => return Err(Stop::Failed(format!("reading page {page_no}: {e}"))),
            }
        }
    }
}
