//! The pages: every scheme at a glance (`/`), one scheme (`/schemes/NAME`:
//! runs, queue, dead letters grouped by reason with search, the action
//! log), one dead letter (`/schemes/NAME/dead-letters/ID`, as `duijie
//! dead-letters show` prints it) and one run (`/runs/ID`). Labels in
//! Chinese, English beside them.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, FixedOffset, Timelike, Utc};
use duijie_runtime::config::SchemeConfig;
use duijie_runtime::engine::window::{zone, DEFAULT_UTC_OFFSET_SECS};
use duijie_runtime::state::{Action, DeadLetterInfo, DeadLetterQuery, RunOutcome, RunSummary};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::App;
use crate::cmd::dead_letters::{reason_line, render_detail, zone_of};
use crate::cmd::status::{collect_from, elapsed, time, SchemeStatus};

const STYLE: &str = r#"
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:baseline}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eaeef2;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.en{color:#57606a;font-weight:normal;font-size:.85em}
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem;margin:.6rem 0}
pre{background:#fff;border:1px solid #d0d7de;padding:.8rem;overflow:auto;font-size:.85rem}
form.inline{display:inline}button{cursor:pointer}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .8rem;border-radius:6px}
.charts{display:flex;flex-wrap:wrap;gap:0 .8rem}.charts .card{margin:.4rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{font-weight:600}
"#;

/// A whole page: the header, `body`, the secrets of the configuration
/// cleared.
fn page(app: &App, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · duijie" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "duijie 运行概况 " span.en { "Overview" } }
                    a href="/metrics" { "指标 " span.en { "Metrics" } }
                }
                main { (body) }
            }
        }
    };
    Html(app.redact(markup.into_string())).into_response()
}

/// A page of one message, for errors and refusals (nothing of the
/// configuration on it).
pub fn plain_page(title: &str, text: &str) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { (title) } style { (PreEscaped(STYLE)) } }
            body { main { h1 { (title) } p { (text) } p { a href="/" { "运行概况 Overview" } } } }
        }
    };
    Html(markup.into_string())
}

/// An error answer.
pub fn fail(status: StatusCode, title: &str, text: &str) -> Response {
    (status, plain_page(title, text)).into_response()
}

/// A refusal or a failure, answered as the page that says it.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    title: &'static str,
    text: String,
}

impl Refusal {
    pub fn new(status: StatusCode, title: &'static str, text: impl Into<String>) -> Refusal {
        Refusal {
            status,
            title,
            text: text.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        fail(self.status, self.title, &self.text)
    }
}

/// Any other path.
pub async fn not_found() -> Response {
    fail(StatusCode::NOT_FOUND, "找不到 · Not found", "no such page")
}

/// Runs `f` on the blocking pool; a failure is a 500 page (logged).
pub async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Refusal> {
    let app = app.clone();
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "serve: reading the state failed");
            Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "出错了 · Error",
                "the state store did not answer; see the server's log",
            ))
        }
        Err(_) => Err(Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "出错了 · Error",
            "the page failed",
        )),
    }
}

/// The configured scheme `name`, or a 404 page.
pub fn scheme_config<'a>(app: &'a App, name: &str) -> Result<&'a SchemeConfig, Refusal> {
    app.config.scheme(name).ok_or_else(|| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "找不到方案 · No such scheme",
            "no scheme of that name is configured",
        )
    })
}

/// A run's outcome in words, with a class for its colour.
fn outcome(o: RunOutcome, running_now: bool) -> Markup {
    let (zh, class) = match o {
        RunOutcome::Running if !running_now => ("中断", "warn"),
        RunOutcome::Running => ("运行中", "warn"),
        RunOutcome::Succeeded => ("成功", "ok"),
        RunOutcome::SucceededWithDeadLetters => ("成功（有死信）", "warn"),
        RunOutcome::Incomplete => ("未完成", "warn"),
        RunOutcome::Failed => ("失败", "bad"),
        RunOutcome::Interrupted => ("中断", "warn"),
    };
    let en = if o == RunOutcome::Running && !running_now {
        "interrupted"
    } else {
        o.as_str()
    };
    html! { span class=(class) { (zh) " " span.en { (en) } } }
}

fn window(r: &RunSummary, z: FixedOffset) -> String {
    match (r.window_start, r.window_end) {
        (Some(a), Some(b)) => format!("{} → {}", time(a, z), time(b, z)),
        _ => "-".into(),
    }
}

/// Records written and failed per hour over the 24 hours before `now`, from
/// the runs that ended then: a small bar chart.
fn chart(runs: &[RunSummary], now: DateTime<Utc>, z: FixedOffset) -> Markup {
    let start = now - Duration::hours(24);
    let mut hours = [(0i64, 0i64); 24];
    for r in runs {
        let at = r.ended_at.unwrap_or(r.started_at);
        if at < start || at > now {
            continue;
        }
        let i = ((at - start).num_minutes() / 60).clamp(0, 23) as usize;
        hours[i].0 += r.counts.written;
        hours[i].1 += r.counts.failed;
    }
    let max = hours
        .iter()
        .map(|(w, f)| (*w).max(*f))
        .max()
        .unwrap_or(0)
        .max(1);
    let (h, slot) = (80.0, 20.0);
    let bar = |n: i64| (n as f64 / max as f64) * h;
    html! {
        svg.chart width="500" height="112" viewBox="0 0 500 112" role="img"
            aria-label="每小时写入与失败 records written and failed per hour, last 24 hours" {
            line x1="20" y1=(h + 4.0) x2="500" y2=(h + 4.0) stroke="#d0d7de" {}
            text x="0" y="12" font-size="10" fill="#57606a" { (max) }
            @for (i, (w, f)) in hours.iter().enumerate() {
                @let x = 20.0 + i as f64 * slot;
                @let hour = (start + Duration::hours(i as i64)).with_timezone(&z);
                rect x=(x + 2.0) y=(h + 4.0 - bar(*w)) width="8" height=(bar(*w)) fill="#2da44e" {
                    title { (format!("{:02}:00 写入 written {w}", hour.hour())) }
                }
                rect x=(x + 10.0) y=(h + 4.0 - bar(*f)) width="8" height=(bar(*f)) fill="#cf222e" {
                    title { (format!("{:02}:00 失败 failed {f}", hour.hour())) }
                }
                @if i % 6 == 0 {
                    text x=(x) y=(h + 18.0) font-size="10" fill="#57606a" { (format!("{:02}:00", hour.hour())) }
                }
            }
            rect x="300" y="100" width="8" height="8" fill="#2da44e" {}
            text x="312" y="108" font-size="10" { "写入 written" }
            rect x="390" y="100" width="8" height="8" fill="#cf222e" {}
            text x="402" y="108" font-size="10" { "失败 failed" }
        }
    }
}

fn zone_or_default(s: &SchemeStatus) -> FixedOffset {
    s.zone.unwrap_or_else(|| zone(DEFAULT_UTC_OFFSET_SECS))
}

fn next_run(s: &SchemeStatus, z: FixedOffset) -> String {
    match s.next_run {
        _ if s.paused.is_some() => "已暂停 paused".into(),
        Some(t) if t <= Utc::now() => format!("现在 now ({})", s.schedule),
        Some(t) => format!("{} ({})", time(t, z), s.schedule),
        None if !s.enabled => "已停用 disabled".into(),
        None => "无守护进程 no daemon".into(),
    }
}

/// `GET /`.
pub async fn overview(State(app): State<Arc<App>>) -> Response {
    let now = Utc::now();
    let since = now - Duration::hours(24);
    let data = blocking(&app, move |app| {
        let status = collect_from(&app.config, Some(&app.store), None, &app.mappers, 1)?;
        let mut day = Vec::new();
        for s in &status.schemes {
            day.push(app.store.runs_since(&s.scheme, since)?);
        }
        Ok((status, day))
    })
    .await;
    let (status, day) = match data {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let z8 = zone(DEFAULT_UTC_OFFSET_SECS);
    let body = html! {
        h1 { "运行概况 " span.en { "Overview" } }
        p {
            @if status.daemons.is_empty() {
                span.warn { "无守护进程运行 " span.en { "no daemon running" } }
            }
            @for d in &status.daemons {
                span.ok { "守护进程运行中 " span.en { "daemon running" } }
                (format!(" · pid {} on {} since {} {z8}", d.pid, d.host, time(d.started_at, z8)))
            }
        }
        table id="schemes" {
            thead { tr {
                th { "方案 " span.en { "Scheme" } }
                th { "最近运行 " span.en { "Last run" } }
                th { "结果 " span.en { "Outcome" } }
                th { "读取 " span.en { "Read" } }
                th { "写入 " span.en { "Written" } }
                th { "失败 " span.en { "Failed" } }
                th { "队列 " span.en { "Queue" } }
                th { "死信 " span.en { "Dead letters" } }
                th { "待基础资料 " span.en { "Waiting for base data" } }
                th { "水位 " span.en { "Watermark" } }
                th { "下次运行 " span.en { "Next run" } }
            } }
            tbody {
                @for s in &status.schemes {
                    @let z = zone_or_default(s);
                    @let o = &s.overview;
                    tr data-scheme=(s.scheme) {
                        td {
                            a href=(format!("/schemes/{}", s.scheme)) { (s.scheme) }
                            @if let Some(t) = &s.title { br; span.en { (t) } }
                            @if s.paused.is_some() { br; span.warn { "已暂停 paused" } }
                        }
                        @match o.runs.first() {
                            Some(r) => {
                                td { a href=(format!("/runs/{}", r.id)) { (time(r.started_at, z)) } }
                                td { (outcome(r.outcome, s.running)) }
                                td.n { (r.counts.read) }
                                td.n { (r.counts.written) }
                                td.n { (r.counts.failed) }
                            }
                            None => { td colspan="5" { "尚未运行 " span.en { "never run" } } }
                        }
                        td.n.queue { (o.queue.total()) }
                        td.n.dead { (o.dead_letters) }
                        td.n.waiting { (o.waiting) }
                        td { (o.watermark.map_or_else(|| "-".to_string(), |w| time(w, z))) }
                        td { (next_run(s, z)) }
                    }
                }
            }
        }
        h2 { "过去 24 小时 " span.en { "Last 24 hours: records written and failed per hour" } }
        div.charts {
            @for (s, runs) in status.schemes.iter().zip(&day) {
                div.card {
                    a href=(format!("/schemes/{}", s.scheme)) { (s.scheme) }
                    br;
                    (chart(runs, now, zone_or_default(s)))
                }
            }
        }
    };
    page(&app, "运行概况 Overview", body)
}

#[derive(Debug, serde::Deserialize)]
pub struct Search {
    q: Option<String>,
}

/// A form posting to `action` with the CSRF token, `fields` and a button.
fn form(app: &App, action: &str, fields: Markup, button: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(app.auth.csrf());
            (fields)
            button type="submit" { (button) }
        }
    }
}

/// The open dead letters grouped by reason, the largest group first.
fn by_reason(letters: &[DeadLetterInfo]) -> Vec<(String, Vec<&DeadLetterInfo>)> {
    let mut groups: Vec<(String, Vec<&DeadLetterInfo>)> = Vec::new();
    for d in letters {
        let key = reason_line(&d.letter);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(d),
            None => groups.push((key, vec![d])),
        }
    }
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    groups
}

fn actions_table(actions: &[Action], z: FixedOffset) -> Markup {
    html! {
        @if actions.is_empty() {
            p { "尚无操作 " span.en { "no actions yet" } }
        } @else {
            table id="actions" {
                thead { tr {
                    th { "时间 " span.en { "When" } }
                    th { "操作人 " span.en { "Who" } }
                    th { "操作 " span.en { "What" } }
                    th { "死信 " span.en { "Dead letter" } }
                    th { "备注 " span.en { "Note" } }
                } }
                tbody {
                    @for a in actions {
                        tr {
                            td { (time(a.at, z)) }
                            td { (a.actor) }
                            td { (a.action) }
                            td { @if let Some(id) = a.dead_letter {
                                a href=(format!("/schemes/{}/dead-letters/{id}", a.scheme)) { (id) }
                            } }
                            td { (a.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /schemes/{name}`.
pub async fn scheme(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(search): Query<Search>,
) -> Response {
    if let Err(r) = scheme_config(&app, &name) {
        return r.into_response();
    }
    let now = Utc::now();
    let q = search
        .q
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty());
    let (n, query) = (name.clone(), q.clone());
    let data = blocking(&app, move |app| {
        let status = collect_from(&app.config, Some(&app.store), Some(&n), &app.mappers, 20)?;
        let letters = app.store.list_dead_letters(
            &n,
            &DeadLetterQuery {
                reason: query,
                ..DeadLetterQuery::default()
            },
        )?;
        let actions = app.store.actions(Some(&n), 20)?;
        let day = app.store.runs_since(&n, now - Duration::hours(24))?;
        Ok((status, letters, actions, day))
    })
    .await;
    let (status, letters, actions, day) = match data {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let Some(s) = status.schemes.first() else {
        return not_found().await;
    };
    let z = zone_or_default(s);
    let o = &s.overview;
    let base = format!("/schemes/{}", s.scheme);
    let groups = by_reason(&letters);
    let body = html! {
        h1 { "方案 " span.en { "Scheme" } " " (s.scheme)
            @if let Some(t) = &s.title { " " span.en { (t) } } }
        @if let Some(note) = app.last_note(&s.scheme) {
            p.note id="last-note" { "最近操作 " span.en { "last action" } ": " (note) }
        }
        div.card {
            dl {
                dt { "映射 " span.en { "Map" } } dd { (s.path) " (" (s.map) ")" }
                dt { "状态 " span.en { "State" } } dd {
                    @if !s.enabled { span.warn { "已停用 disabled" } " " }
                    @if s.running { span.warn { "运行中 running now" } " " }
                    @match &s.paused {
                        Some(p) => { span.warn id="paused" { (format!("已暂停 paused by {} at {}", p.actor, time(p.at, z))) } }
                        None => { span.ok { "正常 active" } }
                    }
                }
                dt { "水位 " span.en { "Watermark" } }
                dd { (o.watermark.map_or_else(|| "none yet".to_string(), |w| format!("{} {z}", time(w, z)))) }
                dt { "下次运行 " span.en { "Next run" } } dd { (next_run(s, z)) }
                dt { "记录 " span.en { "Records" } }
                dd { (format!("{} written 写入 · {} skipped 跳过 · {} failed 失败 · {} queued 排队 · {} waiting for base data 待基础资料",
                    o.records.written, o.records.skipped, o.records.failed, o.records.queued, o.records.waiting)) }
                dt { "队列 " span.en { "Queue" } }
                dd id="queue" { (format!("{} pending 待发 · {} in flight 发送中 · {} to verify 待核实",
                    o.queue.pending, o.queue.inflight, o.queue.to_verify)) }
                dt { "死信 " span.en { "Dead letters" } } dd id="dead-count" { (o.dead_letters) }
                dt { "待基础资料 " span.en { "Waiting for base data" } }
                dd id="waiting" {
                    (o.waiting)
                    @for w in &o.top_waiting {
                        br;
                        (format!("{} × {} {} 不在金蝶 ({}.{})", w.count,
                            s.lookup_labels.iter().find(|(f, _)| *f == w.waiting.form)
                                .map_or(w.waiting.form.as_str(), |(_, l)| l.as_str()),
                            w.waiting.key, w.waiting.form, w.waiting.by))
                    }
                }
            }
            p {
                (form(&app, &format!("{base}/run"), html! {}, "立即运行 Run now"))
                " "
                @if s.paused.is_some() {
                    (form(&app, &format!("{base}/resume"), html! {}, "恢复 Resume"))
                } @else {
                    (form(&app, &format!("{base}/pause"), html! {}, "暂停 Pause"))
                }
            }
        }
        h2 { "过去 24 小时 " span.en { "Last 24 hours" } }
        div.card { (chart(&day, now, z)) }
        h2 { "死信 " span.en { "Dead letters" } " (" (letters.len()) ")" }
        form method="get" action=(base) {
            input type="search" name="q" value=(q.as_deref().unwrap_or("")) placeholder="原因、字段 reason or field";
            " " button type="submit" { "搜索 Search" }
            @if q.is_some() { " " a href=(base) { "全部 all" } }
        }
        @if groups.is_empty() {
            p { "没有未处理的死信 " span.en { "no open dead letters" } }
        }
        @for (reason, group) in &groups {
            div.card.reason {
                p {
                    strong { (reason) } " — " (group.len()) " "
                    (form(&app, &format!("{base}/retry-reason"),
                        html! { input type="hidden" name="reason" value=(reason); },
                        "全部重试 Retry all of this reason"))
                }
                table.letters {
                    thead { tr {
                        th { "编号 " span.en { "Id" } }
                        th { "记录 " span.en { "Record" } }
                        th { "单据编号 " span.en { "Bill number" } }
                        th { "最近失败 " span.en { "Last failed" } }
                        th { "次数 " span.en { "Times" } }
                        th { "" }
                    } }
                    tbody {
                        @for d in group {
                            @let x = &d.letter;
                            tr {
                                td { a href=(format!("{base}/dead-letters/{}", x.id)) { (x.id) } }
                                td { (x.record_id.as_deref().unwrap_or("(no id)")) }
                                td { (d.number.as_deref().unwrap_or("-")) }
                                td { (time(x.last_seen, z)) }
                                td.n { (x.occurrences) }
                                td { (form(&app, &format!("{base}/dead-letters/{}/retry", x.id), html! {}, "重试 Retry")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "运行记录 " span.en { "Runs" } }
        (runs_table(&o.runs, s.running, z))
        h2 { "操作记录 " span.en { "Actions" } }
        (actions_table(&actions, z))
    };
    page(&app, &format!("{} · 方案 Scheme", s.scheme), body)
}

fn runs_table(runs: &[RunSummary], running_now: bool, z: FixedOffset) -> Markup {
    html! {
        @if runs.is_empty() {
            p { "尚未运行 " span.en { "never run" } }
        } @else {
            table id="runs" {
                thead { tr {
                    th { "运行 " span.en { "Run" } }
                    th { "类型 " span.en { "Kind" } }
                    th { "结果 " span.en { "Outcome" } }
                    th { "开始 " span.en { "Started" } }
                    th { "耗时 " span.en { "Took" } }
                    th { "读取窗口 " span.en { "Window read" } }
                    th { "读取 " span.en { "Read" } }
                    th { "写入 " span.en { "Written" } }
                    th { "跳过 " span.en { "Skipped" } }
                    th { "失败 " span.en { "Failed" } }
                } }
                tbody {
                    @for r in runs {
                        tr {
                            td { a href=(format!("/runs/{}", r.id)) { (r.id) } }
                            td { (r.kind.as_str()) }
                            td { (outcome(r.outcome, running_now)) }
                            td { (time(r.started_at, z)) }
                            td { (elapsed(r.started_at, r.ended_at)) }
                            td { (window(r, z)) }
                            td.n { (r.counts.read) }
                            td.n { (r.counts.written) }
                            td.n { (r.counts.skipped) }
                            td.n { (r.counts.failed) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /schemes/{name}/dead-letters/{id}`.
pub async fn dead_letter(
    State(app): State<Arc<App>>,
    Path((name, id)): Path<(String, i64)>,
) -> Response {
    let cfg = match scheme_config(&app, &name) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let z = zone_of(cfg, &app.mappers);
    let detail = match blocking(&app, move |app| Ok(app.store.dead_letter_detail(id)?)).await {
        Ok(Some(d)) if d.info.letter.scheme == name => d,
        Ok(_) => {
            return fail(
                StatusCode::NOT_FOUND,
                "找不到死信 · No such dead letter",
                "no dead letter of that id in this scheme",
            )
        }
        Err(r) => return r.into_response(),
    };
    let base = format!("/schemes/{name}/dead-letters/{id}");
    let open = detail.info.resolution.is_none();
    let body = html! {
        h1 { "死信 " span.en { "Dead letter" } " " (id) " · "
            a href=(format!("/schemes/{name}")) { (name) } }
        @if open {
            div.card {
                p { (form(&app, &format!("{base}/retry"), html! {}, "重试 Retry")) " "
                    span.en { "map it again with the current mapping, queue it and write it" } }
                form method="post" action=(format!("{base}/discard")) {
                    input type="hidden" name="csrf" value=(app.auth.csrf());
                    label for="note" { "作废原因 " span.en { "Why it is discarded (required)" } }
                    br;
                    textarea id="note" name="note" rows="2" cols="60" required {}
                    br;
                    button type="submit" { "作废 Discard" }
                }
            }
        }
        pre id="detail" { (render_detail(&detail, z)) }
    };
    page(&app, &format!("死信 Dead letter {id}"), body)
}

/// `GET /runs/{id}`.
pub async fn run(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Response {
    let r = match blocking(&app, move |app| Ok(app.store.run(id)?)).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return fail(
                StatusCode::NOT_FOUND,
                "找不到运行 · No such run",
                "no run of that id",
            )
        }
        Err(r) => return r.into_response(),
    };
    let z = app.config.scheme(&r.scheme).map_or_else(
        || zone(DEFAULT_UTC_OFFSET_SECS),
        |c| zone_of(c, &app.mappers),
    );
    let c = &r.counts;
    let body = html! {
        h1 { "运行 " span.en { "Run" } " " (r.id) " · "
            a href=(format!("/schemes/{}", r.scheme)) { (r.scheme) } }
        div.card { dl {
            dt { "类型 " span.en { "Kind" } } dd { (r.kind.as_str()) }
            dt { "结果 " span.en { "Outcome" } } dd { (outcome(r.outcome, r.outcome == RunOutcome::Running)) }
            dt { "开始 " span.en { "Started" } } dd { (format!("{} {z}", time(r.started_at, z))) }
            dt { "结束 " span.en { "Ended" } } dd { (r.ended_at.map_or_else(|| "-".to_string(), |e| time(e, z))) }
            dt { "耗时 " span.en { "Took" } } dd { (elapsed(r.started_at, r.ended_at)) }
            dt { "读取窗口 " span.en { "Window read" } } dd id="window" { (window(&r, z)) }
            dt { "计数 " span.en { "Counts" } }
            dd { (format!("read 读取 {} · mapped 映射 {} · skipped 跳过 {} · unchanged 未变 {} · written 写入 {} · failed 失败 {}",
                c.read, c.mapped, c.skipped, c.unchanged, c.written, c.failed)) }
            @if let Some(cc) = &r.concurrency {
                dt { "并发 " span.en { "Concurrency" } } dd { (crate::cmd::run::concurrency_text(cc)) }
            }
            @if let Some(e) = &r.error {
                dt { "错误 " span.en { "Error" } } dd.bad { (e) }
            }
        } }
    };
    page(&app, &format!("运行 Run {id}"), body)
}
