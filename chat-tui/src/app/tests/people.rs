//! People and moderation: the directory, completion from it, sessions,
//! room moderation, blocks and reports.

use chat_wire::MemberRole;
use chat_wire::api::Session;
use crossterm::event::{KeyCode, KeyModifiers};
use time::OffsetDateTime;

use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult};
use crate::strings;
use crate::testutil::*;

const NONE: KeyModifiers = KeyModifiers::NONE;

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c), NONE);
    }
}

#[test]
fn the_directory_lists_people_and_enter_opens_a_conversation() {
    let mut s = logged_in();
    assert!(type_line(&mut s, "/people").is_empty());
    assert_eq!(s.notice.as_deref(), Some("usage: /people PREFIX"));
    assert_eq!(
        type_line(&mut s, "/people @ca"),
        vec![Effect::Rest(RestCall::Users {
            q: "ca".into(),
            complete: false
        })]
    );
    let users = vec![user(3, "carl"), user(4, "carol")];
    net(
        &mut s,
        NetEvent::Rest(RestResult::Users {
            q: "ca".into(),
            complete: false,
            users,
        }),
    );
    assert!(matches!(s.overlay, Overlay::People { selected: 0, .. }));
    key(&mut s, KeyCode::Down, NONE);
    key(&mut s, KeyCode::Down, NONE);
    let fx = key(&mut s, KeyCode::Enter, NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Dm {
            username: "carol".into(),
            then_send: None
        })]
    );
    assert_eq!(s.overlay, Overlay::None);
    // The conversation takes the focus when it arrives.
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Room {
            room: room(9, "@carol", 0, 0),
            focus: true,
            then_send: None,
        }),
    );
    assert_eq!(s.active, Some(9), "{fx:?}");
}

#[test]
fn tab_completes_names_from_the_directory() {
    let mut s = logged_in();
    s.room_mut(1).unwrap().members = vec!["alice".into(), "bob".into()];
    // A member completes at once.
    type_text(&mut s, "hi @b");
    assert!(key(&mut s, KeyCode::Tab, NONE).is_empty());
    assert_eq!(s.editor.text(), "hi @bob ");
    // Nobody here: the directory is asked, and the answer completes.
    type_text(&mut s, "and @ca");
    let fx = key(&mut s, KeyCode::Tab, NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Users {
            q: "ca".into(),
            complete: true
        })]
    );
    net(
        &mut s,
        NetEvent::Rest(RestResult::Users {
            q: "ca".into(),
            complete: true,
            users: vec![user(4, "carol")],
        }),
    );
    assert_eq!(s.editor.text(), "hi @bob and @carol ");
    assert_eq!(s.overlay, Overlay::None, "completion opens no list");
    // Next time the name is known.
    type_text(&mut s, "@car");
    assert!(key(&mut s, KeyCode::Tab, NONE).is_empty());
    assert_eq!(s.editor.text(), "hi @bob and @carol @carol ");
    // An answer for a word the user has moved on from changes nothing.
    type_text(&mut s, "x");
    net(
        &mut s,
        NetEvent::Rest(RestResult::Users {
            q: "da".into(),
            complete: true,
            users: vec![user(5, "dave")],
        }),
    );
    assert_eq!(s.editor.text(), "hi @bob and @carol @carol x");
}

fn session(id: i64, current: bool) -> Session {
    let at = OffsetDateTime::from_unix_timestamp(T0).unwrap();
    Session {
        id,
        created_at: at,
        last_seen_at: at,
        user_agent: Some("chat-tui/0.1.0".into()),
        current,
    }
}

#[test]
fn sessions_are_listed_and_ended() {
    let mut s = logged_in();
    assert_eq!(
        type_line(&mut s, "/sessions"),
        vec![Effect::Rest(RestCall::Sessions)]
    );
    net(
        &mut s,
        NetEvent::Rest(RestResult::Sessions(vec![
            session(7, true),
            session(8, false),
        ])),
    );
    key(&mut s, KeyCode::Down, NONE);
    assert_eq!(
        key(&mut s, KeyCode::Char('d'), NONE),
        vec![Effect::Rest(RestCall::EndSession(8))]
    );
    net(&mut s, NetEvent::Rest(RestResult::SessionEnded(8)));
    let Overlay::Sessions { sessions, selected } = &s.overlay else {
        panic!("{:?}", s.overlay)
    };
    assert_eq!((sessions.len(), *selected), (1, 0));
    assert_eq!(s.notice.as_deref(), Some(strings::SESSION_CLOSED));
    key(&mut s, KeyCode::Esc, NONE);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn moderation_commands_turn_into_calls_and_refusals_reach_the_status_line() {
    let mut s = logged_in();
    let one = |s: &mut State, line: &str| {
        let fx = type_line(s, line);
        assert_eq!(fx.len(), 1, "{line}: {fx:?}");
        match fx.into_iter().next() {
            Some(Effect::Rest(call)) => call,
            other => panic!("{line}: {other:?}"),
        }
    };
    let bob = || "bob".to_owned();
    assert_eq!(
        one(&mut s, "/kick @bob"),
        RestCall::Kick {
            room: 1,
            username: bob()
        }
    );
    assert_eq!(
        one(&mut s, "/ban bob spamming links"),
        RestCall::Ban {
            room: 1,
            username: bob(),
            reason: Some("spamming links".into())
        }
    );
    assert_eq!(
        one(&mut s, "/ban bob"),
        RestCall::Ban {
            room: 1,
            username: bob(),
            reason: None
        }
    );
    assert_eq!(
        one(&mut s, "/unban bob"),
        RestCall::Unban {
            room: 1,
            username: bob()
        }
    );
    assert_eq!(
        one(&mut s, "/role bob admin"),
        RestCall::Role {
            room: 1,
            username: bob(),
            role: MemberRole::Admin
        }
    );
    assert_eq!(
        one(&mut s, "/block @bob"),
        RestCall::Block {
            username: bob(),
            block: true
        }
    );
    assert_eq!(
        one(&mut s, "/unblock bob"),
        RestCall::Block {
            username: bob(),
            block: false
        }
    );
    for (line, usage) in [
        ("/role bob king", "usage: /role USER admin|member"),
        ("/kick", "usage: /kick USER"),
        ("/ban", "usage: /ban USER [REASON]"),
        ("/block", "usage: /block USER"),
    ] {
        assert!(type_line(&mut s, line).is_empty(), "{line}");
        assert_eq!(s.notice.as_deref(), Some(usage));
    }
    net(
        &mut s,
        NetEvent::Rest(RestResult::Failed {
            what: "kick",
            message: "only the room's owner and admins can do that".into(),
        }),
    );
    assert_eq!(
        s.notice.as_deref(),
        Some("kick: only the room's owner and admins can do that")
    );
}

#[test]
fn a_report_needs_a_selected_message() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "bob", "buy cheap watches")));
    assert!(type_line(&mut s, "/report spam").is_empty());
    assert_eq!(s.notice.as_deref(), Some(strings::NOTHING_SELECTED));
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    key(&mut s, KeyCode::Char('!'), KeyModifiers::SHIFT);
    assert_eq!(s.editor.text(), "/report ");
    assert_eq!(
        type_line(&mut s, "spam"),
        vec![Effect::Rest(RestCall::Report {
            id: 1101,
            reason: "spam".into()
        })]
    );
    // No reason typed: the admins are told none was given.
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    key(&mut s, KeyCode::Char('!'), KeyModifiers::SHIFT);
    assert_eq!(
        key(&mut s, KeyCode::Enter, NONE),
        vec![Effect::Rest(RestCall::Report {
            id: 1101,
            reason: strings::NO_REASON.into()
        })]
    );
}

#[test]
fn being_removed_by_someone_closes_the_room_and_says_who() {
    let mut s = logged_in();
    let e = chat_wire::Event {
        kind: chat_wire::EventType::MemberLeft,
        room_id: 1,
        seq: 11,
        created_at: OffsetDateTime::from_unix_timestamp(T0).unwrap(),
        message: None,
        user: Some(user_ref(1, "alice")),
        room: None,
        role: None,
        by: Some(user_ref(2, "bob")),
        emoji: None,
    };
    net(
        &mut s,
        NetEvent::Frame(chat_wire::ws::Incoming::Event(Box::new(e))),
    );
    assert!(s.room(1).is_none());
    assert_eq!(s.active, Some(2), "the next room opens");
    assert_eq!(s.notice.as_deref(), Some("bob removed you from #general"));
}
