//! `duijie demo`: the whole product on a laptop with nothing to set up.
//!
//! Starts the sandboxes of 旺店通 openapi2, 旺店通 Qimen and 金蝶云星空 in
//! this process, writes a configuration pointing at them into a fresh
//! directory, runs every compiled scheme once — the seed schemes and the
//! library's — in the order their bills depend on each other, and prints
//! the run overview.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use duijie_maplib::Mapper;

use super::{init, run, status};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub data: duijie_sandbox::cli::DataArgs,
    /// Where to put duijie.toml and the state (default: a new directory
    /// under the system's temporary directory; kept, so `duijie status
    /// --config DIR/duijie.toml` can be run afterwards).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The schemes in the order their bills depend on each other: materials
/// first (every bill names them), then purchase orders (receipts name
/// them), then the rest, each group in its given order.
pub fn in_dependency_order(schemes: &[Arc<dyn Mapper>]) -> Vec<Arc<dyn Mapper>> {
    let rank = |m: &Arc<dyn Mapper>| match m.meta().target.form_id.as_str() {
        "BD_MATERIAL" => 0,
        "PUR_PurchaseOrder" => 1,
        _ => 2,
    };
    let mut ordered = schemes.to_vec();
    ordered.sort_by_key(rank);
    ordered
}

pub async fn run(args: DemoArgs, schemes: &[Arc<dyn Mapper>]) -> anyhow::Result<i32> {
    let ordered = in_dependency_order(schemes);
    let schemes = ordered.as_slice();
    let config = duijie_sandbox::SandboxConfig {
        listen: "127.0.0.1:0".parse().context("listen address")?,
        data: args.data.to_config(),
        ..Default::default()
    };
    let sandbox = duijie_sandbox::Sandbox::start(config)
        .await
        .context("starting the sandboxes")?;
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "duijie-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().format("%Y%m%d%H%M%S")
        )),
    };
    println!(
        "sandboxes of 旺店通 openapi2, 旺店通 Qimen and 金蝶云星空 at {}",
        sandbox.base_url()
    );
    let path = init::write_sandbox_config(&dir, &sandbox.base_url(), schemes)?;
    println!("configuration: {}", path.display());
    println!();
    let reports = run::run_schemes(
        &path,
        None,
        true,
        &Default::default(),
        schemes,
        duijie_runtime::engine::Shutdown::never(),
    )
    .await?;
    for r in &reports {
        println!("{}", run::report_line(r));
    }
    println!();
    status::print_status(&path, schemes, run::ReportFormat::Text)?;
    println!();
    println!(
        "state kept in {}; see it again with: duijie status --config {}",
        dir.display(),
        path.display()
    );
    sandbox.shutdown().await;
    Ok(run::exit_code(&reports))
}
