//! A send whose commit reached PostgreSQL but whose answer never came back
//! (the connection broke in between, as in a failover): chatd's send writer
//! sends it again with its client_id on a fresh connection, finds it
//! stored, acknowledges it once, and still publishes its `message.created`
//! to live clients (docs/ha.md).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TestApp, TestDb, WsClient};

/// A TCP proxy in front of PostgreSQL. Armed with a marker, it lets the
/// first request that carries it through, then swallows the server's
/// answer up to ReadyForQuery (by then the statement has committed) and
/// closes that connection both ways. Every other byte passes untouched.
struct ReplyEater {
    addr: SocketAddr,
    marker: Arc<Mutex<Option<Vec<u8>>>>,
    eaten: Arc<AtomicUsize>,
}

impl ReplyEater {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let eater = Self {
            addr: listener.local_addr().unwrap(),
            marker: Arc::default(),
            eaten: Arc::default(),
        };
        let (marker, eaten) = (eater.marker.clone(), eater.eaten.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(relay(inbound, target, marker.clone(), eaten.clone()));
            }
        });
        eater
    }

    fn arm(&self, marker: &str) {
        *self.marker.lock().unwrap() = Some(marker.as_bytes().to_vec());
    }
}

async fn relay(
    inbound: TcpStream,
    target: SocketAddr,
    marker: Arc<Mutex<Option<Vec<u8>>>>,
    eaten: Arc<AtomicUsize>,
) {
    let Ok(outbound) = TcpStream::connect(target).await else {
        return;
    };
    let (mut from_client, mut to_client) = inbound.into_split();
    let (mut from_server, mut to_server) = outbound.into_split();
    let eating = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            {
                let mut marker = marker.lock().unwrap();
                if marker.as_ref().is_some_and(|m| contains(chunk, m)) {
                    // Set before the request reaches the server, so all of
                    // its answer is swallowed.
                    *marker = None;
                    eating.store(true, Ordering::SeqCst);
                }
            }
            if to_server.write_all(chunk).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let mut buf = vec![0; 64 * 1024];
        let mut swallowed = Vec::new();
        loop {
            let n = match from_server.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if eating.load(Ordering::SeqCst) {
                swallowed.extend_from_slice(&buf[..n]);
                if ends_ready(&swallowed) {
                    eaten.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            } else if to_client.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // Whichever ends first ends the connection: dropping the halves closes
    // both sockets.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether these backend messages (type byte, then a length that counts
/// itself) include ReadyForQuery.
fn ends_ready(mut messages: &[u8]) -> bool {
    while messages.len() >= 5 {
        let len = u32::from_be_bytes(messages[1..5].try_into().unwrap()) as usize;
        if messages[0] == b'Z' {
            return true;
        }
        if messages.len() < 1 + len {
            return false;
        }
        messages = &messages[1 + len..];
    }
    false
}

/// The address of the PostgreSQL server `url` names.
async fn server_of(url: &str) -> SocketAddr {
    let config: tokio_postgres::Config = url.parse().unwrap();
    let tokio_postgres::config::Host::Tcp(host) = &config.get_hosts()[0] else {
        panic!("the test server must be reached over TCP");
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `url` with `addr` in its server's place.
fn via(addr: SocketAddr, url: &str) -> String {
    let config: tokio_postgres::Config = url.parse().unwrap();
    format!(
        "postgres://{}@{addr}/{}",
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_commit_answer_was_lost_is_acknowledged_once_and_heard_live() {
    let db = TestDb::create().await;
    let eater = ReplyEater::start(server_of(&db.url).await).await;
    let app = TestApp::spawn_at(&via(eater.addr, &db.url), |_| {}).await;
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
    let mut ws = WsClient::connect_to(&app.base, "/api/v1/ws?resume=false", Some(&bob.token))
        .await
        .unwrap();
    assert_eq!(ws.next_event().await["type"], "ready");

    let body = "the answer to this commit never arrives";
    eater.arm(body);
    let sent = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": body, "client_id": "lost-answer-1"}),
        )
        .await;
    assert!(sent.status.is_success(), "send: {:?}", sent.body);
    assert_eq!(
        eater.eaten.load(Ordering::SeqCst),
        1,
        "the send's first attempt committed without an answer"
    );
    let id = sent.body["message"]["id"].as_i64().unwrap();

    let client = chat_store::connect_once(&db.url).await.unwrap();
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM messages WHERE room_id = $1 AND client_id = 'lost-answer-1'",
            &[&room],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "stored once");

    // Bob's socket hears it now, not only with the room's next event.
    let event = ws.next_event().await;
    assert_eq!(event["type"], "message.created", "{event}");
    assert_eq!(event["message"]["id"], id);
    assert_eq!(event["message"]["body"], body);
}
