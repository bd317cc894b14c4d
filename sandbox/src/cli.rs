//! `duijie sandbox`: run the sandboxes until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    DataConfig, FaultConfig, KingdeeConfig, KingdeeLoad, KingdeeQuirk, KingdeeQuirks, MasterData,
    QimenConfig, QimenErrorStyle, Sandbox, SandboxConfig, SandboxError, Service, ServiceFaults,
    WdtCredentials, WdtQuirk, WdtQuirks, DEFAULT_LISTEN,
};

/// Flags of `duijie sandbox`. Every default is the protocol test vectors'
/// value (shared/protocols.md), which are the documented sandbox credentials.
#[derive(Clone, Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value_t = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// 旺店通 seller account (`sid`), also required by Qimen calls.
    #[arg(long, default_value = "apidevnew2")]
    pub wdt_sid: String,
    /// 旺店通 openapi2 `appkey`.
    #[arg(long, default_value = "rhsw02")]
    pub wdt_appkey: String,
    /// 旺店通 openapi2 appsecret.
    #[arg(long, default_value = "12345")]
    pub wdt_appsecret: String,

    /// Qimen `app_key`.
    #[arg(long, default_value = "12345678")]
    pub qimen_app_key: String,
    /// Qimen `target_app_key` (旺店通's key on Qimen).
    #[arg(long, default_value = "23456789")]
    pub qimen_target_app_key: String,
    /// Qimen app secret.
    #[arg(long, default_value = "qimensecret")]
    pub qimen_secret: String,
    /// Shape of Qimen gateway errors.
    #[arg(long, value_enum, default_value_t = QimenErrorStyle::ErrorResponse)]
    pub qimen_error_style: QimenErrorStyle,
    /// Largest Qimen `page_size` accepted.
    #[arg(long, default_value_t = 100)]
    pub qimen_max_page_size: u32,

    /// 金蝶 data centre id (`acct_id`).
    #[arg(long, default_value = "64f0c0ffee0001")]
    pub kingdee_acct_id: String,
    /// 金蝶 user name.
    #[arg(long, default_value = "webapi")]
    pub kingdee_user: String,
    /// 金蝶 app id (`<client_id>_<enc>`).
    #[arg(long, default_value = "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0")]
    pub kingdee_app_id: String,
    /// 金蝶 app secret.
    #[arg(long, default_value = "0123456789abcdef0123456789abcdef")]
    pub kingdee_app_secret: String,
    /// 金蝶 password of the user (AuthService.ValidateUser).
    #[arg(long, default_value = "888888")]
    pub kingdee_password: String,
    /// Seconds after which an unused Kingdee session is lost.
    #[arg(long, default_value_t = 1200)]
    pub session_idle_secs: u64,
    /// Base data file (TOML, or JSON by `.json`): `BD_Supplier = ["0003", …]`;
    /// each form it names replaces the built-in numbers of that form.
    #[arg(long, value_name = "FILE")]
    pub master_data: Option<PathBuf>,
    /// Generated materials `M0000001`… added to the base data (BD_MATERIAL),
    /// for tests of large lookups.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub extra_materials: u32,
    /// Answer as some real 金蝶 servers do (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kingdee_quirks: Vec<KingdeeQuirk>,
    /// Milliseconds every 金蝶 call takes.
    #[arg(long, default_value_t = 0)]
    pub kingdee_call_ms: u64,
    /// Milliseconds a 金蝶 save takes for each bill, beside the call's.
    #[arg(long, default_value_t = 0)]
    pub kingdee_bill_ms: u64,
    /// 金蝶 calls at once past which answers slow down (and past twice it,
    /// are refused with the concurrency answer); 0 = no limit.
    #[arg(long, default_value_t = 0)]
    pub kingdee_capacity: u32,

    #[command(flatten)]
    pub data: DataArgs,
    /// Modified times spread over this many days before the anchor.
    #[arg(long, default_value_t = 30)]
    pub spread_days: u32,
    /// End of the modified-time spread, `YYYY-MM-DD HH:MM:SS` (UTC+8);
    /// default: the time of start. Fix it for reproducible data.
    #[arg(long, value_name = "TIME")]
    pub anchor: Option<String>,
    /// What unset date-time fields hold (旺店通 sends `0000-00-00 00:00:00`).
    #[arg(long, default_value = "0000-00-00 00:00:00")]
    pub empty_time: String,
    /// Freeze the sandbox clock at this unix time (replaying fixed-timestamp requests).
    #[arg(long, value_name = "UNIX_SECS")]
    pub fixed_now: Option<i64>,
    /// Largest accepted clock skew of request timestamps, seconds.
    #[arg(long, default_value_t = 300)]
    pub max_skew_secs: u64,

    /// Answer as some real 旺店通 servers do (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub wdt_quirks: Vec<WdtQuirk>,

    /// Calls per minute allowed per `sid` on 旺店通 (openapi2 and Qimen); 0 = off.
    #[arg(long, default_value_t = 0)]
    pub rate_limit_per_min: u32,

    /// Probability of an HTTP 500 answer.
    #[arg(long, default_value_t = 0.0)]
    pub fault_500: f64,
    /// Probability of a slow answer (after --slow-delay-ms).
    #[arg(long, default_value_t = 0.0)]
    pub fault_slow: f64,
    /// Probability of closing the connection without an answer.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Probability of the vendor's rate-limit answer.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate_limit: f64,
    /// Probability of a lost Kingdee session (MsgCode 1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_session_loss: f64,
    /// Delay of a slow answer, milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub slow_delay_ms: u64,
    /// Services the faults apply to.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Service::Wdt, Service::Qimen, Service::Kingdee])]
    pub fault_services: Vec<Service>,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,
}

/// What the sandbox generates: flags of `duijie sandbox` and `duijie demo`.
#[derive(Clone, Debug, clap::Args)]
pub struct DataArgs {
    /// 旺店通 purchase orders the sandbox serves.
    #[arg(long, default_value_t = 1000)]
    pub orders: u32,
    /// 旺店通 stock-in bills the sandbox serves.
    #[arg(long, default_value_t = 1000)]
    pub stockins: u32,
    /// 旺店通 sales stock-outs the sandbox serves.
    #[arg(long, default_value_t = 1000)]
    pub sales_outs: u32,
    /// Seed of the sandbox's generated documents.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl DataArgs {
    /// The data set these flags describe, the other settings at their defaults.
    pub fn to_config(&self) -> DataConfig {
        DataConfig {
            seed: self.seed,
            purchase_orders: self.orders,
            stockins: self.stockins,
            sales_outs: self.sales_outs,
            ..DataConfig::default()
        }
    }
}

impl SandboxArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> Result<SandboxConfig, SandboxError> {
        let anchor = match &self.anchor {
            None => None,
            Some(text) => Some(crate::clock::parse_cst(text).ok_or_else(|| {
                SandboxError::Config(format!("--anchor {text}: expected YYYY-MM-DD HH:MM:SS"))
            })?),
        };
        let master_data = match &self.master_data {
            None => MasterData::builtin(),
            Some(path) => MasterData::builtin_overridden_by(path)?,
        };
        let fault = FaultConfig {
            http_500: self.fault_500,
            slow: self.fault_slow,
            drop: self.fault_drop,
            rate_limit: self.fault_rate_limit,
            session_loss: self.fault_session_loss,
            slow_delay: Duration::from_millis(self.slow_delay_ms),
        };
        let mut faults = ServiceFaults::default();
        for s in &self.fault_services {
            *faults.get_mut(*s) = fault.clone();
        }
        Ok(SandboxConfig {
            listen: self.listen,
            wdt: WdtCredentials {
                sid: self.wdt_sid.clone(),
                appkey: self.wdt_appkey.clone(),
                appsecret: self.wdt_appsecret.clone(),
            },
            qimen: QimenConfig {
                app_key: self.qimen_app_key.clone(),
                target_app_key: self.qimen_target_app_key.clone(),
                secret: self.qimen_secret.clone(),
                error_style: self.qimen_error_style,
                max_page_size: self.qimen_max_page_size,
            },
            kingdee: KingdeeConfig {
                acct_id: self.kingdee_acct_id.clone(),
                user_name: self.kingdee_user.clone(),
                app_id: self.kingdee_app_id.clone(),
                app_secret: self.kingdee_app_secret.clone(),
                password: self.kingdee_password.clone(),
                session_idle: Duration::from_secs(self.session_idle_secs),
                master_data,
                extra_materials: self.extra_materials,
                quirks: KingdeeQuirks::of(&self.kingdee_quirks),
                load: KingdeeLoad {
                    per_call: Duration::from_millis(self.kingdee_call_ms),
                    per_bill: Duration::from_millis(self.kingdee_bill_ms),
                    capacity: self.kingdee_capacity,
                },
            },
            data: DataConfig {
                spread_days: self.spread_days,
                anchor,
                empty_time: self.empty_time.clone(),
                ..self.data.to_config()
            },
            rate_limit_per_min: self.rate_limit_per_min,
            max_skew_secs: self.max_skew_secs,
            fixed_now: self.fixed_now,
            faults,
            fault_seed: self.fault_seed,
            wdt_quirks: WdtQuirks::of(&self.wdt_quirks),
        })
    }
}

/// What `duijie sandbox` prints on start: where to point clients, with which
/// credentials (the sandbox's own, never a tenant's).
pub fn banner(sandbox: &Sandbox, config: &SandboxConfig) -> String {
    let base = sandbox.base_url();
    let w = &config.wdt;
    let q = &config.qimen;
    let k = &config.kingdee;
    format!(
        "duijie sandbox listening on {base}\n\
         \n\
         旺店通 openapi2   {base}/openapi2/{{purchase_order_query,stockin_order_query}}.php\n\
         \x20 sid={} appkey={} appsecret={}\n\
         \x20 {} purchase orders, {} stock-ins (seed {}, modified over {} days)\n\
         旺店通 Qimen      {base}/router/qm  method=wdt.stockin.order.query\n\
         \x20 app_key={} target_app_key={} secret={}\n\
         金蝶云星空        server URL {base}/k3cloud\n\
         \x20 acct_id={} user={} password={}\n\
         \x20 app_id={} app_secret={}\n\
         \n\
         Press Ctrl-C to stop.",
        w.sid,
        w.appkey,
        w.appsecret,
        config.data.purchase_orders,
        config.data.stockins,
        config.data.seed,
        config.data.spread_days,
        q.app_key,
        q.target_app_key,
        q.secret,
        k.acct_id,
        k.user_name,
        k.password,
        k.app_id,
        k.app_secret,
    )
}

/// Runs the sandbox until Ctrl-C, printing its base URL and credentials.
pub async fn run(args: SandboxArgs) -> Result<(), SandboxError> {
    let config = args.to_config()?;
    let sandbox = Sandbox::start(config.clone()).await?;
    println!("{}", banner(&sandbox, &config));
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SandboxArgs,
    }

    #[test]
    fn defaults_are_the_config_defaults() {
        let cli = Cli::parse_from(["x"]);
        let config = cli.args.to_config().unwrap();
        let default = SandboxConfig::default();
        assert_eq!(config.wdt, default.wdt);
        assert_eq!(config.qimen, default.qimen);
        assert_eq!(config.data, default.data);
        assert_eq!(config.listen, default.listen);
        assert_eq!(config.kingdee.app_id, default.kingdee.app_id);
        assert_eq!(config.kingdee.master_data, default.kingdee.master_data);
        assert_eq!(config.kingdee.extra_materials, 0);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "x",
            "--listen",
            "127.0.0.1:0",
            "--orders",
            "5",
            "--anchor",
            "2024-01-31 00:00:00",
            "--fault-drop",
            "0.5",
            "--fault-services",
            "kingdee",
            "--qimen-error-style",
            "flag-failure",
            "--kingdee-quirks",
            "legacy-save,admin-login",
            "--wdt-quirks",
            "total-first-page",
            "--extra-materials",
            "1000000",
        ]);
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.data.purchase_orders, 5);
        assert_eq!(config.data.anchor, Some(1_706_630_400));
        assert_eq!(config.faults.kingdee.drop, 0.5);
        assert_eq!(config.faults.wdt.drop, 0.0);
        assert_eq!(config.qimen.error_style, QimenErrorStyle::FlagFailure);
        assert!(config.kingdee.quirks.legacy_save);
        assert_eq!(config.kingdee.quirks.login_result, Some(-5));
        assert!(!config.kingdee.quirks.session_words);
        assert!(config.wdt_quirks.total_first_page);
        assert_eq!(config.kingdee.extra_materials, 1_000_000);
        assert!(!config.wdt_quirks.rate_limit_words);
        let bad = Cli::parse_from(["x", "--anchor", "yesterday"]);
        assert!(bad.args.to_config().is_err());
    }
}
