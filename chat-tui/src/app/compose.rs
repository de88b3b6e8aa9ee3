//! Writing: sending (through the outbox), editing, history, typing
//! notices and Tab completion.

use chat_wire::ws::ClientFrame;
use chat_wire::{MessageId, RoomId};

use super::outbox::{Outgoing, SendStatus};
use super::{Compose, Conn, Effect, State, browse, commands, thread};
use crate::input::complete::complete;
use crate::net::RestCall;
use crate::strings;

/// Queues a message and sends it now if the link is up (else on `ready`).
pub fn send_message(
    state: &mut State,
    room: RoomId,
    body: String,
    reply_to: Option<MessageId>,
    thread_root: Option<MessageId>,
) -> Vec<Effect> {
    let item = Outgoing {
        client_id: state.client_id(),
        room,
        body,
        reply_to,
        thread_root,
        attachments: Vec::new(),
        status: SendStatus::Pending,
    };
    queue(state, item)
}

/// Queues a message made elsewhere (with attachments, say), and sends it
/// now if the link is up.
pub fn queue(state: &mut State, item: Outgoing) -> Vec<Effect> {
    let room = item.room;
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
pub fn submit(state: &mut State) -> Vec<Effect> {
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
        Compose::Replying { room, id } => send_message(state, room, body, Some(id), None),
        _ if state.thread.is_some() => thread::send(state, body),
        // A plain line typed after starting a command on a message is
        // just a message.
        Compose::Plain | Compose::Acting { .. } => match state.active {
            Some(room) => send_message(state, room, body, None, None),
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
pub fn walk_history(state: &mut State, older: bool) {
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
pub fn typing(state: &mut State) -> Vec<Effect> {
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

/// Tab: completes the word before the cursor from what we know; an
/// `@name` nobody here matches is looked up in the directory, and
/// completed when the answer comes.
pub fn tab_complete(state: &mut State) -> Vec<Effect> {
    if complete_locally(state) {
        return Vec::new();
    }
    // A room made since the list was fetched: fetch it again.
    if browse::joining(state) {
        return vec![Effect::Rest(RestCall::PublicRooms { complete: true })];
    }
    let (_, word) = state.editor.current_word();
    match word.strip_prefix('@') {
        Some(q) if !q.is_empty() => vec![Effect::Rest(RestCall::Users {
            q: q.to_owned(),
            complete: true,
        })],
        _ => Vec::new(),
    }
}

/// Completes the word before the cursor: a command, a room or a name
/// (members of the open room, direct conversations, people the directory
/// showed). False when nothing matched.
pub fn complete_locally(state: &mut State) -> bool {
    let (start, word) = state.editor.current_word();
    let word = word.to_owned();
    // Tab on an empty room name lists them all.
    if word.is_empty() && browse::joining(state) && !state.public_rooms.is_empty() {
        state.notice = Some(state.public_rooms.join(" "));
        return true;
    }
    let candidates: Vec<String> = if browse::joining(state) {
        let hash = word.starts_with('#');
        state
            .public_rooms
            .iter()
            .map(|n| if hash { format!("#{n}") } else { n.clone() })
            .collect()
    } else if start == 0 && word.starts_with('/') {
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
        names.extend(state.directory.iter().cloned());
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
    !all.is_empty()
}
