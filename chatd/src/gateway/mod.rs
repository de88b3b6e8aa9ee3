//! The real-time gateway: WebSocket connections, in-process fan-out, and
//! fan-out across chatd instances through PostgreSQL.
//!
//! Data flow of a room event:
//! 1. A writer (REST handler or WebSocket `send`) commits it; the per-room
//!    row lock makes seq order commit order.
//! 2. After the commit the writer hands it to [`Gateway::publish`] (or
//!    [`Gateway::committed`] when it has only the seq): the local [`hub`]
//!    delivers it to this instance's connections, in seq order per room.
//! 3. The [`notify`] task tells other instances `room:seq` with one
//!    coalesced `NOTIFY` outside any message transaction; their listeners
//!    read the log after their cursor and deliver the same way.
//! 4. Each connection ([`conn`]) drops what it already sent and fills any
//!    gap from the log, so a client never sees a duplicate or a hole.

pub mod conn;
pub mod hub;
mod notify;

use std::sync::Arc;
use std::time::Duration;

use chat_store::notify::Hint;
use chat_store::{Pool, sessions};
use chat_wire::ws::close;
use chat_wire::{Event, RoomId, Seq, UserId};
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
    pub config: GatewayConfig,
    hints: mpsc::UnboundedSender<Hint>,
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
        let (hints, hint_rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let instance = notify::instance_id();
        tokio::spawn(notify::announce(
            pool.clone(),
            instance.clone(),
            hint_rx,
            shutdown.clone(),
        ));
        let session_changed = Arc::new(Notify::new());
        tokio::spawn(notify::listen(
            database_url,
            instance,
            notify::Listeners {
                hub: hub.clone(),
                sessions,
                session_changed: session_changed.clone(),
            },
            shutdown.clone(),
        ));
        tokio::spawn(check_sessions(
            pool,
            hub.clone(),
            config.session_check,
            session_idle,
            session_changed,
            shutdown.clone(),
        ));
        Arc::new(Self {
            hub,
            config,
            hints,
            shutdown,
            tracker: TaskTracker::new(),
        })
    }

    /// A committed event with its content, from this instance.
    pub fn publish(&self, event: Event) {
        let hint = Hint {
            room_id: event.room_id,
            seq: event.seq,
            joined: match event.kind {
                chat_wire::EventType::MemberJoined => event.user.as_ref().map(|u| u.id),
                _ => None,
            },
        };
        self.hub.publish(event);
        let _ = self.hints.send(hint);
    }

    /// A committed event known only by its seq (the hub reads it from the
    /// log); `joined` names the user a `member.joined` event is about.
    pub fn committed(&self, room_id: RoomId, seq: Seq, joined: Option<UserId>) {
        self.hub.hint(room_id, seq, joined);
        let _ = self.hints.send(Hint {
            room_id,
            seq,
            joined,
        });
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

/// Closes connections whose session stopped counting: logged out on any
/// instance, revoked by an admin, expired, or the user disabled. Runs at
/// once when the database announces a change, and every `every` besides
/// (expiry announces nothing, and a notice may be lost).
async fn check_sessions(
    pool: Pool,
    hub: Hub,
    every: Duration,
    idle: Duration,
    changed: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = changed.notified() => {}
            () = shutdown.cancelled() => return,
        }
        let ids = hub.sessions();
        if ids.is_empty() {
            continue;
        }
        let invalid = match pool.get().await {
            Ok(db) => sessions::invalid_among(&db, &ids, idle).await,
            Err(e) => Err(e.into()),
        };
        match invalid {
            Ok(invalid) => {
                for session in invalid {
                    hub.kill_where(close::UNAUTHORIZED, None, Some(session));
                }
            }
            Err(e) => tracing::debug!(error = %e, "session check skipped"),
        }
    }
}
