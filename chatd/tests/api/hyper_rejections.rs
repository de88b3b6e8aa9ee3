//! Requests hyper refuses before any route sees them (a head it cannot
//! parse, a URI over its limit, too many headers) still get our JSON error
//! and our headers. Plain TCP, since no HTTP client sends such requests.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use serde_json::Value;

use crate::helpers::TestApp;

/// Sends `request` on a fresh connection and reads the answer until chatd
/// closes the connection.
async fn raw_answer(app: &TestApp, request: Vec<u8>) -> String {
    let addr = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut socket = TcpStream::connect(addr).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        socket.write_all(&request).unwrap();
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).unwrap();
        String::from_utf8(answer).unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn hypers_own_rejections_are_json_with_our_headers() {
    let app = TestApp::spawn().await;
    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let many_headers = format!(
        "GET /healthz HTTP/1.1\r\nhost: x\r\n{}\r\n",
        (0..200)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>()
    );
    for (request, status) in [
        (b"GARBAGE\r\n\r\n".to_vec(), "400 Bad Request"),
        (
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n".to_vec(),
            "400 Bad Request",
        ),
        (long_uri.into_bytes(), "414 URI Too Long"),
        (
            many_headers.into_bytes(),
            "431 Request Header Fields Too Large",
        ),
    ] {
        let answer = raw_answer(&app, request).await;
        let (head, body) = answer.split_once("\r\n\r\n").expect("a complete head");
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{head}"
        );
        let head = head.to_ascii_lowercase();
        for line in [
            "content-type: application/json".to_owned(),
            format!("content-length: {}", body.len()),
            "x-content-type-options: nosniff".to_owned(),
            "cache-control: no-store".to_owned(),
        ] {
            assert!(head.contains(&format!("\r\n{line}\r\n")), "{line}: {head}");
        }
        let body: Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(body["error"]["code"], "invalid_request", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // The server goes on answering.
    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), 200);
}
