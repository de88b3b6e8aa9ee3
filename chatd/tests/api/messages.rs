//! Sending, paging, editing, deleting, the event log, read markers, search.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

/// A public room of alice's that bob has joined.
pub(crate) async fn two_in_a_room(app: &TestApp) -> (TestUser, TestUser, i64) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    (alice, bob, room)
}

pub(crate) fn seqs(page: &Value, key: &str) -> Vec<i64> {
    page[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_sent_message_has_every_field() {
    let app = TestApp::spawn().await;
    let (alice, _, room) = two_in_a_room(&app).await;
    let message = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "  hello\nworld  ", "client_id": "c-1"}),
        )
        .await
        .expect(201)["message"]
        .clone();
    assert!(message["id"].is_i64());
    assert_eq!(message["room_id"], room);
    assert_eq!(message["seq"], 3);
    assert_eq!(
        message["author"],
        json!({"id": alice.id, "username": "alice", "display_name": "alice"})
    );
    assert_eq!(message["body"], "hello\nworld", "trimmed");
    assert_eq!(message["client_id"], "c-1");
    assert_eq!(message["reply_to"], Value::Null);
    assert_eq!(message["edited_at"], Value::Null);
    assert_eq!(message["deleted"], false);
    assert!(message["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn message_bodies_are_bounded() {
    let app = TestApp::spawn().await;
    let (alice, _, room) = two_in_a_room(&app).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    for body in [
        json!({"body": ""}),
        json!({"body": " \n\t "}),
        json!({"body": "x".repeat(4001)}),
        json!({}),
        json!({"body": "a", "client_id": ""}),
        json!({"body": "a", "client_id": "has space"}),
        json!({"body": "a", "client_id": "x".repeat(65)}),
    ] {
        app.post(&path, &alice.token, body)
            .await
            .expect_error(400, "invalid_request");
    }
    // 4000 characters is fine, counted as characters, not bytes.
    app.post(&path, &alice.token, json!({"body": "é".repeat(4000)}))
        .await
        .expect(201);
    let configured = TestApp::spawn_with(|c| c.max_message_chars = 10).await;
    let (carol, _, room) = two_in_a_room(&configured).await;
    configured
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &carol.token,
            json!({"body": "x".repeat(11)}),
        )
        .await
        .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn retried_sends_return_the_original() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let first = app
        .post(
            &path,
            &alice.token,
            json!({"body": "once", "client_id": "retry-me"}),
        )
        .await
        .expect(201);
    // The retry answers with what was stored (another text with the same
    // client_id is a 409: first_hour.rs).
    let retry = app
        .post(
            &path,
            &alice.token,
            json!({"body": "once", "client_id": "retry-me"}),
        )
        .await
        .expect(200);
    assert_eq!(first, retry);
    // The key is per author: bob may use the same client_id.
    app.post(
        &path,
        &bob.token,
        json!({"body": "mine", "client_id": "retry-me"}),
    )
    .await
    .expect(201);
    // Concurrent retries create exactly one message.
    let sends = (0..8).map(|_| {
        app.post(
            &path,
            &alice.token,
            json!({"body": "race", "client_id": "racing"}),
        )
    });
    let answers = futures_util::future::join_all(sends).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| a.body["message"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let page = app.get(&path, &alice.token).await.expect(200);
    assert_eq!(page["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn history_pages_both_ways() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    // seqs 1 and 2 are the two joins; messages get 3..=12.
    for i in 0..10 {
        app.send(
            if i % 2 == 0 { &alice } else { &bob },
            room,
            &format!("m{i}"),
        )
        .await;
    }
    let path = format!("/api/v1/rooms/{room}/messages");
    let newest = app
        .get(&format!("{path}?limit=4"), &alice.token)
        .await
        .expect(200);
    assert_eq!(seqs(&newest, "messages"), vec![9, 10, 11, 12]);
    let older = app
        .get(&format!("{path}?before=9&limit=4"), &alice.token)
        .await
        .expect(200);
    assert_eq!(seqs(&older, "messages"), vec![5, 6, 7, 8]);
    let oldest = app
        .get(&format!("{path}?before=5&limit=4"), &alice.token)
        .await
        .expect(200);
    assert_eq!(seqs(&oldest, "messages"), vec![3, 4]);
    let none = app
        .get(&format!("{path}?before=3"), &alice.token)
        .await
        .expect(200);
    assert_eq!(none["messages"], json!([]));
    let forward = app
        .get(&format!("{path}?after=4&limit=3"), &alice.token)
        .await
        .expect(200);
    assert_eq!(seqs(&forward, "messages"), vec![5, 6, 7]);
    let window = app
        .get(&format!("{path}?after=4&before=8"), &alice.token)
        .await
        .expect(200);
    assert_eq!(seqs(&window, "messages"), vec![5, 6, 7]);
    let past_end = app
        .get(&format!("{path}?after=12"), &alice.token)
        .await
        .expect(200);
    assert_eq!(past_end["messages"], json!([]));
    let all = app.get(&path, &alice.token).await.expect(200);
    assert_eq!(seqs(&all, "messages"), (3..=12).collect::<Vec<_>>());
    assert_eq!(all["messages"][0]["body"], "m0");
    let max = app
        .get(&format!("{path}?limit=200"), &alice.token)
        .await
        .expect(200);
    assert_eq!(max["messages"].as_array().unwrap().len(), 10);
    for bad in [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=ten",
        "before=-1",
        "after=x",
        "sort=asc",
    ] {
        app.get(&format!("{path}?{bad}"), &alice.token)
            .await
            .expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn replies_point_into_the_same_room() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let original = app.send(&alice, room, "question?").await;
    let reply = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "answer", "reply_to": original["id"]}),
        )
        .await
        .expect(201);
    assert_eq!(reply["message"]["reply_to"], original["id"]);
    let other = app.room(&alice, "elsewhere", "public").await;
    app.post(
        &format!("/api/v1/rooms/{other}/messages"),
        &alice.token,
        json!({"body": "cross-room reply", "reply_to": original["id"]}),
    )
    .await
    .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn only_the_author_edits() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let message = app.send(&alice, room, "helo").await;
    let path = format!("/api/v1/rooms/{room}/messages/{}", message["id"]);
    app.patch(&path, &bob.token, json!({"body": "hacked"}))
        .await
        .expect_error(403, "forbidden");
    app.patch(&path, &alice.token, json!({"body": " "}))
        .await
        .expect_error(400, "invalid_request");
    let edited = app
        .patch(&path, &alice.token, json!({"body": "hello"}))
        .await
        .expect(200)["message"]
        .clone();
    assert_eq!(edited["body"], "hello");
    assert_eq!(edited["seq"], message["seq"], "a message keeps its place");
    assert!(edited["edited_at"].is_string());
    let events = app
        .get(
            &format!("/api/v1/rooms/{room}/events?after={}", message["seq"]),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(events["events"][0]["type"], "message.updated");
    assert_eq!(events["events"][0]["message"]["body"], "hello");
    app.patch(
        &format!("/api/v1/rooms/{room}/messages/999999"),
        &alice.token,
        json!({"body": "x"}),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn deletion_leaves_a_tombstone() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let carol = app.user("carol").await;
    app.join(&carol, room).await;
    let by_bob = app.send(&bob, room, "secret text").await;
    let by_carol = app.send(&carol, room, "carol's").await;
    let bob_path = format!("/api/v1/rooms/{room}/messages/{}", by_bob["id"]);
    // Another plain member may not delete it; the owner may.
    app.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", by_carol["id"]),
        &bob.token,
    )
    .await
    .expect_error(403, "forbidden");
    app.delete(&bob_path, &alice.token).await.expect(204);
    app.delete(&bob_path, &alice.token).await.expect(204);
    // The author deletes their own.
    app.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", by_carol["id"]),
        &carol.token,
    )
    .await
    .expect(204);
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    let tombstone = &page["messages"][0];
    assert_eq!(tombstone["id"], by_bob["id"]);
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["body"], Value::Null);
    app.patch(&bob_path, &bob.token, json!({"body": "undo"}))
        .await
        .expect_error(409, "conflict");
    // The log reports the deletions once each, and no deleted text anywhere.
    let events = app
        .get(&format!("/api/v1/rooms/{room}/events"), &bob.token)
        .await
        .expect(200);
    let deleted: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message.deleted")
        .collect();
    assert_eq!(deleted.len(), 2);
    assert!(!events.to_string().contains("secret text"));
    let hits = app
        .get("/api/v1/search?q=secret", &alice.token)
        .await
        .expect(200);
    assert_eq!(hits["messages"], json!([]));
}

#[tokio::test]
async fn the_event_log_replays_everything_in_order() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    for i in 0..5 {
        app.send(&alice, room, &format!("e{i}")).await;
    }
    let path = format!("/api/v1/rooms/{room}/events");
    let all = app.get(&path, &bob.token).await.expect(200);
    assert_eq!(seqs(&all, "events"), (1..=7).collect::<Vec<_>>());
    let created = &all["events"][2];
    assert_eq!(created["type"], "message.created");
    assert_eq!(created["room_id"], room);
    assert_eq!(created["message"]["body"], "e0");
    let after = app
        .get(&format!("{path}?after=5&limit=1"), &bob.token)
        .await
        .expect(200);
    assert_eq!(seqs(&after, "events"), vec![6]);
    let rooms = app.get("/api/v1/rooms", &bob.token).await.expect(200);
    assert_eq!(rooms["rooms"][0]["latest_seq"], 7);
    for bad in ["after=-2", "limit=0", "limit=1001"] {
        app.get(&format!("{path}?{bad}"), &bob.token)
            .await
            .expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn unread_counts_follow_the_read_marker() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let unread = |user: &TestUser| {
        let token = user.token.clone();
        let app = &app;
        async move {
            app.get(&format!("/api/v1/rooms/{room}"), &token)
                .await
                .expect(200)["room"]["unread_count"]
                .as_i64()
                .unwrap()
        }
    };
    app.send(&alice, room, "one").await;
    let two = app.send(&alice, room, "two").await;
    app.send(&bob, room, "mine do not count").await;
    let three = app.send(&alice, room, "three").await;
    assert_eq!(unread(&bob).await, 3);
    assert_eq!(unread(&alice).await, 1);
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({"seq": two["seq"]}),
    )
    .await
    .expect(204);
    assert_eq!(unread(&bob).await, 1);
    // A deleted message no longer counts.
    app.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", three["id"]),
        &alice.token,
    )
    .await
    .expect(204);
    assert_eq!(unread(&bob).await, 0);
    // The marker never moves back, and never past the end.
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({"seq": 1}),
    )
    .await
    .expect(204);
    let room_view = app
        .get(&format!("/api/v1/rooms/{room}"), &bob.token)
        .await
        .expect(200);
    assert_eq!(room_view["room"]["read_seq"], two["seq"]);
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({"seq": 1_000_000}),
    )
    .await
    .expect(204);
    let room_view = app
        .get(&format!("/api/v1/rooms/{room}"), &bob.token)
        .await
        .expect(200);
    assert_eq!(
        room_view["room"]["read_seq"],
        room_view["room"]["latest_seq"]
    );
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({"seq": -1}),
    )
    .await
    .expect_error(400, "invalid_request");
    app.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({"seq": "7"}),
    )
    .await
    .expect_error(400, "invalid_request");
}
