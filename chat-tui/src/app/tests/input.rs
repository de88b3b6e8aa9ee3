//! Typing: the login form, the editor, drafts, history, commands, selection.

use std::time::Duration;

use chat_wire::ws::{ClientFrame, Incoming, ServerFrame};
use crossterm::event::{KeyCode, KeyModifiers};

use super::sent_frames;
use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult};
use crate::testutil::*;

#[test]
fn drafts_are_kept_per_room() {
    let mut s = logged_in();
    for c in "half a thought".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    key(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert_eq!(s.active, Some(2));
    assert!(s.editor.is_empty());
    key(&mut s, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(s.editor.text(), "half a thought");
}

#[test]
fn up_on_an_empty_line_edits_my_last_message() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "alice", "helo")));
    net(&mut s, created(msg(1, 12, "bob", "hi")));
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(s.editor.text(), "helo");
    assert_eq!(s.compose, Compose::Editing { room: 1, id: 1101 });
    key(&mut s, KeyCode::Backspace, KeyModifiers::NONE);
    let fx = type_line(&mut s, "lo");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Edit {
            room: 1,
            id: 1101,
            body: "hello".into()
        })]
    );
    assert_eq!(s.compose, Compose::Plain);
}

#[test]
fn the_login_form_logs_in_and_saves_the_session() {
    let (mut s, fx) = State::new("http://x", None, Settings::default(), "n");
    assert_eq!(fx, vec![Effect::Rest(RestCall::Server)]);
    for c in "Alice".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(key(&mut s, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    for c in "secret pw".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let fx = key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Login {
            username: "alice".into(),
            password: "secret pw".into()
        })]
    );
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::LoggedIn {
            token: "t".into(),
            user: user(1, "alice"),
        }),
    );
    assert_eq!(fx[0], Effect::SaveSession);
    assert!(fx.contains(&Effect::Connect));
    assert_eq!(s.screen, Screen::Chat);
    assert!(s.login.password.is_empty(), "the password is not kept");
}

#[test]
fn large_pastes_ask_first_and_never_send() {
    let mut s = logged_in();
    let fx = update(&mut s, Msg::Paste("a\nb\nc\nd\ne\nf\ng".into()));
    assert!(fx.is_empty());
    assert!(matches!(s.overlay, Overlay::Paste(_)));
    key(&mut s, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(s.editor.text(), "a\nb\nc\nd\ne\nf\ng");
    assert!(s.outbox.is_empty());
}

#[test]
fn commands_turn_into_calls() {
    let mut s = logged_in();
    assert_eq!(
        type_line(&mut s, "/join lobby"),
        vec![Effect::Rest(RestCall::JoinByName("lobby".into()))]
    );
    assert_eq!(
        type_line(&mut s, "/msg bob hi there"),
        vec![Effect::Rest(RestCall::Dm {
            username: "bob".into(),
            then_send: Some("hi there".into())
        })]
    );
    let fx = type_line(&mut s, "/me waves");
    assert_eq!(
        sent_frames(&fx),
        [("n-1".to_owned(), "/me waves".to_owned())]
    );
    // "/me waves" is still unacknowledged: the first /quit only warns.
    type_line(&mut s, "/quit");
    assert!(!s.quit);
    type_line(&mut s, "/quit");
    assert!(s.quit);
}

#[test]
fn notices_fade_after_a_while() {
    let mut s = logged_in();
    type_line(&mut s, "/bogus");
    assert_eq!(
        s.notice.as_deref(),
        Some("unknown command /bogus; F1 for help")
    );
    update(&mut s, Msg::Tick(Duration::from_secs(5)));
    assert!(s.notice.is_some());
    update(&mut s, Msg::Tick(Duration::from_secs(11)));
    assert!(s.notice.is_none());
}

#[test]
fn typing_is_sent_at_most_every_three_seconds() {
    let mut s = logged_in();
    let typing = |fx: &[Effect]| fx.contains(&Effect::Ws(ClientFrame::Typing { room_id: 1 }));
    assert!(typing(&key(&mut s, KeyCode::Char('h'), KeyModifiers::NONE)));
    assert!(!typing(&key(
        &mut s,
        KeyCode::Char('i'),
        KeyModifiers::NONE
    )));
    update(&mut s, Msg::Tick(Duration::from_secs(3)));
    assert!(typing(&key(&mut s, KeyCode::Char('!'), KeyModifiers::NONE)));
    // Others typing shows for five seconds.
    let bob = chat_wire::UserRef {
        id: 2,
        username: "bob".into(),
        display_name: "bob".into(),
        avatar_id: None,
    };
    net(
        &mut s,
        NetEvent::Frame(Incoming::Control(ServerFrame::Typing {
            room_id: 1,
            user: bob,
        })),
    );
    assert_eq!(s.room(1).unwrap().typing.len(), 1);
    update(&mut s, Msg::Tick(Duration::from_secs(9)));
    assert!(s.room(1).unwrap().typing.is_empty());
}

#[test]
fn history_is_reachable_with_and_without_own_messages() {
    let mut s = logged_in();
    type_line(&mut s, "/join somewhere");
    // Nothing of mine to edit: Up walks the history.
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(s.editor.text(), "/join somewhere");
    assert_eq!(s.compose, Compose::Plain);
    s.editor.take();
    net(&mut s, created(msg(1, 11, "alice", "mine")));
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(s.editor.text(), "mine");
    assert!(matches!(s.compose, Compose::Editing { .. }));
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    assert!(s.editor.is_empty());
    // Alt+P always reaches the history.
    key(&mut s, KeyCode::Char('p'), KeyModifiers::ALT);
    assert_eq!(s.editor.text(), "/join somewhere");
}

#[test]
fn the_form_can_create_an_account() {
    let (mut s, _) = State::new("http://x", None, Settings::default(), "n");
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(s.login.register);
    type_line(&mut s, "carol");
    type_line(&mut s, "a long password");
    let fx = type_line(&mut s, "a long password");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Register {
            username: "carol".into(),
            password: "a long password".into()
        })]
    );
    // A refusal is shown on the form, which stays usable.
    let closed = RestResult::Failed {
        what: "register",
        message: "registration is closed".into(),
    };
    net(&mut s, NetEvent::Rest(closed));
    assert!(!s.login.busy);
    assert_eq!(s.login.error.as_deref(), Some("registration is closed"));
}

#[test]
fn a_server_closed_to_registration_is_not_offered_it() {
    let (mut s, _) = State::new("http://x", None, Settings::default(), "n");
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(s.login.register);
    // The server's answer comes: the form goes back to logging in.
    let closed = RestResult::Server {
        registration_open: false,
    };
    net(&mut s, NetEvent::Rest(closed));
    assert!(!s.login.register);
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(
        !s.login.register,
        "Ctrl+R switched to a closed registration"
    );
    assert_eq!(s.login.error.as_deref(), Some(strings::REGISTRATION_CLOSED));
    // Logging in still works.
    type_line(&mut s, "carol");
    let fx = type_line(&mut s, "a long password");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Login {
            username: "carol".into(),
            password: "a long password".into()
        })]
    );
    // A server that cannot say leaves the form as it was, with no error.
    let (mut s, _) = State::new("http://x", None, Settings::default(), "n");
    let failed = RestResult::Failed {
        what: "server",
        message: "no such endpoint".into(),
    };
    net(&mut s, NetEvent::Rest(failed));
    assert_eq!(s.login.error, None);
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(s.login.register);
}

#[test]
fn replies_go_to_the_last_message_of_someone_else_or_of_a_named_user() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "carol", "question one")));
    net(&mut s, created(msg(1, 12, "bob", "question two")));
    net(&mut s, created(msg(1, 13, "alice", "thinking")));
    let reply_to = |fx: &[Effect]| {
        fx.iter().find_map(|e| match e {
            Effect::Ws(ClientFrame::Send { reply_to, body, .. }) => Some((*reply_to, body.clone())),
            _ => None,
        })
    };
    let fx = type_line(&mut s, "/reply answer two");
    assert_eq!(reply_to(&fx), Some((Some(1201), "answer two".into())));
    let fx = type_line(&mut s, "/reply @carol answer one");
    assert_eq!(reply_to(&fx), Some((Some(1101), "answer one".into())));
    // Without text, the next line is the reply.
    type_line(&mut s, "/reply @Carol");
    assert_eq!(s.compose, Compose::Replying { room: 1, id: 1101 });
    let fx = type_line(&mut s, "more");
    assert_eq!(reply_to(&fx), Some((Some(1101), "more".into())));
    assert_eq!(s.compose, Compose::Plain);
}

#[test]
fn any_message_can_be_selected_to_reply_edit_or_delete() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "alice", "mine")));
    net(&mut s, created(msg(1, 12, "bob", "theirs")));
    let join = chat_wire::Event {
        kind: chat_wire::EventType::MemberJoined,
        room_id: 1,
        seq: 13,
        created_at: msg(1, 13, "bob", "").created_at,
        message: None,
        user: Some(chat_wire::UserRef {
            id: 3,
            username: "carol".into(),
            display_name: "carol".into(),
            avatar_id: None,
        }),
        room: None,
        role: None,
        by: None,
        emoji: None,
    };
    net(&mut s, NetEvent::Frame(Incoming::Event(Box::new(join))));
    // Selection starts at the newest message (not the join notice).
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    assert_eq!(s.overlay, Overlay::Select(12));
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(s.overlay, Overlay::Select(11));
    assert_eq!(s.room(1).unwrap().scroll.map(|a| a.seq), Some(11));
    // Up at the oldest stays there.
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(s.overlay, Overlay::Select(11));
    assert_eq!(
        key(&mut s, KeyCode::Char('d'), KeyModifiers::NONE),
        vec![Effect::Rest(RestCall::Delete { room: 1, id: 1101 })]
    );
    key(&mut s, KeyCode::Char('e'), KeyModifiers::NONE);
    assert_eq!(s.compose, Compose::Editing { room: 1, id: 1101 });
    assert_eq!(s.editor.text(), "mine");
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.room(1).unwrap().scroll, None);
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    // Someone else's message can be replied to, not edited.
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    key(&mut s, KeyCode::Char('e'), KeyModifiers::NONE);
    assert_eq!(s.compose, Compose::Plain);
    key(&mut s, KeyCode::Char('r'), KeyModifiers::NONE);
    assert_eq!(s.compose, Compose::Replying { room: 1, id: 1201 });
    // Down past the newest leaves selection.
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    key(&mut s, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(s.overlay, Overlay::None);
}
