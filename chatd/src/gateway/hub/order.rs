//! Per-room order: the one place that decides when a room event goes out.
//!
//! Events reach the hub from local writers (the full event, right after
//! commit) or as hints from other instances (room and seq only). Per room
//! the hub keeps a cursor, the last seq it delivered. An event that follows
//! the cursor goes straight out; one that skips ahead waits briefly for the
//! missing seq, then the hub reads the gap from the log. Because seq order
//! is commit order, whatever the log shows between two seqs is complete, so
//! every connection hears each room's events once, in order, with no hole.

use std::sync::Arc;
use std::time::Duration;

use chat_store::events;
use chat_wire::{Event, EventType, RoomId, Seq, UserId};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{ConnId, Hub, Room, State, conns_of, offer, subscribe, unsubscribe};

/// How long an out-of-order event waits for the seq before it.
const GAP_WAIT: Duration = Duration::from_millis(30);
/// Events read per query when filling a gap from the log.
const LOG_PAGE: i64 = 500;

impl Hub {
    /// A committed event from this instance.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        let mut state = self.lock();
        let room_id = event.room_id;
        if !follow(&mut state, room_id, event.seq, joined_user(&event)) {
            return;
        }
        let room = state.rooms.get_mut(&room_id).expect("followed");
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

    /// The log of `room_id` holds events up to `seq` (another instance's
    /// hint, or a read of the log); `joined` names a user who joined with it.
    pub fn hint(&self, room_id: RoomId, seq: Seq, joined: Option<UserId>) {
        let mut state = self.lock();
        if !follow(&mut state, room_id, seq, joined) {
            return;
        }
        let room = state.rooms.get_mut(&room_id).expect("followed");
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
                let room = state.rooms.get_mut(&room_id).expect("present");
                if !full && room.pending.is_empty() {
                    room.filling = false;
                    if room.subscribers.is_empty() {
                        state.rooms.remove(&room_id);
                    }
                    true
                } else {
                    false
                }
            };
            if done {
                return;
            }
            if !full {
                // Still a gap before a pending event: its predecessor has
                // not committed yet or is not visible yet. Look again soon.
                tokio::time::sleep(GAP_WAIT).await;
            }
        }
    }
}

/// Whether the hub follows the room, starting to when a local user just
/// joined it (from the seq before their join).
fn follow(state: &mut State, room_id: RoomId, seq: Seq, joined: Option<UserId>) -> bool {
    if state.rooms.contains_key(&room_id) {
        return true;
    }
    match joined {
        Some(user) if state.by_user.contains_key(&user) => {
            state.rooms.insert(
                room_id,
                Room {
                    cursor: seq - 1,
                    ..Room::default()
                },
            );
            true
        }
        _ => false,
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

/// Sends the event after the room's cursor to the room's connections and
/// applies its membership effect: a joiner's connections start hearing the
/// room with this very event, a leaver's stop after it.
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
            if state
                .conns
                .get(&id)
                .is_some_and(|c| !c.rooms.contains_key(&room_id))
            {
                subscribe(state, id, room_id, event.seq - 1);
            }
        }
    }
    let Some(room) = state.rooms.get_mut(&room_id) else {
        return;
    };
    room.cursor = event.seq;
    let targets: Vec<ConnId> = room.subscribers.iter().copied().collect();
    for id in targets {
        // A connection that registered while this instance lagged behind
        // the log has older events as history already.
        let live = state
            .conns
            .get(&id)
            .and_then(|c| c.rooms.get(&room_id))
            .is_some_and(|&from| event.seq > from);
        if live {
            offer(state, id, frame.clone());
        }
    }
    if event.kind == EventType::MemberLeft
        && let Some(user) = event.user.as_ref().map(|u| u.id)
    {
        for id in conns_of(state, user) {
            unsubscribe(state, id, room_id);
        }
    }
}
