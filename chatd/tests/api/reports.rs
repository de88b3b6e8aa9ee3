//! Reports (issue 16): members report messages, server admins read and
//! resolve them, and a deleted message leaves nothing of its text behind.

use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, TestUser};

/// A user whose account role is `admin`, with a session opened after the
/// promotion (so no cached answer predates it).
pub async fn server_admin(app: &TestApp, username: &str) -> TestUser {
    let user = app.user(username).await;
    app.sql()
        .await
        .execute("UPDATE users SET role = 'admin' WHERE id = $1", &[&user.id])
        .await
        .unwrap();
    app.login(username, &format!("{username}-password")).await
}

async fn report(app: &TestApp, user: &TestUser, message_id: &Value, reason: &str) -> Answer {
    let body = json!({ "message_id": message_id, "reason": reason });
    app.post("/api/v1/reports", &user.token, body).await
}

async fn resolve(app: &TestApp, user: &TestUser, id: i64, body: Value) -> Answer {
    let path = format!("/api/v1/reports/{id}/resolve");
    app.post(&path, &user.token, body).await
}

#[tokio::test]
async fn members_report_messages_they_can_see() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let eve = app.user("eve").await;
    let public = app.room(&alice, "lobby", "public").await;
    app.join(&bob, public).await;
    let private = app.room(&alice, "staff", "private").await;
    let rude = app.send(&alice, public, "something rude").await;
    let secret = app.send(&alice, private, "staff only").await;

    let created = report(&app, &bob, &rude["id"], "insulting")
        .await
        .expect(201);
    assert!(created["report"]["id"].as_i64().unwrap() > 0);
    report(&app, &bob, &rude["id"], "again")
        .await
        .expect_error(409, "conflict");
    report(&app, &alice, &rude["id"], "  ")
        .await
        .expect_error(400, "invalid_request");
    report(&app, &alice, &rude["id"], &"x".repeat(1001))
        .await
        .expect_error(400, "invalid_request");
    report(&app, &alice, &rude["id"], &"x".repeat(1000))
        .await
        .expect(201);

    // A stranger: a public room's message is 403 (join first); a private
    // room's is 404, exactly like a message that does not exist.
    report(&app, &eve, &rude["id"], "spam")
        .await
        .expect_error(403, "forbidden");
    let hidden = report(&app, &eve, &secret["id"], "spam")
        .await
        .expect_error(404, "not_found");
    let missing = report(&app, &eve, &json!(999_999), "spam")
        .await
        .expect_error(404, "not_found");
    assert_eq!(hidden, missing);
    app.post("/api/v1/reports", &eve.token, json!({ "message_id": 1 }))
        .await
        .expect_error(400, "invalid_request");

    // A deleted message has nothing left to report.
    let gone = app.send(&alice, public, "oops").await;
    let path = format!("/api/v1/rooms/{public}/messages/{}", gone["id"]);
    app.delete(&path, &alice.token).await.expect(204);
    report(&app, &bob, &gone["id"], "too late")
        .await
        .expect_error(409, "conflict");
}

#[tokio::test]
async fn only_server_admins_see_and_resolve_reports() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let admin = server_admin(&app, "root").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    let rude = app.send(&alice, room, "first text").await;
    let path = format!("/api/v1/rooms/{room}/messages/{}", rude["id"]);
    app.patch(&path, &alice.token, json!({ "body": "edited text" }))
        .await
        .expect(200);
    let id = report(&app, &bob, &rude["id"], "they edited it")
        .await
        .expect(201)["report"]["id"]
        .as_i64()
        .unwrap();

    app.get("/api/v1/reports", &bob.token)
        .await
        .expect_error(403, "forbidden");
    resolve(&app, &alice, id, json!({}))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/reports?limit=0", &admin.token)
        .await
        .expect_error(400, "invalid_request");

    let open = app.get("/api/v1/reports", &admin.token).await.expect(200);
    let listed = &open["reports"][0];
    assert_eq!(listed["id"], id);
    assert_eq!(listed["reason"], "they edited it");
    assert_eq!(listed["reporter"]["username"], "bob");
    assert_eq!(listed["message"]["author"]["username"], "alice");
    assert_eq!(listed["message"]["body"], "edited text");
    assert_eq!(listed["message"]["earlier_texts"], json!(["first text"]));
    assert_eq!(listed["resolution"], Value::Null);

    let done = resolve(&app, &admin, id, json!({ "note": "warned alice" }))
        .await
        .expect(200);
    assert_eq!(done["report"]["resolution"]["by"], "root");
    assert_eq!(done["report"]["resolution"]["note"], "warned alice");
    resolve(&app, &admin, id, json!({}))
        .await
        .expect_error(409, "conflict");
    resolve(&app, &admin, 999_999, json!({}))
        .await
        .expect_error(404, "not_found");
    let open = app.get("/api/v1/reports", &admin.token).await.expect(200);
    assert_eq!(open["reports"], json!([]));
    let resolved = app
        .get("/api/v1/reports?status=resolved", &admin.token)
        .await
        .expect(200);
    assert_eq!(resolved["reports"][0]["id"], id);
}

#[tokio::test]
async fn resolving_can_delete_the_message_and_nothing_of_its_text_remains() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let admin = server_admin(&app, "root").await;
    // A private room the admin is not in: admins moderate it all the same.
    let room = app.room(&alice, "den", "private").await;
    app.post(
        &format!("/api/v1/rooms/{room}/members"),
        &alice.token,
        json!({ "username": "bob" }),
    )
    .await
    .expect(201);
    let marker = "zebra-marker-4711";
    let rude = app.send(&alice, room, &format!("{marker} first")).await;
    let path = format!("/api/v1/rooms/{room}/messages/{}", rude["id"]);
    app.patch(
        &path,
        &alice.token,
        json!({ "body": format!("{marker} second") }),
    )
    .await
    .expect(200);
    let id = report(&app, &bob, &rude["id"], "abuse").await.expect(201)["report"]["id"]
        .as_i64()
        .unwrap();

    let done = resolve(&app, &admin, id, json!({ "delete_message": true }))
        .await
        .expect(200);
    let message = &done["report"]["message"];
    assert_eq!(message["deleted"], true);
    assert_eq!(message["body"], "");
    assert_eq!(message["earlier_texts"], json!([]));
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    let shown = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == rude["id"])
        .unwrap();
    assert_eq!(shown["deleted"], true);

    // Every row of every table, as text: the marker is nowhere.
    let sql = app.sql().await;
    let tables = sql
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap();
    for table in tables {
        let name: String = table.get(0);
        let query =
            format!("SELECT count(*) FROM \"{name}\" t WHERE t::text LIKE '%' || $1 || '%'");
        let found: i64 = sql.query_one(&query, &[&marker]).await.unwrap().get(0);
        assert_eq!(found, 0, "the deleted text is still in {name}");
    }
}
