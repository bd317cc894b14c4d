//! `duijie init [--sandbox URL]`: writes a commented starter `duijie.toml`
//! in the current directory, listing the compiled schemes. With
//! `--sandbox`, every connection points at that sandbox with its
//! well-known test credentials, ready to run.
//!
//! The starter file's text is written here ([`starter`]); `duijie demo`
//! writes one for its sandbox too ([`write_sandbox_config`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use duijie_maplib::Mapper;
use duijie_runtime::config::{Config, FILE_NAME, SCHEME_SETTINGS};
use duijie_runtime::secret::Secret;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Point every connection at the sandbox at this URL (e.g.
    /// http://127.0.0.1:8090, as `duijie sandbox` prints), with its default
    /// test credentials.
    #[arg(long, value_name = "URL")]
    pub sandbox: Option<String>,
    /// Overwrite an existing duijie.toml.
    #[arg(long)]
    pub force: bool,
}

/// The compiled schemes, as the starter file lists them: in the order their
/// bills depend on each other (materials first), the order `run --all`
/// runs them in.
pub fn starter_schemes(mappers: &[Arc<dyn Mapper>]) -> Vec<StarterScheme> {
    super::demo::in_dependency_order(mappers)
        .iter()
        .map(|m| {
            let meta = m.meta();
            StarterScheme {
                name: meta.name.clone(),
                title: meta.title.clone(),
                source_system: meta.source.system.clone(),
            }
        })
        .collect()
}

/// The sandbox's default credentials (they are test values, not a tenant's).
pub fn sandbox_credentials(base_url: &str) -> SandboxCredentials {
    let d = duijie_sandbox::SandboxConfig::default();
    SandboxCredentials {
        base_url: base_url.trim_end_matches('/').to_string(),
        wdt_sid: d.wdt.sid,
        wdt_appkey: d.wdt.appkey,
        wdt_appsecret: d.wdt.appsecret.into(),
        qimen_app_key: d.qimen.app_key,
        qimen_target_app_key: d.qimen.target_app_key,
        qimen_app_secret: d.qimen.secret.into(),
        kingdee_acct_id: d.kingdee.acct_id,
        kingdee_user_name: d.kingdee.user_name,
        kingdee_app_id: d.kingdee.app_id,
        kingdee_app_secret: d.kingdee.app_secret.into(),
    }
}

/// Writes `dir/duijie.toml` for the sandbox at `base_url` (data directory
/// `dir/.duijie`), listing `mappers`, and returns its path. `duijie demo`
/// uses this.
pub fn write_sandbox_config(
    dir: &Path,
    base_url: &str,
    mappers: &[Arc<dyn Mapper>],
) -> anyhow::Result<PathBuf> {
    let text = starter(
        &starter_schemes(mappers),
        Some(&sandbox_credentials(base_url)),
    );
    let path = dir.join(FILE_NAME);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&path, &text)?;
    // Check what was written loads.
    Config::load(&path)?;
    Ok(path)
}

/// Writes `text` to `path`, readable by its owner only (a configuration
/// may hold secrets, and names the accounts): 0600, also when it replaces
/// an existing file.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", path.display()))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `duijie init`.
pub async fn run(args: InitArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let path = PathBuf::from(FILE_NAME);
    if path.exists() && !args.force {
        bail!("{FILE_NAME} already exists here; pass --force to overwrite it");
    }
    let credentials = match &args.sandbox {
        Some(url) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("--sandbox wants a URL such as http://127.0.0.1:8090 (got `{url}`)");
            }
            Some(sandbox_credentials(url))
        }
        None => None,
    };
    let text = starter(&starter_schemes(schemes), credentials.as_ref());
    write_private(&path, &text)?;
    Config::parse(&text, &path)
        .context("the starter file does not load (a bug: please report it)")?;
    println!("wrote {FILE_NAME} with {} scheme(s)", schemes.len());
    if args.sandbox.is_some() {
        println!("next: duijie run --all, then duijie status");
    } else {
        println!("next: fill in the connections, export the secrets named by the *_env keys, then duijie run --all");
    }
    Ok(0)
}

// ----------------------------------------------------------------------------
// The starter file.

/// A scheme to list in a starter file.
#[derive(Debug, Clone)]
pub struct StarterScheme {
    /// The compiled scheme's name.
    pub name: String,
    /// Its title, for a comment.
    pub title: Option<String>,
    /// Its source kind (`wdt` or `wdtqm`).
    pub source_system: String,
}

/// Credentials of a local sandbox, written in clear into a starter file.
/// They are the sandbox's well-known test values, not a tenant's.
#[derive(Debug, Clone)]
pub struct SandboxCredentials {
    pub base_url: String,
    pub wdt_sid: String,
    pub wdt_appkey: String,
    pub wdt_appsecret: Secret,
    pub qimen_app_key: String,
    pub qimen_target_app_key: String,
    pub qimen_app_secret: Secret,
    pub kingdee_acct_id: String,
    pub kingdee_user_name: String,
    pub kingdee_app_id: String,
    pub kingdee_app_secret: Secret,
}

fn quote(s: &str) -> String {
    // TOML basic string.
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of a commented starter `duijie.toml` listing `schemes`. With
/// `sandbox`, every connection points at that sandbox with its default
/// credentials written in clear; without, the connections point at the
/// vendors and read secrets from environment variables.
pub fn starter(schemes: &[StarterScheme], sandbox: Option<&SandboxCredentials>) -> String {
    let mut t = String::new();
    t.push_str(
        "# duijie configuration: connections, schemes and where the state is kept.\n\
         # Reference: docs/sync.md. Durations: \"500ms\", \"30s\", \"10m\", \"2h\", \"1d\".\n\n\
         # The state store (watermarks, runs, write queue, dead letters), relative to\n\
         # this file. Two data directories are two independent installations.\n\
         data_dir = \".duijie\"\n\n",
    );
    let uses = |k: &str| schemes.iter().any(|s| s.source_system == k);
    let want_wdt = uses("wdt") || schemes.is_empty();
    let want_qm = uses("wdtqm");
    match sandbox {
        Some(sb) => {
            let url = quote(&sb.base_url);
            t.push_str(
                "# These connections point at a local sandbox (`duijie sandbox`) and carry its\n\
                 # well-known test credentials in clear. For a real tenant, replace them and\n\
                 # read secrets from the environment (`appsecret_env = \"DUIJIE_WDT_APPSECRET\"`).\n\n",
            );
            if want_wdt {
                t.push_str(&format!(
                    "[connections.wdt]\nkind = \"wdt\"          # 旺店通·企业版 openapi2\nbase_url = {url}\nsid = {}\nappkey = {}\nappsecret = {}   # sandbox test value\nrate_limit_per_minute = 0   # the sandbox does not limit calls unless asked to\n# timeout = \"30s\"\n\n",
                    quote(&sb.wdt_sid),
                    quote(&sb.wdt_appkey),
                    quote(sb.wdt_appsecret.expose()),
                ));
            }
            if want_qm {
                t.push_str(&format!(
                    "[connections.wdtqm]\nkind = \"wdtqm\"        # 旺店通 through the Qimen gateway\nbase_url = {url}\nsid = {}\napp_key = {}\ntarget_app_key = {}\napp_secret = {}   # sandbox test value\nrate_limit_per_minute = 0\n# max_page_size = 100\n\n",
                    quote(&sb.wdt_sid),
                    quote(&sb.qimen_app_key),
                    quote(&sb.qimen_target_app_key),
                    quote(sb.qimen_app_secret.expose()),
                ));
            }
            t.push_str(&format!(
                "[connections.kingdee]\nkind = \"kingdee\"      # 金蝶云星空 WebAPI\nbase_url = \"{}/k3cloud\"\nacct_id = {}\nuser_name = {}\napp_id = {}\napp_secret = {}   # sandbox test value\n# login = \"sign\"      # sign | app_secret | password | headers\n# lcid = 2052\n\n",
                sb.base_url.trim_end_matches('/'),
                quote(&sb.kingdee_acct_id),
                quote(&sb.kingdee_user_name),
                quote(&sb.kingdee_app_id),
                quote(sb.kingdee_app_secret.expose()),
            ));
        }
        None => {
            t.push_str(
                "# Secrets are never written here: each `*_env` key names the environment\n\
                 # variable that holds the secret.\n\n",
            );
            if want_wdt {
                t.push_str(
                    "[connections.wdt]\nkind = \"wdt\"          # 旺店通·企业版 openapi2\nbase_url = \"https://api.wangdian.cn\"   # or https://sandbox.wangdian.cn\nsid = \"your-sid\"\nappkey = \"your-appkey\"\nappsecret_env = \"DUIJIE_WDT_APPSECRET\"\n# rate_limit_per_minute = 60   # shared by every scheme of this sid\n# timeout = \"30s\"\n\n",
                );
            }
            if want_qm {
                t.push_str(
                    "[connections.wdtqm]\nkind = \"wdtqm\"        # 旺店通 through the Qimen gateway\nbase_url = \"https://hu3cgwt0tc.api.taobao.com\"\nsid = \"your-sid\"\napp_key = \"your-qimen-app-key\"\ntarget_app_key = \"wdt-app-key-on-qimen\"\napp_secret_env = \"DUIJIE_QIMEN_APPSECRET\"\n# max_page_size = 30\n\n",
                );
            }
            t.push_str(
                "[connections.kingdee]\nkind = \"kingdee\"      # 金蝶云星空 WebAPI\nbase_url = \"https://your-server/k3cloud\"\nacct_id = \"your-data-center-id\"\nuser_name = \"your-integration-user\"\napp_id = \"your-app-id\"\napp_secret_env = \"DUIJIE_KINGDEE_APPSECRET\"\n# login = \"sign\"      # sign | app_secret | password (password_env) | headers\n# lcid = 2052\n\n",
            );
        }
    }
    if schemes.is_empty() {
        t.push_str(
            "# No compiled scheme was found; add one per .map scheme:\n\
             # [schemes.my_scheme]\n# source = \"wdt\"\n# target = \"kingdee\"\n",
        );
    }
    for (i, s) in schemes.iter().enumerate() {
        let source = if s.source_system == "wdtqm" {
            "wdtqm"
        } else {
            "wdt"
        };
        if let Some(title) = &s.title {
            t.push_str(&format!("# {title}\n"));
        }
        t.push_str(&format!(
            "[schemes.{}]\n# map = {}        # the compiled scheme (default: this table's name), or a .map file to interpret\nsource = \"{source}\"\ntarget = \"kingdee\"\n",
            s.name,
            quote(&s.name)
        ));
        if i == 0 {
            t.push_str("every = \"5m\"            # how often `duijie daemon` runs it\n");
            for (key, default, meaning) in SCHEME_SETTINGS {
                let setting = format!("# {key} = {default}");
                t.push_str(&format!("{setting:<25}# {meaning}\n"));
            }
            t.push('\n');
        } else {
            t.push_str("every = \"5m\"\n\n");
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use duijie_runtime::config::{Account, ConfigError};

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("dir/duijie.toml"))
    }

    fn schemes() -> Vec<StarterScheme> {
        vec![
            StarterScheme {
                name: "wdt_po".into(),
                title: Some("采购单 → 采购订单".into()),
                source_system: "wdt".into(),
            },
            StarterScheme {
                name: "qm_stockin".into(),
                title: None,
                source_system: "wdtqm".into(),
            },
        ]
    }

    #[test]
    fn the_starter_file_loads() {
        let text = starter(&schemes(), None);
        let c = parse(&text).unwrap();
        assert_eq!(c.scheme_names(), vec!["wdt_po", "qm_stockin"]);
        assert_eq!(c.scheme("qm_stockin").unwrap().source, "wdtqm");
        assert!(!text.contains("appsecret ="));

        let sb = SandboxCredentials {
            base_url: "http://127.0.0.1:8090".into(),
            wdt_sid: "apidevnew2".into(),
            wdt_appkey: "rhsw02".into(),
            wdt_appsecret: "12345".into(),
            qimen_app_key: "12345678".into(),
            qimen_target_app_key: "23456789".into(),
            qimen_app_secret: "qimensecret".into(),
            kingdee_acct_id: "64f0c0ffee0001".into(),
            kingdee_user_name: "webapi".into(),
            kingdee_app_id: "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0".into(),
            kingdee_app_secret: "0123456789abcdef0123456789abcdef".into(),
        };
        let text = starter(&schemes(), Some(&sb));
        let c = parse(&text).unwrap();
        let Account::WdtQm {
            app_secret, sid, ..
        } = &c.connection("wdtqm").unwrap().account
        else {
            panic!()
        };
        assert_eq!(sid, "apidevnew2");
        assert_eq!(app_secret.resolve().unwrap().expose(), "qimensecret");
        assert_eq!(
            c.connection("kingdee").unwrap().base_url,
            "http://127.0.0.1:8090/k3cloud"
        );
        // The two sources of one sid share one rate limit.
        assert_eq!(
            c.connection("wdt").unwrap().rate_key(),
            c.connection("wdtqm").unwrap().rate_key()
        );

        let empty = starter(&[], None);
        assert!(parse(&empty).unwrap().schemes.is_empty());
    }

    /// The starter's comments and docs/sync.md say the same of every
    /// setting, and each commented line, uncommented, loads.
    #[test]
    fn the_starter_and_the_docs_agree_on_every_setting() {
        let docs = include_str!("../../docs/sync.md");
        let text = starter(&schemes(), None);
        for (key, default, meaning) in SCHEME_SETTINGS {
            let row = format!("| `{key}` | `{default}` | {meaning} |");
            assert!(docs.contains(&row), "docs/sync.md lacks the row\n{row}");
            assert!(
                text.lines().any(
                    |l| l.starts_with(&format!("# {key} = {default} ")) && l.ends_with(meaning)
                ),
                "the starter lacks {key}:\n{text}"
            );
            let one = text.replacen(
                &format!("# {key} = {default}"),
                &format!("{key} = {default}"),
                1,
            );
            assert!(
                parse(&one).is_ok(),
                "{key} = {default}: {:?}",
                parse(&one).err()
            );
        }
        // No http:// address in the starter for real systems.
        assert!(!text.contains("http://"), "{text}");
    }
}
