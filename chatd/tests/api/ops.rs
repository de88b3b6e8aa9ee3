//! Health, readiness, metrics, the OpenAPI document, and startup refusals.

use std::time::{Duration, Instant};

use chatd::{Config, Server};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, TestDb, WsClient};
use crate::proxy::FaultProxy;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let health = app
        .call(Method::GET, "/healthz", None, Value::Null)
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
    let ready = app
        .call(Method::GET, "/readyz", None, Value::Null)
        .await
        .expect(200);
    assert_eq!(ready["status"], "ok");
    let alice = app.user("alice").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.send(&alice, room, "counted").await;
    let res = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains("chatd_http_requests_total{method=\"POST\",status=\"201\"}"),
        "{text}"
    );
    assert!(text.contains("chatd_messages_sent_total 1"), "{text}");
    assert!(text.contains("chatd_logins_total 1"), "{text}");
    // Creating the room checked alice's token in the database; the send
    // found it in the cache.
    assert!(
        text.contains("chatd_session_cache_misses_total 1"),
        "{text}"
    );
    assert!(text.contains("chatd_session_cache_hits_total 1"), "{text}");
    assert!(text.contains("chatd_db_pool_connections"), "{text}");
}

/// The document lists every endpoint, and every endpoint it lists is
/// served: none answers "no such endpoint" or 405.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, Value::Null)
        .await
        .expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for pinned in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users/{username}",
        "/api/v1/rooms",
        "/api/v1/rooms/public",
        "/api/v1/rooms/{room_id}",
        "/api/v1/rooms/{room_id}/join",
        "/api/v1/rooms/{room_id}/leave",
        "/api/v1/rooms/{room_id}/members",
        "/api/v1/dms",
        "/api/v1/rooms/{room_id}/messages",
        "/api/v1/rooms/{room_id}/messages/{message_id}",
        "/api/v1/rooms/{room_id}/events",
        "/api/v1/rooms/{room_id}/read",
        "/api/v1/search",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(pinned), "{pinned} is not documented");
    }
    let mut checked = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{room_id}", "1")
            .replace("{message_id}", "1")
            .replace("{session_id}", "999999")
            .replace("{report_id}", "999999")
            .replace("{root_id}", "1")
            .replace("{file_id}", "999999")
            .replace("{username}", "alice");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app
                .call(method.clone(), &concrete, Some(&alice.token), Value::Null)
                .await;
            let routed = res.status != 405 && res.body["error"]["message"] != "no such endpoint";
            assert!(
                routed,
                "{method} {path} is documented but not served: {:?}",
                res.body
            );
            checked += 1;
        }
    }
    assert!(checked >= 26, "only {checked} operations documented");
}

#[tokio::test]
async fn readiness_follows_the_database_and_chatd_recovers() {
    let db = TestDb::create().await;
    let target: std::net::SocketAddr = {
        let cfg: tokio_postgres::Config = db.url.parse().unwrap();
        let host = match &cfg.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            #[allow(unreachable_patterns)]
            _ => "127.0.0.1".into(),
        };
        let host = if host == "localhost" {
            "127.0.0.1".to_owned()
        } else {
            host
        };
        format!("{host}:{}", cfg.get_ports()[0]).parse().unwrap()
    };
    let proxy = FaultProxy::start(target).await;
    let proxied = db.url.replacen(
        &format!("{}:{}", "127.0.0.1", target.port()),
        &proxy.addr.to_string(),
        1,
    );
    assert_ne!(proxied, db.url, "the test URL must name 127.0.0.1:PORT");
    let app = TestApp::spawn_with(|c| c.database_url = proxied.clone()).await;
    let alice = app.user("alice").await;
    app.call(Method::GET, "/readyz", None, Value::Null)
        .await
        .expect(200);

    proxy.cut().await;
    app.call(Method::GET, "/readyz", None, Value::Null)
        .await
        .expect_error(503, "unavailable");
    app.get("/api/v1/me", &alice.token)
        .await
        .expect_error(503, "unavailable");
    app.call(Method::GET, "/healthz", None, Value::Null)
        .await
        .expect(200);
    // A WebSocket authenticating by its first frame meanwhile is told to
    // come back later (1013), not to log in again (4001).
    let mut ws = WsClient::connect(&app.base, None).await.unwrap();
    ws.send_json(serde_json::json!({"type": "auth", "token": alice.token}))
        .await;
    assert_eq!(ws.closed().await, 1013);

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while app
        .call(Method::GET, "/readyz", None, Value::Null)
        .await
        .status
        != 200
    {
        assert!(
            Instant::now() < deadline,
            "chatd did not become ready again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // No dead pooled connection is handed out after recovery.
    for _ in 0..20 {
        app.get("/api/v1/me", &alice.token).await.expect(200);
    }
    drop(db);
}

#[tokio::test]
async fn chatd_refuses_a_schema_that_is_behind() {
    let db = TestDb::create().await;
    let client = chat_store::connect_once(&db.url).await.unwrap();
    client
        .execute("DELETE FROM refinery_schema_history", &[])
        .await
        .unwrap();
    let config = Config {
        database_url: db.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let err = Server::bind(config).await.err().expect("refused");
    assert!(err.to_string().contains("chatctl migrate"), "{err}");
}

#[tokio::test]
async fn the_binary_exits_non_zero_with_one_line_on_startup_errors() {
    let app = TestApp::spawn().await;
    let taken = app.base.trim_start_matches("http://").to_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatd"))
        .args(["--database-url", &app.db.url, "--listen", &taken])
        .env_remove("CHATD_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("chatd: cannot listen on"), "{stderr}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatd"))
        .args([
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("chatd: cannot connect to PostgreSQL"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
