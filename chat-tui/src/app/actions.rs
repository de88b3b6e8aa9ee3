//! Commands on one message — `/react`, `/pin`, `/unpin`, `/history`,
//! `/report` — and the room's `/pins`, with the overlays they open.
//!
//! A command acts on the message picked in selection mode (its keys start
//! the command with the message as target); without one, `/react` and
//! `/pin` take the newest message and `/history` the newest edited one.
//! `/report` always wants a selection: reporting the wrong message by
//! accident is worse than one more key.

use chat_wire::api::Revision;
use chat_wire::{Message, MessageId, RoomId};
use crossterm::event::{KeyCode, KeyEvent};

use super::{Effect, Overlay, State, select};
use crate::net::RestCall;
use crate::strings;

/// Runs `cmd` if it is one of these commands; `target` is the selected
/// message, if the command was started on one.
pub fn run(
    state: &mut State,
    cmd: &str,
    arg: &str,
    target: Option<(RoomId, MessageId)>,
) -> Option<Vec<Effect>> {
    let picked = target.and_then(|(room, id)| state.room(room)?.find(id).cloned());
    let newest = |state: &State, edited: bool| {
        state
            .active_room()?
            .last_where(|m| !edited || m.edited_at.is_some())
            .cloned()
    };
    let fx = match cmd {
        "/react" => match (picked.or_else(|| newest(state, false)), arg) {
            (_, "") => usage(state, "/react EMOJI"),
            (Some(m), emoji) => react(state, &m, emoji),
            (None, _) => notice(state, strings::NOTHING_SELECTED),
        },
        "/pin" | "/unpin" => match picked.or_else(|| newest(state, false)) {
            Some(m) => pin(&m, cmd == "/pin"),
            None => notice(state, strings::NOTHING_SELECTED),
        },
        "/history" => match picked.or_else(|| newest(state, true)) {
            Some(m) => history(state, &m),
            None => notice(state, strings::NOT_EDITED),
        },
        "/report" => match picked {
            // The server wants a reason; the admins at least learn none
            // was given.
            Some(m) => vec![Effect::Rest(RestCall::Report {
                id: m.id,
                reason: if arg.is_empty() {
                    strings::NO_REASON.into()
                } else {
                    arg.to_owned()
                },
            })],
            None => notice(state, strings::NOTHING_SELECTED),
        },
        "/pins" => match state.active {
            Some(room) => vec![Effect::Rest(RestCall::Pins(room))],
            None => notice(state, strings::NO_ROOMS),
        },
        _ => return None,
    };
    Some(fx)
}

fn notice(state: &mut State, text: &str) -> Vec<Effect> {
    state.notice = Some(text.to_owned());
    Vec::new()
}

fn usage(state: &mut State, what: &str) -> Vec<Effect> {
    state.notice = Some(format!("usage: {what}"));
    Vec::new()
}

/// Adds my reaction, or takes it back if I already reacted so.
pub fn react(state: &mut State, m: &Message, emoji: &str) -> Vec<Effect> {
    let me = state.me.as_ref().map_or(0, |u| u.id);
    let mine = m
        .reactions
        .iter()
        .any(|r| r.emoji == emoji && r.user_ids.contains(&me));
    vec![Effect::Rest(RestCall::React {
        room: m.room_id,
        id: m.id,
        emoji: emoji.to_owned(),
        add: !mine,
    })]
}

/// Pins or unpins; the room event updates the timeline.
pub fn pin(m: &Message, pin: bool) -> Vec<Effect> {
    vec![Effect::Rest(RestCall::Pin {
        room: m.room_id,
        id: m.id,
        pin,
    })]
}

/// Asks for an edited message's earlier texts.
pub fn history(state: &mut State, m: &Message) -> Vec<Effect> {
    if m.edited_at.is_none() {
        return notice(state, strings::NOT_EDITED);
    }
    vec![Effect::Rest(RestCall::History {
        room: m.room_id,
        id: m.id,
    })]
}

/// The pins of a room arrived: shown if it is still the open one.
pub fn on_pins(state: &mut State, room: RoomId, messages: Vec<Message>) {
    if state.active == Some(room) {
        state.overlay = Overlay::Pins {
            room,
            messages,
            selected: 0,
        };
    }
}

/// A message's history arrived.
pub fn on_history(state: &mut State, room: RoomId, id: MessageId, revisions: Vec<Revision>) {
    if state.active == Some(room) {
        state.overlay = Overlay::History {
            room,
            id,
            revisions,
        };
    }
}

/// A key while the pins or a history are shown.
pub fn on_overlay_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match &mut state.overlay {
        Overlay::Pins {
            room,
            messages,
            selected,
        } => match key.code {
            KeyCode::Down => {
                *selected = (*selected + 1).min(messages.len().saturating_sub(1));
                Vec::new()
            }
            KeyCode::Up => {
                *selected = selected.saturating_sub(1);
                Vec::new()
            }
            KeyCode::Char('u') if *selected < messages.len() => {
                // The list is a snapshot: drop it here, the event fixes
                // the timeline.
                let m = messages.remove(*selected);
                *selected = (*selected).min(messages.len().saturating_sub(1));
                vec![Effect::Rest(RestCall::Pin {
                    room: *room,
                    id: m.id,
                    pin: false,
                })]
            }
            // Enter selects the pinned message in the timeline when loaded.
            KeyCode::Enter => {
                let seq = messages.get(*selected).map(|m| m.seq);
                let loaded =
                    seq.filter(|s| state.active_room().is_some_and(|r| r.items.contains_key(s)));
                state.overlay = Overlay::None;
                match loaded {
                    Some(seq) => select::select(state, seq),
                    None => Vec::new(),
                }
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                state.overlay = Overlay::None;
                Vec::new()
            }
            _ => Vec::new(),
        },
        _ => {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                state.overlay = Overlay::None;
            }
            Vec::new()
        }
    }
}
