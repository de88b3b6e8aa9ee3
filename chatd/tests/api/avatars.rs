//! Avatars (issue 17): a user's and a room's image, shown through its
//! thumbnail, who may set them, who may see them, and how others hear of
//! a change.

use std::io::Cursor;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, TestUser, WsClient};
use crate::reports::server_admin;

/// Uploads a file and returns its id.
async fn upload(app: &TestApp, user: &TestUser, name: &str, bytes: Vec<u8>) -> i64 {
    app.raw(
        Method::POST,
        &format!("/api/v1/files?name={name}"),
        Some(&user.token),
        Some("application/octet-stream"),
        bytes,
    )
    .await
    .expect(201)["file"]["id"]
        .as_i64()
        .unwrap()
}

fn png() -> Vec<u8> {
    let image = image::DynamicImage::new_rgb8(64, 48);
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn put(app: &TestApp, path: &str, user: &TestUser, body: Value) -> Answer {
    app.call(Method::PUT, path, Some(&user.token), body).await
}

/// The next room event on the socket that is not a message (skips the
/// `message.*` events the test's own sends produce).
async fn next_room_change(ws: &mut WsClient) -> Value {
    loop {
        let frame = ws.next_event().await;
        if !frame["type"].as_str().unwrap().starts_with("message.") {
            return frame;
        }
    }
}

#[tokio::test]
async fn my_avatar_shows_wherever_i_do_until_i_clear_it() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let picture = upload(&app, &alice, "me.png", png()).await;
    let thumbnail = format!("/api/v1/files/{picture}/thumbnail");

    // Before it is an avatar, only alice reads her upload.
    app.get(&thumbnail, &carol.token)
        .await
        .expect_error(404, "not_found");

    let user = put(
        &app,
        "/api/v1/me/avatar",
        &alice,
        json!({"file_id": picture}),
    )
    .await
    .expect(200)["user"]
        .clone();
    assert_eq!(user["avatar"]["id"], picture, "{user}");
    assert_eq!(user["avatar"]["content_type"], "image/png");
    assert_eq!(user["avatar"]["has_thumbnail"], true);

    // Every view of alice carries it: her own, another user's, the
    // directory, the room's members, and her messages (as an id).
    let me = app.get("/api/v1/me", &alice.token).await.expect(200);
    assert_eq!(me["user"]["avatar"]["id"], picture);
    let profile = app.get("/api/v1/users/alice", &bob.token).await.expect(200);
    assert_eq!(profile["user"]["avatar"], user["avatar"]);
    let found = app.get("/api/v1/users?q=ali", &bob.token).await.expect(200);
    assert_eq!(found["users"][0]["avatar"]["id"], picture, "{found}");
    let members = app
        .get(&format!("/api/v1/rooms/{room}/members"), &bob.token)
        .await
        .expect(200);
    let listed: Vec<(&str, Option<i64>)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let user = &m["user"];
            (
                user["username"].as_str().unwrap(),
                user["avatar_id"].as_i64(),
            )
        })
        .collect();
    assert_eq!(listed, [("alice", Some(picture)), ("bob", None)]);

    let (mut ws, _) = app.ws_ready(&bob.token).await;
    app.send(&alice, room, "hello with a face").await;
    let created = ws.next_event().await;
    assert_eq!(created["type"], "message.created");
    assert_eq!(created["message"]["author"]["avatar_id"], picture);
    let history = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    assert_eq!(
        history["messages"][0]["author"]["avatar_id"], picture,
        "{history}"
    );

    // Anyone may fetch an avatar's thumbnail, even someone who shares no
    // room with her.
    let res = reqwest::Client::new()
        .get(format!("{}{thumbnail}", app.base))
        .bearer_auth(&carol.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/")
    );

    // Cleared, it is gone from her profile and messages, and back to
    // being her private upload.
    let cleared = app
        .delete("/api/v1/me/avatar", &alice.token)
        .await
        .expect(200);
    assert_eq!(cleared["user"]["avatar"], Value::Null);
    let history = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    assert!(history["messages"][0]["author"].get("avatar_id").is_none());
    app.get(&thumbnail, &carol.token)
        .await
        .expect_error(404, "not_found");
    // Null clears too.
    put(
        &app,
        "/api/v1/me/avatar",
        &alice,
        json!({"file_id": picture}),
    )
    .await
    .expect(200);
    let cleared = put(&app, "/api/v1/me/avatar", &alice, json!({"file_id": null}))
        .await
        .expect(200);
    assert_eq!(cleared["user"]["avatar"], Value::Null);
}

#[tokio::test]
async fn an_avatar_is_an_image_of_my_own() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    let notes = upload(&app, &alice, "notes.txt", b"not a picture".to_vec()).await;
    let html = upload(
        &app,
        &alice,
        "fake.png",
        b"<html><script>x</script>".to_vec(),
    )
    .await;
    let bobs = upload(&app, &bob, "bob.png", png()).await;
    let room_path = format!("/api/v1/rooms/{room}/avatar");

    for path in ["/api/v1/me/avatar", room_path.as_str()] {
        for file in [notes, html] {
            let refused = put(&app, path, &alice, json!({"file_id": file})).await;
            let body = refused.expect_error(400, "not_an_image");
            assert!(
                body["error"]["message"].as_str().unwrap().contains("image"),
                "{body}"
            );
        }
        // Someone else's file, and one that does not exist.
        for file in [bobs, 999_999] {
            put(&app, path, &alice, json!({"file_id": file}))
                .await
                .expect_error(400, "invalid_request");
        }
        put(&app, path, &alice, json!({"file_id": "me.png"}))
            .await
            .expect_error(400, "invalid_request");
    }
    let me = app.get("/api/v1/me", &alice.token).await.expect(200);
    assert_eq!(me["user"]["avatar"], Value::Null);
    let lobby = app
        .get(&format!("/api/v1/rooms/{room}"), &alice.token)
        .await
        .expect(200);
    assert_eq!(lobby["room"]["avatar"], Value::Null);
}

#[tokio::test]
async fn room_avatars_are_for_moderators_and_reach_members_live_and_on_resume() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let admin = server_admin(&app, "root").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let path = format!("/api/v1/rooms/{room}/avatar");
    let (mut ws, ready) = app.ws_ready(&bob.token).await;
    let before = ready["rooms"][0]["latest_seq"].as_i64().unwrap();

    // A plain member, and a stranger to the public room, may not.
    let bobs = upload(&app, &bob, "bob.png", png()).await;
    put(&app, &path, &bob, json!({"file_id": bobs}))
        .await
        .expect_error(403, "forbidden");
    app.delete(&path, &bob.token)
        .await
        .expect_error(403, "forbidden");
    let carols = upload(&app, &carol, "carol.png", png()).await;
    put(&app, &path, &carol, json!({"file_id": carols}))
        .await
        .expect_error(403, "forbidden");

    // The owner may; the member hears of it as room.updated.
    let picture = upload(&app, &alice, "lobby.png", png()).await;
    let set = put(&app, &path, &alice, json!({"file_id": picture}))
        .await
        .expect(200);
    assert_eq!(set["room"]["avatar"]["id"], picture, "{set}");
    let event = next_room_change(&mut ws).await;
    assert_eq!(event["type"], "room.updated", "{event}");
    assert_eq!(event["room"]["avatar"]["id"], picture, "{event}");
    assert_eq!(event["room"]["name"], "lobby");
    assert_eq!(event["user"]["username"], "alice");

    // Room objects carry it: one room, my rooms, the public list.
    let one = app
        .get(&format!("/api/v1/rooms/{room}"), &carol.token)
        .await
        .expect(200);
    assert_eq!(one["room"]["avatar"]["id"], picture);
    let mine = app.get("/api/v1/rooms", &bob.token).await.expect(200);
    assert_eq!(mine["rooms"][0]["avatar"]["id"], picture);
    let public = app
        .get("/api/v1/rooms/public", &carol.token)
        .await
        .expect(200);
    assert_eq!(public["rooms"][0]["avatar"]["id"], picture);
    app.get(&format!("/api/v1/files/{picture}/thumbnail"), &carol.token)
        .await
        .expect(200);

    // A topic change keeps the avatar in its event; a server admin who is
    // not a member may clear it.
    app.patch(
        &format!("/api/v1/rooms/{room}"),
        &alice.token,
        json!({"topic": "new topic"}),
    )
    .await
    .expect(200);
    let topic = next_room_change(&mut ws).await;
    assert_eq!(topic["room"]["topic"], "new topic");
    assert_eq!(topic["room"]["avatar"]["id"], picture, "{topic}");
    let cleared = app.delete(&path, &admin.token).await.expect(200);
    assert_eq!(cleared["room"]["avatar"], Value::Null);
    let gone = next_room_change(&mut ws).await;
    assert_eq!(gone["type"], "room.updated");
    assert_eq!(gone["room"]["avatar"], Value::Null, "{gone}");
    assert_eq!(gone["user"]["username"], "root");

    // A client that was away replays the three changes in order.
    let (mut late, _) = app.ws_ready(&bob.token).await;
    late.send_json(json!({"type": "resume", "rooms": {room.to_string(): before}}))
        .await;
    let replayed: Vec<Value> = [
        next_room_change(&mut late).await,
        next_room_change(&mut late).await,
        next_room_change(&mut late).await,
    ]
    .into_iter()
    .map(|e| e["room"]["avatar"]["id"].clone())
    .collect();
    assert_eq!(replayed, [json!(picture), json!(picture), Value::Null]);
}

#[tokio::test]
async fn a_private_rooms_avatar_stays_in_the_room() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "secret", "private").await;
    let picture = upload(&app, &alice, "secret.png", png()).await;
    let path = format!("/api/v1/rooms/{room}/avatar");
    put(&app, &path, &alice, json!({"file_id": picture}))
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/rooms/{room}/members"),
        &alice.token,
        json!({"username": "bob"}),
    )
    .await
    .expect(201);

    // A member sees it; a stranger gets the 404 of a room and a file that
    // do not exist, and cannot set it either.
    let thumbnail = format!("/api/v1/files/{picture}/thumbnail");
    app.get(&thumbnail, &bob.token).await.expect(200);
    app.get(&thumbnail, &carol.token)
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/api/v1/files/{picture}"), &carol.token)
        .await
        .expect_error(404, "not_found");
    let carols = upload(&app, &carol, "carol.png", png()).await;
    put(&app, &path, &carol, json!({"file_id": carols}))
        .await
        .expect_error(404, "not_found");
    app.delete(&path, &carol.token)
        .await
        .expect_error(404, "not_found");

    // A direct conversation has no avatar of its own: it shows the other
    // participant's.
    let face = upload(&app, &alice, "alice.png", png()).await;
    put(&app, "/api/v1/me/avatar", &alice, json!({"file_id": face}))
        .await
        .expect(200);
    let dm = app
        .post("/api/v1/dms", &bob.token, json!({"username": "alice"}))
        .await
        .expect(201)["room"]
        .clone();
    assert_eq!(dm["avatar"]["id"], face, "{dm}");
    let bobs = upload(&app, &bob, "bob.png", png()).await;
    put(
        &app,
        &format!("/api/v1/rooms/{}/avatar", dm["id"]),
        &bob,
        json!({"file_id": bobs}),
    )
    .await
    .expect_error(403, "forbidden");
}
