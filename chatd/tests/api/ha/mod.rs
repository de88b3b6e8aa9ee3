//! The failover test (issue 19, docs/ha.md): two chatd processes on a
//! multi-host URL in front of PostgreSQL under Patroni, senders over REST
//! and WebSocket with client_ids, a resuming reader, and four faults. Run
//! by scripts/ha-test, which starts the cluster; ignored otherwise.

mod cluster;
mod load;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::daemon::Daemon;
use crate::process::{account, public_room};
use cluster::{Node, signal};
use load::Seen;

/// Acknowledgements that show sends work again after a fault.
const RECOVERED: usize = 40;

/// Resumes a node's stopped processes even if the test fails meanwhile.
struct Stopped(Vec<u32>);

impl Drop for Stopped {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            signal("CONT", &self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the Patroni cluster that scripts/ha-test starts"]
async fn acknowledged_messages_survive_failovers_exactly_once() {
    let url = std::env::var("CHAT_HA_URL").expect("CHAT_HA_URL (set by scripts/ha-test)");
    let synchronous = std::env::var("CHAT_HA_SYNCHRONOUS").as_deref() == Ok("true");
    let nodes = cluster::nodes();
    cluster::whole(&nodes, synchronous).await;
    println!(
        "ha-test: {:?}: the cluster is whole",
        start_of_test().elapsed()
    );

    let args = [
        "--limit-sends-user",
        "off",
        "--limit-register-addr",
        "off",
        "--limit-ws-addr",
        "off",
    ];
    let mut first = Daemon::start(&url, &args).await;
    let second = Daemon::start(&url, &args).await;
    let (a, b) = (first.base.clone(), second.base.clone());
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..5 {
        tokens.push(account(&http, &a, &format!("ha{i}"), "failover-password-1").await);
    }
    let room = public_room(&http, &a, &tokens[0], "failover").await;
    for token in &tokens[1..] {
        let joined = http
            .post(format!("{a}/api/v1/rooms/{room}/join"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(joined.status().is_success());
    }

    let seen = Arc::new(Seen::default());
    // Sockets on the first instance move to the second when it is killed.
    let both = |first: &str, then: &str| vec![first.to_owned(), then.to_owned()];
    let senders = vec![
        tokio::spawn(load::ws_sender(
            "ws1".into(),
            both(&a, &b),
            tokens[1].clone(),
            room,
            seen.clone(),
        )),
        tokio::spawn(load::ws_sender(
            "ws2".into(),
            both(&a, &b),
            tokens[2].clone(),
            room,
            seen.clone(),
        )),
        tokio::spawn(load::rest_sender(
            "rest1".into(),
            both(&a, &b),
            tokens[3].clone(),
            room,
            seen.clone(),
        )),
        tokio::spawn(load::rest_sender(
            "rest2".into(),
            both(&b, &a),
            tokens[4].clone(),
            room,
            seen.clone(),
        )),
    ];
    let reader = tokio::spawn(load::reader(
        both(&a, &b),
        tokens[0].clone(),
        room,
        seen.clone(),
    ));
    start_of_test();
    acknowledged_again(&seen, &[&first, &second]).await;

    let mut outages: Vec<(&str, Instant, Instant)> = Vec::new();

    // (a) The standby falls behind (walsender stopped 2 s), then the
    // primary's PostgreSQL dies at once (every process SIGKILLed, so
    // nothing more reaches the standby).
    let leader = cluster::leader(&nodes).await;
    let walsender = leader.walsender().await;
    let stopped = Stopped(vec![walsender]);
    let start = Instant::now();
    signal("STOP", &[walsender]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal("KILL", &postgres_processes(&leader));
    drop(stopped);
    failed_over(&nodes, &leader, &seen, &[&first, &second]).await;
    outages.push((
        "(a) walsender stopped 2 s, then kill -9",
        start,
        Instant::now(),
    ));
    cluster::whole(&nodes, synchronous).await;
    println!(
        "ha-test: {:?}: the cluster is whole",
        start_of_test().elapsed()
    );

    // (b) A planned switchover.
    let leader = cluster::leader(&nodes).await;
    let candidate = other(&nodes, &leader);
    let start = Instant::now();
    cluster::switchover(&leader, &candidate);
    failed_over(&nodes, &leader, &seen, &[&first, &second]).await;
    outages.push(("(b) patronictl switchover", start, Instant::now()));
    cluster::whole(&nodes, synchronous).await;
    println!(
        "ha-test: {:?}: the cluster is whole",
        start_of_test().elapsed()
    );

    // (c) The primary's node vanishes without closing a connection (every
    // process stopped: no FIN, no RST) until Patroni fails over; sends must
    // work again on the new primary while the old node is still frozen.
    let leader = cluster::leader(&nodes).await;
    let frozen = Stopped(leader.processes());
    let start = Instant::now();
    signal("STOP", &frozen.0);
    failed_over(&nodes, &leader, &seen, &[&first, &second]).await;
    outages.push(("(c) primary's node frozen (SIGSTOP)", start, Instant::now()));
    drop(frozen);
    cluster::whole(&nodes, synchronous).await;
    println!(
        "ha-test: {:?}: the cluster is whole",
        start_of_test().elapsed()
    );

    // (d) One chatd dies; its sockets resume on the other.
    let start = Instant::now();
    first.child.kill().unwrap();
    acknowledged_again(&seen, &[&second]).await;
    outages.push(("(d) chatd killed", start, Instant::now()));

    seen.stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }
    // A last message through the surviving instance: once the reader has
    // it, it has read everything before it.
    let marker: serde_json::Value = http
        .post(format!("{b}/api/v1/rooms/{room}/messages"))
        .bearer_auth(&tokens[0])
        .json(&json!({"body": "the end", "client_id": "marker"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let marker = marker["message"]["id"]
        .as_i64()
        .or(marker["id"].as_i64())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.1 == Some(marker))
    {
        assert!(
            Instant::now() < deadline,
            "the reader never saw the last message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen.stop_reading.store(true, Ordering::Relaxed);
    reader.await.unwrap();

    verify(&url, room, &seen, &outages).await;
}

/// Waits for a leader other than `old`, then for sends to be acknowledged
/// again.
async fn failed_over(nodes: &[Node], old: &Node, seen: &Seen, chatds: &[&Daemon]) {
    let new = cluster::new_leader(nodes, old).await;
    println!(
        "ha-test: {:?}: {} leads",
        start_of_test().elapsed(),
        new.name
    );
    acknowledged_again(seen, chatds).await;
}

async fn acknowledged_again(seen: &Seen, chatds: &[&Daemon]) {
    let from = seen.ack_count();
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.ack_count() < from + RECOVERED {
        if Instant::now() > deadline {
            for (i, chatd) in chatds.iter().enumerate() {
                let logs = chatd.logs();
                for line in &logs[logs.len().saturating_sub(20)..] {
                    println!("chatd {i}: {line}");
                }
            }
            panic!(
                "sends are not acknowledged any more ({} so far)",
                seen.ack_count()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "ha-test: {:?}: {} sends acknowledged",
        start_of_test().elapsed(),
        seen.ack_count()
    );
}

/// When the test began, for its progress lines.
fn start_of_test() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn other(nodes: &[Node], leader: &Node) -> Node {
    nodes
        .iter()
        .find(|n| n.name != leader.name)
        .unwrap()
        .clone()
}

/// The node's PostgreSQL: the postmaster and its children (not Patroni).
fn postgres_processes(node: &Node) -> Vec<u32> {
    let mut pids = node.processes();
    pids.remove(0);
    pids
}

/// Every acknowledged message is in history exactly once, and the reader
/// saw the room's whole log once, in order.
async fn verify(url: &str, room: i64, seen: &Seen, outages: &[(&str, Instant, Instant)]) {
    let db = chat_store::connect_once(url).await.unwrap();
    let rows = db
        .query(
            "SELECT id, client_id FROM messages WHERE room_id = $1",
            &[&room],
        )
        .await
        .unwrap();
    let mut by_client: HashMap<String, Vec<i64>> = HashMap::new();
    for row in &rows {
        if let Some(client_id) = row.get::<_, Option<String>>(1) {
            by_client.entry(client_id).or_default().push(row.get(0));
        }
    }
    let acks = seen.acks.lock().unwrap().clone();
    let lost: Vec<&str> = acks
        .iter()
        .filter(|a| {
            by_client
                .get(&a.client_id)
                .is_none_or(|ids| !ids.contains(&a.message_id))
        })
        .map(|a| a.client_id.as_str())
        .collect();
    let doubled: Vec<&String> = by_client
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(c, _)| c)
        .collect();
    let log: Vec<i64> = db
        .query(
            "SELECT seq FROM room_events WHERE room_id = $1 ORDER BY seq",
            &[&room],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let read: Vec<i64> = seen.events.lock().unwrap().iter().map(|e| e.0).collect();

    println!(
        "ha-test: {} sends acknowledged, {} messages stored",
        acks.len(),
        rows.len()
    );
    println!(
        "ha-test: the reader resumed {} times",
        seen.resumes.lock().unwrap()
    );
    for (fault, from, to) in outages {
        let pause = load::longest_pause(&acks, *from, *to);
        println!(
            "ha-test: {fault}: sends acknowledged again after {:.1} s",
            pause.as_secs_f64()
        );
    }
    println!(
        "ha-test: acknowledged but lost: {}, stored twice: {}",
        lost.len(),
        doubled.len()
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    assert!(doubled.is_empty(), "client_ids stored twice: {doubled:?}");
    let first_gap = read.iter().zip(&log).position(|(r, l)| r != l);
    assert!(
        read == log,
        "the reader's events differ from the log: {} read, {} in the log, first difference at {first_gap:?}",
        read.len(),
        log.len()
    );
}
