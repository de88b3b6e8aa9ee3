//! Network events: socket status, frames and room events (REST results
//! are in [`super::results`]).

use std::collections::BTreeMap;
use std::time::Duration;

use chat_wire::ws::{ClientFrame, Incoming, PresenceStatus, ServerFrame};
use chat_wire::{ErrorCode, Event, EventType, Room, RoomId};

use super::room::{Item, RoomState, mentions_me};
use super::{Conn, Effect, Screen, State, chat, names, results, thread};
use crate::net::{NetEvent, RestCall, WsStatus};
use crate::strings;

/// How long to wait before resending after the server said to slow down.
pub const RESEND_AFTER: Duration = Duration::from_secs(2);
/// How long "typing…" shows after a typing notice.
pub const TYPING_FOR: Duration = Duration::from_secs(5);
/// Typing notices arriving this soon after the person's message are
/// late copies, not new typing.
pub const TYPING_AFTER_MESSAGE: Duration = Duration::from_secs(1);

/// Applies one network event.
pub fn on_net(state: &mut State, ev: NetEvent) -> Vec<Effect> {
    match ev {
        NetEvent::Rest(r) => results::on_rest(state, r),
        NetEvent::Ws(WsStatus::Connecting) => {
            if state.screen == Screen::Chat {
                state.conn = Conn::Connecting;
            }
            Vec::new()
        }
        NetEvent::Ws(WsStatus::Down { retry_in, .. }) => {
            state.conn = Conn::Reconnecting {
                at: state.clock + retry_in,
            };
            Vec::new()
        }
        NetEvent::Ws(WsStatus::AuthLost) => state.end_session(Some(strings::SESSION_ENDED)),
        NetEvent::Frame(Incoming::Control(f)) => on_frame(state, f),
        NetEvent::Frame(Incoming::Event(e)) => on_event(state, *e),
    }
}

/// Adds a room or refreshes the one we have; keeps rooms before direct
/// conversations, each by name.
pub fn upsert_room(state: &mut State, room: Room) {
    // "No rooms yet" is no longer true.
    if state.notice.as_deref() == Some(strings::NO_ROOMS) {
        state.notice = None;
    }
    match state.room_mut(room.id) {
        Some(r) => r.refresh(room),
        None => state.rooms.push(RoomState::new(room)),
    }
    state
        .rooms
        .sort_by(|a, b| (a.is_direct(), &a.room.name).cmp(&(b.is_direct(), &b.room.name)));
}

pub(super) fn remove_room(state: &mut State, id: RoomId) {
    state.rooms.retain(|r| r.room.id != id);
    state.drafts.remove(&id);
    if state.active == Some(id) {
        state.active = None;
        state.editor.take();
        if let Some(first) = state.rooms.first().map(|r| r.room.id) {
            let _ = chat::switch_to(state, first);
        }
    }
}

fn on_frame(state: &mut State, f: ServerFrame) -> Vec<Effect> {
    match f {
        ServerFrame::Ready {
            user,
            rooms,
            online,
        } => {
            state.conn = Conn::Connected;
            names::learn_user(state, &user);
            state.me = Some(user);
            // The server's list is complete: anyone we thought online
            // before a reconnect but not in it has gone meanwhile.
            state.online = online.into_iter().map(|u| (u.username, true)).collect();
            let mut unknown = false;
            for pos in &rooms {
                if state.room(pos.room_id).is_none() {
                    unknown = true;
                }
            }
            // Resume every room we know from the last event we applied;
            // rooms we do not know yet start live (their history comes by
            // REST when opened).
            let resume: BTreeMap<RoomId, i64> = state
                .rooms
                .iter()
                .map(|r| (r.room.id, r.seen_seq))
                .collect();
            let mut fx = vec![Effect::Ws(ClientFrame::Resume { rooms: resume })];
            // Then whatever was not acknowledged, in order, same client ids.
            fx.extend(state.outbox.pending_frames().into_iter().map(Effect::Ws));
            if unknown {
                fx.push(Effect::Rest(RestCall::Rooms));
            }
            // History that failed to load while the server was away.
            if let Some(id) = state.active
                && let Some(r) = state.room_mut(id)
                && !r.loaded
                && !r.loading
            {
                r.loading = true;
                fx.push(Effect::Rest(RestCall::Page {
                    room: id,
                    before: None,
                }));
            }
            fx
        }
        ServerFrame::Ack { client_id, message } => {
            state.outbox.ack(&client_id);
            // A thread reply: whichever of its ack and its event comes
            // first counts it.
            if message.thread_root.is_some() {
                return thread::on_reply(state, *message);
            }
            if let Some(r) = state.room_mut(message.room_id) {
                r.items.insert(message.seq, Item::Message(*message));
            }
            Vec::new()
        }
        ServerFrame::Error {
            client_id: Some(_),
            error,
        } if error.code == ErrorCode::RateLimited => {
            // Too many at once (a long outbox after a reconnect): try the
            // pending ones again shortly; the server drops repeats.
            state.resend_at = Some(state.clock + RESEND_AFTER);
            Vec::new()
        }
        ServerFrame::Error {
            client_id: Some(id),
            error,
        } => {
            state.outbox.fail(&id, &error.message);
            Vec::new()
        }
        ServerFrame::Error {
            client_id: None,
            error,
        } => {
            state.notice = Some(error.message);
            Vec::new()
        }
        ServerFrame::Typing { room_id, user } => {
            if user.username != state.my_name() {
                names::learn(state, &user);
                let now = state.clock;
                if let Some(r) = state.room_mut(room_id)
                    // A notice overtaken by the message it announced
                    // would say "typing" under the message.
                    && r
                        .spoke
                        .get(&user.username)
                        .is_none_or(|t| now >= *t + TYPING_AFTER_MESSAGE)
                {
                    r.typing.retain(|(n, _)| *n != user.username);
                    r.typing.push((user.username, now + TYPING_FOR));
                }
            }
            Vec::new()
        }
        ServerFrame::Presence { user, status } => {
            state
                .online
                .insert(user.username, status == PresenceStatus::Online);
            Vec::new()
        }
        ServerFrame::Pong => Vec::new(),
    }
}

/// Applies a room event once: anything at or below the room's seen seq
/// was applied already (a replay overlapping what we had).
pub fn on_event(state: &mut State, e: Event) -> Vec<Effect> {
    let mut fx = Vec::new();
    let me = state.my_name().to_owned();
    if state.room(e.room_id).is_none() {
        // A room we just joined or were added to: learn about it.
        let mut room = RoomState::new(placeholder(&e));
        room.announce =
            e.kind == EventType::MemberJoined && e.user.as_ref().is_some_and(|u| u.username == me);
        state.rooms.push(room);
        fx.push(Effect::Rest(RestCall::Room(e.room_id)));
    }
    if let Some(m) = e
        .message
        .as_ref()
        .filter(|_| e.kind == EventType::MessageCreated)
    {
        names::learn(state, &m.author);
    }
    let now = state.clock;
    let my_id = state.my_id();
    // Seen only if the room is open in a terminal that has the focus.
    let active = state.active == Some(e.room_id)
        && state.screen == Screen::Chat
        && state.focused
        && state.thread.is_none();
    let bell = state.settings.bell;
    let Some(room) = state.room_mut(e.room_id) else {
        return fx;
    };
    if e.seq <= room.seen_seq {
        return fx;
    }
    room.seen_seq = e.seq;
    match e.kind {
        EventType::MessageCreated => {
            let Some(m) = e.message else { return fx };
            let theirs = m.author.username != me;
            room.typing.retain(|(n, _)| *n != m.author.username);
            room.spoke.insert(m.author.username.clone(), now);
            if m.thread_root.is_some() {
                // Not the room's timeline, nor its unread count.
                if let Some(id) = m.client_id.clone().filter(|_| !theirs) {
                    state.outbox.ack(&id);
                }
                fx.extend(thread::on_reply(state, m));
                return fx;
            }
            if theirs && e.seq > room.unread_base && e.seq > room.read_sent {
                let mention = mentions_me(&m, my_id);
                // Seen as it arrives: no count, no bell.
                if !(active && room.scroll.is_none()) {
                    room.unread += 1;
                    room.mentions += i64::from(mention);
                    if bell && (mention || room.is_direct()) {
                        fx.push(Effect::Bell);
                    }
                }
            }
            let client_id = m.client_id.clone().filter(|_| !theirs);
            room.items.insert(m.seq, Item::Message(m));
            // Our own message came back before its ack (or the ack was lost
            // with the link): it is delivered.
            if let Some(id) = client_id {
                state.outbox.ack(&id);
            }
        }
        // Each carries the message as it is now (reactions, pin).
        EventType::MessageUpdated
        | EventType::MessageDeleted
        | EventType::ReactionAdded
        | EventType::ReactionRemoved
        | EventType::MessagePinned
        | EventType::MessageUnpinned => {
            if let Some(m) = e.message {
                room.replace(m.clone());
                thread::on_changed(state, &m);
            }
        }
        EventType::MemberJoined | EventType::MemberLeft => {
            let joined = e.kind == EventType::MemberJoined;
            if let Some(u) = e.user {
                if !joined && u.username == me {
                    // Removed by someone else (a kick, a ban): say so.
                    if let Some(by) = &e.by {
                        state.notice = Some(strings::removed_by(&room.label(), &by.username));
                    }
                    remove_room(state, e.room_id);
                    return fx;
                }
                let text = match (&e.by, joined) {
                    (_, true) => format!("{} joined", u.username),
                    (Some(by), false) => format!("{} was removed by {}", u.username, by.username),
                    (None, false) => format!("{} left", u.username),
                };
                room.items.insert(
                    e.seq,
                    Item::Notice {
                        at: e.created_at,
                        text,
                    },
                );
                if joined && !room.members.contains(&u.username) {
                    room.members.push(u.username);
                }
            }
        }
        EventType::MemberUpdated => {
            if let (Some(u), Some(role)) = (e.user, e.role) {
                if u.username == me {
                    room.room.role = Some(role);
                }
                let role = match role {
                    chat_wire::MemberRole::Owner => "owner",
                    chat_wire::MemberRole::Admin => "an admin",
                    chat_wire::MemberRole::Member => "a member",
                };
                room.items.insert(
                    e.seq,
                    Item::Notice {
                        at: e.created_at,
                        text: format!("{} is now {role}", u.username),
                    },
                );
            }
        }
        EventType::RoomUpdated => {
            if let Some(u) = e.room {
                let text = format!("topic: {}", u.topic);
                room.room.name = u.name;
                room.room.topic = u.topic;
                room.items.insert(
                    e.seq,
                    Item::Notice {
                        at: e.created_at,
                        text,
                    },
                );
            }
        }
    }
    if active {
        fx.extend(chat::mark_read(state));
    }
    fx
}

/// A stand-in until the room's details arrive by REST.
fn placeholder(e: &Event) -> Room {
    Room {
        id: e.room_id,
        kind: chat_wire::RoomKind::Room,
        name: format!("room-{}", e.room_id),
        topic: String::new(),
        visibility: chat_wire::Visibility::Public,
        created_at: e.created_at,
        // Everything before this event is history, fetched when opened.
        latest_seq: e.seq - 1,
        unread_count: None,
        mention_count: None,
        role: None,
        read_seq: None,
        avatar: None,
    }
}
