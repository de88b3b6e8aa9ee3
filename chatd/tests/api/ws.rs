//! The WebSocket gateway: authentication, live events, send/ack, resume
//! without gaps or duplicates, membership changes, revocation, limits.

use std::time::Duration;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, TestUser, WsClient};

async fn room_with(app: &TestApp, owner: &TestUser, others: &[&TestUser]) -> i64 {
    let room = app.room(owner, "live", "public").await;
    for user in others {
        app.join(user, room).await;
    }
    room
}

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = Duration::from_millis(100);
    c.gateway.session_check = Duration::from_millis(200);
    c.gateway.auth_timeout = Duration::from_millis(500);
}

#[tokio::test]
async fn header_auth_gets_ready_and_a_bad_token_is_a_401() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "lobby", "public").await;
    let (_ws, ready) = app.ws_ready(&alice.token).await;
    assert_eq!(ready["user"]["username"], "alice");
    assert_eq!(ready["rooms"], json!([{"room_id": room, "latest_seq": 1}]));
    match WsClient::connect(&app.base, Some("not-a-token")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a bad token must not get a 101"),
    }
    // A plain GET is not an upgrade.
    app.get("/api/v1/ws", &alice.token)
        .await
        .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn first_frame_auth_works_and_anything_else_is_4001() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let mut ws = WsClient::connect(&app.base, None).await.unwrap();
    ws.send_json(json!({"type": "auth", "token": alice.token}))
        .await;
    assert_eq!(ws.next_json().await["type"], "ready");
    let mut ws = WsClient::connect(&app.base, None).await.unwrap();
    ws.send_json(json!({"type": "auth", "token": "wrong"}))
        .await;
    assert_eq!(ws.closed().await, 4001);
    let mut ws = WsClient::connect(&app.base, None).await.unwrap();
    ws.send_json(json!({"type": "ping"})).await;
    assert_eq!(ws.closed().await, 4001);
    // Silence past the deadline.
    let mut ws = WsClient::connect(&app.base, None).await.unwrap();
    assert_eq!(ws.closed().await, 4001);
}

#[tokio::test]
async fn two_users_talk_live() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = room_with(&app, &alice, &[&bob]).await;
    let (mut a, _) = app.ws_ready(&alice.token).await;
    let (mut b, _) = app.ws_ready(&bob.token).await;
    a.send_json(json!({"type": "resume", "rooms": {}})).await;
    b.send_json(json!({"type": "resume", "rooms": {}})).await;
    a.send_json(json!({"type": "send", "room_id": room, "body": "hi bob", "client_id": "a1"}))
        .await;
    let event = b.next_event().await;
    assert_eq!(event["type"], "message.created");
    assert_eq!(event["room_id"], room);
    assert_eq!(event["seq"], 3);
    assert_eq!(event["message"]["body"], "hi bob");
    // Alice gets her ack and the event too (other devices of hers need it).
    let mut got_ack = false;
    let mut got_event = false;
    while !(got_ack && got_event) {
        let frame = a.next_event().await;
        match frame["type"].as_str().unwrap() {
            "ack" => {
                assert_eq!(frame["client_id"], "a1");
                assert_eq!(frame["message"]["id"], event["message"]["id"]);
                got_ack = true;
            }
            "message.created" => got_event = true,
            other => panic!("unexpected {other}"),
        }
    }
    // A retry of the same client_id acks the original and creates nothing.
    a.send_json(json!({"type": "send", "room_id": room, "body": "hi bob", "client_id": "a1"}))
        .await;
    let ack = a.next_event().await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(ack["message"]["id"], event["message"]["id"]);
    // REST writes reach the socket too: send, edit, delete.
    let sent = app.send(&bob, room, "via rest").await;
    assert_eq!(a.next_event().await["message"]["body"], "via rest");
    app.patch(
        &format!("/api/v1/rooms/{room}/messages/{}", sent["id"]),
        &bob.token,
        json!({"body": "edited"}),
    )
    .await
    .expect(200);
    let updated = a.next_event().await;
    assert_eq!(updated["type"], "message.updated");
    assert_eq!(updated["message"]["body"], "edited");
    app.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", sent["id"]),
        &bob.token,
    )
    .await
    .expect(204);
    let deleted = a.next_event().await;
    assert_eq!(deleted["type"], "message.deleted");
    assert_eq!(deleted["message"]["deleted"], true);
    assert_eq!(deleted["message"]["body"], Value::Null);
    // Errors come back as error frames carrying the client_id.
    a.send_json(json!({"type": "send", "room_id": room, "body": "  ", "client_id": "a2"}))
        .await;
    let error = a.next_event().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["client_id"], "a2");
    assert_eq!(error["error"]["code"], "invalid_request");
    a.send_json(json!({"type": "send", "room_id": 999999, "body": "x", "client_id": "a3"}))
        .await;
    assert_eq!(a.next_event().await["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_client_away_for_100_events_gets_each_exactly_once() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let room = room_with(&app, &alice, &[&carol]).await;
    let (ws, ready) = app.ws_ready(&carol.token).await;
    let seen = ready["rooms"][0]["latest_seq"].as_i64().unwrap();
    drop(ws);
    for i in 0..100 {
        app.send(&alice, room, &format!("while away {i}")).await;
    }
    let (mut ws, _) = app.ws_ready(&carol.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {room.to_string(): seen}}))
        .await;
    for i in 0..100 {
        let event = ws.next_event().await;
        assert_eq!(event["seq"], seen + 1 + i, "{event}");
        assert_eq!(event["message"]["body"], format!("while away {i}"));
    }
    // Then live, with nothing doubled in between.
    app.send(&alice, room, "welcome back").await;
    let live = ws.next_event().await;
    assert_eq!(live["seq"], seen + 101);
    assert_eq!(live["message"]["body"], "welcome back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn resume_while_others_keep_sending_has_no_gap_and_no_duplicate() {
    let app = std::sync::Arc::new(TestApp::spawn_with(quick).await);
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let room = room_with(&app, &alice, &[&carol]).await;
    const TOTAL: i64 = 150;
    let (started, writing) = tokio::sync::oneshot::channel();
    let writer = {
        let app = app.clone();
        let alice = alice.clone();
        tokio::spawn(async move {
            let mut started = Some(started);
            for i in 0..TOTAL {
                app.send(&alice, room, &format!("m{i}")).await;
                if i == 10 {
                    let _ = started.take().unwrap().send(());
                }
            }
        })
    };
    // Connect and resume from the start while the writer is busy: once it
    // has stored some messages (to replay), with most still to come (live).
    writing.await.expect("the writer got going");
    let (mut ws, _) = app.ws_ready(&carol.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {room.to_string(): 0}}))
        .await;
    let mut seqs = Vec::new();
    let mut bodies = Vec::new();
    while bodies.len() < TOTAL as usize {
        let event = ws.next_event().await;
        seqs.push(event["seq"].as_i64().unwrap());
        if event["type"] == "message.created" {
            bodies.push(event["message"]["body"].as_str().unwrap().to_owned());
        }
    }
    writer.await.unwrap();
    let expected: Vec<i64> = (1..=2 + TOTAL).collect();
    assert_eq!(seqs, expected, "every event once, in order");
    assert_eq!(
        bodies,
        (0..TOTAL).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    // No duplicate follows: the next event is a marker sent now.
    app.send(&alice, room, "marker").await;
    let next = ws.next_event().await;
    assert_eq!(next["message"]["body"], "marker", "{next}");
    assert_eq!(next["seq"], 3 + TOTAL);
}

#[tokio::test]
async fn joining_starts_a_rooms_events_and_leaving_stops_them() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    let other = app.room(&bob, "bobs", "public").await;
    let (mut b, ready) = app.ws_ready(&bob.token).await;
    assert_eq!(ready["rooms"].as_array().unwrap().len(), 1);
    b.send_json(json!({"type": "resume", "rooms": {}})).await;
    app.join(&bob, room).await;
    let joined = b.next_event().await;
    assert_eq!(joined["type"], "member.joined");
    assert_eq!(joined["user"]["username"], "bob");
    app.send(&alice, room, "welcome").await;
    assert_eq!(b.next_event().await["message"]["body"], "welcome");
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &bob.token,
        Value::Null,
    )
    .await
    .expect(204);
    let left = b.next_event().await;
    assert_eq!(left["type"], "member.left");
    app.send(&alice, room, "after you left").await;
    app.send(&bob, other, "marker").await;
    let next = b.next_event().await;
    assert_eq!(
        next["message"]["body"], "marker",
        "nothing from the room bob left"
    );
    // Being added by someone else starts events too.
    let private = app.room(&alice, "inner", "private").await;
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &alice.token,
        json!({"username": "bob"}),
    )
    .await
    .expect(201);
    let added = b.next_event().await;
    assert_eq!(added["type"], "member.joined");
    assert_eq!(added["room_id"], private);
}

#[tokio::test]
async fn logout_or_disable_closes_open_sockets_with_4001() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let (mut a, _) = app.ws_ready(&alice.token).await;
    let (mut b, _) = app.ws_ready(&bob.token).await;
    app.logout(&alice.token).await;
    assert_eq!(a.closed().await, 4001);
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    chat_store::accounts::set_disabled(&pool.get().await.unwrap(), "bob", true)
        .await
        .unwrap();
    assert_eq!(b.closed().await, 4001);
}

#[tokio::test]
async fn typing_and_presence_reach_the_others() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = room_with(&app, &alice, &[&bob]).await;
    let (mut b, _) = app.ws_ready(&bob.token).await;
    b.send_json(json!({"type": "resume", "rooms": {}})).await;
    let (mut a, _) = app.ws_ready(&alice.token).await;
    a.send_json(json!({"type": "resume", "rooms": {}})).await;
    let online = b.next_json().await;
    assert_eq!(
        online,
        json!({"type": "presence", "user": {"id": alice.id, "username": "alice", "display_name": "alice"}, "status": "online"})
    );
    a.send_json(json!({"type": "typing", "room_id": room}))
        .await;
    a.send_json(json!({"type": "typing", "room_id": room}))
        .await;
    let typing = b.next_json().await;
    assert_eq!(typing["type"], "typing");
    assert_eq!(typing["room_id"], room);
    assert_eq!(typing["user"]["username"], "alice");
    // Throttled: the second notice within seconds is not passed on, and
    // alice does not hear her own. A message she sends after her typing
    // frames is queued for both of them after anything those caused.
    a.send_json(json!({"type": "send", "room_id": room, "body": "marker", "client_id": "m1"}))
        .await;
    assert_eq!(b.frames_until_message("marker").await, Vec::<Value>::new());
    let before = a.frames_until_message("marker").await;
    assert!(
        before.iter().all(|f| f["type"] == "ack"),
        "alice heard more than her ack: {before:?}"
    );
    drop(a);
    let offline = b.next_json().await;
    assert_eq!(offline["type"], "presence");
    assert_eq!(offline["status"], "offline");
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_floods_are_limited() {
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.gateway.frames_per_second = 5;
    })
    .await;
    let alice = app.user("alice").await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    ws.send_raw(Message::Text("not json".into())).await;
    let error = ws.next_json().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "invalid_request");
    ws.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(ws.next_json().await["error"]["code"], "invalid_request");
    ws.send_json(json!({"type": "typing", "room_id": 424242}))
        .await;
    assert_eq!(ws.next_json().await["error"]["code"], "not_found");
    for _ in 0..30 {
        ws.send_json(json!({"type": "ping"})).await;
    }
    let mut limited = 0;
    let mut pongs = 0;
    while limited + pongs < 30 {
        match ws.next_json().await["type"].as_str().unwrap() {
            "pong" => pongs += 1,
            "error" => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(limited > 0, "a flood must be limited");
    assert!(pongs > 0);
    // An oversized message closes the socket with 1009.
    ws.send_raw(Message::Text("x".repeat(70 * 1024).into()))
        .await;
    assert_eq!(ws.closed().await, 1009);
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_cut_off_and_others_carry_on() {
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.gateway.queue = 16;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = room_with(&app, &alice, &[&bob, &carol]).await;
    let (mut slow, _) = app.ws_ready(&bob.token).await;
    slow.send_json(json!({"type": "resume", "rooms": {}})).await;
    let (mut fine, _) = app.ws_ready(&carol.token).await;
    fine.send_json(json!({"type": "resume", "rooms": {}})).await;
    // Bob never reads; the messages are big so the socket buffers fill.
    let body = "x".repeat(4000);
    let mut sent = 0;
    for _ in 0..1500 {
        app.send(&alice, room, &body).await;
        sent += 1;
        let event = fine.next_event().await;
        assert_eq!(event["message"]["body"].as_str().unwrap().len(), 4000);
    }
    assert_eq!(sent, 1500);
    assert_eq!(slow.closed().await, 4008);
    // Carol is still served.
    app.send(&alice, room, "still here").await;
    assert_eq!(fine.next_event().await["message"]["body"], "still here");
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    let stop = app.stop();
    let (code, ()) = tokio::join!(ws.closed(), stop);
    assert_eq!(code, 1001);
}

#[tokio::test]
async fn events_cross_chatd_instances() {
    let a_app = TestApp::spawn_with(quick).await;
    let b_app = a_app.second_instance(quick).await;
    let alice = a_app.user("alice").await;
    let bob = a_app.user("bob").await;
    let room = room_with(&a_app, &alice, &[&bob]).await;
    let (mut on_b, _) = b_app.ws_ready(&bob.token).await;
    on_b.send_json(json!({"type": "resume", "rooms": {}})).await;
    let (mut on_a, _) = a_app.ws_ready(&alice.token).await;
    on_a.send_json(json!({"type": "resume", "rooms": {}})).await;
    for i in 0..20 {
        a_app.send(&alice, room, &format!("from A {i}")).await;
    }
    for i in 0..20 {
        assert_eq!(
            on_b.next_event().await["message"]["body"],
            format!("from A {i}")
        );
    }
    on_b.send_json(json!({"type": "send", "room_id": room, "body": "from B", "client_id": "b1"}))
        .await;
    let event = on_a.next_event().await;
    let event = if event["type"] == "message.created" && event["message"]["body"] != "from B" {
        // Alice's own sends came back to her first.
        let mut e = event;
        while e["message"]["body"] != "from B" {
            e = on_a.next_event().await;
        }
        e
    } else {
        event
    };
    assert_eq!(event["message"]["body"], "from B");
    // A join on one instance subscribes the joiner's socket on the other.
    let carol = a_app.user("carol").await;
    let (mut carol_b, _) = b_app.ws_ready(&carol.token).await;
    carol_b
        .send_json(json!({"type": "resume", "rooms": {}}))
        .await;
    a_app.join(&carol, room).await;
    assert_eq!(carol_b.next_event().await["type"], "member.joined");
    a_app.send(&alice, room, "hello carol").await;
    assert_eq!(carol_b.next_event().await["message"]["body"], "hello carol");
}

#[tokio::test]
async fn large_frames_are_read_whole_across_many_reads() {
    // A socket reads 512 bytes at a time: a send several times that size,
    // written back to back with small ones, still arrives whole and in order.
    let app = TestApp::spawn_with(quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = room_with(&app, &alice, &[&bob]).await;
    let (mut a, _) = app.ws_ready(&alice.token).await;
    let (mut b, _) = app.ws_ready(&bob.token).await;
    a.send_json(json!({"type": "resume", "rooms": {}})).await;
    b.send_json(json!({"type": "resume", "rooms": {}})).await;
    let bodies = ["é".repeat(3000), "small".to_owned(), "ü€".repeat(1500)];
    for (i, body) in bodies.iter().enumerate() {
        a.send_json(
            json!({"type": "send", "room_id": room, "body": body, "client_id": format!("big{i}")}),
        )
        .await;
    }
    for body in &bodies {
        let event = b.next_event().await;
        assert_eq!(event["type"], "message.created");
        assert_eq!(event["message"]["body"].as_str(), Some(body.as_str()));
    }
}
