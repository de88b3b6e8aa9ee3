//! Two chatd instances on one database act as one for typing and presence.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, WsClient};

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = std::time::Duration::from_millis(100);
}

/// The next frame of the given type, skipping pongs and the other kind of
/// ephemeral frame.
async fn next_of(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let frame = ws.next_json().await;
        if frame["type"] == kind {
            return frame;
        }
        assert!(
            matches!(frame["type"].as_str(), Some("typing" | "presence" | "pong")),
            "unexpected frame while waiting for {kind}: {frame}"
        );
    }
}

async fn connect(app: &TestApp, user: &TestUser) -> (WsClient, Value) {
    let (mut ws, ready) = app.ws_ready(&user.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;
    (ws, ready)
}

fn names(users: &Value) -> Vec<&str> {
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn typing_and_presence_cross_instances() {
    let a_app = TestApp::spawn_with(quick).await;
    let b_app = a_app.second_instance(quick).await;
    let alice = a_app.user("alice").await;
    let bob = a_app.user("bob").await;
    let carol = a_app.user("carol").await;
    let room = a_app.room(&alice, "lobby", "public").await;
    a_app.join(&bob, room).await;
    a_app.join(&carol, room).await;

    let (mut bob_on_b, ready) = connect(&b_app, &bob).await;
    assert!(names(&ready["online"]).is_empty(), "{ready}");
    // Alice connects only to A; bob on B sees her come online.
    let (mut alice_on_a, _) = connect(&a_app, &alice).await;
    let online = next_of(&mut bob_on_b, "presence").await;
    assert_eq!(online["user"]["username"], "alice");
    assert_eq!(online["status"], "online");

    // Someone connecting to B learns at once who is online anywhere.
    let (mut carol_on_b, ready) = connect(&b_app, &carol).await;
    assert_eq!(names(&ready["online"]), ["alice", "bob"], "{ready}");

    // Typing on A reaches B, once per throttle window, and not alice.
    for _ in 0..3 {
        alice_on_a
            .send_json(json!({"type": "typing", "room_id": room}))
            .await;
    }
    for ws in [&mut bob_on_b, &mut carol_on_b] {
        let typing = next_of(ws, "typing").await;
        assert_eq!(typing["room_id"], room);
        assert_eq!(typing["user"]["username"], "alice");
    }
    // Alice's own frames and the throttled repeats never arrive. A message
    // she sends after her typing frames is the marker: A handles her frames
    // in order and tells B of them in that order, and B passes typing on
    // as it hears it but reads the message from the log, later still.
    alice_on_a
        .send_json(json!({"type": "send", "room_id": room, "body": "marker", "client_id": "m1"}))
        .await;
    let seen = alice_on_a.frames_until_message("marker").await;
    assert!(
        seen.iter()
            .all(|f| matches!(f["type"].as_str(), Some("presence" | "ack"))),
        "{seen:?}"
    );
    for ws in [&mut bob_on_b, &mut carol_on_b] {
        let seen = ws.frames_until_message("marker").await;
        assert!(seen.iter().all(|f| f["type"] == "presence"), "{seen:?}");
    }

    // Her last socket closes: offline on B too.
    drop(alice_on_a);
    let offline = next_of(&mut bob_on_b, "presence").await;
    assert_eq!(offline["user"]["username"], "alice");
    assert_eq!(offline["status"], "offline");
}

#[tokio::test]
async fn users_of_a_stopped_instance_go_offline_elsewhere() {
    let mut a_app = TestApp::spawn_with(quick).await;
    let b_app = a_app.second_instance(quick).await;
    let alice = a_app.user("alice").await;
    let bob = a_app.user("bob").await;
    let room = a_app.room(&alice, "lobby", "public").await;
    a_app.join(&bob, room).await;
    let (mut bob_on_b, _) = connect(&b_app, &bob).await;
    let (_alice_on_a, _) = connect(&a_app, &alice).await;
    assert_eq!(next_of(&mut bob_on_b, "presence").await["status"], "online");
    // A goes away (its last word may or may not get out; without it, its
    // heartbeats stop and B lets alice's presence expire).
    a_app.stop().await;
    let offline = next_of(&mut bob_on_b, "presence").await;
    assert_eq!(offline["user"]["username"], "alice");
    assert_eq!(offline["status"], "offline");
}
