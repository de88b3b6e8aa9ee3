//! The load the fault test keeps up through every fault: senders over REST
//! and WebSocket that retry each message with its client_id until it is
//! acknowledged (as a real client does), and a reader that resumes after
//! every disconnect.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::apache::Apache;

/// An acknowledged send: when, its client_id and the message id it got.
#[derive(Debug, Clone)]
pub struct Ack {
    pub at: Instant,
    pub client_id: String,
    pub message_id: i64,
}

/// What the load saw, shared by its tasks.
#[derive(Debug, Default)]
pub struct Seen {
    pub acks: Mutex<Vec<Ack>>,
    /// The reader's events: (seq, message id for `message.created`).
    pub events: Mutex<Vec<(i64, Option<i64>)>>,
    /// Times the reader had to reconnect and resume.
    pub resumes: Mutex<u32>,
    /// Stops the senders.
    pub stop: AtomicBool,
    /// Stops the reader (once it has read everything).
    pub stop_reading: AtomicBool,
}

impl Seen {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn acked(&self, client_id: String, message: &Value) {
        let message_id = message["id"]
            .as_i64()
            .expect("an acknowledged message has an id");
        self.acks.lock().unwrap().push(Ack {
            at: Instant::now(),
            client_id,
            message_id,
        });
    }

    pub fn ack_count(&self) -> usize {
        self.acks.lock().unwrap().len()
    }
}

/// How the load reaches chatd: the instances themselves, the next one
/// tried when one fails, or Apache's balancer in front of them (one
/// address, over TLS), which moves clients itself.
#[derive(Clone)]
pub struct Front {
    bases: Vec<String>,
    http: reqwest::Client,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Front {
    pub fn direct(bases: Vec<String>) -> Self {
        Self {
            bases,
            http: reqwest::Client::new(),
            tls: None,
        }
    }

    pub fn apache(apache: &Apache) -> Self {
        Self {
            bases: vec![apache.base()],
            http: apache.client(),
            tls: Some(apache.tls()),
        }
    }

    fn base(&self, at: usize) -> &str {
        &self.bases[at % self.bases.len()]
    }
}

/// How long one attempt may take before the sender gives up on it and
/// retries: a send that hangs longer is a failure of what is under test.
const ATTEMPT: Duration = Duration::from_secs(30);
const PAUSE: Duration = Duration::from_millis(100);

/// Sends `name-0`, `name-1`, ... over REST, each until acknowledged,
/// moving to the other instance when one does not answer.
pub async fn rest_sender(name: String, front: Front, token: String, room: i64, seen: Arc<Seen>) {
    let mut at = 0;
    for k in 0.. {
        let client_id = format!("{name}-{k}");
        loop {
            if seen.stopped() {
                return;
            }
            let url = format!("{}/api/v1/rooms/{room}/messages", front.base(at));
            let request = front
                .http
                .post(url)
                .timeout(ATTEMPT)
                .bearer_auth(&token)
                .json(&json!({"body": client_id, "client_id": client_id}));
            match request.send().await {
                Ok(res) if res.status().is_success() => {
                    let body: Value = res.json().await.unwrap();
                    let message = if body["message"].is_object() {
                        &body["message"]
                    } else {
                        &body
                    };
                    seen.acked(client_id, message);
                    break;
                }
                // 503 (and the 502 of a proxy): retry the same client_id.
                Ok(res) if res.status().is_server_error() => {
                    let status = res.status();
                    let body = res.text().await.unwrap_or_default();
                    assert_ne!(status, 500, "a 500 during failover: {body}");
                }
                Ok(res) => panic!("send refused: {} {:?}", res.status(), res.text().await),
                // Refused or timed out: the instance is gone or stuck.
                Err(_) => at += 1,
            }
            tokio::time::sleep(PAUSE).await;
        }
    }
}

/// A connection to chatd or Apache, plain or over TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = tokio_tungstenite::WebSocketStream<Box<dyn Io>>;

/// A socket to `front`'s `at`th address that has been answered with `ready`.
async fn open(front: &Front, at: usize, token: &str) -> Option<Socket> {
    let base = reqwest::Url::parse(front.base(at)).unwrap();
    let host = base.host_str().unwrap().to_owned();
    let port = base.port_or_known_default().unwrap();
    let scheme = if front.tls.is_some() { "wss" } else { "ws" };
    let mut request = format!("{scheme}://{host}:{port}/api/v1/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let connect = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        let io: Box<dyn Io> = match &front.tls {
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(host.clone()).ok()?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                Box::new(connector.connect(name, tcp).await.ok()?)
            }
            None => Box::new(tcp),
        };
        tokio_tungstenite::client_async(request, io).await.ok()
    };
    let (mut socket, _) = tokio::time::timeout(ATTEMPT, connect).await.ok()??;
    let ready = next(&mut socket).await?;
    (ready["type"] == "ready").then_some(socket)
}

/// The next JSON frame; `None` when the socket ends or stays silent.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(ATTEMPT, socket.next()).await.ok()?? {
            Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Sends over a WebSocket, each message until acknowledged, reconnecting
/// (to the other instance when one is gone) and sending the same client_id
/// again after any disconnect.
pub async fn ws_sender(name: String, front: Front, token: String, room: i64, seen: Arc<Seen>) {
    let mut at = 0;
    let mut socket = None;
    for k in 0.. {
        let client_id = format!("{name}-{k}");
        loop {
            if seen.stopped() {
                return;
            }
            let Some(ws) = socket.as_mut() else {
                socket = open(&front, at, &token).await;
                if socket.is_none() {
                    at += 1;
                    tokio::time::sleep(PAUSE).await;
                }
                continue;
            };
            let frame =
                json!({"type": "send", "room_id": room, "body": client_id, "client_id": client_id});
            if ws
                .send(Message::Text(frame.to_string().into()))
                .await
                .is_err()
            {
                socket = None;
                continue;
            }
            match answer(ws, &client_id).await {
                Some(frame) if frame["type"] == "ack" => {
                    seen.acked(client_id, &frame["message"]);
                    break;
                }
                // Unavailable, or the frame itself refused by the socket's
                // frame limit (it names no client_id): send it again.
                Some(frame) => {
                    let code = &frame["error"]["code"];
                    assert!(
                        code == "unavailable" || code == "rate_limited",
                        "send refused: {frame}"
                    );
                    tokio::time::sleep(PAUSE).await;
                }
                None => socket = None,
            }
        }
    }
}

/// The ack or error for `client_id`, or the error that refused the frame
/// unread (a fast sender meets the socket's frame limit; other frames are
/// skipped); `None` if the socket ended first.
async fn answer(socket: &mut Socket, client_id: &str) -> Option<Value> {
    loop {
        let frame = next(socket).await?;
        let ours = frame["client_id"] == client_id;
        match frame["type"].as_str() {
            Some("ack") if ours => return Some(frame),
            Some("error") if ours || frame["error"]["code"] == "rate_limited" => {
                return Some(frame);
            }
            _ => {}
        }
    }
}

/// Follows `room` from seq 0, resuming from its last seq after every
/// disconnect, until told to stop.
pub async fn reader(front: Front, token: String, room: i64, seen: Arc<Seen>) {
    let mut at = 0;
    let mut last = 0_i64;
    while !seen.stop_reading.load(Ordering::Relaxed) {
        let Some(mut socket) = open(&front, at, &token).await else {
            at += 1;
            tokio::time::sleep(PAUSE).await;
            continue;
        };
        let resume = json!({"type": "resume", "rooms": {room.to_string(): last}});
        if socket
            .send(Message::Text(resume.to_string().into()))
            .await
            .is_err()
        {
            continue;
        }
        loop {
            let frame = tokio::select! {
                frame = next(&mut socket) => frame,
                () = until_stopped(&seen) => return,
            };
            let Some(frame) = frame else { break };
            if frame["room_id"] != room {
                continue;
            }
            let Some(seq) = frame["seq"].as_i64() else {
                assert_ne!(frame["type"], "error", "resume refused: {frame}");
                continue;
            };
            let message = (frame["type"] == "message.created")
                .then(|| frame["message"]["id"].as_i64())
                .flatten();
            seen.events.lock().unwrap().push((seq, message));
            last = seq;
        }
        *seen.resumes.lock().unwrap() += 1;
    }
}

async fn until_stopped(seen: &Seen) {
    while !seen.stop_reading.load(Ordering::Relaxed) {
        tokio::time::sleep(PAUSE).await;
    }
}

/// The longest pause between acknowledgements that overlaps `from..to`.
pub fn longest_pause(acks: &[Ack], from: Instant, to: Instant) -> Duration {
    let mut times: Vec<Instant> = acks.iter().map(|a| a.at).collect();
    times.sort();
    times
        .windows(2)
        .filter(|w| w[1] >= from && w[0] <= to)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}
