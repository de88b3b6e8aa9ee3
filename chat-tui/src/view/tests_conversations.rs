//! Frames of issue 15 and 16's additions: reactions and a thread summary
//! under a message, a mention's highlight, an open thread, and the list
//! overlays.

use chat_wire::{Reaction, ThreadSummary};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::draw;
use super::tests::render;
use crate::app::{State, thread};
use crate::net::{NetEvent, RestResult};
use crate::testutil::*;

/// alice in #general: a question of bob's with reactions and three
/// replies, then a message that mentions her.
fn conversation() -> State {
    let mut s = logged_in();
    let mut question = msg(1, 9, "bob", "who is in for lunch?");
    question.reactions = vec![
        Reaction {
            emoji: "👍".into(),
            count: 2,
            user_ids: vec![1, 2],
        },
        Reaction {
            emoji: ":tada:".into(),
            count: 1,
            user_ids: vec![2],
        },
    ];
    question.thread = Some(ThreadSummary {
        reply_count: 3,
        last_reply_at: None,
        last_reply_seq: 0,
        participant_ids: vec![2],
    });
    let ping = msg(1, 10, "bob", "@alice you too?");
    newest_page(&mut s, 1, vec![question, ping]);
    s
}

const CONVERSATION: &str = "
 #general
 #general        │
 #random         │
                 │
                 │──────────────── start of the room ─────────────────
                 │───────────────── Mon 21 Sep 2026 ──────────────────
                 │14:22 bob: who is in for lunch?
                 │      👍 2  :tada: 1
                 │      [3 replies]
                 │14:23 bob: @alice you too?
>
[connected] alice  F1 help";

#[test]
fn reactions_and_a_thread_summary_sit_under_their_message() {
    let s = conversation();
    let rows = render(&s, 70, 12);
    assert_eq!(rows.join("\n"), CONVERSATION.trim_start_matches('\n'));
    // The message that mentions me is marked by its time, the other not.
    let mut term = Terminal::new(TestBackend::new(70, 12)).unwrap();
    term.draw(|f| draw(f, &s)).unwrap();
    let buf = term.backend().buffer().clone();
    assert_eq!(buf[(18, 9)].symbol(), "1");
    assert_eq!(buf[(18, 9)].bg, Color::Yellow);
    assert_eq!(buf[(18, 6)].symbol(), "1");
    assert_ne!(buf[(18, 6)].bg, Color::Yellow);
}

const THREAD: &str = "
 #general — thread of bob (Esc back)
 #general        │───────────────── Mon 21 Sep 2026 ──────────────────
 #random         │14:22 bob: who is in for lunch?
                 │      👍 2  :tada: 1
                 │────────────────────── thread ──────────────────────
                 │14:24 bob: me
                 │14:25 carol: me too
                 │      alice: count me in sending…
                 │
                 │
>
[connected] alice · 1 unsent  F1 help";

#[test]
fn an_open_thread_replaces_the_timeline() {
    let mut s = conversation();
    let root = s.room(1).unwrap().find(901).unwrap().clone();
    thread::open(&mut s, &root);
    let rows = render(&s, 70, 12);
    assert!(rows[5].contains("loading replies…"), "{rows:#?}");
    net(
        &mut s,
        NetEvent::Rest(RestResult::Thread {
            room: 1,
            root: root.id,
            before: None,
            messages: vec![
                reply(&root, 11, "bob", "me"),
                reply(&root, 12, "carol", "me too"),
            ],
            has_more: false,
        }),
    );
    type_line(&mut s, "count me in");
    let rows = render(&s, 70, 12);
    assert_eq!(rows.join("\n"), THREAD.trim_start_matches('\n'));
    // Esc: the room again, replies nowhere in it.
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    let text = render(&s, 70, 12).join("\n");
    assert!(
        text.contains("[3 replies]") && !text.contains("me too"),
        "{text}"
    );
}

#[test]
fn the_list_overlays_show_pins_history_people_and_sessions() {
    let mut s = conversation();
    let question = s.room(1).unwrap().find(901).unwrap().clone();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Pins {
            room: 1,
            messages: vec![question],
        }),
    );
    let text = render(&s, 80, 16).join("\n");
    assert!(text.contains("pinned messages"), "{text}");
    assert!(
        text.contains("21 Sep 14:22 bob: who is in for lunch?"),
        "{text}"
    );
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);

    let mut edited = msg(1, 13, "bob", "lunch at noon");
    edited.edited_at = Some(edited.created_at);
    net(&mut s, created(edited.clone()));
    let revisions = vec![chat_wire::api::Revision {
        body: "lunch at 11".into(),
        edited_at: edited.created_at,
    }];
    net(
        &mut s,
        NetEvent::Rest(RestResult::History {
            room: 1,
            id: edited.id,
            revisions,
        }),
    );
    let text = render(&s, 80, 16).join("\n");
    assert!(text.contains("21 Sep 14:26  lunch at 11"), "{text}");
    assert!(text.contains("now           lunch at noon"), "{text}");
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);

    let mut carol = user(4, "carol");
    carol.display_name = "Carol C".into();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Users {
            q: "ca".into(),
            complete: false,
            users: vec![carol],
        }),
    );
    let text = render(&s, 80, 16).join("\n");
    assert!(text.contains("carol — Carol C"), "{text}");
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);

    let at = time::OffsetDateTime::from_unix_timestamp(T0).unwrap();
    let session = chat_wire::api::Session {
        id: 1,
        created_at: at,
        last_seen_at: at,
        user_agent: None,
        current: true,
    };
    net(&mut s, NetEvent::Rest(RestResult::Sessions(vec![session])));
    let text = render(&s, 80, 16).join("\n");
    assert!(
        text.contains("21 Sep 14:13  seen 21 Sep 14:13  unknown client (this one)"),
        "{text}"
    );
}
