//! The real-time gateway: WebSocket connections, in-process fan-out, and
//! fan-out across chatd instances through PostgreSQL.
//!
//! Data flow of a room event:
//! 1. A service function (or the send writer) stores it; the per-room row
//!    lock makes seq order commit order, and the store hands back a
//!    [`Committed`] value.
//! 2. [`Gateway::publish`] takes that value: the local [`hub`] delivers
//!    each event to this instance's connections, in seq order per room,
//!    filling any gap from the log.
//! 3. The [`notify`] task tells other instances `room:seq` with one
//!    coalesced `NOTIFY` outside any message transaction; their listeners
//!    read the log after their cursor and deliver the same way.
//!
//! Typing notices and presence ([`presence`]) travel between instances on
//! the same channel ([`ephemeral`]) and are never stored.

pub mod conn;
mod ephemeral;
pub mod hub;
mod notify;
pub mod presence;
mod sessions;

use std::sync::Arc;
use std::time::Duration;

use chat_store::notify::Hint;
use chat_store::{Committed, Pool};
use chat_wire::ws::{ServerFrame, close};
use chat_wire::{RoomId, UserRef};
use ephemeral::{Notice, TypingThrottle};
use notify::Outgoing;
use presence::Presence;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use hub::Hub;

use crate::session_cache::SessionCache;

/// Tunables of the gateway (see docs/protocol.md for what clients see).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Entries a connection may have queued before it is cut off (4008).
    pub queue: usize,
    /// Largest frame or message a client may send, in bytes (close 1009).
    pub max_message_bytes: usize,
    /// Server ping interval; a peer silent for two intervals is dropped.
    pub ping_interval: Duration,
    /// Client frames per second a connection may send (burst: twice that).
    pub frames_per_second: u32,
    /// How long a connection may take to authenticate by first frame.
    pub auth_timeout: Duration,
    /// How often open sessions are re-checked (revoked, disabled, expired).
    pub session_check: Duration,
    /// How long a connection waits after `ready` for the client's first
    /// frame (typically `resume`) before streaming live events.
    pub resume_grace: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            queue: 1024,
            max_message_bytes: 64 * 1024,
            ping_interval: Duration::from_secs(20),
            frames_per_second: 20,
            auth_timeout: Duration::from_secs(10),
            session_check: Duration::from_secs(3),
            resume_grace: Duration::from_secs(2),
        }
    }
}

/// The gateway's shared handle.
pub struct Gateway {
    pub hub: Hub,
    pub presence: Arc<Presence>,
    pub config: GatewayConfig,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    typing: Arc<TypingThrottle>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Starts the gateway's background tasks: the cross-instance notifier
    /// and listener, and the session checker. The listener also keeps
    /// `sessions` told of changes to anyone's logins.
    pub fn start(
        pool: Pool,
        database_url: String,
        config: GatewayConfig,
        session_idle: Duration,
        sessions: Arc<SessionCache>,
    ) -> Arc<Self> {
        let hub = Hub::new(pool.clone());
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let instance = notify::instance_id();
        tokio::spawn(notify::announce(
            pool.clone(),
            instance.clone(),
            outgoing_rx,
            shutdown.clone(),
        ));
        let presence = Presence::start(
            hub.clone(),
            pool.clone(),
            outgoing.clone(),
            shutdown.clone(),
        );
        let typing = Arc::new(TypingThrottle::default());
        let session_changed = Arc::new(Notify::new());
        tokio::spawn(notify::listen(
            database_url,
            instance,
            notify::Listeners {
                hub: hub.clone(),
                presence: presence.clone(),
                typing: typing.clone(),
                sessions,
                session_changed: session_changed.clone(),
            },
            shutdown.clone(),
        ));
        tokio::spawn(sessions::check_sessions(
            pool,
            hub.clone(),
            config.session_check,
            session_idle,
            session_changed,
            shutdown.clone(),
        ));
        Arc::new(Self {
            hub,
            presence,
            config,
            outgoing,
            typing,
            shutdown,
            tracker: TaskTracker::new(),
        })
    }

    /// Delivers committed events to this instance's clients and announces
    /// them to the other instances. The only way a room event gets out.
    pub fn publish(&self, committed: Committed) {
        for event in committed.into_events() {
            // Local clients first: the announcer task woken by the hint
            // would otherwise run (and take a core) before the fan-out.
            let hint = Hint::of(&event);
            self.hub.publish(event);
            let _ = self.outgoing.send(Outgoing::Hint(hint));
        }
    }

    /// `user` is typing in a room they are in: their room peers here and on
    /// the other instances hear of it, at most once per [`ephemeral::TYPING_EVERY`].
    pub fn typing(&self, room_id: RoomId, user: &UserRef) {
        if !self.typing.allow(user.id, room_id) {
            return;
        }
        let frame = ServerFrame::Typing {
            room_id,
            user: user.clone(),
        };
        if let Ok(json) = serde_json::to_string(&frame) {
            self.hub.broadcast_ephemeral(room_id, user.id, json.into());
        }
        let _ = self.outgoing.send(Outgoing::Notice(Notice::Typing {
            room_id,
            user: user.clone(),
        }));
    }

    /// Tracks a connection task so shutdown can wait for it.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Closes every connection with 1001 and waits (bounded) for them.
    pub async fn shut_down(&self, grace: Duration) {
        self.shutdown.cancel();
        self.hub.kill_all(close::GOING_AWAY);
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some WebSocket connections did not close in time");
        }
    }
}
