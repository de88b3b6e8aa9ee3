//! The event log's references to rooms and messages, which statements
//! guarantee instead of foreign keys, survive rows deleted by hand.

use crate::helpers::TestApp;
use crate::messages::two_in_a_room;

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
