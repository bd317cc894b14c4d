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
    /// Answers of real 旺店通 servers other than the textbook shapes.
    pub wdt_quirks: WdtQuirks,
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
            wdt_quirks: WdtQuirks::default(),
        }
    }
}

/// One way real 旺店通 servers answer other than the textbook shapes (flags
/// of `duijie sandbox --wdt-quirks`); openapi2 and Qimen alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum WdtQuirk {
    /// `total_count` only on page 0, and as a string there.
    TotalFirstPage,
    /// Rate limits in the words of each platform, with other codes than
    /// 100: concurrency (`并发请求数超过限制`) and per-minute frequency
    /// (`每分钟调用次数超过上限`), taking turns.
    RateLimitWords,
    /// The same field is a string in one record and a number in the next
    /// (status, ids, quantities, prices, amounts: every string that reads as
    /// a JSON number), and an unset time is `null` instead of
    /// `0000-00-00 00:00:00`.
    LooseTypes,
    /// Refund stock-ins (退货入库, `order_type` 3) are left out of
    /// `stockin_order_query` and Qimen's `wdt.stockin.order.query`, as real
    /// servers do; `stockin_order_query_refund` serves them.
    RefundSeparate,
    /// openapi2 answers as the 旗舰版 (Y platform) API does:
    /// `{"status":0,"data":{"total_count":N,"order":[…]}}`, ISO times,
    /// decimals without their trailing zeros.
    Ultimate,
}

/// The quirks 旺店通 sandboxes show (none by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WdtQuirks {
    pub total_first_page: bool,
    pub rate_limit_words: bool,
    pub loose_types: bool,
    pub refund_separate: bool,
    pub ultimate: bool,
}

impl WdtQuirks {
    /// The quirks named.
    pub fn of(quirks: &[WdtQuirk]) -> Self {
        let mut q = WdtQuirks::default();
        for quirk in quirks {
            match quirk {
                WdtQuirk::TotalFirstPage => q.total_first_page = true,
                WdtQuirk::RateLimitWords => q.rate_limit_words = true,
                WdtQuirk::LooseTypes => q.loose_types = true,
                WdtQuirk::RefundSeparate => q.refund_separate = true,
                WdtQuirk::Ultimate => q.ultimate = true,
            }
        }
        q
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
    /// Generated materials (`M0000001`, …) added to `BD_MATERIAL` at
    /// start, after `master_data`'s (0 by default).
    pub extra_materials: u32,
    /// Answers of real servers other than the textbook shapes.
    pub quirks: KingdeeQuirks,
    /// How long calls take and how many the server takes at once.
    pub load: KingdeeLoad,
}

/// How long a 金蝶 call takes and how many it takes at once, as a loaded
/// tenant behaves (none of it by default: answers come at once).
///
/// A call takes `per_call` plus `per_bill` for each bill it saves. Up to
/// `capacity` calls at once (0: no limit) each take that long; past it the
/// server shares itself among them, each `in flight ÷ capacity` times
/// slower (its throughput flat); past twice `capacity` it refuses the call
/// at once with its concurrency answer (`当前接口并发请求数超过限制`,
/// MsgCode 14). Nobody publishes a tenant's capacity: clients have to find
/// it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KingdeeLoad {
    pub per_call: Duration,
    pub per_bill: Duration,
    pub capacity: u32,
}

/// One way real 金蝶 servers answer other than the textbook shapes (flags of
/// `duijie sandbox --kingdee-quirks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum KingdeeQuirk {
    /// Older servers' save answers: no `DIndex`, `MsgCode` or
    /// `SuccessEntitys`; a success is `{"IsSuccess":true}` beside
    /// `Result.Id`/`Result.Number`.
    LegacySave,
    /// Failed saves also carry the pseudo-error
    /// `AbstractInteractionResult.InteractionContext is null`.
    PseudoError,
    /// Logins answer `LoginResultType` −5 (DealWithForm, an administrator's
    /// login) with a valid session.
    AdminLogin,
    /// Logins answer `LoginResultType` −4 (Wanning) with a valid session.
    WarningLogin,
    /// An unlicensed server: logins answer the form `BOS_CloudInspection`
    /// and no session; other calls MsgCode 7 (许可错误).
    Unlicensed,
    /// A lost session is said in words only (`会话已过期，请重新登录`, no MsgCode).
    SessionWords,
    /// `ExecuteBillQuery` answers numbers as floats (`100001.0`) and times
    /// with fractions of a second (`2024-01-02T09:18:04.96`).
    FloatQuery,
    /// A rate limit said in words only (`当前接口并发请求数超过限制`, no MsgCode).
    RateLimitWords,
    /// Saves of stock bills (`STK_MISCELLANEOUS`) ask a confirmation
    /// (`更新库存时出现可以忽略的异常数据，是否继续？`, interaction
    /// `STK_InvCheckResult`) unless `InterationFlags` names it.
    StockPrompt,
    /// `IsAutoSubmitAndAudit` is not honoured: saved bills stay created (A)
    /// until `Submit` and `Audit`.
    NoAutoAudit,
}

/// The quirks a 金蝶 sandbox shows (none by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KingdeeQuirks {
    pub legacy_save: bool,
    pub pseudo_error: bool,
    /// `LoginResultType` of a successful login (1 when `None`).
    pub login_result: Option<i64>,
    pub unlicensed: bool,
    pub session_words: bool,
    pub float_query: bool,
    pub rate_limit_words: bool,
    pub stock_prompt: bool,
    pub no_auto_audit: bool,
}

impl KingdeeQuirks {
    /// The quirks named.
    pub fn of(quirks: &[KingdeeQuirk]) -> Self {
        let mut q = KingdeeQuirks::default();
        for quirk in quirks {
            match quirk {
                KingdeeQuirk::LegacySave => q.legacy_save = true,
                KingdeeQuirk::PseudoError => q.pseudo_error = true,
                KingdeeQuirk::AdminLogin => q.login_result = Some(-5),
                KingdeeQuirk::WarningLogin => q.login_result = Some(-4),
                KingdeeQuirk::Unlicensed => q.unlicensed = true,
                KingdeeQuirk::SessionWords => q.session_words = true,
                KingdeeQuirk::FloatQuery => q.float_query = true,
                KingdeeQuirk::RateLimitWords => q.rate_limit_words = true,
                KingdeeQuirk::StockPrompt => q.stock_prompt = true,
                KingdeeQuirk::NoAutoAudit => q.no_auto_audit = true,
            }
        }
        q
    }
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
            extra_materials: 0,
            quirks: KingdeeQuirks::default(),
            load: KingdeeLoad::default(),
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
            .field("extra_materials", &self.extra_materials)
            .field("quirks", &self.quirks)
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
