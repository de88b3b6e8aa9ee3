//! Sending: the outbox, acknowledgements, failures, reconnects and resume.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_wire::ws::{ClientFrame, Incoming, ServerFrame};
use chat_wire::{ErrorCode, ErrorDetail};
use crossterm::event::{KeyCode, KeyModifiers};

use super::sent_frames;
use crate::app::outbox::SendStatus;
use crate::app::room::Item;
use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult, WsStatus};
use crate::testutil::*;

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
            message: Box::new(m.clone()),
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
fn a_revoked_session_returns_to_the_login_form() {
    let mut s = logged_in();
    // Signed up with this form: it must offer logging in afterwards.
    s.login.register = true;
    let fx = net(&mut s, NetEvent::Ws(WsStatus::AuthLost));
    assert_eq!(s.screen, Screen::Login);
    assert!(!s.login.register);
    assert_eq!(s.conn, Conn::Offline);
    assert!(fx.contains(&Effect::DeleteSession));
    assert_eq!(s.login.error.as_deref(), Some(strings::SESSION_ENDED));
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
