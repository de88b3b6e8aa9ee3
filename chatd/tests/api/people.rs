//! People (issue 16): the user directory and one's own sessions, ended
//! live on every instance.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = std::time::Duration::from_millis(100);
}

fn usernames(users: &Value) -> Vec<String> {
    let mut names: Vec<String> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_directory_finds_active_accounts_by_prefix() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("alina").await;
    app.user("al_bundy").await;
    let bob = app.user("bob").await;
    app.user("alfie").await;
    app.user("zed").await;
    app.patch(
        "/api/v1/me",
        &bob.token,
        json!({"display_name": "Alfred Borden"}),
    )
    .await
    .expect(200);
    // Disabled accounts are not listed.
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    chat_store::accounts::set_disabled(&pool.get().await.unwrap(), "alfie", true)
        .await
        .unwrap();

    let find = |q: &str| format!("/api/v1/users?q={q}");
    // Case-insensitive, on username or display name.
    let found = app.get(&find("AL"), &alice.token).await.expect(200);
    assert_eq!(
        usernames(&found["users"]),
        ["al_bundy", "alice", "alina", "bob"]
    );
    assert_eq!(found["users"][0]["display_name"], "al_bundy", "{found}");
    let found = app.get(&find("alfred%20b"), &alice.token).await.expect(200);
    assert_eq!(usernames(&found["users"]), ["bob"]);
    // LIKE's wildcards are plain characters.
    let found = app.get(&find("al_"), &alice.token).await.expect(200);
    assert_eq!(usernames(&found["users"]), ["al_bundy"]);
    for q in ["%25", "a%25", "_"] {
        let found = app.get(&find(q), &alice.token).await.expect(200);
        assert_eq!(usernames(&found["users"]), Vec::<String>::new(), "{q}");
    }
    // The limit.
    let found = app
        .get("/api/v1/users?q=al&limit=2", &alice.token)
        .await
        .expect(200);
    assert_eq!(found["users"].as_array().unwrap().len(), 2);
    // Bad input is a 400; no token a 401.
    let long = "a".repeat(65);
    for bad in [
        "/api/v1/users".to_owned(),
        find(""),
        find("%20%20"),
        find("%00"),
        find(&long),
        "/api/v1/users?q=al&limit=0".into(),
        "/api/v1/users?q=al&limit=101".into(),
        "/api/v1/users?q=al&limit=x".into(),
        "/api/v1/users?q=al&other=1".into(),
    ] {
        app.get(&bad, &alice.token)
            .await
            .expect_error(400, "invalid_request");
    }
    app.call(Method::GET, &find("al"), None, Value::Null)
        .await
        .expect_error(401, "unauthorized");
}

/// The directory's exact query runs on the indexes at 100k accounts, in
/// the plan for these values and in the generic plan a prepared statement
/// may settle on.
#[tokio::test]
async fn the_directory_uses_its_indexes_at_100k_users() {
    let app = TestApp::spawn().await;
    let db = app.sql().await;
    db.batch_execute(
        "INSERT INTO users (username, password_hash, display_name) \
         SELECT 'u' || substr(md5(i::text), 1, 12), 'x', 'Person ' || md5((i * 7)::text) \
         FROM generate_series(1, 100000) AS i; \
         ANALYZE users",
    )
    .await
    .unwrap();
    let plan = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let custom = plan(
        db.query(
            &format!("EXPLAIN {}", chat_store::users::DIRECTORY_SQL),
            &[&"u3a", &20i64],
        )
        .await
        .unwrap(),
    );
    db.batch_execute(&format!(
        "SET plan_cache_mode = force_generic_plan; \
         PREPARE directory(text, bigint) AS {}",
        chat_store::users::DIRECTORY_SQL
    ))
    .await
    .unwrap();
    let generic = plan(
        db.query("EXPLAIN EXECUTE directory('person 3a', 20)", &[])
            .await
            .unwrap(),
    );
    for plan in [custom, generic] {
        assert!(!plan.contains("Seq Scan"), "{plan}");
        assert!(plan.contains("users_directory_username_idx"), "{plan}");
        assert!(plan.contains("users_directory_display_name_idx"), "{plan}");
    }
    // And it answers.
    let alice = app.user("alice").await;
    let found = app
        .get("/api/v1/users?q=PERSON%20&limit=100", &alice.token)
        .await
        .expect(200);
    assert_eq!(found["users"].as_array().unwrap().len(), 100);
}

/// Logs in with a User-Agent header.
async fn login_as(app: &TestApp, username: &str, agent: &str) -> TestUser {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("user-agent", agent)
        .json(&json!({"username": username, "password": format!("{username}-password")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    TestUser {
        id: body["user"]["id"].as_i64().unwrap(),
        username: username.into(),
        token: body["token"].as_str().unwrap().into(),
    }
}

#[tokio::test]
async fn my_sessions_are_listed_and_one_ends_at_once_on_every_instance() {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let desk = a.user("alice").await;
    let long_agent = format!("Phone/1.0 {}", "x".repeat(400));
    let phone = login_as(&a, "alice", &long_agent).await;
    let bob = a.user("bob").await;

    let listed = a.get("/api/v1/me/sessions", &phone.token).await.expect(200);
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{listed}");
    // Newest first: the phone, which is asking.
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[1]["current"], false);
    let agent = sessions[0]["user_agent"].as_str().unwrap();
    assert!(agent.starts_with("Phone/1.0 ") && agent.chars().count() == 256);
    assert_eq!(sessions[1]["user_agent"], Value::Null);
    assert!(sessions[0]["created_at"].is_string() && sessions[0]["last_seen_at"].is_string());
    let phone_id = sessions[0]["id"].as_i64().unwrap();
    let desk_id = sessions[1]["id"].as_i64().unwrap();

    // Someone else's session, or none: 404, and nothing ends.
    let bobs = a.get("/api/v1/me/sessions", &bob.token).await.expect(200);
    let bob_id = bobs["sessions"][0]["id"].as_i64().unwrap();
    a.delete(&format!("/api/v1/me/sessions/{bob_id}"), &desk.token)
        .await
        .expect_error(404, "not_found");
    a.delete("/api/v1/me/sessions/999999", &desk.token)
        .await
        .expect_error(404, "not_found");
    a.get("/api/v1/me", &bob.token).await.expect(200);

    // The desk ends the phone's session: its sockets close on both
    // instances at once, and its token stops working everywhere.
    let (mut phone_on_a, _) = a.ws_ready(&phone.token).await;
    let (mut phone_on_b, _) = b.ws_ready(&phone.token).await;
    a.delete(&format!("/api/v1/me/sessions/{phone_id}"), &desk.token)
        .await
        .expect(204);
    assert_eq!(phone_on_a.closed().await, 4001);
    assert_eq!(phone_on_b.closed().await, 4001);
    a.assert_refused(&phone.token).await;
    refused_when_heard(&b, &phone).await;
    let listed = b.get("/api/v1/me/sessions", &desk.token).await.expect(200);
    let ids: Vec<i64> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [desk_id]);
    // Ending it again is a 404; ending one's own current session logs out.
    a.delete(&format!("/api/v1/me/sessions/{phone_id}"), &desk.token)
        .await
        .expect_error(404, "not_found");
    b.delete(&format!("/api/v1/me/sessions/{desk_id}"), &desk.token)
        .await
        .expect(204);
    // At once where it was ended; on A (which may have the token cached)
    // when the database's notice lands.
    b.assert_refused(&desk.token).await;
    refused_when_heard(&a, &desk).await;
    a.call(Method::GET, "/api/v1/me/sessions", None, Value::Null)
        .await
        .expect_error(401, "unauthorized");
}

/// Waits until an instance refuses a token: it may have it cached until
/// the database's notice reaches it.
async fn refused_when_heard(app: &TestApp, user: &TestUser) {
    for _ in 0..1500 {
        let status = app.get("/api/v1/me", &user.token).await.status;
        if status == 401 {
            return;
        }
        assert_eq!(status, 200);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{} is still accepted", user.username);
}
