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
    /// The same socket, read directly: a drain must see what the kernel
    /// holds, not what the runtime last heard was there.
    raw: std::os::unix::net::UnixDatagram,
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
        let raw = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        raw.set_nonblocking(true).unwrap();
        let socket = UnixDatagram::from_std(raw.try_clone().unwrap()).unwrap();
        Self { socket, raw, path }
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

    /// Every message already received, without waiting for more.
    fn drain(&self) -> Vec<String> {
        let mut buf = [0u8; 4096];
        let mut seen = Vec::new();
        while let Ok(n) = self.raw.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
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

/// How many failed watchdog probes chatd has logged.
fn probe_failures(chatd: &Daemon) -> usize {
    chatd
        .logs()
        .iter()
        .filter(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("watchdog: "))
        })
        .count()
}

/// Waits until chatd has logged `n` failed watchdog probes.
async fn probes_failed(chatd: &Daemon, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while probe_failures(chatd) < n {
        assert!(
            Instant::now() < deadline,
            "fewer than {n} failed watchdog probes logged: {:?}",
            chatd.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
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
    // Keep-alives while healthy: one after another (chatd probes every
    // 200 ms; the bounds only keep a silent chatd from hanging the test).
    for _ in 0..3 {
        manager.expect("WATCHDOG=1", Duration::from_secs(10)).await;
    }

    // The database goes away: the keep-alives stop. chatd logs a failed
    // probe right after it, on the task that sends the keep-alives, so
    // once two failures logged after a drain of the socket are seen, any
    // keep-alive sent between that drain and the second is in the socket.
    proxy.cut().await;
    probes_failed(&chatd, 1).await;
    manager.drain();
    let failed = probe_failures(&chatd);
    probes_failed(&chatd, failed + 2).await;
    let silent = manager.drain();
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
