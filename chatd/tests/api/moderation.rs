//! People and moderation (issue 16): the user directory, one's own
//! sessions, and running a room (removals, roles, bans), through the API
//! and on two instances where the effect is live.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, TestUser, WsClient};

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = std::time::Duration::from_millis(100);
}

/// A socket that hears its rooms from now on.
async fn listening(app: &TestApp, user: &TestUser) -> WsClient {
    let (mut ws, _) = app.ws_ready(&user.token).await;
    ws.send_json(json!({"type": "resume", "rooms": {}})).await;
    ws.drain_until_pong().await;
    ws
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

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    app.call(Method::PUT, path, Some(token), body).await
}

async fn role_of(app: &TestApp, room: i64, who: &TestUser, asker: &TestUser) -> String {
    let members = app
        .get(&format!("/api/v1/rooms/{room}/members"), &asker.token)
        .await
        .expect(200);
    members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == who.id)
        .map_or("none".into(), |m| m["role"].as_str().unwrap().to_owned())
}

async fn set_role(app: &TestApp, room: i64, actor: &TestUser, target: &str, role: &str) -> Answer {
    app.patch(
        &format!("/api/v1/rooms/{room}/members/{target}"),
        &actor.token,
        json!({ "role": role }),
    )
    .await
}

async fn remove(app: &TestApp, room: i64, actor: &TestUser, target: &str) -> Answer {
    app.delete(
        &format!("/api/v1/rooms/{room}/members/{target}"),
        &actor.token,
    )
    .await
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

/// A public room owned by alice with bob, carol and dave in it.
async fn crowded(app: &TestApp) -> (i64, [TestUser; 4]) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let room = app.room(&alice, "lobby", "public").await;
    for u in [&bob, &carol, &dave] {
        app.join(u, room).await;
    }
    (room, [alice, bob, carol, dave])
}

#[tokio::test]
async fn members_admins_and_owners_act_by_the_rules() {
    let app = TestApp::spawn().await;
    let (room, [alice, bob, carol, dave]) = crowded(&app).await;

    // A member changes nobody and removes nobody but themselves.
    set_role(&app, room, &bob, "carol", "admin")
        .await
        .expect_error(403, "forbidden");
    set_role(&app, room, &bob, "bob", "admin")
        .await
        .expect_error(403, "forbidden");
    remove(&app, room, &bob, "carol")
        .await
        .expect_error(403, "forbidden");
    remove(&app, room, &bob, "alice")
        .await
        .expect_error(403, "forbidden");

    // The owner hands out admin.
    let answer = set_role(&app, room, &alice, "bob", "admin")
        .await
        .expect(200);
    assert_eq!(answer["member"]["user"]["username"], "bob");
    assert_eq!(answer["member"]["role"], "admin");
    set_role(&app, room, &alice, "dave", "admin")
        .await
        .expect(200);

    // An admin may not raise anyone above member, nor act on the owner or
    // another admin; plain members they may remove.
    set_role(&app, room, &bob, "carol", "admin")
        .await
        .expect_error(403, "forbidden");
    set_role(&app, room, &bob, "carol", "owner")
        .await
        .expect_error(403, "forbidden");
    set_role(&app, room, &bob, "alice", "member")
        .await
        .expect_error(403, "forbidden");
    set_role(&app, room, &bob, "dave", "member")
        .await
        .expect_error(403, "forbidden");
    remove(&app, room, &bob, "dave")
        .await
        .expect_error(403, "forbidden");
    remove(&app, room, &bob, "alice")
        .await
        .expect_error(403, "forbidden");
    set_role(&app, room, &bob, "carol", "member")
        .await
        .expect(200);
    remove(&app, room, &bob, "carol").await.expect(204);
    assert_eq!(role_of(&app, room, &carol, &alice).await, "none");
    // Removing someone who is not there: 404.
    remove(&app, room, &bob, "carol")
        .await
        .expect_error(404, "not_found");
    set_role(&app, room, &alice, "carol", "admin")
        .await
        .expect_error(404, "not_found");

    // The last owner cannot step down without naming a successor.
    let refused = set_role(&app, room, &alice, "alice", "admin")
        .await
        .expect_error(409, "conflict");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("successor")
            || refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("make another member owner"),
        "{refused}"
    );
    // Handing the room over makes the old owner an admin.
    set_role(&app, room, &alice, "dave", "owner")
        .await
        .expect(200);
    assert_eq!(role_of(&app, room, &dave, &alice).await, "owner");
    assert_eq!(role_of(&app, room, &alice, &alice).await, "admin");
    // Now an admin, alice cannot act on the owner or another admin.
    set_role(&app, room, &alice, "dave", "member")
        .await
        .expect_error(403, "forbidden");
    remove(&app, room, &alice, "bob")
        .await
        .expect_error(403, "forbidden");
    // The new owner can do anything to anyone else, and an admin may step
    // down.
    remove(&app, room, &dave, "bob").await.expect(204);
    set_role(&app, room, &alice, "alice", "member")
        .await
        .expect(200);
    // Anyone may remove themselves (the room's view of it: they left).
    remove(&app, room, &alice, "alice").await.expect(204);
    assert_eq!(role_of(&app, room, &alice, &dave).await, "none");
}

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
async fn a_ban_removes_and_keeps_out_until_lifted() {
    let app = TestApp::spawn().await;
    let (room, [alice, bob, carol, dave]) = crowded(&app).await;
    let eve = app.user("eve").await;
    let bans = format!("/api/v1/rooms/{room}/bans");

    put(
        &app,
        &format!("{bans}/bob"),
        &alice.token,
        json!({"reason": "spam"}),
    )
    .await
    .expect(204);
    assert_eq!(role_of(&app, room, &bob, &alice).await, "none");
    // Kept out: joining and being added are refused.
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        &bob.token,
        Value::Null,
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/rooms/{room}/members"),
        &carol.token,
        json!({"username": "bob"}),
    )
    .await
    .expect_error(403, "forbidden");
    // A ban may come first, without a body; a repeat updates the reason.
    put(&app, &format!("{bans}/eve"), &alice.token, Value::Null)
        .await
        .expect(204);
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        &eve.token,
        Value::Null,
    )
    .await
    .expect_error(403, "forbidden");
    put(
        &app,
        &format!("{bans}/eve"),
        &alice.token,
        json!({"reason": "known troll"}),
    )
    .await
    .expect(204);

    let listed = app.get(&bans, &alice.token).await.expect(200);
    let listed = listed["bans"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let bob_ban = listed
        .iter()
        .find(|b| b["user"]["username"] == "bob")
        .unwrap();
    assert_eq!(bob_ban["reason"], "spam");
    assert_eq!(bob_ban["by"]["username"], "alice");
    assert!(bob_ban["created_at"].is_string());
    let eve_ban = listed
        .iter()
        .find(|b| b["user"]["username"] == "eve")
        .unwrap();
    assert_eq!(eve_ban["reason"], "known troll");

    // Only owners and admins see or change bans; nobody bans themselves;
    // an admin does not ban the owner.
    app.get(&bans, &carol.token)
        .await
        .expect_error(403, "forbidden");
    app.get(&bans, &bob.token)
        .await
        .expect_error(403, "forbidden");
    put(&app, &format!("{bans}/dave"), &carol.token, Value::Null)
        .await
        .expect_error(403, "forbidden");
    put(&app, &format!("{bans}/alice"), &alice.token, Value::Null)
        .await
        .expect_error(400, "invalid_request");
    set_role(&app, room, &alice, "dave", "admin")
        .await
        .expect(200);
    put(&app, &format!("{bans}/alice"), &dave.token, Value::Null)
        .await
        .expect_error(403, "forbidden");
    app.delete(&format!("{bans}/bob"), &carol.token)
        .await
        .expect_error(403, "forbidden");

    // Lifted: bob may come back; lifting again is a 404.
    app.delete(&format!("{bans}/bob"), &dave.token)
        .await
        .expect(204);
    app.join(&bob, room).await;
    app.delete(&format!("{bans}/bob"), &alice.token)
        .await
        .expect_error(404, "not_found");
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

#[tokio::test]
async fn room_changes_are_seen_live_on_another_instance() {
    let a = TestApp::spawn_with(quick).await;
    let b = a.second_instance(quick).await;
    let (room, [alice, bob, carol, dave]) = crowded(&a).await;
    // Bob is also in another room, to show he stops hearing the first.
    let other = a.room(&alice, "other", "public").await;
    a.join(&bob, other).await;
    let mut carol_on_b = listening(&b, &carol).await;
    let mut bob_on_b = listening(&b, &bob).await;

    set_role(&a, room, &alice, "bob", "admin").await.expect(200);
    let updated = carol_on_b.next_event().await;
    assert_eq!(updated["type"], "member.updated", "{updated}");
    assert_eq!(updated["room_id"], room);
    assert_eq!(updated["user"]["username"], "bob");
    assert_eq!(updated["role"], "admin");
    assert_eq!(updated["by"]["username"], "alice");

    // Alice removes bob: everyone in the room hears who did it, bob too,
    // and then bob hears nothing more of the room.
    assert_eq!(bob_on_b.next_event().await["type"], "member.updated");
    remove(&a, room, &alice, "bob").await.expect(204);
    for ws in [&mut carol_on_b, &mut bob_on_b] {
        let left = ws.next_event().await;
        assert_eq!(left["type"], "member.left", "{left}");
        assert_eq!(left["user"]["username"], "bob");
        assert_eq!(left["by"]["username"], "alice");
    }
    a.send(&alice, room, "after bob left").await;
    a.send(&alice, other, "marker").await;
    let seen = bob_on_b.frames_until_message("marker").await;
    assert!(
        seen.iter().all(|f| f["room_id"] != room),
        "bob still hears the room: {seen:?}"
    );
    let seen = carol_on_b.frames_until_message("after bob left").await;
    assert!(seen.iter().all(|f| f["type"] == "presence"), "{seen:?}");

    // Leaving by oneself carries no `by`; a hand-over logs both changes.
    remove(&a, room, &dave, "dave").await.expect(204);
    let left = carol_on_b.next_event().await;
    assert_eq!(left["type"], "member.left");
    assert_eq!(left["user"]["username"], "dave");
    assert!(left.get("by").is_none(), "{left}");
    set_role(&a, room, &alice, "carol", "owner")
        .await
        .expect(200);
    let first = carol_on_b.next_event().await;
    let second = carol_on_b.next_event().await;
    assert_eq!(
        (first["user"]["username"].as_str(), first["role"].as_str()),
        (Some("carol"), Some("owner"))
    );
    assert_eq!(
        (second["user"]["username"].as_str(), second["role"].as_str()),
        (Some("alice"), Some("admin"))
    );

    // The log holds the same.
    let log = b
        .get(&format!("/api/v1/rooms/{room}/events"), &carol.token)
        .await
        .expect(200);
    let kinds: Vec<(&str, &str, &str)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "member.updated" || e["type"] == "member.left")
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["user"]["username"].as_str().unwrap(),
                e["by"]["username"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("member.updated", "bob", "alice"),
            ("member.left", "bob", "alice"),
            ("member.left", "dave", "-"),
            ("member.updated", "carol", "alice"),
            ("member.updated", "alice", "alice"),
        ]
    );
}

/// When the owner leaves, the heir's promotion is logged too.
#[tokio::test]
async fn an_automatic_hand_over_is_logged() {
    let app = TestApp::spawn().await;
    let (room, [alice, bob, carol, _]) = crowded(&app).await;
    set_role(&app, room, &alice, "carol", "admin")
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/rooms/{room}/leave"),
        &alice.token,
        Value::Null,
    )
    .await
    .expect(204);
    assert_eq!(role_of(&app, room, &carol, &bob).await, "owner");
    let log = app
        .get(&format!("/api/v1/rooms/{room}/events"), &bob.token)
        .await
        .expect(200);
    let last = log["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "member.updated", "{last}");
    assert_eq!(last["user"]["username"], "carol");
    assert_eq!(last["role"], "owner");
    assert!(last.get("by").is_none());
}
