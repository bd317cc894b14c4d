//! When `duijie daemon` runs a scheme: every so often (`every = "5m"`) or
//! at the times of a cron expression (`cron = "0 */30 * * * *"`: seconds,
//! minutes, hours, day of month, month, day of week), only within a
//! time-of-day window if one is given (`only = "08:00-22:00"`), all in the
//! source's zone (UTC+8 for 旺店通) whatever the host's; and the scheduled
//! backfill (`backfill_days = 7` with `backfill_every` or `backfill_cron`),
//! which reads the last days again on its own schedule — each record written
//! once all the same, by the store's rules.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone, Utc};

/// How often runs come.
#[derive(Debug, Clone)]
pub enum Every {
    /// A run this long after the last one started (at once if never run).
    Interval(Duration),
    /// A run at each time of the expression (the first at its next time).
    Cron(Box<cron::Schedule>),
}

impl Every {
    /// Parses a cron expression (6 or 7 fields, seconds first).
    pub fn cron(expr: &str) -> Result<Every, String> {
        cron::Schedule::from_str(expr.trim())
            .map(|s| Every::Cron(Box::new(s)))
            .map_err(|e| {
                format!(
                    "not a cron expression ({e}); six fields, seconds first: \"0 */30 * * * *\" is every half hour"
                )
            })
    }
}

impl fmt::Display for Every {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Every::Interval(d) => write!(f, "every {}", super::format_duration(*d)),
            Every::Cron(s) => write!(f, "cron \"{s}\""),
        }
    }
}

/// A time-of-day window, `start` included, `end` excluded; it may cross
/// midnight (`22:00-06:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Window {
    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Result<Window, String> {
        let bad = || {
            format!("`{text}` is not a time-of-day window: write it as \"08:00-22:00\" (the source's zone)")
        };
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let w = Window {
            start: time(a)?,
            end: time(b)?,
        };
        if w.start == w.end {
            return Err(format!(
                "`{text}` is an empty window: start and end are the same"
            ));
        }
        Ok(w)
    }

    /// Whether `t` is inside.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// The first instant at or after `t` inside the window, in `zone`.
    fn next_inside(&self, t: DateTime<Utc>, zone: FixedOffset) -> DateTime<Utc> {
        let local = t.with_timezone(&zone);
        if self.contains(local.time()) {
            return t;
        }
        let mut day = local.date_naive();
        for _ in 0..2 {
            if let Some(open) = zone
                .from_local_datetime(&day.and_time(self.start))
                .single()
                .map(|d| d.with_timezone(&Utc))
            {
                if open >= t {
                    return open;
                }
            }
            day = day.succ_opt().unwrap_or(day);
        }
        t
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// A scheme's schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub every: Every,
    /// Runs start only within this window (source zone).
    pub only: Option<Window>,
}

impl Schedule {
    /// When the next run is due, given when the last one started (`None`:
    /// never), in the source's `zone`. It may be before `now`: due at once.
    pub fn next(
        &self,
        last: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        zone: FixedOffset,
    ) -> DateTime<Utc> {
        let candidate = match (&self.every, last) {
            (Every::Interval(_), None) => now,
            (Every::Interval(d), Some(last)) => {
                last + chrono::Duration::from_std(*d).unwrap_or(chrono::Duration::MAX)
            }
            (Every::Cron(s), last) => {
                // The expression's next time; with a window, its next time
                // inside the window (not the window's opening).
                let from = last.unwrap_or(now).with_timezone(&zone);
                let inside = |t: &DateTime<FixedOffset>| {
                    self.only.as_ref().is_none_or(|w| w.contains(t.time()))
                };
                return s
                    .after(&from)
                    .take(100_000)
                    .find(inside)
                    .map_or(chrono::DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc));
            }
        };
        match &self.only {
            Some(w) => w.next_inside(candidate, zone),
            None => candidate,
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.every)?;
        if let Some(w) = &self.only {
            write!(f, " within {w}")?;
        }
        Ok(())
    }
}

/// A scheduled backfill: the last `days` days read again on `every`.
#[derive(Debug, Clone)]
pub struct Backfill {
    pub days: u32,
    pub every: Every,
}

impl fmt::Display for Backfill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backfill of the last {} day(s) {}",
            self.days, self.every
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn plus8() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn an_interval_runs_at_once_then_after_each_start() {
        let s = Schedule {
            every: Every::Interval(Duration::from_secs(300)),
            only: None,
        };
        let now = utc("2024-03-01T00:00:00Z");
        assert_eq!(s.next(None, now, plus8()), now);
        assert_eq!(
            s.next(Some(utc("2024-02-29T23:58:00Z")), now, plus8()),
            utc("2024-03-01T00:03:00Z")
        );
    }

    #[test]
    fn cron_times_are_in_the_source_zone() {
        // 02:00 every day at UTC+8 is 18:00 UTC the day before.
        let s = Schedule {
            every: Every::cron("0 0 2 * * *").unwrap(),
            only: None,
        };
        let now = utc("2024-03-01T12:00:00Z"); // 20:00 at +8
        assert_eq!(s.next(None, now, plus8()), utc("2024-03-01T18:00:00Z"));
        let half = Schedule {
            every: Every::cron("0 */30 * * * *").unwrap(),
            only: None,
        };
        assert_eq!(
            half.next(Some(utc("2024-03-01T12:00:00Z")), now, plus8()),
            utc("2024-03-01T12:30:00Z")
        );
        // With a window: the expression's next time inside it.
        let nightly = Schedule {
            every: Every::cron("0 0 * * * *").unwrap(),
            only: Some(Window::parse("01:00-03:00").unwrap()),
        };
        // 20:00 at +8 → 01:00 at +8 the next day (17:00 UTC).
        assert_eq!(
            nightly.next(None, now, plus8()),
            utc("2024-03-01T17:00:00Z")
        );
        let e = Every::cron("*/5 * *").unwrap_err();
        assert!(e.contains("six fields"), "{e}");
    }

    #[test]
    fn a_window_holds_runs_back_until_it_opens_in_the_source_zone() {
        let w = Window::parse("08:00-22:00").unwrap();
        let s = Schedule {
            every: Every::Interval(Duration::from_secs(300)),
            only: Some(w),
        };
        // 23:00 at +8: the next run waits for 08:00 at +8 (00:00 UTC).
        let now = utc("2024-03-01T15:00:00Z");
        assert_eq!(s.next(None, now, plus8()), utc("2024-03-02T00:00:00Z"));
        // 09:00 at +8: at once.
        let now = utc("2024-03-01T01:00:00Z");
        assert_eq!(s.next(None, now, plus8()), now);
        // Across midnight.
        let night = Window::parse("22:00-06:00").unwrap();
        assert!(night.contains(NaiveTime::from_hms_opt(23, 0, 0).unwrap()));
        assert!(night.contains(NaiveTime::from_hms_opt(5, 59, 0).unwrap()));
        assert!(!night.contains(NaiveTime::from_hms_opt(6, 0, 0).unwrap()));
        assert_eq!(w.to_string(), "08:00-22:00");
        for bad in ["8-22", "08:00", "08:00-08:00", "25:00-26:00"] {
            assert!(Window::parse(bad).is_err(), "{bad}");
        }
    }
}
