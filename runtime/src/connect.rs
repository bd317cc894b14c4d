//! From configuration to a runnable [`Scheme`]: checks that a compiled
//! scheme fits its connections, builds the vendor clients (one per
//! connection, shared by the schemes that use it, so a 金蝶 session is
//! shared), and hands the engine their [`Source`] and [`Target`] adapters
//! (`crate::vendors`). The only place that knows every vendor.

use std::collections::HashMap;
use std::sync::Arc;

use duijie_maplib::Mapper;

use crate::config::{
    Account, Config, ConfigError, ConnectionConfig, ConnectionKind, KingdeeLogin, Location,
    SchemeConfig,
};
use crate::engine::{Scheme, Settings, Source, Target};
use crate::error::Error;
use crate::ratelimit::RateLimits;
use crate::vendors::http::{read_ca_file, with_extra_roots};
use crate::vendors::kingdee::{self, KingdeeAuth, KingdeeConfig, KingdeeTarget};
use crate::vendors::qimen::{self, qimen_url, QimenConfig, QimenSource};
use crate::vendors::wdt::{self, WdtConfig, WdtSource};

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
        at: Box<Location>,
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
            at: Box::new(cfg.map_at.clone()),
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
    let source: Arc<dyn Source> = with_roots(src, || source_of(src, meta, clients))??;
    let target: Arc<dyn Target> = Arc::new(KingdeeTarget {
        client: with_roots(dst, || clients.kingdee(dst))??,
        single: meta.target.saves_one_by_one(),
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

/// Builds, with `build`, the clients of connection `c`, trusting its
/// `ca_file` besides the system's authorities.
fn with_roots<T>(c: &ConnectionConfig, build: impl FnOnce() -> T) -> Result<T, ConnectError> {
    let roots = match &c.ca_file {
        Some(path) => read_ca_file(path).map_err(|message| ConnectError::Mismatch {
            at: Location {
                key: format!("{}.ca_file", c.at.key),
                ..c.at.clone()
            },
            message,
        })?,
        None => Vec::new(),
    };
    Ok(with_extra_roots(roots, build))
}

/// The source adapter of connection `src` for a scheme of `meta`.
fn source_of(
    src: &ConnectionConfig,
    meta: &duijie_maplib::SchemeMeta,
    clients: &mut Clients,
) -> Result<Arc<dyn Source>, ConnectError> {
    Ok(match src.kind {
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
    })
}
