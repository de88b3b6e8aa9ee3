//! Rooms, membership, direct conversations and who may see what.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_creator_owns_a_new_room() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let room = app
        .post(
            "/api/v1/rooms",
            &alice.token,
            json!({"name": " general ", "visibility": "public", "topic": "all things"}),
        )
        .await
        .expect(201)["room"]
        .clone();
    assert_eq!(room["name"], "general");
    assert_eq!(room["kind"], "room");
    assert_eq!(room["visibility"], "public");
    assert_eq!(room["topic"], "all things");
    assert_eq!(room["latest_seq"], 1, "the owner's join is logged");
    assert_eq!(room["unread_count"], 0);
    assert_eq!(room["role"], "owner");
    let id = room["id"].as_i64().unwrap();
    let members = app
        .get(&format!("/api/v1/rooms/{id}/members"), &alice.token)
        .await
        .expect(200);
    assert_eq!(members["members"][0]["role"], "owner");
    assert_eq!(members["members"][0]["user"]["username"], "alice");
    for bad in [
        json!({"name": "", "visibility": "public"}),
        json!({"name": "x".repeat(65), "visibility": "public"}),
        json!({"name": "ok", "visibility": "secret"}),
        json!({"name": "ok", "visibility": "private", "topic": "t\u{7}"}),
    ] {
        app.post("/api/v1/rooms", &alice.token, bad)
            .await
            .expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn room_lists_show_my_rooms_and_the_public_ones() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let public = app.room(&alice, "lobby", "public").await;
    let private = app.room(&alice, "secret", "private").await;
    let mine = app.get("/api/v1/rooms", &alice.token).await.expect(200);
    let ids: Vec<i64> = mine["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![public, private]);
    for room in mine["rooms"].as_array().unwrap() {
        assert!(room["latest_seq"].is_i64());
        assert!(room["unread_count"].is_i64());
    }
    assert_eq!(
        app.get("/api/v1/rooms", &bob.token).await.expect(200)["rooms"],
        json!([])
    );
    let listed = app
        .get("/api/v1/rooms/public", &bob.token)
        .await
        .expect(200);
    let listed: Vec<i64> = listed["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![public]);
}

#[tokio::test]
async fn private_rooms_are_invisible_to_outsiders() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let eve = app.user("eve").await;
    let private = app.room(&alice, "secret", "private").await;
    let public = app.room(&alice, "lobby", "public").await;
    app.send(&alice, private, "the plan").await;
    // Everything about a private room answers 404 to a non-member, exactly
    // as for a room that does not exist.
    for room in [private, 999_999] {
        app.get(&format!("/api/v1/rooms/{room}"), &eve.token)
            .await
            .expect_error(404, "not_found");
        app.post(
            &format!("/api/v1/rooms/{room}/join"),
            &eve.token,
            Value::Null,
        )
        .await
        .expect_error(404, "not_found");
        app.get(&format!("/api/v1/rooms/{room}/messages"), &eve.token)
            .await
            .expect_error(404, "not_found");
        app.get(&format!("/api/v1/rooms/{room}/events"), &eve.token)
            .await
            .expect_error(404, "not_found");
        app.get(&format!("/api/v1/rooms/{room}/members"), &eve.token)
            .await
            .expect_error(404, "not_found");
        app.post(
            &format!("/api/v1/rooms/{room}/messages"),
            &eve.token,
            json!({"body": "hi"}),
        )
        .await
        .expect_error(404, "not_found");
        app.post(
            &format!("/api/v1/rooms/{room}/members"),
            &eve.token,
            json!({"username": "eve"}),
        )
        .await
        .expect_error(404, "not_found");
        app.post(
            &format!("/api/v1/rooms/{room}/read"),
            &eve.token,
            json!({"seq": 1}),
        )
        .await
        .expect_error(404, "not_found");
        app.patch(
            &format!("/api/v1/rooms/{room}"),
            &eve.token,
            json!({"topic": "mine"}),
        )
        .await
        .expect_error(404, "not_found");
    }
    // A public room can be looked at, but its content needs membership.
    let seen = app
        .get(&format!("/api/v1/rooms/{public}"), &eve.token)
        .await
        .expect(200);
    assert!(seen["room"].get("role").is_none());
    app.get(&format!("/api/v1/rooms/{public}/messages"), &eve.token)
        .await
        .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/rooms/{public}/messages"),
        &eve.token,
        json!({"body": "hi"}),
    )
    .await
    .expect_error(403, "forbidden");
    // Unauthenticated callers learn nothing.
    app.call(
        reqwest::Method::GET,
        &format!("/api/v1/rooms/{private}"),
        None,
        Value::Null,
    )
    .await
    .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn joining_and_leaving_are_logged() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    let joined = app
        .post(
            &format!("/api/v1/rooms/{room}/join"),
            &bob.token,
            Value::Null,
        )
        .await
        .expect(200);
    assert_eq!(joined["room"]["role"], "member");
    // Joining again changes nothing.
    app.join(&bob, room).await;
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &bob.token,
        Value::Null,
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &bob.token,
        Value::Null,
    )
    .await
    .expect_error(404, "not_found");
    let events = app
        .get(&format!("/api/v1/rooms/{room}/events"), &alice.token)
        .await
        .expect(200)["events"]
        .clone();
    let kinds: Vec<(&str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["user"]["username"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("member.joined", "alice"),
            ("member.joined", "bob"),
            ("member.left", "bob")
        ]
    );
}

#[tokio::test]
async fn who_may_add_members() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let private = app.room(&alice, "secret", "private").await;
    let added = app
        .post(
            &format!("/api/v1/rooms/{private}/members"),
            &alice.token,
            json!({"username": "Bob"}),
        )
        .await
        .expect(201);
    assert_eq!(added["member"]["user"]["username"], "bob");
    assert_eq!(added["member"]["role"], "member");
    // Bob sees the room now, and it is in his list.
    app.get(&format!("/api/v1/rooms/{private}"), &bob.token)
        .await
        .expect(200);
    // A plain member of a private room may not add people.
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &bob.token,
        json!({"username": "carol"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &alice.token,
        json!({"username": "bob"}),
    )
    .await
    .expect_error(409, "conflict");
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &alice.token,
        json!({"username": "nobody"}),
    )
    .await
    .expect_error(404, "not_found");
    // Any member of a public room may.
    let public = app.room(&alice, "lobby", "public").await;
    app.join(&carol, public).await;
    app.post(
        &format!("/api/v1/rooms/{public}/members"),
        &carol.token,
        json!({"username": "dave"}),
    )
    .await
    .expect(201);
    app.get(&format!("/api/v1/rooms/{public}/messages"), &dave.token)
        .await
        .expect(200);
    let members = app
        .get(&format!("/api/v1/rooms/{public}/members"), &dave.token)
        .await
        .expect(200);
    assert_eq!(members["members"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn only_moderators_change_a_room() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    app.patch(
        &format!("/api/v1/rooms/{room}"),
        &bob.token,
        json!({"topic": "mine now"}),
    )
    .await
    .expect_error(403, "forbidden");
    let updated = app
        .patch(
            &format!("/api/v1/rooms/{room}"),
            &alice.token,
            json!({"topic": "welcome"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["room"]["topic"], "welcome");
    assert_eq!(updated["room"]["name"], "lobby");
    let events = app
        .get(&format!("/api/v1/rooms/{room}/events?after=2"), &bob.token)
        .await
        .expect(200);
    assert_eq!(events["events"][0]["type"], "room.updated");
    assert_eq!(events["events"][0]["room"]["topic"], "welcome");
}

#[tokio::test]
async fn a_leaving_owner_hands_the_room_on() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &alice.token,
        Value::Null,
    )
    .await
    .expect(204);
    let members = app
        .get(&format!("/api/v1/rooms/{room}/members"), &bob.token)
        .await
        .expect(200);
    assert_eq!(
        members["members"],
        json!([{"user": {"id": bob.id, "username": "bob", "display_name": "bob"}, "role": "owner"}])
    );
}

#[tokio::test]
async fn a_direct_room_is_unique_per_pair() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let eve = app.user("eve").await;
    let first = app
        .post("/api/v1/dms", &alice.token, json!({"username": "bob"}))
        .await
        .expect(201)["room"]
        .clone();
    assert_eq!(first["kind"], "direct");
    assert_eq!(first["visibility"], "private");
    assert_eq!(first["name"], "bob", "named after the other participant");
    let again = app
        .post("/api/v1/dms", &bob.token, json!({"username": "ALICE"}))
        .await
        .expect(200)["room"]
        .clone();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["name"], "alice");
    let id = first["id"].as_i64().unwrap();
    app.send(&bob, id, "psst").await;
    app.get(&format!("/api/v1/rooms/{id}/messages"), &eve.token)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/rooms/{id}/members"),
        &alice.token,
        json!({"username": "eve"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post("/api/v1/dms", &alice.token, json!({"username": "alice"}))
        .await
        .expect_error(400, "invalid_request");
    app.post("/api/v1/dms", &alice.token, json!({"username": "nobody"}))
        .await
        .expect_error(404, "not_found");
    // Concurrent first contact still yields one room.
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let (a, b) = tokio::join!(
        app.post("/api/v1/dms", &carol.token, json!({"username": "dave"})),
        app.post("/api/v1/dms", &dave.token, json!({"username": "carol"})),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(a.body["room"]["id"], b.body["room"]["id"]);
}

#[tokio::test]
async fn an_archived_room_keeps_its_history_but_takes_nothing_new() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "old times", "public").await;
    app.send(&alice, room, "the last word").await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;

    // Archived the way chatctl does it: logged, then announced after commit.
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let mut client = pool.get().await.unwrap();
    let archived = chat_store::rooms::archive(&mut client, room).await.unwrap();
    let seq = archived.events()[0].seq;
    chat_store::notify::announce(&client, "chatctl", &archived.hints())
        .await
        .unwrap();
    let event = ws.next_event().await;
    assert_eq!(event["type"], "room.updated");
    assert_eq!(event["seq"], seq);
    assert_eq!(event["room"]["archived"], true);

    let path = format!("/api/v1/rooms/{room}/messages");
    app.post(&path, &alice.token, json!({"body": "anyone?"}))
        .await
        .expect_error(403, "forbidden");
    let history = app.get(&path, &alice.token).await.expect(200);
    assert_eq!(history["messages"][0]["body"], "the last word");
    app.post(&format!("/api/v1/rooms/{room}/join"), &bob.token, json!({}))
        .await
        .expect_error(403, "forbidden");
    let public = app
        .get("/api/v1/rooms/public", &bob.token)
        .await
        .expect(200);
    assert_eq!(public["rooms"], json!([]));
}
