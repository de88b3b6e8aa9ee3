//! Look-alike names: a room name or display name with a word that mixes
//! writing systems (a Cyrillic "е" in "general") is refused; one writing
//! system per word passes, whichever it is.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn names_that_mix_scripts_within_a_word_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.room(&alice, "general", "public").await;
    let fake_general = "g\u{435}neral"; // Cyrillic е
    app.post("/api/v1/rooms", &alice.token, json!({"name": fake_general}))
        .await
        .expect_error(400, "invalid_request");
    let moscow = "\u{41c}\u{43e}\u{441}\u{43a}\u{432}\u{430} team"; // Москва team
    let room = app.room(&alice, moscow, "public").await;
    let path = format!("/api/v1/rooms/{room}");
    app.patch(&path, &alice.token, json!({"name": "p\u{430}ypal"}))
        .await
        .expect_error(400, "invalid_request");
    let room_now = app.get(&path, &alice.token).await.expect(200);
    assert_eq!(room_now["room"]["name"], moscow);

    let fake_alice = "\u{430}lice"; // Cyrillic а
    app.patch(
        "/api/v1/me",
        &alice.token,
        json!({"display_name": fake_alice}),
    )
    .await
    .expect_error(400, "invalid_request");
    let anna = "\u{410}\u{43d}\u{43d}\u{430} (Anna)"; // Анна (Anna)
    let me = app
        .patch("/api/v1/me", &alice.token, json!({"display_name": anna}))
        .await
        .expect(200);
    assert_eq!(me["user"]["display_name"], anna, "{me}");

    app.call(
        Method::POST,
        "/api/v1/auth/register",
        None,
        json!({"username": "bob", "password": "long enough password", "display_name": "b\u{43e}b"}),
    )
    .await
    .expect_error(400, "invalid_request");
}
