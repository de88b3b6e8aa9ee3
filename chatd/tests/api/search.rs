//! Search over the rooms one is in: words, URLs and identifiers.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::messages::two_in_a_room;

#[tokio::test]
async fn search_finds_words_urls_and_identifiers_in_my_rooms_only() {
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let eve = app.user("eve").await;
    let eves_room = app.room(&eve, "eve's", "private").await;
    app.send(
        &alice,
        room,
        "Deploy notes: see https://git.example.org/ops/chat-deploy/pull/42",
    )
    .await;
    app.send(
        &bob,
        room,
        "the failing test is test_user_login_rate_limit in auth_spec",
    )
    .await;
    app.send(&alice, room, "lunch at noon?").await;
    app.send(&eve, eves_room, "lunch plans in secret").await;
    let search = |q: &str| {
        let url = format!("/api/v1/search?q={}", urlencode(q));
        let token = bob.token.clone();
        let app = &app;
        async move { app.get(&url, &token).await.expect(200) }
    };
    let bodies = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(bodies(&search("LUNCH").await), vec!["lunch at noon?"]);
    assert_eq!(
        search("chat-deploy/pull").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("git.example.org").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("rate_limit").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("test_user_login_rate_limit").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        search("deploy notes").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(search("100%").await["messages"], json!([]));
    assert_eq!(
        search("secret").await["messages"],
        json!([]),
        "eve's room is not bob's"
    );
    let scoped = app
        .get(
            &format!("/api/v1/search?q=lunch&room_id={eves_room}"),
            &bob.token,
        )
        .await
        .expect(200);
    assert_eq!(scoped["messages"], json!([]));
    let scoped = app
        .get(
            &format!("/api/v1/search?q=lunch&room_id={room}"),
            &alice.token,
        )
        .await
        .expect(200);
    assert_eq!(scoped["messages"].as_array().unwrap().len(), 1);
    for bad in [
        "/api/v1/search",
        "/api/v1/search?q=",
        "/api/v1/search?q=%20%20",
        "/api/v1/search?q=a&limit=0",
    ] {
        app.get(bad, &bob.token)
            .await
            .expect_error(400, "invalid_request");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
