//! `duijie dead-letters` (list, show, discard) and `duijie status --watch`
//! as a user runs them, against a sandbox served by the test process.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;
use support::*;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// The open dead letters of `SI` listed by `dead-letters --format json`
/// with `extra` arguments.
fn listed(dir: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["dead-letters", SI.name, "--format", "json"];
    args.extend_from_slice(extra);
    let v = json(&run_ok(dir, &args));
    assert_eq!(v[0]["scheme"], SI.name, "{v:#}");
    v[0]["dead_letters"].as_array().unwrap().clone()
}

#[test]
fn dead_letters_are_listed_read_in_full_and_discarded_for_good() {
    // Kingdee lacks one material: stock-ins with a line of it are rejected.
    let docs = data(10, 40, 25);
    let LacksMaterial {
        sandbox: sb,
        expected: e,
        material,
        rejected,
    } = sandbox_lacking_a_material(&docs);
    assert!(rejected.len() >= 2, "{rejected:?}");
    let dir = TempDir::new("dead-letters");
    init_without_goods(dir.path(), &sb.url);
    run_done(dir.path(), &["run", "--all"]);

    // Listed, every scheme by default, with the bill number and Kingdee's
    // message.
    let all = json(&run_ok(dir.path(), &["dead-letters", "--format", "json"]));
    let mut schemes: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scheme"].as_str().unwrap())
        .collect();
    let mut every = [
        PO.name, SI.name, SO.name, PI.name, RF.name, PR.name, GM.name,
    ];
    every.sort_unstable();
    // In the configuration's order (materials first).
    schemes.sort_unstable();
    assert_eq!(schemes, every, "{all:#}");
    let letters = listed(dir.path(), &[]);
    assert_eq!(dead_letter_ids(&letters), rejected);
    for d in &letters {
        assert_eq!(d["number"], d["record_id"], "{d:#}");
        assert_eq!(d["stage"], "write");
        assert!(d["reason"].as_str().unwrap().contains(&material), "{d:#}");
        assert_eq!(d["resolution"], Value::Null);
    }
    let out = run_ok(dir.path(), &["dead-letters", SI.name]);
    let text_list = stdout(&out);
    assert!(
        text_list.contains(&format!(
            "{}: {} open dead letters",
            SI.name,
            rejected.len()
        )),
        "{text_list}"
    );
    let first = rejected.iter().next().unwrap();
    assert!(
        text_list
            .lines()
            .any(|l| l.contains(first.as_str()) && l.contains("write: ") && l.contains(&material)),
        "{text_list}"
    );
    // Filters: by reason (no match, a match), by time.
    assert!(listed(dir.path(), &["--reason", "no such reason"]).is_empty());
    assert_eq!(
        listed(dir.path(), &["--reason", &material]).len(),
        rejected.len()
    );
    assert_eq!(listed(dir.path(), &["--since", "1h"]).len(), rejected.len());
    assert!(listed(dir.path(), &["--since", "2099-01-01"]).is_empty());
    let bad = run(dir.path(), &["dead-letters", "--since", "last tuesday"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--since: `last tuesday`"),
        "{}",
        text(&bad)
    );

    // One in full: the record, the bill that was sent, Kingdee's answer.
    let letter = letters
        .iter()
        .find(|d| d["record_id"] == first.as_str())
        .unwrap();
    let id = int(&letter["id"]).to_string();
    let detail = json(&run_ok(
        dir.path(),
        &["dead-letters", "show", &id, "--format", "json"],
    ));
    assert!(detail["source_json"]
        .as_str()
        .unwrap()
        .contains(first.as_str()));
    let answers = detail["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "{detail:#}");
    assert_eq!(answers[0]["outcome"], "rejected");
    assert_eq!(answers[0]["message"], letter["reason"]);
    let shown = stdout(&run_ok(dir.path(), &["dead-letters", "show", &id]));
    for part in [
        format!("dead letter {id} · {} · open", SI.name),
        "source record".to_string(),
        "bill sent".to_string(),
        "rejected".to_string(),
        material.clone(),
        format!("\"FBillNo\": \"{first}\""),
    ] {
        assert!(shown.contains(&part), "{part} in\n{shown}");
    }
    let out = run(dir.path(), &["dead-letters", "show", "987654"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no dead letter 987654"),
        "{}",
        text(&out)
    );

    // Discarded: needs a reason, is kept and marked, is closed once.
    let out = run(dir.path(), &["dead-letters", "discard", &id, "--why", "  "]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = run_ok(
        dir.path(),
        &[
            "dead-letters",
            "discard",
            &id,
            "--why",
            "样品, no bill needed",
        ],
    );
    assert!(
        stdout(&out).contains(&format!(
            "dead letter {id} ({}, record {first}) discarded",
            SI.name
        )),
        "{}",
        text(&out)
    );
    let out = run(
        dir.path(),
        &["dead-letters", "discard", &id, "--why", "again"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("closed already (discarded)"),
        "{}",
        text(&out)
    );
    let open: BTreeSet<String> = dead_letter_ids(&listed(dir.path(), &[]));
    let mut others = rejected.clone();
    others.remove(first);
    assert_eq!(open, others);
    let detail = json(&run_ok(
        dir.path(),
        &["dead-letters", "show", &id, "--format", "json"],
    ));
    assert_eq!(detail["resolution"], "discarded");
    assert_eq!(detail["note"], "样品, no bill needed");
    assert_eq!(detail["actions"][0]["action"], "discard");
    assert!(detail["actions"][0]["actor"]
        .as_str()
        .unwrap()
        .starts_with("cli:"));
    assert_eq!(
        int(&overview(&status(dir.path()), SI)["dead_letters"]) as usize,
        others.len()
    );

    // The material is added (a Kingdee that has it) and everything is read
    // again and retried: the others are written, the discarded one never.
    let fixed = TestSandbox::start(docs, |_| {});
    set_key(
        dir.path(),
        "connections.kingdee",
        "base_url",
        &format!("\"{}/k3cloud\"", fixed.url),
    );
    set_key(
        dir.path(),
        "connections.wdtqm",
        "base_url",
        &format!("\"{}\"", fixed.url),
    );
    let r = json(&run_done(
        dir.path(),
        &["run", SI.name, "--backfill-days", "40", "--format", "json"],
    ));
    assert_eq!(r[0]["outcome"], "succeeded_with_dead_letters", "{r:#}");
    // The discarded record is read again and left alone; the other
    // rejected bills stay dead letters until retried.
    let c = &r[0]["counts"];
    assert_eq!(int(&c["written"]), 0, "{r:#}");
    assert_eq!(int(&c["failed"]) as usize, others.len(), "{r:#}");
    assert_eq!(
        int(&c["unchanged"]) as usize,
        e.bills.len() - rejected.len() + 1,
        "{r:#}"
    );
    run_ok(dir.path(), &["retry", SI.name, "--all"]);
    fixed.assert_target_exact(SI, &others);
    assert!(listed(dir.path(), &[]).is_empty());
}

#[test]
fn status_watch_refreshes_until_stopped() {
    let sb = TestSandbox::start(data(5, 5, 26), |_| {});
    let dir = TempDir::new("watch");
    init(dir.path(), &sb.url);
    run_ok(dir.path(), &["run", "--all"]);
    let mut child = duijie(dir.path())
        .args(["status", "--watch", "--interval", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut frames = 0;
    let mut seen = Vec::new();
    while frames < 3 {
        let Some(Ok(line)) = lines.next() else {
            break;
        };
        if line.contains("运行概况") {
            frames += 1;
        }
        seen.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(frames, 3, "{seen:#?}");
    assert!(
        seen.iter()
            .any(|l| l.contains("every 100ms · Ctrl-C to stop")),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| l.starts_with(SI.name)), "{seen:#?}");

    let out = run(dir.path(), &["status", "--watch", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--watch shows text: {}",
        text(&out)
    );
}
