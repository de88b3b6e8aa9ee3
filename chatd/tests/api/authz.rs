//! The authorization matrix: Alice creates one of every kind of object;
//! Bob (a stranger to them) and an anonymous client replay every endpoint
//! and every WebSocket command against her ids. Each answer must be a JSON
//! error with 401, 403 or 404 — and none may carry her data.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp};

/// Words only Alice's objects contain; no answer to Bob may hold one.
const SECRETS: [&str; 4] = [
    "publicsecret",
    "privatesecret",
    "directsecret",
    "hiddentopic",
];

struct Objects {
    public: i64,
    private: i64,
    direct: i64,
    public_msg: i64,
    private_msg: i64,
    direct_msg: i64,
}

async fn alices_objects(app: &TestApp) -> (crate::helpers::TestUser, Objects) {
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let public = app.room(&alice, "lobby", "public").await;
    let private = app
        .post(
            "/api/v1/rooms",
            &alice.token,
            json!({"name": "vault", "visibility": "private", "topic": "hiddentopic"}),
        )
        .await
        .expect(201)["room"]["id"]
        .as_i64()
        .unwrap();
    let direct = app
        .post("/api/v1/dms", &alice.token, json!({"username": "carol"}))
        .await
        .expect(201)["room"]["id"]
        .as_i64()
        .unwrap();
    let id = |m: Value| m["id"].as_i64().unwrap();
    let objects = Objects {
        public,
        private,
        direct,
        public_msg: id(app.send(&alice, public, "publicsecret").await),
        private_msg: id(app.send(&alice, private, "privatesecret").await),
        direct_msg: id(app.send(&alice, direct, "directsecret").await),
    };
    drop(carol);
    (alice, objects)
}

/// Every room-scoped call, with a body where it takes one.
fn room_calls(room: i64, message: i64) -> Vec<(Method, String, Value)> {
    let r = format!("/api/v1/rooms/{room}");
    vec![
        (Method::GET, r.clone(), Value::Null),
        (Method::PATCH, r.clone(), json!({"topic": "mine now"})),
        (Method::POST, format!("{r}/leave"), Value::Null),
        (Method::GET, format!("{r}/members"), Value::Null),
        (
            Method::POST,
            format!("{r}/members"),
            json!({"username": "bob"}),
        ),
        (Method::GET, format!("{r}/messages"), Value::Null),
        (Method::GET, format!("{r}/messages?after=0"), Value::Null),
        (Method::POST, format!("{r}/messages"), json!({"body": "hi"})),
        (
            Method::PATCH,
            format!("{r}/messages/{message}"),
            json!({"body": "edited by bob"}),
        ),
        (
            Method::DELETE,
            format!("{r}/messages/{message}"),
            Value::Null,
        ),
        (Method::GET, format!("{r}/events?after=0"), Value::Null),
        (Method::POST, format!("{r}/read"), json!({"seq": 1})),
        (
            Method::GET,
            format!("/api/v1/search?q=secret&room_id={room}"),
            Value::Null,
        ),
    ]
}

fn assert_refused(answer: &Answer, allowed: &[u16], what: &str) {
    let status = answer.status.as_u16();
    assert!(
        allowed.contains(&status),
        "{what}: status {status}, body {}",
        answer.body
    );
    assert!(
        answer.body["error"]["code"].is_string(),
        "{what}: not a JSON error: {}",
        answer.body
    );
    assert_no_leak(&answer.body, what);
}

fn assert_no_leak(body: &Value, what: &str) {
    let text = body.to_string();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaked {secret}: {text}");
    }
}

#[tokio::test]
async fn strangers_and_anonymous_clients_get_nothing_of_alices() {
    let app = TestApp::spawn().await;
    let (alice, o) = alices_objects(&app).await;
    let bob = app.user("bob").await;

    let cases = [
        (o.public, o.public_msg, "public room"),
        (o.private, o.private_msg, "private room"),
        (o.direct, o.direct_msg, "direct room"),
    ];
    for (room, message, kind) in cases {
        for (method, path, body) in room_calls(room, message) {
            let what = format!("anonymous {method} {path} ({kind})");
            let answer = app.call(method.clone(), &path, None, body.clone()).await;
            assert_refused(&answer, &[401], &what);

            let what = format!("bob {method} {path} ({kind})");
            let answer = app
                .call(method.clone(), &path, Some(&bob.token), body)
                .await;
            let public_read = kind == "public room"
                && method == Method::GET
                && path.ends_with(&format!("/rooms/{room}"));
            if public_read {
                // A public room's name and topic are public; its history is not.
                assert_eq!(answer.status, 200, "{what}");
                assert_no_leak(&answer.body, &what);
            } else if path.contains("/search?") {
                // Search answers only from rooms Bob is in: nothing.
                assert!(
                    answer.status == 200 || answer.status == 404,
                    "{what}: {}",
                    answer.status
                );
                assert_no_leak(&answer.body, &what);
            } else if kind == "public room" {
                assert_refused(&answer, &[403, 404], &what);
            } else {
                // Private and direct rooms do not exist for Bob.
                assert_refused(&answer, &[404], &what);
            }
        }
        // Joining works only for the public room.
        let join = app
            .post(
                &format!("/api/v1/rooms/{room}/join"),
                &bob.token,
                Value::Null,
            )
            .await;
        if kind != "public room" {
            assert_refused(&join, &[404], &format!("bob joins the {kind}"));
        }
    }

    // In the public room now, Bob still may not touch Alice's message.
    let path = format!("/api/v1/rooms/{}/messages/{}", o.public, o.public_msg);
    let edit = app.patch(&path, &bob.token, json!({"body": "mine"})).await;
    assert_refused(&edit, &[403], "bob edits alice's message");
    let delete = app.delete(&path, &bob.token).await;
    assert_refused(&delete, &[403], "bob deletes alice's message");
    let rename = app
        .patch(
            &format!("/api/v1/rooms/{}", o.public),
            &bob.token,
            json!({"name": "bobs"}),
        )
        .await;
    assert_refused(&rename, &[403], "bob renames alice's room");

    // Account-level calls without a token.
    for (method, path) in [
        (Method::GET, "/api/v1/me"),
        (Method::PATCH, "/api/v1/me"),
        (Method::POST, "/api/v1/auth/logout"),
        (Method::GET, "/api/v1/users/alice"),
        (Method::GET, "/api/v1/rooms"),
        (Method::GET, "/api/v1/rooms/public"),
        (Method::POST, "/api/v1/rooms"),
        (Method::POST, "/api/v1/dms"),
        (Method::GET, "/api/v1/search?q=secret"),
    ] {
        let body = if method == Method::GET {
            Value::Null
        } else {
            json!({})
        };
        let answer = app.call(method.clone(), path, None, body).await;
        assert_refused(&answer, &[401], &format!("anonymous {method} {path}"));
    }
    // Bob joined the public room above; search finds only what is there.
    let search = app
        .get("/api/v1/search?q=privatesecret", &bob.token)
        .await
        .expect(200);
    assert_eq!(search["messages"], json!([]));
    let search = app
        .get("/api/v1/search?q=directsecret", &bob.token)
        .await
        .expect(200);
    assert_eq!(search["messages"], json!([]));
    // A made-up token is no better than none.
    let forged = app
        .call(
            Method::GET,
            "/api/v1/me",
            Some(&"0".repeat(64)),
            Value::Null,
        )
        .await;
    assert_refused(&forged, &[401], "forged token");
    drop(alice);
}

#[tokio::test]
async fn strangers_get_nothing_over_the_websocket() {
    let app = TestApp::spawn().await;
    let (alice, o) = alices_objects(&app).await;
    let bob = app.user("bob").await;
    let (mut ws, ready) = app.ws_ready(&bob.token).await;
    assert_eq!(ready["rooms"], json!([]));
    assert_no_leak(&ready, "ready");

    for room in [o.public, o.private, o.direct] {
        ws.send_json(json!({"type": "send", "room_id": room, "body": "intrude", "client_id": format!("c{room}")}))
            .await;
        let answer = ws.next_json().await;
        assert_eq!(answer["type"], "error", "send to {room}: {answer}");
        assert!(
            ["forbidden", "not_found"].contains(&answer["error"]["code"].as_str().unwrap()),
            "{answer}"
        );
        ws.send_json(json!({"type": "typing", "room_id": room}))
            .await;
        ws.send_json(json!({"type": "resume", "rooms": {room.to_string(): 0}}))
            .await;
    }
    // Whatever comes back (errors for the typing and resume frames are
    // fine), none of it is an event of Alice's rooms or her text.
    let frames = ws.drain_until_pong().await;
    for frame in &frames {
        assert_ne!(frame["type"], "message.created", "{frame}");
        assert_no_leak(frame, "websocket frame");
    }
    // Alice keeps talking; Bob hears nothing of it. His own room's marker,
    // sent after her messages, comes through the same queue as anything of
    // hers would: what arrives before it is all he was sent.
    let bobs = app.room(&bob, "bobs", "public").await;
    app.send(&alice, o.private, "privatesecret again").await;
    app.send(&alice, o.public, "publicsecret again").await;
    app.send(&alice, o.direct, "directsecret again").await;
    app.send(&bob, bobs, "marker").await;
    for frame in ws.frames_until_message("marker").await {
        assert_no_leak(&frame, "live frame");
        assert_ne!(frame["type"], "message.created", "{frame}");
        assert_eq!(frame["room_id"], bobs, "{frame}");
    }
    // Nobody's message was stored by the intrusions.
    let sql = app.sql().await;
    let intrusions: i64 = sql
        .query_one("SELECT count(*) FROM messages WHERE body = 'intrude'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(intrusions, 0);
}

/// Opens a WebSocket with the given Origin header; the upgrade's status.
async fn upgrade_status(app: &TestApp, token: &str, origin: &str) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let url = format!("{}/api/v1/ws", app.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    headers.insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[tokio::test]
async fn browser_pages_of_other_sites_cannot_open_websockets() {
    let app = TestApp::spawn_with(|c| {
        c.ws_allowed_origins = vec!["https://chat.example.org".into()];
    })
    .await;
    let alice = app.user("alice").await;
    assert_eq!(
        upgrade_status(&app, &alice.token, "https://evil.example").await,
        403
    );
    assert_eq!(upgrade_status(&app, &alice.token, "null").await, 403);
    // The server's own host, and a listed origin, may.
    let own = app.base.clone();
    assert_eq!(upgrade_status(&app, &alice.token, &own).await, 101);
    assert_eq!(
        upgrade_status(&app, &alice.token, "https://Chat.Example.org/").await,
        101
    );
}
