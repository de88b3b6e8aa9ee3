//! Blocking (issue 16): the list, and direct conversations refused both
//! ways with an answer that does not reveal the block.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, TestUser};

async fn block(app: &TestApp, user: &TestUser, target: &str) -> Answer {
    let path = format!("/api/v1/me/blocks/{target}");
    app.call(Method::PUT, &path, Some(&user.token), Value::Null)
        .await
}

async fn blocked(app: &TestApp, user: &TestUser) -> Vec<String> {
    let body = app.get("/api/v1/me/blocks", &user.token).await.expect(200);
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn open_dm(app: &TestApp, user: &TestUser, peer: &str) -> Answer {
    app.post("/api/v1/dms", &user.token, json!({ "username": peer }))
        .await
}

#[tokio::test]
async fn blocks_are_listed_idempotent_and_lifted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.user("carol").await;
    assert!(blocked(&app, &alice).await.is_empty());

    block(&app, &alice, "bob").await.expect(204);
    block(&app, &alice, "BOB").await.expect(204);
    block(&app, &alice, "carol").await.expect(204);
    let mut names = blocked(&app, &alice).await;
    names.sort();
    assert_eq!(names, ["bob", "carol"]);

    block(&app, &alice, "alice")
        .await
        .expect_error(400, "invalid_request");
    block(&app, &alice, "nobody")
        .await
        .expect_error(404, "not_found");
    app.call(Method::PUT, "/api/v1/me/blocks/bob", None, Value::Null)
        .await
        .expect_error(401, "unauthorized");

    app.delete("/api/v1/me/blocks/bob", &alice.token)
        .await
        .expect(204);
    app.delete("/api/v1/me/blocks/bob", &alice.token)
        .await
        .expect(204);
    app.delete("/api/v1/me/blocks/nobody", &alice.token)
        .await
        .expect_error(404, "not_found");
    assert_eq!(blocked(&app, &alice).await, ["carol"]);
}

#[tokio::test]
async fn a_block_refuses_direct_conversations_both_ways_without_saying_why() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    // A conversation that existed before the block cannot be reopened.
    let dm = open_dm(&app, &bob, "alice").await.expect(201);
    let dm_id = dm["room"]["id"].as_i64().unwrap();

    block(&app, &alice, "bob").await.expect(204);
    let by_blocked = open_dm(&app, &bob, "alice")
        .await
        .expect_error(403, "forbidden");
    let by_blocker = open_dm(&app, &alice, "bob")
        .await
        .expect_error(403, "forbidden");
    // The same answer either way: bob cannot tell that alice blocked him.
    assert_eq!(by_blocked, by_blocker);
    let message = by_blocked["error"]["message"].as_str().unwrap();
    assert!(!message.contains("block"), "{message}");

    // Others are unaffected; lifting the block opens the old conversation.
    open_dm(&app, &carol, "alice").await.expect(201);
    app.delete("/api/v1/me/blocks/bob", &alice.token)
        .await
        .expect(204);
    let reopened = open_dm(&app, &bob, "alice").await.expect(200);
    assert_eq!(reopened["room"]["id"], dm_id);
}
