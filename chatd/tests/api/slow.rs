//! Slow consumers cost bounded memory: twenty clients that never read are
//! cut off at their queue bound (4008, or a reset when not even the close
//! frame fits in their socket), chatd's resident memory stays flat
//! while thousands more messages flow, and a client that does read gets
//! every one of them, in order.

use std::time::{Duration, Instant};

use chat_testkit::TestDb;
use serde_json::json;

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::WsClient;
use crate::storm::crowd;

const SLOW: usize = 20;

/// chatd's resident set size in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Sends `count` big messages as `token`, each read back by `reader`.
async fn flow(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    room: i64,
    reader: &mut WsClient,
    from: usize,
    count: usize,
) {
    let body = "x".repeat(3900);
    for i in from..from + count {
        let res = http
            .post(format!("{base}/api/v1/rooms/{room}/messages"))
            .bearer_auth(token)
            .json(&json!({"body": format!("{i} {body}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let event = reader.next_event().await;
        let text = event["message"]["body"].as_str().unwrap();
        assert!(text.starts_with(&format!("{i} ")), "out of order at {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_consumers_are_cut_off_and_memory_stays_flat() {
    let db = TestDb::create().await;
    let (tokens, room, _) = crowd(&db, SLOW + 2).await;
    let port = free_port();
    let chatd = Daemon::start_on(
        &db.url,
        port,
        &[],
        &[
            QUIET,
            ("CHATD_LIMIT_SENDS_USER", "off"),
            ("CHATD_WS_QUEUE", "256"),
        ],
    )
    .await;
    let base = chatd.base.clone();
    let (sender, reader_token, slow_tokens) = (&tokens[0], &tokens[1], &tokens[2..]);
    let mut slow = Vec::new();
    for token in slow_tokens {
        let mut ws = WsClient::connect(&base, Some(token)).await.unwrap();
        assert_eq!(ws.next_json().await["type"], "ready");
        ws.send_json(json!({"type": "resume", "rooms": {}})).await;
        slow.push(ws);
    }
    let mut reader = WsClient::connect(&base, Some(reader_token)).await.unwrap();
    assert_eq!(reader.next_json().await["type"], "ready");
    reader
        .send_json(json!({"type": "resume", "rooms": {}}))
        .await;
    let http = reqwest::Client::new();

    // Enough to overflow every slow consumer's socket buffers and queue.
    flow(&http, &base, sender, room, &mut reader, 0, 1500).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let settled = rss_kib(chatd.child.id());
    // Four times as much again: with the slow ones gone, nothing piles up.
    flow(&http, &base, sender, room, &mut reader, 1500, 6000).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(chatd.child.id());
    let growth_mib = after.saturating_sub(settled) as f64 / 1024.0;
    // Holding the 6000 messages for even one slow client would take 23 MiB.
    assert!(growth_mib < 12.0, "chatd grew by {growth_mib:.1} MiB");

    // Every slow client was cut off: with 4008 when the close frame still
    // fit in its socket, else by a reset (its buffers were full).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut with_4008 = 0;
    for ws in &mut slow {
        match ws.ended().await {
            Some(4008) => with_4008 += 1,
            None => {}
            Some(other) => panic!("a slow consumer was closed with {other}"),
        }
        assert!(Instant::now() < deadline);
    }
    eprintln!(
        "slow consumer figures: {SLOW} cut off ({with_4008} with a 4008 frame, the rest reset), rss {:.1} MiB -> {:.1} MiB over 6000 more messages of 3.9 KB",
        settled as f64 / 1024.0,
        after as f64 / 1024.0
    );
}
