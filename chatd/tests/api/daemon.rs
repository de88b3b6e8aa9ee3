//! The chatd binary as a child process whose JSON log lines the test can
//! read: for what only shows outside the process (the client address in the
//! logs, systemd notifications, Apache in front).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::proxy::FaultProxy;

/// A running chatd process; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub base: String,
    pub port: u16,
    logs: Arc<Mutex<Vec<Value>>>,
    /// Completes when the log reader has read chatd's stderr to its end.
    logs_closed: Option<oneshot::Receiver<()>>,
}

/// Environment for tests that do not read the logs: warnings only.
pub const QUIET: (&str, &str) = ("RUST_LOG", "warn");

/// A free port on loopback (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// A fault proxy in front of the PostgreSQL of `url`, and the same URL
/// through it: cut the proxy and chatd loses its database.
pub async fn through_fault_proxy(url: &str) -> (FaultProxy, String) {
    let cfg: tokio_postgres::Config = url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) if h != "localhost" => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let target: std::net::SocketAddr = format!("{host}:{}", cfg.get_ports()[0]).parse().unwrap();
    let proxy = FaultProxy::start(target).await;
    let proxied = url.replacen(&target.to_string(), &proxy.addr.to_string(), 1);
    assert_ne!(proxied, url, "the test URL must name {target}");
    (proxy, proxied)
}

impl Daemon {
    /// Starts chatd on the database at `url` with JSON logs, `args` and
    /// `env`, without waiting.
    pub fn spawn(url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn_on(url, free_port(), args, env)
    }

    /// [`Daemon::spawn`] on a given port (a restart where clients expect it).
    pub fn spawn_on(url: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
        command
            .args([
                "--database-url",
                url,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
            ])
            .args(args)
            .env_remove("CHATD_CONFIG")
            .env_remove("CHATD_TRUSTED_PROXIES")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env("RUST_LOG", "info")
            // Uploads in a directory of this port's own, never the
            // service's /var/lib/chat.
            .env(
                "CHATD_DATA_DIR",
                std::env::temp_dir().join(format!("chat-test-files/daemon-{port}")),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("chatd starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        let (closed, logs_closed) = oneshot::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // Non-JSON lines (a startup failure) are kept as strings.
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                sink.lock().unwrap().push(value);
            }
            let _ = closed.send(());
        });
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            logs,
            logs_closed: Some(logs_closed),
        }
    }

    /// Starts chatd and waits until `/readyz` answers 200.
    pub async fn start(url: &str, args: &[&str]) -> Self {
        Self::start_on(url, free_port(), args, &[]).await
    }

    /// [`Daemon::start`] on a given port, with extra environment.
    pub async fn start_on(url: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut daemon = Self::spawn_on(url, port, args, env);
        daemon.wait_ready().await;
        daemon
    }

    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(res) = reqwest::get(format!("{}/readyz", self.base)).await
                && res.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chatd exited with {status}: {:?}", self.logs());
            }
            assert!(Instant::now() < deadline, "chatd did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every log line so far.
    pub fn logs(&self) -> Vec<Value> {
        self.logs.lock().unwrap().clone()
    }

    /// The client address logged for the request to `path`, waiting a
    /// little for the line (it is written after the answer).
    pub async fn logged_client(&self, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found = self
                .logs()
                .into_iter()
                .find(|line| line["message"] == "request" && line["path"] == path);
            if let Some(line) = found {
                return line["span"]["client"]
                    .as_str()
                    .unwrap_or_else(|| panic!("request line without a client: {line}"))
                    .to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no request line for {path} in {:?}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends SIGTERM (as systemd and docker stop do).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, and for its last log line to be
    /// read (so [`Self::logs`] is complete); its exit code.
    pub async fn exit_code(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "chatd did not exit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        if let Some(closed) = self.logs_closed.take() {
            tokio::time::timeout(Duration::from_secs(10), closed)
                .await
                .expect("chatd's log ends when it exits")
                .expect("the log reader finishes");
        }
        exit.code()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
