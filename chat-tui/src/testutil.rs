//! Builders shared by the unit tests: users, rooms, messages, events,
//! and a logged-in state driven through `update` like the real client.

use chat_wire::ws::{Incoming, RoomPosition, ServerFrame};
use chat_wire::{Event, EventType, Message, Room, RoomId, RoomKind, User, UserRef, Visibility};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use time::OffsetDateTime;

use crate::app::{Conn, Effect, Msg, Settings, State, update};
use crate::net::{NetEvent, RestCall, RestResult};

pub const T0: i64 = 1_790_000_000;

pub fn user(id: i64, name: &str) -> User {
    User {
        id,
        username: name.into(),
        display_name: name.into(),
        bio: String::new(),
        created_at: OffsetDateTime::from_unix_timestamp(T0).unwrap(),
        avatar: None,
    }
}

pub fn room(id: i64, name: &str, latest: i64, unread: i64) -> Room {
    Room {
        id,
        kind: if name.starts_with('@') {
            RoomKind::Direct
        } else {
            RoomKind::Room
        },
        name: name.trim_start_matches('@').into(),
        topic: String::new(),
        visibility: Visibility::Public,
        created_at: OffsetDateTime::from_unix_timestamp(T0).unwrap(),
        latest_seq: latest,
        unread_count: Some(unread),
        // The client counts mentions from pages until a test says the
        // server counted them.
        mention_count: None,
        role: None,
        read_seq: Some(latest - unread),
        avatar: None,
    }
}

/// A message as the server would send it: `@alice` (id 1), `@bob` (id 2)
/// and `@room` in the body are its mentions.
pub fn msg(room: i64, seq: i64, author: &str, body: &str) -> Message {
    let found = chat_wire::mentions::parse(body);
    let mentions = [(1, "alice"), (2, "bob")]
        .into_iter()
        .filter(|(_, n)| found.usernames.iter().any(|u| u == n))
        .map(|(id, _)| id)
        .collect();
    Message {
        id: seq * 100 + room,
        room_id: room,
        seq,
        author: UserRef {
            id: if author == "alice" { 1 } else { 2 },
            username: author.into(),
            display_name: author.into(),
            avatar_id: None,
        },
        body: Some(body.into()),
        client_id: None,
        reply_to: None,
        created_at: OffsetDateTime::from_unix_timestamp(T0 + seq * 60).unwrap(),
        edited_at: None,
        deleted: false,
        reactions: Vec::new(),
        pinned: false,
        mentions,
        mentions_room: found.room,
        thread_root: None,
        thread: None,
        attachments: Vec::new(),
    }
}

/// A reply in the thread of `root`.
pub fn reply(root: &Message, seq: i64, author: &str, body: &str) -> Message {
    let mut m = msg(root.room_id, seq, author, body);
    m.thread_root = Some(root.id);
    m
}

pub fn created(m: Message) -> NetEvent {
    let e = Event {
        kind: EventType::MessageCreated,
        room_id: m.room_id,
        seq: m.seq,
        created_at: m.created_at,
        message: Some(m),
        user: None,
        room: None,
        role: None,
        by: None,
        emoji: None,
    };
    NetEvent::Frame(Incoming::Event(Box::new(e)))
}

pub fn net(state: &mut State, ev: NetEvent) -> Vec<Effect> {
    update(state, Msg::Net(ev))
}

/// The newest page of `room`'s history arrives.
pub fn newest_page(state: &mut State, room: RoomId, messages: Vec<Message>) -> Vec<Effect> {
    net(
        state,
        NetEvent::Rest(RestResult::Page {
            room,
            before: None,
            messages,
        }),
    )
}

pub fn user_ref(id: i64, name: &str) -> UserRef {
    UserRef {
        id,
        username: name.into(),
        display_name: name.into(),
        avatar_id: None,
    }
}

/// The socket is up: `ready` for alice, nobody else online.
pub fn ready(state: &mut State) -> Vec<Effect> {
    ready_with_online(state, Vec::new())
}

/// The socket is up: `ready` for alice with these users online.
pub fn ready_with_online(state: &mut State, online: Vec<UserRef>) -> Vec<Effect> {
    let rooms = state
        .rooms
        .iter()
        .map(|r| RoomPosition {
            room_id: r.room.id,
            latest_seq: r.seen_seq,
        })
        .collect();
    net(
        state,
        NetEvent::Frame(Incoming::Control(ServerFrame::Ready {
            user: user(1, "alice"),
            rooms,
            online,
        })),
    )
}

pub fn key(state: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, mods)))
}

pub fn type_line(state: &mut State, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        key(state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    key(state, KeyCode::Enter, KeyModifiers::NONE)
}

/// alice, logged in, in #general (seq 10) and #random (seq 5), connected.
pub fn logged_in() -> State {
    let (mut s, fx) = State::new(
        "http://x",
        Some(("alice".into(), "tok".into())),
        Settings::default(),
        "n",
    );
    assert_eq!(
        fx,
        vec![
            Effect::Rest(RestCall::Me),
            Effect::Rest(RestCall::Rooms),
            Effect::Connect
        ]
    );
    net(&mut s, NetEvent::Rest(RestResult::Me(user(1, "alice"))));
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![
            room(2, "random", 5, 0),
            room(1, "general", 10, 0),
        ])),
    );
    assert_eq!(s.active, Some(1), "the first room by name opens");
    assert!(fx.contains(&Effect::Rest(RestCall::Page {
        room: 1,
        before: None
    })));
    ready(&mut s);
    assert_eq!(s.conn, Conn::Connected);
    s
}

/// A file as an upload's answer (or an attachment) describes it.
pub fn file(id: i64, name: &str, size: i64) -> chat_wire::files::FileInfo {
    chat_wire::files::FileInfo {
        id,
        name: name.into(),
        content_type: "application/pdf".into(),
        size,
        sha256: "00".repeat(32),
        width: None,
        height: None,
        has_thumbnail: false,
        created_at: OffsetDateTime::from_unix_timestamp(T0).unwrap(),
    }
}
