//! A real browser on `duijie serve`: headless Chromium (Debian's `chromium`,
//! which scripts/test.sh installs when missing) loads the overview after a
//! sandbox run with dead letters, and the page it built shows every scheme
//! with the numbers of `duijie status --format json`; it takes a
//! screenshot (kept at `$DUIJIE_SCREENSHOT` when set: docs/overview.png is
//! made so). Skipped, saying so, where no Chromium is installed.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// The Chromium binary, if one is installed.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(PathBuf::from)
}

/// Runs headless `chrome` with `args` on `url`, at most a minute.
fn headless(chrome: &Path, profile: &Path, args: &[&str], url: &str) -> Output {
    let child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait(child, Duration::from_secs(60))
}

fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chromium took more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `duijie serve` on a free loopback port; its URL.
fn serve(dir: &Path) -> (Child, String) {
    let mut child = duijie(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DUIJIE_SERVE_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let line = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("duijie serve: http://"))
        .expect("duijie serve did not start");
    let url = line
        .trim_start_matches("duijie serve: ")
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    (child, url)
}

#[test]
fn chromium_shows_the_overview_with_the_numbers_of_status() {
    let Some(chrome) = chromium() else {
        eprintln!(
            "SKIPPED: no chromium installed (apt-get install chromium; scripts/test.sh installs it)"
        );
        return;
    };
    let docs = data(10, 40, 41);
    let LacksMaterial {
        sandbox: sb,
        rejected,
        ..
    } = sandbox_lacking_a_material(&docs);
    let dir = TempDir::new("browser");
    // The goods scheme would create the material 金蝶 lacks.
    init_without_goods(dir.path(), &sb.url);
    run_done(dir.path(), &["run", "--all"]);
    let status = status(dir.path());
    let (mut server, url) = serve(dir.path());
    let profile = dir.path().join("chromium-profile");

    let out = headless(&chrome, &profile, &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("运行概况"),
        "no overview in the DOM\n{}",
        text(&out)
    );
    for s in status["schemes"].as_array().unwrap() {
        let name = s["scheme"].as_str().unwrap();
        let at = dom
            .find(&format!(r#"data-scheme="{name}""#))
            .unwrap_or_else(|| panic!("{name} is not on the page"));
        let row = &dom[at..at + dom[at..].find("</tr>").unwrap()];
        let o = &s["overview"];
        let dead = format!(r#"class="n dead">{}<"#, o["dead_letters"]);
        assert!(row.contains(&dead), "{name}: no {dead} in {row}");
        if let Some(run) = o["runs"].get(0) {
            let written = format!(r#"class="n">{}<"#, run["counts"]["written"]);
            assert!(row.contains(&written), "{name}: no {written} in {row}");
        }
    }
    let si = overview(&status, SI);
    assert_eq!(int(&si["dead_letters"]), rejected.len() as i64);

    let shot = dir.path().join("overview.png");
    let out = headless(
        &chrome,
        &profile,
        &[&format!("--screenshot={}", shot.display())],
        &url,
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e})\n{}", text(&out)));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    if let Some(keep) = std::env::var_os("DUIJIE_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let _ = server.kill();
    let _ = server.wait();
}
