//! `duijie preview` prints what `duijie run` sends. Records go through a run
//! into the sandbox, which keeps every request and answer byte for byte; the
//! source API's answer the run read is then given to `duijie preview --wire`,
//! which must print exactly the save request the sandbox received. An error
//! answer of the source gives the error the run reported.

mod support;

use std::path::Path;

use duijie_sandbox::Exchange;
use support::*;

/// `duijie preview MAP --input FILE --wire`, from the repository (its
/// `maps/` and `specs/`).
fn preview_wire(map: &str, answer: &[u8], dir: &Path) -> std::process::Output {
    let input = dir.join("answer.json");
    std::fs::write(&input, answer).unwrap();
    duijie(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["preview", map, "--wire", "--input"])
        .arg(&input)
        .output()
        .unwrap()
}

/// Whether `e` is a call of `scheme`'s source API.
fn is_source_call(e: &Exchange, scheme: SchemeInfo) -> bool {
    let api = scheme.api;
    e.path.contains(api) || String::from_utf8_lossy(&e.request).contains(api)
}

/// The save requests of `scheme`'s form.
fn saves(exchanges: &[Exchange], scheme: SchemeInfo) -> Vec<String> {
    exchanges
        .iter()
        .filter(|e| e.path.contains("Save.common.kdsvc"))
        .map(|e| String::from_utf8(e.request.clone()).unwrap())
        .filter(|body| body.starts_with(&format!("{{\"formid\":\"{}\"", scheme.form)))
        .collect()
}

#[test]
fn preview_prints_byte_for_byte_what_run_sends() {
    // Modified over the 20 days before two days ago: the first run reads
    // them in one window (its last one starts at midnight), in one page.
    let mut d = data(12, 9, 21);
    d.anchor = Some(chrono::Utc::now().timestamp() - 2 * 86_400);
    let sb = TestSandbox::start(d, |_| {});
    sb.control.record_exchanges(true);
    let dir = TempDir::new("wire");
    init(dir.path(), &sb.url);
    run_ok(dir.path(), &["run", "--all"]);
    let exchanges = sb.control.take_exchanges();

    for scheme in [PO, SI] {
        let e = expected(&sb.control, scheme);
        assert!(!e.bills.is_empty(), "{}: the data gives bills", scheme.name);
        // The run read every record in one page and wrote them in one batch.
        let answers: Vec<&Exchange> = exchanges
            .iter()
            .filter(|x| is_source_call(x, scheme))
            .filter(|x| {
                let text = String::from_utf8_lossy(&x.answer);
                e.bills.keys().any(|number| text.contains(number.as_str()))
            })
            .collect();
        assert_eq!(answers.len(), 1, "{}: one answer with records", scheme.name);
        let sent = saves(&exchanges, scheme);
        assert_eq!(sent.len(), 1, "{}: one save request", scheme.name);

        let map = format!("maps/{}.map", scheme.name);
        let out = preview_wire(&map, &answers[0].answer, dir.path());
        assert_eq!(
            String::from_utf8(out.stdout.clone()).unwrap(),
            format!("{}\n", sent[0]),
            "{}: preview --wire is the request sent\n{}",
            scheme.name,
            text(&out)
        );
        // Records the mapping fails on are named on stderr, and make the
        // exit code 1; they were not sent either.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(i32::from(!e.failed.is_empty())));
        assert_eq!(
            stderr.lines().filter(|l| l.contains("skipped")).count(),
            e.skipped.len(),
            "{stderr}"
        );
    }
}

#[test]
fn preview_of_an_error_answer_gives_the_error_the_run_reported() {
    let sb = TestSandbox::start(data(3, 3, 4), |_| {});
    sb.control.record_exchanges(true);
    let dir = TempDir::new("wire-error");
    init(dir.path(), &sb.url);
    // A wrong secret: openapi2 answers `{"code":…,"message":…}`, the Qimen
    // gateway its `error_response`.
    set_key(dir.path(), "connections.wdt", "appsecret", "\"wrong\"");
    set_key(dir.path(), "connections.wdtqm", "app_secret", "\"wrong\"");
    for scheme in [PO, SI] {
        let out = run(dir.path(), &["run", scheme.name]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let reported = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);

        let exchanges = sb.control.take_exchanges();
        let answer = exchanges
            .iter()
            .find(|x| is_source_call(x, scheme))
            .expect("the run called the source");
        let map = format!("maps/{}.map", scheme.name);
        let preview = preview_wire(&map, &answer.answer, dir.path());
        assert_eq!(preview.status.code(), Some(1), "{}", text(&preview));
        assert!(preview.stdout.is_empty(), "{}", text(&preview));
        let stderr = String::from_utf8_lossy(&preview.stderr);
        // `error: FILE: <the connector's error>`.
        let error = stderr
            .trim_end()
            .split_once(".json: ")
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(error.contains("authentication failed"), "{stderr}");
        assert!(
            reported.contains(error),
            "{}: the run reported the same error:\nrun: {reported}\npreview: {error}",
            scheme.name
        );
    }
}
