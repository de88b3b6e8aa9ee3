//! chatd as a real process: signals and exit codes.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::daemon::free_port;
use crate::helpers::{TestDb, WsClient};

/// Starts the chatd binary on a free port and waits until it is ready.
pub async fn start(db: &TestDb) -> (std::process::Child, String) {
    start_on(db, free_port()).await
}

/// Starts the chatd binary on the given port and waits until it is ready.
pub async fn start_on(db: &TestDb, port: u16) -> (std::process::Child, String) {
    start_with_env(db, port, &[]).await
}

/// [`start_on`] with extra environment variables (chatd's settings).
pub async fn start_with_env(
    db: &TestDb,
    port: u16,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_chatd"))
        .args([
            "--database-url",
            &db.url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_remove("CHATD_CONFIG")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/readyz")).await
            && res.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "chatd did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

/// Registers `name` with `password` and logs in; the token.
pub async fn account(http: &reqwest::Client, base: &str, name: &str, password: &str) -> String {
    let creds = json!({"username": name, "password": password});
    http.post(format!("{base}/api/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    let session: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_0() {
    let db = TestDb::create().await;
    let (mut child, base) = start(&db).await;
    let http = reqwest::Client::new();
    let login = |name: &'static str| {
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": name, "password": "long enough pw"}))
    };
    http.post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"username": "alice", "password": "long enough pw"}))
        .send()
        .await
        .unwrap();
    let session: Value = login("alice").send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let mut ws = WsClient::connect(&base, Some(&token)).await.unwrap();
    assert_eq!(ws.next_json().await["type"], "ready");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(ws.closed().await, 1001);
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "chatd did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exit.code(), Some(0));
    // The port is closed: nothing accepts any more.
    assert!(
        http.request(Method::GET, format!("{base}/healthz"))
            .send()
            .await
            .is_err()
    );
}
