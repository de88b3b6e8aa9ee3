//! The event log's, the mentions' and the messages' references to rooms,
//! messages and people, which statements guarantee instead of foreign
//! keys, survive rows deleted by hand.

use crate::helpers::TestApp;
use crate::messages::two_in_a_room;

#[tokio::test]
async fn the_event_log_keeps_its_references_when_rows_are_deleted_by_hand() {
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let kept = app.room(&bob, "kitchen", "public").await;
    let hello = app.send(&alice, lobby, "hello @bob").await["id"]
        .as_i64()
        .unwrap();
    let still = app.send(&bob, kept, "still here").await["id"]
        .as_i64()
        .unwrap();
    let carol = app.user("carol").await;
    app.join(&carol, kept).await;
    app.send(&bob, kept, "welcome @carol").await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let problems = || async { chat_store::stats::event_log_problems(&db).await.unwrap() };
    let count = |sql: &'static str, id: i64| {
        let db = &db;
        async move { db.query_one(sql, &[&id]).await.unwrap().get::<_, i64>(0) }
    };
    let events_of = |room| count("SELECT count(*) FROM room_events WHERE room_id = $1", room);
    let mentions_in = |room| count("SELECT count(*) FROM mentions WHERE room_id = $1", room);
    let messages_in = |room| count("SELECT count(*) FROM messages WHERE room_id = $1", room);
    assert_eq!(mentions_in(lobby).await, 1);
    assert_eq!(mentions_in(kept).await, 1);
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
    assert_eq!(messages_in(lobby).await, 0, "messages go with their room");
    assert_eq!(mentions_in(lobby).await, 0, "mentions go with their room");
    assert_eq!(problems().await, Vec::<String>::new());
    // A person deleted by hand takes their mentions along.
    db.execute("DELETE FROM users WHERE id = $1", &[&carol.id])
        .await
        .unwrap();
    assert_eq!(mentions_in(kept).await, 0, "mentions go with their person");
    // Someone who wrote messages cannot be deleted: they would lose their author.
    let refused = db
        .execute("DELETE FROM users WHERE id = $1", &[&bob.id])
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION)
    );
    assert_eq!(messages_in(kept).await, 2);
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
    db.execute(
        "INSERT INTO mentions (room_id, message_id, user_id, author_id, seq) \
         VALUES ($1, 999998, $2, $2, 1), ($1, $3, 777777, $2, 1)",
        &[&kept, &bob.id, &still],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO messages (room_id, seq, author_id, body, reply_to, thread_root) \
         VALUES (424243, 1, $2, 'lost room', NULL, NULL), \
                ($1, 1001, 777776, 'lost author', NULL, NULL), \
                ($1, 1002, $2, 'lost parent', 999997, NULL), \
                ($1, 1003, $2, 'lost root', NULL, 999996)",
        &[&kept, &bob.id],
    )
    .await
    .unwrap();
    let found = problems().await;
    for (room, what) in [
        (424243, "belongs to a room that does not exist"),
        (kept, "has an author who does not exist"),
        (kept, "replies to a message that does not exist"),
        (kept, "is in the thread of a message that does not exist"),
    ] {
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(&format!("room {room}: message ")) && p.ends_with(what)),
            "{what}: {found:?}"
        );
    }
    assert!(
        found.iter().any(|p| p.contains(&format!(
            "room {kept}: a mention of user {} points at message 999998",
            bob.id
        ))),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("mentions user 777777, who does not exist")),
        "{found:?}"
    );
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
