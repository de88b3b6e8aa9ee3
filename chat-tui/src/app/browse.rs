//! The room browser: `/list` shows the server's public rooms, Enter joins
//! the selected one and opens it (or just opens it if I am in it). The
//! same list lets Tab complete the name after `/join `.

use chat_wire::Room;
use crossterm::event::{KeyCode, KeyEvent};

use super::{Effect, Overlay, State, chat, compose};
use crate::net::RestCall;

/// `/list`: asks for the public rooms; the browser opens when they come.
pub fn list() -> Vec<Effect> {
    vec![Effect::Rest(RestCall::PublicRooms { complete: false })]
}

/// The public rooms arrived: remembered for completion, and shown unless
/// they were fetched to complete a name.
pub fn on_rooms(state: &mut State, complete: bool, mut rooms: Vec<Room>) -> Vec<Effect> {
    rooms.sort_by_key(|r| r.name.to_lowercase());
    state.public_rooms = rooms.iter().map(|r| r.name.clone()).collect();
    if complete {
        // Only if the user is still completing a /join.
        if joining(state) {
            compose::complete_locally(state);
        }
    } else {
        state.overlay = Overlay::Rooms { rooms, selected: 0 };
    }
    Vec::new()
}

/// Is the cursor on the room name of a `/join` line?
pub fn joining(state: &State) -> bool {
    let (start, _) = state.editor.current_word();
    start > 0 && state.editor.text().starts_with("/join ")
}

/// A key while the browser is open.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Rooms { rooms, selected } = &mut state.overlay else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Down => *selected = (*selected + 1).min(rooms.len().saturating_sub(1)),
        KeyCode::Up => *selected = selected.saturating_sub(1),
        KeyCode::Esc | KeyCode::Char('q') => state.overlay = Overlay::None,
        KeyCode::Enter => {
            let pick = rooms.get(*selected).map(|r| (r.id, r.name.clone()));
            state.overlay = Overlay::None;
            let Some((id, name)) = pick else {
                return Vec::new();
            };
            if state.room(id).is_some() {
                return chat::switch_to(state, id);
            }
            state.expect_focus(&name);
            return vec![Effect::Rest(RestCall::Join(id))];
        }
        _ => {}
    }
    Vec::new()
}
