//! An Apache httpd of the test's own, configured by the repository's
//! `apache/standalone.conf` around the unedited `apache/chat.conf`, with a
//! certificate made for it; and clients that talk to it over TLS.
//!
//! Needs Apache (Debian's `apache2`); installs it with apt-get when missing
//! and fails, saying so, when it cannot. `.ci/run` installs it first.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;
use tokio_rustls::rustls::{self, pki_types};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::daemon::free_port;

const APACHE: &str = "/usr/sbin/apache2";
/// The test's client connects from here, so the address Apache forwards
/// (127.0.0.2) differs from the one Apache connects to chatd from
/// (127.0.0.1): chatd logging 127.0.0.2 proves it took X-Forwarded-For
/// from Apache, and not the forged entry.
pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

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
    // Test processes run in parallel: the second waits for the first's
    // dpkg lock instead of failing on it.
    let lock_wait = ["-o", "DPkg::Lock::Timeout=300"];
    let install = || {
        Command::new("apt-get")
            .args(lock_wait)
            .args(["install", "-y", "-qq", "--no-install-recommends", "apache2"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get")
            .args(lock_wait)
            .args(["update", "-qq"])
            .status();
        install();
    }
    if placed {
        let _ = std::fs::remove_file(policy);
    }
}

/// An Apache instance of our own: its own directory, ports and certificate.
pub struct Apache {
    child: Child,
    dir: PathBuf,
    pub http_port: u16,
    pub https_port: u16,
    cert_pem: Vec<u8>,
}

impl Apache {
    /// Starts Apache in front of `127.0.0.1:chatd_port`; waits until it listens.
    pub fn start(chatd_port: u16) -> Self {
        Self::launch(&[("CHATD_ADDR", format!("127.0.0.1:{chatd_port}"))], false)
    }

    /// Starts Apache with `apache/chat-balanced.conf`: a health-checked
    /// balancer in front of two chatd instances (docs/ha.md).
    pub fn start_balanced(chatd_ports: [u16; 2]) -> Self {
        let [first, second] = chatd_ports.map(|port| format!("127.0.0.1:{port}"));
        Self::launch(&[("CHATD_ADDR_1", first), ("CHATD_ADDR_2", second)], true)
    }

    fn launch(chatd: &[(&str, String)], balanced: bool) -> Self {
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
        ];
        let mut command = Command::new(bin);
        command.arg("-f").arg(conf_dir.join("standalone.conf"));
        for (name, value) in defines.iter().chain(chatd) {
            command.arg("-C").arg(format!("Define {name} {value}"));
        }
        if balanced {
            command.args(["-D", "CHAT_BALANCED"]);
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

    pub fn base(&self) -> String {
        format!("https://localhost:{}", self.https_port)
    }

    /// An HTTPS client that trusts only the test certificate and connects
    /// from [`CLIENT_IP`].
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.cert_pem).unwrap())
            .local_address(IpAddr::V4(CLIENT_IP))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A TLS client configuration that trusts only the test certificate.
    pub fn tls(&self) -> Arc<rustls::ClientConfig> {
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
        Arc::new(config)
    }

    /// A WebSocket over TLS to `/api/v1/ws`, authenticated by header.
    pub async fn wss(&self, token: &str) -> Wss {
        let config = self.tls();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((CLIENT_IP, 0))).unwrap();
        let tcp = socket
            .connect(SocketAddr::from(([127, 0, 0, 1], self.https_port)))
            .await
            .unwrap();
        let name = pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
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

/// A WebSocket through Apache.
pub struct Wss(
    pub tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
);

impl Wss {
    pub async fn next_json(&mut self) -> Value {
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
    pub async fn next_event(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            if !matches!(frame["type"].as_str(), Some("presence" | "typing")) {
                return frame;
            }
        }
    }
}
