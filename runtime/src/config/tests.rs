use super::scheme::parse_start;
use super::*;

const GOOD: &str = r#"
[connections.wdt]
kind = "wdt"
base_url = "http://127.0.0.1:8090"
sid = "apidevnew2"
appkey = "rhsw02"
appsecret_env = "DUIJIE_TEST_UNSET_VARIABLE"

[connections.kingdee]
kind = "kingdee"
base_url = "http://127.0.0.1:8090/k3cloud"
acct_id = "64f0c0ffee0001"
user_name = "webapi"
app_id = "123456_x"
app_secret = "inline"

[schemes.po]
map = "wdt_po"
source = "wdt"
target = "kingdee"
every = "1h30m"
overlap = "2m"
start = "2024-01-01"

[schemes.another]
source = "wdt"
target = "kingdee"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("dir/duijie.toml"))
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn a_good_file_loads_with_defaults() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.data_dir, Path::new("dir/.duijie"));
    assert_eq!(c.scheme_names(), vec!["po", "another"], "file order");
    let po = c.scheme("po").unwrap();
    assert_eq!(po.map, "wdt_po");
    assert_eq!(po.every, Duration::from_secs(5400));
    assert_eq!(po.overlap, Duration::from_secs(120));
    assert_eq!(po.lag, Duration::from_secs(60));
    assert_eq!(po.batch_size, 20);
    assert_eq!(po.concurrency, 2);
    assert_eq!(po.on_change, OnChange::Skip);
    assert_eq!(
        po.start,
        FirstStart::At(parse_start("2024-01-01 00:00:00").unwrap())
    );
    let another = c.scheme("another").unwrap();
    assert_eq!(another.map, "another");
    assert_eq!(another.start, FirstStart::DaysAgo(30));
    let wdt = c.connection("wdt").unwrap();
    assert_eq!(wdt.kind, ConnectionKind::Wdt);
    assert_eq!(wdt.rate_limit_per_minute, 60);
    assert_eq!(wdt.rate_key(), "wdt:apidevnew2");
    let kd = c.connection("kingdee").unwrap();
    let Account::Kingdee {
        login,
        lcid,
        app_secret,
        ..
    } = &kd.account
    else {
        panic!()
    };
    assert_eq!((*login, *lcid), (KingdeeLogin::Sign, 2052));
    assert_eq!(
        app_secret.as_ref().unwrap().resolve().unwrap().expose(),
        "inline"
    );
}

#[test]
fn secrets_come_from_the_environment_and_never_print() {
    let c = parse(GOOD).unwrap();
    let Account::Wdt { appsecret, .. } = &c.connection("wdt").unwrap().account else {
        panic!()
    };
    let e = appsecret.resolve().unwrap_err().to_string();
    assert_eq!(
        e,
        "dir/duijie.toml:7:17: connections.wdt.appsecret_env: environment variable \
         DUIJIE_TEST_UNSET_VARIABLE is not set (it should hold the secret)"
    );
    let debug = format!("{c:?}");
    assert!(!debug.contains("inline"), "{debug}");
}

#[test]
fn errors_name_the_line_and_key() {
    let bad_source = GOOD.replace(
        "source = \"wdt\"\ntarget = \"kingdee\"\nevery",
        "source = \"wdt2\"\ntarget = \"kingdee\"\nevery",
    );
    assert_eq!(
        err(&bad_source),
        "dir/duijie.toml:19:10: schemes.po.source: no connection named \"wdt2\" (there are: kingdee, wdt)"
    );
    let wrong_end = GOOD.replace(
        "map = \"wdt_po\"\nsource = \"wdt\"\ntarget = \"kingdee\"",
        "map = \"wdt_po\"\nsource = \"wdt\"\ntarget = \"wdt\"",
    );
    assert!(err(&wrong_end).contains(
        "schemes.po.target: connection \"wdt\" is of kind wdt, which cannot be a target"
    ));
    let bad_dur = GOOD.replace("every = \"1h30m\"", "every = \"5 parsecs\"");
    let e = err(&bad_dur);
    assert!(
        e.starts_with("dir/duijie.toml:21:9: schemes.po.every: "),
        "{e}"
    );
    assert!(e.contains("unknown time unit \"parsecs\""), "{e}");
    let bad_start = GOOD.replace("start = \"2024-01-01\"", "start = \"yesterday\"");
    assert!(err(&bad_start)
        .starts_with("dir/duijie.toml:23:9: schemes.po.start: `yesterday` is not a date-time"));
    let typo = GOOD.replace("every = \"1h30m\"", "evrey = \"1h\"");
    let e = err(&typo);
    assert!(
        e.starts_with(
            "dir/duijie.toml:21:1: schemes.po.evrey: unknown key `evrey`: did you mean `every`?"
        ),
        "{e}"
    );
    let missing = GOOD.replace("sid = \"apidevnew2\"\n", "");
    assert_eq!(
        err(&missing),
        "dir/duijie.toml:2:1: connections.wdt: `sid` is missing (the seller account)"
    );
    let no_secret = GOOD.replace("appsecret_env = \"DUIJIE_TEST_UNSET_VARIABLE\"\n", "");
    assert!(err(&no_secret).contains("`appsecret_env` is missing"));
    let both = GOOD.replace(
        "app_secret = \"inline\"",
        "app_secret = \"x\"\napp_secret_env = \"Y\"",
    );
    assert!(err(&both).contains("give either `app_secret` or `app_secret_env`"));
    let kind = GOOD.replace("kind = \"wdt\"", "kind = \"erp\"");
    assert_eq!(
        err(&kind),
        "dir/duijie.toml:3:8: connections.wdt.kind: unknown kind `erp` (use wdt, wdtqm or kingdee)"
    );
    let foreign = GOOD.replace(
        "appkey = \"rhsw02\"",
        "appkey = \"rhsw02\"\nacct_id = \"x\"",
    );
    assert!(err(&foreign).contains("`acct_id` does not apply to a connection of kind wdt"));
    let batch = GOOD.replace("every = \"1h30m\"", "batch_size = 0");
    assert!(err(&batch).contains("schemes.po.batch_size: must be between 1 and 1000"));
    let on_change = GOOD.replace("every = \"1h30m\"", "on_change = \"merge\"");
    assert!(err(&on_change).contains("unknown value `merge` (use skip or update)"));
    let url = GOOD.replace(
        "base_url = \"http://127.0.0.1:8090\"",
        "base_url = \"127.0.0.1\"",
    );
    assert!(err(&url).contains("connections.wdt.base_url: must start with http:// or https://"));
    let syntax = "[connections.wdt\nkind = 1";
    let e = err(syntax);
    assert!(
        e.starts_with("dir/duijie.toml:1:17: (file): unclosed table"),
        "{e}"
    );
}

#[test]
fn load_reports_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = Config::load(&dir.path().join("duijie.toml")).unwrap_err();
    assert!(matches!(e, ConfigError::NotFound { .. }));
    assert!(e.to_string().contains("run `duijie init`"));
}

#[test]
fn durations_parse_and_print() {
    for (text, secs) in [
        ("30s", 30),
        ("10m", 600),
        ("2h", 7200),
        ("1d", 86_400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
    ] {
        assert_eq!(
            parse_duration(text).unwrap(),
            Duration::from_secs(secs),
            "{text}"
        );
    }
    assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    assert!(parse_duration("ten").is_err());
    let bare = parse_duration("10").unwrap_err();
    assert!(bare.contains("needs a unit"), "{bare}");
    assert!(parse_duration("10x").is_err());
    assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    assert_eq!(format_duration(Duration::from_secs(86_400 + 60)), "1d1m");
}

#[test]
fn the_wdt_ultimate_platform_is_refused_with_the_reason() {
    let kind = GOOD.replacen("kind = \"wdt\"", "kind = \"wdtys\"", 1);
    let e = err(&kind);
    assert!(e.contains("connections.wdt.kind"), "{e}");
    assert!(e.contains("旗舰版"), "{e}");
    assert!(e.contains("creation, not modification"), "{e}");
    for url in [
        "http://wdt.wangdian.cn/openapi",
        "https://api.example.com/openapi/",
    ] {
        let text = GOOD.replacen(
            "base_url = \"http://127.0.0.1:8090\"",
            &format!("base_url = \"{url}\""),
            1,
        );
        let e = err(&text);
        assert!(e.contains("connections.wdt.base_url"), "{url}: {e}");
        assert!(e.contains("旗舰版"), "{e}");
    }
    // openapi2's own addresses are fine.
    let text = GOOD.replacen("http://127.0.0.1:8090\"", "https://api.wangdian.cn\"", 1);
    assert!(parse(&text).is_ok());
}

#[test]
fn http_to_another_machine_is_refused_unless_allowed_then_warned() {
    let remote = GOOD.replace(
        "base_url = \"http://127.0.0.1:8090/k3cloud\"",
        "base_url = \"http://erp.example.com/k3cloud\"",
    );
    let e = err(&remote);
    assert!(
        e.contains("duijie.toml:11:12: connections.kingdee.base_url")
            && e.contains("in clear")
            && e.contains("allow_insecure_http = true"),
        "{e}"
    );
    let allowed = remote.replace(
        "kind = \"kingdee\"",
        "kind = \"kingdee\"\nallow_insecure_http = true",
    );
    let c = parse(&allowed).unwrap();
    assert!(c.connection("kingdee").unwrap().insecure());
    let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("connections.kingdee.base_url") && w.contains("in clear")),
        "{w:?}"
    );
    // The secret written in clear for that real host: a warning naming the
    // `_env` form.
    assert!(
        w.iter()
            .any(|w| w.contains("connections.kingdee.app_secret") && w.contains("app_secret_env")),
        "{w:?}"
    );
    // Loopback and https are fine, without a word.
    for url in [
        "http://localhost:8090/k3cloud",
        "http://[::1]:8090/k3cloud",
        "https://erp.example.com/k3cloud",
    ] {
        let text = GOOD.replace("http://127.0.0.1:8090/k3cloud", url);
        let c = parse(&text).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(!c.connection("kingdee").unwrap().insecure(), "{url}");
        let https = url.starts_with("https");
        assert_eq!(
            c.warnings.len(),
            usize::from(https),
            "{url}: {:?}",
            c.warnings
        );
    }
    assert!(parse(GOOD).unwrap().warnings.is_empty());
}

#[test]
fn ca_file_is_relative_to_the_file_and_must_hold_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("duijie.toml");
    let text = GOOD.replace(
        "kind = \"kingdee\"",
        "kind = \"kingdee\"\nca_file = \"internal-ca.pem\"",
    );
    let e = Config::parse(&text, &config).unwrap_err().to_string();
    assert!(
        e.contains("connections.kingdee.ca_file") && e.contains("internal-ca.pem"),
        "{e}"
    );
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem"),
        dir.path().join("internal-ca.pem"),
    )
    .unwrap();
    let c = Config::parse(&text, &config).unwrap();
    assert_eq!(
        c.connection("kingdee").unwrap().ca_file.as_deref(),
        Some(dir.path().join("internal-ca.pem").as_path())
    );
}

#[cfg(unix)]
#[test]
fn a_file_with_secrets_in_clear_that_others_can_read_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("duijie.toml");
    std::fs::write(&path, GOOD).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].message.contains("mode 644") && c.warnings[0].message.contains("chmod 600"),
        "{}",
        c.warnings[0]
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Config::load(&path).unwrap().warnings.is_empty());
    // No secret in clear: nothing to say whoever reads it.
    let env_only = GOOD.replace("app_secret = \"inline\"", "app_secret_env = \"X\"");
    std::fs::write(&path, env_only).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(Config::load(&path).unwrap().warnings.is_empty());
}

#[test]
fn a_bare_number_as_a_duration_asks_for_a_unit() {
    let e = parse(&GOOD.replace("every = \"1h30m\"", "every = 5")).unwrap_err();
    assert_eq!(e.code().0, "C0002");
    let at = e.location().unwrap();
    assert_eq!((at.line, at.key.as_str()), (21, "schemes.po.every"));
    assert!(e.to_string().contains("a duration needs a unit"), "{e}");
    assert!(e.to_string().contains("\"5m\""), "{e}");
}

#[test]
fn a_misspelt_key_gets_the_closest_known_one() {
    let e = parse(&GOOD.replace("every = \"1h30m\"", "evry = \"1h30m\"")).unwrap_err();
    let ConfigError::UnknownKey {
        key, suggestion, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(key, "evry");
    assert_eq!(suggestion.as_deref(), Some("every"));
    assert_eq!(e.code().0, "C0003");
    assert_eq!(e.help().as_deref(), Some("did you mean `every`?"));
    let at = e.location().unwrap();
    assert_eq!((at.line, at.column), (21, 1));
    assert!(e.to_string().contains("did you mean `every`?"), "{e}");
    // Far from every known key: the known keys are listed instead.
    let e = parse(&GOOD.replace("every = \"1h30m\"", "zzzzzz = 1")).unwrap_err();
    assert!(e.help().unwrap().contains("known keys: "), "{:?}", e.help());
}

#[test]
fn wrong_types_say_what_to_write() {
    let e = err(&GOOD.replace(
        "[schemes.another]",
        "[schemes.another]\nconcurrency = \"2\"",
    ));
    assert!(e.contains("expected a whole number"), "{e}");
    assert!(!e.contains("u32"), "{e}");
}

#[test]
fn an_empty_secret_variable_is_not_reported_as_unset() {
    let set_empty = SecretSource::Env {
        var: "DUIJIE_TEST_EMPTY_SECRET".into(),
        at: Location {
            file: Arc::from("duijie.toml"),
            line: 1,
            column: 1,
            key: "connections.wdt.appsecret_env".into(),
            span: None,
        },
    };
    // SAFETY: no other test reads or writes this variable.
    unsafe { std::env::set_var("DUIJIE_TEST_EMPTY_SECRET", "") };
    let e = set_empty.resolve().unwrap_err().to_string();
    assert!(e.contains("is set but empty"), "{e}");
    let unset = SecretSource::Env {
        var: "DUIJIE_TEST_UNSET_VARIABLE".into(),
        at: Location {
            file: Arc::from("duijie.toml"),
            line: 1,
            column: 1,
            key: "k".into(),
            span: None,
        },
    };
    assert!(unset
        .resolve()
        .unwrap_err()
        .to_string()
        .contains("is not set"));
}

#[test]
fn schedules_are_checked_where_they_are_written() {
    let cron = GOOD.replace(
        "every = \"1h30m\"",
        "cron = \"0 */30 * * * *\"\nonly = \"08:00-22:00\"",
    );
    let c = parse(&cron).unwrap();
    let po = c.scheme("po").unwrap();
    assert_eq!(
        po.schedule.to_string(),
        "cron \"0 */30 * * * *\" within 08:00-22:00"
    );
    let both = GOOD.replace(
        "every = \"1h30m\"",
        "every = \"1h\"\ncron = \"0 0 * * * *\"",
    );
    assert!(err(&both).contains("schemes.po.cron: give either `every` or `cron`, not both"));
    let bad = GOOD.replace("every = \"1h30m\"", "cron = \"every day\"");
    assert!(err(&bad).contains("schemes.po.cron: not a cron expression"));
    let only = GOOD.replace("every = \"1h30m\"", "only = \"8-22\"");
    assert!(err(&only).contains("schemes.po.only: `8-22` is not a time-of-day window"));
    let backfill = GOOD.replace(
        "every = \"1h30m\"",
        "backfill_days = 7\nbackfill_cron = \"0 0 3 * * *\"",
    );
    let b = parse(&backfill)
        .unwrap()
        .scheme("po")
        .unwrap()
        .backfill
        .clone()
        .unwrap();
    assert_eq!(b.days, 7);
    assert_eq!(
        b.to_string(),
        "backfill of the last 7 day(s) cron \"0 0 3 * * *\""
    );
    let alone = GOOD.replace("every = \"1h30m\"", "backfill_days = 7");
    assert!(
        err(&alone).contains("schemes.po.backfill_days: needs `backfill_every` or `backfill_cron`")
    );
    let no_days = GOOD.replace("every = \"1h30m\"", "backfill_every = \"1d\"");
    assert!(err(&no_days).contains("`backfill_days` is missing"));
}
