//! Sending, paging, editing, deleting, the event log, read markers, search.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

/// A public room of alice's that bob has joined.
async fn two_in_a_room(app: &TestApp) -> (TestUser, TestUser, i64) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    (alice, bob, room)
}

fn seqs(page: &Value, key: &str) -> Vec<i64> {
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

#[tokio::test]
async fn search_finds_words_urls_and_identifiers_in_my_rooms_only() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let eve = app.user("eve").await;
    let eves_room = app.room(&eve, "eve's", "private").await;
    app.send(
        &alice,
        room,
        "Deploy notes: see https://git.example.org/ops/chat-deploy/pull/42",
    )
    .await;
    app.send(
        &bob,
        room,
        "the failing test is test_user_login_rate_limit in auth_spec",
    )
    .await;
    app.send(&alice, room, "lunch at noon?").await;
    app.send(&eve, eves_room, "lunch plans in secret").await;
    let search = |q: &str| {
        let url = format!("/api/v1/search?q={}", urlencode(q));
        let token = bob.token.clone();
        let app = &app;
        async move { app.get(&url, &token).await.expect(200) }
    };
    let bodies = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(bodies(&search("LUNCH").await), vec!["lunch at noon?"]);
    assert_eq!(
        search("chat-deploy/pull").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("git.example.org").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("rate_limit").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("test_user_login_rate_limit").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("deploy notes").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(search("100%").await["messages"], json!([]));
    assert_eq!(
        search("secret").await["messages"],
        json!([]),
        "eve's room is not bob's"
    );
    let scoped = app
        .get(
            &format!("/api/v1/search?q=lunch&room_id={eves_room}"),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(scoped["messages"], json!([]));
    let scoped = app
        .get(
            &format!("/api/v1/search?q=lunch&room_id={room}"),
            &alice.token,
        )
        .await
        .expect(200);
    assert_eq!(scoped["messages"].as_array().unwrap().len(), 1);
    for bad in [
        "/api/v1/search",
        "/api/v1/search?q=",
        "/api/v1/search?q=%20%20",
        "/api/v1/search?q=a&limit=0",
    ] {
        app.get(bad, &bob.token)
            .await
            .expect_error(400, "invalid_request");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_batch_stores_what_it_may_in_order_and_leaves_the_rest() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let eve = app.user("eve").await;
    let first = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "earlier", "client_id": "old"}),
        )
        .await
        .expect(201)["message"]
        .clone();
    let draft = |author: i64, body: &str, cid: Option<&str>, reply_to: Option<i64>| Draft {
        client_id: cid.map(Into::into),
        reply_to,
        ..Draft::new(room, author, body)
    };
    let in_thread = Draft {
        thread_root: first["id"].as_i64(),
        ..Draft::new(room, bob.id, "a thread reply waits for its own send")
    };
    let drafts = vec![
        draft(alice.id, "one", Some("a"), None),
        draft(eve.id, "not a member", None, None),
        draft(bob.id, "two", None, first["id"].as_i64()),
        draft(alice.id, "retry", Some("old"), None),
        draft(alice.id, "same key twice", Some("a"), None),
        draft(bob.id, "bad reply", None, Some(999_999)),
        draft(bob.id, "three @alice @eve", Some("b"), None),
        in_thread,
    ];
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let bodies: Vec<Option<String>> = stored
        .iter()
        .map(|m| m.as_ref().and_then(|m| m.message().body.clone()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            Some("one".into()),
            None,
            Some("two".into()),
            None,
            None,
            None,
            Some("three @alice @eve".into()),
            None,
        ]
    );
    // Mentions are stored in the batch too (eve is not a member).
    let three = stored[6].as_ref().unwrap().message();
    assert_eq!(three.mentions, vec![alice.id]);
    let seqs: Vec<i64> = stored.iter().flatten().map(|m| m.message().seq).collect();
    let base = first["seq"].as_i64().unwrap();
    assert_eq!(
        seqs,
        vec![base + 1, base + 2, base + 3],
        "consecutive seqs in order"
    );
    let events = app
        .get(
            &format!("/api/v1/rooms/{room}/events?after={base}"),
            &alice.token,
        )
        .await
        .expect(200);
    assert_eq!(seqs_of(&events), seqs);
}

fn seqs_of(page: &Value) -> Vec<i64> {
    seqs(page, "events")
}

#[tokio::test]
async fn a_batch_over_several_rooms_numbers_each_room_on_its_own() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let kitchen = app.room(&bob, "kitchen", "public").await;
    let attic = app.room(&alice, "attic", "public").await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let _ = chat_store::rooms::archive(&mut pool.get().await.unwrap(), attic)
        .await
        .unwrap();
    let latest = |page: &Value| seqs_of(page).last().copied().unwrap_or(0);
    let lobby_base = latest(
        &app.get(&format!("/api/v1/rooms/{lobby}/events"), &alice.token)
            .await
            .expect(200),
    );
    let kitchen_base = latest(
        &app.get(&format!("/api/v1/rooms/{kitchen}/events"), &bob.token)
            .await
            .expect(200),
    );
    let draft = Draft::new;
    let drafts = vec![
        draft(kitchen, bob.id, "k1"),
        draft(lobby, alice.id, "l1"),
        draft(kitchen, alice.id, "alice is not in the kitchen"),
        draft(attic, alice.id, "the attic is archived"),
        draft(lobby, bob.id, "l2"),
        draft(kitchen, bob.id, "k2"),
    ];
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let placed: Vec<Option<(i64, i64, String)>> = stored
        .iter()
        .map(|m| {
            m.as_ref().map(|m| {
                let m = m.message();
                (m.room_id, m.seq, m.body.clone().unwrap_or_default())
            })
        })
        .collect();
    assert_eq!(
        placed,
        vec![
            Some((kitchen, kitchen_base + 1, "k1".into())),
            Some((lobby, lobby_base + 1, "l1".into())),
            None,
            None,
            Some((lobby, lobby_base + 2, "l2".into())),
            Some((kitchen, kitchen_base + 2, "k2".into())),
        ]
    );
    for (room, base, token) in [
        (lobby, lobby_base, &alice.token),
        (kitchen, kitchen_base, &bob.token),
    ] {
        let events = app
            .get(&format!("/api/v1/rooms/{room}/events?after={base}"), token)
            .await
            .expect(200);
        assert_eq!(seqs_of(&events), vec![base + 1, base + 2], "room {room}");
    }
}

#[tokio::test]
async fn the_event_log_keeps_its_references_when_rows_are_deleted_by_hand() {
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let kept = app.room(&bob, "kitchen", "public").await;
    let hello = app.send(&alice, lobby, "hello").await["id"]
        .as_i64()
        .unwrap();
    app.send(&bob, kept, "still here").await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let problems = || async { chat_store::stats::event_log_problems(&db).await.unwrap() };
    let events_of = |room: i64| {
        let db = &db;
        async move {
            db.query_one(
                "SELECT count(*) FROM room_events WHERE room_id = $1",
                &[&room],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
        }
    };
    assert_eq!(problems().await, Vec::<String>::new());

    // A logged message cannot go on its own...
    let refused = db
        .execute(
            "DELETE FROM messages WHERE room_id = $1 AND id = $2",
            &[&lobby, &hello],
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION)
    );
    // ...but goes with its room, and the room's log with it.
    db.execute("DELETE FROM rooms WHERE id = $1", &[&lobby])
        .await
        .unwrap();
    assert_eq!(events_of(lobby).await, 0);
    assert_eq!(problems().await, Vec::<String>::new());
    assert!(
        events_of(kept).await >= 2,
        "the other room's log is untouched"
    );

    // The offline check reports what no constraint catches any more.
    db.execute(
        "INSERT INTO room_events (room_id, seq, kind, message_id) \
         VALUES ($1, 1000, 'message.created', 999999), (424242, 1, 'room.updated', NULL)",
        &[&kept],
    )
    .await
    .unwrap();
    let found = problems().await;
    assert!(
        found
            .iter()
            .any(|p| p.contains("event 1000 points at message 999999")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("room 424242: event 1 belongs to a room that does not exist")),
        "{found:?}"
    );
}
