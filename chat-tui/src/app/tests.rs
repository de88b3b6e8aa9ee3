//! Tests of the pure update function: outbox, reconnect and resume,
//! paging, unread counts, scrolling.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_wire::ws::{ClientFrame, Incoming, ServerFrame};
use chat_wire::{ErrorCode, ErrorDetail, Message};
use crossterm::event::{KeyCode, KeyModifiers};

use super::outbox::SendStatus;
use super::room::Item;
use super::*;
use crate::net::{NetEvent, RestCall, RestResult, WsStatus};
use crate::testutil::*;

fn sent_frames(fx: &[Effect]) -> Vec<(String, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Ws(ClientFrame::Send {
                client_id, body, ..
            }) => Some((client_id.clone(), body.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_message_is_pending_until_acked() {
    let mut s = logged_in();
    let fx = type_line(&mut s, "hello");
    assert_eq!(sent_frames(&fx), [("n-1".to_owned(), "hello".to_owned())]);
    assert_eq!(
        s.outbox.in_room(1).next().unwrap().status,
        SendStatus::Pending
    );
    assert!(s.editor.is_empty());

    let mut m = msg(1, 11, "alice", "hello");
    m.client_id = Some("n-1".into());
    net(
        &mut s,
        NetEvent::Frame(Incoming::Control(ServerFrame::Ack {
            client_id: "n-1".into(),
            message: m.clone(),
        })),
    );
    assert!(s.outbox.is_empty());
    assert_eq!(
        s.room(1).unwrap().items.get(&11),
        Some(&Item::Message(m.clone()))
    );
    // The event for the same message then changes nothing.
    net(&mut s, created(m));
    assert_eq!(s.room(1).unwrap().items.len(), 1);
}

#[test]
fn a_failed_message_is_retried_with_its_client_id() {
    let mut s = logged_in();
    type_line(&mut s, "too fast");
    let error = ErrorDetail {
        code: ErrorCode::InvalidRequest,
        message: "not allowed".into(),
    };
    net(
        &mut s,
        NetEvent::Frame(Incoming::Control(ServerFrame::Error {
            client_id: Some("n-1".into()),
            error,
        })),
    );
    assert_eq!(
        s.outbox.in_room(1).next().unwrap().status,
        SendStatus::Failed("not allowed".into())
    );
    let fx = key(&mut s, KeyCode::Char('r'), KeyModifiers::ALT);
    assert_eq!(
        sent_frames(&fx),
        [("n-1".to_owned(), "too fast".to_owned())]
    );
    assert_eq!(
        s.outbox.in_room(1).next().unwrap().status,
        SendStatus::Pending
    );
    // Discard only drops failed ones.
    key(&mut s, KeyCode::Char('x'), KeyModifiers::ALT);
    assert_eq!(s.outbox.len(), 1);
}

#[test]
fn offline_sends_wait_and_go_after_resume_in_order() {
    let mut s = logged_in();
    net(
        &mut s,
        NetEvent::Ws(WsStatus::Down {
            retry_in: Duration::from_secs(4),
            reason: "lost".into(),
        }),
    );
    assert_eq!(
        s.conn,
        Conn::Reconnecting {
            at: Duration::from_secs(4)
        }
    );
    assert!(sent_frames(&type_line(&mut s, "one")).is_empty());
    assert!(sent_frames(&type_line(&mut s, "two")).is_empty());
    net(&mut s, created(msg(1, 11, "bob", "while you were away")));
    let fx = ready(&mut s);
    // Resume first, with the last seq of every room, then the outbox in order.
    assert_eq!(
        fx[0],
        Effect::Ws(ClientFrame::Resume {
            rooms: BTreeMap::from([(1, 11), (2, 5)])
        })
    );
    assert_eq!(
        sent_frames(&fx),
        [
            ("n-1".to_owned(), "one".to_owned()),
            ("n-2".to_owned(), "two".to_owned())
        ]
    );
    // A lost ack: the message's own event arriving clears it from the outbox.
    let mut m = msg(1, 12, "alice", "one");
    m.client_id = Some("n-1".into());
    net(&mut s, created(m));
    assert_eq!(s.outbox.len(), 1);
    // Yet another reconnect resends only what is still unacknowledged.
    let fx = ready(&mut s);
    assert_eq!(sent_frames(&fx), [("n-2".to_owned(), "two".to_owned())]);
}

#[test]
fn replayed_events_are_applied_once() {
    let mut s = logged_in();
    net(&mut s, created(msg(2, 6, "bob", "six")));
    net(&mut s, created(msg(2, 7, "bob", "seven")));
    assert_eq!(s.room(2).unwrap().unread, 2);
    let fx = ready(&mut s);
    assert_eq!(
        fx[0],
        Effect::Ws(ClientFrame::Resume {
            rooms: BTreeMap::from([(1, 10), (2, 7)])
        })
    );
    // The server replays from our seq, but an overlap must not double.
    net(&mut s, created(msg(2, 7, "bob", "seven")));
    net(&mut s, created(msg(2, 9, "bob", "nine")));
    let r = s.room(2).unwrap();
    assert_eq!(r.items.keys().copied().collect::<Vec<_>>(), [6, 7, 9]);
    assert_eq!(r.unread, 3);
    assert_eq!(r.seen_seq, 9);
}

#[test]
fn pages_prepend_without_duplicates_and_stop_at_the_start() {
    let mut s = logged_in();
    // A live message arrived before the newest page did.
    net(&mut s, created(msg(1, 60, "bob", "live")));
    let newest: Vec<Message> = (11..=60)
        .map(|q| msg(1, q, "bob", &format!("m{q}")))
        .collect();
    s.size = (80, 24);
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Page {
            room: 1,
            before: None,
            messages: newest,
        }),
    );
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
    net(
        &mut s,
        NetEvent::Rest(RestResult::Page {
            room: 1,
            before: None,
            messages: page,
        }),
    );
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
fn a_revoked_session_returns_to_the_login_form() {
    let mut s = logged_in();
    let fx = net(&mut s, NetEvent::Ws(WsStatus::AuthLost));
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(s.conn, Conn::Offline);
    assert!(fx.contains(&Effect::DeleteSession));
    assert_eq!(s.login.error.as_deref(), Some(strings::SESSION_ENDED));
}

#[test]
fn the_login_form_logs_in_and_saves_the_session() {
    let (mut s, fx) = State::new("http://x", None, Settings::default(), "n");
    assert!(fx.is_empty());
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
fn logout_forgets_the_session_at_once_and_revokes_it() {
    let mut s = logged_in();
    let fx = type_line(&mut s, "/logout");
    assert_eq!(
        fx[0],
        Effect::Rest(RestCall::Logout {
            token: "tok".into()
        })
    );
    assert!(fx.contains(&Effect::DeleteSession));
    assert!(fx.contains(&Effect::Disconnect));
    assert_eq!(s.screen, Screen::Login);
    assert!(s.token.is_none());
    assert!(s.rooms.is_empty());
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
fn history_that_failed_to_load_is_fetched_again_after_reconnect() {
    let mut s = logged_in();
    let failed = RestResult::Failed {
        what: "history",
        message: "cannot reach the server".into(),
    };
    net(&mut s, NetEvent::Rest(failed));
    assert!(!s.room(1).unwrap().loading);
    assert_eq!(
        s.notice.as_deref(),
        Some("history: cannot reach the server")
    );
    let fx = ready(&mut s);
    assert!(
        fx.contains(&Effect::Rest(RestCall::Page {
            room: 1,
            before: None
        })),
        "{fx:?}"
    );
    // Only once while it is in flight.
    let fx = ready(&mut s);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Rest(RestCall::Page { .. })))
    );
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
fn the_form_can_create_an_account() {
    let (mut s, _) = State::new("http://x", None, Settings::default(), "n");
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(s.login.register);
    type_line(&mut s, "carol");
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
fn quitting_with_unsent_messages_asks_twice() {
    let mut s = logged_in();
    net(
        &mut s,
        NetEvent::Ws(WsStatus::Down {
            retry_in: Duration::from_secs(1),
            reason: "x".into(),
        }),
    );
    type_line(&mut s, "not yet sent");
    key(&mut s, KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert!(!s.quit);
    assert_eq!(
        s.notice.as_deref(),
        Some(strings::unsent_on_quit(1).as_str())
    );
    type_line(&mut s, "/quit");
    assert!(s.quit);
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
    net(
        &mut s,
        NetEvent::Rest(RestResult::Page {
            room: 2,
            before: None,
            messages: page.clone(),
        }),
    );
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
        }),
        room: None,
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

#[test]
fn rate_limited_sends_are_resent_not_failed() {
    let mut s = logged_in();
    type_line(&mut s, "one");
    type_line(&mut s, "two");
    let error = ErrorDetail {
        code: ErrorCode::RateLimited,
        message: "slow down".into(),
    };
    let limited = ServerFrame::Error {
        client_id: Some("n-2".into()),
        error,
    };
    net(&mut s, NetEvent::Frame(Incoming::Control(limited)));
    assert!(s.outbox.in_room(1).all(|o| o.status == SendStatus::Pending));
    assert!(update(&mut s, Msg::Tick(Duration::from_secs(1))).is_empty());
    let fx = update(&mut s, Msg::Tick(Duration::from_secs(2)));
    // Everything unacknowledged goes again, in order, with the same ids.
    assert_eq!(
        sent_frames(&fx),
        [
            ("n-1".to_owned(), "one".to_owned()),
            ("n-2".to_owned(), "two".to_owned())
        ]
    );
    assert!(update(&mut s, Msg::Tick(Duration::from_secs(5))).is_empty());
}
