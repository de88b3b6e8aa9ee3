//! A reconnect storm: chatd restarts under 200 connected clients of one
//! address. Every client must get back in (no rate limit locks anyone out,
//! no 5xx once chatd is ready) and resume with exactly the events it
//! missed, in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_store::users::{AccountRole, NewUser};
use chat_store::{members, messages, rooms, sessions, users};
use chat_testkit::TestDb;
use chat_wire::{MemberRole, Visibility};
use serde_json::json;
use tokio::sync::Barrier;

use crate::daemon::{Daemon, QUIET, free_port};
use crate::helpers::WsClient;

const CLIENTS: usize = 200;
const MISSED: usize = 5;
/// Sent after every client has resumed; nothing may come between the
/// missed messages and it.
const MARKER: &str = "after the storm";

/// `n` users, their tokens and one room they are all in (the first owns
/// it), made through the store: the sign-up limit is not what the tests
/// using it are about.
pub async fn crowd(db: &TestDb, n: usize) -> (Vec<String>, i64, i64) {
    let pool = chat_store::create_pool(&db.url, &Default::default()).unwrap();
    let mut client = pool.get().await.unwrap();
    // One hash for everyone: no one logs in with a password here.
    let hash = chat_store::password::PasswordHasher::new(Default::default())
        .hash("storm password")
        .await
        .unwrap();
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let name = format!("user{i:03}");
        let user = users::create(
            &client,
            &NewUser {
                username: &name,
                password_hash: &hash,
                display_name: &name,
                role: AccountRole::User,
            },
        )
        .await
        .unwrap();
        let (token, token_hash) = sessions::new_token().unwrap();
        sessions::create(&client, user.id, &token_hash, Duration::from_secs(3600))
            .await
            .unwrap();
        tokens.push(token);
        ids.push(user.id);
    }
    let (room, _) = rooms::create(&mut client, ids[0], "crowd", Visibility::Public, "")
        .await
        .unwrap();
    for &id in &ids[1..] {
        let _ = members::add(&mut client, room.id, id, MemberRole::Member)
            .await
            .unwrap();
    }
    (tokens, room.id, ids[0])
}

/// Connects until the upgrade succeeds; any answer other than "not
/// listening yet" after chatd came back is a failure.
async fn reconnect(base: &str, token: &str) -> WsClient {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match WsClient::connect(base, Some(token)).await {
            Ok(ws) => return ws,
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                panic!("reconnect refused with {}", res.status())
            }
            Err(_) => {
                assert!(Instant::now() < deadline, "could not reconnect");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_clients_survive_a_restart_and_resume_exactly() {
    let db = TestDb::create().await;
    let (tokens, room, author) = crowd(&db, CLIENTS).await;
    let port = free_port();
    let mut chatd = Daemon::start_on(&db.url, port, &[], &[QUIET]).await;
    let base = chatd.base.clone();
    let last_seq = CLIENTS as i64; // one member.joined each, the owner first

    let connected = Arc::new(Barrier::new(CLIENTS + 1));
    let restarted = Arc::new(Barrier::new(CLIENTS + 1));
    let resumed = Arc::new(Barrier::new(CLIENTS + 1));
    let author_token = tokens[0].clone();
    let mut clients = Vec::new();
    for token in tokens {
        let (base, connected, restarted, resumed) = (
            base.clone(),
            connected.clone(),
            restarted.clone(),
            resumed.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut ws = reconnect(&base, &token).await;
            let ready = ws.next_json().await;
            assert_eq!(ready["type"], "ready");
            assert_eq!(ready["rooms"][0]["latest_seq"], last_seq);
            connected.wait().await;
            assert_eq!(ws.closed().await, 1001, "a restart says going away");
            restarted.wait().await;
            let mut ws = reconnect(&base, &token).await;
            assert_eq!(ws.next_json().await["type"], "ready");
            ws.send_json(json!({"type": "resume", "rooms": {room.to_string(): last_seq}}))
                .await;
            let mut seqs = Vec::new();
            while seqs.len() < MISSED {
                let frame = ws.next_json().await;
                if frame["type"] == "message.created" {
                    seqs.push(frame["seq"].as_i64().unwrap());
                }
            }
            // Nothing more (no duplicate, replayed or live) follows the
            // missed ones: a marker sent once everyone has resumed comes
            // after anything else of the room.
            resumed.wait().await;
            for extra in ws.frames_until_message(MARKER).await {
                assert_ne!(extra["type"], "message.created", "duplicate: {extra}");
            }
            seqs
        }));
    }
    connected.wait().await;

    chatd.terminate();
    assert_eq!(chatd.child.wait().unwrap().code(), Some(0));
    // While chatd is down, another instance (here: the store) commits.
    let pool = chat_store::create_pool(&db.url, &Default::default()).unwrap();
    let client = pool.get().await.unwrap();
    for i in 0..MISSED {
        let _ = messages::send(&client, room, author, &format!("missed {i}"), None, None)
            .await
            .unwrap();
    }
    let _restarted = Daemon::start_on(&db.url, port, &[], &[QUIET]).await;
    restarted.wait().await;
    if tokio::time::timeout(Duration::from_secs(90), resumed.wait())
        .await
        .is_err()
    {
        // A client that failed never reaches the barrier: show why.
        for client in clients.into_iter().filter(|c| c.is_finished()) {
            client.await.unwrap();
        }
        panic!("not every client resumed in time");
    }
    reqwest::Client::new()
        .post(format!("{base}/api/v1/rooms/{room}/messages"))
        .bearer_auth(&author_token)
        .json(&json!({"body": MARKER}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    let expected: Vec<i64> = (1..=MISSED as i64).map(|i| last_seq + i).collect();
    for client in clients {
        let seqs = tokio::time::timeout(Duration::from_secs(90), client)
            .await
            .expect("every client resumes in time")
            .unwrap();
        assert_eq!(seqs, expected);
    }
}
