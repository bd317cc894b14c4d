//! Checking a `[connections.NAME]` table: its kind, address and limits,
//! then the account of its kind (旺店通, Qimen or 金蝶).

use super::*;

use ConnectionKind::{Kingdee, Wdt, WdtQm};

/// The account keys a table gives, each with the kinds of connection it
/// belongs to, in the order they are checked: a key given for another kind
/// is a mistake worth reporting.
fn account_keys(c: &RawConnection) -> [(&'static str, bool, &'static [ConnectionKind]); 11] {
    [
        ("sid", c.sid.is_some(), &[Wdt, WdtQm]),
        ("appkey", c.appkey.is_some(), &[Wdt]),
        (
            "appsecret",
            c.appsecret.is_some() || c.appsecret_env.is_some(),
            &[Wdt],
        ),
        ("app_key", c.app_key.is_some(), &[WdtQm]),
        ("target_app_key", c.target_app_key.is_some(), &[WdtQm]),
        (
            "app_secret",
            c.app_secret.is_some() || c.app_secret_env.is_some(),
            &[WdtQm, Kingdee],
        ),
        ("acct_id", c.acct_id.is_some(), &[Kingdee]),
        ("user_name", c.user_name.is_some(), &[Kingdee]),
        ("app_id", c.app_id.is_some(), &[Kingdee]),
        (
            "password",
            c.password.is_some() || c.password_env.is_some(),
            &[Kingdee],
        ),
        ("login", c.login.is_some(), &[Kingdee]),
    ]
}

/// Names people give the 旺店通 旗舰版 (Y platform) connection kind.
const ULTIMATE_KINDS: [&str; 6] = [
    "wdtys",
    "wdt_ys",
    "wdtqjb",
    "wdt_qjb",
    "wdt_ultimate",
    "wdt_y",
];

/// Why the 旺店通 旗舰版 is refused.
pub(crate) const ULTIMATE_REFUSED: &str =
    "the 旺店通 旗舰版 (Y platform) API is not supported: its `start_time` filters on creation, not \
     modification, so records edited after they were created would be missed without a word (it also \
     differs in times, decimals and list keys); duijie reads 旺店通·企业版 openapi2 (kind = \"wdt\") and \
     企业奇门 (kind = \"wdtqm\")";

/// Whether `url` is the 旺店通 旗舰版 gateway (`wdt.wangdian.cn`, or a path
/// ending in `/openapi` rather than openapi2's base).
fn is_ultimate_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    host == "wdt.wangdian.cn" || path.trim_end_matches('/').ends_with("openapi")
}

/// Calls per minute when the table does not say: 旺店通's limit for its
/// sources, none of ours for 金蝶.
fn default_rate_limit(kind: ConnectionKind) -> u32 {
    match kind {
        Wdt | WdtQm => 60,
        Kingdee => 0,
    }
}

impl Checker<'_> {
    /// Checks the connection `name`.
    /// `base` is the file's directory (`ca_file` is relative to it);
    /// warnings go to `warnings`.
    pub(super) fn connection(
        &self,
        name: &str,
        raw: Spanned<RawConnection>,
        base: &Path,
        warnings: &mut Vec<ConfigWarning>,
    ) -> Result<ConnectionConfig, ConfigError> {
        let table = raw.span();
        let p = format!("connections.{name}");
        self.check_name(name, &table, &p, "connection")?;
        let c = raw.into_inner();
        let kind = self.kind(&table, &p, &c.kind)?;
        let base_url = self.base_url(&table, &p, &c.base_url)?;
        if kind != Kingdee && is_ultimate_url(&base_url) {
            return Err(self.invalid(
                span_or(&c.base_url, &table),
                format!("{p}.base_url"),
                ULTIMATE_REFUSED,
            ));
        }
        let allow_insecure_http = c.allow_insecure_http.as_ref().is_some_and(|a| *a.get_ref());
        let local = is_loopback_url(&base_url);
        if base_url.starts_with("http://") && !local && !allow_insecure_http {
            return Err(self.invalid(
                span_or(&c.base_url, &table),
                format!("{p}.base_url"),
                "http:// to another machine sends the credentials and signatures in clear: use https://, \
                 or set `allow_insecure_http = true` on this connection (a network you trust only)",
            ));
        }
        if base_url.starts_with("http://") && !local {
            warnings.push(ConfigWarning {
                at: self.at(span_or(&c.base_url, &table), format!("{p}.base_url")),
                message: "http:// to another machine: credentials and signatures go out in clear \
                          (allowed by `allow_insecure_http`)"
                    .into(),
            });
        }
        if !local {
            let inline = [
                ("appsecret", &c.appsecret),
                ("app_secret", &c.app_secret),
                ("password", &c.password),
            ];
            for (key, v) in inline {
                if let Some(v) = v {
                    warnings.push(ConfigWarning {
                        at: self.at(v.span(), format!("{p}.{key}")),
                        message: format!(
                            "a secret written in clear for a real host: put it in an environment variable \
                             and name it with `{key}_env = \"DUIJIE_…\"` instead"
                        ),
                    });
                }
            }
        }
        let ca_file = match &c.ca_file {
            None => None,
            Some(f) => {
                let path = base.join(f.get_ref());
                if let Err(e) = crate::vendors::http::read_ca_file(&path) {
                    return Err(self.invalid(f.span(), format!("{p}.ca_file"), e));
                }
                Some(path)
            }
        };
        let timeout = c
            .timeout
            .as_ref()
            .map_or(Duration::from_secs(30), |t| t.get_ref().0);
        if timeout.is_zero() {
            return Err(self.invalid(
                span_or(&c.timeout, &table),
                format!("{p}.timeout"),
                "must be more than 0",
            ));
        }
        if let Some(m) = &c.max_page_size {
            if *m.get_ref() == 0 {
                return Err(self.invalid(
                    m.span(),
                    format!("{p}.max_page_size"),
                    "must be at least 1",
                ));
            }
        }
        let foreign = account_keys(&c)
            .into_iter()
            .find(|(_, given, kinds)| *given && !kinds.contains(&kind));
        if let Some((key, _, _)) = foreign {
            return Err(self.invalid(
                table,
                &p,
                format!("`{key}` does not apply to a connection of kind {kind}"),
            ));
        }
        let rate_limit_per_minute = c
            .rate_limit_per_minute
            .as_ref()
            .map_or(default_rate_limit(kind), |r| *r.get_ref());
        let max_page_size = c.max_page_size.as_ref().map(|m| *m.get_ref());
        let account = match kind {
            Wdt => self.wdt_account(&table, &p, c)?,
            WdtQm => self.wdtqm_account(&table, &p, c)?,
            Kingdee => self.kingdee_account(&table, &p, c)?,
        };
        Ok(ConnectionConfig {
            name: name.to_string(),
            kind,
            base_url,
            timeout,
            rate_limit_per_minute,
            max_page_size,
            account,
            ca_file,
            allow_insecure_http,
            at: self.at(table, p),
        })
    }

    fn kind(
        &self,
        table: &Range<usize>,
        p: &str,
        kind: &OptText,
    ) -> Result<ConnectionKind, ConfigError> {
        let text = self.required(table, p, "kind", kind.clone(), "wdt, wdtqm or kingdee")?;
        if ULTIMATE_KINDS.contains(&text.to_ascii_lowercase().as_str()) {
            return Err(self.invalid(span_or(kind, table), format!("{p}.kind"), ULTIMATE_REFUSED));
        }
        ConnectionKind::parse(&text).ok_or_else(|| {
            self.invalid(
                span_or(kind, table),
                format!("{p}.kind"),
                format!("unknown kind `{text}` (use wdt, wdtqm or kingdee)"),
            )
        })
    }

    fn base_url(
        &self,
        table: &Range<usize>,
        p: &str,
        base_url: &OptText,
    ) -> Result<String, ConfigError> {
        let url = self.required(
            table,
            p,
            "base_url",
            base_url.clone(),
            "the server's address",
        )?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(self.invalid(
                span_or(base_url, table),
                format!("{p}.base_url"),
                "must start with http:// or https://",
            ));
        }
        Ok(url)
    }

    /// A secret the account needs (see [`Checker::secret`]), given in clear
    /// or by `key_env`; `what` names it when both are missing.
    fn required_secret(
        &self,
        table: &Range<usize>,
        p: &str,
        key: &str,
        (inline, env): (OptText, OptText),
        what: &str,
    ) -> Result<SecretSource, ConfigError> {
        self.secret(p, key, inline, env)?.ok_or_else(|| {
            self.invalid(
                table.clone(),
                p,
                format!("`{key}_env` is missing (the environment variable holding {what})"),
            )
        })
    }

    /// 旺店通·企业版 openapi2: seller account, app key and secret.
    fn wdt_account(
        &self,
        table: &Range<usize>,
        p: &str,
        c: RawConnection,
    ) -> Result<Account, ConfigError> {
        Ok(Account::Wdt {
            sid: self.required(table, p, "sid", c.sid, "the seller account")?,
            appkey: self.required(table, p, "appkey", c.appkey, "the app key")?,
            appsecret: self.required_secret(
                table,
                p,
                "appsecret",
                (c.appsecret, c.appsecret_env),
                "the app secret",
            )?,
        })
    }

    /// 旺店通 through Qimen: the seller account, Qimen's app key and secret,
    /// and 旺店通's app key on Qimen.
    fn wdtqm_account(
        &self,
        table: &Range<usize>,
        p: &str,
        c: RawConnection,
    ) -> Result<Account, ConfigError> {
        Ok(Account::WdtQm {
            sid: self.required(table, p, "sid", c.sid, "the 旺店通 seller account")?,
            app_key: self.required(table, p, "app_key", c.app_key, "the Qimen app key")?,
            target_app_key: self.required(
                table,
                p,
                "target_app_key",
                c.target_app_key,
                "旺店通's app key on Qimen",
            )?,
            app_secret: self.required_secret(
                table,
                p,
                "app_secret",
                (c.app_secret, c.app_secret_env),
                "the Qimen app secret",
            )?,
        })
    }

    /// 金蝶云星空: the data center, the user, and what its login needs.
    fn kingdee_account(
        &self,
        table: &Range<usize>,
        p: &str,
        c: RawConnection,
    ) -> Result<Account, ConfigError> {
        let login = self.kingdee_login(p, &c.login)?;
        let app_secret = self.secret(p, "app_secret", c.app_secret, c.app_secret_env)?;
        let password = self.secret(p, "password", c.password, c.password_env)?;
        let app_id = c.app_id.map(Spanned::into_inner);
        match login {
            KingdeeLogin::Password => {
                if password.is_none() {
                    return Err(self.invalid(
                        table.clone(),
                        p,
                        "`password_env` is missing (login = \"password\" needs the user's password)",
                    ));
                }
            }
            _ => {
                if app_id.is_none() {
                    return Err(self.invalid(
                        table.clone(),
                        p,
                        format!(
                            "`app_id` is missing (login = \"{}\" needs the app id)",
                            login.as_str()
                        ),
                    ));
                }
                if app_secret.is_none() {
                    return Err(self.invalid(
                        table.clone(),
                        p,
                        format!(
                            "`app_secret_env` is missing (login = \"{}\" needs the app secret)",
                            login.as_str()
                        ),
                    ));
                }
            }
        }
        Ok(Account::Kingdee {
            acct_id: self.required(table, p, "acct_id", c.acct_id, "the data center id")?,
            user_name: self.required(table, p, "user_name", c.user_name, "the integration user")?,
            lcid: c.lcid.map_or(2052, Spanned::into_inner),
            org_num: c
                .org_num
                .map_or_else(|| "0".to_string(), Spanned::into_inner),
            login,
            app_id,
            app_secret,
            password,
        })
    }

    /// `login = "…"` (default `sign`).
    fn kingdee_login(&self, p: &str, login: &OptText) -> Result<KingdeeLogin, ConfigError> {
        let Some(l) = login else {
            return Ok(KingdeeLogin::Sign);
        };
        Ok(match l.get_ref().as_str() {
            "sign" => KingdeeLogin::Sign,
            "app_secret" => KingdeeLogin::AppSecret,
            "password" => KingdeeLogin::Password,
            "headers" => KingdeeLogin::Headers,
            other => {
                return Err(self.invalid(
                    l.span(),
                    format!("{p}.login"),
                    format!("unknown login `{other}` (use sign, app_secret, password or headers)"),
                ))
            }
        })
    }
}
