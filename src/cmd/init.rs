//! `duijie init [--sandbox URL]`: writes a commented starter `duijie.toml`
//! in the current directory, listing the compiled schemes. With
//! `--sandbox`, every connection points at that sandbox with its
//! well-known test credentials, ready to run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use duijie_maplib::Mapper;
use duijie_runtime::config::{starter, Config, SandboxCredentials, StarterScheme, FILE_NAME};

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

/// The compiled schemes, as the starter file lists them.
pub fn starter_schemes(mappers: &[Arc<dyn Mapper>]) -> Vec<StarterScheme> {
    mappers
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
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    // Check what was written loads.
    Config::load(&path)?;
    Ok(path)
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
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
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
