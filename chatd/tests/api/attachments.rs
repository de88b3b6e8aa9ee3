//! Attachments: files on messages, who may then read them, and what a
//! delete takes away (issue 17).

use std::io::Cursor;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

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
    let image = image::DynamicImage::new_rgb8(32, 16);
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn send(app: &TestApp, user: &TestUser, room: i64, body: Value) -> reqwest::StatusCode {
    app.post(&format!("/api/v1/rooms/{room}/messages"), &user.token, body)
        .await
        .status
}

#[tokio::test]
async fn attachments_reach_the_room_and_leave_with_the_message() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let picture = upload(&app, &alice, "cat.png", png()).await;
    let notes = upload(&app, &alice, "notes.txt", b"hello".to_vec()).await;
    let picture_path = format!("/api/v1/files/{picture}");

    // Before any message carries it, only alice reads her upload.
    app.get(&picture_path, &bob.token)
        .await
        .expect_error(404, "not_found");

    // Files alone make a message: the body may be empty.
    let message = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"attachments": [picture, notes]}),
        )
        .await
        .expect(201)["message"]
        .clone();
    assert_eq!(message["body"], "");
    let files = message["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["id"], picture);
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["width"], 32);
    assert_eq!(files[0]["has_thumbnail"], true);
    assert_eq!(files[1]["name"], "notes.txt");

    // Members of the room read it (history shows the same files); others
    // get the 404 of a file that does not exist.
    let history = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    assert_eq!(
        history["messages"][0]["attachments"],
        message["attachments"]
    );
    app.get(&picture_path, &bob.token).await.expect(200);
    app.get(&format!("{picture_path}/thumbnail"), &bob.token)
        .await
        .expect(200);
    app.get(&picture_path, &carol.token)
        .await
        .expect_error(404, "not_found");

    // Over the WebSocket too, acked with the files.
    let third = upload(&app, &alice, "third.txt", b"3".to_vec()).await;
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    ws.send_json(
        json!({"type": "send", "room_id": room, "body": "and one more",
                         "client_id": "f-1", "attachments": [third]}),
    )
    .await;
    let ack = loop {
        let frame = ws.next_json().await;
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(ack["message"]["attachments"][0]["id"], third, "{ack}");

    // Deleting the message detaches its files: members lose them, the
    // uploader keeps hers until the sweep.
    app.delete(
        &format!("/api/v1/rooms/{room}/messages/{}", message["id"]),
        &alice.token,
    )
    .await
    .expect(204);
    app.get(&picture_path, &bob.token)
        .await
        .expect_error(404, "not_found");
    app.get(&picture_path, &alice.token).await.expect(200);
    let tomb = app
        .get(
            &format!("/api/v1/rooms/{room}/messages/{}", message["id"]),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(tomb["message"]["attachments"], json!([]));

    // Leaving the room ends access to what it carries.
    let kept = format!("/api/v1/files/{third}");
    app.get(&kept, &bob.token).await.expect(200);
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &bob.token,
        json!({}),
    )
    .await
    .expect(204);
    app.get(&kept, &bob.token)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn attachments_are_checked() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let hers = upload(&app, &alice, "a.txt", b"a".to_vec()).await;
    let mut mine = Vec::new();
    for i in 0..11 {
        mine.push(upload(&app, &bob, &format!("{i}.txt"), vec![b'0' + i as u8]).await);
    }
    // Someone else's file, an unknown one, too many, a repeat, no body
    // and no files: each a clear 400, and nothing stored.
    for body in [
        json!({"body": "look", "attachments": [hers]}),
        json!({"body": "look", "attachments": [999_999]}),
        json!({"body": "many", "attachments": mine}),
        json!({"body": "twice", "attachments": [mine[0], mine[0]]}),
        json!({"attachments": []}),
    ] {
        app.post(&format!("/api/v1/rooms/{room}/messages"), &bob.token, body)
            .await
            .expect_error(400, "invalid_request");
    }
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    assert_eq!(page["messages"], json!([]));
    // Ten is the most, and fine.
    let status = send(
        &app,
        &bob,
        room,
        json!({"body": "ten", "attachments": mine[..10]}),
    )
    .await;
    assert_eq!(status.as_u16(), 201);
}
