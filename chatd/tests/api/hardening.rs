//! What a hostile or careless client found (docs/security.md lists each
//! finding with its test).

use std::time::{Duration, Instant};

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
