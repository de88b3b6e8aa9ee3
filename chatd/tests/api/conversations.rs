//! Reactions and pins (issue 15): two users on two chatd instances,
//! through REST and the WebSocket. Edit history is in edit_history.rs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, TestUser, WsClient};

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = std::time::Duration::from_millis(100);
}

/// Percent-encodes every byte that is not an ASCII letter or digit.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn put(app: &TestApp, path: &str, user: &TestUser) -> Answer {
    app.call(Method::PUT, path, Some(&user.token), Value::Null)
        .await
}

fn reaction_path(room: i64, message: i64, emoji: &str) -> String {
    format!(
        "/api/v1/rooms/{room}/messages/{message}/reactions/{}",
        encode(emoji)
    )
}

pub(crate) async fn react(
    app: &TestApp,
    user: &TestUser,
    room: i64,
    message: i64,
    emoji: &str,
) -> Answer {
    put(app, &reaction_path(room, message, emoji), user).await
}

async fn unreact(app: &TestApp, user: &TestUser, room: i64, message: i64, emoji: &str) -> Answer {
    app.delete(&reaction_path(room, message, emoji), &user.token)
        .await
}

pub(crate) async fn pin(app: &TestApp, user: &TestUser, room: i64, message: i64) -> Answer {
    put(app, &format!("/api/v1/rooms/{room}/pins/{message}"), user).await
}

/// The message as history shows it now.
pub(crate) async fn message_now(app: &TestApp, user: &TestUser, room: i64, id: i64) -> Value {
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &user.token)
        .await
        .expect(200);
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .expect("the message is in the newest page")
}

/// A public room of alice's that bob has joined, and a WebSocket of bob's
/// on the second instance, live from now on.
pub(crate) async fn two_instances() -> (TestApp, TestApp, TestUser, TestUser, i64, WsClient) {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let room = a.room(&alice, "lobby", "public").await;
    a.join(&bob, room).await;
    let (mut ws, _) = b.ws_ready(&bob.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;
    (a, b, alice, bob, room, ws)
}

/// The room events among `frames`, checked to come in increasing seq order.
pub(crate) fn room_events(frames: &[Value]) -> Vec<&Value> {
    let events: Vec<&Value> = frames.iter().filter(|f| f["seq"].is_i64()).collect();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    events
}

fn kinds<'a>(events: &[&'a Value]) -> Vec<(&'a str, &'a str, &'a str)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["user"]["username"].as_str().unwrap_or(""),
                e["emoji"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

#[tokio::test]
async fn reactions_are_idempotent_aggregated_and_heard_on_every_instance() {
    let (a, b, alice, bob, room, mut ws) = two_instances().await;
    let message = a.send(&alice, room, "react to me").await;
    let id = message["id"].as_i64().unwrap();
    let created_seq = message["seq"].as_i64().unwrap();
    assert_eq!(message["reactions"], json!([]), "a new message has none");
    assert_eq!(message["pinned"], false);

    react(&a, &alice, room, id, "👍").await.expect(204);
    react(&a, &alice, room, id, "👍").await.expect(204);
    react(&b, &bob, room, id, "🎉").await.expect(204);
    react(&b, &bob, room, id, "👍").await.expect(204);
    react(&a, &alice, room, id, ":+1:").await.expect(204);
    // Either spelling of the path works: raw UTF-8 (reqwest encodes it).
    a.call(
        Method::PUT,
        &format!("/api/v1/rooms/{room}/messages/{id}/reactions/🎉"),
        Some(&alice.token),
        Value::Null,
    )
    .await
    .expect(204);
    let now = message_now(&b, &bob, room, id).await;
    assert_eq!(
        now["reactions"],
        json!([
            {"emoji": "👍", "count": 2, "user_ids": [alice.id, bob.id]},
            {"emoji": "🎉", "count": 2, "user_ids": [bob.id, alice.id]},
            {"emoji": ":+1:", "count": 1, "user_ids": [alice.id]},
        ])
    );

    // Removing is mine only, and idempotent.
    unreact(&a, &alice, room, id, "👍").await.expect(204);
    unreact(&a, &alice, room, id, "👍").await.expect(204);
    unreact(&a, &alice, room, id, "🦀").await.expect(204);
    // The order is that of each emoji's earliest reaction still standing.
    let now = message_now(&a, &alice, room, id).await;
    assert_eq!(
        now["reactions"],
        json!([
            {"emoji": "🎉", "count": 2, "user_ids": [bob.id, alice.id]},
            {"emoji": "👍", "count": 1, "user_ids": [bob.id]},
            {"emoji": ":+1:", "count": 1, "user_ids": [alice.id]},
        ])
    );

    // Bob on the other instance heard each change once, in seq order; the
    // repeats logged nothing (the marker comes right after).
    a.send(&alice, room, "marker").await;
    let frames = ws.frames_until_message("marker").await;
    let events = room_events(&frames);
    let expected = [
        ("message.created", "", ""),
        ("reaction.added", "alice", "👍"),
        ("reaction.added", "bob", "🎉"),
        ("reaction.added", "bob", "👍"),
        ("reaction.added", "alice", ":+1:"),
        ("reaction.added", "alice", "🎉"),
        ("reaction.removed", "alice", "👍"),
    ];
    assert_eq!(kinds(&events), expected);
    for event in &events[1..] {
        assert_eq!(event["message"]["id"], id, "{event}");
        assert!(event["message"]["reactions"].is_array(), "{event}");
    }

    // A client that was away replays the same through resume, each event
    // with the message as it is now.
    let (mut late, _) = b.ws_ready(&bob.token).await;
    late.send_json(json!({"type": "resume", "rooms": {room.to_string(): created_seq}}))
        .await;
    let mut replayed = Vec::new();
    for _ in 0..expected.len() - 1 {
        replayed.push(late.next_event().await);
    }
    let replayed = room_events(&replayed);
    assert_eq!(kinds(&replayed), expected[1..]);
    assert!(
        replayed
            .iter()
            .all(|e| e["message"]["reactions"] == now["reactions"]),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn reactions_have_limits_and_refuse_anything_but_an_emoji() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    app.join(&carol, room).await;
    let id = app.send(&alice, room, "popular").await["id"]
        .as_i64()
        .unwrap();

    // 20 of my own per message.
    for i in 0..20 {
        react(&app, &alice, room, id, &format!(":a{i}:"))
            .await
            .expect(204);
    }
    let error = react(&app, &alice, room, id, ":a20:")
        .await
        .expect_error(400, "invalid_request");
    assert!(error["error"]["message"].as_str().unwrap().contains("20"));
    // A repeat is still fine: it changes nothing.
    react(&app, &alice, room, id, ":a0:").await.expect(204);

    // 50 distinct emoji per message; another reaction with one of them is
    // fine.
    for i in 0..20 {
        react(&app, &bob, room, id, &format!(":b{i}:"))
            .await
            .expect(204);
    }
    for i in 0..10 {
        react(&app, &carol, room, id, &format!(":c{i}:"))
            .await
            .expect(204);
    }
    let error = react(&app, &carol, room, id, "👍")
        .await
        .expect_error(400, "invalid_request");
    assert!(error["error"]["message"].as_str().unwrap().contains("50"));
    react(&app, &carol, room, id, ":a0:").await.expect(204);
    let now = message_now(&app, &alice, room, id).await;
    assert_eq!(now["reactions"].as_array().unwrap().len(), 50);
    assert_eq!(
        now["reactions"][0],
        json!({"emoji": ":a0:", "count": 2, "user_ids": [alice.id, carol.id]})
    );

    // Anything but one emoji or a short name is a 400, never a 500.
    let path = |raw: &str| format!("/api/v1/rooms/{room}/messages/{id}/reactions/{raw}");
    let too_long = format!(":{}:", "a".repeat(33));
    for raw in [
        encode("a"),
        encode("ok"),
        encode("1"),
        encode("👍👍"),
        encode("👍 "),
        encode(":Thumbs:"),
        encode(":thumbs up:"),
        encode("::"),
        encode(&too_long),
        encode("<b>"),
        "%FF%FE".to_owned(),
        "%F0%9F%91".to_owned(),
        "%".to_owned(),
        "%zz".to_owned(),
        "%00".to_owned(),
    ] {
        for method in [Method::PUT, Method::DELETE] {
            let answer = app
                .call(method.clone(), &path(&raw), Some(&carol.token), Value::Null)
                .await;
            assert_eq!(answer.status, 400, "{method} {raw}: {:?}", answer.body);
            assert_eq!(answer.body["error"]["code"], "invalid_request", "{raw}");
        }
    }
}

#[tokio::test]
async fn sequences_count_as_one_emoji() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "lobby", "public").await;
    let id = app.send(&alice, room, "flags").await["id"]
        .as_i64()
        .unwrap();
    for ok in ["👍🏽", "👨\u{200D}👩\u{200D}👧", "🇫🇷", "❤\u{FE0F}"] {
        react(&app, &alice, room, id, ok).await.expect(204);
    }
    let now = message_now(&app, &alice, room, id).await;
    let emoji: Vec<&str> = now["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["emoji"].as_str().unwrap())
        .collect();
    assert_eq!(emoji, ["👍🏽", "👨\u{200D}👩\u{200D}👧", "🇫🇷", "❤\u{FE0F}"]);
}

#[tokio::test]
async fn deleted_messages_and_strangers_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let public = app.room(&alice, "lobby", "public").await;
    let private = app.room(&alice, "secret", "private").await;
    let in_public = app.send(&alice, public, "public words").await["id"]
        .as_i64()
        .unwrap();
    let in_private = app.send(&alice, private, "private words").await["id"]
        .as_i64()
        .unwrap();

    // Not a member: a private room does not exist, a public one is closed.
    for (room, id, status, code) in [
        (private, in_private, 404, "not_found"),
        (public, in_public, 403, "forbidden"),
    ] {
        react(&app, &bob, room, id, "👍")
            .await
            .expect_error(status, code);
        unreact(&app, &bob, room, id, "👍")
            .await
            .expect_error(status, code);
        pin(&app, &bob, room, id).await.expect_error(status, code);
        app.delete(&format!("/api/v1/rooms/{room}/pins/{id}"), &bob.token)
            .await
            .expect_error(status, code);
        app.get(&format!("/api/v1/rooms/{room}/pins"), &bob.token)
            .await
            .expect_error(status, code);
        app.get(
            &format!("/api/v1/rooms/{room}/messages/{id}/history"),
            &bob.token,
        )
        .await
        .expect_error(status, code);
    }

    // No such message, or a deleted one: 404 "no such message".
    app.delete(
        &format!("/api/v1/rooms/{public}/messages/{in_public}"),
        &alice.token,
    )
    .await
    .expect(204);
    for id in [in_public, in_private, 999_999] {
        let error = react(&app, &alice, public, id, "👍")
            .await
            .expect_error(404, "not_found");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no such message"),
            "{error}"
        );
        unreact(&app, &alice, public, id, "👍")
            .await
            .expect_error(404, "not_found");
        pin(&app, &alice, public, id)
            .await
            .expect_error(404, "not_found");
    }
    app.get(
        &format!("/api/v1/rooms/{public}/messages/999999/history"),
        &alice.token,
    )
    .await
    .expect_error(404, "not_found");
}

/// The bodies of the room's pinned messages, in the list's order.
pub(crate) async fn pins(app: &TestApp, user: &TestUser, room: i64) -> Vec<String> {
    let list = app
        .get(&format!("/api/v1/rooms/{room}/pins"), &user.token)
        .await
        .expect(200);
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["pinned"], true, "{m}");
            m["body"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn pins_list_newest_first_and_are_room_events() {
    let (a, b, alice, bob, room, mut ws) = two_instances().await;
    let mut ids = Vec::new();
    for body in ["first", "second", "third"] {
        ids.push(a.send(&alice, room, body).await["id"].as_i64().unwrap());
    }
    pin(&a, &alice, room, ids[0]).await.expect(204);
    pin(&b, &bob, room, ids[2]).await.expect(204);
    pin(&a, &alice, room, ids[1]).await.expect(204);
    pin(&a, &alice, room, ids[1]).await.expect(204);
    assert_eq!(pins(&b, &bob, room).await, ["second", "third", "first"]);
    // Any member unpins, idempotently.
    for _ in 0..2 {
        b.delete(&format!("/api/v1/rooms/{room}/pins/{}", ids[2]), &bob.token)
            .await
            .expect(204);
    }
    assert_eq!(pins(&a, &alice, room).await, ["second", "first"]);
    assert_eq!(message_now(&a, &alice, room, ids[2]).await["pinned"], false);
    assert_eq!(message_now(&a, &alice, room, ids[0]).await["pinned"], true);

    a.send(&alice, room, "marker").await;
    let frames = ws.frames_until_message("marker").await;
    let events = room_events(&frames);
    let pin_events: Vec<(&str, &str, i64)> = events
        .iter()
        .filter(|e| e["type"] != "message.created")
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["user"]["username"].as_str().unwrap(),
                e["message"]["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pin_events,
        [
            ("message.pinned", "alice", ids[0]),
            ("message.pinned", "bob", ids[2]),
            ("message.pinned", "alice", ids[1]),
            ("message.unpinned", "bob", ids[2]),
        ]
    );
}
