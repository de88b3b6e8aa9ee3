//! The hub: which local connection hears which room, and the fan-out of
//! room events to them, in seq order per room.
//!
//! Events reach the hub from local writers (the full event, right after
//! commit) or as hints from other instances (room and seq only). Per room
//! the hub keeps a cursor, the last seq it delivered. An event that follows
//! the cursor goes straight out; one that skips ahead waits briefly for the
//! missing seq, then the hub reads the gap from the log. Because seq order
//! is commit order, whatever the log shows between two seqs is complete.
//!
//! Delivery never blocks: each connection has a bounded queue, and a
//! connection whose queue is full is cut off (it resumes later from the log).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chat_store::{Pool, events};
use chat_wire::ws::close;
use chat_wire::{Event, EventType, RoomId, Seq, UserId};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// How long an out-of-order event waits for the seq before it.
const GAP_WAIT: Duration = Duration::from_millis(30);
/// Events read per query when filling a gap from the log.
const LOG_PAGE: i64 = 500;

pub type ConnId = u64;

/// What the hub puts on a connection's queue.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A room event, serialized once and shared (not copied) by every
    /// recipient.
    Event {
        room_id: RoomId,
        seq: Seq,
        frame: Utf8Bytes,
    },
    /// An ephemeral frame (typing, presence).
    Ephemeral(Utf8Bytes),
    /// Start delivering a room (the user joined it): events of it after
    /// `after` are the connection's to send.
    Subscribed { room_id: RoomId, after: Seq },
    /// Stop delivering a room (the user left it).
    Unsubscribed { room_id: RoomId },
}

/// Lets the hub tell a connection to close, and with which code.
#[derive(Debug, Default)]
pub struct Kill {
    code: AtomicU16,
    notify: Notify,
}

impl Kill {
    pub fn fire(&self, code: u16) {
        if self
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.notify.notify_one();
        }
    }

    /// Completes with the close code once the connection must go.
    pub async fn fired(&self) -> u16 {
        loop {
            let notified = self.notify.notified();
            let code = self.code.load(Ordering::Acquire);
            if code != 0 {
                return code;
            }
            notified.await;
        }
    }
}

struct Conn {
    user_id: UserId,
    session_id: i64,
    tx: mpsc::Sender<Outbound>,
    kill: Arc<Kill>,
    rooms: HashSet<RoomId>,
}

#[derive(Default)]
struct Room {
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
    by_user: HashMap<UserId, HashSet<ConnId>>,
    rooms: HashMap<RoomId, Room>,
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
    pub rx: mpsc::Receiver<Outbound>,
    pub kill: Arc<Kill>,
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

    /// Adds a connection listening to `rooms` (room id, latest seq as the
    /// caller read it), with an outbound queue of `queue` entries.
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
        state.next_id += 1;
        let id = state.next_id;
        for &(room_id, latest) in rooms {
            let room = state.rooms.entry(room_id).or_insert_with(|| Room {
                cursor: latest,
                ..Room::default()
            });
            room.subscribers.insert(id);
        }
        state.conns.insert(
            id,
            Conn {
                user_id,
                session_id,
                tx,
                kill: kill.clone(),
                rooms: rooms.iter().map(|&(r, _)| r).collect(),
            },
        );
        state.by_user.entry(user_id).or_default().insert(id);
        Registration { id, rx, kill }
    }

    /// Removes a connection. Returns true if it was the user's last one here.
    pub fn unregister(&self, id: ConnId) -> bool {
        let mut state = self.lock();
        let Some(conn) = state.conns.remove(&id) else {
            return false;
        };
        for room_id in &conn.rooms {
            if let Some(room) = state.rooms.get_mut(room_id) {
                room.subscribers.remove(&id);
                if room.subscribers.is_empty() && !room.filling {
                    state.rooms.remove(room_id);
                }
            }
        }
        let last = match state.by_user.get_mut(&conn.user_id) {
            Some(set) => {
                set.remove(&id);
                set.is_empty()
            }
            None => true,
        };
        if last {
            state.by_user.remove(&conn.user_id);
        }
        last
    }

    /// Number of open connections on this instance.
    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// True if the user has a connection on this instance.
    pub fn is_connected(&self, user_id: UserId) -> bool {
        self.lock().by_user.contains_key(&user_id)
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

    /// Closes every connection (shutdown).
    pub fn kill_all(&self, code: u16) {
        for conn in self.lock().conns.values() {
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
        let mut state = self.lock();
        let Some(room) = state.rooms.get(&room_id) else {
            return;
        };
        let targets: Vec<ConnId> = room.subscribers.iter().copied().collect();
        for id in targets {
            if state
                .conns
                .get(&id)
                .is_some_and(|c| c.user_id != except_user)
            {
                offer(&mut state, id, Outbound::Ephemeral(frame.clone()));
            }
        }
    }

    /// Sends an ephemeral frame to everyone sharing a room with `user_id`
    /// (presence), once per connection.
    pub fn broadcast_to_peers(&self, user_id: UserId, rooms: &[RoomId], frame: Utf8Bytes) {
        let mut state = self.lock();
        let mut targets = HashSet::new();
        for room_id in rooms {
            if let Some(room) = state.rooms.get(room_id) {
                targets.extend(room.subscribers.iter().copied());
            }
        }
        for id in targets {
            if state.conns.get(&id).is_some_and(|c| c.user_id != user_id) {
                offer(&mut state, id, Outbound::Ephemeral(frame.clone()));
            }
        }
    }

    /// A committed event from this instance.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        let mut state = self.lock();
        let room_id = event.room_id;
        if !state.rooms.contains_key(&room_id) {
            // Nobody here listens to the room, unless a local user just
            // joined it.
            match joined_user(&event) {
                Some(user) if state.by_user.contains_key(&user) => {
                    state.rooms.insert(
                        room_id,
                        Room {
                            cursor: event.seq - 1,
                            ..Room::default()
                        },
                    );
                }
                _ => return,
            }
        }
        let room = state.rooms.get_mut(&room_id).expect("present");
        if event.seq <= room.cursor {
            return;
        }
        if event.seq == room.cursor + 1 {
            deliver(&mut state, &event);
            drain_pending(&mut state, room_id);
            return;
        }
        room.pending.insert(event.seq, event);
        if !room.filling {
            room.filling = true;
            drop(state);
            self.schedule_fill(room_id, GAP_WAIT);
        }
    }

    /// Another instance committed `seq` in `room_id`; `joined` names a user
    /// who joined with it.
    pub fn hint(&self, room_id: RoomId, seq: Seq, joined: Option<UserId>) {
        let mut state = self.lock();
        if !state.rooms.contains_key(&room_id) {
            match joined {
                Some(user) if state.by_user.contains_key(&user) => {
                    state.rooms.insert(
                        room_id,
                        Room {
                            cursor: seq - 1,
                            ..Room::default()
                        },
                    );
                }
                _ => return,
            }
        }
        let room = state.rooms.get_mut(&room_id).expect("present");
        if seq > room.cursor && !room.filling {
            room.filling = true;
            drop(state);
            self.schedule_fill(room_id, Duration::ZERO);
        }
    }

    /// Reads every room this instance follows from the log, after a
    /// notification may have been lost.
    pub fn catch_up_all(&self) {
        let rooms: Vec<RoomId> = {
            let mut state = self.lock();
            state
                .rooms
                .iter_mut()
                .filter(|(_, r)| !r.filling)
                .map(|(id, r)| {
                    r.filling = true;
                    *id
                })
                .collect()
        };
        for room_id in rooms {
            self.schedule_fill(room_id, Duration::ZERO);
        }
    }

    fn schedule_fill(&self, room_id: RoomId, wait: Duration) {
        let hub = self.clone();
        tokio::spawn(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            hub.fill(room_id).await;
        });
    }

    /// Delivers whatever the log holds after the room's cursor.
    async fn fill(&self, room_id: RoomId) {
        loop {
            let Some(cursor) = self.lock().rooms.get(&room_id).map(|r| r.cursor) else {
                return;
            };
            let page = match self.pool.get().await {
                Ok(db) => events::list_after(&db, room_id, cursor, LOG_PAGE).await,
                Err(e) => Err(e.into()),
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    // Leave `filling` set and retry: the room must not stall.
                    tracing::warn!(room_id, error = %e, "cannot read the event log; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let full = page.len() as i64 == LOG_PAGE;
            let done = {
                let mut state = self.lock();
                for event in page {
                    if state
                        .rooms
                        .get(&room_id)
                        .is_some_and(|r| event.seq > r.cursor)
                    {
                        deliver(&mut state, &Arc::new(event));
                    }
                }
                let Some(room) = state.rooms.get_mut(&room_id) else {
                    return;
                };
                let cursor = room.cursor;
                room.pending.retain(|&seq, _| seq > cursor);
                drain_pending(&mut state, room_id);
                if full {
                    false
                } else {
                    let room = state.rooms.get_mut(&room_id).expect("present");
                    if room.pending.is_empty() {
                        room.filling = false;
                        if room.subscribers.is_empty() {
                            state.rooms.remove(&room_id);
                        }
                        true
                    } else {
                        false
                    }
                }
            };
            if done {
                return;
            }
            if full {
                continue;
            }
            // Still a gap before a pending event: its predecessor has not
            // committed yet or is not visible yet. Look again shortly.
            tokio::time::sleep(GAP_WAIT).await;
        }
    }
}

fn joined_user(event: &Event) -> Option<UserId> {
    match event.kind {
        EventType::MemberJoined => event.user.as_ref().map(|u| u.id),
        _ => None,
    }
}

/// Delivers pending events that now follow the cursor.
fn drain_pending(state: &mut State, room_id: RoomId) {
    loop {
        let Some(room) = state.rooms.get_mut(&room_id) else {
            return;
        };
        let next = room.cursor + 1;
        let Some(event) = room.pending.remove(&next) else {
            return;
        };
        deliver(state, &event);
    }
}

/// Sends one event to the room's subscribers and applies its membership
/// effect: a joiner's connections start hearing the room (with this very
/// event), a leaver's stop after it.
fn deliver(state: &mut State, event: &Arc<Event>) {
    let room_id = event.room_id;
    let frame: Utf8Bytes = match serde_json::to_string(&**event) {
        Ok(json) => json.into(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize an event");
            return;
        }
    };
    if let Some(user) = joined_user(event) {
        for id in conns_of(state, user) {
            let Some(conn) = state.conns.get_mut(&id) else {
                continue;
            };
            if conn.rooms.insert(room_id) {
                state
                    .rooms
                    .entry(room_id)
                    .or_default()
                    .subscribers
                    .insert(id);
                offer(
                    state,
                    id,
                    Outbound::Subscribed {
                        room_id,
                        after: event.seq - 1,
                    },
                );
            }
        }
    }
    let Some(room) = state.rooms.get_mut(&room_id) else {
        return;
    };
    room.cursor = event.seq;
    let targets: Vec<ConnId> = room.subscribers.iter().copied().collect();
    for id in &targets {
        offer(
            state,
            *id,
            Outbound::Event {
                room_id,
                seq: event.seq,
                frame: frame.clone(),
            },
        );
    }
    if event.kind == EventType::MemberLeft
        && let Some(user) = event.user.as_ref().map(|u| u.id)
    {
        for id in conns_of(state, user) {
            if let Some(conn) = state.conns.get_mut(&id)
                && conn.rooms.remove(&room_id)
            {
                if let Some(room) = state.rooms.get_mut(&room_id) {
                    room.subscribers.remove(&id);
                }
                offer(state, id, Outbound::Unsubscribed { room_id });
            }
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

/// Queues an item for a connection; a full queue cuts the connection off.
fn offer(state: &mut State, id: ConnId, item: Outbound) {
    let Some(conn) = state.conns.get(&id) else {
        return;
    };
    match conn.tx.try_send(item) {
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
