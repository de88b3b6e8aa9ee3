//! Files: upload and download round trip, who may read, limits, type
//! sniffing, deduplication, quota and the sweep (image cleaning is in
//! `files_images`).

use std::path::Path;

use futures_util::stream;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::helpers::{TestApp, files_dir};

const TEXT: &[u8] = b"0123456789 hello, files\n";

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    claimed: &str,
    bytes: Vec<u8>,
) -> Value {
    app.raw(
        Method::POST,
        &format!("/api/v1/files?name={name}"),
        Some(token),
        Some(claimed),
        bytes,
    )
    .await
    .expect(201)["file"]
        .clone()
}

/// A GET with extra headers; the raw answer.
pub(crate) async fn fetch(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("request reaches chatd")
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every blob file under the data directory.
pub(crate) fn blobs_on_disk(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("files"), &mut out);
    out.sort();
    out
}

pub(crate) fn staging_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp")).map_or(0, |d| d.count())
}

#[tokio::test]
async fn upload_and_download_round_trip() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let file = upload(&app, &alice.token, "notes.txt", "text/plain", TEXT.to_vec()).await;
    assert_eq!(file["name"], "notes.txt");
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["size"], TEXT.len());
    assert_eq!(file["sha256"], hex_sha256(TEXT));
    let path = format!("/api/v1/files/{}", file["id"]);

    let res = fetch(&app, &path, &alice.token, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(
        h["content-disposition"],
        "attachment; filename*=UTF-8''notes.txt"
    );
    assert!(h["cache-control"].to_str().unwrap().starts_with("private"));
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", hex_sha256(TEXT)));
    assert_eq!(res.bytes().await.unwrap(), TEXT);

    let res = fetch(&app, &path, &alice.token, &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().await.unwrap().is_empty());

    let res = fetch(&app, &path, &alice.token, &[("range", "bytes=2-5")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let total = TEXT.len();
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 2-5/{total}").as_str()
    );
    assert_eq!(res.bytes().await.unwrap(), &TEXT[2..6]);
    let res = fetch(&app, &path, &alice.token, &[("range", "bytes=-3")]).await;
    assert_eq!(res.bytes().await.unwrap(), &TEXT[total - 3..]);
    let res = fetch(&app, &path, &alice.token, &[("range", "bytes=999-")]).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // Not an image: no thumbnail.
    app.get(&format!("{path}/thumbnail"), &alice.token)
        .await
        .expect_error(404, "not_found");
    // Nothing is left in staging.
    assert_eq!(staging_files(&files_dir(&app.db)), 0);
}

#[tokio::test]
async fn only_those_allowed_read_a_file_and_the_rest_get_404() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let file = upload(
        &app,
        &alice.token,
        "secret.txt",
        "text/plain",
        TEXT.to_vec(),
    )
    .await;
    let path = format!("/api/v1/files/{}", file["id"]);
    let stranger = app
        .get(&path, &bob.token)
        .await
        .expect_error(404, "not_found");
    let missing = app
        .get("/api/v1/files/999999999", &bob.token)
        .await
        .expect_error(404, "not_found");
    // Exactly the answer for a file that does not exist.
    assert_eq!(stranger, missing);
    app.get(&format!("{path}/thumbnail"), &bob.token)
        .await
        .expect_error(404, "not_found");
    app.call(Method::GET, &path, None, Value::Null)
        .await
        .expect_error(401, "unauthorized");
    app.call(Method::POST, "/api/v1/files?name=x", None, Value::Null)
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn the_upload_limit_is_exact_and_checked_as_bytes_arrive() {
    let app = TestApp::spawn_with(|c| c.files.max_upload_bytes = 1000).await;
    let alice = app.user("alice").await;
    let dir = files_dir(&app.db);
    upload(
        &app,
        &alice.token,
        "at.bin",
        "application/octet-stream",
        vec![b'a'; 1000],
    )
    .await;
    app.raw(
        Method::POST,
        "/api/v1/files?name=over.bin",
        Some(&alice.token),
        None,
        vec![b'b'; 1001],
    )
    .await
    .expect_error(413, "payload_too_large");
    // Chunked, with no Content-Length to refuse it by: counted as it comes.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..4).map(|_| Ok(vec![b'c'; 400])).collect();
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/files?name=chunked.bin", app.base))
        .bearer_auth(&alice.token)
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .expect("request reaches chatd");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // Only the one accepted file is stored; no staging file stays behind.
    assert_eq!(blobs_on_disk(&dir), [hex_sha256(&[b'a'; 1000])]);
    assert_eq!(staging_files(&dir), 0);
    // Empty and nameless uploads are refused as bad input.
    app.raw(
        Method::POST,
        "/api/v1/files?name=e",
        Some(&alice.token),
        None,
        Vec::new(),
    )
    .await
    .expect_error(400, "invalid_request");
    app.raw(
        Method::POST,
        "/api/v1/files?name=a/",
        Some(&alice.token),
        None,
        vec![1],
    )
    .await
    .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_and_html_is_an_attachment() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    let file = upload(&app, &alice.token, "cat.png", "image/png", html.clone()).await;
    assert_eq!(file["content_type"], "text/html");
    assert!(file.get("width").is_none());
    let res = fetch(
        &app,
        &format!("/api/v1/files/{}", file["id"]),
        &alice.token,
        &[],
    )
    .await;
    assert_eq!(res.headers()["content-type"], "text/html");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename*=UTF-8''cat.png"
    );
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.bytes().await.unwrap(), html);
}

#[tokio::test]
async fn concurrent_uploads_of_the_same_bytes_are_stored_once() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let bytes = vec![7u8; 64 * 1024];
    let uploads = (0..8).map(|i| {
        let token = if i % 2 == 0 { &alice.token } else { &bob.token };
        upload(
            &app,
            token,
            "same.bin",
            "application/octet-stream",
            bytes.clone(),
        )
    });
    let files = futures_util::future::join_all(uploads).await;
    let mut ids: Vec<i64> = files.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each upload is its own file");
    assert!(files.iter().all(|f| f["sha256"] == hex_sha256(&bytes)));
    let dir = files_dir(&app.db);
    assert_eq!(blobs_on_disk(&dir), [hex_sha256(&bytes)]);
    assert_eq!(staging_files(&dir), 0);
}

#[tokio::test]
async fn the_quota_refuses_what_would_pass_it() {
    let app = TestApp::spawn_with(|c| c.files.quota_bytes = 1500).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    upload(&app, &alice.token, "a", "text/plain", vec![b'a'; 1000]).await;
    app.raw(
        Method::POST,
        "/api/v1/files?name=b",
        Some(&alice.token),
        None,
        vec![b'b'; 501],
    )
    .await
    .expect_error(413, "quota_exceeded");
    upload(&app, &alice.token, "c", "text/plain", vec![b'c'; 500]).await;
    // Quotas are per user.
    upload(&app, &bob.token, "d", "text/plain", vec![b'd'; 1500]).await;
}

#[tokio::test]
async fn the_sweep_removes_unused_files_and_their_blobs() {
    let app = TestApp::spawn_with(|c| {
        c.files.grace = std::time::Duration::ZERO;
        c.files.sweep_interval = std::time::Duration::from_millis(50);
    })
    .await;
    let alice = app.user("alice").await;
    let file = upload(&app, &alice.token, "gone.txt", "text/plain", TEXT.to_vec()).await;
    let path = format!("/api/v1/files/{}", file["id"]);
    let dir = files_dir(&app.db);
    // Waits for the condition, however long the sweep takes to come round.
    loop {
        let status = app.get(&path, &alice.token).await.status;
        if status == StatusCode::NOT_FOUND && blobs_on_disk(&dir).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The quota was credited back.
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let used: i64 = db
        .query_one(
            "SELECT coalesce(sum(bytes_used), 0)::bigint FROM user_storage",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(used, 0);
}

/// Through Apache (apache/chat.conf): an upload at chatd's limit is stored,
/// one byte more gets chatd's JSON 413, and a body past Apache's own
/// LimitRequestBody is refused by Apache; a download keeps its sandbox CSP.
#[tokio::test]
async fn uploads_through_apache_agree_with_the_limit() {
    use crate::apache::Apache;
    use crate::daemon::Daemon;
    let db = crate::helpers::TestDb::create().await;
    let chatd = Daemon::start(&db.url, &["--trusted-proxies", "127.0.0.1"]).await;
    let apache = Apache::start(chatd.port);
    let http = apache.client();
    let api = format!("{}/api/v1", apache.base());
    let credentials = serde_json::json!({"username": "alice", "password": "correct horse battery"});
    http.post(format!("{api}/auth/register"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    let login: Value = http
        .post(format!("{api}/auth/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let limit = 25 * 1024 * 1024;
    let send = |len: usize| {
        http.post(format!("{api}/files?name=big.txt"))
            .bearer_auth(&token)
            .body(vec![b'x'; len])
            .send()
    };
    let res = send(limit).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let file: Value = res.json().await.unwrap();
    let res = send(limit + 1).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // Past Apache's limit: Apache refuses it before chatd sees it (or
    // closes the connection while the client still sends).
    if let Ok(res) = send(limit + 128 * 1024).await {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let res = http
        .get(format!("{api}/files/{}", file["file"]["id"]))
        .bearer_auth(&token)
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("sandbox"), "{csp}");
    assert_eq!(res.bytes().await.unwrap(), &b"xxxx"[..]);
}
