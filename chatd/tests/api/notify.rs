//! systemd's notify protocol, with the test as the service manager: READY
//! once chatd serves, WATCHDOG only while the database answers, STOPPING on
//! SIGTERM.

use std::time::{Duration, Instant};

use tokio::net::UnixDatagram;

use crate::daemon::{Daemon, through_fault_proxy};
use crate::helpers::TestDb;

/// The notification socket a service manager would hold.
struct Manager {
    socket: UnixDatagram,
    path: std::path::PathBuf,
}

impl Manager {
    fn bind() -> Self {
        let path = std::env::temp_dir().join(format!(
            "chatd-notify-{}-{}.sock",
            std::process::id(),
            crate::daemon::free_port()
        ));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).unwrap();
        Self { socket, path }
    }

    /// The next message, if one arrives before `deadline`.
    async fn next(&self, deadline: Instant) -> Option<String> {
        let mut buf = [0u8; 4096];
        let wait = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(wait, self.socket.recv(&mut buf))
            .await
            .ok()?
            .unwrap();
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Every message received within `wait`.
    async fn collect(&self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(message) = self.next(deadline).await {
            seen.push(message);
        }
        seen
    }

    /// Waits up to `wait` for a message with the line `line`.
    async fn expect(&self, line: &str, wait: Duration) {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(message) = self.next(deadline).await {
            if message.lines().any(|l| l == line) {
                return;
            }
            seen.push(message);
        }
        panic!("no {line} within {wait:?}; got {seen:?}");
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn watchdogs(messages: &[String]) -> usize {
    messages
        .iter()
        .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        .count()
}

#[tokio::test]
async fn ready_watchdog_while_the_database_answers_and_stopping() {
    let db = TestDb::create().await;
    let (proxy, proxied) = through_fault_proxy(&db.url).await;

    let manager = Manager::bind();
    let socket = manager.path.to_str().unwrap().to_owned();
    // A 600 ms watchdog: chatd probes every 200 ms.
    let mut chatd = Daemon::spawn(
        &proxied,
        &[],
        &[("NOTIFY_SOCKET", &socket), ("WATCHDOG_USEC", "600000")],
    );
    manager.expect("READY=1", Duration::from_secs(20)).await;
    chatd.wait_ready().await;
    assert!(
        watchdogs(&manager.collect(Duration::from_secs(1)).await) >= 3,
        "keep-alives while healthy"
    );

    // The database goes away: the keep-alives stop (after any in flight).
    proxy.cut().await;
    manager.collect(Duration::from_millis(500)).await;
    let silent = manager.collect(Duration::from_millis(1500)).await;
    assert_eq!(
        watchdogs(&silent),
        0,
        "keep-alives without a database: {silent:?}"
    );

    // It comes back: so do they, without a restart.
    proxy.restore().await;
    manager.expect("WATCHDOG=1", Duration::from_secs(15)).await;

    chatd.terminate();
    manager.expect("STOPPING=1", Duration::from_secs(10)).await;
    assert_eq!(chatd.exit_code(Duration::from_secs(15)).await, Some(0));
    drop(db);
}
