//! Checking a `[schemes.NAME]` table: its compiled scheme, its source and
//! target connections, its schedule, window, batches and retries.

use super::*;

/// A whole number the table may give, with where it is.
type OptNumber = Option<Spanned<u32>>;

impl Checker<'_> {
    /// Checks the scheme `name`, whose source and target are among
    /// `connections`.
    pub(super) fn scheme(
        &self,
        name: &str,
        raw: Spanned<RawScheme>,
        connections: &BTreeMap<String, ConnectionConfig>,
    ) -> Result<SchemeConfig, ConfigError> {
        let table = raw.span();
        let p = format!("schemes.{name}");
        self.check_name(name, &table, &p, "scheme")?;
        let s = raw.into_inner();
        let every = s
            .every
            .as_ref()
            .map_or(Duration::from_secs(300), |d| d.get_ref().0);
        if every < Duration::from_secs(1) {
            return Err(self.invalid(
                span_or(&s.every, &table),
                format!("{p}.every"),
                "must be at least 1s",
            ));
        }
        let schedule = self.schedule(&table, &p, &s, every)?;
        let backfill = self.backfill(&table, &p, &s)?;
        let map_at = self.at_or(&s.map, &table, &p, "map");
        let map = match s.map {
            Some(m) if m.get_ref().trim().is_empty() => {
                return Err(self.invalid(m.span(), format!("{p}.map"), "must not be empty"))
            }
            Some(m) => m.into_inner(),
            None => name.to_string(),
        };

        let source = self.end(&table, &p, "source", s.source, connections)?;
        let target = self.end(&table, &p, "target", s.target, connections)?;
        let page_size_at = self.at_or(&s.page_size, &table, &p, "page_size");
        if let Some(v) = &s.page_size {
            if *v.get_ref() == 0 {
                return Err(self.invalid(v.span(), format!("{p}.page_size"), "must be at least 1"));
            }
        }
        let batch_size = self.number(
            &s.batch_size,
            format!("{p}.batch_size"),
            20,
            1..=1000,
            "must be between 1 and 1000 (金蝶 advises at most 20)",
        )?;
        let max_concurrency = self.number(
            &s.max_concurrency,
            format!("{p}.max_concurrency"),
            crate::limit::DEFAULT_MAX as u32,
            1..=64,
            "must be between 1 and 64",
        )?;
        let concurrency = match &s.concurrency {
            None => crate::limit::Concurrency::Adaptive {
                max: max_concurrency as usize,
            },
            Some(_) => crate::limit::Concurrency::Fixed(self.number(
                &s.concurrency,
                format!("{p}.concurrency"),
                2,
                1..=32,
                "must be between 1 and 32",
            )? as usize),
        };
        let start = self.start(&p, &s.start, &s.start_days_ago)?;
        let on_change = self.on_change(&p, &s.on_change)?;
        let max_attempts = self.number(
            &s.max_attempts,
            format!("{p}.max_attempts"),
            8,
            1..=u32::MAX,
            "must be at least 1",
        )?;
        let retry_base = s
            .retry_base
            .as_ref()
            .map_or(Duration::from_millis(500), |d| d.get_ref().0);
        let retry_max = s
            .retry_max
            .as_ref()
            .map_or(Duration::from_secs(30), |d| d.get_ref().0);
        if retry_max < retry_base {
            let given = if s.retry_max.is_some() {
                &s.retry_max
            } else {
                &s.retry_base
            };
            return Err(self.invalid(
                span_or(given, &table),
                format!("{p}.retry_max"),
                "must not be less than retry_base",
            ));
        }
        Ok(SchemeConfig {
            name: name.to_string(),
            map,
            source,
            target,
            every,
            schedule,
            backfill,
            page_size: s.page_size.map(Spanned::into_inner),
            batch_size: batch_size as usize,
            overlap: s
                .overlap
                .map_or(Duration::from_secs(600), |d| d.into_inner().0),
            lag: s.lag.map_or(Duration::from_secs(60), |d| d.into_inner().0),
            start,
            concurrency,
            on_change,
            enabled: s.enabled.unwrap_or(true),
            submit_and_audit: s.submit_and_audit.unwrap_or(false),
            max_attempts,
            retry_base,
            retry_max,
            lookup_refresh: s
                .lookup_refresh
                .map_or(Duration::ZERO, |d| d.into_inner().0),
            at: self.at(table, p),
            map_at,
            page_size_at,
        })
    }

    /// `every` or `cron` (not both), within `only`.
    fn schedule(
        &self,
        table: &Range<usize>,
        p: &str,
        s: &RawScheme,
        every: Duration,
    ) -> Result<schedule::Schedule, ConfigError> {
        let every = match (&s.cron, &s.every) {
            (Some(c), Some(_)) => {
                return Err(self.invalid(
                    c.span(),
                    format!("{p}.cron"),
                    "give either `every` or `cron`, not both",
                ))
            }
            (Some(c), None) => schedule::Every::cron(c.get_ref())
                .map_err(|e| self.invalid(c.span(), format!("{p}.cron"), e))?,
            (None, _) => schedule::Every::Interval(every),
        };
        let only = match &s.only {
            Some(o) => Some(
                schedule::Window::parse(o.get_ref())
                    .map_err(|e| self.invalid(o.span(), format!("{p}.only"), e))?,
            ),
            None => None,
        };
        let _ = table;
        Ok(schedule::Schedule { every, only })
    }

    /// `backfill_days` with `backfill_every` or `backfill_cron`.
    fn backfill(
        &self,
        table: &Range<usize>,
        p: &str,
        s: &RawScheme,
    ) -> Result<Option<schedule::Backfill>, ConfigError> {
        let every = match (&s.backfill_every, &s.backfill_cron) {
            (Some(_), Some(c)) => {
                return Err(self.invalid(
                    c.span(),
                    format!("{p}.backfill_cron"),
                    "give either `backfill_every` or `backfill_cron`, not both",
                ))
            }
            (Some(e), None) => {
                if e.get_ref().0 < Duration::from_secs(1) {
                    return Err(self.invalid(
                        e.span(),
                        format!("{p}.backfill_every"),
                        "must be at least 1s",
                    ));
                }
                Some(schedule::Every::Interval(e.get_ref().0))
            }
            (None, Some(c)) => Some(
                schedule::Every::cron(c.get_ref())
                    .map_err(|e| self.invalid(c.span(), format!("{p}.backfill_cron"), e))?,
            ),
            (None, None) => None,
        };
        match (&s.backfill_days, every) {
            (Some(d), Some(every)) => {
                if *d.get_ref() == 0 {
                    return Err(self.invalid(
                        d.span(),
                        format!("{p}.backfill_days"),
                        "must be at least 1",
                    ));
                }
                Ok(Some(schedule::Backfill {
                    days: *d.get_ref(),
                    every,
                }))
            }
            (Some(d), None) => Err(self.invalid(
                d.span(),
                format!("{p}.backfill_days"),
                "needs `backfill_every` or `backfill_cron`: when the daemon reads the days again",
            )),
            (None, Some(_)) => Err(self.invalid(
                table.clone(),
                p,
                "`backfill_days` is missing (how many days the scheduled backfill reads again)",
            )),
            (None, None) => Ok(None),
        }
    }

    /// Where `key` of the table is, or the table when it does not give it.
    fn at_or<T>(
        &self,
        v: &Option<Spanned<T>>,
        table: &Range<usize>,
        p: &str,
        key: &str,
    ) -> Location {
        match v {
            Some(v) => self.at(v.span(), format!("{p}.{key}")),
            None => self.at(table.clone(), p),
        }
    }

    /// The connection named by `key` (`source` or `target`): one of
    /// `connections`, of a kind that can be that end.
    fn end(
        &self,
        table: &Range<usize>,
        p: &str,
        key: &str,
        v: OptText,
        connections: &BTreeMap<String, ConnectionConfig>,
    ) -> Result<String, ConfigError> {
        let Some(v) = v else {
            return Err(self.invalid(
                table.clone(),
                p,
                format!("`{key}` is missing (the name of a connection)"),
            ));
        };
        let Some(conn) = connections.get(v.get_ref()) else {
            let msg = if connections.is_empty() {
                format!(
                    "no connection named \"{}\" (the file has no [connections.…])",
                    v.get_ref()
                )
            } else {
                let names = connections.keys().cloned().collect::<Vec<_>>().join(", ");
                format!(
                    "no connection named \"{}\" (there are: {names})",
                    v.get_ref()
                )
            };
            return Err(self.invalid(v.span(), format!("{p}.{key}"), msg));
        };
        let is_target = conn.kind == ConnectionKind::Kingdee;
        if is_target != (key == "target") {
            return Err(self.invalid(
                v.span(),
                format!("{p}.{key}"),
                format!(
                    "connection \"{}\" is of kind {}, which cannot be a {key}",
                    v.get_ref(),
                    conn.kind
                ),
            ));
        }
        Ok(v.into_inner())
    }

    /// A whole number of `range`, `default` when the table does not give it.
    fn number(
        &self,
        v: &OptNumber,
        key: String,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
        message: &str,
    ) -> Result<u32, ConfigError> {
        match v {
            None => Ok(default),
            Some(v) if range.contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(self.invalid(v.span(), key, message)),
        }
    }

    /// Where the first run starts: `start` or `start_days_ago` (default 30
    /// days ago).
    fn start(
        &self,
        p: &str,
        start: &OptText,
        days_ago: &OptNumber,
    ) -> Result<FirstStart, ConfigError> {
        match (start, days_ago) {
            (Some(a), Some(_)) => Err(self.invalid(
                a.span(),
                format!("{p}.start"),
                "give either `start` or `start_days_ago`, not both",
            )),
            (Some(a), None) => Ok(FirstStart::At(parse_start(a.get_ref()).ok_or_else(|| {
                self.invalid(
                    a.span(),
                    format!("{p}.start"),
                    format!(
                        "`{}` is not a date-time: write \"2024-01-01\" or \"2024-01-01 08:00:00\" (the source's time zone)",
                        a.get_ref()
                    ),
                )
            })?)),
            (None, Some(d)) => Ok(FirstStart::DaysAgo(*d.get_ref())),
            (None, None) => Ok(FirstStart::DaysAgo(30)),
        }
    }

    /// `on_change = "skip" | "update"` (default skip).
    fn on_change(&self, p: &str, v: &OptText) -> Result<OnChange, ConfigError> {
        let Some(v) = v else {
            return Ok(OnChange::Skip);
        };
        match v.get_ref().as_str() {
            "skip" => Ok(OnChange::Skip),
            "update" => Ok(OnChange::Update),
            other => Err(self.invalid(
                v.span(),
                format!("{p}.on_change"),
                format!("unknown value `{other}` (use skip or update)"),
            )),
        }
    }
}

/// `2024-01-01`, `2024-01-01 08:00`, `2024-01-01 08:00:00` (also with `T`).
pub(super) fn parse_start(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(v) = NaiveDateTime::parse_from_str(t, f) {
            return Some(v);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}
