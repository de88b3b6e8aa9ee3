//! Fault tests with hard invariants: every acknowledged message is in
//! history exactly once, and WebSocket clients that resume see every event
//! exactly once, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_testkit::PrivateCluster;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::{TestApp, TestDb, WsClient};
use crate::process::{account, public_room};

/// Fault tests send as fast as the server acknowledges; the send rate
/// limit is not what they test.
const NO_SEND_LIMIT: (&str, &str) = ("CHATD_LIMIT_SENDS_USER", "off");

fn quick(c: &mut chatd::Config) {
    c.gateway.resume_grace = Duration::from_millis(100);
    c.rate_limits.sends_per_user = chatd::ratelimit::Limit::OFF;
}

/// Sends with a client_id until the server acknowledges it (2xx); returns
/// false if the deadline passed first.
async fn send_until_acked(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    room: i64,
    client_id: &str,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let sent = http
            .post(format!("{base}/api/v1/rooms/{room}/messages"))
            .bearer_auth(token)
            .json(&json!({"body": format!("body of {client_id}"), "client_id": client_id}))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if let Ok(res) = sent {
            if res.status().is_success() {
                return true;
            }
            assert!(
                res.status() == 503 || res.status().is_server_error(),
                "unexpected answer {}",
                res.status()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// How often each client_id appears in the room's history.
async fn history_counts(url: &str, room: i64) -> HashMap<String, i64> {
    let db = chat_store::connect_once(url).await.unwrap();
    db.query(
        "SELECT client_id, count(*) FROM messages WHERE room_id = $1 AND client_id IS NOT NULL GROUP BY client_id",
        &[&room],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// The room's whole log, as seqs.
async fn log_seqs(url: &str, room: i64) -> Vec<i64> {
    let db = chat_store::connect_once(url).await.unwrap();
    db.query(
        "SELECT seq FROM room_events WHERE room_id = $1 ORDER BY seq",
        &[&room],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// A WebSocket reader that reconnects and resumes until it has seen the
/// seq `until` names (set once the writers are done), recording every
/// event it receives.
async fn resilient_reader(
    base: String,
    token: String,
    room: i64,
    mut until: watch::Receiver<Option<i64>>,
) -> Vec<i64> {
    let mut seen: Vec<i64> = Vec::new();
    let read = async {
        loop {
            let Ok(mut ws) = WsClient::connect(&base, Some(&token)).await else {
                // chatd is restarting: try again shortly.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let last = seen.last().copied().unwrap_or(0);
            ws.send_json(json!({"type": "resume", "rooms": {room.to_string(): last}}))
                .await;
            loop {
                if let Some(target) = *until.borrow_and_update()
                    && seen.last().is_some_and(|&s| s >= target)
                {
                    return;
                }
                // Whichever comes first: an event, the end of this
                // connection, or the target (then look again above).
                tokio::select! {
                    frame = ws.next_or_end() => match frame {
                        Some(frame) => {
                            let event = frame["room_id"] == room && frame["type"] != "ack";
                            if let Some(seq) = frame["seq"].as_i64().filter(|_| event) {
                                seen.push(seq);
                            }
                        }
                        None => break,
                    },
                    Ok(()) = until.changed() => {}
                }
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(90), read)
        .await
        .is_err()
    {
        panic!("reader did not catch up; saw {seen:?}");
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_crash_loses_no_acknowledged_message() {
    let pg = Arc::new(PrivateCluster::start());
    let url = pg.migrated_database("chat").await;
    let app = TestApp::spawn_at(&url, quick).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.room(&alice, "lobby", "public").await;
    app.post(
        &format!("/api/v1/rooms/{room}/join"),
        &bob.token,
        Value::Null,
    )
    .await
    .expect(200);
    let (until, until_rx) = watch::channel(None);
    let reader = tokio::spawn(resilient_reader(
        app.base.clone(),
        bob.token.clone(),
        room,
        until_rx,
    ));
    let http = reqwest::Client::new();
    let mut acked = Vec::new();
    for i in 0..40 {
        if i == 15 {
            pg.crash();
            app.get("/api/v1/me", &alice.token)
                .await
                .expect_error(503, "unavailable");
            app.call(reqwest::Method::GET, "/readyz", None, Value::Null)
                .await
                .expect_error(503, "unavailable");
            // The outage is the subject: PostgreSQL stays down for a while
            // (the sends meanwhile are refused and retried), then returns.
            let pg = pg.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                pg.up();
            });
        }
        let id = format!("m{i}");
        if send_until_acked(&http, &app.base, &alice.token, room, &id).await {
            acked.push(id);
        }
    }
    assert_eq!(acked.len(), 40, "every send was eventually acknowledged");
    app.call(reqwest::Method::GET, "/readyz", None, Value::Null)
        .await
        .expect(200);
    // No dead pooled connection is handed out after the restart.
    for _ in 0..20 {
        app.get("/api/v1/me", &alice.token).await.expect(200);
    }
    let counts = history_counts(&url, room).await;
    for id in &acked {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "{id} must be in history exactly once"
        );
    }
    let log = log_seqs(&url, room).await;
    until.send_replace(log.last().copied());
    let seen = reader.await.unwrap();
    let expected = log.clone();
    assert_eq!(seen, expected, "the reader saw every event once, in order");
    figures("database crash", 40, &acked, &counts, seen.len());
}

/// One line of figures for the notes (`--no-capture` shows it).
fn figures(
    fault: &str,
    sent: usize,
    acked: &[String],
    counts: &HashMap<String, i64>,
    reader_events: usize,
) {
    let found = acked.iter().filter(|id| counts.contains_key(*id)).count();
    let duplicates: i64 = counts.values().map(|n| n - 1).sum();
    eprintln!(
        "fault figures [{fault}]: sent {sent}, acked {}, found {found}, duplicates {duplicates}, \
         resumed reader events {reader_events} (gap-free, no duplicate)",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_chatd_loses_no_acknowledged_message() {
    let db = TestDb::create().await;
    let port = free_port();
    let mut chatd = Daemon::start_on(&db.url, port, &[], &[QUIET, NO_SEND_LIMIT]).await;
    let base = chatd.base.clone();
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for name in ["alice", "bob"] {
        tokens.push(account(&http, &base, name, "long enough pw").await);
    }
    let room = public_room(&http, &base, &tokens[0], "burst").await;
    http.post(format!("{base}/api/v1/rooms/{room}/join"))
        .bearer_auth(&tokens[1])
        .send()
        .await
        .unwrap();
    let (until, until_rx) = watch::channel(None);
    let reader = tokio::spawn(resilient_reader(
        base.clone(),
        tokens[1].clone(),
        room,
        until_rx,
    ));

    // Eight senders in parallel; chatd dies under them and comes back.
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for s in 0..8 {
        let (http, base, token, acked) =
            (http.clone(), base.clone(), tokens[0].clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for i in 0..25 {
                let id = format!("s{s}-{i}");
                if send_until_acked(&http, &base, &token, room, &id).await {
                    acked.lock().unwrap().push(id);
                }
            }
        }));
    }
    let db_url = db.url.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while history_counts(&db_url, room).await.len() < 60 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    chatd.child.kill().unwrap(); // SIGKILL
    chatd.child.wait().unwrap();
    let _restarted = Daemon::start_on(&db.url, port, &[], &[QUIET, NO_SEND_LIMIT]).await;
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), 200, "every send was eventually acknowledged");
    let counts = history_counts(&db.url, room).await;
    for id in &acked {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "{id} must be in history exactly once"
        );
    }
    assert_eq!(counts.len(), 200);
    let log = log_seqs(&db.url, room).await;
    until.send_replace(log.last().copied());
    let seen = reader.await.unwrap();
    let expected = log.clone();
    assert_eq!(
        seen, expected,
        "the resumed reader saw every event once, in order"
    );
    figures("kill -9 of chatd", 200, &acked, &counts, seen.len());
}
