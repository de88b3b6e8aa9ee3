//! Selection mode: a message of the open room is picked with ↑↓ and acted
//! on with a key (reply, edit, delete, react, pin, history, thread,
//! report), or with a command typed next (`/`).

use chat_wire::{Message, RoomId, Seq};
use crossterm::event::KeyEvent;

use super::room::{Anchor, Item, RoomState};
use super::{Compose, Effect, Overlay, State, actions, chat, files, thread};
use crate::keys::{self, SelectAction};
use crate::net::RestCall;

/// Starts selecting at the newest message of the open room.
pub fn start(state: &mut State) -> Vec<Effect> {
    let Some(room) = state.active_room() else {
        return Vec::new();
    };
    match neighbour(room, Seq::MAX, true) {
        Some(seq) => select(state, seq),
        None => Vec::new(),
    }
}

/// The message before (`up`) or after `seq`, skipping notices.
fn neighbour(room: &RoomState, seq: Seq, up: bool) -> Option<Seq> {
    let is_message = |(s, i): (&Seq, &Item)| matches!(i, Item::Message(_)).then_some(*s);
    if up {
        room.items.range(..seq).rev().find_map(is_message)
    } else {
        room.items.range(seq + 1..).find_map(is_message)
    }
}

/// Selects a message and scrolls so it sits at the bottom of the view.
pub(super) fn select(state: &mut State, seq: Seq) -> Vec<Effect> {
    state.overlay = Overlay::Select(seq);
    if let Some(id) = state.active
        && let Some(r) = state.room_mut(id)
    {
        r.scroll = Some(Anchor { seq, skip: 0 });
    }
    chat::prefetch(state)
}

/// Opens a search hit's room with the hit selected. A hit older than
/// the loaded history is selected once paging back reaches it; a reply
/// opens its thread when the root is loaded.
pub fn jump(state: &mut State, hit: &Message) -> Vec<Effect> {
    let room = hit.room_id;
    let mut fx = chat::switch_to(state, room);
    if let Some(root) = hit.thread_root {
        let root = state.room(room).and_then(|r| r.find(root)).cloned();
        if let Some(root) = root {
            fx.extend(thread::open(state, &root));
        }
        return fx;
    }
    state.jump = Some((room, hit.seq));
    fx.extend(continue_jump(state, room));
    fx
}

/// After a page of `room` arrived: selects the hit we are jumping to if
/// it is loaded now, else asks for the page before.
pub fn continue_jump(state: &mut State, room: RoomId) -> Vec<Effect> {
    let Some((target, seq)) = state.jump else {
        return Vec::new();
    };
    if target != room || state.active != Some(room) {
        return Vec::new();
    }
    let Some(r) = state.room_mut(room) else {
        return Vec::new();
    };
    if r.items.contains_key(&seq) {
        state.jump = None;
        return select(state, seq);
    }
    // Not loaded yet: the newest page is on its way, or older ones are
    // fetched until the hit (or the start of the room) is reached.
    if !r.loaded || r.loading {
        return Vec::new();
    }
    if r.history_done {
        state.jump = None;
        return Vec::new();
    }
    r.loading = true;
    vec![Effect::Rest(RestCall::Page {
        room,
        before: r.oldest(),
    })]
}

/// Leaves selection, back to the newest message.
fn end(state: &mut State) -> Vec<Effect> {
    state.overlay = Overlay::None;
    if let Some(id) = state.active
        && let Some(r) = state.room_mut(id)
    {
        r.scroll = None;
    }
    chat::mark_read(state)
}

/// Leaves selection with a command started in the editor for `m`.
fn command_on(state: &mut State, m: &Message, start: &str) -> Vec<Effect> {
    state.compose = Compose::Acting {
        room: m.room_id,
        id: m.id,
    };
    state.editor.set(start);
    end(state)
}

/// A key while a message is selected.
pub fn on_key(state: &mut State, seq: Seq, key: &KeyEvent) -> Vec<Effect> {
    let Some(room) = state.active_room() else {
        state.overlay = Overlay::None;
        return Vec::new();
    };
    let room_id = room.room.id;
    // A tombstone can only be looked at (and its thread opened).
    let message = match room.items.get(&seq) {
        Some(Item::Message(m)) => Some(m.clone()),
        _ => None,
    };
    let live = message.clone().filter(|m| !m.deleted);
    let mine = message
        .as_ref()
        .is_some_and(|m| m.author.username == state.my_name());
    match keys::select_lookup(key) {
        Some(SelectAction::Up) => match neighbour(room, seq, true) {
            Some(prev) => select(state, prev),
            None => Vec::new(),
        },
        Some(SelectAction::Down) => match neighbour(room, seq, false) {
            Some(next) => select(state, next),
            None => end(state),
        },
        Some(SelectAction::Reply) => {
            if let Some(m) = live {
                state.compose = Compose::Replying {
                    room: room_id,
                    id: m.id,
                };
            }
            end(state)
        }
        Some(SelectAction::Edit) if mine => {
            if let Some(m) = live {
                state.compose = Compose::Editing {
                    room: room_id,
                    id: m.id,
                };
                state.editor.set(m.body.as_deref().unwrap_or(""));
            }
            end(state)
        }
        // The server decides who may delete (authors, room moderators).
        Some(SelectAction::Delete) => match live {
            Some(m) => vec![Effect::Rest(RestCall::Delete {
                room: room_id,
                id: m.id,
            })],
            None => Vec::new(),
        },
        Some(SelectAction::React) => match live {
            Some(m) => command_on(state, &m, "/react "),
            None => Vec::new(),
        },
        Some(SelectAction::Report) => match live {
            Some(m) => command_on(state, &m, "/report "),
            None => Vec::new(),
        },
        Some(SelectAction::Command) => match live {
            Some(m) => command_on(state, &m, "/"),
            None => Vec::new(),
        },
        // Pinning and history keep the selection: the change (or the
        // overlay) comes back from the server.
        Some(SelectAction::Pin) => match live {
            Some(m) => actions::pin(&m, !m.pinned),
            None => Vec::new(),
        },
        Some(SelectAction::History) => match live {
            Some(m) => actions::history(state, &m),
            None => Vec::new(),
        },
        Some(SelectAction::Thread) => match message {
            Some(m) => {
                let fx = end(state);
                let mut open = thread::open(state, &m);
                open.extend(fx);
                open
            }
            None => Vec::new(),
        },
        // Saving keeps the selection: the path comes back as a notice.
        Some(SelectAction::Open) => match live {
            Some(m) => files::open(state, &m, 1),
            None => Vec::new(),
        },
        Some(SelectAction::Done) => end(state),
        Some(SelectAction::Edit) | None => Vec::new(),
    }
}
