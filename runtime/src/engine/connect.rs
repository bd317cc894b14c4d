//! From configuration to a runnable [`Scheme`]: checks that a compiled
//! scheme fits its connections, builds the vendor clients (one per
//! connection, shared by the schemes that use it, so a 金蝶 session is
//! shared), and adapts them to the engine's [`Source`] and [`Target`].

use std::collections::HashMap;
use std::sync::Arc;

use duijie_maplib::Mapper;
use serde_json::{Map, Value};

use super::io::{BillResult, BoxFuture, Source, SourcePage, Target};
use super::{Scheme, Settings};
use crate::config::{
    Account, Config, ConfigError, ConnectionConfig, ConnectionKind, KingdeeLogin, Location,
    SchemeConfig,
};
use crate::error::Error;
use crate::kingdee::{self, BillErrorKind, BillOutcome, BillQuery, KingdeeAuth, KingdeeConfig};
use crate::qimen::{self, QimenConfig};
use crate::ratelimit::RateLimits;
use crate::wdt::{self, WdtConfig};

/// Why a scheme cannot be connected.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A configuration problem (a missing secret, …).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration does not fit the compiled scheme.
    #[error("{at}: {message}")]
    Mismatch { at: Location, message: String },
    /// No compiled scheme of that name.
    #[error("{at}: no compiled scheme named `{name}` (compiled: {known})")]
    UnknownMap {
        at: Location,
        name: String,
        known: String,
    },
    /// A client could not be built.
    #[error("connection `{connection}`: {source}")]
    Client {
        connection: String,
        #[source]
        source: Error,
    },
}

/// The vendor clients of a configuration, built on first use.
#[derive(Default)]
pub struct Clients {
    wdt: HashMap<String, Arc<wdt::Client>>,
    qimen: HashMap<String, Arc<qimen::Client>>,
    kingdee: HashMap<String, Arc<kingdee::Client>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("wdt", &self.wdt.keys().collect::<Vec<_>>())
            .field("qimen", &self.qimen.keys().collect::<Vec<_>>())
            .field("kingdee", &self.kingdee.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn client_err(c: &ConnectionConfig) -> impl Fn(Error) -> ConnectError + '_ {
    move |source| ConnectError::Client {
        connection: c.name.clone(),
        source,
    }
}

/// The Qimen gateway URL of a connection: `base_url` plus `/router/qm`
/// unless it already ends so.
pub fn qimen_url(base_url: &str) -> String {
    let b = base_url.trim_end_matches('/');
    if b.ends_with("/router/qm") {
        b.to_string()
    } else {
        format!("{b}/router/qm")
    }
}

impl Clients {
    pub fn new() -> Self {
        Self::default()
    }

    fn wdt(&mut self, c: &ConnectionConfig) -> Result<Arc<wdt::Client>, ConnectError> {
        if let Some(client) = self.wdt.get(&c.name) {
            return Ok(client.clone());
        }
        let Account::Wdt {
            sid,
            appkey,
            appsecret,
        } = &c.account
        else {
            return Err(mismatch(c, "is not a wdt connection"));
        };
        let client = Arc::new(
            wdt::Client::new(WdtConfig {
                base_url: c.base_url.clone(),
                sid: sid.clone(),
                appkey: appkey.clone(),
                appsecret: appsecret.resolve()?,
                timeout: c.timeout,
            })
            .map_err(client_err(c))?,
        );
        self.wdt.insert(c.name.clone(), client.clone());
        Ok(client)
    }

    fn qimen(&mut self, c: &ConnectionConfig) -> Result<Arc<qimen::Client>, ConnectError> {
        if let Some(client) = self.qimen.get(&c.name) {
            return Ok(client.clone());
        }
        let Account::WdtQm {
            sid,
            app_key,
            target_app_key,
            app_secret,
        } = &c.account
        else {
            return Err(mismatch(c, "is not a wdtqm connection"));
        };
        let client = Arc::new(
            qimen::Client::new(QimenConfig {
                url: qimen_url(&c.base_url),
                app_key: app_key.clone(),
                target_app_key: target_app_key.clone(),
                secret: app_secret.resolve()?,
                sid: sid.clone(),
                timeout: c.timeout,
            })
            .map_err(client_err(c))?,
        );
        self.qimen.insert(c.name.clone(), client.clone());
        Ok(client)
    }

    fn kingdee(&mut self, c: &ConnectionConfig) -> Result<Arc<kingdee::Client>, ConnectError> {
        if let Some(client) = self.kingdee.get(&c.name) {
            return Ok(client.clone());
        }
        let Account::Kingdee {
            acct_id,
            user_name,
            lcid,
            org_num,
            login,
            app_id,
            app_secret,
            password,
        } = &c.account
        else {
            return Err(mismatch(c, "is not a kingdee connection"));
        };
        let app = || -> Result<(String, crate::secret::Secret), ConnectError> {
            let id = app_id.clone().unwrap_or_default();
            let secret = match app_secret {
                Some(s) => s.resolve()?,
                None => return Err(mismatch(c, "needs app_secret_env")),
            };
            Ok((id, secret))
        };
        let auth = match login {
            KingdeeLogin::Sign => {
                let (app_id, app_secret) = app()?;
                KingdeeAuth::LoginBySign { app_id, app_secret }
            }
            KingdeeLogin::AppSecret => {
                let (app_id, app_secret) = app()?;
                KingdeeAuth::LoginByAppSecret { app_id, app_secret }
            }
            KingdeeLogin::Headers => {
                let (app_id, app_secret) = app()?;
                KingdeeAuth::Signed { app_id, app_secret }
            }
            KingdeeLogin::Password => match password {
                Some(p) => KingdeeAuth::Password {
                    password: p.resolve()?,
                },
                None => return Err(mismatch(c, "needs password_env")),
            },
        };
        let mut config =
            KingdeeConfig::new(c.base_url.clone(), acct_id.clone(), user_name.clone(), auth);
        config.lcid = *lcid;
        config.org_num = org_num.clone();
        config.timeout = c.timeout;
        let client = Arc::new(kingdee::Client::new(config).map_err(client_err(c))?);
        self.kingdee.insert(c.name.clone(), client.clone());
        Ok(client)
    }
}

fn mismatch(c: &ConnectionConfig, what: &str) -> ConnectError {
    ConnectError::Mismatch {
        at: c.at.clone(),
        message: format!("connection `{}` {what}", c.name),
    }
}

/// Finds the compiled scheme a configured scheme names.
pub fn find_mapper(
    cfg: &SchemeConfig,
    mappers: &[Arc<dyn Mapper>],
) -> Result<Arc<dyn Mapper>, ConnectError> {
    mappers
        .iter()
        .find(|m| m.meta().name == cfg.map)
        .cloned()
        .ok_or_else(|| ConnectError::UnknownMap {
            at: cfg.map_at.clone(),
            name: cfg.map.clone(),
            known: {
                let names: Vec<&str> = mappers.iter().map(|m| m.meta().name.as_str()).collect();
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            },
        })
}

/// Checks that `cfg` fits its compiled scheme and its connections, and
/// returns its settings (page size capped by the connection).
pub fn check_scheme(
    config: &Config,
    cfg: &SchemeConfig,
    mapper: &dyn Mapper,
) -> Result<Settings, ConnectError> {
    let meta = mapper.meta();
    let source = config
        .connection(&cfg.source)
        .ok_or_else(|| ConnectError::Mismatch {
            at: cfg.at.clone(),
            message: format!("no connection named `{}`", cfg.source),
        })?;
    let target = config
        .connection(&cfg.target)
        .ok_or_else(|| ConnectError::Mismatch {
            at: cfg.at.clone(),
            message: format!("no connection named `{}`", cfg.target),
        })?;
    if ConnectionKind::parse(&meta.source.system) != Some(source.kind) {
        return Err(ConnectError::Mismatch {
            at: cfg.at.clone(),
            message: format!(
                "scheme `{}` reads {} `{}`, but source connection `{}` is of kind {}",
                meta.name, meta.source.system, meta.source.api, source.name, source.kind
            ),
        });
    }
    if ConnectionKind::parse(&meta.target.system) != Some(target.kind) {
        return Err(ConnectError::Mismatch {
            at: cfg.at.clone(),
            message: format!(
                "scheme `{}` writes to {}, but target connection `{}` is of kind {}",
                meta.name, meta.target.system, target.name, target.kind
            ),
        });
    }
    let mut settings = Settings::from_config(cfg, meta);
    let max = source
        .max_page_size
        .map_or(meta.source.max_page_size, |m| {
            m.min(meta.source.max_page_size)
        })
        .max(1);
    if let Some(asked) = cfg.page_size {
        if asked > max {
            return Err(ConnectError::Mismatch {
                at: cfg.page_size_at.clone(),
                message: format!("{asked} is more than {} accepts ({max})", meta.source.api),
            });
        }
    } else {
        settings.page_size = settings.page_size.min(max);
    }
    Ok(settings)
}

/// Builds a runnable scheme from its configuration.
pub fn connect(
    config: &Config,
    cfg: &SchemeConfig,
    mapper: Arc<dyn Mapper>,
    clients: &mut Clients,
    limits: &RateLimits,
) -> Result<Scheme, ConnectError> {
    let settings = check_scheme(config, cfg, mapper.as_ref())?;
    let meta = mapper.meta();
    // Both were checked by check_scheme.
    let (Some(src), Some(dst)) = (
        config.connection(&cfg.source),
        config.connection(&cfg.target),
    ) else {
        return Err(ConnectError::Mismatch {
            at: cfg.at.clone(),
            message: "unknown connection".into(),
        });
    };
    let source: Arc<dyn Source> = match src.kind {
        ConnectionKind::Wdt => Arc::new(WdtSource {
            client: clients.wdt(src)?,
            api: meta.source.api.clone(),
            list_key: meta.source.list_key.clone(),
        }),
        ConnectionKind::WdtQm => Arc::new(QimenSource {
            client: clients.qimen(src)?,
            method: meta.source.api.clone(),
            list_key: meta.source.list_key.clone(),
        }),
        ConnectionKind::Kingdee => return Err(mismatch(src, "cannot be a source")),
    };
    let target: Arc<dyn Target> = Arc::new(KingdeeTarget {
        client: clients.kingdee(dst)?,
        single: meta.target.operation.eq_ignore_ascii_case("Save"),
        check_form: meta.target.form_id.clone(),
    });
    Ok(Scheme {
        name: cfg.name.clone(),
        mapper: mapper.clone(),
        settings,
        source,
        source_limit: limits.bucket(&src.rate_key(), src.rate_limit_per_minute),
        target,
        target_limit: limits.bucket(&dst.rate_key(), dst.rate_limit_per_minute),
    })
}

/// 旺店通 openapi2 as a [`Source`].
pub struct WdtSource {
    pub client: Arc<wdt::Client>,
    pub api: String,
    pub list_key: String,
}

impl Source for WdtSource {
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>> {
        Box::pin(async move {
            let page = self.client.query(&self.api, &self.list_key, params).await?;
            Ok(SourcePage {
                total_count: page.total_count,
                records: page.records,
            })
        })
    }
}

/// 旺店通 through Qimen as a [`Source`].
pub struct QimenSource {
    pub client: Arc<qimen::Client>,
    pub method: String,
    pub list_key: String,
}

impl Source for QimenSource {
    fn query<'a>(
        &'a self,
        params: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<SourcePage, Error>> {
        Box::pin(async move {
            let page = self
                .client
                .query(&self.method, &self.list_key, params)
                .await?;
            Ok(SourcePage {
                total_count: page.total_count,
                records: page.records,
            })
        })
    }
}

/// 金蝶云星空 as a [`Target`].
pub struct KingdeeTarget {
    pub client: Arc<kingdee::Client>,
    /// `Save` (one bill a call) rather than `BatchSave`.
    pub single: bool,
    /// The form `check` queries.
    pub check_form: String,
}

/// The save options: the client's defaults, then the scheme's.
fn save_options(options: &[(String, Value)]) -> Map<String, Value> {
    let mut m = kingdee::default_save_options();
    for (k, v) in options {
        // Keys are case-insensitive at the server: replace a default of
        // another case.
        if let Some(existing) = m.keys().find(|e| e.eq_ignore_ascii_case(k)).cloned() {
            m.remove(&existing);
        }
        m.insert(k.clone(), v.clone());
    }
    m
}

fn bill_result(o: BillOutcome) -> BillResult {
    match o {
        BillOutcome::Saved { id, .. } => BillResult::Saved { id },
        BillOutcome::Unknown { .. } => BillResult::Unknown,
        BillOutcome::Failed { error, .. } => {
            let on_number = error
                .field
                .as_deref()
                .is_none_or(|f| f.eq_ignore_ascii_case("FBillNo"));
            match error.kind {
                BillErrorKind::Duplicate if on_number => BillResult::Duplicate {
                    message: error.message,
                },
                _ if matches!(
                    error.msg_code,
                    Some(kingdee::MSG_CODE_DB_FAILURE | kingdee::MSG_CODE_NETWORK_CONTROL)
                ) =>
                {
                    BillResult::Transient {
                        message: error.message,
                    }
                }
                _ => BillResult::Rejected {
                    message: error.message,
                },
            }
        }
    }
}

/// A filter `field in ('a','b')` with quotes doubled.
pub fn number_filter(field: &str, numbers: &[String]) -> String {
    let list: Vec<String> = numbers
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect();
    format!("{field} in ({})", list.join(","))
}

fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Target for KingdeeTarget {
    fn save<'a>(
        &'a self,
        form_id: &'a str,
        bills: &'a [&'a str],
        options: &'a [(String, Value)],
    ) -> BoxFuture<'a, Result<Vec<BillResult>, Error>> {
        Box::pin(async move {
            let opts = save_options(options);
            if self.single && bills.len() == 1 {
                let o = self.client.save(form_id, bills[0], &opts).await?;
                return Ok(vec![bill_result(o)]);
            }
            let outcome = self.client.batch_save(form_id, bills, &opts).await?;
            Ok(outcome.per_bill.into_iter().map(bill_result).collect())
        })
    }

    fn find<'a>(
        &'a self,
        form_id: &'a str,
        number_field: &'a str,
        numbers: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, String)>, Error>> {
        Box::pin(async move {
            let mut found = Vec::new();
            for chunk in numbers.chunks(100) {
                let rows = self
                    .client
                    .execute_bill_query(&BillQuery {
                        form_id: form_id.to_string(),
                        field_keys: vec!["FID".into(), number_field.to_string()],
                        filter: number_filter(number_field, chunk),
                        limit: 2000,
                        ..BillQuery::default()
                    })
                    .await?;
                for row in rows {
                    if let (Some(id), Some(number)) = (
                        row.first().and_then(cell_text),
                        row.get(1).and_then(cell_text),
                    ) {
                        if !found.iter().any(|(n, _): &(String, String)| *n == number) {
                            found.push((number, id));
                        }
                    }
                }
            }
            Ok(found)
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.client
                .execute_bill_query(&BillQuery {
                    form_id: self.check_form.clone(),
                    field_keys: vec!["FID".into()],
                    filter: "FID = 0".into(),
                    top: 1,
                    limit: 1,
                    ..BillQuery::default()
                })
                .await
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_quote_numbers() {
        assert_eq!(
            number_filter("FBillNo", &["A".into(), "O'B".into()]),
            "FBillNo in ('A','O''B')"
        );
    }

    #[test]
    fn scheme_options_override_the_defaults_whatever_their_case() {
        let m = save_options(&[("isautosubmitandaudit".into(), Value::Bool(true))]);
        assert_eq!(m.get("isautosubmitandaudit"), Some(&Value::Bool(true)));
        assert!(!m.contains_key("IsAutoSubmitAndAudit"));
        assert!(m.contains_key("NeedReturnFields"));
    }

    #[test]
    fn qimen_urls_end_with_the_router() {
        assert_eq!(qimen_url("http://h:1"), "http://h:1/router/qm");
        assert_eq!(qimen_url("http://h:1/router/qm/"), "http://h:1/router/qm");
    }
}
