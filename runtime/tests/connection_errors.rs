//! What a request that gets no answer says, against real loopback sockets:
//! the host and the cause (refused, DNS, an untrusted certificate), and
//! whether retrying can help; a connection's `ca_file` makes a server with
//! a certificate of a private authority trusted.

mod common;

use std::sync::Arc;
use std::time::Duration;

use duijie_maplib::Mapper;
use duijie_runtime::config::Config;
use duijie_runtime::connect::{connect, Clients};
use duijie_runtime::ratelimit::RateLimits;
use duijie_sandbox::{Sandbox, SandboxConfig};

use duijie_runtime::error::{Error, ErrorKind};
use duijie_runtime::secret::Secret;
use duijie_runtime::vendors::http::{read_ca_file, with_extra_roots};
use duijie_runtime::vendors::wdt::{Client, WdtConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

fn client(base_url: &str) -> Client {
    Client::new(WdtConfig {
        base_url: base_url.to_string(),
        sid: "sid".into(),
        appkey: "key".into(),
        appsecret: Secret::new("secret"),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

async fn query(c: &Client) -> Result<duijie_runtime::vendors::http::Page, Error> {
    c.query("purchase_order_query", "purchase_list", &[]).await
}

#[tokio::test]
async fn a_refused_connection_names_the_host_and_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let e = query(&client(&format!("http://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    let m = e.to_string();
    assert!(m.contains(&format!("127.0.0.1:{port}")), "{m}");
    assert!(m.contains("refused"), "{m}");
    assert_eq!(e.kind(), ErrorKind::Transient, "{m}");
    assert!(!e.outcome_unknown(), "nothing was sent: {m}");
}

#[tokio::test]
async fn an_unknown_host_names_dns_and_is_not_retried() {
    let e = query(&client("http://duijie-no-such-host.invalid"))
        .await
        .unwrap_err();
    let m = e.to_string();
    assert!(m.contains("duijie-no-such-host.invalid:80"), "{m}");
    assert!(m.contains("DNS"), "{m}");
    // A resolver that answers says the name does not exist: permanent. (One
    // that cannot be reached is a temporary failure, retried.)
    if m.contains("unknown") {
        assert_eq!(e.kind(), ErrorKind::Permanent, "{m}");
    } else {
        assert!(m.contains("did not answer"), "{m}");
    }
}

/// The TLS server settings of the test certificate (signed by the test CA).
fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(format!("{FIXTURES}/server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{FIXTURES}/server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A TLS server on loopback with a certificate signed by the test CA,
/// answering every request with an empty WDT page.
async fn tls_server() -> u16 {
    let acceptor = tls_acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body = r#"{"code":0,"message":"","total_count":0,"purchase_list":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn an_untrusted_certificate_says_why_and_ca_file_trusts_it() {
    let port = tls_server().await;
    let url = format!("https://localhost:{port}");
    let e = query(&client(&url)).await.unwrap_err();
    let m = e.to_string();
    assert!(m.contains(&format!("localhost:{port}")), "{m}");
    assert!(m.contains("not signed by a trusted authority"), "{m}");
    assert!(m.contains("ca_file"), "{m}");
    assert_eq!(e.kind(), ErrorKind::Permanent, "{m}");

    // The connection's ca_file: the same server is trusted.
    let roots = read_ca_file(std::path::Path::new(&format!("{FIXTURES}/ca.pem"))).unwrap();
    let trusted = with_extra_roots(roots, || client(&url));
    let page = query(&trusted).await.unwrap();
    assert_eq!(page.total_count, Some(0));
    // Only clients built inside with_extra_roots trust it.
    assert!(query(&client(&url)).await.is_err());
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let e = read_ca_file(&path).unwrap_err();
    assert!(
        e.contains("empty.pem") && e.contains("no PEM certificate"),
        "{e}"
    );
    let e = read_ca_file(&dir.path().join("missing.pem")).unwrap_err();
    assert!(e.contains("cannot read"), "{e}");
}

/// A TLS front (the test certificate) to the plain-HTTP server at `addr`.
async fn tls_proxy(addr: String) -> u16 {
    let acceptor = tls_acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, addr) = (acceptor.clone(), addr.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&addr).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

/// Through the configuration: a 金蝶 connection whose server has a
/// certificate of a private CA fails for that reason until its `ca_file`
/// names the CA; then it logs in.
#[tokio::test]
async fn ca_file_in_the_configuration_lets_the_connection_trust_a_private_ca() {
    let sb = Sandbox::start(SandboxConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let base = sb.base_url();
    let port = tls_proxy(base.trim_start_matches("http://").to_string()).await;
    let d = SandboxConfig::default();
    let mapper: Arc<dyn Mapper> = Arc::new(common::TestMapper::new(common::Kind::Purchase));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{FIXTURES}/ca.pem"),
        dir.path().join("internal-ca.pem"),
    )
    .unwrap();
    let config = |ca: &str| {
        let text = format!(
            r#"
[connections.wdt]
kind = "wdt"
base_url = "{base}"
sid = "{sid}"
appkey = "{appkey}"
appsecret = "{appsecret}"

[connections.kingdee]
kind = "kingdee"
base_url = "https://localhost:{port}/k3cloud"
acct_id = "{acct}"
user_name = "{user}"
app_id = "{app_id}"
app_secret = "{app_secret}"
{ca}

[schemes.po]
map = "{map}"
source = "wdt"
target = "kingdee"
"#,
            sid = d.wdt.sid,
            appkey = d.wdt.appkey,
            appsecret = d.wdt.appsecret,
            acct = d.kingdee.acct_id,
            user = d.kingdee.user_name,
            app_id = d.kingdee.app_id,
            app_secret = d.kingdee.app_secret,
            map = mapper.meta().name,
        );
        Config::parse(&text, &dir.path().join("duijie.toml")).unwrap()
    };
    let check = |config: Config| {
        let mapper = mapper.clone();
        async move {
            let cfg = config.scheme("po").unwrap().clone();
            let scheme = connect(
                &config,
                &cfg,
                mapper,
                &mut Clients::new(),
                &RateLimits::new(),
            )
            .unwrap();
            scheme.target.check().await
        }
    };
    let e = check(config("")).await.unwrap_err();
    assert!(
        e.to_string().contains("not signed by a trusted authority"),
        "{e}"
    );
    check(config("ca_file = \"internal-ca.pem\""))
        .await
        .unwrap();
}
