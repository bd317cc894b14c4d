//! The sandbox's clock and the vendors' time formats.
//!
//! The clock is the system clock unless frozen ([`Clock::set`]): tests freeze
//! it at a protocol test vector's timestamp so that the vector's request is
//! not rejected as stale. Session idling uses a monotonic clock instead and is
//! not affected.
//!
//! 旺店通 and Qimen write times as `YYYY-MM-DD HH:MM:SS` in UTC+8 whatever the
//! host's zone.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

const UNSET: i64 = i64::MIN;

/// Seconds east of UTC of 旺店通's and Qimen's times (Asia/Shanghai).
pub(crate) const CST_OFFSET_SECS: i32 = 8 * 3600;

/// The sandbox clock: system time, or a frozen instant.
#[derive(Debug)]
pub(crate) struct Clock {
    fixed: AtomicI64,
}

impl Clock {
    pub(crate) fn new(fixed: Option<i64>) -> Self {
        Clock {
            fixed: AtomicI64::new(fixed.unwrap_or(UNSET)),
        }
    }

    /// Unix seconds now.
    pub(crate) fn now(&self) -> i64 {
        match self.fixed.load(Ordering::Relaxed) {
            UNSET => chrono::Utc::now().timestamp(),
            t => t,
        }
    }

    /// Freezes the clock at `t` (unix seconds), or lets it run again (`None`).
    pub(crate) fn set(&self, t: Option<i64>) {
        self.fixed.store(t.unwrap_or(UNSET), Ordering::Relaxed);
    }
}

fn cst_naive(ts: i64) -> NaiveDateTime {
    DateTime::from_timestamp(ts + i64::from(CST_OFFSET_SECS), 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS` in UTC+8.
pub(crate) fn fmt_cst(ts: i64) -> String {
    let d = cst_naive(ts);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// `YYYY-MM-DD` in UTC+8.
pub(crate) fn fmt_cst_date(ts: i64) -> String {
    let d = cst_naive(ts);
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `YYYYMMDD` in UTC+8 (used inside bill numbers).
pub(crate) fn fmt_cst_compact_date(ts: i64) -> String {
    let d = cst_naive(ts);
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Parses `YYYY-MM-DD HH:MM:SS` (UTC+8) into unix seconds.
pub(crate) fn parse_cst(s: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(naive.and_utc().timestamp() - i64::from(CST_OFFSET_SECS))
}

/// Parses a date or date-time as Kingdee accepts them (`2024-01-02`,
/// `2024-01-02 00:00:00`, `2024-01-02T00:00:00`), returning Kingdee's own
/// rendering `2024-01-02T00:00:00`.
pub(crate) fn kingdee_datetime(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(normal) = kingdee_datetime_fast(s) {
        return Some(normal);
    }
    kingdee_datetime_chrono(s)
}

/// [`kingdee_datetime`] by chrono's formats alone (what the fast path must
/// agree with).
fn kingdee_datetime_chrono(s: &str) -> Option<String> {
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(format!("{}T00:00:00", d.format("%Y-%m-%d")));
        }
    }
    None
}

/// [`kingdee_datetime`] of the two shapes nearly every bill carries,
/// `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS` (or with `T`), without chrono's
/// format parser; `None` for anything else (the caller then tries chrono).
fn kingdee_datetime_fast(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() != 10 && b.len() != 19 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let (h, m, sec) = if b.len() == 19 {
        if !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        (num(11..13)?, num(14..16)?, num(17..19)?)
    } else {
        (0, 0, 0)
    };
    // A leap second (`:60`) is left to chrono.
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{h:02}:{m:02}:{sec:02}",
        date.year(),
        date.month(),
        date.day()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cst_round_trip() {
        // 2024-01-02 10:00:00 +08:00
        let t = 1_704_160_800;
        assert_eq!(fmt_cst(t), "2024-01-02 10:00:00");
        assert_eq!(parse_cst("2024-01-02 10:00:00"), Some(t));
        assert_eq!(fmt_cst_date(t), "2024-01-02");
        assert_eq!(fmt_cst_compact_date(t), "20240102");
        assert_eq!(parse_cst("2024-01-02"), None);
        assert_eq!(parse_cst("2024-13-02 10:00:00"), None);
    }

    #[test]
    fn frozen_clock() {
        let c = Clock::new(Some(1_700_000_000));
        assert_eq!(c.now(), 1_700_000_000);
        c.set(None);
        assert!(c.now() > 1_700_000_000);
    }

    #[test]
    fn kingdee_dates() {
        assert_eq!(
            kingdee_datetime("2024-01-02").as_deref(),
            Some("2024-01-02T00:00:00")
        );
        assert_eq!(
            kingdee_datetime("2024-01-02 08:30:00").as_deref(),
            Some("2024-01-02T08:30:00")
        );
        assert_eq!(kingdee_datetime("yesterday"), None);
    }

    /// The fast path answers as chrono's formats do.
    #[test]
    fn kingdee_datetime_fast_path_agrees_with_chrono() {
        fn slow(s: &str) -> Option<String> {
            kingdee_datetime_chrono(s.trim())
        }
        for s in [
            "2024-01-02",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "0999-01-01",
            "2024-01-02 08:30:00",
            "2024-01-02T23:59:59",
            "2024-01-02 24:00:00",
            "2024-01-02 12:60:00",
            "2024-01-02 12:00:61",
            "2024-01-02X12:00:00",
            "2024/01/02",
            "2024-1-02 ",
            "+024-01-02",
            "2024-01-0a",
            "2024-01-02 08:30:0x",
            "2024-01-02 23:59:60",
            " 2024-01-02 ",
            "2024-01-02 08:30:00.5",
            "2024-01-02 8:30:00",
        ] {
            assert_eq!(kingdee_datetime(s), slow(s), "{s}");
        }
        assert!(kingdee_datetime_fast("2024-01-02").is_some());
        assert!(kingdee_datetime_fast("2024-01-02 08:30:00").is_some());
    }
}
