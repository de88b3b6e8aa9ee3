//! One socket with many sends in flight, among other senders of its room,
//! and listen-only sockets that get live events at once (issue 22,
//! findings 1 and 2).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, WsClient};

#[tokio::test]
async fn one_socket_pipelines_sends_and_acks_them_in_order() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limits.sends_per_user = chatd::ratelimit::Limit::OFF;
        c.gateway.frames_per_second = 100_000;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let lobby = app.room(&alice, "lobby", "public").await;
    let kitchen = app.room(&alice, "kitchen", "public").await;
    app.join(&bob, lobby).await;
    let root = app.send(&alice, lobby, "root").await["id"]
        .as_i64()
        .unwrap();
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;

    // Many sends written without waiting for any answer: two rooms, some
    // thread replies among them, one refused (an unknown thread root).
    const SENDS: usize = 600;
    for i in 0..SENDS {
        let mut frame = json!({"type": "send", "room_id": if i % 3 == 0 { kitchen } else { lobby },
                               "body": format!("m{i}"), "client_id": format!("c{i}")});
        if i % 50 == 7 {
            frame["room_id"] = json!(lobby);
            frame["thread_root"] = json!(root);
        }
        if i == 301 {
            frame["thread_root"] = json!(999_999);
        }
        ws.send_json(frame).await;
    }
    // Answers come in the order the sends were written.
    let mut answers = Vec::new();
    while answers.len() < SENDS {
        let frame = ws.next_json().await;
        if frame["type"] == "ack" || frame["type"] == "error" {
            answers.push(frame);
        }
    }
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["client_id"], format!("c{i}"), "{answer}");
        let expected = if i == 301 { "error" } else { "ack" };
        assert_eq!(answer["type"], expected, "{answer}");
    }
    // Per room, seqs follow the order of the sends, top-level and thread
    // replies alike.
    for room in [lobby, kitchen] {
        let seqs: Vec<i64> = answers
            .iter()
            .filter(|a| a["message"]["room_id"] == room)
            .map(|a| a["message"]["seq"].as_i64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }
    // Each stored once: the retry of one of them returns the original.
    ws.send_json(json!({"type": "send", "room_id": lobby, "body": "m1", "client_id": "c1"}))
        .await;
    let again = loop {
        let frame = ws.next_json().await;
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(again["message"]["id"], answers[1]["message"]["id"]);
    let sql = app.sql().await;
    let stored: i64 = sql
        .query_one(
            "SELECT count(*) FROM messages WHERE author_id = $1 AND client_id IS NOT NULL",
            &[&alice.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, SENDS as i64 - 1);
    // A ping is a barrier: nothing of the sends before it is answered
    // after the pong.
    ws.send_json(json!({"type": "send", "room_id": lobby, "body": "last", "client_id": "z"}))
        .await;
    let before_pong = ws.drain_until_pong().await;
    assert!(
        before_pong
            .iter()
            .any(|f| f["type"] == "ack" && f["client_id"] == "z"),
        "{before_pong:?}"
    );
}

#[tokio::test]
async fn a_listen_only_socket_hears_live_events_without_sending_anything() {
    // A grace far longer than the test: only `resume=false` can let the
    // event through before the client's first frame.
    let app = TestApp::spawn_with(|c| c.gateway.resume_grace = Duration::from_secs(3600)).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let mut ws = WsClient::connect_to(&app.base, "/api/v1/ws?resume=false", Some(&bob.token))
        .await
        .unwrap();
    assert_eq!(ws.next_json().await["type"], "ready");
    app.send(&alice, room, "straight through").await;
    let event = ws.next_event().await;
    assert_eq!(event["type"], "message.created");
    assert_eq!(event["message"]["body"], "straight through");

    // A bad value is a clear 400 at the upgrade.
    let refused =
        WsClient::connect_to(&app.base, "/api/v1/ws?resume=maybe", Some(&bob.token)).await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn senders_sharing_a_room_keep_their_own_order() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limits.sends_per_user = chatd::ratelimit::Limit::OFF;
        c.gateway.frames_per_second = 100_000;
    })
    .await;
    let owner = app.user("owner").await;
    let room = app.room(&owner, "hot", "public").await;
    let mut posters = Vec::new();
    for i in 0..8 {
        let user = app.user(&format!("poster{i}")).await;
        app.join(&user, room).await;
        posters.push(user);
    }
    // One socket with many sends in flight, and eight REST senders with
    // one each at a time, all in one room: however the writer batches
    // them, no sender's later message is stored before an earlier one.
    let (mut ws, _) = app.ws_ready(&owner.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;
    const PIPELINED: usize = 300;
    const EACH: usize = 40;
    for i in 0..PIPELINED {
        ws.send_json(
            json!({"type": "send", "room_id": room, "body": format!("{i}"),
                            "client_id": format!("w{i}")}),
        )
        .await;
    }
    let posting = posters.iter().map(|user| {
        let app = &app;
        async move {
            for n in 0..EACH {
                app.send(user, room, &n.to_string()).await;
            }
        }
    });
    // The socket's acks and events are read meanwhile, so it keeps up.
    let reading = async {
        let mut acks = 0;
        while acks < PIPELINED {
            if ws.next_json().await["type"] == "ack" {
                acks += 1;
            }
        }
    };
    tokio::join!(futures_util::future::join_all(posting), reading);
    let sql = app.sql().await;
    let rows = sql
        .query(
            "SELECT author_id, body FROM messages WHERE room_id = $1 ORDER BY seq",
            &[&room],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), PIPELINED + 8 * EACH);
    let mut last: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for row in rows {
        let author: i64 = row.get(0);
        let n: i64 = row.get::<_, String>(1).parse().unwrap();
        let previous = last.insert(author, n);
        assert_eq!(
            n,
            previous.map_or(0, |p| p + 1),
            "author {author}: {n} after {previous:?}"
        );
    }
}
