//! Moderation (issue 16): running a room (removals, roles, bans) through
//! the API by its rules, and on two instances where the effect is live.
//! What moderation refuses (direct conversations, strangers, bad input) is
//! in moderation_refusals.rs.

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

pub(crate) async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
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

pub(crate) async fn set_role(
    app: &TestApp,
    room: i64,
    actor: &TestUser,
    target: &str,
    role: &str,
) -> Answer {
    app.patch(
        &format!("/api/v1/rooms/{room}/members/{target}"),
        &actor.token,
        json!({ "role": role }),
    )
    .await
}

pub(crate) async fn remove(app: &TestApp, room: i64, actor: &TestUser, target: &str) -> Answer {
    app.delete(
        &format!("/api/v1/rooms/{room}/members/{target}"),
        &actor.token,
    )
    .await
}

/// A public room owned by alice with bob, carol and dave in it.
pub(crate) async fn crowded(app: &TestApp) -> (i64, [TestUser; 4]) {
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
