//! One WebSocket connection: authentication, `ready`, then a loop that
//! answers client frames and forwards room events in seq order with no gap
//! and no duplicate.
//!
//! Per room the connection remembers the last seq it sent. An event at or
//! below it is dropped (it came twice: live and by replay); an event past
//! the next seq means something was skipped, and the gap is read from the
//! log first. `resume` replays from the client's seq up to what was sent.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_store::sessions::{self, SessionUser};
use chat_store::{events, members, users};
use chat_wire::ws::{ClientFrame, PresenceStatus, RoomPosition, ServerFrame, close};
use chat_wire::{ErrorCode, ErrorDetail, RoomId, Seq, UserRef};
use futures_util::{SinkExt as _, StreamExt as _};
use governor::{Quota, RateLimiter};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::hub::Outbound;
use crate::actions;
use crate::error::ApiError;
use crate::state::AppState;

pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A write that takes longer than this means the peer stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Events read per query when replaying or filling a gap.
const REPLAY_PAGE: i64 = 500;
/// A user's typing notice is passed on at most this often per room.
const TYPING_EVERY: Duration = Duration::from_secs(3);
/// Queued items written per flush: under load, frames that piled up go out
/// in one write instead of one system call each.
const COALESCE: usize = 64;

/// Why the loop ended.
enum End {
    Close(u16, &'static str),
    /// The peer went away; nothing more to send.
    Gone,
}

/// Runs a connection to its end. `user` is set when the upgrade request
/// carried a valid token; otherwise the first frame must authenticate.
pub async fn serve(state: Arc<AppState>, mut socket: Socket, user: Option<SessionUser>) {
    let gateway = &state.gateway;
    let me = match user {
        Some(user) => user,
        None => match first_frame_auth(&state, &mut socket).await {
            Some(user) => match state.limiter.ws_of(user.user_id, user.rate_limit_exempt) {
                Ok(()) => user,
                Err(refused) => {
                    let frame = ServerFrame::Error {
                        client_id: None,
                        error: api_detail(refused),
                    };
                    if let Ok(text) = serde_json::to_string(&frame) {
                        let _ = socket.send(Message::text(text)).await;
                    }
                    let _ =
                        close_with(&mut socket, close::RATE_LIMITED, "too many connections").await;
                    return;
                }
            },
            None => {
                let _ =
                    close_with(&mut socket, close::UNAUTHORIZED, "authentication required").await;
                return;
            }
        },
    };
    let mut conn = match Conn::open(&state, socket, me).await {
        Ok(conn) => conn,
        Err(mut socket) => {
            let _ = close_with(&mut socket, close::GOING_AWAY, "server unavailable; retry").await;
            return;
        }
    };
    let end = conn.run().await;
    gateway.hub.unregister(conn.id);
    if !gateway.hub.is_connected(conn.me.user_id) {
        conn.presence(PresenceStatus::Offline);
    }
    if let End::Close(code, reason) = end {
        let _ = close_with(&mut conn.socket, code, reason).await;
    }
    tracing::debug!(user_id = conn.me.user_id, "websocket closed");
}

/// Waits for `{"type":"auth","token":...}` within the configured time.
async fn first_frame_auth(state: &AppState, socket: &mut Socket) -> Option<SessionUser> {
    let wait = state.gateway.config.auth_timeout;
    let frame = tokio::time::timeout(wait, socket.next())
        .await
        .ok()??
        .ok()?;
    let Message::Text(text) = frame else {
        return None;
    };
    let ClientFrame::Auth { token } = serde_json::from_str(text.as_str()).ok()? else {
        return None;
    };
    let db = state.pool.get().await.ok()?;
    sessions::authenticate(
        &db,
        &sessions::hash_token(&token),
        state.config.session_idle,
    )
    .await
    .ok()?
}

struct Conn {
    state: Arc<AppState>,
    socket: Socket,
    me: SessionUser,
    user: UserRef,
    id: super::hub::ConnId,
    rx: tokio::sync::mpsc::Receiver<Outbound>,
    kill: Arc<super::hub::Kill>,
    /// Per room the connection follows: the last seq it sent.
    sent: HashMap<RoomId, Seq>,
    typing_at: HashMap<RoomId, Instant>,
    /// Live events wait until the client's first frame (usually `resume`)
    /// or the grace period, so a replay is never overtaken.
    holding: bool,
}

impl Conn {
    /// Registers with the hub and sends `ready`.
    async fn open(
        state: &Arc<AppState>,
        mut socket: Socket,
        me: SessionUser,
    ) -> Result<Self, Socket> {
        let loaded = async {
            let db = state
                .pool
                .get()
                .await
                .map_err(chat_store::StoreError::from)?;
            let user = users::get(&db, me.user_id).await?;
            let before = members::positions(&db, me.user_id).await?;
            Ok::<_, chat_store::StoreError>((db, user, before))
        };
        let (db, user, before) = match loaded.await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a websocket session");
                return Err(socket);
            }
        };
        let gateway = &state.gateway;
        let was_connected = gateway.hub.is_connected(me.user_id);
        let registration =
            gateway
                .hub
                .register(me.user_id, me.session_id, &before, gateway.config.queue);
        // Read positions again now that the hub feeds us: anything at or
        // below them is history, anything after reaches us live.
        let positions = match members::positions(&db, me.user_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a websocket session");
                gateway.hub.unregister(registration.id);
                return Err(socket);
            }
        };
        drop(db);
        let ready = ServerFrame::Ready {
            user: user.clone(),
            rooms: positions
                .iter()
                .map(|&(room_id, latest_seq)| RoomPosition {
                    room_id,
                    latest_seq,
                })
                .collect(),
        };
        if send_json(&mut socket, &ready).await.is_err() {
            gateway.hub.unregister(registration.id);
            return Err(socket);
        }
        let conn = Self {
            state: state.clone(),
            socket,
            user: UserRef {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
            },
            me,
            id: registration.id,
            rx: registration.rx,
            kill: registration.kill,
            sent: positions.into_iter().collect(),
            typing_at: HashMap::new(),
            holding: true,
        };
        if !was_connected {
            conn.presence(PresenceStatus::Online);
        }
        Ok(conn)
    }

    async fn run(&mut self) -> End {
        let config = self.state.gateway.config.clone();
        let shutdown = self.state.gateway.shutdown_token();
        let per_second = NonZeroU32::new(config.frames_per_second.max(1)).expect("non-zero");
        let limiter = RateLimiter::direct(
            Quota::per_second(per_second)
                .allow_burst(per_second.saturating_mul(NonZeroU32::new(2).expect("2"))),
        );
        let mut ping = tokio::time::interval(config.ping_interval);
        ping.reset();
        let mut heard = Instant::now();
        let grace = tokio::time::sleep(config.resume_grace);
        tokio::pin!(grace);
        let kill = self.kill.clone();
        loop {
            tokio::select! {
                biased;
                code = kill.fired() => return End::Close(code, reason_for(code)),
                () = shutdown.cancelled() => return End::Close(close::GOING_AWAY, "server shutting down; reconnect and resume"),
                frame = self.socket.next() => {
                    heard = Instant::now();
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(e)) => return end_for_error(&e),
                        None => return End::Gone,
                    };
                    if limiter.check().is_err() {
                        let err = ServerFrame::Error {
                            client_id: None,
                            error: detail(ErrorCode::RateLimited, "too many frames; slow down"),
                        };
                        if self.write(&err).await.is_err() { return End::Gone; }
                        continue;
                    }
                    match frame {
                        Message::Text(text) => {
                            if let Err(end) = self.handle(text.as_str()).await { return end; }
                            self.holding = false;
                        }
                        Message::Binary(_) => {
                            let err = ServerFrame::Error {
                                client_id: None,
                                error: detail(ErrorCode::InvalidRequest, "frames must be JSON text"),
                            };
                            if self.write(&err).await.is_err() { return End::Gone; }
                        }
                        Message::Close(_) => return End::Gone,
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                () = &mut grace, if self.holding => self.holding = false,
                item = self.rx.recv(), if !self.holding => {
                    let Some(item) = item else { return End::Close(close::TOO_SLOW, reason_for(close::TOO_SLOW)) };
                    if let Err(end) = self.forward(item).await { return end; }
                    if let Err(end) = self.flush_queued().await { return end; }
                }
                _ = ping.tick() => {
                    if heard.elapsed() > config.ping_interval * 2 {
                        return End::Close(close::GOING_AWAY, "no answer to pings");
                    }
                    if self.send_raw(Message::Ping(Default::default())).await.is_err() { return End::Gone; }
                }
            }
        }
    }

    /// Answers one client frame.
    async fn handle(&mut self, text: &str) -> Result<(), End> {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(e) => {
                let err = ServerFrame::Error {
                    client_id: None,
                    error: detail(ErrorCode::InvalidRequest, &format!("unreadable frame: {e}")),
                };
                return self.write(&err).await;
            }
        };
        match frame {
            ClientFrame::Ping => self.write(&ServerFrame::Pong).await,
            ClientFrame::Auth { .. } => {
                let err = ServerFrame::Error {
                    client_id: None,
                    error: detail(ErrorCode::InvalidRequest, "already authenticated"),
                };
                self.write(&err).await
            }
            ClientFrame::Send {
                room_id,
                body,
                client_id,
                reply_to,
            } => {
                let sent = actions::send_message(
                    &self.state,
                    &self.me,
                    room_id,
                    &body,
                    Some(&client_id),
                    reply_to,
                )
                .await;
                let answer = match sent {
                    Ok(sent) => ServerFrame::Ack {
                        client_id,
                        message: sent.message,
                    },
                    Err(e) => ServerFrame::Error {
                        client_id: Some(client_id),
                        error: api_detail(e),
                    },
                };
                // The message's own event is usually queued by now: the ack
                // and the events go out in one write.
                self.feed(&answer).await?;
                self.flush_queued().await
            }
            ClientFrame::Typing { room_id } => {
                if !self.sent.contains_key(&room_id) {
                    let err = ServerFrame::Error {
                        client_id: None,
                        error: detail(ErrorCode::NotFound, "no such room"),
                    };
                    return self.write(&err).await;
                }
                let now = Instant::now();
                let recent = self
                    .typing_at
                    .get(&room_id)
                    .is_some_and(|at| now.duration_since(*at) < TYPING_EVERY);
                if !recent {
                    self.typing_at.insert(room_id, now);
                    let frame = ServerFrame::Typing {
                        room_id,
                        user: self.user.clone(),
                    };
                    if let Ok(json) = serde_json::to_string(&frame) {
                        self.state.gateway.hub.broadcast_ephemeral(
                            room_id,
                            self.me.user_id,
                            json.into(),
                        );
                    }
                }
                Ok(())
            }
            ClientFrame::Resume { rooms } => self.resume(rooms).await,
        }
    }

    /// Replays, per room, what was logged after the client's seq and up to
    /// what this connection has already passed (later events follow live).
    async fn resume(&mut self, rooms: BTreeMap<RoomId, Seq>) -> Result<(), End> {
        for (room_id, from) in rooms {
            let Some(&upto) = self.sent.get(&room_id) else {
                let err = ServerFrame::Error {
                    client_id: None,
                    error: detail(
                        ErrorCode::NotFound,
                        &format!("not a member of room {room_id}"),
                    ),
                };
                self.write(&err).await?;
                continue;
            };
            if from >= upto {
                // The client is ahead of us (another device): skip to it.
                self.sent.insert(room_id, from);
                continue;
            }
            self.replay(room_id, from.max(0), Some(upto)).await?;
        }
        Ok(())
    }

    /// Sends logged events of a room with `after < seq <= upto` (no upper
    /// bound with `None`).
    async fn replay(&mut self, room_id: RoomId, after: Seq, upto: Option<Seq>) -> Result<(), End> {
        let mut after = after;
        loop {
            let page = match self.state.pool.get().await {
                Ok(db) => events::list_after(&db, room_id, after, REPLAY_PAGE).await,
                Err(e) => Err(e.into()),
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "replay failed; closing so the client resumes");
                    return Err(End::Close(
                        close::GOING_AWAY,
                        "server unavailable; resume later",
                    ));
                }
            };
            let full = page.len() as i64 == REPLAY_PAGE;
            for event in page {
                if upto.is_some_and(|u| event.seq > u) {
                    return Ok(());
                }
                after = event.seq;
                self.write(&event).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Passes one hub item to the client, deduplicating and filling gaps.
    async fn forward(&mut self, item: Outbound) -> Result<(), End> {
        match item {
            Outbound::Event {
                room_id,
                seq,
                frame,
            } => {
                let Some(&last) = self.sent.get(&room_id) else {
                    return Ok(());
                };
                if seq <= last {
                    return Ok(());
                }
                if seq > last + 1 {
                    // Something between was not delivered to us: the log
                    // knows exactly what (possibly nothing).
                    self.replay(room_id, last, Some(seq - 1)).await?;
                }
                self.sent.insert(room_id, seq);
                self.feed_raw(Message::Text(frame)).await
            }
            Outbound::Ephemeral(frame) => self.feed_raw(Message::Text(frame)).await,
            Outbound::Subscribed { room_id, after } => {
                self.sent.entry(room_id).or_insert(after);
                Ok(())
            }
            Outbound::Unsubscribed { room_id } => {
                self.sent.remove(&room_id);
                Ok(())
            }
        }
    }

    fn presence(&self, status: PresenceStatus) {
        let frame = ServerFrame::Presence {
            user: self.user.clone(),
            status,
        };
        let rooms: Vec<RoomId> = self.sent.keys().copied().collect();
        if let Ok(json) = serde_json::to_string(&frame) {
            self.state
                .gateway
                .hub
                .broadcast_to_peers(self.me.user_id, &rooms, json.into());
        }
    }

    async fn write<T: serde::Serialize>(&mut self, value: &T) -> Result<(), End> {
        send_json(&mut self.socket, value).await
    }

    /// Queues a frame in the socket's write buffer without flushing it.
    async fn feed<T: serde::Serialize>(&mut self, value: &T) -> Result<(), End> {
        let text = serde_json::to_string(value).map_err(|_| End::Close(1011, "internal error"))?;
        self.feed_raw(Message::Text(text.into())).await
    }

    async fn feed_raw(&mut self, message: Message) -> Result<(), End> {
        timed(self.socket.feed(message)).await
    }

    /// Forwards what the hub has already queued (unless live events are
    /// held back), then flushes everything fed so far in one write.
    async fn flush_queued(&mut self) -> Result<(), End> {
        if !self.holding {
            for _ in 0..COALESCE {
                match self.rx.try_recv() {
                    Ok(item) => self.forward(item).await?,
                    Err(_) => break,
                }
            }
        }
        timed(self.socket.flush()).await
    }

    async fn send_raw(&mut self, message: Message) -> Result<(), End> {
        send(&mut self.socket, message).await
    }
}

async fn send_json<T: serde::Serialize>(socket: &mut Socket, value: &T) -> Result<(), End> {
    let text = serde_json::to_string(value).map_err(|_| End::Close(1011, "internal error"))?;
    send(socket, Message::Text(text.into())).await
}

async fn send(socket: &mut Socket, message: Message) -> Result<(), End> {
    timed(socket.send(message)).await
}

/// A socket write that must finish within [`WRITE_TIMEOUT`].
async fn timed(
    write: impl Future<Output = Result<(), tokio_tungstenite::tungstenite::Error>>,
) -> Result<(), End> {
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        // The peer stopped reading: give up on it.
        Err(_) => Err(End::Close(close::TOO_SLOW, reason_for(close::TOO_SLOW))),
    }
}

async fn close_with(socket: &mut Socket, code: u16, reason: &'static str) -> Result<(), End> {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.close(Some(frame))).await;
    Ok(())
}

fn reason_for(code: u16) -> &'static str {
    match code {
        close::UNAUTHORIZED => "session ended; log in again",
        close::TOO_SLOW => "too slow to read events; reconnect and resume",
        close::GOING_AWAY => "server shutting down; reconnect and resume",
        _ => "closing",
    }
}

fn end_for_error(error: &tokio_tungstenite::tungstenite::Error) -> End {
    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    match error {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            End::Close(close::TOO_BIG, "message too big")
        }
        Error::Protocol(_) => End::Close(close::PROTOCOL, "protocol error"),
        _ => End::Gone,
    }
}

fn detail(code: ErrorCode, message: &str) -> ErrorDetail {
    ErrorDetail {
        code,
        message: message.to_owned(),
    }
}

fn api_detail(error: ApiError) -> ErrorDetail {
    ErrorDetail {
        code: error.code,
        message: error.message.into_owned(),
    }
}
