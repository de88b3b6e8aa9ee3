//! An open thread: a root message of the open room and its replies,
//! shown over the room's timeline. Replies never enter the room's
//! timeline; they arrive as `message.created` events naming their root,
//! and bump the root's summary (`[3 replies]`) whether or not the thread
//! is open. Enter in a thread replies in it; Esc goes back to the room.

use std::collections::BTreeMap;

use chat_wire::{Message, MessageId, RoomId, Seq, ThreadSummary};

use super::room::Item;
use super::{Compose, Effect, Screen, State, compose};
use crate::geometry::timeline::{Entry, item_rows};
use crate::net::RestCall;
use crate::strings;

/// A thread as the client holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadView {
    pub room: RoomId,
    pub root: MessageId,
    /// Replies by seq (a reply seen twice is stored once).
    pub replies: BTreeMap<Seq, Message>,
    /// The first page is on its way.
    pub loading: bool,
    /// Older replies exist than the ones loaded.
    pub has_more: bool,
    /// The thread read marker we last sent.
    pub read_sent: Seq,
    /// Lines hidden below the view (0: the newest reply at the bottom).
    pub scroll: usize,
}

/// Opens the thread of `m` (an empty one starts with the first reply).
pub fn open(state: &mut State, m: &Message) -> Vec<Effect> {
    if m.thread_root.is_some() {
        state.notice = Some(strings::NO_THREAD_IN_THREAD.into());
        return Vec::new();
    }
    state.compose = Compose::Plain;
    state.thread = Some(ThreadView {
        room: m.room_id,
        root: m.id,
        replies: BTreeMap::new(),
        loading: true,
        has_more: false,
        read_sent: 0,
        scroll: 0,
    });
    vec![Effect::Rest(RestCall::Thread {
        room: m.room_id,
        root: m.id,
        before: None,
    })]
}

/// Back to the room's timeline.
pub fn close(state: &mut State) {
    state.thread = None;
    state.compose = Compose::Plain;
}

/// The root of the open thread, from the room's timeline.
pub fn root(state: &State) -> Option<&Message> {
    let t = state.thread.as_ref()?;
    state.room(t.room)?.find(t.root)
}

/// How many lines the open thread takes at the timeline's width: its
/// root, the rule, its replies (what the view draws above the pending).
fn height(state: &State) -> usize {
    let Some(t) = &state.thread else { return 0 };
    let width = state.screen_areas().timeline.width as usize;
    let offset = state.settings.offset;
    let root = root(state).map(|m| {
        let mut rows = item_rows(Entry::Message(m), None, false, offset);
        rows.thread = None;
        (rows.height(width), m.created_at)
    });
    let mut prev_at = root.map(|(_, at)| at);
    let mut lines = root.map_or(0, |(n, _)| n) + 1 + usize::from(t.has_more);
    for m in t.replies.values() {
        lines += item_rows(Entry::Message(m), prev_at, false, offset).height(width);
        prev_at = Some(m.created_at);
    }
    lines
}

/// PgUp / PgDn in the thread; older replies load on the way up.
pub fn page(state: &mut State, up: bool) -> Vec<Effect> {
    let view = state.screen_areas().timeline.height as usize;
    let max = height(state).saturating_sub(view);
    let step = view.saturating_sub(2).max(1);
    let Some(t) = state.thread.as_mut() else {
        return Vec::new();
    };
    t.scroll = if up {
        (t.scroll + step).min(max)
    } else {
        t.scroll.saturating_sub(step)
    };
    if up && t.scroll == max && t.has_more && !t.loading {
        t.loading = true;
        return vec![Effect::Rest(RestCall::Thread {
            room: t.room,
            root: t.root,
            before: t.replies.keys().next().copied(),
        })];
    }
    Vec::new()
}

/// A page of replies arrived.
pub fn on_page(
    state: &mut State,
    room: RoomId,
    root: MessageId,
    messages: Vec<Message>,
    has_more: bool,
) -> Vec<Effect> {
    let Some(t) = state
        .thread
        .as_mut()
        .filter(|t| (t.room, t.root) == (room, root))
    else {
        return Vec::new();
    };
    t.loading = false;
    t.has_more = has_more;
    for m in messages {
        t.replies.insert(m.seq, m);
    }
    mark_read(state)
}

/// A reply arrived (live, replayed, or acknowledged): its root's summary
/// counts it unless it already does (the summary names the newest reply it
/// counts, and replies to one root arrive in seq order), and the open thread
/// shows it.
pub fn on_reply(state: &mut State, m: Message) -> Vec<Effect> {
    let Some(root_id) = m.thread_root else {
        return Vec::new();
    };
    if let Some(room) = state.room_mut(m.room_id)
        && let Some(Item::Message(root)) = room
            .items
            .values_mut()
            .find(|i| matches!(i, Item::Message(r) if r.id == root_id))
    {
        let summary = root.thread.get_or_insert_with(|| ThreadSummary {
            reply_count: 0,
            last_reply_at: None,
            participant_ids: Vec::new(),
            last_reply_seq: 0,
        });
        if m.seq > summary.last_reply_seq {
            summary.reply_count += 1;
            summary.last_reply_at = Some(m.created_at);
            summary.last_reply_seq = m.seq;
            if !summary.participant_ids.contains(&m.author.id) {
                summary.participant_ids.push(m.author.id);
            }
        }
    }
    match state.thread.as_mut() {
        Some(t) if (t.room, t.root) == (m.room_id, root_id) => {
            t.replies.insert(m.seq, m);
            mark_read(state)
        }
        _ => Vec::new(),
    }
}

/// An edit or delete of a reply: the open thread shows its new state.
pub fn on_changed(state: &mut State, m: &Message) {
    if let Some(t) = state.thread.as_mut()
        && let Some(r) = t.replies.get_mut(&m.seq)
        && r.id == m.id
    {
        *r = m.clone();
    }
}

/// Sends the thread's read marker when its newest reply is on screen.
pub fn mark_read(state: &mut State) -> Vec<Effect> {
    if !state.focused || state.screen != Screen::Chat {
        return Vec::new();
    }
    let Some(t) = state.thread.as_mut() else {
        return Vec::new();
    };
    match t.replies.keys().next_back().copied() {
        Some(seq) if seq > t.read_sent => {
            t.read_sent = seq;
            vec![Effect::Rest(RestCall::ThreadRead {
                room: t.room,
                root: t.root,
                seq,
            })]
        }
        _ => Vec::new(),
    }
}

/// Sends a reply in the open thread.
pub fn send(state: &mut State, body: String) -> Vec<Effect> {
    let Some(t) = state.thread.as_ref() else {
        return Vec::new();
    };
    let (room, root) = (t.room, t.root);
    compose::send_message(state, room, body, None, Some(root))
}
