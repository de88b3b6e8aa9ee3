//! Secrets never reach the log: the real chatd binary runs at the most
//! verbose log level while a client registers, logs in (also with a wrong
//! password), authenticates WebSockets by header and by first frame, and
//! logs out; then the whole log is searched for every secret involved.

use std::time::Duration;

use chat_testkit::TestDb;
use serde_json::json;

use crate::daemon::Daemon;
use crate::helpers::WsClient;

const PASSWORD: &str = "hunter2 but much longer";
const WRONG_PASSWORD: &str = "not the password at all";
const DB_PASSWORD: &str = "db-password-in-the-url";

#[tokio::test]
async fn tokens_passwords_and_the_database_password_are_never_logged() {
    let db = TestDb::create().await;
    // Trust authentication ignores the password, so it can sit in the URL
    // as it would in production.
    let url = db
        .url
        .replacen("postgres@", &format!("postgres:{DB_PASSWORD}@"), 1);
    assert!(url.contains(DB_PASSWORD), "unexpected test URL {}", db.url);
    let mut chatd = Daemon::spawn(&url, &[], &[("RUST_LOG", "trace")]);
    chatd.wait_ready().await;
    let base = chatd.base.clone();
    let http = reqwest::Client::new();

    let creds = json!({"username": "alice", "password": PASSWORD});
    let res = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let wrong = json!({"username": "alice", "password": WRONG_PASSWORD});
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let res = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A WebSocket by header, and one by first frame.
    let mut by_header = WsClient::connect(&base, Some(&token)).await.unwrap();
    assert_eq!(by_header.next_json().await["type"], "ready");
    let mut by_frame = WsClient::connect(&base, None).await.unwrap();
    by_frame
        .send_json(json!({"type": "auth", "token": token}))
        .await;
    assert_eq!(by_frame.next_json().await["type"], "ready");

    let res = http
        .post(format!("{base}/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // The revoked session's sockets close; a bad token is refused. Each is
    // waited for, so whatever chatd logs about them is in the log.
    assert_eq!(by_header.closed().await, 4001);
    assert_eq!(by_frame.closed().await, 4001);
    let mut bad = WsClient::connect(&base, None).await.unwrap();
    bad.send_json(json!({"type": "auth", "token": "f".repeat(64)}))
        .await;
    assert_eq!(bad.closed().await, 4001);

    // Stop chatd so everything is flushed, then read the log.
    chatd.terminate();
    assert_eq!(chatd.exit_code(Duration::from_secs(15)).await, Some(0));
    let text: String = chatd
        .logs()
        .iter()
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        text.lines().count() > 20,
        "the trace log is suspiciously short:\n{text}"
    );
    for secret in [PASSWORD, WRONG_PASSWORD, DB_PASSWORD, &token, "Bearer "] {
        assert!(
            !text.contains(secret),
            "the log contains {secret:?}:\n{}",
            text.lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Nor a token's hex in pieces: no 64-hex-digit run at all.
    let hex_runs = text
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|run| run.len() >= 64)
        .count();
    assert_eq!(hex_runs, 0, "a token-like value is in the log");
}
