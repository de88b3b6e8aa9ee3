//! Every malformed or unauthorized request gets the documented JSON error,
//! never a 500, never HTML.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for (body, content_type) in [
        (b"{not json".to_vec(), Some("application/json")),
        (b"".to_vec(), Some("application/json")),
        (b"[]".to_vec(), Some("application/json")),
        (b"null".to_vec(), Some("application/json")),
        (vec![0xff, 0xfe, 0x00], Some("application/json")),
        (
            br#"{"name": "x", "visibility": "public", "extra": 1}"#.to_vec(),
            Some("application/json; charset=utf-8"),
        ),
    ] {
        app.raw(
            Method::POST,
            "/api/v1/rooms",
            Some(&alice.token),
            content_type,
            body,
        )
        .await
        .expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn other_content_types_are_415() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        app.raw(
            Method::POST,
            "/api/v1/rooms",
            Some(&alice.token),
            Some(ct),
            br#"{"name": "x", "visibility": "public"}"#.to_vec(),
        )
        .await
        .expect_error(415, "unsupported_media_type");
    }
}

#[tokio::test]
async fn oversized_bodies_are_413_however_they_are_framed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let big = json!({"body": "x".repeat(70 * 1024)})
        .to_string()
        .into_bytes();
    app.raw(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some("application/json"),
        big.clone(),
    )
    .await
    .expect_error(413, "payload_too_large");
    // Chunked, without a Content-Length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/rooms", app.base))
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // The limit is configurable.
    let small = TestApp::spawn_with(|c| c.max_body_bytes = 2048).await;
    small
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "a", "password": "x".repeat(3000)}),
        )
        .await
        .expect_error(413, "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = app.get("/api/v1/nothing-here", &alice.token).await;
    assert_eq!(res.headers["content-type"], "application/json");
    res.expect_error(404, "not_found");
    // `/` is the web client now (web.rs); other unknown paths stay 404.
    app.get("/no-such-page", &alice.token)
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/rooms/not-a-number", &alice.token)
        .await
        .expect_error(404, "not_found");
    app.call(
        Method::DELETE,
        "/api/v1/rooms",
        Some(&alice.token),
        Value::Null,
    )
    .await
    .expect_error(405, "method_not_allowed");
    let put = app
        .call(Method::PUT, "/api/v1/me", Some(&alice.token), Value::Null)
        .await;
    assert_eq!(put.headers["allow"], "GET, PATCH");
    put.expect_error(405, "method_not_allowed");
    let get = app
        .call(Method::GET, "/api/v1/auth/login", None, Value::Null)
        .await;
    assert_eq!(get.headers["allow"], "POST");
    get.expect_error(405, "method_not_allowed");
    let trace = app
        .call(
            Method::TRACE,
            "/api/v1/rooms/7/messages/9",
            None,
            Value::Null,
        )
        .await;
    assert_eq!(trace.headers["allow"], "DELETE, GET, PATCH");
    trace.expect_error(405, "method_not_allowed");
}

#[tokio::test]
async fn bodies_must_be_objects_and_text_never_carries_nul() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    // serde would read a struct from an array; the API does not.
    app.patch("/api/v1/me", &alice.token, json!([null, null]))
        .await
        .expect_error(400, "invalid_request");
    app.patch("/api/v1/me", &alice.token, json!("text"))
        .await
        .expect_error(400, "invalid_request");
    // PostgreSQL's text cannot hold NUL; it must be refused, not a 500.
    app.get("/api/v1/search?q=a%00b", &alice.token)
        .await
        .expect_error(400, "invalid_request");
    app.post(
        "/api/v1/auth/login",
        "",
        json!({"username": "al\u{0}ice", "password": "x\u{0}yyyyyyyy"}),
    )
    .await
    .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn every_protected_endpoint_wants_a_token() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::POST, "/api/v1/auth/logout"),
        (Method::GET, "/api/v1/me"),
        (Method::PATCH, "/api/v1/me"),
        (Method::GET, "/api/v1/users/alice"),
        (Method::POST, "/api/v1/rooms"),
        (Method::GET, "/api/v1/rooms"),
        (Method::GET, "/api/v1/rooms/public"),
        (Method::GET, "/api/v1/rooms/1"),
        (Method::PATCH, "/api/v1/rooms/1"),
        (Method::POST, "/api/v1/rooms/1/join"),
        (Method::POST, "/api/v1/rooms/1/leave"),
        (Method::POST, "/api/v1/rooms/1/members"),
        (Method::GET, "/api/v1/rooms/1/members"),
        (Method::POST, "/api/v1/dms"),
        (Method::POST, "/api/v1/rooms/1/messages"),
        (Method::GET, "/api/v1/rooms/1/messages"),
        (Method::PATCH, "/api/v1/rooms/1/messages/1"),
        (Method::DELETE, "/api/v1/rooms/1/messages/1"),
        (Method::GET, "/api/v1/rooms/1/events"),
        (Method::POST, "/api/v1/rooms/1/read"),
        (Method::GET, "/api/v1/search?q=x"),
    ] {
        // Authentication comes before input checks: an anonymous caller
        // with a broken body still gets 401.
        let res = app
            .raw(
                method.clone(),
                path,
                None,
                Some("application/json"),
                b"{broken".to_vec(),
            )
            .await;
        assert_eq!(res.status, 401, "{method} {path}: {:?}", res.body);
        assert_eq!(res.body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for res in [
        app.get("/api/v1/me", &alice.token).await,
        app.get("/api/v1/nothing", &alice.token).await,
        app.call(Method::GET, "/healthz", None, Value::Null).await,
    ] {
        assert_eq!(res.headers["cache-control"], "no-store");
        assert_eq!(res.headers["x-content-type-options"], "nosniff");
        assert_eq!(
            res.headers["content-security-policy"],
            "frame-ancestors 'none'"
        );
        assert_eq!(res.headers["referrer-policy"], "no-referrer");
    }
}
