//! The test harness: a fresh database per test, cloned from a migrated
//! template, and a chatd serving it on an ephemeral port.

pub use chat_testkit::TestDb;
use chatd::ratelimit::Limit;
use chatd::{Config, Server};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// The data directory of the chatd instances on `db`.
pub fn files_dir(db: &TestDb) -> std::path::PathBuf {
    std::env::temp_dir().join("chat-test-files").join(&db.name)
}

/// A running chatd on its own database.
pub struct TestApp {
    pub base: String,
    /// The database; shared with (and owned by) the first app when this one
    /// is a second instance.
    pub db: Arc<TestDb>,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<()>>,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// A response's status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {:?}",
            self.body
        );
        self.body
    }

    /// Asserts an API error with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {:?}",
            self.body
        );
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.body
        );
        self.body
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(Arc::new(TestDb::create().await), configure).await
    }

    /// A chatd on a database of a private cluster.
    pub async fn spawn_at(url: &str, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(Arc::new(TestDb::foreign(url)), configure).await
    }

    /// Another chatd instance on the same database.
    pub async fn second_instance(&self, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(self.db.clone(), configure).await
    }

    async fn spawn_on(db: Arc<TestDb>, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            database_url: db.url.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            db_pool_size: 8,
            ..Config::default()
        };
        // Tests register, send and change rooms as fast as they can;
        // the limits on those are tested where they are the subject
        // (ratelimits.rs). The login and connection limits stay as shipped.
        config.rate_limits.sends_per_user = Limit::OFF;
        config.rate_limits.writes_per_user = Limit::OFF;
        config.rate_limits.register_per_addr = Limit::OFF;
        // Uploads go to a directory of this database's own (shared by its
        // second instances, as a deployment's instances share one).
        config.files.data_dir = files_dir(&db);
        configure(&mut config);
        let server = Server::bind(config).await.expect("chatd starts");
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let stopped = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Self {
            base,
            db,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
            stopped: Some(stopped),
        }
    }

    /// Stops chatd as SIGTERM would and waits until it has returned.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.stopped.take() {
            handle.await.unwrap();
        }
    }

    /// Opens a WebSocket authenticated by the Authorization header.
    pub async fn ws(&self, token: &str) -> WsClient {
        WsClient::connect(&self.base, Some(token))
            .await
            .expect("websocket opens")
    }

    /// Opens a WebSocket authenticated by the Authorization header and
    /// reads its `ready` frame.
    pub async fn ws_ready(&self, token: &str) -> (WsClient, Value) {
        let mut ws = self.ws(token).await;
        let ready = ws.next_json().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        (ws, ready)
    }

    /// Sends a request; `body` is sent as JSON unless it is `Value::Null`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request reaches chatd");
        Self::answer(res).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Self::answer(req.send().await.expect("request reaches chatd")).await
    }

    async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), Value::Null).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), Value::Null)
            .await
    }

    /// Logs the token's session out.
    pub async fn logout(&self, token: &str) {
        self.post("/api/v1/auth/logout", token, Value::Null)
            .await
            .expect(204);
    }

    /// Asserts that the token no longer works.
    pub async fn assert_refused(&self, token: &str) {
        self.get("/api/v1/me", token)
            .await
            .expect_error(401, "unauthorized");
    }

    /// Registers and logs in a user.
    pub async fn user(&self, username: &str) -> TestUser {
        let password = format!("{username}-password");
        self.call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
        .expect(201);
        self.login(username, &password).await
    }

    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        let body = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({ "username": username, "password": password }),
            )
            .await
            .expect(200);
        TestUser {
            id: body["user"]["id"].as_i64().unwrap(),
            username: body["user"]["username"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a room owned by `owner` and returns its id.
    pub async fn room(&self, owner: &TestUser, name: &str, visibility: &str) -> i64 {
        self.post(
            "/api/v1/rooms",
            &owner.token,
            json!({ "name": name, "visibility": visibility }),
        )
        .await
        .expect(201)["room"]["id"]
            .as_i64()
            .unwrap()
    }

    /// Joins a public room.
    pub async fn join(&self, user: &TestUser, room: i64) {
        self.post(
            &format!("/api/v1/rooms/{room}/join"),
            &user.token,
            Value::Null,
        )
        .await
        .expect(200);
    }

    /// Sends a message and returns it.
    pub async fn send(&self, user: &TestUser, room: i64, body: &str) -> Value {
        self.post(
            &format!("/api/v1/rooms/{room}/messages"),
            &user.token,
            json!({ "body": body }),
        )
        .await
        .expect(201)["message"]
            .clone()
    }

    /// A direct connection to the test database.
    pub async fn sql(&self) -> tokio_postgres::Client {
        chat_store::connect_once(&self.db.url).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A WebSocket client for tests.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

/// How long a test waits for a frame it expects.
const FRAME_WAIT: Duration = Duration::from_secs(10);

impl WsClient {
    /// Connects; the error is the HTTP answer when the upgrade is refused.
    pub async fn connect(
        base: &str,
        token: Option<&str>,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        Self::connect_to(base, "/api/v1/ws", token).await
    }

    /// Connects to a path of the gateway's (with a query, say).
    pub async fn connect_to(
        base: &str,
        path: &str,
        token: Option<&str>,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let url = format!("{}{path}", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { stream })
    }

    pub async fn send_json(&mut self, value: Value) {
        self.stream
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.unwrap();
    }

    /// The next JSON frame (pings are answered by the library and skipped).
    pub async fn next_json(&mut self) -> Value {
        {
            loop {
                let frame = tokio::time::timeout(FRAME_WAIT, self.stream.next())
                    .await
                    .expect("a frame within the wait")
                    .expect("the socket is open")
                    .expect("a valid frame");
                match frame {
                    Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                    Message::Close(close) => panic!("closed: {close:?}"),
                    _ => continue,
                }
            }
        }
    }

    /// The next frame that is not ephemeral: a room event, ack or error
    /// (skips typing, presence and pongs).
    pub async fn next_event(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            if !matches!(frame["type"].as_str(), Some("typing" | "presence" | "pong")) {
                return frame;
            }
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match tokio::time::timeout(FRAME_WAIT, self.stream.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => return frame.code.into(),
                Ok(Some(Ok(Message::Close(None)))) | Ok(None) => return 1005,
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => panic!("socket error before a close frame: {e}"),
                Err(_) => panic!("the server did not close the socket"),
            }
        }
    }

    /// The next JSON frame, or `None` once the connection has ended
    /// (closed or reset). Waits as long as it takes: the caller bounds the
    /// wait (a reader that reconnects until it has seen a given event).
    pub async fn next_or_end(&mut self) -> Option<Value> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(text.as_str()).unwrap());
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads until the connection ends: `Some(code)` for a close frame,
    /// `None` when it was reset or cut without one (a peer whose own buffers
    /// are full may never get the close frame). Panics if it stays open.
    pub async fn ended(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(FRAME_WAIT, self.stream.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Some(frame.map_or(1005, |f| f.code.into()));
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return None,
                Err(_) => panic!("the server did not end the connection"),
            }
        }
    }

    /// Sends a ping frame and returns every frame received before the pong.
    ///
    /// The server handles a connection's frames in order and writes each
    /// answer before it reads the next frame, so nothing more will answer a
    /// frame sent before the ping: no further ack, error or replayed event.
    /// The server also writes whatever is already queued for the connection
    /// (other users' events, typing, presence) before the pong; what is
    /// still on its way from another instance may come later, so to show
    /// none of that is coming, wait for a later event that travels the same
    /// way ([`Self::frames_until_message`]).
    pub async fn drain_until_pong(&mut self) -> Vec<Value> {
        self.send_json(serde_json::json!({"type": "ping"})).await;
        let mut seen = Vec::new();
        loop {
            let frame = self.next_json().await;
            if frame["type"] == "pong" {
                return seen;
            }
            seen.push(frame);
        }
    }

    /// Reads until the `message.created` event of a message with this body
    /// and returns every frame before it.
    ///
    /// A marker: send a message after the actions under test, into a room
    /// this connection hears, and whatever those actions queued for this
    /// connection (events, typing, presence) arrives before it. The hub
    /// hands a connection everything through one queue, in the order it
    /// was published; an event is held back only while a gap before it in
    /// its room is read from the log, and one sender's sends, awaited one
    /// after the other, leave no gap.
    pub async fn frames_until_message(&mut self, body: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let frame = self.next_json().await;
            if frame["type"] == "message.created" && frame["message"]["body"] == body {
                return seen;
            }
            seen.push(frame);
        }
    }
}

/// Keeps a PostgreSQL backend stopped (SIGSTOP) while alive: its socket
/// stays open but nothing answers, like a connection a firewall dropped.
pub struct Frozen(i32);

impl Frozen {
    /// Stops backend `pid` until the value is dropped.
    pub fn stop(pid: i32) -> Self {
        Self::signal(pid, "-STOP");
        Self(pid)
    }

    fn signal(pid: i32, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        Self::signal(self.0, "-CONT");
    }
}
