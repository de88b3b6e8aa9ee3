//! Threads and mentions (issue 15): through REST and the WebSocket, with
//! users on two chatd instances.

use serde_json::{Value, json};

use crate::conversations::message_now;
use crate::helpers::{TestApp, TestUser};

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = std::time::Duration::from_millis(100);
}

fn id(message: &Value) -> i64 {
    message["id"].as_i64().expect("a message id")
}

async fn reply(app: &TestApp, user: &TestUser, room: i64, root: i64, body: &str) -> Value {
    app.post(
        &format!("/api/v1/rooms/{room}/messages"),
        &user.token,
        json!({"body": body, "thread_root": root}),
    )
    .await
    .expect(201)["message"]
        .clone()
}

async fn thread_page(app: &TestApp, user: &TestUser, room: i64, root: i64, query: &str) -> Value {
    app.get(
        &format!("/api/v1/rooms/{room}/threads/{root}/messages{query}"),
        &user.token,
    )
    .await
    .expect(200)
}

/// My room as `GET /api/v1/rooms` lists it.
async fn my_room(app: &TestApp, user: &TestUser, room: i64) -> Value {
    let rooms = app.get("/api/v1/rooms", &user.token).await.expect(200);
    rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room)
        .cloned()
        .expect("the room is in my list")
}

#[tokio::test]
async fn concurrent_replies_on_two_instances_keep_the_summary_exact() {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let alice = a.user("alice").await;
    let room = a.room(&alice, "lobby", "public").await;
    let mut writers = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        let user = a.user(name).await;
        a.join(&user, room).await;
        writers.push(user);
    }
    let root = id(&a.send(&alice, room, "what do we ship friday?").await);

    const EACH: usize = 12;
    let tasks = writers.iter().enumerate().map(|(w, user)| {
        let app = if w % 2 == 0 { &a } else { &b };
        async move {
            for i in 0..EACH {
                reply(app, user, room, root, &format!("{} #{i}", user.username)).await;
            }
        }
    });
    futures_util::future::join_all(tasks).await;

    let now = message_now(&a, &alice, room, root).await;
    let thread = &now["thread"];
    assert_eq!(
        thread["reply_count"],
        (EACH * writers.len()) as i64,
        "{now}"
    );
    let mut participants: Vec<i64> = thread["participant_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    participants.sort_unstable();
    let mut expected: Vec<i64> = writers.iter().map(|u| u.id).collect();
    expected.sort_unstable();
    assert_eq!(participants, expected);

    // Every reply is in the thread once, in seq order; none in the room's
    // history; the room's unread count ignores them.
    let page = thread_page(&b, &alice, room, root, "?limit=200").await;
    let replies = page["messages"].as_array().unwrap();
    assert_eq!(replies.len(), EACH * writers.len());
    assert_eq!(page["has_more"], false);
    let seqs: Vec<i64> = replies.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert!(replies.iter().all(|m| m["thread_root"] == root));
    assert_eq!(
        thread["last_reply_at"],
        replies.last().unwrap()["created_at"],
        "last_reply_at is the newest reply's time"
    );
    assert_eq!(thread["last_reply_seq"], replies.last().unwrap()["seq"]);
    let mut first_replies: Vec<i64> = Vec::new();
    for m in replies {
        let author = m["author"]["id"].as_i64().unwrap();
        if !first_replies.contains(&author) {
            first_replies.push(author);
        }
    }
    assert_eq!(
        thread["participant_ids"],
        json!(first_replies),
        "participants in the order of their first reply"
    );
    let history = a
        .get(&format!("/api/v1/rooms/{room}/messages"), &alice.token)
        .await
        .expect(200);
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
    assert_eq!(my_room(&a, &alice, room).await["unread_count"], 0);

    // Alice wrote the root, so she follows it; everything is unread.
    let followed = a.get("/api/v1/threads", &alice.token).await.expect(200);
    assert_eq!(followed["threads"][0]["root"]["id"], root, "{followed}");
    assert_eq!(followed["threads"][0]["room_id"], room);
    assert_eq!(
        followed["threads"][0]["unread_count"],
        (EACH * writers.len()) as i64
    );
    // Bob has read up to his own last reply: what others wrote after it.
    let bob = &writers[0];
    let bobs = b.get("/api/v1/threads", &bob.token).await.expect(200);
    let last_of_bob = replies
        .iter()
        .rposition(|m| m["author"]["id"] == bob.id)
        .unwrap();
    assert_eq!(
        bobs["threads"][0]["unread_count"],
        (replies.len() - 1 - last_of_bob) as i64
    );
    // Reading the thread clears it.
    let newest = replies.last().unwrap()["seq"].clone();
    a.post(
        &format!("/api/v1/rooms/{room}/threads/{root}/read"),
        &alice.token,
        json!({"seq": newest}),
    )
    .await
    .expect(204);
    let followed = a.get("/api/v1/threads", &alice.token).await.expect(200);
    assert_eq!(followed["threads"][0]["unread_count"], 0);
}

#[tokio::test]
async fn thread_rules_authorization_and_live_events() {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let mallory = a.user("mallory").await;
    let room = a.room(&alice, "lobby", "public").await;
    let secret = a.room(&alice, "secret", "private").await;
    let other = a.room(&alice, "other", "public").await;
    a.join(&bob, room).await;
    let root = id(&a.send(&alice, room, "root").await);
    let elsewhere = id(&a.send(&alice, other, "elsewhere").await);
    let hidden = id(&a.send(&alice, secret, "hidden").await);

    // Bob listens on the other instance.
    let (mut ws, _) = b.ws_ready(&bob.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;

    // A reply over the WebSocket is acknowledged with its thread_root and
    // heard by others as message.created.
    ws.send_json(json!({"type": "send", "room_id": room, "body": "ws reply",
                         "client_id": "t-1", "thread_root": root}))
        .await;
    let ack = loop {
        let frame = ws.next_json().await;
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(ack["message"]["thread_root"], root, "{ack}");
    let first = reply(&a, &alice, room, root, "rest reply").await;
    a.send(&alice, room, "marker").await;
    let frames = ws.frames_until_message("marker").await;
    let created = frames
        .iter()
        .find(|f| f["type"] == "message.created" && f["message"]["id"] == first["id"])
        .expect("bob hears alice's reply");
    assert_eq!(created["message"]["thread_root"], root);

    // Replies name a top-level message of the same room; anything else is
    // a clear 400.
    let ws_reply = ack["message"]["id"].as_i64().unwrap();
    for bad in [ws_reply, elsewhere, 999_999] {
        a.post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "nested", "thread_root": bad}),
        )
        .await
        .expect_error(400, "invalid_request");
    }
    a.get(
        &format!("/api/v1/rooms/{room}/threads/{ws_reply}/messages"),
        &alice.token,
    )
    .await
    .expect_error(404, "not_found");

    // Strangers: 403 for a public room's thread, 404 for a private one's.
    for path in [
        format!("/api/v1/rooms/{room}/threads/{root}/messages"),
        format!("/api/v1/rooms/{secret}/threads/{hidden}/messages"),
    ] {
        let status = if path.contains(&format!("/{secret}/")) {
            404
        } else {
            403
        };
        let code = if status == 404 {
            "not_found"
        } else {
            "forbidden"
        };
        a.get(&path, &mallory.token)
            .await
            .expect_error(status, code);
    }
    a.post(
        &format!("/api/v1/rooms/{secret}/threads/{hidden}/read"),
        &mallory.token,
        json!({"seq": 1}),
    )
    .await
    .expect_error(404, "not_found");
    a.post(
        &format!("/api/v1/rooms/{secret}/messages"),
        &mallory.token,
        json!({"body": "sneak", "thread_root": hidden}),
    )
    .await
    .expect_error(404, "not_found");

    // One message by id, a reply included; the same refusals as history.
    let one = a
        .get(
            &format!("/api/v1/rooms/{room}/messages/{ws_reply}"),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(one["message"]["thread_root"], root);
    a.get(
        &format!("/api/v1/rooms/{room}/messages/{hidden}"),
        &bob.token,
    )
    .await
    .expect_error(404, "not_found");
    a.get(
        &format!("/api/v1/rooms/{secret}/messages/{hidden}"),
        &mallory.token,
    )
    .await
    .expect_error(404, "not_found");

    // Deleting the root leaves its thread readable under a tombstone.
    a.delete(
        &format!("/api/v1/rooms/{room}/messages/{root}"),
        &alice.token,
    )
    .await
    .expect(204);
    let page = thread_page(&b, &bob, room, root, "").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    let tomb = message_now(&a, &bob, room, root).await;
    assert_eq!(tomb["deleted"], true);
    assert_eq!(tomb["thread"]["reply_count"], 2);

    // Resume replays the replies like any other event.
    let (mut late, _) = b.ws_ready(&bob.token).await;
    late.send_json(json!({"type": "resume", "rooms": {room.to_string(): 0}}))
        .await;
    let mut seen = Vec::new();
    loop {
        let event = late.next_event().await;
        if event["type"] == "message.created" {
            seen.push(event["message"]["thread_root"].clone());
        }
        if event["type"] == "message.deleted" {
            break;
        }
    }
    assert_eq!(seen, [Value::Null, json!(root), json!(root), Value::Null]);
}

#[tokio::test]
async fn mentions_are_counted_listed_and_follow_edits_and_deletes() {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let carol = a.user("carol").await;
    let room = a.room(&alice, "lobby", "public").await;
    a.join(&bob, room).await;

    // @Bob counts (any case); carol is not a member, so she does not.
    let named = a.send(&alice, room, "hey @Bob and @carol, see this").await;
    assert_eq!(named["mentions"], json!([bob.id]), "{named}");
    assert_eq!(named["mentions_room"], false);
    let everyone = a.send(&alice, room, "@room standup now").await;
    assert_eq!(everyone["mentions_room"], true);
    a.send(&alice, room, "no mention here, bob@example.org")
        .await;
    // Bob's own @room is not a mention of himself.
    b.send(&bob, room, "@room me too").await;

    assert_eq!(my_room(&b, &bob, room).await["mention_count"], 2);
    assert_eq!(my_room(&a, &alice, room).await["mention_count"], 1);
    let listed = b.get("/api/v1/mentions", &bob.token).await.expect(200);
    let ids: Vec<i64> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, [id(&everyone), id(&named)], "newest first");
    let older = b
        .get(
            &format!("/api/v1/mentions?before={}&limit=1", id(&everyone)),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(older["messages"][0]["id"], named["id"]);
    assert_eq!(older["has_more"], false);

    // An edit that drops the name drops the mention; one that adds it back
    // restores it. A delete erases it.
    let edit = async |body: &'static str| {
        a.patch(
            &format!("/api/v1/rooms/{room}/messages/{}", id(&named)),
            &alice.token,
            json!({ "body": body }),
        )
        .await
        .expect(200)["message"]
            .clone()
    };
    assert_eq!(edit("hey everyone").await["mentions"], json!([]));
    assert_eq!(my_room(&b, &bob, room).await["mention_count"], 1);
    assert_eq!(edit("hey @bob!").await["mentions"], json!([bob.id]));
    assert_eq!(my_room(&b, &bob, room).await["mention_count"], 2);
    a.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", id(&everyone)),
        &alice.token,
    )
    .await
    .expect(204);
    assert_eq!(my_room(&b, &bob, room).await["mention_count"], 1);

    // Reading the room clears the count; carol, outside, sees nothing.
    let latest = my_room(&b, &bob, room).await["latest_seq"].clone();
    b.post(
        &format!("/api/v1/rooms/{room}/read"),
        &bob.token,
        json!({ "seq": latest }),
    )
    .await
    .expect(204);
    assert_eq!(my_room(&b, &bob, room).await["mention_count"], 0);
    let none = a.get("/api/v1/mentions", &carol.token).await.expect(200);
    assert_eq!(none["messages"], json!([]));
    a.get("/api/v1/mentions?limit=0", &carol.token)
        .await
        .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_mention_in_a_thread_makes_its_target_follow_it() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    app.join(&carol, room).await;
    let root = id(&app.send(&alice, room, "plan").await);
    reply(&app, &bob, room, root, "@carol what do you think?").await;
    let followed = app.get("/api/v1/threads", &carol.token).await.expect(200);
    assert_eq!(followed["threads"][0]["root"]["id"], root, "{followed}");
    assert_eq!(followed["threads"][0]["unread_count"], 1);
    // Reading a thread is not following it.
    let dave = app.user("dave").await;
    app.join(&dave, room).await;
    app.post(
        &format!("/api/v1/rooms/{room}/threads/{root}/read"),
        &dave.token,
        json!({"seq": 100}),
    )
    .await
    .expect(204);
    let none = app.get("/api/v1/threads", &dave.token).await.expect(200);
    assert_eq!(none["threads"], json!([]));
}

#[tokio::test]
async fn a_block_stops_direct_writes_and_mention_counts() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let dm = app
        .post("/api/v1/dms", &alice.token, json!({"username": "bob"}))
        .await
        .expect(201)["room"]["id"]
        .as_i64()
        .unwrap();
    app.send(&bob, dm, "hi @alice").await;
    app.send(&bob, room, "@alice @room look").await;
    assert_eq!(my_room(&app, &alice, room).await["mention_count"], 1);
    assert_eq!(my_room(&app, &alice, dm).await["mention_count"], 1);

    app.call(
        reqwest::Method::PUT,
        "/api/v1/me/blocks/bob",
        Some(&alice.token),
        Value::Null,
    )
    .await
    .expect(204);
    // Neither may write in the direct room any more, over REST or the
    // WebSocket, and the answer does not say who blocked whom.
    for (user, other) in [(&bob, "alice"), (&alice, "bob")] {
        let refused = app
            .post(
                &format!("/api/v1/rooms/{dm}/messages"),
                &user.token,
                json!({ "body": format!("hello {other}") }),
            )
            .await
            .expect_error(403, "forbidden");
        assert!(
            !refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("block")
        );
    }
    let (mut ws, _) = app.ws_ready(&bob.token).await;
    ws.send_json(json!({"type": "send", "room_id": dm, "body": "psst", "client_id": "b-1"}))
        .await;
    let error = loop {
        let frame = ws.next_json().await;
        if frame["type"] == "error" {
            break frame;
        }
    };
    assert_eq!(error["error"]["code"], "forbidden", "{error}");
    // Bob still talks in the shared room, but his mentions of alice no
    // longer count or list for her.
    assert_eq!(my_room(&app, &alice, room).await["mention_count"], 0);
    assert_eq!(my_room(&app, &alice, dm).await["mention_count"], 0);
    let listed = app.get("/api/v1/mentions", &alice.token).await.expect(200);
    assert_eq!(listed["messages"], json!([]));

    // Unblocking restores both.
    app.delete("/api/v1/me/blocks/bob", &alice.token)
        .await
        .expect(204);
    app.send(&bob, dm, "back").await;
    assert_eq!(my_room(&app, &alice, room).await["mention_count"], 1);
}
