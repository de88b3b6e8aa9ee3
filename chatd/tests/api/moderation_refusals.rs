//! What running a room refuses: roles, removals and bans in direct
//! conversations, strangers to private rooms (who learn nothing of them),
//! and bad input (a 4xx, never a 500).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::moderation::{crowded, put, remove, set_role};

#[tokio::test]
async fn direct_conversations_have_no_roles_removals_or_bans() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    let dm = app
        .post("/api/v1/dms", &alice.token, json!({"username": "bob"}))
        .await
        .expect(201)["room"]["id"]
        .as_i64()
        .unwrap();
    set_role(&app, dm, &alice, "bob", "admin")
        .await
        .expect_error(403, "forbidden");
    remove(&app, dm, &alice, "bob")
        .await
        .expect_error(403, "forbidden");
    put(
        &app,
        &format!("/api/v1/rooms/{dm}/bans/bob"),
        &alice.token,
        Value::Null,
    )
    .await
    .expect_error(403, "forbidden");
    app.get(&format!("/api/v1/rooms/{dm}/bans"), &alice.token)
        .await
        .expect_error(403, "forbidden");
    // Leaving is still one's own business, and hands nothing over: the
    // one left behind stays a plain member, and no role change is logged.
    remove(&app, dm, &alice, "alice").await.expect(204);
    let bob = app.login("bob", "bob-password").await;
    let room = app
        .get(&format!("/api/v1/rooms/{dm}"), &bob.token)
        .await
        .expect(200);
    assert_eq!(room["room"]["role"], "member");
    let log = app
        .get(&format!("/api/v1/rooms/{dm}/events"), &bob.token)
        .await
        .expect(200);
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "member.updated"),
        "{log}"
    );
}

#[tokio::test]
async fn strangers_learn_nothing_of_private_rooms() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mallory = app.user("mallory").await;
    let private = app.room(&alice, "secret", "private").await;
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &alice.token,
        json!({"username": "bob"}),
    )
    .await
    .expect(201);
    let public = app.room(&alice, "lobby", "public").await;
    app.join(&bob, public).await;
    for (room, status, code) in [(private, 404, "not_found"), (public, 403, "forbidden")] {
        remove(&app, room, &mallory, "bob")
            .await
            .expect_error(status, code);
        set_role(&app, room, &mallory, "bob", "member")
            .await
            .expect_error(status, code);
        put(
            &app,
            &format!("/api/v1/rooms/{room}/bans/bob"),
            &mallory.token,
            Value::Null,
        )
        .await
        .expect_error(status, code);
        app.delete(&format!("/api/v1/rooms/{room}/bans/bob"), &mallory.token)
            .await
            .expect_error(status, code);
        app.get(&format!("/api/v1/rooms/{room}/bans"), &mallory.token)
            .await
            .expect_error(status, code);
    }
    // A private room banning its member looks the same to members as a
    // removal, and the banned member cannot be added back.
    put(
        &app,
        &format!("/api/v1/rooms/{private}/bans/bob"),
        &alice.token,
        Value::Null,
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/v1/rooms/{private}/members"),
        &alice.token,
        json!({"username": "bob"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.get(&format!("/api/v1/rooms/{private}"), &bob.token)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn bad_input_is_a_4xx_never_a_500() {
    let app = TestApp::spawn().await;
    let (room, [alice, ..]) = crowded(&app).await;
    let members = format!("/api/v1/rooms/{room}/members");
    let bans = format!("/api/v1/rooms/{room}/bans");
    let cases: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            format!("{members}/bob"),
            json!({"role": "king"}),
        ),
        (Method::PATCH, format!("{members}/bob"), json!({"role": 5})),
        (
            Method::PATCH,
            format!("{members}/bob"),
            json!({"role": "admin", "x": 1}),
        ),
        (Method::PATCH, format!("{members}/bob"), json!([])),
        (Method::PATCH, format!("{members}/bob"), Value::Null),
        (
            Method::PATCH,
            format!("{members}/nobody"),
            json!({"role": "admin"}),
        ),
        (
            Method::PATCH,
            format!("{members}/a%20b"),
            json!({"role": "admin"}),
        ),
        (Method::DELETE, format!("{members}/%00"), Value::Null),
        (
            Method::DELETE,
            format!("{members}/{}", "x".repeat(300)),
            Value::Null,
        ),
        (
            Method::DELETE,
            "/api/v1/rooms/99999999999999999999/members/bob".into(),
            Value::Null,
        ),
        (
            Method::DELETE,
            "/api/v1/rooms/-1/members/bob".into(),
            Value::Null,
        ),
        (
            Method::PUT,
            format!("{bans}/bob"),
            json!({"reason": "a\u{0}b"}),
        ),
        (
            Method::PUT,
            format!("{bans}/bob"),
            json!({"reason": "x".repeat(1001)}),
        ),
        (Method::PUT, format!("{bans}/bob"), json!({"reason": 7})),
        (Method::PUT, format!("{bans}/nobody"), Value::Null),
        (Method::DELETE, format!("{bans}/nobody"), Value::Null),
        (Method::GET, "/api/v1/rooms/0/bans".into(), Value::Null),
        (
            Method::DELETE,
            "/api/v1/me/sessions/abc".into(),
            Value::Null,
        ),
        (Method::DELETE, "/api/v1/me/sessions/-5".into(), Value::Null),
        (Method::GET, "/api/v1/users?q=%FF".into(), Value::Null),
        (
            Method::GET,
            "/api/v1/users?q=%F0%9F%98%80".into(),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/v1/users?q={}", "%F4%8F%BF%BF".repeat(3)),
            Value::Null,
        ),
    ];
    for (method, path, body) in cases {
        let answer = app
            .call(method.clone(), &path, Some(&alice.token), body)
            .await;
        let status = answer.status.as_u16();
        assert!(status < 500, "{method} {path}: {status} {:?}", answer.body);
        if status >= 400 {
            assert!(
                answer.body["error"]["code"].is_string(),
                "{path}: {:?}",
                answer.body
            );
        }
    }
}
