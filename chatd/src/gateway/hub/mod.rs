//! The hub: which local connection hears which room, and the fan-out of
//! room events and ephemeral frames to them.
//!
//! A connection's rooms are recorded once, in [`Conn::rooms`], each with
//! the seq its live stream starts after; [`Room::subscribers`] and
//! [`State::by_user`] are indexes of those records, changed only by
//! `subscribe`, `unsubscribe`, `register` and `unregister`. Per-room order
//! and gap filling live in [`order`], the one place that decides what a
//! connection is sent and when.
//!
//! Delivery never blocks: each connection has a bounded queue, and a
//! connection whose queue is full is cut off (it resumes later from the log).

mod order;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use chat_store::Pool;
use chat_wire::ws::close;
use chat_wire::{Event, RoomId, Seq, UserId};
use futures_util::task::AtomicWaker;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

pub type ConnId = u64;

/// Lets the hub tell a connection to close, and with which code. Only the
/// connection's own task waits on it, so a single waker slot does: waiting
/// costs the socket's loop two atomic operations per turn, not a waiter
/// list to join and leave.
#[derive(Debug, Default)]
pub struct Kill {
    code: AtomicU16,
    waker: AtomicWaker,
}

impl Kill {
    pub fn fire(&self, code: u16) {
        if self
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waker.wake();
        }
    }

    /// Completes with the close code once the connection must go.
    pub fn fired(&self) -> impl Future<Output = u16> + '_ {
        std::future::poll_fn(|cx| {
            // Registered before the check, so a `fire` in between still wakes us.
            self.waker.register(cx.waker());
            match self.code.load(Ordering::Acquire) {
                0 => Poll::Pending,
                code => Poll::Ready(code),
            }
        })
    }
}

struct Conn {
    user_id: UserId,
    session_id: i64,
    /// Frames to write, serialized once and shared by every recipient.
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Arc<Kill>,
    /// The rooms this connection hears, each with the seq its live stream
    /// starts after: older events are the client's history (`resume`).
    rooms: HashMap<RoomId, Seq>,
}

#[derive(Default)]
struct Room {
    /// The connections hearing this room (an index of `Conn::rooms`).
    subscribers: HashSet<ConnId>,
    /// The last seq delivered; events at or below it are old news.
    cursor: Seq,
    /// Events that arrived ahead of the cursor, waiting for the gap.
    pending: BTreeMap<Seq, Arc<Event>>,
    /// A log read for this room is scheduled or running.
    filling: bool,
}

#[derive(Default)]
struct State {
    next_id: ConnId,
    conns: HashMap<ConnId, Conn>,
    /// Each user's connections (an index of `conns`).
    by_user: HashMap<UserId, HashSet<ConnId>>,
    rooms: HashMap<RoomId, Room>,
    /// Set by [`Hub::kill_all`]: a connection registering later is told to
    /// close at once, with this code.
    closing: Option<u16>,
}

/// Shared handle; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    pool: Pool,
}

/// A registered connection's handles.
pub struct Registration {
    pub id: ConnId,
    pub rx: mpsc::Receiver<Utf8Bytes>,
    pub kill: Arc<Kill>,
    /// Per room, the seq live events start after (what `ready` reports).
    pub rooms: Vec<(RoomId, Seq)>,
}

impl Hub {
    pub fn new(pool: Pool) -> Self {
        Self {
            state: Arc::default(),
            pool,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection hearing `rooms` (room id, latest seq as the caller
    /// read it from the log), with an outbound queue of `queue` frames.
    /// Where this instance already delivered further, the connection starts
    /// there, so it never hears an event twice.
    pub fn register(
        &self,
        user_id: UserId,
        session_id: i64,
        rooms: &[(RoomId, Seq)],
        queue: usize,
    ) -> Registration {
        let (tx, rx) = mpsc::channel(queue);
        let kill = Arc::new(Kill::default());
        let mut state = self.lock();
        if let Some(code) = state.closing {
            kill.fire(code);
        }
        state.next_id += 1;
        let id = state.next_id;
        state.conns.insert(
            id,
            Conn {
                user_id,
                session_id,
                tx,
                kill: kill.clone(),
                rooms: HashMap::new(),
            },
        );
        state.by_user.entry(user_id).or_default().insert(id);
        let rooms = rooms
            .iter()
            .map(|&(room_id, latest)| {
                let cursor = state
                    .rooms
                    .entry(room_id)
                    .or_insert_with(|| Room {
                        cursor: latest,
                        ..Room::default()
                    })
                    .cursor;
                let from = latest.max(cursor);
                subscribe(&mut state, id, room_id, from);
                (room_id, from)
            })
            .collect();
        Registration {
            id,
            rx,
            kill,
            rooms,
        }
    }

    /// Removes a connection. Returns true if it was the user's last one here.
    pub fn unregister(&self, id: ConnId) -> bool {
        let mut state = self.lock();
        let Some(conn) = state.conns.get(&id) else {
            return false;
        };
        let (user_id, rooms): (UserId, Vec<RoomId>) =
            (conn.user_id, conn.rooms.keys().copied().collect());
        for room_id in rooms {
            unsubscribe(&mut state, id, room_id);
        }
        state.conns.remove(&id);
        let last = state.by_user.get_mut(&user_id).is_none_or(|set| {
            set.remove(&id);
            set.is_empty()
        });
        if last {
            state.by_user.remove(&user_id);
        }
        last
    }

    /// The seq a connection's live stream of a room starts after, or `None`
    /// when it does not hear the room.
    pub fn live_from(&self, id: ConnId, room_id: RoomId) -> Option<Seq> {
        self.lock().conns.get(&id)?.rooms.get(&room_id).copied()
    }

    /// The rooms a connection hears.
    pub fn rooms_of(&self, id: ConnId) -> Vec<RoomId> {
        self.lock()
            .conns
            .get(&id)
            .map(|c| c.rooms.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Number of open connections on this instance.
    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// True if the user has a connection on this instance.
    pub fn is_connected(&self, user_id: UserId) -> bool {
        self.lock().by_user.contains_key(&user_id)
    }

    /// The users with a connection on this instance.
    pub fn users(&self) -> Vec<UserId> {
        self.lock().by_user.keys().copied().collect()
    }

    /// Closes every connection of a user (disabled), or of one session
    /// (logged out), with the given code.
    pub fn kill_where(&self, code: u16, user_id: Option<UserId>, session_id: Option<i64>) {
        let state = self.lock();
        for conn in state.conns.values() {
            if user_id.is_some_and(|u| u == conn.user_id)
                || session_id.is_some_and(|s| s == conn.session_id)
            {
                conn.kill.fire(code);
            }
        }
    }

    /// Closes every connection, and any that registers from now on
    /// (shutdown).
    pub fn kill_all(&self, code: u16) {
        let mut state = self.lock();
        state.closing = Some(code);
        for conn in state.conns.values() {
            conn.kill.fire(code);
        }
    }

    /// The open sessions on this instance, for a periodic validity check.
    pub fn sessions(&self) -> Vec<i64> {
        let state = self.lock();
        let mut ids: Vec<i64> = state.conns.values().map(|c| c.session_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Sends an ephemeral frame to every connection in a room except the
    /// given user's own.
    pub fn broadcast_ephemeral(&self, room_id: RoomId, except_user: UserId, frame: Utf8Bytes) {
        self.broadcast_to_peers(except_user, &[room_id], frame);
    }

    /// Sends an ephemeral frame to everyone here who hears one of `rooms`,
    /// once per connection, except `user_id`'s own connections.
    pub fn broadcast_to_peers(&self, user_id: UserId, rooms: &[RoomId], frame: Utf8Bytes) {
        let state = self.lock();
        let mut targets = HashSet::new();
        for room_id in rooms {
            if let Some(room) = state.rooms.get(room_id) {
                targets.extend(room.subscribers.iter().copied());
            }
        }
        for id in targets {
            if state.conns.get(&id).is_some_and(|c| c.user_id != user_id) {
                offer(&state, id, frame.clone());
            }
        }
    }
}

/// Records that a connection hears a room, live after `from`.
fn subscribe(state: &mut State, id: ConnId, room_id: RoomId, from: Seq) {
    let Some(conn) = state.conns.get_mut(&id) else {
        return;
    };
    conn.rooms.insert(room_id, from);
    state
        .rooms
        .entry(room_id)
        .or_default()
        .subscribers
        .insert(id);
}

/// Records that a connection no longer hears a room; forgets the room when
/// nobody here hears it and no log read is pending for it.
fn unsubscribe(state: &mut State, id: ConnId, room_id: RoomId) {
    if let Some(conn) = state.conns.get_mut(&id) {
        conn.rooms.remove(&room_id);
    }
    if let Some(room) = state.rooms.get_mut(&room_id) {
        room.subscribers.remove(&id);
        if room.subscribers.is_empty() && !room.filling {
            state.rooms.remove(&room_id);
        }
    }
}

/// The user's connections on this instance.
fn conns_of(state: &State, user: UserId) -> Vec<ConnId> {
    state
        .by_user
        .get(&user)
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default()
}

/// Queues a frame for a connection; a full queue cuts the connection off.
fn offer(state: &State, id: ConnId, frame: Utf8Bytes) {
    let Some(conn) = state.conns.get(&id) else {
        return;
    };
    match conn.tx.try_send(frame) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::info!(
                conn = id,
                user_id = conn.user_id,
                "outbound queue full; disconnecting"
            );
            conn.kill.fire(close::TOO_SLOW);
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;

    fn hub() -> Hub {
        // The pool connects on first use; these tests never use it.
        let pool = chat_store::create_pool("postgres://127.0.0.1:1/unused", &Default::default())
            .expect("pool");
        Hub::new(pool)
    }

    #[tokio::test]
    async fn a_kill_wakes_the_connection_waiting_for_it() {
        let hub = hub();
        let conn = hub.register(1, 1, &[], 8);
        let kill = conn.kill.clone();
        let waiting = tokio::spawn(async move { kill.fired().await });
        tokio::task::yield_now().await;
        hub.kill_where(close::UNAUTHORIZED, Some(1), None);
        assert_eq!(waiting.await.unwrap(), close::UNAUTHORIZED);
        // The first code given stands.
        hub.kill_all(close::GOING_AWAY);
        assert_eq!(conn.kill.fired().now_or_never(), Some(close::UNAUTHORIZED));
    }

    #[tokio::test]
    async fn shutdown_closes_open_connections_and_those_registering_later() {
        let hub = hub();
        let open = hub.register(1, 1, &[], 8);
        assert_eq!(open.kill.fired().now_or_never(), None);
        hub.kill_all(close::GOING_AWAY);
        assert_eq!(open.kill.fired().now_or_never(), Some(close::GOING_AWAY));
        let late = hub.register(2, 2, &[], 8);
        assert_eq!(late.kill.fired().now_or_never(), Some(close::GOING_AWAY));
    }
}
