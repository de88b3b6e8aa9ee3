//! Slow consumers cost bounded memory: twenty clients that never read are
//! cut off at their queue bound (4008, or a reset when not even the close
//! frame fits in their socket) while the messages flow, so chatd stops
//! holding anything for them, and a client that does read gets every
//! message, in order, before and after. How much memory that saves is for
//! the benchmarks to measure.

use std::collections::BTreeSet;
use std::time::Duration;

use chat_testkit::TestDb;
use serde_json::{Value, json};

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::WsClient;
use crate::storm::crowd;

const SLOW: usize = 20;

/// A sender of big messages into a room.
struct Flow<'a> {
    http: reqwest::Client,
    base: &'a str,
    token: &'a str,
    room: i64,
}

impl Flow<'_> {
    /// Sends messages `from..from + count`, each read back by `reader`, in
    /// order; the users the reader meanwhile hears go offline land in
    /// `offline`.
    async fn send(
        &self,
        reader: &mut WsClient,
        offline: &mut BTreeSet<String>,
        from: usize,
        count: usize,
    ) {
        let body = "x".repeat(3900);
        for i in from..from + count {
            let res = self
                .http
                .post(format!("{}/api/v1/rooms/{}/messages", self.base, self.room))
                .bearer_auth(self.token)
                .json(&json!({"body": format!("{i} {body}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let event = loop {
                let frame = reader.next_json().await;
                if frame["type"] != "presence" {
                    break frame;
                }
                note_offline(&frame, offline);
            };
            let text = event["message"]["body"].as_str().unwrap();
            assert!(text.starts_with(&format!("{i} ")), "out of order at {i}");
        }
    }
}

fn note_offline(presence: &Value, offline: &mut BTreeSet<String>) {
    if presence["status"] == "offline" {
        offline.insert(presence["user"]["username"].as_str().unwrap().to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_consumers_are_cut_off_and_the_others_get_everything() {
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
    // The reader connects last: the slow ones are online in its `ready`,
    // and any presence frame it gets later is one of them going offline.
    let mut reader = WsClient::connect(&base, Some(reader_token)).await.unwrap();
    let ready = reader.next_json().await;
    assert_eq!(ready["type"], "ready");
    let slow_names: BTreeSet<String> = (2..SLOW + 2).map(|i| format!("user{i:03}")).collect();
    let online: BTreeSet<String> = ready["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    assert!(online.is_superset(&slow_names), "{ready}");
    reader
        .send_json(json!({"type": "resume", "rooms": {}}))
        .await;
    let flow = Flow {
        http: reqwest::Client::new(),
        base: &base,
        token: sender,
        room,
    };

    // Enough to overflow every slow consumer's socket buffers and queue.
    let mut offline = BTreeSet::new();
    flow.send(&mut reader, &mut offline, 0, 1500).await;
    // chatd lets go of each (unregisters it, dropping its queue), which the
    // reader hears as that user going offline. One blocked in a socket
    // write goes when the write times out (10 s); the bound here only
    // keeps a chatd that never lets go from hanging the test.
    let let_go = tokio::time::timeout(Duration::from_secs(60), async {
        while offline != slow_names {
            let frame = reader
                .next_or_end()
                .await
                .expect("the reader stays connected");
            assert_eq!(frame["type"], "presence", "{frame}");
            note_offline(&frame, &mut offline);
            assert!(offline.is_subset(&slow_names), "{offline:?}");
        }
    })
    .await;
    assert!(
        let_go.is_ok(),
        "chatd still holds slow consumers: {:?}",
        slow_names.difference(&offline).collect::<Vec<_>>()
    );
    // With the slow ones gone, the reader keeps getting every message.
    flow.send(&mut reader, &mut offline, 1500, 1500).await;

    // What each slow client finds when it finally reads: as much as fit in
    // its socket buffers, then 4008 if the close frame still fit, else a
    // reset (its buffers were full); never an open connection.
    let mut with_4008 = 0;
    for ws in &mut slow {
        match ws.ended().await {
            Some(4008) => with_4008 += 1,
            None => {}
            Some(other) => panic!("a slow consumer was closed with {other}"),
        }
    }
    eprintln!(
        "slow consumer figures: {SLOW} cut off ({with_4008} with a 4008 frame, the rest reset)"
    );
}
