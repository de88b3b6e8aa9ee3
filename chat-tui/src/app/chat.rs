//! Keys, paste and mouse on the chat screen, and the room actions they
//! share with commands and events: switching, read markers, paging.

use chat_wire::RoomId;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::{Compose, Conn, Effect, Overlay, State, compose, overlay, scroll, select, thread};
use crate::keys::{self, Action, EditOp};
use crate::net::RestCall;

/// A key on the chat screen.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let action = keys::lookup(&key);
    if action == Some(Action::Quit) {
        state.request_quit();
        return Vec::new();
    }
    if state.overlay != Overlay::None {
        return overlay::on_key(state, key, action);
    }
    match action {
        Some(Action::Suspend) => vec![Effect::Suspend],
        Some(Action::Redraw) => vec![Effect::Redraw],
        Some(Action::Help) => {
            state.overlay = Overlay::Help(0);
            Vec::new()
        }
        Some(Action::Send) => compose::submit(state),
        Some(Action::Newline) => {
            state.editor.insert("\n");
            Vec::new()
        }
        Some(Action::RoomNext) => step_room(state, 1),
        Some(Action::RoomPrev) => step_room(state, -1),
        Some(Action::NextUnread) => {
            let start = state.active_index().map_or(0, |i| i + 1);
            let n = state.rooms.len();
            let next = (0..n)
                .map(|k| (start + k) % n.max(1))
                .find(|&i| state.rooms[i].unread > 0);
            match next.map(|i| state.rooms[i].room.id) {
                Some(id) => switch_to(state, id),
                None => Vec::new(),
            }
        }
        Some(Action::Switcher) if !state.editor.is_empty() && key.code == KeyCode::Char('k') => {
            state.editor.apply(EditOp::KillToEnd);
            Vec::new()
        }
        Some(Action::Switcher) => {
            state.overlay = Overlay::Switcher {
                query: String::new(),
                selected: 0,
            };
            Vec::new()
        }
        // The thread view has no selection of its own.
        Some(Action::Select) if state.thread.is_some() => Vec::new(),
        Some(Action::Select) => select::start(state),
        Some(Action::PageUp | Action::PageDown) if state.thread.is_some() => {
            thread::page(state, action == Some(Action::PageUp))
        }
        Some(Action::PageUp) => scroll::page(state, true),
        Some(Action::PageDown) => scroll::page(state, false),
        Some(Action::Bottom) => {
            if let Some(id) = state.active
                && let Some(r) = state.room_mut(id)
            {
                r.scroll = None;
            }
            mark_read(state)
        }
        Some(Action::Retry) => {
            let Some(room) = state.active else {
                return Vec::new();
            };
            let frames = state.outbox.retry(room);
            if state.conn == Conn::Connected {
                frames.into_iter().map(Effect::Ws).collect()
            } else {
                Vec::new()
            }
        }
        Some(Action::Discard) => {
            if let Some(room) = state.active {
                state.outbox.discard_failed(room);
            }
            Vec::new()
        }
        Some(Action::Complete) => compose::tab_complete(state),
        // Esc leaves a thread once nothing else is left to cancel.
        Some(Action::Cancel) if state.compose == Compose::Plain && state.thread.is_some() => {
            thread::close(state);
            mark_read(state)
        }
        Some(Action::Cancel) => {
            if state.compose != Compose::Plain {
                state.editor.take();
            }
            state.compose = Compose::Plain;
            state.notice = None;
            Vec::new()
        }
        Some(Action::Edit(EditOp::Up))
            if state.editor.is_empty()
                && state.compose == Compose::Plain
                && compose::edit_last(state) =>
        {
            Vec::new()
        }
        Some(Action::Edit(op @ (EditOp::Up | EditOp::Down))) => {
            if !state.editor.apply(op) {
                compose::walk_history(state, op == EditOp::Up);
            }
            Vec::new()
        }
        Some(Action::HistoryOlder) => {
            compose::walk_history(state, true);
            Vec::new()
        }
        Some(Action::HistoryNewer) => {
            compose::walk_history(state, false);
            Vec::new()
        }
        Some(Action::Edit(op)) => {
            state.editor.apply(op);
            Vec::new()
        }
        // Quit was handled above; everything else unbound types text.
        Some(Action::Quit) | None => match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                if c == '?' && state.editor.is_empty() {
                    state.overlay = Overlay::Help(0);
                    return Vec::new();
                }
                state.editor.insert(c.encode_utf8(&mut [0; 4]));
                compose::typing(state)
            }
            _ => Vec::new(),
        },
    }
}

/// Pasted text goes into the editor, never straight out; a large paste
/// asks first.
pub fn on_paste(state: &mut State, text: String) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if text.lines().count() > state.settings.paste_confirm_lines {
        state.overlay = Overlay::Paste(text);
    } else {
        state.editor.insert(&text);
    }
    Vec::new()
}

/// The mouse wheel scrolls the timeline.
pub fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    match m.kind {
        MouseEventKind::ScrollUp => scroll::by(state, 3),
        MouseEventKind::ScrollDown => scroll::by(state, -3),
        MouseEventKind::Down(MouseButton::Left) => {
            // A click in the room list opens that room.
            let list = state.screen_areas().sidebar;
            if !list.contains(Position::new(m.column, m.row)) {
                return Vec::new();
            }
            let i = state.first_listed_room(list.height as usize) + (m.row - list.y) as usize;
            match state.rooms.get(i).map(|r| r.room.id) {
                Some(id) => switch_to(state, id),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn step_room(state: &mut State, delta: isize) -> Vec<Effect> {
    let n = state.rooms.len() as isize;
    if n == 0 {
        return Vec::new();
    }
    let i = state.active_index().map_or(0, |i| i as isize);
    let id = state.rooms[(i + delta).rem_euclid(n) as usize].room.id;
    switch_to(state, id)
}

/// Opens a room: keeps the old room's draft, restores the new one's,
/// places the unread marker, loads history if needed and marks it read.
pub fn switch_to(state: &mut State, id: RoomId) -> Vec<Effect> {
    if state.active == Some(id) {
        return Vec::new();
    }
    if let Some(old) = state.active {
        let draft = state.editor.take();
        if !draft.is_empty() {
            state.drafts.insert(old, draft);
        }
    }
    state.active = Some(id);
    state.compose = Compose::Plain;
    state.thread = None;
    let draft = state.drafts.remove(&id).unwrap_or_default();
    state.editor.set(&draft);
    let mut fx = Vec::new();
    if let Some(r) = state.room_mut(id) {
        r.marker = (r.unread > 0).then_some(r.read_sent);
        if !r.loaded && !r.loading {
            r.loading = true;
            fx.push(Effect::Rest(RestCall::Page {
                room: id,
                before: None,
            }));
        }
        if r.members.is_empty() {
            fx.push(Effect::Rest(RestCall::Members(id)));
        }
    }
    fx.extend(mark_read(state));
    fx
}

/// Sends a read marker when the open room shows its newest event.
pub fn mark_read(state: &mut State) -> Vec<Effect> {
    // An open thread hides the timeline: what arrives there is unread.
    let shown = state.focused && state.thread.is_none();
    let Some(id) = state.active.filter(|_| shown) else {
        return Vec::new();
    };
    let Some(r) = state.room_mut(id) else {
        return Vec::new();
    };
    if r.scroll.is_some() {
        return Vec::new();
    }
    r.unread = 0;
    r.mentions = 0;
    if r.seen_seq > r.read_sent {
        r.read_sent = r.seen_seq;
        return vec![Effect::Rest(RestCall::Read {
            room: id,
            seq: r.seen_seq,
        })];
    }
    Vec::new()
}

/// Loads an older page when the view nears the top of what we have.
pub fn prefetch(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.active else {
        return Vec::new();
    };
    let above = scroll::lines_above(state);
    let height = scroll::timeline_height(state);
    let Some(r) = state.room_mut(id) else {
        return Vec::new();
    };
    if r.loaded && !r.loading && !r.history_done && above < height * 2 {
        r.loading = true;
        return vec![Effect::Rest(RestCall::Page {
            room: id,
            before: r.oldest(),
        })];
    }
    Vec::new()
}
