//! Registration, login, sessions and profiles.

use chat_store::password::{HashParams, PasswordHasher};
use chat_store::users::{self, AccountRole, NewUser};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn register_lowercases_the_username_and_returns_the_profile() {
    let app = TestApp::spawn().await;
    let body = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            json!({"username": "Alice", "password": "correct horse", "display_name": "Alice A."}),
        )
        .await
        .expect(201);
    let user = &body["user"];
    assert_eq!(user["username"], "alice");
    assert_eq!(user["display_name"], "Alice A.");
    assert_eq!(user["bio"], "");
    assert!(user["id"].is_i64());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(user.get("password_hash").is_none());
    // The same name in another case is taken.
    app.call(
        Method::POST,
        "/api/v1/auth/register",
        None,
        json!({"username": "ALICE", "password": "another password"}),
    )
    .await
    .expect_error(409, "conflict");
    // Login is case-insensitive too.
    app.login("ALICE", "correct horse").await;
}

#[tokio::test]
async fn register_refuses_bad_input() {
    let app = TestApp::spawn().await;
    for body in [
        json!({"username": "al", "password": "long enough"}),
        json!({"username": "a".repeat(33), "password": "long enough"}),
        json!({"username": "al ice", "password": "long enough"}),
        json!({"username": "alice", "password": "short"}),
        json!({"username": "alice", "password": "x".repeat(1025)}),
        json!({"username": "alice", "password": "long enough", "display_name": "a\u{0}b"}),
        json!({"username": "alice", "password": "long enough", "display_name": "   "}),
        json!({"username": "alice"}),
        json!({"username": 5, "password": "long enough"}),
        json!({"username": "alice", "password": "long enough", "admin": true}),
    ] {
        app.call(Method::POST, "/api/v1/auth/register", None, body)
            .await
            .expect_error(400, "invalid_request");
    }
    // Limits are inclusive.
    app.call(
        Method::POST,
        "/api/v1/auth/register",
        None,
        json!({"username": "a".repeat(32), "password": "x".repeat(1024)}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn closed_registration_refuses_everyone() {
    let app =
        TestApp::spawn_with(|c| c.registration = chatd::config::RegistrationMode::Closed).await;
    app.call(
        Method::POST,
        "/api/v1/auth/register",
        None,
        json!({"username": "alice", "password": "correct horse"}),
    )
    .await
    .expect_error(403, "registration_closed");
}

/// A client learns before logging in whether to offer registration and
/// which limits to check, from the server's own configuration.
#[tokio::test]
async fn the_server_says_whether_registration_is_open_and_its_limits() {
    let open = TestApp::spawn().await;
    let info = open
        .call(Method::GET, "/api/v1/server", None, Value::Null)
        .await
        .expect(200);
    assert_eq!(info["registration"], "open");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["limits"]["message_chars"], 4000);
    assert_eq!(info["limits"]["upload_bytes"], 25 * 1024 * 1024);
    assert_eq!(info["limits"]["attachments"], 10);

    let closed = TestApp::spawn_with(|c| {
        c.registration = chatd::config::RegistrationMode::Closed;
        c.max_message_chars = 500;
        c.files.max_upload_bytes = 1000;
    })
    .await;
    let info = closed
        .call(Method::GET, "/api/v1/server", None, Value::Null)
        .await
        .expect(200);
    assert_eq!(info["registration"], "closed");
    assert_eq!(info["limits"]["message_chars"], 500);
    assert_eq!(info["limits"]["upload_bytes"], 1000);
}

#[tokio::test]
async fn login_answers_the_same_for_unknown_users_and_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let wrong = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "alice", "password": "not the password"}),
        )
        .await
        .expect_error(401, "unauthorized");
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "mallory", "password": "not the password"}),
        )
        .await
        .expect_error(401, "unauthorized");
    let impossible = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "!!", "password": "x"}),
        )
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, impossible);
}

#[tokio::test]
async fn tokens_are_opaque_and_logout_kills_them_at_once() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(alice.token.len(), 64, "256 bits, hex");
    let second = app.login("alice", "alice-password").await;
    assert_ne!(alice.token, second.token);
    app.get("/api/v1/me", &alice.token).await.expect(200);
    app.logout(&alice.token).await;
    app.assert_refused(&alice.token).await;
    app.post("/api/v1/auth/logout", &alice.token, Value::Null)
        .await
        .expect_error(401, "unauthorized");
    // Other sessions live on.
    app.get("/api/v1/me", &second.token).await.expect(200);
    // Only a hash of the token is stored.
    let db = app.sql().await;
    let stored = db
        .query("SELECT token_hash FROM sessions", &[])
        .await
        .unwrap();
    assert!(stored.iter().all(|row| {
        let hash: Vec<u8> = row.get(0);
        hash.len() == 32 && hash != second.token.as_bytes()
    }));
}

#[tokio::test]
async fn expired_and_idle_sessions_stop_working() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let db = app.sql().await;
    db.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1",
        &[&alice.id],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE sessions SET last_seen_at = now() - interval '15 days' WHERE user_id = $1",
        &[&bob.id],
    )
    .await
    .unwrap();
    app.get("/api/v1/me", &alice.token)
        .await
        .expect_error(401, "unauthorized");
    app.get("/api/v1/me", &bob.token)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for header in [
        "".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Basic {}", alice.token),
        "Bearer not-a-token".to_owned(),
        format!("Bearer {}x", alice.token),
    ] {
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/me", app.base))
            .header("authorization", header.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "header {header:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // The scheme is case-insensitive.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", format!("bearer {}", alice.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn disabled_accounts_cannot_log_in_and_lose_their_sessions() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let db = app.sql().await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let client = pool.get().await.unwrap();
    chat_store::accounts::set_disabled(&client, "alice", true)
        .await
        .unwrap();
    app.get("/api/v1/me", &alice.token)
        .await
        .expect_error(401, "unauthorized");
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        json!({"username": "alice", "password": "alice-password"}),
    )
    .await
    .expect_error(401, "unauthorized");
    // A wrong password gets the same 401: disabled state is not revealed.
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        json!({"username": "alice", "password": "wrong password"}),
    )
    .await
    .expect_error(401, "unauthorized");
    let live: i64 = db
        .query_one(
            "SELECT count(*) FROM sessions WHERE revoked_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 0);
    chat_store::accounts::set_disabled(&client, "alice", false)
        .await
        .unwrap();
    app.login("alice", "alice-password").await;
}

#[tokio::test]
async fn profiles_can_be_read_and_changed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let me = app
        .patch(
            "/api/v1/me",
            &alice.token,
            json!({"display_name": "  Alice Liddell ", "bio": "down the\nrabbit hole"}),
        )
        .await
        .expect(200);
    assert_eq!(me["user"]["display_name"], "Alice Liddell");
    assert_eq!(me["user"]["bio"], "down the\nrabbit hole");
    // Omitted fields stay.
    let me = app
        .patch("/api/v1/me", &alice.token, json!({"bio": ""}))
        .await
        .expect(200);
    assert_eq!(me["user"]["display_name"], "Alice Liddell");
    assert_eq!(me["user"]["bio"], "");
    app.patch(
        "/api/v1/me",
        &alice.token,
        json!({"display_name": "bad\u{1b}[31m"}),
    )
    .await
    .expect_error(400, "invalid_request");
    app.patch("/api/v1/me", &alice.token, json!({"bio": "x".repeat(1001)}))
        .await
        .expect_error(400, "invalid_request");
    let seen = app.get("/api/v1/users/ALICE", &bob.token).await.expect(200);
    assert_eq!(seen["user"]["display_name"], "Alice Liddell");
    assert_eq!(seen["user"]["id"], alice.id);
    app.get("/api/v1/users/nobody", &bob.token)
        .await
        .expect_error(404, "not_found");
    app.call(Method::GET, "/api/v1/users/alice", None, Value::Null)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn outdated_password_hashes_are_replaced_on_login() {
    let app = TestApp::spawn().await;
    let weak = PasswordHasher::new(HashParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    });
    let hash = weak.hash("old password").await.unwrap();
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let client = pool.get().await.unwrap();
    users::create(
        &client,
        &NewUser {
            username: "carol",
            password_hash: &hash,
            display_name: "Carol",
            role: AccountRole::User,
        },
    )
    .await
    .unwrap();
    app.login("carol", "old password").await;
    let stored: String = client
        .query_one(
            "SELECT password_hash FROM users WHERE username = 'carol'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    app.login("carol", "old password").await;
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let here = app.user("alice").await;
    let elsewhere = app.login("alice", "alice-password").await;
    let (mut elsewhere_ws, _) = app.ws_ready(&elsewhere.token).await;
    let path = "/api/v1/me/password";
    app.post(
        path,
        &here.token,
        json!({"current_password": "not it at all", "new_password": "a new long secret"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        path,
        &here.token,
        json!({"current_password": "alice-password", "new_password": "password123"}),
    )
    .await
    .expect_error(400, "invalid_request");
    app.post(
        path,
        &here.token,
        json!({"current_password": "alice-password", "new_password": "a new long secret"}),
    )
    .await
    .expect(204);
    // This session goes on; the other one is over, socket and all.
    app.get("/api/v1/me", &here.token).await.expect(200);
    app.get("/api/v1/me", &elsewhere.token)
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(elsewhere_ws.closed().await, 4001);
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        json!({"username": "alice", "password": "alice-password"}),
    )
    .await
    .expect_error(401, "unauthorized");
    app.login("alice", "a new long secret").await;
}
