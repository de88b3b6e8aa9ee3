//! An upload whose client stops part-way, by hanging up or by going
//! silent past the body timeout, stores nothing and leaves no staging
//! file behind (issue 17).

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::files::{blobs_on_disk, staging_files};
use crate::helpers::{TestApp, files_dir};

/// Starts an upload that promises 100,000 bytes and sends 4 KiB of them.
async fn start_upload(app: &TestApp, token: &str) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).await.expect("chatd listens");
    let head = format!(
        "POST /api/v1/files?name=partial.bin HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 100000\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&[b'x'; 4096]).await.unwrap();
    tcp.flush().await.unwrap();
    tcp
}

/// Waits (up to 20 s) until the staging directory holds `n` files.
async fn staging_reaches(dir: &Path, n: usize) {
    for _ in 0..200 {
        if staging_files(dir) == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the staging directory never held {n} files");
}

#[tokio::test]
async fn an_upload_whose_client_hangs_up_leaves_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let dir = files_dir(&app.db);
    let tcp = start_upload(&app, &alice.token).await;
    // The upload is under way: its bytes are being staged.
    staging_reaches(&dir, 1).await;
    drop(tcp);
    staging_reaches(&dir, 0).await;
    assert!(blobs_on_disk(&dir).is_empty(), "nothing was stored");
}

#[tokio::test]
async fn an_upload_that_goes_silent_is_cut_off_and_leaves_nothing() {
    let app = TestApp::spawn_with(|c| c.connections.body_timeout = Duration::from_secs(1)).await;
    let alice = app.user("alice").await;
    let dir = files_dir(&app.db);
    // The client keeps the connection open but sends nothing more.
    let _tcp = start_upload(&app, &alice.token).await;
    staging_reaches(&dir, 1).await;
    staging_reaches(&dir, 0).await;
    assert!(blobs_on_disk(&dir).is_empty(), "nothing was stored");
}
