//! The overlays, and keys while one is open: the help, the room
//! switcher, search results and the paste confirmation; selection, pins,
//! history, people, sessions and the room browser hand theirs to their
//! own modules.

use chat_wire::api::{Revision, Session};
use chat_wire::{MessageId, Room, RoomId, User};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Effect, State, actions, browse, chat, people, select};
use crate::keys::Action;

/// Something drawn over the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    /// The help, scrolled down this many lines.
    Help(usize),
    Switcher {
        query: String,
        selected: usize,
    },
    /// Search results; Enter opens the selected one's room at the hit.
    Search {
        q: String,
        results: Vec<chat_wire::Message>,
        selected: usize,
    },
    /// A message of the open room is selected (by seq) to act on.
    Select(chat_wire::Seq),
    /// A large paste waiting for a yes.
    Paste(String),
    /// The open room's pinned messages.
    Pins {
        room: RoomId,
        messages: Vec<chat_wire::Message>,
        selected: usize,
    },
    /// A message's earlier texts, oldest first.
    History {
        room: RoomId,
        id: MessageId,
        revisions: Vec<Revision>,
    },
    /// Directory results; Enter opens a direct conversation.
    People {
        q: String,
        users: Vec<User>,
        selected: usize,
    },
    /// My sessions; `d` ends the selected one.
    Sessions {
        sessions: Vec<Session>,
        selected: usize,
    },
    /// Public rooms; Enter joins the selected one.
    Rooms {
        rooms: Vec<Room>,
        selected: usize,
    },
}

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
            select::on_key(state, seq, &key)
        }
        Overlay::Pins { .. } | Overlay::History { .. } => actions::on_overlay_key(state, key),
        Overlay::People { .. } | Overlay::Sessions { .. } => people::on_overlay_key(state, key),
        Overlay::Rooms { .. } => browse::on_key(state, key),
        Overlay::Search {
            results, selected, ..
        } => {
            match key.code {
                KeyCode::Down => *selected = (*selected + 1).min(results.len().saturating_sub(1)),
                KeyCode::Up => *selected = selected.saturating_sub(1),
                KeyCode::Enter => {
                    let hit = results.get(*selected).cloned();
                    state.overlay = Overlay::None;
                    if let Some(m) = hit {
                        return select::jump(state, &m);
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
