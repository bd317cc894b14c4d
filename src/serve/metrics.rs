//! `GET /metrics` in the Prometheus text format, from what the state store
//! answers now, and `GET /healthz`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use duijie_runtime::state::Store;

use super::App;

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family: its help, type and samples.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(String, f64)>,
}

impl Family {
    fn new(name: &'static str, kind: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: &[(&str, &str)], value: f64) {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
            .collect::<Vec<_>>()
            .join(",");
        self.samples.push((labels, value));
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in &self.samples {
            if labels.is_empty() {
                let _ = writeln!(out, "{} {value}", self.name);
            } else {
                let _ = writeln!(out, "{}{{{labels}}} {value}", self.name);
            }
        }
    }
}

/// The metrics text of every configured scheme.
pub fn render(app: &App) -> anyhow::Result<String> {
    let mut records = Family::new(
        "duijie_records_total",
        "counter",
        "Records of every run recorded, by outcome (read from the source, written to the target, failed, parked waiting for base data, skipped by a filter, unchanged).",
    );
    let mut queued = Family::new(
        "duijie_records_queued",
        "gauge",
        "Records mapped and waiting in the write queue now.",
    );
    let mut waiting = Family::new(
        "duijie_records_waiting",
        "gauge",
        "Records waiting for base data (a lookup found no row) now.",
    );
    let mut queue = Family::new(
        "duijie_queue_depth",
        "gauge",
        "Bills in the write queue (pending and in flight).",
    );
    let mut verify = Family::new(
        "duijie_queue_to_verify",
        "gauge",
        "Queued bills whose outcome is verified in the target before sending again.",
    );
    let mut dead = Family::new(
        "duijie_dead_letters",
        "gauge",
        "Open dead letters: records that could not be mapped or written.",
    );
    let mut duration = Family::new(
        "duijie_run_duration_seconds",
        "gauge",
        "How long the last finished run took.",
    );
    let mut last = Family::new(
        "duijie_last_run_timestamp_seconds",
        "gauge",
        "When the last run started, Unix time.",
    );
    let mut outcome = Family::new(
        "duijie_last_run_outcome",
        "gauge",
        "1 for the outcome of the last run.",
    );
    let mut watermark = Family::new(
        "duijie_watermark_timestamp_seconds",
        "gauge",
        "Up to when the source has been read, Unix time.",
    );
    let mut paused = Family::new(
        "duijie_scheme_paused",
        "gauge",
        "1 when an operator paused the scheme.",
    );
    let mut runs = Family::new(
        "duijie_runs_recent",
        "gauge",
        "Runs started in the last 24 hours.",
    );
    let since = chrono::Utc::now() - chrono::Duration::hours(24);
    for cfg in &app.config.schemes {
        let name = cfg.name.as_str();
        let store = &app.store;
        let totals = store.run_totals(name)?;
        let o = store.overview(name, 5)?;
        for (what, n) in [
            ("read", totals.read),
            ("written", totals.written),
            ("failed", totals.failed),
            ("waiting", totals.waiting),
            ("skipped", totals.skipped),
            ("unchanged", totals.unchanged),
        ] {
            records.add(&[("scheme", name), ("outcome", what)], n as f64);
        }
        queued.add(&[("scheme", name)], o.records.queued as f64);
        waiting.add(&[("scheme", name)], o.records.waiting as f64);
        queue.add(&[("scheme", name)], o.queue.total() as f64);
        verify.add(&[("scheme", name)], o.queue.to_verify as f64);
        dead.add(&[("scheme", name)], o.dead_letters as f64);
        if let Some(r) = o.runs.first() {
            last.add(&[("scheme", name)], r.started_at.timestamp() as f64);
            outcome.add(&[("scheme", name), ("outcome", r.outcome.as_str())], 1.0);
        }
        if let Some(r) = o.runs.iter().find(|r| r.ended_at.is_some()) {
            if let Some(end) = r.ended_at {
                let ms = (end - r.started_at).num_milliseconds().max(0);
                duration.add(&[("scheme", name)], ms as f64 / 1000.0);
            }
        }
        if let Some(w) = o.watermark {
            watermark.add(&[("scheme", name)], w.timestamp() as f64);
        }
        let p = store.paused(name)?.is_some();
        paused.add(&[("scheme", name)], if p { 1.0 } else { 0.0 });
        runs.add(
            &[("scheme", name)],
            store.runs_since(name, since)?.len() as f64,
        );
    }
    let mut out = String::new();
    for f in [
        &records, &queued, &waiting, &queue, &verify, &dead, &duration, &last, &outcome,
        &watermark, &paused, &runs,
    ] {
        f.write(&mut out);
    }
    Ok(out)
}

/// `GET /metrics`.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let shown = app.clone();
    match tokio::task::spawn_blocking(move || render(&shown)).await {
        Ok(Ok(text)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            app.redact(text),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "metrics: the state store did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the state store did not answer\n",
            )
                .into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "metrics failed\n").into_response(),
    }
}

/// `GET /healthz`: 200 `ok` when the state store answers, 503 otherwise.
pub async fn healthz(State(app): State<Arc<App>>) -> Response {
    let store = app.store.clone();
    match tokio::task::spawn_blocking(move || store.schemes()).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "healthz: the state store did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the state store did not answer\n",
            )
                .into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the check failed\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_print_help_type_and_escaped_labels() {
        let mut f = Family::new("duijie_x", "gauge", "An x.");
        f.add(&[("scheme", "a\"b\\c\nd")], 2.5);
        f.add(&[], 1.0);
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP duijie_x An x.\n# TYPE duijie_x gauge\nduijie_x{scheme=\"a\\\"b\\\\c\\nd\"} 2.5\nduijie_x 1\n"
        );
    }
}
