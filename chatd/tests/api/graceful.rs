//! A graceful stop under load: SIGTERM while senders keep sending. Every
//! request chatd accepted gets a whole answer, sockets close with 1001,
//! chatd exits 0, and every acknowledged message is in history exactly
//! once. And a request that never finishes does not hold a stop up past
//! the grace period.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_testkit::TestDb;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

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

    chatd.terminate();
    assert_eq!(ws.closed().await, 1001);
    // Nothing here outlasts the grace, so chatd exits as soon as the
    // requests it took are answered; the bound only keeps a hung chatd from
    // hanging the test (how long a stop takes is for the benchmarks). That
    // the grace bounds a stop is the next test's subject.
    assert_eq!(chatd.exit_code(Duration::from_secs(60)).await, Some(0));
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

#[tokio::test]
async fn a_request_that_never_finishes_does_not_hold_up_a_stop() {
    let db = TestDb::create().await;
    let mut chatd = Daemon::start_on(
        &db.url,
        free_port(),
        &[],
        &[QUIET, ("CHATD_SHUTDOWN_GRACE", "1")],
    )
    .await;
    // A request whose body never comes. `Expect: 100-continue` makes chatd
    // say when the handler starts reading the body: from then on the
    // request is in flight, and a stop must wait for it (up to the grace).
    let mut stuck = tokio::net::TcpStream::connect(("127.0.0.1", chatd.port))
        .await
        .unwrap();
    stuck
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: chatd\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\
              Expect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), stuck.read(&mut head))
        .await
        .expect("chatd reads the body")
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 100 Continue"), "{head}");
    stuck.write_all(b"{\"username\": ").await.unwrap();

    chatd.terminate();
    // The request stays open as long as this test lives, so chatd can only
    // exit by giving up on it when the grace (1 s) runs out. The bound
    // only keeps a chatd that waits for ever from hanging the test.
    assert_eq!(chatd.exit_code(Duration::from_secs(60)).await, Some(0));
    assert!(
        chatd.logs().iter().any(|line| line["message"]
            == "some requests did not finish within the shutdown grace"),
        "{:?}",
        chatd.logs()
    );
    // The request got no answer: its connection just ended.
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest).await;
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}
