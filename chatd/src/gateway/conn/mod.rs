//! One WebSocket connection: authentication, `ready`, then a loop that
//! answers client frames ([`run`]) and writes what the hub queues for it.
//!
//! The hub decides what the connection hears and in which order; the
//! connection only holds live frames back, when the upgrade did not say
//! `resume=false`, until the client's first frame (usually `resume`,
//! answered from the log up to where its live stream starts) or a short
//! grace period, so a replay is never overtaken.

mod io;
mod run;

use std::sync::Arc;

use chat_store::sessions::{self, SessionUser};
use chat_store::{StoreError, members, users};
use chat_wire::ws::{ClientFrame, RoomPosition, ServerFrame, close};
use chat_wire::{RoomId, UserRef};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesOrdered;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use self::io::{End, api_detail, close_with, reason_for, send_json};
use super::hub::Registration;
use crate::state::AppState;

pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Runs a connection to its end. `user` is set when the upgrade request
/// carried a valid token; otherwise the first frame must authenticate.
/// `resume_follows` is false when the upgrade said no `resume` will come:
/// live frames then flow at once.
pub async fn serve(
    state: Arc<AppState>,
    mut socket: Socket,
    user: Option<SessionUser>,
    resume_follows: bool,
) {
    let me = match user {
        Some(user) => user,
        // Boxed, like `Conn::open` below: each is large and runs once, and
        // inline it would size this future (which every idle socket keeps
        // for its lifetime) to its largest step.
        None => match Box::pin(first_frame_auth(&state, &mut socket)).await {
            FirstFrame::User(user) => {
                match state.limiter.ws_of(user.user_id, user.rate_limit_exempt) {
                    Ok(()) => user,
                    Err(refused) => {
                        let frame = ServerFrame::Error {
                            client_id: None,
                            error: api_detail(refused),
                        };
                        let _ = send_json(&mut socket, &frame).await;
                        close_with(&mut socket, close::RATE_LIMITED, "too many connections").await;
                        return;
                    }
                }
            }
            FirstFrame::Refused => {
                close_with(&mut socket, close::UNAUTHORIZED, "authentication required").await;
                return;
            }
            FirstFrame::Unavailable => {
                let code = close::TRY_AGAIN_LATER;
                close_with(&mut socket, code, reason_for(code)).await;
                return;
            }
        },
    };
    let mut conn = match Box::pin(Conn::open(&state, socket, me, resume_follows)).await {
        Ok(conn) => conn,
        Err(mut socket) => {
            let code = close::TRY_AGAIN_LATER;
            close_with(&mut socket, code, reason_for(code)).await;
            return;
        }
    };
    let end = conn.run().await;
    let rooms = state.gateway.hub.rooms_of(conn.id);
    if state.gateway.hub.unregister(conn.id) {
        state.gateway.presence.local_offline(&conn.user, &rooms);
    }
    if let End::Close(code, reason) = end {
        close_with(&mut conn.socket, code, reason).await;
    }
    tracing::debug!(user_id = conn.me.user_id, "websocket closed");
}

/// What the first frame established.
enum FirstFrame {
    User(SessionUser),
    /// No valid `auth` frame in time: log in again.
    Refused,
    /// The database could not say: a retryable failure, not a bad token.
    Unavailable,
}

/// Waits for `{"type":"auth","token":...}` within the configured time.
async fn first_frame_auth(state: &AppState, socket: &mut Socket) -> FirstFrame {
    let wait = state.gateway.config.auth_timeout;
    let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(wait, socket.next()).await else {
        return FirstFrame::Refused;
    };
    let Ok(ClientFrame::Auth { token }) = serde_json::from_str(text.as_str()) else {
        return FirstFrame::Refused;
    };
    let checked = async {
        let db = state.pool.get().await.map_err(StoreError::from)?;
        let hash = sessions::hash_token(&token);
        sessions::authenticate(&db, &hash, state.config.session_idle).await
    };
    match checked.await {
        Ok(Some(user)) => FirstFrame::User(user),
        Ok(None) => FirstFrame::Refused,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check a websocket's token");
            FirstFrame::Unavailable
        }
    }
}

/// An open connection.
struct Conn {
    state: Arc<AppState>,
    socket: Socket,
    me: SessionUser,
    user: UserRef,
    id: super::hub::ConnId,
    rx: tokio::sync::mpsc::Receiver<tokio_tungstenite::tungstenite::Utf8Bytes>,
    kill: Arc<super::hub::Kill>,
    /// Live frames wait until the client's first frame (usually `resume`)
    /// or the grace period, so a replay is never overtaken.
    holding: bool,
    /// The answers to sends in flight, in the order they were sent.
    acks: FuturesOrdered<Pending>,
}

/// The answer (`ack` or `error`) a send in flight will get.
type Pending = std::pin::Pin<Box<dyn Future<Output = ServerFrame> + Send>>;

impl Conn {
    /// Registers with the hub and sends `ready`, with who is online.
    async fn open(
        state: &Arc<AppState>,
        mut socket: Socket,
        me: SessionUser,
        resume_follows: bool,
    ) -> Result<Self, Socket> {
        let gateway = &state.gateway;
        let loaded = async {
            let db = state.pool.get().await.map_err(StoreError::from)?;
            let user = users::get(&db, me.user_id).await?;
            let before = members::positions(&db, me.user_id).await?;
            Ok::<_, StoreError>((db, user, before))
        };
        let (db, user, before) = match loaded.await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a websocket session");
                return Err(socket);
            }
        };
        let was_connected = gateway.hub.is_connected(me.user_id);
        let registration =
            gateway
                .hub
                .register(me.user_id, me.session_id, &before, gateway.config.queue);
        let online = async {
            // Events that committed while this instance did not follow a
            // room yet reach the connection live, read from the log.
            for (room_id, latest) in members::positions(&db, me.user_id).await? {
                gateway.hub.hint(room_id, latest, None);
            }
            members::online_peers(&db, me.user_id, &gateway.presence.online()).await
        };
        let online = match online.await {
            Ok(online) => online,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a websocket session");
                gateway.hub.unregister(registration.id);
                return Err(socket);
            }
        };
        drop(db);
        let Registration {
            id,
            rx,
            kill,
            rooms,
        } = registration;
        let ready = ServerFrame::Ready {
            user: user.clone(),
            rooms: rooms
                .iter()
                .map(|&(room_id, latest_seq)| RoomPosition {
                    room_id,
                    latest_seq,
                })
                .collect(),
            online,
        };
        if send_json(&mut socket, &ready).await.is_err() {
            gateway.hub.unregister(id);
            return Err(socket);
        }
        let user = UserRef {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            avatar_id: user.avatar.map(|f| f.id),
        };
        if !was_connected {
            let rooms: Vec<RoomId> = rooms.iter().map(|&(room, _)| room).collect();
            gateway.presence.local_online(&user, &rooms);
        }
        Ok(Self {
            state: state.clone(),
            socket,
            me,
            user,
            id,
            rx,
            kill,
            holding: resume_follows,
            acks: FuturesOrdered::new(),
        })
    }
}
