//! Edit history (issue 15): every earlier text kept until a delete erases
//! all of it, and a retried send answered with the message as it is now.

use serde_json::json;

use crate::conversations::{message_now, pin, react, room_events, two_instances};
use crate::helpers::TestApp;

/// Every text and jsonb column of every table, as `(table, column)`.
async fn text_columns(db: &tokio_postgres::Client) -> Vec<(String, String)> {
    db.query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' \
           AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'tsvector', 'ARRAY')",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

#[tokio::test]
async fn history_keeps_every_earlier_text_until_a_delete_erases_all_of_it() {
    let (a, b, alice, bob, room, mut ws) = two_instances().await;
    let marker = "zq7wombatmarker";
    let sent = a.send(&alice, room, &format!("original {marker}")).await;
    let id = sent["id"].as_i64().unwrap();
    let path = format!("/api/v1/rooms/{room}/messages/{id}");
    let history = format!("{path}/history");
    assert_eq!(
        b.get(&history, &bob.token).await.expect(200),
        json!({"revisions": []})
    );
    for body in [format!("second {marker}"), "third".to_owned()] {
        a.patch(&path, &alice.token, json!({"body": body}))
            .await
            .expect(200);
    }
    let revisions = b.get(&history, &bob.token).await.expect(200)["revisions"].clone();
    let bodies: Vec<&str> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [format!("original {marker}"), format!("second {marker}")]
    );
    assert!(
        revisions[0]["edited_at"].as_str().unwrap() <= revisions[1]["edited_at"].as_str().unwrap()
    );
    assert!(revisions[0]["edited_at"].as_str().unwrap().ends_with('Z'));

    // Reactions and a pin, then the delete erases them all.
    react(&b, &bob, room, id, "👍").await.expect(204);
    pin(&b, &bob, room, id).await.expect(204);
    a.delete(&path, &alice.token).await.expect(204);
    assert_eq!(
        b.get(&history, &bob.token).await.expect(200),
        json!({"revisions": []})
    );
    let now = message_now(&b, &bob, room, id).await;
    assert_eq!(now["deleted"], true);
    assert_eq!(now["reactions"], json!([]));
    assert_eq!(now["pinned"], false);
    assert_eq!(
        b.get(&format!("/api/v1/rooms/{room}/pins"), &bob.token)
            .await
            .expect(200),
        json!({"messages": []})
    );

    // The deleted event carries the message as it is now; so does every
    // earlier event of it a client replays.
    a.send(&alice, room, "marker").await;
    let frames = ws.frames_until_message("marker").await;
    let events = room_events(&frames);
    let deleted = events
        .iter()
        .find(|e| e["type"] == "message.deleted")
        .expect("message.deleted arrived");
    assert_eq!(deleted["message"]["reactions"], json!([]));
    assert_eq!(deleted["message"]["pinned"], false);
    let log = a
        .get(
            &format!("/api/v1/rooms/{room}/events?after=0"),
            &alice.token,
        )
        .await
        .expect(200);
    let log_text = log.to_string();
    assert!(!log_text.contains(marker), "{log_text}");
    for event in log["events"].as_array().unwrap() {
        if event["message"]["id"] == id {
            assert_eq!(event["message"]["reactions"], json!([]), "{event}");
            assert_eq!(event["message"]["pinned"], false, "{event}");
        }
    }

    // Nothing of the text remains in any table.
    let db = a.sql().await;
    let columns = text_columns(&db).await;
    assert!(
        columns.contains(&("message_revisions".into(), "body".into())),
        "{columns:?}"
    );
    for (table, column) in columns {
        let sql = format!(
            "SELECT count(*) FROM \"{table}\" WHERE \"{column}\"::text LIKE '%' || $1 || '%'"
        );
        let count: i64 = db.query_one(&sql, &[&marker]).await.unwrap().get(0);
        assert_eq!(count, 0, "{table}.{column} still holds the deleted text");
    }
}

#[tokio::test]
async fn a_retried_send_returns_the_message_as_it_is_now() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "lobby", "public").await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let send = json!({"body": "once", "client_id": "retry-1"});
    let sent = app
        .post(&path, &alice.token, send.clone())
        .await
        .expect(201)["message"]
        .clone();
    let id = sent["id"].as_i64().unwrap();
    react(&app, &alice, room, id, "👍").await.expect(204);
    pin(&app, &alice, room, id).await.expect(204);
    let retried = app.post(&path, &alice.token, send).await.expect(200)["message"].clone();
    assert_eq!(retried["id"], id);
    assert_eq!(
        retried["reactions"],
        json!([{"emoji": "👍", "count": 1, "user_ids": [alice.id]}])
    );
    assert_eq!(retried["pinned"], true);
}
