//! Dates and date-times with explicit offsets.
//!
//! A `date` is a [`NaiveDate`]; a `datetime` is a `DateTime<FixedOffset>`: an
//! instant with the offset it was read in. Formats are chrono `strftime`
//! patterns; a pattern chrono cannot read is an error, never a panic
//! ([`check_format`] validates one ahead of time, and the compiler checks the
//! literal formats of a scheme with it at build time).
//!
//! Zones are fixed offsets: `+08:00`, `-05:00`, `+0800`, `+08`, `Z`, `UTC`,
//! and the named zones `Asia/Shanghai`, `Asia/Hong_Kong`, `Asia/Taipei`,
//! `Asia/Singapore` (all UTC+8, none has daylight saving time).

use std::fmt::Write;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone};

use crate::error::{quote, ValueError};

/// Default format of dates (`to_date`, `to_string` of a date).
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// Default format of date-times (`to_datetime`, `to_string` of a date-time).
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// UTC+8, the zone of every WDT date-time.
pub const UTC8_SECS: i32 = 8 * 3600;

/// Checks that `fmt` is a chrono strftime pattern every formatting and
/// parsing function here accepts.
pub fn check_format(fmt: &str) -> Result<(), String> {
    if StrftimeItems::new(fmt).any(|item| matches!(item, Item::Error)) {
        Err(format!(
            "{} is not a valid date-time format (chrono strftime: %Y, %m, %d, %H, %M, %S, …)",
            quote(fmt)
        ))
    } else {
        Ok(())
    }
}

/// A fixed offset from seconds east of UTC (as in the specs' `zone`).
pub fn offset(secs: i32) -> Result<FixedOffset, ValueError> {
    FixedOffset::east_opt(secs)
        .ok_or_else(|| ValueError::new(format!("{secs} seconds is not a UTC offset")))
}

/// Parses a zone (see the module documentation).
pub fn parse_zone(zone: &str) -> Result<FixedOffset, ValueError> {
    let bad = || {
        ValueError::new(format!(
            "{} is not a zone (write +08:00, -05:00, Z, UTC or Asia/Shanghai)",
            quote(zone)
        ))
    };
    let secs = match zone {
        "Z" | "UTC" => 0,
        "Asia/Shanghai" | "Asia/Hong_Kong" | "Asia/Taipei" | "Asia/Singapore" => UTC8_SECS,
        _ => {
            let b = zone.as_bytes();
            let sign = match b.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            let two = |at: usize| -> Option<i32> {
                let (h, l) = (*b.get(at)?, *b.get(at + 1)?);
                if h.is_ascii_digit() && l.is_ascii_digit() {
                    Some(i32::from(h - b'0') * 10 + i32::from(l - b'0'))
                } else {
                    None
                }
            };
            let hours = two(1).ok_or_else(bad)?;
            let minutes = match b.len() {
                3 => 0,
                5 => two(3).ok_or_else(bad)?,
                6 if b[3] == b':' => two(4).ok_or_else(bad)?,
                _ => return Err(bad()),
            };
            if hours > 23 || minutes > 59 {
                return Err(bad());
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    FixedOffset::east_opt(secs).ok_or_else(bad)
}

fn mismatch(s: &str, fmt: &str, what: &str, e: impl std::fmt::Display) -> ValueError {
    ValueError::new(format!(
        "{} is not a {what} in the format {} ({e})",
        quote(s),
        quote(fmt)
    ))
}

/// Parses a date with a chrono format.
pub fn parse_date(s: &str, fmt: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(s, fmt).map_err(|e| mismatch(s, fmt, "date", e))
}

/// Parses a date-time with a chrono format. A format with an offset (`%z`,
/// `%:z`) takes the offset from the text; otherwise the time is in `zone`.
/// A format without a time of day gives midnight.
pub fn parse_datetime(
    s: &str,
    fmt: &str,
    zone: FixedOffset,
) -> Result<DateTime<FixedOffset>, ValueError> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, s, StrftimeItems::new(fmt))
        .map_err(|e| mismatch(s, fmt, "date-time", e))?;
    let offset = match parsed.offset() {
        Some(secs) => offset(secs)?,
        None => zone,
    };
    let naive = match parsed.to_naive_datetime_with_offset(offset.local_minus_utc()) {
        Ok(n) => n,
        Err(e) => {
            if parsed.hour_div_12().is_none() && parsed.hour_mod_12().is_none() {
                let date = parsed
                    .to_naive_date()
                    .map_err(|e| mismatch(s, fmt, "date-time", e))?;
                date.and_time(NaiveTime::MIN)
            } else {
                return Err(mismatch(s, fmt, "date-time", e));
            }
        }
    };
    offset
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| ValueError::new(format!("{} is out of the date range", quote(s))))
}

/// `to_datetime(s, format, zone)` with the zone as text.
pub fn to_datetime(s: &str, fmt: &str, zone: &str) -> Result<DateTime<FixedOffset>, ValueError> {
    parse_datetime(s, fmt, parse_zone(zone)?)
}

/// Formats a date-time in `zone` (its own offset when `None`).
pub fn format_datetime(
    t: &DateTime<FixedOffset>,
    fmt: &str,
    zone: Option<FixedOffset>,
) -> Result<String, ValueError> {
    check_format(fmt).map_err(ValueError::new)?;
    let t = match zone {
        Some(z) => t.with_timezone(&z),
        None => *t,
    };
    let mut out = String::new();
    write!(out, "{}", t.format(fmt)).map_err(|_| cannot_format(fmt, "date-time"))?;
    Ok(out)
}

/// `format_datetime(t, format[, zone])` with the zone as text.
pub fn format_datetime_zone(
    t: &DateTime<FixedOffset>,
    fmt: &str,
    zone: Option<&str>,
) -> Result<String, ValueError> {
    let zone = zone.map(parse_zone).transpose()?;
    format_datetime(t, fmt, zone)
}

/// Formats a date. A format asking for a time of day (`%H`) is an error.
pub fn format_date(d: NaiveDate, fmt: &str) -> Result<String, ValueError> {
    check_format(fmt).map_err(ValueError::new)?;
    let mut out = String::new();
    write!(out, "{}", d.format(fmt)).map_err(|_| cannot_format(fmt, "date"))?;
    Ok(out)
}

fn cannot_format(fmt: &str, what: &str) -> ValueError {
    ValueError::new(format!("cannot format a {what} with {}", quote(fmt)))
}

/// `date(t[, zone])`: the calendar date of `t` in `zone` (its own offset
/// when `None`).
pub fn date_of(t: &DateTime<FixedOffset>, zone: Option<FixedOffset>) -> NaiveDate {
    match zone {
        Some(z) => t.with_timezone(&z).date_naive(),
        None => t.date_naive(),
    }
}

/// `date(t, zone)` with the zone as text.
pub fn date_of_zone(
    t: &DateTime<FixedOffset>,
    zone: Option<&str>,
) -> Result<NaiveDate, ValueError> {
    let zone = zone.map(parse_zone).transpose()?;
    Ok(date_of(t, zone))
}

fn out_of_range() -> ValueError {
    ValueError::new("date out of range")
}

pub fn add_days_date(d: NaiveDate, days: i64) -> Result<NaiveDate, ValueError> {
    TimeDelta::try_days(days)
        .and_then(|delta| d.checked_add_signed(delta))
        .ok_or_else(out_of_range)
}

pub fn add_days_datetime(
    t: &DateTime<FixedOffset>,
    days: i64,
) -> Result<DateTime<FixedOffset>, ValueError> {
    TimeDelta::try_days(days)
        .and_then(|delta| t.checked_add_signed(delta))
        .ok_or_else(out_of_range)
}

/// `to_string` of a date: `2024-01-02`.
pub fn date_to_string(d: NaiveDate) -> String {
    d.format(DATE_FORMAT).to_string()
}

/// `to_string` of a date-time: `2024-01-02 10:00:00`, in its own offset.
pub fn datetime_to_string(t: &DateTime<FixedOffset>) -> String {
    t.format(DATETIME_FORMAT).to_string()
}

/// True for WDT's zero time (`0000-00-00 00:00:00`, `0000-00-00`), which
/// means "no date".
pub fn is_zero_time(s: &str) -> bool {
    s.starts_with("0000-00-00")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc8() -> FixedOffset {
        offset(UTC8_SECS).unwrap()
    }

    #[test]
    fn zones() {
        for (z, secs) in [
            ("+08:00", 28800),
            ("-05:00", -18000),
            ("+0530", 19800),
            ("+08", 28800),
            ("Z", 0),
            ("UTC", 0),
            ("Asia/Shanghai", 28800),
            ("Asia/Hong_Kong", 28800),
            ("Asia/Taipei", 28800),
            ("Asia/Singapore", 28800),
        ] {
            assert_eq!(parse_zone(z).unwrap().local_minus_utc(), secs, "{z}");
        }
        for z in [
            "",
            "08:00",
            "+8:00",
            "+24:00",
            "+08:60",
            "Asia/Tokyo",
            "utc",
            "+08:00:00",
            "+0８",
        ] {
            assert!(parse_zone(z).is_err(), "{z}");
        }
    }

    #[test]
    fn formats() {
        assert!(check_format("%Y-%m-%d %H:%M:%S").is_ok());
        assert!(check_format("%Y年%m月%d日").is_ok());
        assert!(check_format("%Q").is_err());
        assert!(check_format("%").is_err());
        let t = parse_datetime("2024-01-02 10:00:00", DATETIME_FORMAT, utc8()).unwrap();
        assert!(format_datetime(&t, "%Q", None).is_err());
        assert_eq!(
            format_datetime(&t, "%Y-%m-%dT%H:%M:%S%:z", None).unwrap(),
            "2024-01-02T10:00:00+08:00"
        );
        assert_eq!(
            format_datetime(&t, "%Y-%m-%d %H:%M", Some(offset(0).unwrap())).unwrap(),
            "2024-01-02 02:00"
        );
        assert_eq!(
            format_datetime_zone(&t, "%H", Some("-05:00")).unwrap(),
            "21"
        );
        assert!(format_datetime_zone(&t, "%H", Some("Mars")).is_err());
        let d = parse_date("2024-01-02", DATE_FORMAT).unwrap();
        assert_eq!(format_date(d, "%Y年%m月%d日").unwrap(), "2024年01月02日");
        assert!(format_date(d, "%Y %H").is_err());
        assert!(format_date(d, "%Q").is_err());
    }

    #[test]
    fn parsing() {
        let t = parse_datetime("2024-01-02 10:00:00", DATETIME_FORMAT, utc8()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T10:00:00+08:00");
        let t = to_datetime(
            "2024-01-02T10:00:00-05:00",
            "%Y-%m-%dT%H:%M:%S%:z",
            "+08:00",
        )
        .unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T10:00:00-05:00");
        let t = parse_datetime("2024-01-02", DATE_FORMAT, utc8()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T00:00:00+08:00");
        assert_eq!(
            parse_datetime("2024-13-02 10:00:00", DATETIME_FORMAT, utc8()).unwrap_err().reason,
            "\"2024-13-02 10:00:00\" is not a date-time in the format \"%Y-%m-%d %H:%M:%S\" (input is out of range)"
        );
        assert!(parse_datetime("2024-01-02 10", DATETIME_FORMAT, utc8()).is_err());
        assert!(parse_datetime("x", "%Q", utc8()).is_err());
        assert!(parse_date("2024-02-30", DATE_FORMAT).is_err());
        assert!(parse_date("0000-00-00", DATE_FORMAT).is_err());
        assert!(is_zero_time("0000-00-00 00:00:00"));
    }

    #[test]
    fn days_and_dates() {
        let t = parse_datetime("2024-01-02 01:00:00", DATETIME_FORMAT, utc8()).unwrap();
        assert_eq!(date_of(&t, None).to_string(), "2024-01-02");
        assert_eq!(
            date_of_zone(&t, Some("UTC")).unwrap().to_string(),
            "2024-01-01"
        );
        assert_eq!(
            datetime_to_string(&add_days_datetime(&t, -2).unwrap()),
            "2023-12-31 01:00:00"
        );
        let d = parse_date("2024-02-28", DATE_FORMAT).unwrap();
        assert_eq!(date_to_string(add_days_date(d, 1).unwrap()), "2024-02-29");
        assert!(add_days_date(d, i64::MAX).is_err());
        assert!(add_days_datetime(&t, 1_000_000_000).is_err());
    }
}
