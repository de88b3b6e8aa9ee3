//! `GET /api/v1/ws`: the WebSocket upgrade.
//!
//! warp's own WebSocket filter cannot set tungstenite's read buffer, which
//! defaults to 128 KiB per connection. So the accept loop (server.rs) moves
//! hyper's upgrade handle into an [`UpgradeSlot`], this route answers the
//! handshake itself, and the stream is built with our [`WebSocketConfig`].

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use chat_wire::ws::WsQuery;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tracing::Instrument as _;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply, path};

use super::extract::{Query, query};
use super::respond;
use crate::browser;
use crate::error::ApiError;
use crate::gateway::conn;
use crate::state::Ctx;

/// Bytes each connection reads from the socket at a time, and the read
/// buffer it starts with. Small, because idle connections are the common
/// case (tungstenite's default is 128 KiB): most client frames (a send, a
/// typing notice, `resume`) fit in one read, and a larger one takes a few
/// more. 512 bytes instead of 4 KiB took 3.5 KiB off every idle socket
/// without slowing one socket's pipelined sends (docs/benchmarks.md).
const READ_BUFFER: usize = 512;
/// Fed frames gather in the write buffer up to this size before a write.
const WRITE_BUFFER: usize = 16 * 1024;

/// hyper's upgrade handle, made cloneable so a warp filter can take it.
#[derive(Clone, Default)]
pub struct UpgradeSlot(Arc<Mutex<Option<OnUpgrade>>>);

impl UpgradeSlot {
    pub fn new(on_upgrade: OnUpgrade) -> Self {
        Self(Arc::new(Mutex::new(Some(on_upgrade))))
    }

    fn take(&self) -> Option<OnUpgrade> {
        self.0.lock().ok()?.take()
    }
}

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    path!("api" / "v1" / "ws")
        .and(warp::get())
        .and(ctx)
        .and(query())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<UpgradeSlot>())
        .then(upgrade)
        .map(respond)
        .boxed()
}

/// Open the WebSocket gateway (see docs/protocol.md). Authenticate with the
/// `Authorization` header, the web client's session cookie, or a first
/// `auth` frame.
#[utoipa::path(get, path = "/api/v1/ws", tag = "gateway",
    security((), ("bearer" = [])),
    params(WsQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request, or a bad `resume`", body = chat_wire::ErrorBody),
        (status = 401, description = "The Authorization header's token (or the session cookie) is not valid", body = chat_wire::ErrorBody),
        (status = 403, description = "The browser Origin is neither this server nor an allowed one", body = chat_wire::ErrorBody),
        (status = 429, description = "Too many connections from this address or for this account", body = chat_wire::ErrorBody),
    ))]
pub async fn upgrade(
    ctx: Ctx,
    query: Query<WsQuery>,
    headers: HeaderMap,
    slot: Option<UpgradeSlot>,
) -> Result<Response, ApiError> {
    let resume_follows = query?.resume.unwrap_or(true);
    let wants_upgrade = header_has(&headers, "upgrade", "websocket")
        && header_has(&headers, "connection", "upgrade")
        && headers
            .get("sec-websocket-version")
            .is_some_and(|v| v.as_bytes() == b"13");
    let key = headers.get("sec-websocket-key").filter(|_| wants_upgrade);
    let (Some(key), Some(on_upgrade)) = (key, slot.as_ref().and_then(UpgradeSlot::take)) else {
        return Err(ApiError::invalid(
            "expected a WebSocket upgrade (version 13)",
        ));
    };
    // A token in the header or the session cookie is checked before
    // switching protocols: a bad one is a plain 401, never a 101. (A
    // cookie must also come from this server's own page: see browser.rs.)
    check_origin(&headers, &ctx.config().ws_allowed_origins)?;
    let limiter = &ctx.state.limiter;
    limiter.ws_from(ctx.client())?;
    let user = if ctx.has_credential() {
        let me = ctx.caller().await?;
        limiter.ws_of(me.user_id, me.rate_limit_exempt)?;
        Some(me)
    } else {
        None
    };
    let accept = derive_accept_key(key.as_bytes());
    let state = ctx.state.clone();
    let gateway = state.gateway.clone();
    let max = gateway.config.max_message_bytes;
    let socket_task = async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, "websocket upgrade failed");
                return;
            }
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            // Frames fed without a flush gather up to this much before
            // they are written, so a burst leaves in few system calls.
            .write_buffer_size(WRITE_BUFFER)
            .max_write_buffer_size(max.max(READ_BUFFER) * 4)
            .max_message_size(Some(max))
            .max_frame_size(Some(max));
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        conn::serve(state, socket, user, resume_follows).await;
    };
    // The socket's log lines keep naming the client (the request's span).
    gateway.spawn(socket_task.in_current_span());
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = response.headers_mut();
    h.insert("upgrade", "websocket".parse().expect("static"));
    h.insert("connection", "Upgrade".parse().expect("static"));
    h.insert(
        "sec-websocket-accept",
        accept.parse().expect("base64 is a valid header"),
    );
    Ok(response)
}

/// A browser names the page's origin; a page from another site must not
/// open sockets here (it could ride on a token it got hold of, or probe the
/// server). No Origin (native clients), the server's own host, or a listed
/// origin passes.
fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), ApiError> {
    match headers.get("origin") {
        Some(origin) if !browser::origin_allowed(origin, headers, allowed, true) => {
            Err(ApiError::forbidden(
                "this origin may not open WebSockets here (see --ws-allowed-origins)",
            ))
        }
        _ => Ok(()),
    }
}

/// True if a comma-separated header contains `token` (case-insensitive).
fn header_has(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .unwrap_or_default()
            .split(',')
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    })
}
