//! What a hostile or careless client found (docs/security.md lists each
//! finding with its test).

use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::helpers::TestApp;

/// A session used only through its WebSocket stays alive past the idle
/// limit: an open socket counts as use, as a REST request does.
#[tokio::test]
async fn a_socket_keeps_its_session_alive() {
    let idle = Duration::from_secs(3);
    let app = TestApp::spawn_with(|c| {
        c.session_idle = idle;
        c.session_cache = Duration::ZERO;
        c.gateway.session_check = Duration::from_millis(200);
    })
    .await;
    let alice = app.user("alice").await;
    // Bob logs in too but never uses his session: the control, proving the
    // idle limit is in force in this chatd.
    let bob = app.user("bob").await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    // Twice the idle limit with no REST request: the idle limit itself is
    // the subject here, so this test has to let that much time pass.
    let until = Instant::now() + idle * 2;
    while Instant::now() < until {
        assert!(ws.drain_until_pong().await.is_empty());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.get("/api/v1/me", &alice.token).await.expect(200);
    app.get("/api/v1/me", &bob.token)
        .await
        .expect_error(401, "unauthorized");
}

/// A text frame that is not UTF-8 is closed with 1007, as RFC 6455 says.
#[tokio::test]
async fn invalid_utf8_text_closes_with_1007() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    let frame = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    ws.send_raw(Message::Frame(frame)).await;
    assert_eq!(ws.closed().await, 1007);
}

/// Writes `request` on a fresh connection and reads until chatd closes it
/// (or the generous bound passes, which the caller's assertions catch).
async fn exchange(app: &TestApp, request: &[u8]) -> String {
    let mut stream = connect(app).await;
    stream.write_all(request).await.unwrap();
    read_to_close(&mut stream).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes, or what came within 15 s.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let until = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return format!("STILL OPEN after: {}", String::from_utf8_lossy(&out)),
        }
    }
}

/// A JSON body without a Content-Type is refused like a wrong type (an
/// empty one needs none).
#[tokio::test]
async fn a_body_without_a_content_type_is_415() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = br#"{"name": "x", "visibility": "public"}"#.to_vec();
    app.raw(
        Method::POST,
        "/api/v1/rooms",
        Some(&alice.token),
        None,
        room,
    )
    .await
    .expect_error(415, "unsupported_media_type");
    let login = br#"{"username": "alice", "password": "alice-password"}"#.to_vec();
    app.raw(Method::POST, "/api/v1/auth/login", None, None, login)
        .await
        .expect_error(415, "unsupported_media_type");
}

/// A Content-Length over the limit is answered 413 at once, without
/// waiting for (or reading) the body it announces.
#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let answer = exchange(
        &app,
        b"POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
          content-length: 100000000\r\n\r\n{",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
    assert!(
        answer.contains("x-content-type-options: nosniff"),
        "{answer}"
    );
}

/// HEAD answers where GET does: the same status and headers, no body.
#[tokio::test]
async fn head_works_where_get_does() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for (path, token) in [("/healthz", None), ("/api/v1/me", Some(&alice.token))] {
        let res = app
            .raw(Method::HEAD, path, token.map(|t| &**t), None, vec![])
            .await;
        assert_eq!(res.status, 200, "HEAD {path}: {:?}", res.body);
        assert_eq!(res.body, serde_json::Value::Null, "HEAD {path}");
        assert_eq!(res.headers["x-content-type-options"], "nosniff");
    }
    let res = app
        .raw(Method::HEAD, "/api/v1/me", None, None, vec![])
        .await;
    assert_eq!(res.status, 401);
}

/// HTTP/2 is not spoken, even with prior knowledge: the h2c preface gets
/// no SETTINGS frame back, only a refusal, and the connection closes.
#[tokio::test]
async fn h2c_prior_knowledge_is_refused() {
    let app = TestApp::spawn().await;
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    // An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let answer = exchange(&app, &preface).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 "),
        "{answer:?}"
    );
}

/// A connection that never sends a byte is closed after the header
/// timeout, counted from accept.
#[tokio::test]
async fn silent_connections_are_closed() {
    let app = TestApp::spawn_with(|c| c.connections.header_timeout = Duration::from_secs(1)).await;
    let mut stream = connect(&app).await;
    assert_eq!(read_to_close(&mut stream).await, "");
}

/// A body trickled too slowly is cut off at the body timeout.
#[tokio::test]
async fn trickled_bodies_are_cut_off() {
    let app = TestApp::spawn_with(|c| c.connections.body_timeout = Duration::from_secs(1)).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

/// A kept-alive connection idle past its limit is closed.
#[tokio::test]
async fn idle_keepalive_connections_are_closed() {
    let app = TestApp::spawn_with(|c| c.connections.keepalive_idle = Duration::from_secs(1)).await;
    let answer = exchange(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Past the connection cap, a small reserve answers only the health
/// checks; past that, connections are shed.
#[tokio::test]
async fn connections_past_the_cap_are_shed_but_the_health_check_answers() {
    let app = TestApp::spawn_with(|c| {
        c.connections.max_connections = 3;
        // The held connections stay silent for the whole test.
        c.connections.header_timeout = Duration::from_secs(120);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&app).await);
    }
    let health = exchange(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let other = exchange(&app, b"GET /api/v1/me HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(other.starts_with("HTTP/1.1 503"), "{other}");
    assert!(other.contains("\"unavailable\""), "{other}");
    // Fill the reserve too: the next connection is closed unanswered.
    for _ in 0..4 {
        held.push(connect(&app).await);
    }
    let shed = exchange(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(shed, "");
    // Freeing a place lets the next one in.
    held.truncate(2);
    let after = tokio::time::Instant::now() + Duration::from_secs(15);
    let close = b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    loop {
        let health = exchange(&app, close).await;
        if health.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(tokio::time::Instant::now() < after, "{health}");
    }
}

/// A disabled account answers a login exactly like a wrong password,
/// whether the password is right or not: status, headers that matter and
/// body are the same.
#[tokio::test]
async fn a_disabled_account_answers_like_a_wrong_password() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    chat_store::accounts::set_disabled(&pool.get().await.unwrap(), "alice", true)
        .await
        .unwrap();
    let login = |password: &str| {
        let body = serde_json::json!({"username": "alice", "password": password});
        app.call(Method::POST, "/api/v1/auth/login", None, body)
    };
    let right = login("alice-password").await;
    let wrong = login("wrong password").await;
    assert_eq!(right.status, 401, "{:?}", right.body);
    assert_eq!(right.status, wrong.status);
    assert_eq!(right.body, wrong.body);
}

/// Display names and room names refuse direction overrides and invisible
/// characters (400), through the API as in chat-wire's validator.
#[tokio::test]
async fn names_refuse_direction_overrides_and_invisible_characters() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for name in ["adm\u{202E}nim", "ali\u{200B}ce", "\u{2067}bob"] {
        let body = serde_json::json!({"display_name": name});
        app.patch("/api/v1/me", &alice.token, body)
            .await
            .expect_error(400, "invalid_request");
        let body = serde_json::json!({"name": name, "visibility": "public"});
        app.post("/api/v1/rooms", &alice.token, body)
            .await
            .expect_error(400, "invalid_request");
    }
    let body = serde_json::json!({"display_name": "Zoë \u{1F469}\u{200D}\u{1F4BB}"});
    app.patch("/api/v1/me", &alice.token, body)
        .await
        .expect(200);
}
