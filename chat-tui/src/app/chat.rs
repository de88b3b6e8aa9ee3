//! Keys, paste and mouse on the chat screen, and the actions they share
//! with commands: switching rooms, sending, read markers, paging.

use chat_wire::ws::ClientFrame;
use chat_wire::{MessageId, RoomId};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::outbox::{Outgoing, SendStatus};
use super::{Compose, Conn, Effect, Overlay, State, commands, scroll};
use crate::input::complete::complete;
use crate::keys::{self, Action, EditOp};
use crate::net::RestCall;
use crate::strings;

/// A key on the chat screen.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let action = keys::lookup(&key);
    if action == Some(Action::Quit) {
        state.quit = true;
        return Vec::new();
    }
    if state.overlay != Overlay::None {
        return on_overlay_key(state, key, action);
    }
    match action {
        Some(Action::Suspend) => vec![Effect::Suspend],
        Some(Action::Help) => {
            state.overlay = Overlay::Help(0);
            Vec::new()
        }
        Some(Action::Send) => submit(state),
        Some(Action::Newline) => {
            state.editor.insert("\n");
            Vec::new()
        }
        Some(Action::RoomNext) => step_room(state, 1),
        Some(Action::RoomPrev) => step_room(state, -1),
        Some(Action::NextUnread) => {
            let start = active_index(state).map_or(0, |i| i + 1);
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
        Some(Action::Complete) => {
            tab_complete(state);
            Vec::new()
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
            if state.editor.is_empty() && state.compose == Compose::Plain && edit_last(state) =>
        {
            Vec::new()
        }
        Some(Action::Edit(op @ (EditOp::Up | EditOp::Down))) => {
            if !state.editor.apply(op) {
                walk_history(state, op == EditOp::Up);
            }
            Vec::new()
        }
        Some(Action::HistoryOlder) => {
            walk_history(state, true);
            Vec::new()
        }
        Some(Action::HistoryNewer) => {
            walk_history(state, false);
            Vec::new()
        }
        Some(Action::Edit(op)) => {
            state.editor.apply(op);
            Vec::new()
        }
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
                typing(state)
            }
            _ => Vec::new(),
        },
    }
}

fn on_overlay_key(state: &mut State, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
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
                        return switch_to(state, id);
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
        _ => Vec::new(),
    }
}

fn active_index(state: &State) -> Option<usize> {
    state
        .rooms
        .iter()
        .position(|r| Some(r.room.id) == state.active)
}

fn step_room(state: &mut State, delta: isize) -> Vec<Effect> {
    let n = state.rooms.len() as isize;
    if n == 0 {
        return Vec::new();
    }
    let i = active_index(state).map_or(0, |i| i as isize);
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
    let Some(id) = state.active else {
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

/// Queues a message and sends it now if the link is up (else on `ready`).
pub fn send_message(
    state: &mut State,
    room: RoomId,
    body: String,
    reply_to: Option<MessageId>,
) -> Vec<Effect> {
    let item = Outgoing {
        client_id: state.client_id(),
        room,
        body,
        reply_to,
        status: SendStatus::Pending,
    };
    let frame = item.frame();
    state.outbox.push(item);
    if let Some(r) = state.room_mut(room) {
        r.scroll = None;
    }
    if state.conn == Conn::Connected {
        vec![Effect::Ws(frame)]
    } else {
        Vec::new()
    }
}

/// Enter: a command, an edit, or a message.
fn submit(state: &mut State) -> Vec<Effect> {
    let text = state.editor.take();
    if text.trim().is_empty() {
        return Vec::new();
    }
    state.history.push(&text);
    if text.starts_with('/') && !text.starts_with("//") {
        return commands::run(state, &text);
    }
    let body = text
        .strip_prefix('/')
        .filter(|_| text.starts_with("//"))
        .unwrap_or(&text)
        .to_owned();
    match std::mem::replace(&mut state.compose, Compose::Plain) {
        Compose::Editing { room, id } => vec![Effect::Rest(RestCall::Edit { room, id, body })],
        Compose::Replying { room, id } => send_message(state, room, body, Some(id)),
        Compose::Plain => match state.active {
            Some(room) => send_message(state, room, body, None),
            None => {
                state.notice = Some(strings::NO_ROOMS.into());
                Vec::new()
            }
        },
    }
}

/// Up on an empty line: edit my last message in this room. False when
/// there is none (Up then walks the history instead).
pub fn edit_last(state: &mut State) -> bool {
    let me = state.my_name().to_owned();
    let Some(room) = state.active_room() else {
        return false;
    };
    let Some(m) = room.last_where(|m| m.author.username == me) else {
        return false;
    };
    let (id, body) = (m.id, m.body.clone().unwrap_or_default());
    state.compose = Compose::Editing {
        room: room.room.id,
        id,
    };
    state.editor.set(&body);
    true
}

/// Replaces the input with an older or newer history entry.
fn walk_history(state: &mut State, older: bool) {
    let text = state.editor.text().to_owned();
    let got = if older {
        state.history.older(&text).map(str::to_owned)
    } else {
        state.history.newer().map(str::to_owned)
    };
    if let Some(t) = got {
        state.editor.set(&t);
    }
}

/// Tells the room we are typing, at most every 3 seconds.
fn typing(state: &mut State) -> Vec<Effect> {
    let Some(room) = state.active else {
        return Vec::new();
    };
    if state.conn != Conn::Connected || state.editor.text().starts_with('/') {
        return Vec::new();
    }
    let last = state.last_typing.get(&room).copied();
    if last.is_some_and(|t| state.clock < t + std::time::Duration::from_secs(3)) {
        return Vec::new();
    }
    state.last_typing.insert(room, state.clock);
    vec![Effect::Ws(ClientFrame::Typing { room_id: room })]
}

/// Completes the word before the cursor: a command, a room or a name.
fn tab_complete(state: &mut State) {
    let (start, word) = state.editor.current_word();
    let word = word.to_owned();
    let candidates: Vec<String> = if start == 0 && word.starts_with('/') {
        strings::COMMANDS
            .iter()
            .filter_map(|(c, _)| c.split_whitespace().next().map(str::to_owned))
            .collect()
    } else if word.starts_with('#') {
        state
            .rooms
            .iter()
            .filter(|r| !r.is_direct())
            .map(|r| r.label())
            .collect()
    } else {
        let mut names: Vec<String> = state
            .active_room()
            .map(|r| r.members.clone())
            .unwrap_or_default();
        names.extend(
            state
                .rooms
                .iter()
                .filter(|r| r.is_direct())
                .map(|r| r.room.name.clone()),
        );
        let at = word.starts_with('@');
        names
            .into_iter()
            .map(|n| if at { format!("@{n}") } else { n })
            .collect()
    };
    let (done, all) = complete(&word, &candidates);
    if let Some(text) = done {
        state.editor.replace_word(start, &text);
    }
    if all.len() > 1 {
        state.notice = Some(all.join(" "));
    }
}
