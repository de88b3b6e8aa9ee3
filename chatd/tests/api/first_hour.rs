//! What a newcomer meets first: public room names that name one room, a
//! room that is public unless asked otherwise, history pages that say
//! whether more exist, and a client_id that cannot quietly stand for two
//! different messages.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn public_room_names_are_unique_ignoring_case() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let general = app.room(&alice, "general", "public").await;
    let taken = app
        .post(
            "/api/v1/rooms",
            &bob.token,
            json!({"name": "General", "visibility": "public"}),
        )
        .await
        .expect_error(409, "conflict");
    assert!(
        taken["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{taken}"
    );
    // Private rooms may share a name, with a public one and each other.
    app.room(&bob, "general", "private").await;
    app.room(&alice, "general", "private").await;
    // Renaming onto a taken public name is refused too; the room keeps its name.
    let random = app.room(&bob, "random", "public").await;
    app.patch(
        &format!("/api/v1/rooms/{random}"),
        &bob.token,
        json!({"name": "GENERAL"}),
    )
    .await
    .expect_error(409, "conflict");
    let room = app
        .get(&format!("/api/v1/rooms/{random}"), &bob.token)
        .await
        .expect(200);
    assert_eq!(room["room"]["name"], "random");
    let public = app
        .get("/api/v1/rooms/public", &bob.token)
        .await
        .expect(200);
    let ids: Vec<i64> = public["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [general, random]);
}

#[tokio::test]
async fn rooms_are_public_unless_asked_otherwise() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app
        .post("/api/v1/rooms", &alice.token, json!({"name": "lobby"}))
        .await
        .expect(201);
    assert_eq!(room["room"]["visibility"], "public");
}

#[tokio::test]
async fn history_pages_say_whether_more_exist() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "log", "public").await;
    let mut seqs = Vec::new();
    for i in 0..5 {
        seqs.push(
            app.send(&alice, room, &format!("m{i}")).await["seq"]
                .as_i64()
                .unwrap(),
        );
    }
    let path = format!("/api/v1/rooms/{room}/messages");
    let page = |query: String| {
        let app = &app;
        let token = alice.token.clone();
        let path = path.clone();
        async move {
            app.get(&format!("{path}?{query}"), &token)
                .await
                .expect(200)
        }
    };
    let newest = page("limit=2".into()).await;
    assert_eq!(newest["messages"][0]["body"], "m3");
    assert_eq!(newest["has_more"], true);
    let older = page(format!("limit=2&before={}", seqs[3])).await;
    assert_eq!(older["messages"][0]["body"], "m1");
    assert_eq!(older["has_more"], true);
    let oldest = page(format!("limit=2&before={}", seqs[1])).await;
    assert_eq!(oldest["messages"].as_array().unwrap().len(), 1);
    assert_eq!(oldest["has_more"], false);
    let after = page(format!("limit=3&after={}", seqs[0])).await;
    assert_eq!(after["messages"][2]["body"], "m3");
    assert_eq!(after["has_more"], true);
    let all = page("limit=5".into()).await;
    assert_eq!(all["has_more"], false);
}

#[tokio::test]
async fn a_client_id_reused_for_another_text_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "log", "public").await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let first = app
        .post(
            &path,
            &alice.token,
            json!({"body": "hello", "client_id": "c-1"}),
        )
        .await
        .expect(201);
    // The same text again is a retry: the original, not a copy.
    let retry = app
        .post(
            &path,
            &alice.token,
            json!({"body": "  hello ", "client_id": "c-1"}),
        )
        .await
        .expect(200);
    assert_eq!(retry["message"]["id"], first["message"]["id"]);
    let refused = app
        .post(
            &path,
            &alice.token,
            json!({"body": "goodbye", "client_id": "c-1"}),
        )
        .await
        .expect_error(409, "conflict");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("client_id"),
        "{refused}"
    );
    let history = app.get(&path, &alice.token).await.expect(200);
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_direct_message_brings_back_the_one_who_left() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let dm = app
        .post("/api/v1/dms", &alice.token, json!({"username": "bob"}))
        .await
        .expect(201)["room"]["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/api/v1/rooms/{dm}/leave"), &bob.token, json!({}))
        .await
        .expect(204);
    let (mut ws, _) = app.ws_ready(&bob.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;

    // Alice writes in the conversation Bob left: he is back in it, hears
    // that he joined, and finds the message waiting, unread.
    app.send(&alice, dm, "are you still there?").await;
    let joined = ws.next_event().await;
    assert_eq!(joined["type"], "member.joined", "{joined}");
    assert_eq!(joined["room_id"], dm);
    assert_eq!(joined["user"]["username"], "bob");
    let rooms = app.get("/api/v1/rooms", &bob.token).await.expect(200);
    let back = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == dm)
        .cloned()
        .expect("the direct room is in bob's list again");
    assert_eq!(back["unread_count"], 1, "{back}");
    let history = app
        .get(&format!("/api/v1/rooms/{dm}/messages"), &bob.token)
        .await
        .expect(200);
    assert_eq!(history["messages"][0]["body"], "are you still there?");
    // Only a direct room does this: leaving a group room stays left.
    let lobby = app.room(&alice, "lobby", "public").await;
    app.join(&bob, lobby).await;
    app.post(
        &format!("/api/v1/rooms/{lobby}/leave"),
        &bob.token,
        json!({}),
    )
    .await
    .expect(204);
    app.send(&alice, lobby, "anyone?").await;
    app.get(&format!("/api/v1/rooms/{lobby}/messages"), &bob.token)
        .await
        .expect_error(403, "forbidden");
}
