//! Keys while an overlay is open: the help, the room switcher, search
//! results and the paste confirmation.

use chat_wire::RoomId;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use chat_wire::Seq;

use super::room::{Anchor, Item};
use super::{Compose, Effect, Overlay, State, chat};
use crate::keys::Action;
use crate::net::RestCall;

/// A key while an overlay is open.
pub fn on_key(state: &mut State, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    match &mut state.overlay {
        Overlay::Paste(text) => {
            let text = text.clone();
            match key.code {
                KeyCode::Char('y') | KeyCode::Enter => state.editor.insert(&text),
                KeyCode::Char('n') | KeyCode::Esc => {}
                _ => return Vec::new(),
            }
            state.overlay = Overlay::None;
            Vec::new()
        }
        Overlay::Switcher { query, selected } => {
            match (key.code, action) {
                (KeyCode::Esc, _) => state.overlay = Overlay::None,
                (KeyCode::Enter, _) => {
                    let matches = switcher_matches(state);
                    let pick = match &state.overlay {
                        Overlay::Switcher { selected, .. } => matches.get(*selected).copied(),
                        _ => None,
                    };
                    state.overlay = Overlay::None;
                    if let Some(id) = pick {
                        return chat::switch_to(state, id);
                    }
                }
                (KeyCode::Down, _) | (_, Some(Action::RoomNext)) => *selected += 1,
                (KeyCode::Up, _) | (_, Some(Action::RoomPrev)) => {
                    *selected = selected.saturating_sub(1)
                }
                (KeyCode::Backspace, _) => {
                    query.pop();
                    *selected = 0;
                }
                (KeyCode::Char(c), _) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    query.push(c);
                    *selected = 0;
                }
                _ => {}
            }
            let n = switcher_matches(state).len();
            if let Overlay::Switcher { selected, .. } = &mut state.overlay {
                *selected = (*selected).min(n.saturating_sub(1));
            }
            Vec::new()
        }
        Overlay::Help(scroll) => {
            match key.code {
                KeyCode::Down => *scroll += 1,
                KeyCode::PageDown => *scroll += 10,
                KeyCode::Up => *scroll = scroll.saturating_sub(1),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q' | '?') => {
                    state.overlay = Overlay::None
                }
                _ if action == Some(Action::Help) => state.overlay = Overlay::None,
                _ => {}
            }
            Vec::new()
        }
        Overlay::Select(seq) => {
            let seq = *seq;
            on_select_key(state, seq, key.code)
        }
        Overlay::Search {
            results, selected, ..
        } => {
            match key.code {
                KeyCode::Down => *selected = (*selected + 1).min(results.len().saturating_sub(1)),
                KeyCode::Up => *selected = selected.saturating_sub(1),
                KeyCode::Enter => {
                    let room = results.get(*selected).map(|m| m.room_id);
                    state.overlay = Overlay::None;
                    if let Some(id) = room {
                        return chat::switch_to(state, id);
                    }
                }
                KeyCode::Esc | KeyCode::Char('q') => state.overlay = Overlay::None,
                _ => {}
            }
            Vec::new()
        }
        _ => {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q' | '?')
            ) || action == Some(Action::Help)
            {
                state.overlay = Overlay::None;
            }
            Vec::new()
        }
    }
}

/// Rooms matching the switcher's query: its characters in order (fuzzy).
pub fn switcher_matches(state: &State) -> Vec<RoomId> {
    let Overlay::Switcher { query, .. } = &state.overlay else {
        return Vec::new();
    };
    let q = query.to_lowercase();
    state
        .rooms
        .iter()
        .filter(|r| {
            let mut name = r
                .label()
                .to_lowercase()
                .chars()
                .collect::<Vec<_>>()
                .into_iter();
            q.chars().all(|c| name.any(|n| n == c))
        })
        .map(|r| r.room.id)
        .collect()
}

/// Starts selecting at the newest message of the open room.
pub fn start_select(state: &mut State) -> Vec<Effect> {
    let Some(room) = state.active_room() else {
        return Vec::new();
    };
    match neighbour(room, Seq::MAX, true) {
        Some(seq) => select(state, seq),
        None => Vec::new(),
    }
}

/// The message before (`up`) or after `seq`, skipping notices.
fn neighbour(room: &super::room::RoomState, seq: Seq, up: bool) -> Option<Seq> {
    let is_message = |(s, i): (&Seq, &Item)| matches!(i, Item::Message(_)).then_some(*s);
    if up {
        room.items.range(..seq).rev().find_map(is_message)
    } else {
        room.items.range(seq + 1..).find_map(is_message)
    }
}

/// Selects a message and scrolls so it sits at the bottom of the view.
fn select(state: &mut State, seq: Seq) -> Vec<Effect> {
    state.overlay = Overlay::Select(seq);
    if let Some(id) = state.active
        && let Some(r) = state.room_mut(id)
    {
        r.scroll = Some(Anchor { seq, skip: 0 });
    }
    chat::prefetch(state)
}

/// Leaves selection, back to the newest message.
fn end_select(state: &mut State) -> Vec<Effect> {
    state.overlay = Overlay::None;
    if let Some(id) = state.active
        && let Some(r) = state.room_mut(id)
    {
        r.scroll = None;
    }
    chat::mark_read(state)
}

/// A key while a message is selected.
fn on_select_key(state: &mut State, seq: Seq, code: KeyCode) -> Vec<Effect> {
    let Some(room) = state.active_room() else {
        state.overlay = Overlay::None;
        return Vec::new();
    };
    let room_id = room.room.id;
    let message = match room.items.get(&seq) {
        Some(Item::Message(m)) => Some(m.clone()),
        _ => None,
    };
    let mine = message
        .as_ref()
        .is_some_and(|m| m.author.username == state.my_name());
    match code {
        KeyCode::Up => match neighbour(room, seq, true) {
            Some(prev) => select(state, prev),
            None => Vec::new(),
        },
        KeyCode::Down => match neighbour(room, seq, false) {
            Some(next) => select(state, next),
            None => end_select(state),
        },
        KeyCode::Char('r') | KeyCode::Enter => {
            if let Some(m) = message.filter(|m| !m.deleted) {
                state.compose = Compose::Replying {
                    room: room_id,
                    id: m.id,
                };
            }
            end_select(state)
        }
        KeyCode::Char('e') if mine => {
            if let Some(m) = message.filter(|m| !m.deleted) {
                state.compose = Compose::Editing {
                    room: room_id,
                    id: m.id,
                };
                state.editor.set(m.body.as_deref().unwrap_or(""));
            }
            end_select(state)
        }
        // The server decides who may delete (authors, room moderators).
        KeyCode::Char('d') => match message.filter(|m| !m.deleted) {
            Some(m) => vec![Effect::Rest(RestCall::Delete {
                room: room_id,
                id: m.id,
            })],
            None => Vec::new(),
        },
        KeyCode::Esc | KeyCode::Char('q') => end_select(state),
        _ => Vec::new(),
    }
}
