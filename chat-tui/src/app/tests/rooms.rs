//! Rooms and timelines: paging, scrolling, unread counts, mentions, bells, focus.

use chat_wire::Message;
use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult};
use crate::testutil::*;

#[test]
fn pages_prepend_without_duplicates_and_stop_at_the_start() {
    let mut s = logged_in();
    // A live message arrived before the newest page did.
    net(&mut s, created(msg(1, 60, "bob", "live")));
    let newest: Vec<Message> = (11..=60)
        .map(|q| msg(1, q, "bob", &format!("m{q}")))
        .collect();
    s.size = (80, 24);
    let fx = newest_page(&mut s, 1, newest);
    let r = s.room(1).unwrap();
    assert_eq!(r.items.len(), 50);
    assert!(!r.history_done);
    // Less than two screens above the view: the older page is asked for
    // before the user gets there, once.
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Page {
            room: 1,
            before: Some(11)
        })]
    );
    let fx = key(&mut s, KeyCode::PageUp, KeyModifiers::NONE);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Rest(RestCall::Page { .. }))),
        "{fx:?}"
    );
    let anchor = s.room(1).unwrap().scroll;
    assert!(anchor.is_some());
    let older: Vec<Message> = (1..=11)
        .map(|q| msg(1, q, "bob", &format!("m{q}")))
        .collect();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Page {
            room: 1,
            before: Some(11),
            messages: older,
        }),
    );
    let r = s.room(1).unwrap();
    assert_eq!(
        r.items.keys().copied().collect::<Vec<_>>(),
        (1..=60).collect::<Vec<_>>()
    );
    assert!(r.history_done, "a short page is the start of the room");
    assert_eq!(r.scroll, anchor, "the view stays where it was");
}

#[test]
fn the_view_stays_put_when_messages_arrive_while_scrolled_up() {
    let mut s = logged_in();
    let page: Vec<Message> = (11..=60)
        .map(|q| msg(1, q, "bob", &format!("m{q}")))
        .collect();
    newest_page(&mut s, 1, page);
    key(&mut s, KeyCode::PageUp, KeyModifiers::NONE);
    let anchor = s.room(1).unwrap().scroll.expect("scrolled");
    let fx = net(&mut s, created(msg(1, 61, "bob", "new one")));
    let r = s.room(1).unwrap();
    assert_eq!(r.scroll, Some(anchor));
    assert_eq!(r.unread, 1, "unseen while scrolled up");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Rest(RestCall::Read { .. })))
    );
    // Back to the bottom reads it.
    let fx = key(&mut s, KeyCode::End, KeyModifiers::CONTROL);
    assert_eq!(fx, vec![Effect::Rest(RestCall::Read { room: 1, seq: 61 })]);
    assert_eq!(s.room(1).unwrap().unread, 0);
}

#[test]
fn unread_and_mentions_count_in_other_rooms_only() {
    let mut s = logged_in();
    // In the open room at the bottom: read at once, not counted.
    let fx = net(&mut s, created(msg(1, 11, "bob", "hi all")));
    assert_eq!(fx, vec![Effect::Rest(RestCall::Read { room: 1, seq: 11 })]);
    assert_eq!(s.room(1).unwrap().unread, 0);
    // Elsewhere: counted; a mention also rings the bell.
    assert!(net(&mut s, created(msg(2, 6, "bob", "lunch?"))).is_empty());
    let fx = net(&mut s, created(msg(2, 7, "bob", "@alice lunch?")));
    assert_eq!(fx, vec![Effect::Bell]);
    // My own messages are never unread.
    net(&mut s, created(msg(2, 8, "alice", "yes")));
    let r = s.room(2).unwrap();
    assert_eq!((r.unread, r.mentions), (2, 1));
    // The next-unread key goes there and marks it read.
    let fx = key(&mut s, KeyCode::Char('a'), KeyModifiers::ALT);
    assert_eq!(s.active, Some(2));
    assert!(fx.contains(&Effect::Rest(RestCall::Read { room: 2, seq: 8 })));
    assert_eq!(
        s.room(2).unwrap().marker,
        Some(5),
        "the new-messages line goes after what was read"
    );
    assert_eq!(s.room(2).unwrap().unread, 0);
}

#[test]
fn server_counts_are_not_counted_twice() {
    let mut s = logged_in();
    net(&mut s, created(msg(2, 6, "bob", "one")));
    assert_eq!(s.room(2).unwrap().unread, 1);
    // A room list fetched after that event already includes it.
    net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![room(2, "random", 6, 1)])),
    );
    assert_eq!(s.room(2).unwrap().unread, 1);
    net(&mut s, created(msg(2, 7, "bob", "two")));
    assert_eq!(s.room(2).unwrap().unread, 2);
    // A list fetched before the last event (it arrives late) changes nothing.
    net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![room(2, "random", 6, 1)])),
    );
    assert_eq!(s.room(2).unwrap().unread, 2);
}

#[test]
fn unread_rooms_load_at_start_and_count_their_mentions() {
    let (mut s, _) = State::new(
        "http://x",
        Some(("alice".into(), "tok".into())),
        Settings::default(),
        "n",
    );
    net(&mut s, NetEvent::Rest(RestResult::Me(user(1, "alice"))));
    // #random: read up to 3, two unread (4 and 5), one of them a mention.
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![
            room(1, "general", 10, 0),
            room(2, "random", 5, 2),
        ])),
    );
    assert!(
        fx.contains(&Effect::Rest(RestCall::Page {
            room: 2,
            before: None
        })),
        "{fx:?}"
    );
    let page = vec![
        msg(2, 2, "bob", "old news, alice"),
        msg(2, 3, "bob", "also read"),
        msg(2, 4, "bob", "hey @alice"),
        msg(2, 5, "bob", "anyone?"),
    ];
    newest_page(&mut s, 2, page.clone());
    let r = s.room(2).unwrap();
    assert_eq!((r.unread, r.mentions), (2, 1));
    // The same messages again (an overlapping page) count nothing twice.
    net(
        &mut s,
        NetEvent::Rest(RestResult::Page {
            room: 2,
            before: Some(6),
            messages: page,
        }),
    );
    assert_eq!(s.room(2).unwrap().mentions, 1);
}

#[test]
fn an_unfocused_terminal_does_not_read() {
    let mut s = logged_in();
    update(&mut s, Msg::Focus(false));
    let fx = net(&mut s, created(msg(1, 11, "bob", "are you there?")));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.room(1).unwrap().unread, 1);
    let fx = update(&mut s, Msg::Focus(true));
    assert_eq!(fx, vec![Effect::Rest(RestCall::Read { room: 1, seq: 11 })]);
    assert_eq!(s.room(1).unwrap().unread, 0);
}

#[test]
fn the_bell_rings_for_what_is_not_in_view_and_can_be_turned_off() {
    let mut s = logged_in();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![room(3, "@bob", 2, 0)])),
    );
    assert_eq!(
        net(&mut s, created(msg(3, 3, "bob", "psst"))),
        vec![Effect::Bell]
    );
    // In the open room, read as it arrives: no bell.
    let fx = net(&mut s, created(msg(1, 11, "bob", "alice, look")));
    assert!(!fx.contains(&Effect::Bell), "{fx:?}");
    s.settings.bell = false;
    assert!(net(&mut s, created(msg(3, 4, "bob", "psst!"))).is_empty());
}

#[test]
fn the_last_room_asked_for_keeps_the_focus_whatever_the_order_of_answers() {
    let mut s = logged_in();
    type_line(&mut s, "/join #Lobby");
    type_line(&mut s, "/msg @bob hi");
    let opened = |room, then_send: Option<&str>| {
        NetEvent::Rest(RestResult::Room {
            room,
            focus: true,
            then_send: then_send.map(str::to_owned),
        })
    };
    // The direct conversation answers first, the join last.
    net(&mut s, opened(room(3, "@bob", 0, 0), Some("hi")));
    assert_eq!(s.active, Some(3));
    net(&mut s, opened(room(4, "lobby", 0, 0), None));
    assert_eq!(s.active, Some(3), "a late answer does not steal the focus");
    assert!(s.room(4).is_some());
    assert_eq!(s.outbox.in_room(3).count(), 1);
}

#[test]
fn a_click_in_the_room_list_opens_the_room() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut s = logged_in();
    let click = |row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 3,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Row 0 is the title; the list starts at row 1: #general, #random.
    update(&mut s, Msg::Mouse(click(2)));
    assert_eq!(s.active, Some(2));
    update(&mut s, Msg::Mouse(click(1)));
    assert_eq!(s.active, Some(1));
    // Below the list, nothing happens.
    update(&mut s, Msg::Mouse(click(9)));
    assert_eq!(s.active, Some(1));
}

#[test]
fn a_search_result_opens_its_room() {
    let mut s = logged_in();
    assert_eq!(
        type_line(&mut s, "/search lunch"),
        vec![Effect::Rest(RestCall::Search { q: "lunch".into() })]
    );
    let results = vec![msg(1, 3, "bob", "lunch?"), msg(2, 4, "bob", "lunch!")];
    net(
        &mut s,
        NetEvent::Rest(RestResult::Searched {
            q: "lunch".into(),
            messages: results,
        }),
    );
    key(&mut s, KeyCode::Down, KeyModifiers::NONE);
    key(&mut s, KeyCode::Down, KeyModifiers::NONE);
    key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.active, Some(2));
}

#[test]
fn reaction_and_pin_events_update_the_message_in_place() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 15, "bob", "hello")));
    let unread = s.room(1).unwrap().unread;
    let mut now = msg(1, 15, "bob", "hello");
    now.reactions = vec![chat_wire::Reaction {
        emoji: "👍".into(),
        count: 1,
        user_ids: vec![1],
    }];
    now.pinned = true;
    for (seq, kind) in [
        (16, chat_wire::EventType::ReactionAdded),
        (17, chat_wire::EventType::MessagePinned),
    ] {
        let e = chat_wire::Event {
            kind,
            room_id: 1,
            seq,
            created_at: now.created_at,
            message: Some(now.clone()),
            user: Some(now.author.clone()),
            room: None,
            role: None,
            by: None,
            emoji: Some("👍".into()),
        };
        net(
            &mut s,
            NetEvent::Frame(chat_wire::ws::Incoming::Event(Box::new(e))),
        );
    }
    let r = s.room(1).unwrap();
    assert_eq!(r.find(now.id), Some(&now));
    assert_eq!(r.items.len(), 1, "no notices");
    assert_eq!(r.unread, unread, "not new messages");
}

/// A room event as the server sends it (missing fields take their defaults).
fn event(value: serde_json::Value) -> NetEvent {
    let e: chat_wire::Event = serde_json::from_value(value).unwrap();
    NetEvent::Frame(chat_wire::ws::Incoming::Event(Box::new(e)))
}

#[test]
fn role_changes_and_removals_by_others_are_shown() {
    let mut s = logged_in();
    let at = "2024-01-01T00:00:00Z";
    let alice = serde_json::json!({"id": 1, "username": "alice", "display_name": "alice"});
    let bob = serde_json::json!({"id": 2, "username": "bob", "display_name": "bob"});
    net(
        &mut s,
        event(
            serde_json::json!({"type": "member.updated", "room_id": 1, "seq": 11,
            "created_at": at, "user": alice, "role": "admin", "by": bob}),
        ),
    );
    assert_eq!(
        s.room(1).unwrap().room.role,
        Some(chat_wire::MemberRole::Admin)
    );
    net(
        &mut s,
        event(
            serde_json::json!({"type": "member.left", "room_id": 1, "seq": 12,
            "created_at": at, "user": bob, "by": alice}),
        ),
    );
    let notices: Vec<&str> = s
        .room(1)
        .unwrap()
        .items
        .values()
        .filter_map(|i| match i {
            room::Item::Notice { text, .. } => Some(text.as_str()),
            room::Item::Message(_) => None,
        })
        .collect();
    assert_eq!(
        notices,
        ["alice is now an admin", "bob was removed by alice"]
    );
}
