//! chatd as a real process: signals and exit codes, and signing up
//! against one.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::{TestDb, WsClient};

/// Registers `name` with `password` and logs in; the token.
pub async fn account(http: &reqwest::Client, base: &str, name: &str, password: &str) -> String {
    let creds = json!({"username": name, "password": password});
    http.post(format!("{base}/api/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    let session = answer(http.post(format!("{base}/api/v1/auth/login")).json(&creds)).await;
    session["token"].as_str().unwrap().to_owned()
}

/// Creates a public room `name` as `token`'s user; its id.
pub async fn public_room(http: &reqwest::Client, base: &str, token: &str, name: &str) -> i64 {
    let room = answer(
        http.post(format!("{base}/api/v1/rooms"))
            .bearer_auth(token)
            .json(&json!({"name": name, "visibility": "public"})),
    )
    .await;
    room["room"]["id"].as_i64().unwrap()
}

/// Sends a request and reads its JSON answer.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_0() {
    let db = TestDb::create().await;
    let mut chatd = Daemon::start_on(&db.url, free_port(), &[], &[QUIET]).await;
    let base = chatd.base.clone();
    let http = reqwest::Client::new();
    let token = account(&http, &base, "alice", "long enough pw").await;
    let mut ws = WsClient::connect(&base, Some(&token)).await.unwrap();
    assert_eq!(ws.next_json().await["type"], "ready");

    chatd.terminate();
    assert_eq!(ws.closed().await, 1001);
    assert_eq!(chatd.exit_code(Duration::from_secs(15)).await, Some(0));
    // The port is closed: nothing accepts any more.
    assert!(
        http.request(Method::GET, format!("{base}/healthz"))
            .send()
            .await
            .is_err()
    );
}
