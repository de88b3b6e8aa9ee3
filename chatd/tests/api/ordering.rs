//! The event log's central promise: within a room, seq order is commit
//! order. A reader polling `after = last seen` while many writers commit
//! concurrently must see every event exactly once, in order.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::TestApp;

const WRITERS: usize = 8;
const PER_WRITER: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_polling_reader_never_misses_a_concurrent_commit() {
    let app = TestApp::spawn_with(|c| c.db_pool_size = 16).await;
    let owner = app.user("owner").await;
    let room = app.room(&owner, "busy", "public").await;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let user = app.user(&format!("writer{w}")).await;
        app.join(&user, room).await;
        writers.push(user);
    }
    let start_seq = 1 + WRITERS as i64; // the owner's and writers' joins
    let total = WRITERS * PER_WRITER;

    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for user in writers {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                app.post(
                    &format!("/api/v1/rooms/{room}/messages"),
                    &user.token,
                    json!({"body": format!("{} #{i}", user.username), "client_id": format!("{}-{i}", user.username)}),
                )
                .await
                .expect(201);
            }
        }));
    }

    // Poll like a client catching up: always ask for what follows the last
    // seq seen. Seqs may have gaps (a rolled-back write), but must only grow.
    let mut last = start_seq;
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while seen.len() < total && std::time::Instant::now() < deadline {
        let page = app
            .get(
                &format!("/api/v1/rooms/{room}/events?after={last}&limit=7"),
                &owner.token,
            )
            .await
            .expect(200);
        for event in page["events"].as_array().unwrap() {
            let seq = event["seq"].as_i64().unwrap();
            assert!(seq > last, "seq went backwards: {seq} after {last}");
            last = seq;
            seen.push(event["message"]["id"].as_i64().unwrap());
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    // The log as it stands once every writer is done; the poller must have
    // seen exactly this, in this order.
    let db = app.sql().await;
    let rows = db
        .query(
            "SELECT message_id FROM room_events WHERE room_id = $1 AND seq > $2 ORDER BY seq",
            &[&room, &start_seq],
        )
        .await
        .unwrap();
    let log: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(seen, log, "the poller missed or reordered events");
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), total, "every message exactly once");
    let tail = app
        .get(
            &format!("/api/v1/rooms/{room}/events?after={last}"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(tail["events"], json!([]), "nothing beyond what was seen");
    // History agrees with the log, message for message.
    let rows = db
        .query(
            "SELECT id FROM messages WHERE room_id = $1 ORDER BY seq",
            &[&room],
        )
        .await
        .unwrap();
    let history: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(history, seen);
}
