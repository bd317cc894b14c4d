//! Settings of a sandbox. `Default` gives the credentials of the protocol test
//! vectors (shared/protocols.md), which are also the documented sandbox
//! defaults; none of them is a real tenant's.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use crate::masterdata::MasterData;

/// Default listening address (the address of protocols.md vector 4).
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8090));

/// Everything a [`crate::Sandbox`] needs.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free port ([`crate::Sandbox::addr`] tells which).
    pub listen: SocketAddr,
    /// 旺店通 openapi2 credentials (also the `sid` Qimen's business calls must name).
    pub wdt: WdtCredentials,
    /// Qimen gateway settings.
    pub qimen: QimenConfig,
    /// 金蝶云星空 settings.
    pub kingdee: KingdeeConfig,
    /// The generated 旺店通 documents.
    pub data: DataConfig,
    /// Calls per minute allowed per `sid` on openapi2 and Qimen; 0 = no limit.
    /// Past it, openapi2 answers code 100 and Qimen errorcode 100.
    pub rate_limit_per_min: u32,
    /// Largest accepted difference, in seconds, between a request's timestamp
    /// and the sandbox clock (openapi2 `timestamp`, Qimen `timestamp`, Kingdee
    /// `x-api-timestamp` and LoginBySign). 旺店通 allows 5 minutes.
    pub max_skew_secs: u64,
    /// Freezes the sandbox clock at these unix seconds (used by tests to
    /// replay the protocol vectors); `None` = system time.
    pub fixed_now: Option<i64>,
    /// Fault injection per service.
    pub faults: ServiceFaults,
    /// Seed of the fault-injection draws (independent of the data seed).
    pub fault_seed: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: DEFAULT_LISTEN,
            wdt: WdtCredentials::default(),
            qimen: QimenConfig::default(),
            kingdee: KingdeeConfig::default(),
            data: DataConfig::default(),
            rate_limit_per_min: 0,
            max_skew_secs: 300,
            fixed_now: None,
            faults: ServiceFaults::default(),
            fault_seed: 1,
        }
    }
}

/// 旺店通 openapi2 credentials. Default: sid `apidevnew2`, appkey `rhsw02`, appsecret `12345`.
#[derive(Clone, PartialEq, Eq)]
pub struct WdtCredentials {
    pub sid: String,
    pub appkey: String,
    pub appsecret: String,
}

impl Default for WdtCredentials {
    fn default() -> Self {
        WdtCredentials {
            sid: "apidevnew2".into(),
            appkey: "rhsw02".into(),
            appsecret: "12345".into(),
        }
    }
}

impl fmt::Debug for WdtCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WdtCredentials")
            .field("sid", &self.sid)
            .field("appkey", &self.appkey)
            .field("appsecret", &"<redacted>")
            .finish()
    }
}

/// How the Qimen gateway reports its own errors (bad sign, unknown app key…);
/// protocols.md §2 lists both shapes as seen in the field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum QimenErrorStyle {
    /// `{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature","sub_msg":…}}`
    #[default]
    ErrorResponse,
    /// `{"response":{"flag":"failure","code":"sign-check-failure","message":…}}`
    FlagFailure,
}

/// Qimen gateway settings. Default: app_key `12345678`, target_app_key
/// `23456789`, secret `qimensecret`, page size cap 100.
#[derive(Clone, PartialEq, Eq)]
pub struct QimenConfig {
    pub app_key: String,
    pub target_app_key: String,
    pub secret: String,
    pub error_style: QimenErrorStyle,
    /// Largest `page_size` accepted (the real cap is 30 or 100 [uncertain]).
    pub max_page_size: u32,
}

impl Default for QimenConfig {
    fn default() -> Self {
        QimenConfig {
            app_key: "12345678".into(),
            target_app_key: "23456789".into(),
            secret: "qimensecret".into(),
            error_style: QimenErrorStyle::ErrorResponse,
            max_page_size: 100,
        }
    }
}

impl fmt::Debug for QimenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QimenConfig")
            .field("app_key", &self.app_key)
            .field("target_app_key", &self.target_app_key)
            .field("secret", &"<redacted>")
            .field("error_style", &self.error_style)
            .field("max_page_size", &self.max_page_size)
            .finish()
    }
}

/// 金蝶云星空 settings. Default: acct `64f0c0ffee0001`, user `webapi`, app_id
/// `123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0`, app_secret
/// `0123456789abcdef0123456789abcdef`, password `888888`, sessions idle out
/// after 20 minutes, built-in master data.
#[derive(Clone)]
pub struct KingdeeConfig {
    pub acct_id: String,
    pub user_name: String,
    pub app_id: String,
    pub app_secret: String,
    /// Password of `user_name` for `AuthService.ValidateUser`.
    pub password: String,
    /// A session unused for this long is lost (MsgCode 1).
    pub session_idle: Duration,
    /// Base data that lookups (`{"FNumber":…}`) must name.
    pub master_data: MasterData,
}

impl Default for KingdeeConfig {
    fn default() -> Self {
        KingdeeConfig {
            acct_id: "64f0c0ffee0001".into(),
            user_name: "webapi".into(),
            app_id: "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0".into(),
            app_secret: "0123456789abcdef0123456789abcdef".into(),
            password: "888888".into(),
            session_idle: Duration::from_secs(20 * 60),
            master_data: MasterData::builtin(),
        }
    }
}

impl fmt::Debug for KingdeeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KingdeeConfig")
            .field("acct_id", &self.acct_id)
            .field("user_name", &self.user_name)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("password", &"<redacted>")
            .field("session_idle", &self.session_idle)
            .field("master_data", &self.master_data)
            .finish()
    }
}

/// The generated 旺店通 documents: a pure function of these settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataConfig {
    /// Seed of every generated value.
    pub seed: u64,
    /// Number of purchase orders (`purchase_order_query`).
    pub purchase_orders: u32,
    /// Number of stock-in bills (`stockin_order_query`, Qimen `wdt.stockin.order.query`).
    pub stockins: u32,
    /// Number of sales stock-outs (`stockout_order_query_trade`, Qimen
    /// `wdt.stockout.order.query.trade`).
    pub sales_outs: u32,
    /// Number of return stock-ins (`stockin_order_query_refund`).
    pub refunds: u32,
    /// Modified times are spread over this many days before `anchor`.
    pub spread_days: u32,
    /// End of the modified-time spread, unix seconds; `None` = the sandbox
    /// clock at start (data then differ from run to run in their times only).
    pub anchor: Option<i64>,
    /// What an unset date-time field holds (旺店通 sends `0000-00-00 00:00:00`).
    pub empty_time: String,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            seed: 1,
            purchase_orders: 1000,
            stockins: 1000,
            sales_outs: 1000,
            refunds: 300,
            spread_days: 30,
            anchor: None,
            empty_time: "0000-00-00 00:00:00".into(),
        }
    }
}

/// The three services of a sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Service {
    /// 旺店通 openapi2 (`/openapi2/…`).
    Wdt,
    /// Qimen gateway (`/router/qm`).
    Qimen,
    /// 金蝶云星空 WebAPI (`/k3cloud/…`).
    Kingdee,
}

/// Fault probabilities of one service, each in `[0, 1]`, drawn once per
/// request in this order: HTTP 500, slow answer, dropped connection, rate
/// limit, session loss (Kingdee only). Their sum should not exceed 1.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultConfig {
    /// Answer HTTP 500 with a plain-text body, doing nothing.
    pub http_500: f64,
    /// Answer only after `slow_delay` (so that clients time out).
    pub slow: f64,
    /// Close the connection without answering.
    pub drop: f64,
    /// Answer the vendor's rate-limit error (旺店通 code 100, Qimen
    /// `isv.api-call-limited`, Kingdee MsgCode 14).
    pub rate_limit: f64,
    /// Kingdee only: forget the session and answer MsgCode 1.
    pub session_loss: f64,
    /// How long a slow answer waits.
    pub slow_delay: Duration,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            http_500: 0.0,
            slow: 0.0,
            drop: 0.0,
            rate_limit: 0.0,
            session_loss: 0.0,
            slow_delay: Duration::from_secs(30),
        }
    }
}

impl FaultConfig {
    /// True when no fault can happen.
    pub fn is_off(&self) -> bool {
        self.http_500 <= 0.0
            && self.slow <= 0.0
            && self.drop <= 0.0
            && self.rate_limit <= 0.0
            && self.session_loss <= 0.0
    }
}

/// Fault settings of each service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceFaults {
    pub wdt: FaultConfig,
    pub qimen: FaultConfig,
    pub kingdee: FaultConfig,
}

impl ServiceFaults {
    /// The same settings for all three services.
    pub fn all(config: FaultConfig) -> Self {
        ServiceFaults {
            wdt: config.clone(),
            qimen: config.clone(),
            kingdee: config,
        }
    }

    pub fn get(&self, service: Service) -> &FaultConfig {
        match service {
            Service::Wdt => &self.wdt,
            Service::Qimen => &self.qimen,
            Service::Kingdee => &self.kingdee,
        }
    }

    pub fn get_mut(&mut self, service: Service) -> &mut FaultConfig {
        match service {
            Service::Wdt => &mut self.wdt,
            Service::Qimen => &mut self.qimen,
            Service::Kingdee => &mut self.kingdee,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", SandboxConfig::default());
        assert!(!text.contains("12345\""), "{text}");
        assert!(!text.contains("qimensecret"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("888888"), "{text}");
        assert!(text.contains("apidevnew2"));
    }
}
