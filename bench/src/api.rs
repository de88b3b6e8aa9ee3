//! A client for chatd's REST API and WebSocket: fresh users, rooms and
//! authenticated sockets for the scenarios to load.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Sends a request; its JSON answer (`Null` when empty), or an error naming
/// `path` with the status and body.
async fn answer(path: &str, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("{path}: {status} {text}");
    }
    Ok(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

/// A client socket to chatd.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// chatd's HTTP API at `base`.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

static USER_SEQ: AtomicU64 = AtomicU64::new(0);
/// Public room names are unique: each bench room gets its own.
static ROOM_SEQ: AtomicU64 = AtomicU64::new(0);

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(path, req).await
    }

    /// A fresh user; returns (token, user id).
    pub async fn user(&self) -> anyhow::Result<(String, i64)> {
        let (token, id, _) = self.user_named().await?;
        Ok((token, id))
    }

    /// A fresh user; returns (token, user id, username).
    pub async fn user_named(&self) -> anyhow::Result<(String, i64, String)> {
        let name = format!(
            "b{}_{}",
            std::process::id(),
            USER_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let creds = json!({"username": name, "password": "benchmark password"});
        self.call(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(creds.clone()),
        )
        .await?;
        let login = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(creds),
            )
            .await?;
        Ok((
            login["token"].as_str().context("token")?.to_owned(),
            login["user"]["id"].as_i64().context("id")?,
            name,
        ))
    }

    /// Posts a message over REST; returns its id.
    pub async fn post(&self, token: &str, room: i64, body: &str) -> anyhow::Result<i64> {
        let sent = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/rooms/{room}/messages"),
                Some(token),
                Some(json!({"body": body})),
            )
            .await?;
        sent["message"]["id"].as_i64().context("message id")
    }

    /// A fresh public room owned by `token`'s user.
    pub async fn room(&self, token: &str) -> anyhow::Result<i64> {
        let room = self
            .call(
                reqwest::Method::POST,
                "/api/v1/rooms",
                Some(token),
                Some(json!({
                    "name": format!("bench-{}", ROOM_SEQ.fetch_add(1, Ordering::Relaxed)),
                    "visibility": "public",
                })),
            )
            .await?;
        room["room"]["id"].as_i64().context("room id")
    }

    /// `n` fresh public rooms owned by `token`'s user.
    pub async fn rooms(&self, token: &str, n: usize) -> anyhow::Result<Vec<i64>> {
        let mut rooms = Vec::with_capacity(n);
        for _ in 0..n {
            rooms.push(self.room(token).await?);
        }
        Ok(rooms)
    }

    /// Uploads a small text file as `token`'s user; returns its id.
    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        bytes: &'static [u8],
    ) -> anyhow::Result<i64> {
        let path = format!("/api/v1/files?name={name}");
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body(bytes);
        let file = answer(&path, req).await?;
        file["file"]["id"].as_i64().context("file id")
    }

    /// Makes `token`'s user a member of `room`.
    pub async fn join(&self, token: &str, room: i64) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/rooms/{room}/join"),
            Some(token),
            None,
        )
        .await?;
        Ok(())
    }

    /// An authenticated socket past `ready` and an empty `resume`.
    pub async fn ws(&self, token: &str) -> anyhow::Result<Ws> {
        let url = format!("{}/api/v1/ws", self.base.replacen("http://", "ws://", 1));
        let mut req = url.into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        // tungstenite's default 128 KiB read buffer is zeroed on every read:
        // at 100 receivers that memset alone took a tenth of the machine.
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        let ready = next_json(&mut ws).await?;
        anyhow::ensure!(ready["type"] == "ready", "expected ready, got {ready}");
        ws.send(Message::Text(
            json!({"type": "resume", "rooms": {}}).to_string().into(),
        ))
        .await?;
        Ok(ws)
    }
}

/// The next text frame, parsed.
pub async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(next_text(ws).await?.as_str())?)
}

/// The next text frame; pings and pongs are skipped.
pub async fn next_text(ws: &mut Ws) -> anyhow::Result<tokio_tungstenite::tungstenite::Utf8Bytes> {
    loop {
        match ws.next().await.context("socket closed")?? {
            Message::Text(t) => return Ok(t),
            Message::Close(c) => bail!("closed: {c:?}"),
            _ => {}
        }
    }
}
