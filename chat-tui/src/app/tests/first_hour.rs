//! A new user's first hour (issue 21): finding rooms with `/list` and
//! Tab after `/join`, being told when someone adds you, names that agree
//! everywhere, typing that stops with the message, search that opens at
//! the hit, and a sign-up form that says the rules and asks twice.

use std::time::Duration;

use chat_wire::ws::{Incoming, ServerFrame};
use chat_wire::{Event, EventType, Room};
use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::{Effect, Msg, Overlay, Settings, State, update};
use crate::net::{NetEvent, RestCall, RestResult};
use crate::strings;
use crate::testutil::*;

fn rest(state: &mut State, r: RestResult) -> Vec<Effect> {
    net(state, NetEvent::Rest(r))
}

fn public(id: i64, name: &str, topic: &str) -> Room {
    let mut r = room(id, name, 3, 0);
    r.topic = topic.into();
    r.unread_count = None;
    r.read_seq = None;
    r
}

fn event(kind: EventType, room: i64, seq: i64, who: &str) -> NetEvent {
    let e = Event {
        kind,
        room_id: room,
        seq,
        created_at: time::OffsetDateTime::from_unix_timestamp(T0).unwrap(),
        message: None,
        user: Some(user_ref(if who == "alice" { 1 } else { 2 }, who)),
        room: None,
        role: None,
        by: None,
        emoji: None,
    };
    NetEvent::Frame(Incoming::Event(Box::new(e)))
}

#[test]
fn list_shows_public_rooms_and_enter_joins_one() {
    let mut s = logged_in();
    assert_eq!(
        type_line(&mut s, "/list"),
        vec![Effect::Rest(RestCall::PublicRooms { complete: false })]
    );
    let rooms = vec![
        public(7, "ops", "on call"),
        public(2, "random", ""),
        public(5, "Books", ""),
    ];
    rest(
        &mut s,
        RestResult::PublicRooms {
            complete: false,
            rooms,
        },
    );
    let Overlay::Rooms { rooms, selected } = &s.overlay else {
        panic!("the browser is open: {:?}", s.overlay);
    };
    let names: Vec<&str> = rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Books", "ops", "random"], "by name, any case");
    assert_eq!(*selected, 0);
    // Enter on a room I am in just opens it.
    key(&mut s, KeyCode::Down, KeyModifiers::NONE);
    key(&mut s, KeyCode::Down, KeyModifiers::NONE);
    let fx = key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert!(!fx.contains(&Effect::Rest(RestCall::Join(2))));
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.active, Some(2));
    // Enter on another joins it, and it opens when the answer comes.
    type_line(&mut s, "/list");
    rest(
        &mut s,
        RestResult::PublicRooms {
            complete: false,
            rooms: vec![public(7, "ops", "on call")],
        },
    );
    let fx = key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(fx, vec![Effect::Rest(RestCall::Join(7))]);
    rest(
        &mut s,
        RestResult::Room {
            room: room(7, "ops", 3, 0),
            focus: true,
            then_send: None,
        },
    );
    assert_eq!(s.active, Some(7));
    // Esc closes it without joining anything.
    type_line(&mut s, "/list");
    rest(
        &mut s,
        RestResult::PublicRooms {
            complete: false,
            rooms: vec![public(9, "games", "")],
        },
    );
    assert!(key(&mut s, KeyCode::Esc, KeyModifiers::NONE).is_empty());
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn tab_after_join_completes_public_room_names() {
    let mut s = logged_in();
    for c in "/join op".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    // Nothing known yet: the list is fetched, and completes on arrival.
    let fx = key(&mut s, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::PublicRooms { complete: true })]
    );
    let rooms = vec![public(7, "ops", ""), public(8, "offtopic", "")];
    let fx = rest(
        &mut s,
        RestResult::PublicRooms {
            complete: true,
            rooms,
        },
    );
    assert!(fx.is_empty());
    assert_eq!(s.overlay, Overlay::None, "completion opens no browser");
    assert_eq!(s.editor.text(), "/join ops ");
    // Known now: Tab completes without asking again.
    s.editor.take();
    for c in "/join #of".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(key(&mut s, KeyCode::Tab, KeyModifiers::NONE).is_empty());
    assert_eq!(s.editor.text(), "/join #offtopic ");
}

#[test]
fn the_no_rooms_notice_goes_once_a_room_exists() {
    let (mut s, _) = State::new(
        "http://x",
        Some(("carol".into(), "tok".into())),
        Settings::default(),
        "n",
    );
    rest(&mut s, RestResult::Rooms(Vec::new()));
    type_line(&mut s, "hello?");
    assert_eq!(s.notice.as_deref(), Some(strings::NO_ROOMS));
    type_line(&mut s, "/join lobby");
    rest(
        &mut s,
        RestResult::Room {
            room: room(4, "lobby", 0, 0),
            focus: true,
            then_send: None,
        },
    );
    assert_eq!(s.active, Some(4));
    assert_eq!(s.notice, None);
}

#[test]
fn being_added_to_a_room_says_so_but_joining_does_not() {
    let mut s = logged_in();
    let fx = net(&mut s, event(EventType::MemberJoined, 9, 4, "alice"));
    assert!(fx.contains(&Effect::Rest(RestCall::Room(9))));
    let mut ops = room(9, "ops", 4, 0);
    ops.visibility = chat_wire::Visibility::Private;
    let found = RestResult::Room {
        room: ops,
        focus: false,
        then_send: None,
    };
    rest(&mut s, found);
    assert_eq!(s.notice.as_deref(), Some("you were added to #ops"));
    assert_eq!(s.active, Some(1), "the open room stays open");
    // My own /join: the event may come before the answer; no notice.
    s.notice = None;
    type_line(&mut s, "/join games");
    net(&mut s, event(EventType::MemberJoined, 12, 2, "alice"));
    let found = RestResult::Room {
        room: room(12, "games", 2, 0),
        focus: false,
        then_send: None,
    };
    rest(&mut s, found);
    assert_eq!(s.notice, None);
}

#[test]
fn nick_confirms_and_renames_my_old_lines() {
    let mut s = logged_in();
    newest_page(&mut s, 1, vec![msg(1, 9, "alice", "old line")]);
    let fx = type_line(&mut s, "/nick Alice Liddell");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Nick("Alice Liddell".into()))]
    );
    let mut me = user(1, "alice");
    me.display_name = "Alice Liddell".into();
    rest(&mut s, RestResult::Renamed(me));
    assert_eq!(
        s.notice.as_deref(),
        Some("you are now shown as Alice Liddell")
    );
    let old = s.room(1).unwrap().find(900 + 1).unwrap();
    assert_eq!(old.author.display_name, "Alice Liddell");
    assert_eq!(s.my_display_name(), "Alice Liddell");
}

#[test]
fn someone_renamed_is_named_anew_everywhere_by_their_next_message() {
    let mut s = logged_in();
    newest_page(&mut s, 1, vec![msg(1, 9, "bob", "before")]);
    let mut after = msg(1, 11, "bob", "after");
    after.author.display_name = "Robert".into();
    net(&mut s, created(after));
    assert_eq!(
        s.room(1).unwrap().find(901).unwrap().author.display_name,
        "Robert"
    );
    assert_eq!(s.shown_name("bob"), "Robert");
}

#[test]
fn typing_stops_with_the_message_and_a_late_notice_is_ignored() {
    let mut s = logged_in();
    let typing = || {
        NetEvent::Frame(Incoming::Control(ServerFrame::Typing {
            room_id: 1,
            user: user_ref(2, "bob"),
        }))
    };
    net(&mut s, typing());
    assert_eq!(s.room(1).unwrap().typing.len(), 1);
    net(&mut s, created(msg(1, 11, "bob", "done typing")));
    assert!(s.room(1).unwrap().typing.is_empty());
    // A notice that was overtaken by the message it announced.
    net(&mut s, typing());
    assert!(s.room(1).unwrap().typing.is_empty());
    // Later typing is new typing.
    update(&mut s, Msg::Tick(Duration::from_secs(2)));
    net(&mut s, typing());
    assert_eq!(s.room(1).unwrap().typing.len(), 1);
}

#[test]
fn a_search_hit_opens_its_room_at_the_hit() {
    let mut s = logged_in();
    let page: Vec<_> = (30..=79)
        .map(|q| msg(1, q, "bob", &format!("message {q}")))
        .collect();
    newest_page(&mut s, 1, page);
    type_line(&mut s, "/search message");
    let hits = vec![
        msg(1, 40, "bob", "message 40"),
        msg(1, 12, "bob", "message 12"),
    ];
    rest(
        &mut s,
        RestResult::Searched {
            q: "message".into(),
            messages: hits,
        },
    );
    // A loaded hit is selected at once.
    key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(s.overlay, Overlay::Select(40));
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    // An older one: history pages back until it is there.
    type_line(&mut s, "/search message");
    let hits = vec![msg(1, 12, "bob", "message 12")];
    rest(
        &mut s,
        RestResult::Searched {
            q: "message".into(),
            messages: hits,
        },
    );
    key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    // The page before the oldest loaded is on its way (asked for now, or
    // already while the first hit was selected near the top).
    assert!(s.room(1).unwrap().loading);
    assert_eq!(s.overlay, Overlay::None);
    let older: Vec<_> = (10..30)
        .map(|q| msg(1, q, "bob", &format!("message {q}")))
        .collect();
    rest(
        &mut s,
        RestResult::Page {
            room: 1,
            before: Some(30),
            messages: older,
        },
    );
    assert_eq!(s.overlay, Overlay::Select(12));
}

#[test]
fn sign_up_checks_the_password_twice_before_asking_the_server() {
    let (mut s, _) = State::new("http://x", None, Settings::default(), "n");
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    type_line(&mut s, "carol");
    // Too short: said at once, nothing sent.
    assert!(type_line(&mut s, "short").is_empty());
    assert!(type_line(&mut s, "short").is_empty());
    assert_eq!(
        s.login.error.as_deref(),
        Some("password must be 8-1024 characters")
    );
    // Two different passwords: typed again.
    assert!(type_line(&mut s, "a long password").is_empty());
    assert!(type_line(&mut s, "a long passwort").is_empty());
    assert_eq!(s.login.error.as_deref(), Some(strings::PASSWORDS_DIFFER));
    assert!(s.login.password.is_empty() && s.login.confirm.is_empty());
    type_line(&mut s, "a long password");
    let fx = type_line(&mut s, "a long password");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Register {
            username: "carol".into(),
            password: "a long password".into()
        })]
    );
}
