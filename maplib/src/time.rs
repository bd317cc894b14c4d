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
use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike,
};

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

/// Checks a date-time format the way it is used on a source: valid, and
/// able to read back a date-time it writes (`%Y-%m-%d` alone reads as
/// midnight; `bogus` or `%H:%M` cannot be read as a date-time at all).
pub fn check_datetime_format(fmt: &str) -> Result<(), String> {
    check_format(fmt)?;
    let zone = offset(UTC8_SECS).map_err(|e| e.reason)?;
    let sample = NaiveDate::from_ymd_opt(2024, 1, 2)
        .and_then(|d| d.and_hms_opt(10, 15, 30))
        .and_then(|t| t.and_local_timezone(zone).single())
        .ok_or_else(|| "internal error: no sample date-time".to_string())?;
    let text = format_datetime(&sample, fmt, None).map_err(|e| e.reason)?;
    parse_datetime(&text, fmt, zone).map(|_| ()).map_err(|_| {
        format!(
            "{} cannot be read as a date-time: it writes {} and cannot read that back (it needs at least a date: %Y, %m, %d)",
            quote(fmt),
            quote(&text)
        )
    })
}

/// Checks a date format the way it is used on a source: valid, and able to
/// read back a date it writes.
pub fn check_date_format(fmt: &str) -> Result<(), String> {
    check_format(fmt)?;
    let sample = NaiveDate::from_ymd_opt(2024, 1, 2)
        .ok_or_else(|| "internal error: no sample date".to_string())?;
    let text = format_date(sample, fmt).map_err(|e| e.reason)?;
    parse_date(&text, fmt).map(|_| ()).map_err(|_| {
        format!(
            "{} cannot be read as a date: it writes {} and cannot read that back (it needs %Y, %m and %d)",
            quote(fmt),
            quote(&text)
        )
    })
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
    if fmt == DATETIME_FORMAT {
        if let Some(t) = parse_plain_datetime(s.as_bytes(), zone) {
            return Ok(t);
        }
    }
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

/// WDT's usual date-time, `YYYY-MM-DD HH:MM:SS` exactly (what chrono reads
/// with [`DATETIME_FORMAT`]), without chrono's format machinery. `None` for
/// anything else, chrono then decides (other widths, a leap second, errors).
fn parse_plain_datetime(b: &[u8], zone: FixedOffset) -> Option<DateTime<FixedOffset>> {
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?;
    let time = NaiveTime::from_hms_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?)?;
    zone.from_local_datetime(&date.and_time(time)).single()
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
    datetime_text(t, fmt, zone).map(String::from)
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
    date_text(d, fmt).map(String::from)
}

/// [`format_datetime`] without allocating for text of up to
/// [`TimeText::INLINE`] bytes (every numeric format); the same text.
pub fn datetime_text(
    t: &DateTime<FixedOffset>,
    fmt: &str,
    zone: Option<FixedOffset>,
) -> Result<TimeText, ValueError> {
    let t = match zone {
        Some(z) => t.with_timezone(&z),
        None => *t,
    };
    let (date, time) = (t.date_naive(), t.time());
    // The two formats of WDT and Kingdee, written directly (chrono's
    // bytes: 4-digit years, 2-digit fields; a leap second falls back).
    if (0..=9999).contains(&date.year()) && time.nanosecond() < 1_000_000_000 {
        if fmt == DATETIME_FORMAT {
            let mut text = TimeText::empty();
            text.push_date(date);
            text.push_time(time);
            return Ok(text);
        }
        if fmt == DATE_FORMAT {
            let mut text = TimeText::empty();
            text.push_date(date);
            return Ok(text);
        }
    }
    check_format(fmt).map_err(ValueError::new)?;
    let mut text = TimeText::empty();
    write!(text, "{}", t.format(fmt)).map_err(|_| cannot_format(fmt, "date-time"))?;
    Ok(text)
}

/// [`format_date`] without allocating for text of up to
/// [`TimeText::INLINE`] bytes (every numeric format); the same text.
pub fn date_text(d: NaiveDate, fmt: &str) -> Result<TimeText, ValueError> {
    if fmt == DATE_FORMAT && (0..=9999).contains(&d.year()) {
        let mut text = TimeText::empty();
        text.push_date(d);
        return Ok(text);
    }
    check_format(fmt).map_err(ValueError::new)?;
    let mut text = TimeText::empty();
    write!(text, "{}", d.format(fmt)).map_err(|_| cannot_format(fmt, "date"))?;
    Ok(text)
}

/// A formatted date or date-time: kept inline up to [`TimeText::INLINE`]
/// bytes, on the heap beyond (a format with long text in it).
#[derive(Clone, PartialEq, Eq)]
pub struct TimeText(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// Invariant: `bytes[..len]` is UTF-8 (only whole `&str` pieces are
    /// copied in).
    Inline {
        len: u8,
        bytes: [u8; TimeText::INLINE],
    },
    Heap(String),
}

impl TimeText {
    /// The longest text kept inline.
    pub const INLINE: usize = 38;

    fn empty() -> TimeText {
        TimeText(Repr::Inline {
            len: 0,
            bytes: [0; TimeText::INLINE],
        })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always UTF-8 (see `Repr::Inline`); "" cannot happen.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    fn push_ascii(&mut self, piece: &[u8]) {
        if let Repr::Inline { len, bytes } = &mut self.0 {
            let at = usize::from(*len);
            if let Some(slot) = bytes.get_mut(at..at + piece.len()) {
                slot.copy_from_slice(piece);
                *len += piece.len() as u8;
                return;
            }
        }
        // ASCII is UTF-8.
        let _ = self.write_str(std::str::from_utf8(piece).unwrap_or_default());
    }

    /// `YYYY-MM-DD` (the year in 0..=9999).
    fn push_date(&mut self, d: NaiveDate) {
        let (y, m, day) = (d.year(), d.month(), d.day());
        let digit = |v: u32| b'0' + (v % 10) as u8;
        let y = y.unsigned_abs();
        self.push_ascii(&[
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(day / 10),
            digit(day),
        ]);
    }

    /// ` HH:MM:SS`.
    fn push_time(&mut self, t: NaiveTime) {
        let (h, m, s) = (t.hour(), t.minute(), t.second());
        let digit = |v: u32| b'0' + (v % 10) as u8;
        self.push_ascii(&[
            b' ',
            digit(h / 10),
            digit(h),
            b':',
            digit(m / 10),
            digit(m),
            b':',
            digit(s / 10),
            digit(s),
        ]);
    }
}

impl Write for TimeText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match &mut self.0 {
            Repr::Inline { len, bytes } => {
                let at = usize::from(*len);
                match bytes.get_mut(at..at + s.len()) {
                    Some(slot) => {
                        slot.copy_from_slice(s.as_bytes());
                        *len += s.len() as u8;
                    }
                    None => {
                        let mut heap = String::with_capacity(at + s.len());
                        heap.push_str(std::str::from_utf8(&bytes[..at]).unwrap_or_default());
                        heap.push_str(s);
                        self.0 = Repr::Heap(heap);
                    }
                }
            }
            Repr::Heap(heap) => heap.push_str(s),
        }
        Ok(())
    }
}

impl std::ops::Deref for TimeText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for TimeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for TimeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<TimeText> for String {
    fn from(text: TimeText) -> String {
        match text.0 {
            Repr::Heap(s) => s,
            Repr::Inline { .. } => text.as_str().to_owned(),
        }
    }
}

impl serde::Serialize for TimeText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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
    fn texts_are_chrono_formats() {
        let zones = [utc8(), offset(0).unwrap(), offset(-5 * 3600).unwrap()];
        let formats = [
            DATETIME_FORMAT,
            DATE_FORMAT,
            "%Y年%m月%d日 %H时%M分%S秒",
            "%Y-%m-%dT%H:%M:%S%.3f%:z",
            "%A %d %B %Y %H:%M:%S %z, a rather long format past the inline text",
        ];
        for (y, m, d) in [
            (2024, 1, 2),
            (1, 12, 31),
            (0, 1, 1),
            (999, 2, 3),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 30),
            (-10000, 6, 30),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            for fmt in formats {
                let mut want = String::new();
                match write!(want, "{}", date.format(fmt)) {
                    Ok(()) => assert_eq!(date_text(date, fmt).unwrap().as_str(), want),
                    Err(_) => assert!(date_text(date, fmt).is_err(), "{date} {fmt}"),
                }
            }
            for (h, mi, s, nano) in [
                (0, 0, 0, 0),
                (23, 59, 59, 999_999_999),
                (12, 5, 59, 1_500_000_000),
            ] {
                let naive = date.and_hms_nano_opt(h, mi, s, nano).unwrap();
                for zone in zones {
                    let Some(t) = zone.from_local_datetime(&naive).single() else {
                        continue;
                    };
                    for fmt in formats {
                        for to in [None, Some(utc8())] {
                            let shown = match to {
                                Some(z) => t.with_timezone(&z),
                                None => t,
                            };
                            let want = shown.format(fmt).to_string();
                            let text = datetime_text(&t, fmt, to).unwrap();
                            assert_eq!(text.as_str(), want, "{t:?} {fmt}");
                            assert_eq!(format_datetime(&t, fmt, to).unwrap(), want);
                        }
                    }
                }
            }
        }
        let long = formats[4];
        let t = parse_datetime("2024-01-02 10:00:00", DATETIME_FORMAT, utc8()).unwrap();
        let text = datetime_text(&t, long, None).unwrap();
        assert!(text.len() > TimeText::INLINE);
        assert_eq!(String::from(text.clone()), t.format(long).to_string());
        assert_eq!(
            serde_json::to_string(&text).unwrap(),
            serde_json::to_string(&t.format(long).to_string()).unwrap()
        );
        assert!(date_text(t.date_naive(), DATETIME_FORMAT).is_err());
        assert!(datetime_text(&t, "%Q", None).is_err());
    }

    #[test]
    fn plain_datetimes_parse_as_chrono_does() {
        let zone = utc8();
        for s in [
            "2024-01-19 08:19:07",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2024-02-29 12:00:00",
            "2023-02-29 12:00:00",
            "2024-13-01 00:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01 23:59:60",
            "2024-1-01 00:00:00",
            "2024-01-01T00:00:00",
            "+2024-01-01 00:00:0",
            "0000-00-00 00:00:00",
        ] {
            let mut parsed = Parsed::new();
            let by_chrono =
                chrono::format::parse(&mut parsed, s, StrftimeItems::new(DATETIME_FORMAT))
                    .ok()
                    .and_then(|()| {
                        parsed
                            .to_naive_datetime_with_offset(zone.local_minus_utc())
                            .ok()
                    })
                    .and_then(|n| zone.from_local_datetime(&n).single());
            if let Some(t) = parse_plain_datetime(s.as_bytes(), zone) {
                assert_eq!(Some(t), by_chrono, "{s}");
            }
            assert_eq!(
                parse_datetime(s, DATETIME_FORMAT, zone).ok(),
                by_chrono,
                "{s}"
            );
        }
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
