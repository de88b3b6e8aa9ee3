//! Rate limits: each refuses with 429 and a Retry-After (or an `error`
//! frame on a WebSocket) once its burst is spent, keyed so that one client
//! cannot use up another's budget.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, WsClient};

fn assert_limited(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 429, "{what}: {}", answer.body);
    assert_eq!(answer.body["error"]["code"], "rate_limited", "{what}");
    let wait: u64 = answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "{what}: Retry-After {wait}");
}

async fn login(app: &TestApp, username: &str, password: &str) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

#[tokio::test]
async fn password_guessing_is_limited_per_account() {
    let app = TestApp::spawn_with(|c| c.rate_limits.login_per_user = "3/1h".parse().unwrap()).await;
    app.user("alice").await; // one successful login already
    app.user("bob").await;
    for _ in 0..2 {
        login(&app, "alice", "a wrong guess").await.expect(401);
    }
    // Spent: even the right password waits now, and the answer says so
    // before any password is checked.
    assert_limited(&login(&app, "ALICE", "alice-password").await, "alice");
    // Names that do not exist are limited the same way.
    for _ in 0..3 {
        login(&app, "nobody", "a wrong guess").await.expect(401);
    }
    assert_limited(&login(&app, "nobody", "a wrong guess").await, "nobody");
    // Another account is untouched.
    login(&app, "bob", "a wrong guess").await.expect(401);
}

#[tokio::test]
async fn logins_and_registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limits.login_per_addr = "4/1h".parse().unwrap();
        c.rate_limits.register_per_addr = "2/1h".parse().unwrap();
    })
    .await;
    for name in ["one", "two"] {
        app.call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            json!({"username": name, "password": "long enough password"}),
        )
        .await
        .expect(201);
    }
    let third = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            json!({"username": "three", "password": "long enough password"}),
        )
        .await;
    assert_limited(&third, "third registration");
    for name in ["a1", "a2", "a3", "a4"] {
        login(&app, name, "whatever it is").await.expect(401);
    }
    assert_limited(&login(&app, "a5", "whatever it is").await, "fifth login");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
        c.rate_limits.login_per_addr = "2/1h".parse().unwrap();
    })
    .await;
    let from = |addr: &'static str| {
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/auth/login", app.base);
        async move {
            http.post(url)
                .header("x-forwarded-for", addr)
                .json(&json!({"username": "x", "password": "whatever it is"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(from("192.0.2.1").await, 401);
    assert_eq!(from("192.0.2.1").await, 401);
    assert_eq!(from("192.0.2.1").await, 429);
    assert_eq!(
        from("192.0.2.2").await,
        401,
        "another client behind the proxy"
    );
}

#[tokio::test]
async fn sends_share_one_budget_over_rest_and_websocket_and_bots_can_be_exempt() {
    let app = TestApp::spawn_with(|c| c.rate_limits.sends_per_user = "4/1h".parse().unwrap()).await;
    let alice = app.user("alice").await;
    let room = app.room(&alice, "r", "public").await;
    let path = format!("/api/v1/rooms/{room}/messages");
    for i in 0..2 {
        app.post(&path, &alice.token, json!({"body": format!("rest {i}")}))
            .await
            .expect(201);
    }
    let (mut ws, _) = app.ws_ready(&alice.token).await;
    for i in 0..3 {
        ws.send_json(json!({"type": "send", "room_id": room, "body": format!("ws {i}"), "client_id": format!("c{i}")}))
            .await;
    }
    let mut answers: Vec<Value> = Vec::new();
    while answers.len() < 3 {
        let frame = ws.next_json().await;
        if matches!(frame["type"].as_str(), Some("ack" | "error")) {
            answers.push(frame);
        }
    }
    assert_eq!(answers[0]["type"], "ack");
    assert_eq!(answers[1]["type"], "ack");
    assert_eq!(answers[2]["type"], "error", "{}", answers[2]);
    assert_eq!(answers[2]["client_id"], "c2");
    assert_eq!(answers[2]["error"]["code"], "rate_limited");
    assert_limited(
        &app.post(&path, &alice.token, json!({"body": "one more"}))
            .await,
        "rest after ws",
    );

    // An administrator exempts the account (a bot): it sends freely, once
    // the database's notice of the change has reached chatd (its token
    // cache holds the account as it was).
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    chat_store::accounts::set_rate_limit_exempt(&pool.get().await.unwrap(), "alice", true)
        .await
        .unwrap();
    let mut tries = 0;
    while app
        .post(&path, &alice.token, json!({"body": "bot"}))
        .await
        .status
        != 201
    {
        tries += 1;
        assert!(tries < 500, "the exemption never took effect");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for i in 0..10 {
        app.post(&path, &alice.token, json!({"body": format!("bot {i}")}))
            .await
            .expect(201);
    }
}

#[tokio::test]
async fn websocket_connections_are_limited_per_account_and_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limits.ws_per_user = "2/1h".parse().unwrap();
        c.rate_limits.ws_per_addr = "4/1h".parse().unwrap();
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let _first = app.ws_ready(&alice.token).await;
    let _second = app.ws_ready(&alice.token).await;
    // By header: refused at the upgrade, never a 101.
    let refused = WsClient::connect(&app.base, Some(&alice.token)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        Err(other) => panic!("expected a 429 upgrade refusal, got {other}"),
        Ok(_) => panic!("expected a 429 upgrade refusal, got a socket"),
    }
    // By first frame: an error frame, then close 4029.
    let mut by_frame = WsClient::connect(&app.base, None).await.unwrap();
    by_frame
        .send_json(json!({"type": "auth", "token": alice.token}))
        .await;
    let error = by_frame.next_json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["error"]["code"], "rate_limited");
    assert_eq!(by_frame.closed().await, 4029);
    // Bob has his own budget, but the address has spent its four.
    match WsClient::connect(&app.base, Some(&bob.token)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        Err(other) => panic!("expected the address to be limited, got {other}"),
        Ok(_) => panic!("expected the address to be limited, got a socket"),
    }
}

/// The events of a room's log, as a member reads them.
async fn log_length(app: &TestApp, token: &str, room: i64) -> usize {
    let log = app
        .get(&format!("/api/v1/rooms/{room}/events?after=0"), token)
        .await
        .expect(200);
    log["events"].as_array().unwrap().len()
}

#[tokio::test]
async fn every_other_change_to_a_room_shares_one_budget_per_user() {
    let app =
        TestApp::spawn_with(|c| c.rate_limits.writes_per_user = "4/1h".parse().unwrap()).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    // Creating the room is alice's first change, bob's join his first.
    let room = app.room(&alice, "r", "public").await;
    app.join(&bob, room).await;
    let message = app.send(&alice, room, "react to this").await["id"]
        .as_i64()
        .unwrap();
    let reaction =
        |emoji: &str| format!("/api/v1/rooms/{room}/messages/{message}/reactions/{emoji}");
    for emoji in ["%F0%9F%91%8D", "%F0%9F%8E%89", "%F0%9F%91%80"] {
        app.call(
            Method::PUT,
            &reaction(emoji),
            Some(&alice.token),
            Value::Null,
        )
        .await
        .expect(204);
    }
    let before = log_length(&app, &alice.token, room).await;

    // Spent: more reactions are refused, and so is every other kind of
    // change; the log does not grow.
    let refused = app
        .call(
            Method::PUT,
            &reaction("%F0%9F%9A%80"),
            Some(&alice.token),
            Value::Null,
        )
        .await;
    assert_limited(&refused, "a fifth change");
    let message_path = format!("/api/v1/rooms/{room}/messages/{message}");
    assert_limited(
        &app.patch(&message_path, &alice.token, json!({"body": "edited"}))
            .await,
        "an edit",
    );
    assert_limited(
        &app.call(
            Method::PUT,
            &format!("/api/v1/rooms/{room}/pins/{message}"),
            Some(&alice.token),
            Value::Null,
        )
        .await,
        "a pin",
    );
    assert_limited(
        &app.patch(
            &format!("/api/v1/rooms/{room}"),
            &alice.token,
            json!({"topic": "t"}),
        )
        .await,
        "a topic",
    );
    assert_limited(
        &app.post("/api/v1/rooms", &alice.token, json!({"name": "another"}))
            .await,
        "a new room",
    );
    assert_eq!(log_length(&app, &alice.token, room).await, before);

    // Bob has his own budget; sending is budgeted apart.
    app.call(
        Method::PUT,
        &reaction("%F0%9F%9A%80"),
        Some(&bob.token),
        Value::Null,
    )
    .await
    .expect(204);
    app.send(&alice, room, "sends are not changes").await;
    assert_eq!(log_length(&app, &alice.token, room).await, before + 2);
}
