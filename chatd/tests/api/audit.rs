//! Server admins moderate every room, every moderation action lands in
//! the audit log, and nothing (not even a superuser) rewrites that log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::reports::server_admin;

/// The audit log's (actor, action, target) rows, oldest first.
async fn audit(app: &TestApp) -> Vec<(String, String, String)> {
    app.sql()
        .await
        .query(
            "SELECT actor_name, action, target FROM audit_log ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn row(actor: &str, action: &str, target: String) -> (String, String, String) {
    (actor.to_owned(), action.to_owned(), target)
}

#[tokio::test]
async fn server_admins_moderate_rooms_they_are_not_in() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    let carol = app.user("carol").await;
    let admin = server_admin(&app, "root").await;
    let private = app.room(&alice, "den", "private").await;
    let members = format!("/api/v1/rooms/{private}/members");
    app.post(&members, &alice.token, json!({ "username": "bob" }))
        .await
        .expect(201);
    app.post(&members, &alice.token, json!({ "username": "carol" }))
        .await
        .expect(201);

    // Reading a private room stays for its members, admins included...
    app.get(&format!("/api/v1/rooms/{private}/messages"), &admin.token)
        .await
        .expect_error(404, "not_found");
    // ...but an admin moderates it: roles, removals, bans, the ban list.
    app.patch(
        &format!("{members}/bob"),
        &admin.token,
        json!({ "role": "admin" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{members}/carol"), &admin.token)
        .await
        .expect(204);
    let bans = format!("/api/v1/rooms/{private}/bans");
    app.call(
        Method::PUT,
        &format!("{bans}/bob"),
        Some(&admin.token),
        json!({ "reason": "spam" }),
    )
    .await
    .expect(204);
    let list = app.get(&bans, &admin.token).await.expect(200);
    assert_eq!(list["bans"][0]["user"]["username"], "bob");
    assert_eq!(list["bans"][0]["by"]["username"], "root");
    app.post(&members, &alice.token, json!({ "username": "bob" }))
        .await
        .expect_error(403, "forbidden");
    app.delete(&format!("{bans}/bob"), &admin.token)
        .await
        .expect(204);
    // Even the owner, whom a room admin may not touch.
    app.delete(&format!("{members}/alice"), &admin.token)
        .await
        .expect(204);

    // A plain user who is not a member still learns nothing.
    app.delete(&format!("{members}/bob"), &carol.token)
        .await
        .expect_error(404, "not_found");

    let target = |who: &str| format!("room:{private} user:{who}");
    assert_eq!(
        audit(&app).await,
        [
            row("root", "room.set_role", target("bob")),
            row("root", "room.remove_member", target("carol")),
            row("root", "room.ban", target("bob")),
            row("root", "room.unban", target("bob")),
            row("root", "room.remove_member", target("alice")),
        ]
    );
}

#[tokio::test]
async fn room_moderation_is_audited_and_leaving_is_not() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.join(&bob, room).await;
    app.join(&carol, room).await;
    let members = format!("/api/v1/rooms/{room}/members");
    app.patch(
        &format!("{members}/bob"),
        &alice.token,
        json!({ "role": "admin" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{members}/carol"), &bob.token)
        .await
        .expect(204);
    // Leaving, or asking for the role one has, changes nothing worth auditing.
    app.patch(
        &format!("{members}/bob"),
        &alice.token,
        json!({ "role": "admin" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{members}/bob"), &bob.token)
        .await
        .expect(204);
    let detail: Value = app
        .sql()
        .await
        .query_one(
            "SELECT details FROM audit_log WHERE action = 'room.set_role'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(detail, json!({ "from": "member", "to": "admin" }));
    assert_eq!(
        audit(&app).await,
        [
            row("alice", "room.set_role", format!("room:{room} user:bob")),
            row(
                "bob",
                "room.remove_member",
                format!("room:{room} user:carol")
            ),
        ]
    );
}

#[tokio::test]
async fn the_audit_log_refuses_update_delete_and_truncate_even_to_superusers() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    let superuser: bool = sql
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        superuser,
        "the test must run as a superuser to mean anything"
    );
    sql.execute(
        "INSERT INTO audit_log (actor_name, action, target) VALUES ('chatctl', 'test', 'x')",
        &[],
    )
    .await
    .unwrap();

    for statement in [
        "UPDATE audit_log SET action = 'rewritten'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        // Replica mode skips ordinary triggers; these fire ALWAYS.
        "SET session_replication_role = replica; DELETE FROM audit_log",
    ] {
        let error = sql.batch_execute(statement).await.unwrap_err();
        let message = error.as_db_error().map(|e| e.message().to_owned());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.contains("append-only")),
            "{statement}: {error:?}"
        );
        sql.batch_execute("RESET session_replication_role")
            .await
            .unwrap();
    }
    let kept: (i64, String) = sql
        .query_one("SELECT count(*), min(action) FROM audit_log", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(kept, (1, "test".to_owned()));
}

#[tokio::test]
async fn server_admins_delete_any_message_and_the_deletion_is_audited() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let admin = server_admin(&app, "root").await;
    let private = app.room(&alice, "den", "private").await;
    let lobby = app.room(&alice, "lobby", "public").await;
    app.join(&bob, lobby).await;
    let secret = app.send(&alice, private, "spam in private").await["id"].clone();
    let public = app.send(&bob, lobby, "spam in public").await["id"].clone();

    // A member who moderates nothing may not; a server admin may, in a
    // room they are not in, private or public.
    app.delete(
        &format!(
            "/api/v1/rooms/{lobby}/messages/{}",
            app.send(&alice, lobby, "mine").await["id"]
        ),
        &bob.token,
    )
    .await
    .expect_error(403, "forbidden");
    for (room, id) in [(private, &secret), (lobby, &public)] {
        app.delete(&format!("/api/v1/rooms/{room}/messages/{id}"), &admin.token)
            .await
            .expect(204);
    }
    // So may a server admin who is a plain member of the room.
    app.join(&admin, lobby).await;
    let joined = app.send(&alice, lobby, "more spam").await["id"].clone();
    app.delete(
        &format!("/api/v1/rooms/{lobby}/messages/{joined}"),
        &admin.token,
    )
    .await
    .expect(204);
    let page = app
        .get(&format!("/api/v1/rooms/{lobby}/messages"), &bob.token)
        .await
        .expect(200);
    let gone = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == public)
        .cloned()
        .unwrap();
    assert_eq!(gone["deleted"], true);
    // Each deletion of someone else's message is in the audit log; an
    // author deleting their own is not.
    app.delete(
        &format!("/api/v1/rooms/{lobby}/messages/{public}"),
        &bob.token,
    )
    .await
    .expect(204);
    let rows = audit(&app).await;
    let deletions: Vec<_> = rows.iter().filter(|r| r.1 == "message.delete").collect();
    assert_eq!(
        deletions,
        [
            &row(
                "root",
                "message.delete",
                format!("room:{private} message:{secret}")
            ),
            &row(
                "root",
                "message.delete",
                format!("room:{lobby} message:{public}")
            ),
            &row(
                "root",
                "message.delete",
                format!("room:{lobby} message:{joined}")
            ),
        ]
    );
    // Strangers still get the room's usual answer.
    app.delete(
        &format!("/api/v1/rooms/{private}/messages/{secret}"),
        &bob.token,
    )
    .await
    .expect_error(404, "not_found");
}
