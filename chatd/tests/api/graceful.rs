//! A graceful stop under load: SIGTERM while senders keep sending. Every
//! request chatd accepted gets a whole answer, sockets close with 1001,
//! chatd exits 0 within its grace period, and every acknowledged message
//! is in history exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_testkit::TestDb;
use serde_json::json;

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::WsClient;
use crate::process::{account, public_room};

/// What one sender saw.
#[derive(Debug, Default)]
struct Tally {
    acked: Vec<String>,
    /// Refused at connect: chatd had stopped accepting (expected).
    refused: usize,
    /// No whole answer: either the connection was still in the kernel's
    /// backlog when chatd stopped accepting (then nothing was stored), or an
    /// accepted request was cut off (a failure, seen as a stored message).
    broken: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_finishes_what_it_accepted() {
    let db = TestDb::create().await;
    let port = free_port();
    let mut chatd = Daemon::start_on(
        &db.url,
        port,
        &[],
        &[QUIET, ("CHATD_LIMIT_SENDS_USER", "off")],
    )
    .await;
    let base = chatd.base.clone();
    // A fresh connection per request, so "not accepting any more" shows as
    // a refused connect and never as a pooled connection closing under us.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let token = account(&http, &base, "alice", "long enough pw").await;
    let room = public_room(&http, &base, &token, "busy").await;
    let mut ws = WsClient::connect(&base, Some(&token)).await.unwrap();
    assert_eq!(ws.next_json().await["type"], "ready");

    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut senders = Vec::new();
    for s in 0..4 {
        let (http, base, token, tally) = (http.clone(), base.clone(), token.clone(), tally.clone());
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                let id = format!("s{s}-{i}");
                let sent = http
                    .post(format!("{base}/api/v1/rooms/{room}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("load {id}"), "client_id": id}))
                    .timeout(Duration::from_secs(20))
                    .send()
                    .await;
                let answer = match sent {
                    Ok(res) => {
                        let status = res.status();
                        res.bytes().await.map(|_| status)
                    }
                    Err(e) => Err(e),
                };
                let mut tally = tally.lock().unwrap();
                match answer {
                    Ok(status) if status.is_success() => tally.acked.push(id),
                    Ok(status) => panic!("{id}: unexpected status {status}"),
                    Err(e) if e.is_connect() => {
                        tally.refused += 1;
                        return;
                    }
                    Err(_) => tally.broken.push(id),
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while tally.lock().unwrap().acked.len() < 100 {
        assert!(Instant::now() < deadline, "the load did not get going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let stopping = Instant::now();
    chatd.terminate();
    assert_eq!(ws.closed().await, 1001);
    let exit = loop {
        if let Some(exit) = chatd.child.try_wait().unwrap() {
            break exit;
        }
        // The default grace is 10 s; allow for a loaded machine.
        assert!(
            stopping.elapsed() < Duration::from_secs(15),
            "chatd did not exit within its grace period"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(exit.code(), Some(0));
    for sender in senders {
        sender.await.unwrap();
    }

    let tally = std::mem::take(&mut *tally.lock().unwrap());
    assert_eq!(tally.refused, 4, "every sender ended at a refused connect");
    let client = chat_store::connect_once(&db.url).await.unwrap();
    let stored: HashMap<String, i64> = client
        .query(
            "SELECT client_id, count(*) FROM messages WHERE room_id = $1 GROUP BY client_id",
            &[&room],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for id in &tally.acked {
        assert_eq!(stored.get(id), Some(&1), "{id} must be stored exactly once");
    }
    // Nothing was stored that its sender did not hear about: every request
    // chatd took was answered in full.
    for id in &tally.broken {
        assert!(
            !stored.contains_key(id),
            "{id} was stored but its answer was cut off"
        );
    }
    assert_eq!(stored.len(), tally.acked.len());
    eprintln!(
        "graceful stop figures: acked {}, stored {}, duplicates 0, \
         unanswered-and-unstored {}, refused after stop {}",
        tally.acked.len(),
        stored.len(),
        tally.broken.len(),
        tally.refused
    );
}
