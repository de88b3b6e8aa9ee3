//! The deployment as shipped: Apache httpd, configured by the repository's
//! `apache/standalone.conf` around the unedited `apache/chat.conf`,
//! terminating TLS with a certificate made for the test, in front of the
//! real chatd binary on a fresh database. Everything goes through Apache:
//! the site, REST over HTTPS, a WebSocket over `wss://`, a forged
//! X-Forwarded-For, the security headers and the private endpoints.
//!
//! Needs Apache (Debian's `apache2`); installs it with apt-get when missing
//! and fails, saying so, when it cannot. `.ci/run` installs it first.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_rustls::rustls::{self, pki_types};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::daemon::{Daemon, free_port};
use crate::helpers::TestDb;

const APACHE: &str = "/usr/sbin/apache2";
/// The test's client connects from here, so the address Apache forwards
/// (127.0.0.2) differs from the one Apache connects to chatd from
/// (127.0.0.1): chatd logging 127.0.0.2 proves it took X-Forwarded-For
/// from Apache, and not the forged entry.
const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Apache's binary, installed with apt-get if it is missing (once per run).
fn apache_binary() -> &'static Path {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if !Path::new(APACHE).exists() {
            install_apache();
        }
        assert!(
            Path::new(APACHE).exists(),
            "this test needs Apache httpd ({APACHE}) and could not install it \
             (apt-get install apache2 needs root and a package mirror): install it and run again"
        );
    });
    Path::new(APACHE)
}

/// `apt-get install apache2`, without letting the package start a system
/// Apache on port 80: while it runs, a policy-rc.d (if none exists) tells
/// Debian's service scripts not to start anything.
fn install_apache() {
    use std::os::unix::fs::PermissionsExt as _;
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let placed = !policy.exists()
        && std::fs::write(
            policy,
            "#!/bin/sh\n# placed by chat's Apache test\nexit 101\n",
        )
        .is_ok()
        && std::fs::set_permissions(policy, std::fs::Permissions::from_mode(0o755)).is_ok();
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", "apache2"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        install();
    }
    if placed {
        let _ = std::fs::remove_file(policy);
    }
}

/// An Apache instance of our own: its own directory, ports and certificate.
struct Apache {
    child: Child,
    dir: PathBuf,
    http_port: u16,
    https_port: u16,
    cert_pem: Vec<u8>,
}

impl Apache {
    fn start(chatd_port: u16) -> Self {
        let bin = apache_binary();
        let conf_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../apache");
        let conf_dir = conf_dir.canonicalize().unwrap();
        let dir = std::env::temp_dir().join(format!(
            "chat-apache-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-addext", "extendedKeyUsage=serverAuth"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(made.success(), "openssl could not make a certificate");
        let (http_port, https_port) = (free_port(), free_port());
        let defines = [
            ("CHAT_CONF_DIR", conf_dir.display().to_string()),
            ("CHAT_RUN_DIR", dir.display().to_string()),
            ("CHAT_LISTEN_HOST", "127.0.0.1".into()),
            ("CHAT_SERVER_NAME", "localhost".into()),
            ("CHAT_HTTP_PORT", http_port.to_string()),
            ("CHAT_HTTPS_PORT", https_port.to_string()),
            ("CHAT_TLS_CERT", cert.display().to_string()),
            ("CHAT_TLS_KEY", key.display().to_string()),
            (
                "CHAT_SITE_ROOT",
                conf_dir.join("site").display().to_string(),
            ),
            ("CHATD_ADDR", format!("127.0.0.1:{chatd_port}")),
        ];
        let mut command = Command::new(bin);
        command.arg("-f").arg(conf_dir.join("standalone.conf"));
        for (name, value) in &defines {
            command.arg("-C").arg(format!("Define {name} {value}"));
        }
        // The configuration must pass Apache's own check first.
        let checked = Command::new(bin)
            .args(command.get_args())
            .arg("-t")
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "apache2 -t: {}",
            String::from_utf8_lossy(&checked.stderr)
        );
        let child = command
            .arg("-DFOREGROUND")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("apache2 starts");
        let mut apache = Self {
            child,
            dir,
            http_port,
            https_port,
            cert_pem: std::fs::read(&cert).unwrap(),
        };
        apache.wait_listening();
        apache
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.https_port));
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("apache2 exited with {status}: {}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "apache2 did not listen: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    fn base(&self) -> String {
        format!("https://localhost:{}", self.https_port)
    }

    /// An HTTPS client that trusts only the test certificate and connects
    /// from [`CLIENT_IP`].
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.cert_pem).unwrap())
            .local_address(IpAddr::V4(CLIENT_IP))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A WebSocket over TLS to `/api/v1/ws`, authenticated by header.
    async fn wss(&self, token: &str) -> Wss {
        let mut roots = rustls::RootCertStore::empty();
        use pki_types::pem::PemObject as _;
        for cert in pki_types::CertificateDer::pem_slice_iter(&self.cert_pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((CLIENT_IP, 0))).unwrap();
        let tcp = socket
            .connect(SocketAddr::from(([127, 0, 0, 1], self.https_port)))
            .await
            .unwrap();
        let name = pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .expect("TLS handshake with Apache");
        let url = format!("wss://localhost:{}/api/v1/ws", self.https_port);
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, response) = tokio_tungstenite::client_async(request, tls)
            .await
            .expect("WebSocket upgrade through Apache");
        assert_eq!(response.status(), 101);
        Wss(stream)
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        // SIGTERM: the parent stops its workers and exits.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Wss(
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
);

impl Wss {
    async fn next_json(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a frame within 10 s")
                .expect("the socket is open")
                .expect("a valid frame");
            match frame {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Close(close) => panic!("closed: {close:?}"),
                _ => continue,
            }
        }
    }

    /// The next room event or ack (skips presence and typing).
    async fn next_event(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            if !matches!(frame["type"].as_str(), Some("presence" | "typing")) {
                return frame;
            }
        }
    }
}

/// Each security header Apache promises, exactly once.
#[track_caller]
fn assert_security_headers(headers: &HeaderMap, what: &str) {
    for (name, expected) in [
        ("strict-transport-security", "max-age="),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
    ] {
        let values: Vec<_> = headers.get_all(name).iter().collect();
        assert_eq!(
            values.len(),
            1,
            "{what}: {name} should appear once: {values:?}"
        );
        let value = values[0].to_str().unwrap();
        assert!(value.contains(expected), "{what}: {name}: {value}");
    }
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("Apache answers");
    assert!(res.status().is_success(), "{}", res.status());
    assert_security_headers(res.headers(), "API answer");
    res.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn apache_in_front_of_chatd_serves_the_site_the_api_and_websockets() {
    let db = TestDb::create().await;
    let chatd = Daemon::start(&db.url, &["--trusted-proxies", "127.0.0.1"]).await;
    let apache = Apache::start(chatd.port);
    let http = apache.client();
    let base = apache.base();
    let api = format!("{base}/api/v1");

    // The static site, with the headers.
    let site = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(site.status(), 200);
    assert_security_headers(site.headers(), "site");
    let page = site.text().await.unwrap();
    assert!(page.contains("chat-tui --server"), "{page}");
    // The CSP (default-src 'self') would block inline styles and scripts.
    assert!(
        !page.contains("<style") && !page.contains("<script"),
        "{page}"
    );
    let css = http.get(format!("{base}/style.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css");

    // Plain HTTP only redirects to HTTPS.
    let plain = http
        .get(format!("http://127.0.0.1:{}/api/v1/me", apache.http_port))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    let location = plain.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("https://localhost:{}/", apache.https_port)),
        "{location}"
    );

    // REST over HTTPS: accounts, a room, a member.
    for name in ["alice", "bob"] {
        post(
            &http,
            format!("{api}/auth/register"),
            None,
            json!({"username": name, "password": "long enough pw"}),
        )
        .await;
    }
    let login = |name: &'static str| {
        post(
            &http,
            format!("{api}/auth/login"),
            None,
            json!({"username": name, "password": "long enough pw"}),
        )
    };
    let alice = login("alice").await["token"].as_str().unwrap().to_owned();
    let bob = login("bob").await["token"].as_str().unwrap().to_owned();
    let room = post(
        &http,
        format!("{api}/rooms"),
        Some(&alice),
        json!({"name": "through apache", "visibility": "public"}),
    )
    .await["room"]["id"]
        .as_i64()
        .unwrap();
    post(
        &http,
        format!("{api}/rooms/{room}/join"),
        Some(&bob),
        Value::Null,
    )
    .await;

    // A WebSocket over wss:// gets a live message sent over REST, and
    // sends one itself.
    let mut ws = apache.wss(&bob).await;
    let ready = ws.next_json().await;
    assert_eq!(ready["type"], "ready", "{ready}");
    post(
        &http,
        format!("{api}/rooms/{room}/messages"),
        Some(&alice),
        json!({"body": "hello through apache"}),
    )
    .await;
    let event = loop {
        let frame = ws.next_event().await;
        if frame["type"] == "message.created" {
            break frame;
        }
    };
    assert_eq!(event["message"]["body"], "hello through apache");
    ws.0.send(Message::Text(
        json!({"type": "send", "room_id": room, "body": "and back", "client_id": "b-1"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ack = loop {
        let frame = ws.next_event().await;
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(ack["message"]["body"], "and back");

    // A forged X-Forwarded-For never reaches chatd: it sees the client's
    // real address, which only Apache could have told it.
    let probe = http
        .get(format!("{api}/users/forged-xff"))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 404);
    assert_eq!(
        chatd.logged_client("/api/v1/users/forged-xff").await,
        CLIENT_IP.to_string()
    );
    assert_eq!(
        chatd.logged_client("/api/v1/ws").await,
        CLIENT_IP.to_string()
    );

    // Metrics and health endpoints are not published.
    for path in [
        "/metrics",
        "/metrics/",
        "/healthz",
        "/readyz",
        "/readyz?x=1",
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status == 403 || status == 404, "{path}: {status}");
        assert_security_headers(res.headers(), path);
        let body = res.text().await.unwrap();
        assert!(!body.contains("# TYPE"), "{path} leaked metrics");
    }
    // ...while chatd itself still serves them to the machine.
    let direct = reqwest::get(format!("{}/metrics", chatd.base))
        .await
        .unwrap();
    assert_eq!(direct.status(), 200);
    drop(ws);
}

/// What Apache itself sends upstream, seen by a stand-in for chatd that
/// records the request head: no client-supplied forwarding headers, the
/// client's address appended by Apache, the scheme, and the original Host.
#[tokio::test]
async fn apache_forwards_the_client_it_saw_and_nothing_the_client_claimed() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = upstream.local_addr().unwrap().port();
    let recorded = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (mut socket, _) = upstream.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "Apache closed before sending a request head");
            head.extend_from_slice(&buf[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .await
            .unwrap();
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    });
    let apache = Apache::start(port);
    let res = apache
        .client()
        .get(format!("{}/api/v1/echo", apache.base()))
        .header("x-forwarded-for", "203.0.113.9")
        .header("forwarded", "for=203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_security_headers(res.headers(), "proxied answer");
    let head = tokio::time::timeout(Duration::from_secs(10), recorded)
        .await
        .expect("Apache forwarded the request")
        .unwrap();
    let values = |name: &str| -> Vec<String> {
        head.lines()
            .filter_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .collect()
    };
    assert!(head.starts_with("get /api/v1/echo http/1.1\r\n"), "{head}");
    assert_eq!(values("x-forwarded-for"), [CLIENT_IP.to_string()], "{head}");
    assert!(values("forwarded").is_empty(), "{head}");
    assert_eq!(values("x-forwarded-proto"), ["https"], "{head}");
    assert_eq!(
        values("host"),
        [format!("localhost:{}", apache.https_port)],
        "{head}"
    );
}
