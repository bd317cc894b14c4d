//! Windows: which modified-time span a run reads, cut into pieces the API
//! accepts, and the request parameters of one page.
//!
//! All arithmetic is on UTC instants; the source's zone (UTC+8 for 旺店通,
//! from the scheme's metadata) is applied only to write a parameter and to
//! find "the start of the day", so the host's zone never matters.

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, NaiveTime, Offset, TimeZone, Utc};
use std::time::Duration;

use duijie_maplib::{ParamValue, SourceMeta};

use crate::config::FirstStart;

/// The format used when the scheme names none.
pub const DEFAULT_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// UTC+8, the zone of 旺店通 and Qimen, used when the scheme names none.
pub const DEFAULT_UTC_OFFSET_SECS: i32 = 8 * 3600;

/// One span of the window, both ends inclusive as the API reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What a run reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Start of the first piece (the watermark less the overlap, the
    /// first-run start, or the backfill start).
    pub start: DateTime<Utc>,
    /// End of the last piece (now less the lag).
    pub end: DateTime<Utc>,
    /// The pieces, in time order; empty when there is nothing to read yet.
    pub pieces: Vec<Piece>,
    /// Whether completing the pieces moves the watermark.
    pub advances: bool,
}

/// Settings of the window of one scheme.
#[derive(Debug, Clone)]
pub struct WindowSettings {
    pub overlap: Duration,
    pub lag: Duration,
    pub first_start: FirstStart,
    /// Longest piece, in seconds (the API's limit; 0 = no limit).
    pub max_secs: u64,
    /// The source's zone.
    pub zone: FixedOffset,
    /// Whether the API filters by time at all; if not, a run reads
    /// everything once (one piece) and there is no watermark.
    pub windowed: bool,
    /// `DAYS_AGO(n)` bound to the start parameter: every run reads from the
    /// start of the day `n` days ago.
    pub start_days_ago: Option<u32>,
}

impl WindowSettings {
    /// Settings from a scheme's source metadata and its configuration.
    pub fn new(
        meta: &SourceMeta,
        overlap: Duration,
        lag: Duration,
        first_start: FirstStart,
    ) -> Self {
        let (max_secs, offset, windowed, start_param) = match &meta.window {
            Some(w) => (
                w.max_secs,
                w.utc_offset_secs,
                true,
                Some(w.start_param.as_str()),
            ),
            None => (0, DEFAULT_UTC_OFFSET_SECS, false, None),
        };
        let start_days_ago = start_param.and_then(|sp| {
            meta.params
                .iter()
                .find(|p| p.name == sp)
                .and_then(|p| match p.value {
                    ParamValue::DaysAgo(n) => Some(n),
                    _ => None,
                })
        });
        WindowSettings {
            overlap,
            lag,
            first_start,
            max_secs,
            zone: zone(offset),
            windowed,
            start_days_ago,
        }
    }
}

/// The zone `offset_secs` east of UTC (UTC+8 when out of range).
pub fn zone(offset_secs: i32) -> FixedOffset {
    match FixedOffset::east_opt(offset_secs) {
        Some(z) => z,
        None => Utc.fix(),
    }
}

fn chrono_dur(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}

/// Truncates to a whole second (API times have no fraction).
pub fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Midnight, in `zone`, of the day `days` days before `now`.
pub fn start_of_day_ago(now: DateTime<Utc>, days: u32, zone: FixedOffset) -> DateTime<Utc> {
    let local = now.with_timezone(&zone) - ChronoDuration::days(i64::from(days));
    let midnight = local.date_naive().and_time(NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

/// Plans a run at `now`. `backfill_days`: re-read from the start of the day
/// that many days ago, without moving the watermark.
pub fn plan(
    settings: &WindowSettings,
    watermark: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    backfill_days: Option<u32>,
) -> Plan {
    let now = whole_second(now);
    if !settings.windowed {
        return Plan {
            start: now,
            end: now,
            pieces: vec![Piece {
                start: now,
                end: now,
            }],
            advances: false,
        };
    }
    let end = now - chrono_dur(settings.lag);
    let (start, advances) = if let Some(days) = backfill_days {
        (start_of_day_ago(now, days, settings.zone), false)
    } else if let Some(days) = settings.start_days_ago {
        (start_of_day_ago(now, days, settings.zone), true)
    } else {
        let s = match watermark {
            Some(w) => w - chrono_dur(settings.overlap),
            None => match settings.first_start {
                FirstStart::At(naive) => settings
                    .zone
                    .from_local_datetime(&naive)
                    .single()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(end),
                FirstStart::DaysAgo(days) => start_of_day_ago(now, days, settings.zone),
            },
        };
        (whole_second(s), true)
    };
    let mut pieces = Vec::new();
    if start < end {
        let step = match i64::try_from(settings.max_secs) {
            Ok(0) => None,
            Ok(secs) => Some(ChronoDuration::seconds(secs)),
            Err(_) => None,
        };
        let mut s = start;
        while s < end {
            let e = match step {
                Some(step) => (s + step).min(end),
                None => end,
            };
            pieces.push(Piece { start: s, end: e });
            s = e;
        }
    }
    Plan {
        start,
        end,
        pieces,
        advances,
    }
}

/// Writes an instant as the API wants it: `format` in `zone`.
pub fn format_time(t: DateTime<Utc>, zone: FixedOffset, format: &str) -> String {
    t.with_timezone(&zone).format(format).to_string()
}

/// Builds the business parameters of one page request from the scheme's
/// parameter bindings. The window and paging parameters are added when the
/// scheme does not bind them.
pub fn page_params(
    meta: &SourceMeta,
    piece: Option<&Piece>,
    page_no: u32,
    page_size: u32,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let (format, zone) = match &meta.window {
        Some(w) => (w.format.as_str(), self::zone(w.utc_offset_secs)),
        None => (DEFAULT_FORMAT, self::zone(DEFAULT_UTC_OFFSET_SECS)),
    };
    let window_start = meta.window.as_ref().map(|w| w.start_param.as_str());
    let mut out: Vec<(String, String)> = Vec::with_capacity(meta.params.len() + 4);
    for p in &meta.params {
        let value = match &p.value {
            ParamValue::Const(v) => v.clone(),
            ParamValue::LastSyncTime => match piece {
                Some(piece) => format_time(piece.start, zone, format),
                None => continue,
            },
            ParamValue::CurrentTime => match piece {
                Some(piece) => format_time(piece.end, zone, format),
                None => continue,
            },
            ParamValue::DaysAgo(n) => match (piece, window_start == Some(p.name.as_str())) {
                // Bound to the window's start: the piece says where.
                (Some(piece), true) => format_time(piece.start, zone, format),
                _ => format_time(start_of_day_ago(now, *n, zone), zone, format),
            },
            ParamValue::PageSize => page_size.to_string(),
            ParamValue::PageNo => page_no.to_string(),
        };
        out.push((p.name.clone(), value));
    }
    let has = |out: &[(String, String)], name: &str| out.iter().any(|(k, _)| k == name);
    if let (Some(w), Some(piece)) = (&meta.window, piece) {
        if !has(&out, &w.start_param) {
            out.push((
                w.start_param.clone(),
                format_time(piece.start, zone, format),
            ));
        }
        if !has(&out, &w.end_param) {
            out.push((w.end_param.clone(), format_time(piece.end, zone, format)));
        }
    }
    if !has(&out, &meta.page_no_param) {
        out.push((meta.page_no_param.clone(), page_no.to_string()));
    }
    if !has(&out, &meta.page_size_param) {
        out.push((meta.page_size_param.clone(), page_size.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use duijie_maplib::{ParamMeta, WindowMeta};

    fn meta() -> SourceMeta {
        SourceMeta {
            system: "wdt".into(),
            api: "purchase_order_query".into(),
            list_key: "purchase_list".into(),
            params: vec![
                ParamMeta {
                    name: "start_time".into(),
                    value: ParamValue::LastSyncTime,
                },
                ParamMeta {
                    name: "end_time".into(),
                    value: ParamValue::CurrentTime,
                },
                ParamMeta {
                    name: "status".into(),
                    value: ParamValue::Const("90".into()),
                },
                ParamMeta {
                    name: "page_size".into(),
                    value: ParamValue::PageSize,
                },
                ParamMeta {
                    name: "page_no".into(),
                    value: ParamValue::PageNo,
                },
            ],
            page_no_param: "page_no".into(),
            page_size_param: "page_size".into(),
            first_page: 0,
            default_page_size: 40,
            max_page_size: 100,
            window: Some(WindowMeta {
                start_param: "start_time".into(),
                end_param: "end_time".into(),
                max_secs: 30 * 86_400,
                format: DEFAULT_FORMAT.into(),
                utc_offset_secs: 28800,
            }),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn settings() -> WindowSettings {
        WindowSettings::new(
            &meta(),
            Duration::from_secs(600),
            Duration::from_secs(60),
            FirstStart::DaysAgo(30),
        )
    }

    #[test]
    fn from_the_watermark_less_overlap_to_now_less_lag() {
        let now = utc("2024-03-01T12:00:00.750Z");
        let p = plan(&settings(), Some(utc("2024-03-01T10:00:00Z")), now, None);
        assert_eq!(p.start, utc("2024-03-01T09:50:00Z"));
        assert_eq!(p.end, utc("2024-03-01T11:59:00Z"));
        assert_eq!(p.pieces.len(), 1);
        assert!(p.advances);
    }

    #[test]
    fn first_run_starts_at_midnight_in_utc_plus_8_and_splits_by_30_days() {
        // 2024-03-01 02:00 UTC is 10:00 in UTC+8; 30 days before is
        // 2024-01-31 (local), midnight local = 2024-01-30T16:00Z.
        let now = utc("2024-03-01T02:00:00Z");
        let p = plan(&settings(), None, now, None);
        assert_eq!(p.start, utc("2024-01-30T16:00:00Z"));
        assert_eq!(p.pieces.len(), 2);
        assert_eq!(p.pieces[0].end, utc("2024-02-29T16:00:00Z"));
        assert_eq!(p.pieces[1].start, p.pieces[0].end);
        assert_eq!(p.pieces[1].end, utc("2024-03-01T01:59:00Z"));
        for piece in &p.pieces {
            assert!(piece.end - piece.start <= ChronoDuration::days(30));
        }
    }

    /// A limit below a day (旺店通 trade_query: 60 minutes) splits by it.
    #[test]
    fn a_limit_of_60_minutes_splits_by_the_hour() {
        let mut s = settings();
        s.max_secs = 3_600;
        let now = utc("2024-03-01T12:00:00Z");
        let p = plan(&s, Some(utc("2024-03-01T09:10:00Z")), now, None);
        // 09:00 (less the overlap) to 11:59 (less the lag): three pieces.
        assert_eq!(p.pieces.len(), 3);
        assert_eq!(p.pieces[0].end, utc("2024-03-01T10:00:00Z"));
        for piece in &p.pieces {
            assert!(piece.end - piece.start <= ChronoDuration::minutes(60));
        }
    }

    #[test]
    fn a_configured_start_is_read_in_the_source_zone() {
        let mut s = settings();
        s.first_start = FirstStart::At(
            chrono::NaiveDate::from_ymd_opt(2024, 2, 20)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap(),
        );
        let p = plan(&s, None, utc("2024-03-01T00:00:00Z"), None);
        assert_eq!(p.start, utc("2024-02-20T00:00:00Z"));
    }

    #[test]
    fn backfill_reads_old_days_without_moving_the_watermark() {
        let now = utc("2024-03-01T02:00:00Z");
        let p = plan(&settings(), Some(utc("2024-03-01T01:00:00Z")), now, Some(2));
        assert_eq!(p.start, utc("2024-02-27T16:00:00Z"));
        assert!(!p.advances);
    }

    #[test]
    fn nothing_to_read_when_the_watermark_is_recent() {
        let now = utc("2024-03-01T02:00:00Z");
        let mut s = settings();
        s.overlap = Duration::ZERO;
        let p = plan(&s, Some(utc("2024-03-01T01:59:30Z")), now, None);
        assert!(p.pieces.is_empty());
    }

    #[test]
    fn parameters_are_written_in_utc_plus_8_whatever_the_host_zone() {
        let piece = Piece {
            start: utc("2023-12-31T16:00:00Z"),
            end: utc("2024-01-01T16:00:00Z"),
        };
        let params = page_params(&meta(), Some(&piece), 3, 40, utc("2024-01-02T00:00:00Z"));
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("start_time"), Some("2024-01-01 00:00:00"));
        assert_eq!(get("end_time"), Some("2024-01-02 00:00:00"));
        assert_eq!(get("status"), Some("90"));
        assert_eq!(get("page_no"), Some("3"));
        assert_eq!(get("page_size"), Some("40"));
        assert_eq!(params.len(), 5);
    }

    #[test]
    fn missing_bindings_are_added_and_days_ago_is_the_start_of_a_day() {
        let mut m = meta();
        m.params = vec![ParamMeta {
            name: "since".into(),
            value: ParamValue::DaysAgo(1),
        }];
        let piece = Piece {
            start: utc("2023-12-31T16:00:00Z"),
            end: utc("2024-01-01T16:00:00Z"),
        };
        let params = page_params(&m, Some(&piece), 0, 40, utc("2024-01-02T20:00:00Z"));
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        // 2024-01-02T20:00Z is 01-03 04:00 local; a day before starts 01-02 00:00 local.
        assert_eq!(get("since"), Some("2024-01-02 00:00:00"));
        assert_eq!(get("start_time"), Some("2024-01-01 00:00:00"));
        assert_eq!(get("end_time"), Some("2024-01-02 00:00:00"));
        assert_eq!(get("page_no"), Some("0"));
        assert_eq!(get("page_size"), Some("40"));
    }

    #[test]
    fn days_ago_on_the_start_parameter_reads_the_last_days_each_run() {
        let mut m = meta();
        m.params[0].value = ParamValue::DaysAgo(3);
        let s = WindowSettings::new(&m, Duration::ZERO, Duration::ZERO, FirstStart::DaysAgo(30));
        assert_eq!(s.start_days_ago, Some(3));
        let now = utc("2024-03-01T02:00:00Z");
        let p = plan(&s, Some(utc("2024-03-01T01:00:00Z")), now, None);
        assert_eq!(p.start, utc("2024-02-26T16:00:00Z"));
        let params = page_params(&m, Some(&p.pieces[0]), 0, 40, now);
        assert_eq!(
            params[0],
            ("start_time".into(), "2024-02-27 00:00:00".into())
        );
    }

    #[test]
    fn an_unwindowed_api_is_read_whole() {
        let mut m = meta();
        m.window = None;
        let s = WindowSettings::new(&m, Duration::ZERO, Duration::ZERO, FirstStart::DaysAgo(30));
        let p = plan(&s, None, utc("2024-03-01T02:00:00Z"), None);
        assert_eq!(p.pieces.len(), 1);
        assert!(!p.advances);
        let params = page_params(&m, None, 0, 40, utc("2024-03-01T02:00:00Z"));
        assert!(params.iter().all(|(k, _)| k != "start_time"));
    }
}
