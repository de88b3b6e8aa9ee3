//! Threads: opening one, its replies, replying in it, and the root's
//! summary kept by live events.

use chat_wire::ws::{ClientFrame, Incoming, ServerFrame};
use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::thread;
use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult};
use crate::strings;
use crate::testutil::*;

const NONE: KeyModifiers = KeyModifiers::NONE;

fn reply_count(s: &State, root: i64) -> i64 {
    let r = s.room(1).unwrap().find(root).unwrap();
    r.thread.as_ref().map_or(0, |t| t.reply_count)
}

#[test]
fn replies_bump_their_root_and_stay_out_of_the_timeline() {
    let mut s = logged_in();
    let root = msg(1, 11, "bob", "a question");
    net(&mut s, created(root.clone()));
    // In the other room, unread counting must not notice replies either.
    let before = (s.room(1).unwrap().items.len(), s.room(2).unwrap().unread);
    net(&mut s, created(reply(&root, 12, "bob", "one")));
    net(&mut s, created(reply(&root, 13, "carol", "two")));
    net(&mut s, created(reply(&root, 14, "bob", "three")));
    assert_eq!(
        s.room(1).unwrap().items.len(),
        before.0,
        "not in the timeline"
    );
    assert_eq!(s.room(2).unwrap().unread, before.1);
    let summary = s.room(1).unwrap().find(root.id).unwrap().thread.clone();
    let summary = summary.expect("a summary");
    assert_eq!(summary.reply_count, 3);
    assert_eq!(
        summary.participant_ids,
        vec![2],
        "bob once (carol is 2 too)"
    );
    assert_eq!(
        summary.last_reply_at,
        Some(msg(1, 14, "bob", "").created_at)
    );
    // A replayed event is applied once.
    net(&mut s, created(reply(&root, 14, "bob", "three")));
    assert_eq!(reply_count(&s, root.id), 3);
    // Deleting a reply leaves the count as it is (a tombstone still counts).
    let mut gone = reply(&root, 13, "carol", "");
    gone.deleted = true;
    gone.body = None;
    let e = chat_wire::Event {
        kind: chat_wire::EventType::MessageDeleted,
        room_id: 1,
        seq: 15,
        created_at: gone.created_at,
        message: Some(gone),
        user: None,
        room: None,
        role: None,
        by: None,
        emoji: None,
    };
    net(&mut s, NetEvent::Frame(Incoming::Event(Box::new(e))));
    assert_eq!(reply_count(&s, root.id), 3);
}

#[test]
fn a_reply_a_page_already_counts_is_not_counted_again_by_its_event() {
    let mut s = logged_in();
    // The page was read after reply 12 was stored, and its event comes
    // after the page (the socket replays from the page's newest message).
    let mut root = msg(1, 11, "bob", "a question");
    root.thread = Some(chat_wire::ThreadSummary {
        reply_count: 1,
        last_reply_at: Some(root.created_at),
        participant_ids: vec![2],
        last_reply_seq: 12,
    });
    newest_page(&mut s, 1, vec![root.clone()]);
    net(&mut s, created(reply(&root, 12, "bob", "one")));
    assert_eq!(reply_count(&s, root.id), 1, "already in the summary");
    net(&mut s, created(reply(&root, 13, "carol", "two")));
    assert_eq!(reply_count(&s, root.id), 2, "a newer reply counts");
}

#[test]
fn a_thread_opens_from_the_selection_loads_marks_read_and_takes_replies() {
    let mut s = logged_in();
    let root = msg(1, 11, "bob", "a question");
    net(&mut s, created(root.clone()));
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    let fx = key(&mut s, KeyCode::Char('t'), NONE);
    assert!(fx.contains(&Effect::Rest(RestCall::Thread {
        room: 1,
        root: root.id,
        before: None
    })));
    assert_eq!(s.overlay, Overlay::None);
    let t = s.thread.as_ref().expect("open");
    assert!(t.loading && t.replies.is_empty());
    // Its page arrives: the newest reply is read.
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Thread {
            room: 1,
            root: root.id,
            before: None,
            messages: vec![reply(&root, 12, "bob", "one")],
            has_more: false,
        }),
    );
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::ThreadRead {
            room: 1,
            root: root.id,
            seq: 12
        })]
    );
    assert_eq!(s.thread.as_ref().unwrap().replies.len(), 1);
    // Enter replies in the thread.
    let fx = type_line(&mut s, "an answer");
    let [
        Effect::Ws(ClientFrame::Send {
            body,
            thread_root,
            client_id,
            ..
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!((body.as_str(), *thread_root), ("an answer", Some(root.id)));
    assert!(s.outbox.in_room(1).all(|o| o.thread_root == Some(root.id)));
    // The ack shows it and counts it; its event does not count it again.
    let mut mine = reply(&root, 13, "alice", "an answer");
    mine.client_id = Some(client_id.clone());
    let ack = ServerFrame::Ack {
        client_id: client_id.clone(),
        message: Box::new(mine.clone()),
    };
    let fx = net(&mut s, NetEvent::Frame(Incoming::Control(ack)));
    assert!(s.outbox.is_empty());
    assert!(fx.contains(&Effect::Rest(RestCall::ThreadRead {
        room: 1,
        root: root.id,
        seq: 13
    })));
    net(&mut s, created(mine));
    assert_eq!(s.thread.as_ref().unwrap().replies.len(), 2);
    assert_eq!(reply_count(&s, root.id), 1, "counted once, by the ack");
    assert_eq!(
        s.room(1).unwrap().items.len(),
        1,
        "the timeline keeps the root alone"
    );
    // Esc goes back to the room; switching rooms closes it as well.
    key(&mut s, KeyCode::Esc, NONE);
    assert!(s.thread.is_none());
    thread::open(&mut s, &root);
    key(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert!(s.thread.is_none());
    // A reply has no thread of its own.
    let fx = thread::open(&mut s, &reply(&root, 12, "bob", "one"));
    assert!(fx.is_empty() && s.thread.is_none());
    assert_eq!(s.notice.as_deref(), Some(strings::NO_THREAD_IN_THREAD));
}

#[test]
fn a_page_for_a_thread_no_longer_open_is_dropped() {
    let mut s = logged_in();
    let root = msg(1, 11, "bob", "a question");
    net(&mut s, created(root.clone()));
    thread::open(&mut s, &root);
    key(&mut s, KeyCode::Esc, NONE);
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Thread {
            room: 1,
            root: root.id,
            before: None,
            messages: vec![reply(&root, 12, "bob", "one")],
            has_more: false,
        }),
    );
    assert!(fx.is_empty() && s.thread.is_none());
}

#[test]
fn the_room_behind_an_open_thread_collects_unread_messages() {
    let mut s = logged_in();
    let root = msg(1, 11, "bob", "a question");
    net(&mut s, created(root.clone()));
    thread::open(&mut s, &root);
    let fx = net(&mut s, created(msg(1, 12, "bob", "meanwhile")));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.room(1).unwrap().unread, 1);
    // Back in the room, it is read.
    let fx = key(&mut s, KeyCode::Esc, NONE);
    assert_eq!(fx, vec![Effect::Rest(RestCall::Read { room: 1, seq: 12 })]);
    assert_eq!(s.room(1).unwrap().unread, 0);
}

#[test]
fn a_long_thread_scrolls_and_loads_older_replies_on_the_way_up() {
    let mut s = logged_in();
    let root = msg(1, 11, "bob", "a question");
    net(&mut s, created(root.clone()));
    thread::open(&mut s, &root);
    let replies = (100..150)
        .map(|q| reply(&root, q, "bob", &format!("reply {q}")))
        .collect();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Thread {
            room: 1,
            root: root.id,
            before: None,
            messages: replies,
            has_more: true,
        }),
    );
    // 24 rows leave a 21-row view of 54 lines (a day rule and the root,
    // the thread rule, the "older replies" line, 50 replies): two pages up
    // reach the top, which asks for the replies before the oldest.
    assert!(key(&mut s, KeyCode::PageUp, NONE).is_empty());
    assert_eq!(s.thread.as_ref().unwrap().scroll, 19);
    let fx = key(&mut s, KeyCode::PageUp, NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Thread {
            room: 1,
            root: root.id,
            before: Some(100)
        })]
    );
    assert!(
        key(&mut s, KeyCode::PageUp, NONE).is_empty(),
        "one at a time"
    );
    net(
        &mut s,
        NetEvent::Rest(RestResult::Thread {
            room: 1,
            root: root.id,
            before: Some(100),
            messages: vec![reply(&root, 99, "bob", "the first")],
            has_more: false,
        }),
    );
    assert_eq!(s.thread.as_ref().unwrap().replies.len(), 51);
    for _ in 0..5 {
        key(&mut s, KeyCode::PageDown, NONE);
    }
    assert_eq!(s.thread.as_ref().unwrap().scroll, 0);
}
