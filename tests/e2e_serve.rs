//! `duijie serve` over real loopback HTTP, after a run against a sandbox
//! whose Kingdee lacks a material: every page, the actions and their CSRF
//! token, the access token on an address other than loopback, secrets
//! kept off the pages, `/metrics` as Prometheus text, `/healthz`.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde_json::Value;
use support::*;

/// A `duijie serve` process, killed when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    url: String,
    /// What it wrote on standard error after announcing itself.
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `duijie serve --listen LISTEN` in `dir` with `env`, and waits
    /// for it to say where it serves.
    fn start(dir: &Path, listen: &str, env: &[(&str, &str)]) -> Server {
        Server::spawn(dir, &["serve", "--listen", listen], env)
    }

    /// Starts `duijie ARGS` (which serves) in `dir` with `env`.
    fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = duijie(dir);
        cmd.args(args)
            .env_remove("DUIJIE_SERVE_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("duijie serve: http://") => break l,
                Some(Ok(_)) => continue,
                other => panic!("duijie serve did not start: {other:?}"),
            }
        };
        let addr = first
            .trim_start_matches("duijie serve: http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let port = addr.rsplit(':').next().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(first.clone() + "\n"));
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                kept.lock().unwrap().push_str(&(l + "\n"));
            }
        });
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            stderr,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The status and body of `GET url`.
fn get(c: &Client, url: &str) -> (StatusCode, String) {
    let r = c.get(url).send().unwrap();
    (r.status(), r.text().unwrap())
}

/// The body of `GET url`, which must answer 200.
fn page(c: &Client, url: &str) -> String {
    let (status, body) = get(c, url);
    assert_eq!(status, StatusCode::OK, "GET {url}\n{body}");
    body
}

/// The CSRF token of the forms of `body`.
fn csrf(body: &str) -> String {
    let at = body
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no CSRF token in a page of {} bytes", body.len()));
    let rest = &body[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn post(c: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    c.post(url).form(form).send().unwrap()
}

/// The open dead letters of the stock-in scheme, by `dead-letters --format json`.
fn open_letters(dir: &Path) -> Vec<Value> {
    let out = run_ok(dir, &["dead-letters", SI.name, "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0]["dead_letters"].as_array().unwrap().clone()
}

/// The secret values written in `dir/duijie.toml`.
fn secrets(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("duijie.toml")).unwrap();
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim();
            if !["appsecret", "app_secret", "password"].contains(&k) {
                return None;
            }
            let v = v.split('#').next()?.trim().trim_matches('"');
            Some(v.to_string())
        })
        .collect()
}

/// Samples of a Prometheus text exposition, by `name{labels}`; every
/// sample's family has its `# HELP` and `# TYPE` before it.
fn prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut helped = std::collections::BTreeSet::new();
    let mut typed = std::collections::BTreeSet::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split(' ').next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap().to_string();
            let kind = parts.next().unwrap();
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            typed.insert(name);
        } else if !line.is_empty() {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let name = series.split('{').next().unwrap();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "{line}"
            );
            if let Some(labels) = series.strip_prefix(name) {
                if !labels.is_empty() {
                    assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
                }
            }
            assert!(
                helped.contains(name) && typed.contains(name),
                "no HELP/TYPE before {line}"
            );
            let value: f64 = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            samples.insert(series.to_string(), value);
        }
    }
    samples
}

/// Waits until `GET url` satisfies `done`; the last body.
fn wait_for(c: &Client, url: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let body = page(c, url);
        if done(&body) {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "GET {url} never got there:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pages_actions_metrics_and_health_over_loopback() {
    let docs = data(10, 40, 31);
    let LacksMaterial {
        sandbox: sb,
        material,
        rejected,
        ..
    } = sandbox_lacking_a_material(&docs);
    assert!(rejected.len() >= 3, "{rejected:?}");
    let dir = TempDir::new("serve");
    // The goods scheme would create the material 金蝶 lacks.
    init_without_goods(dir.path(), &sb.url);
    run_done(dir.path(), &["run", "--all"]);
    // A password the sign login does not use, equal to a rejected record's
    // id: the pages that show the record show it as `***`.
    let hidden = rejected.iter().next_back().unwrap().clone();
    set_key(
        dir.path(),
        "connections.kingdee",
        "password",
        &format!("\"{hidden}\""),
    );
    let status = status(dir.path());
    let server = Server::start(dir.path(), "127.0.0.1:0", &[]);
    let c = client();
    let u = |p: &str| format!("{}{p}", server.url);
    let mut bodies = Vec::new();

    // The overview: every scheme, with the numbers of `status`.
    let home = page(&c, &u("/"));
    assert!(
        home.contains("运行概况") && home.contains("Overview"),
        "{home}"
    );
    for s in status["schemes"].as_array().unwrap() {
        let name = s["scheme"].as_str().unwrap();
        let row_at = home
            .find(&format!(r#"data-scheme="{name}""#))
            .unwrap_or_else(|| panic!("no row of {name}\n{home}"));
        let row = &home[row_at..row_at + home[row_at..].find("</tr>").unwrap()];
        let o = &s["overview"];
        let dead = format!(r#"class="n dead">{}<"#, o["dead_letters"]);
        let queue = format!(
            r#"class="n queue">{}<"#,
            int(&o["queue"]["pending"]) + int(&o["queue"]["inflight"])
        );
        let waiting = format!(r#"class="n waiting">{}<"#, o["waiting"]);
        let written = match o["runs"].get(0) {
            Some(run) => format!(r#"class="n">{}<"#, run["counts"]["written"]),
            // A disabled scheme (the goods one, here) never ran.
            None => "尚未运行".to_string(),
        };
        for want in [&dead, &queue, &waiting, &written] {
            assert!(row.contains(want.as_str()), "{name}: no {want} in {row}");
        }
    }
    assert!(home.contains("<svg"), "no chart");
    bodies.push(home);

    // One scheme: its runs, its dead letters grouped by reason, search.
    let si = u(&format!("/schemes/{}", SI.name));
    let body = page(&c, &si);
    assert!(body.contains("死信") && body.contains("Dead letters"));
    assert!(body.contains(&material), "{body}");
    assert!(body.contains("全部重试 Retry all of this reason"));
    for r in rejected.iter().filter(|r| **r != hidden) {
        assert!(body.contains(r.as_str()), "{r} not listed\n{body}");
    }
    assert!(
        !body.contains(&hidden),
        "a configured password is on the page"
    );
    let run_id = int(&status["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == SI.name)
        .unwrap()["overview"]["runs"][0]["id"]);
    assert!(body.contains(&format!(r#"href="/runs/{run_id}""#)));
    let token = csrf(&body);
    bodies.push(body);
    let none = page(&c, &format!("{si}?q=no+such+reason"));
    assert!(none.contains("没有未处理的死信"), "{none}");
    let found = page(&c, &format!("{si}?q={material}"));
    let first = rejected.iter().next().unwrap();
    assert!(found.contains(first.as_str()));
    bodies.push(found);

    // One dead letter, as `dead-letters show` prints it.
    let letters = open_letters(dir.path());
    assert_eq!(letters.len(), rejected.len());
    let letter = letters
        .iter()
        .find(|d| d["record_id"] == first.as_str())
        .unwrap();
    let id = int(&letter["id"]);
    let dl = u(&format!("/schemes/{}/dead-letters/{id}", SI.name));
    let body = page(&c, &dl);
    for part in [
        "source record",
        "bill sent",
        "answers",
        "rejected",
        first.as_str(),
    ] {
        assert!(body.contains(part), "no {part}\n{body}");
    }
    assert!(body.contains("作废 Discard") && body.contains(r#"name="note""#));
    bodies.push(body);
    let hidden_id = int(&letters
        .iter()
        .find(|d| d["record_id"] == hidden.as_str())
        .unwrap()["id"]);
    let body = page(
        &c,
        &u(&format!("/schemes/{}/dead-letters/{hidden_id}", SI.name)),
    );
    assert!(!body.contains(&hidden) && body.contains("***"), "{body}");
    bodies.push(body);

    // One run, with the window read.
    let body = page(&c, &u(&format!("/runs/{run_id}")));
    assert!(
        body.contains("Window read") && body.contains(" → "),
        "{body}"
    );
    bodies.push(body);

    // What is not there.
    for path in [
        "/schemes/no_such_scheme".to_string(),
        format!("/schemes/{}/dead-letters/99999999", SI.name),
        format!("/schemes/{}/dead-letters/{id}", PO.name),
        "/runs/99999999".to_string(),
        "/nothing/here".to_string(),
    ] {
        assert_eq!(get(&c, &u(&path)).0, StatusCode::NOT_FOUND, "{path}");
    }
    // Pages are GET only; actions POST only.
    assert_eq!(
        c.get(u(&format!("{}/run", si.trim_start_matches(&server.url))))
            .send()
            .unwrap()
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    // An action without the CSRF token, or with a wrong one: 403, nothing
    // done.
    let discard = format!("{dl}/discard");
    for form in [
        vec![("note", "duplicate of another bill")],
        vec![("note", "duplicate of another bill"), ("csrf", "0000")],
        vec![
            ("note", "duplicate of another bill"),
            ("csrf", &token[..token.len() - 1]),
        ],
    ] {
        let r = post(&c, &discard, &form);
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    assert_eq!(
        post(&c, &format!("{si}/pause"), &[]).status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(open_letters(dir.path()).len(), rejected.len());
    // A discard needs a note.
    let r = post(&c, &discard, &[("csrf", &token), ("note", "  ")]);
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(open_letters(dir.path()).len(), rejected.len());

    // Discarded with a note: the store has it closed, the page shows who,
    // what and why.
    let r = post(
        &c,
        &discard,
        &[
            ("csrf", &token),
            ("note", "重复单据 duplicate of another bill"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left = open_letters(dir.path());
    assert_eq!(left.len(), rejected.len() - 1);
    assert!(left.iter().all(|d| int(&d["id"]) != id));
    let shown = run_ok(dir.path(), &["dead-letters", "show", &id.to_string()]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("discarded"));
    let body = page(&c, &si);
    let actions = &body[body.find(r#"id="actions""#).expect("no action log")..];
    for part in [
        "web:127.0.0.1",
        "discard",
        "重复单据 duplicate of another bill",
    ] {
        assert!(actions.contains(part), "no {part} in\n{actions}");
    }
    // Closed already: 409.
    let again = post(&c, &discard, &[("csrf", &token), ("note", "again")]);
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Retry one: queued and written again in the background (Kingdee still
    // lacks the material: rejected again), logged.
    let other = int(&left[0]["id"]);
    let r = post(
        &c,
        &u(&format!("/schemes/{}/dead-letters/{other}/retry", SI.name)),
        &[("csrf", &token)],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let body = wait_for(&c, &si, |b| {
        b.contains(r#"id="last-note""#) && !b.contains("已开始")
    });
    assert!(body.contains("retry") || body.contains("Retry"), "{body}");
    let actions = &body[body.find(r#"id="actions""#).unwrap()..];
    assert!(
        actions.contains(&format!(r#"dead-letters/{other}""#)),
        "{actions}"
    );

    // Pause: the daemon and `run` leave the scheme alone; resume.
    let r = post(&c, &format!("{si}/pause"), &[("csrf", &token)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let st = run_ok(dir.path(), &["status", SI.name, "--format", "json"]);
    let st: Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(st["schemes"][0]["paused"]["actor"], "web:127.0.0.1");
    let named = run(dir.path(), &["run", SI.name]);
    assert_eq!(named.status.code(), Some(1), "{}", text(&named));
    assert!(String::from_utf8_lossy(&named.stdout).contains("paused by web:127.0.0.1"));
    let body = page(&c, &si);
    assert!(body.contains(r#"id="paused""#) && body.contains("恢复 Resume"));
    assert_eq!(
        post(&c, &format!("{si}/run"), &[("csrf", &token)]).status(),
        StatusCode::CONFLICT
    );
    let r = post(&c, &format!("{si}/resume"), &[("csrf", &token)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let body = page(&c, &si);
    assert!(!body.contains(r#"id="paused""#) && body.contains("暂停 Pause"));
    assert!(
        body.contains(">pause<") && body.contains(">resume<"),
        "{body}"
    );

    // Run now: a new run of the scheme, in the background.
    let r = post(
        &c,
        &u(&format!("/schemes/{}/run", PO.name)),
        &[("csrf", &token)],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let po = u(&format!("/schemes/{}", PO.name));
    let body = wait_for(&c, &po, |b| {
        b.contains(r#"id="last-note""#) && !b.contains("已开始")
    });
    assert!(body.contains("succeeded"), "{body}");
    let runs = status_runs(dir.path(), 5);
    assert_eq!(
        overview(&runs, PO)["runs"].as_array().unwrap().len(),
        2,
        "{runs:#}"
    );
    bodies.push(body);

    // Metrics: Prometheus text with the expected series.
    let r = c.get(u("/metrics")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().unwrap();
    let m = prometheus(&text);
    let s = |name: &str, labels: &str| {
        m.get(&format!("{name}{{{labels}}}"))
            .copied()
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{text}"))
    };
    let si_l = format!(r#"scheme="{}""#, SI.name);
    assert_eq!(s("duijie_dead_letters", &si_l), (rejected.len() - 1) as f64);
    assert!(
        s(
            "duijie_records_total",
            &format!(r#"{si_l},outcome="failed""#)
        ) >= rejected.len() as f64
    );
    assert!(s("duijie_records_total", &format!(r#"{si_l},outcome="read""#)) >= 40.0);
    assert_eq!(
        s(
            "duijie_records_total",
            &format!(r#"{si_l},outcome="waiting""#)
        ),
        0.0
    );
    assert!(
        s(
            "duijie_records_total",
            &format!(r#"{si_l},outcome="written""#)
        ) > 0.0
    );
    for name in [
        "duijie_queue_depth",
        "duijie_records_queued",
        "duijie_records_waiting",
        "duijie_run_duration_seconds",
        "duijie_last_run_timestamp_seconds",
        "duijie_watermark_timestamp_seconds",
        "duijie_scheme_paused",
    ] {
        s(name, &si_l);
    }
    assert_eq!(s("duijie_scheme_paused", &si_l), 0.0);
    let last = s("duijie_last_run_timestamp_seconds", &si_l);
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(last <= now && now - last < 600.0, "{last} {now}");
    bodies.push(text);

    // Health.
    let (status, body) = get(&c, &u("/healthz"));
    assert_eq!((status, body.trim()), (StatusCode::OK, "ok"));

    // No configured secret on any page.
    let secrets = secrets(dir.path());
    assert!(secrets.len() >= 4, "{secrets:?}");
    for b in &bodies {
        for s in &secrets {
            assert!(!b.contains(s.as_str()), "secret {s} on a page");
        }
    }
}

#[test]
fn any_address_but_loopback_needs_the_access_token() {
    let sb = TestSandbox::start(data(2, 2, 7), |_| {});
    let dir = TempDir::new("serve-token");
    init(dir.path(), &sb.url);

    // Without a token, or with a short one, it does not start.
    let out = duijie(dir.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env_remove("DUIJIE_SERVE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DUIJIE_SERVE_TOKEN"));
    let out = duijie(dir.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env("DUIJIE_SERVE_TOKEN", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too short"));

    let token = "t0ken-f0r-the-e2e-test-3f9a";
    let server = Server::start(dir.path(), "0.0.0.0:0", &[("DUIJIE_SERVE_TOKEN", token)]);
    let c = client();
    let u = |p: &str| format!("{}{p}", server.url);
    let bearer = format!("Bearer {token}");
    for path in ["/", "/metrics", &format!("/schemes/{}", PO.name)] {
        let (status, body) = get(&c, &u(path));
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!body.contains(token));
        let wrong = c
            .get(u(path))
            .header("Authorization", "Bearer nope")
            .send()
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
        let right = c
            .get(u(path))
            .header("Authorization", &bearer)
            .send()
            .unwrap();
        assert_eq!(right.status(), StatusCode::OK, "{path}");
        assert!(!right.text().unwrap().contains(token));
    }
    // The health check answers without it (it tells nothing).
    assert_eq!(get(&c, &u("/healthz")).0, StatusCode::OK);
    // Actions too: without the token 401, with it and no CSRF token 403.
    let pause = u(&format!("/schemes/{}/pause", PO.name));
    assert_eq!(post(&c, &pause, &[]).status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(&pause)
        .header("Authorization", &bearer)
        .form(&[("csrf", "x")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The login link sets a session cookie; a wrong token does not.
    assert_eq!(
        get(&c, &u("/login?token=wrong")).0,
        StatusCode::UNAUTHORIZED
    );
    let r = c.get(u(&format!("/login?token={token}"))).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains(token),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let r = c.get(u("/")).header("Cookie", &session).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(u(&format!("/schemes/{}", PO.name)))
        .header("Cookie", &session)
        .send()
        .unwrap();
    let form_token = csrf(&r.text().unwrap());

    // An action with the token is logged as the token holder's.
    let r = c
        .post(&pause)
        .header("Cookie", &session)
        .form(&[("csrf", form_token.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let body = c
        .get(u(&format!("/schemes/{}", PO.name)))
        .header("Authorization", &bearer)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(body.contains("web:token@127.0.0.1"), "{body}");

    // The token is never logged.
    drop(c);
    let logged = server.stderr.lock().unwrap().clone();
    assert!(!logged.contains(token), "{logged}");
}

#[test]
fn the_daemon_serves_the_overview_from_its_own_process() {
    let sb = TestSandbox::start(data(5, 5, 11), |_| {});
    let dir = TempDir::new("serve-daemon");
    init(dir.path(), &sb.url);
    let daemon = Server::spawn(
        dir.path(),
        &["daemon", PO.name, "--serve", "127.0.0.1:0"],
        &[],
    );
    let c = client();
    let home = format!("{}/", daemon.url);
    // The daemon runs the scheme at once; the page shows it and the daemon.
    let row = format!(r#"data-scheme="{}""#, PO.name);
    wait_for(&c, &home, |b| {
        b.contains("守护进程运行中")
            && b.find(&row).is_some_and(|at| {
                let rest = &b[at..];
                rest[..rest.find("</tr>").unwrap_or(rest.len())].contains("成功")
            })
    });
    let po = format!("{}/schemes/{}", daemon.url, PO.name);
    let body = wait_for(&c, &po, |b| b.contains("成功"));
    assert!(body.contains(r#"href="/runs/"#));
    assert_eq!(
        get(&c, &format!("{}/healthz", daemon.url)).0,
        StatusCode::OK
    );
    // Any other address needs the token there too.
    let out = duijie(dir.path())
        .args(["daemon", "--serve", "0.0.0.0:0"])
        .env_remove("DUIJIE_SERVE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DUIJIE_SERVE_TOKEN"));
}
