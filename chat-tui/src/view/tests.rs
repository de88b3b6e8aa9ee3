//! Whole-frame tests on ratatui's `TestBackend`: what the user would see.

use std::time::Duration;

use chat_wire::ws::{Incoming, PresenceStatus, ServerFrame};
use chat_wire::{Message, UserRef};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use time::OffsetDateTime;
use unicode_width::UnicodeWidthStr;

use super::draw;
use crate::app::{Conn, Msg, State, update};
use crate::net::{NetEvent, RestResult, WsStatus};
use crate::testutil::*;

/// The frame as text rows; a wide character's second cell is skipped.
pub(super) fn render(state: &State, w: u16, h: u16) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, state)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in 0..w {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = sym.width().saturating_sub(1);
                row.push_str(sym);
            }
            row.trim_end().to_owned()
        })
        .collect()
}

/// alice in #general with a conversation on screen, #random unread with a
/// mention, a DM with bob (online), one message sending and one failed.
fn busy_state() -> State {
    let mut s = logged_in();
    net(
        &mut s,
        NetEvent::Rest(RestResult::Rooms(vec![room(3, "@bob", 2, 0)])),
    );
    s.rooms.retain(|_| true);
    let presence = ServerFrame::Presence {
        user: UserRef {
            id: 2,
            username: "bob".into(),
            display_name: "Bob".into(),
            avatar_id: None,
        },
        status: PresenceStatus::Online,
    };
    net(&mut s, NetEvent::Frame(Incoming::Control(presence)));
    let mut page: Vec<Message> = vec![
        msg(1, 6, "bob", "morning!"),
        msg(
            1,
            7,
            "alice",
            "hi bob, this is a long line that has to wrap under the time column nicely",
        ),
        msg(
            1,
            8,
            "bob",
            "日本語のテキストも大丈夫です、幅は二つずつ数えます。絵文字も👍🎉",
        ),
        msg(1, 9, "bob", "typo here"),
        msg(1, 10, "bob", "gone"),
    ];
    page[3].edited_at = Some(OffsetDateTime::from_unix_timestamp(T0 + 1000).unwrap());
    page[4].deleted = true;
    page[4].body = None;
    let mut reply = msg(1, 11, "alice", "@bob sure, replying");
    reply.reply_to = Some(page[0].id);
    page.push(reply);
    newest_page(&mut s, 1, page);
    net(&mut s, created(msg(2, 6, "bob", "lunch?")));
    net(&mut s, created(msg(2, 7, "bob", "@alice lunch?")));
    // One message goes out and fails, then the link drops and one waits.
    type_line(&mut s, "first try");
    let error = chat_wire::ErrorDetail {
        code: chat_wire::ErrorCode::InvalidRequest,
        message: "too long".into(),
    };
    net(
        &mut s,
        NetEvent::Frame(Incoming::Control(ServerFrame::Error {
            client_id: Some("n-1".into()),
            error,
        })),
    );
    type_line(&mut s, "still here");
    s
}

const EXPECTED_80X24: &str = "
 #general
 #general           │
 #random       2 @1 │
●@bob               │
                    │
                    │
                    │
                    │
                    │──────────────────── start of the room ────────────────────
                    │───────────────────── Mon 21 Sep 2026 ─────────────────────
                    │14:19 bob: morning!
                    │14:20 alice: hi bob, this is a long line that has to wrap
                    │      under the time column nicely
                    │14:21 bob: 日本語のテキストも大丈夫です、幅は二つずつ数えま
                    │      す。絵文字も👍🎉
                    │14:22 bob: typo here (edited)
                    │14:23 bob: (message deleted)
                    │        ╭ bob: morning!
                    │14:24 alice: @bob sure, replying
                    │      alice: first try failed (Alt+R retry, Alt+X discard)
                    │      — too long
                    │      alice: still here sending…
>
[connected] alice · 2 unsent  F1 help";

#[test]
fn the_whole_screen_at_80x24() {
    let s = busy_state();
    let rows = render(&s, 80, 24);
    assert_eq!(rows.join("\n"), EXPECTED_80X24.trim_start_matches('\n'));
}

#[test]
fn no_line_is_wider_than_the_terminal() {
    let s = busy_state();
    for w in [40u16, 57, 80, 133] {
        let mut term = Terminal::new(TestBackend::new(w, 24)).unwrap();
        term.draw(|f| draw(f, &s)).unwrap();
        let rows = render(&s, w, 24);
        for r in &rows {
            assert!(r.width() <= w as usize, "{r:?} is wider than {w}");
        }
        // The wide-character message is all there, just wrapped.
        let text: String = rows
            .iter()
            .map(|r| r.split('│').next_back().unwrap_or("").trim())
            .collect();
        assert!(text.contains("絵文字も👍🎉"), "{rows:#?}");
    }
}

#[test]
fn a_tiny_terminal_says_so_at_any_size() {
    let s = busy_state();
    let rows = render(&s, 20, 5);
    assert_eq!(rows[2], " terminal too small");
    // Nothing panics down to nothing at all.
    for (w, h) in [(1, 1), (0, 0), (5, 40), (39, 9), (200, 3)] {
        let _ = render(&s, w, h);
    }
    let (login, _) = State::new("http://x", None, Default::default(), "n");
    assert_eq!(render(&login, 20, 5)[2], " terminal too small");
}

#[test]
fn the_status_line_says_reconnecting_and_offline() {
    let mut s = busy_state();
    update(&mut s, Msg::Tick(Duration::from_secs(10)));
    net(
        &mut s,
        NetEvent::Ws(WsStatus::Down {
            retry_in: Duration::from_millis(2500),
            reason: "closed".into(),
        }),
    );
    let rows = render(&s, 80, 24);
    assert!(
        rows[23].starts_with("[reconnecting in 3s] alice · 2 unsent"),
        "{}",
        rows[23]
    );
    update(&mut s, Msg::Tick(Duration::from_secs(12)));
    assert!(render(&s, 80, 24)[23].starts_with("[reconnecting in 1s]"));
    update(&mut s, Msg::Tick(Duration::from_secs(13)));
    assert!(render(&s, 80, 24)[23].starts_with("[reconnecting…]"));
    s.conn = Conn::Offline;
    assert!(render(&s, 80, 24)[23].starts_with("[offline]"));
}

#[test]
fn help_is_generated_from_the_key_map() {
    let mut s = busy_state();
    key(&mut s, KeyCode::F(1), KeyModifiers::NONE);
    let rows = render(&s, 80, 24);
    let text = rows.join("\n");
    assert!(text.contains("help — keys"), "{text}");
    assert!(
        text.contains("Enter                     send the message"),
        "{text}"
    );
    assert!(
        text.contains("Alt+Enter, Ctrl+J         new line in the message"),
        "{text}"
    );
    // It scrolls through the keys, the selection mode's keys and the
    // commands to the end.
    assert!(!text.contains("/quit"));
    let mut seen = text;
    for _ in 0..10 {
        key(&mut s, KeyCode::PageDown, KeyModifiers::NONE);
        seen.push_str(&render(&s, 80, 24).join("\n"));
    }
    let text = render(&s, 80, 24).join("\n");
    assert!(text.contains("/quit                     quit"), "{text}");
    for row in [
        "Ctrl+Y                    paste what was deleted",
        "selection mode (Ctrl+Up or Alt+S, then):",
        "  +                       react to it: type an emoji after /react",
        "  t                       open its thread, or start one",
        "/react EMOJI              react to the selected message",
        "/kick USER                remove someone from this room",
    ] {
        assert!(seen.contains(row), "{row} is missing");
    }
    // Esc closes it.
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!render(&s, 80, 24).join("\n").contains("help — keys"));
}

#[test]
fn scrolled_up_shows_how_many_are_new() {
    let mut s = logged_in();
    let page: Vec<Message> = (11..=60)
        .map(|q| msg(1, q, "bob", &format!("message {q}")))
        .collect();
    newest_page(&mut s, 1, page);
    key(&mut s, KeyCode::PageUp, KeyModifiers::NONE);
    net(&mut s, created(msg(1, 61, "bob", "brand new")));
    let rows = render(&s, 80, 24);
    assert!(rows[21].ends_with(" 20 new ↓"), "{rows:#?}");
    assert!(!rows.join("\n").contains("brand new"));
}

#[test]
fn the_login_form_hides_the_password() {
    let (mut s, _) = State::new("http://chat.example:8080", None, Default::default(), "n");
    for c in "bob".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    for c in "hunter22".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let text = render(&s, 80, 24).join("\n");
    assert!(
        text.contains("Server:   http://chat.example:8080"),
        "{text}"
    );
    assert!(text.contains("Username: bob"));
    assert!(text.contains("Password: ********"));
    assert!(!text.contains("hunter22"));
}

#[test]
fn an_empty_room_shows_its_start() {
    let mut s = logged_in();
    type_line(&mut s, "/msg bob hey");
    let fx = net(
        &mut s,
        NetEvent::Rest(RestResult::Room {
            room: room(3, "@bob", 2, 0),
            focus: true,
            then_send: Some("hey".into()),
        }),
    );
    assert!(
        fx.contains(&crate::app::Effect::Rest(crate::net::RestCall::Page {
            room: 3,
            before: None
        })),
        "{fx:?}"
    );
    newest_page(&mut s, 3, vec![]);
    let rows = render(&s, 80, 24);
    assert!(rows.join("\n").contains("start of the room"), "{rows:#?}");
}

#[test]
fn a_long_room_list_keeps_the_open_room_in_view() {
    let mut s = logged_in();
    let many: Vec<_> = (10..60)
        .map(|i| room(i, &format!("room{i}"), 1, 0))
        .collect();
    net(&mut s, NetEvent::Rest(RestResult::Rooms(many)));
    for _ in 0..40 {
        key(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    }
    let label = s.active_room().unwrap().label();
    let rows = render(&s, 80, 24);
    assert!(
        rows.iter().skip(1).take(21).any(|r| r.contains(&label)),
        "{label} not in {rows:#?}"
    );
}

#[test]
fn resizing_keeps_the_scroll_position() {
    let mut s = logged_in();
    let page: Vec<Message> = (11..=60)
        .map(|q| {
            msg(
                1,
                q,
                "bob",
                &format!("message {q} with enough words to wrap at narrow widths"),
            )
        })
        .collect();
    newest_page(&mut s, 1, page);
    key(&mut s, KeyCode::PageUp, KeyModifiers::NONE);
    let bottom = |s: &State, w: u16| {
        let rows = render(s, w, 24);
        rows[21].clone()
    };
    let before = bottom(&s, 80);
    assert!(before.contains("message 5"), "{before}");
    update(&mut s, Msg::Resize(60, 24));
    let anchor = s.room(1).unwrap().scroll;
    update(&mut s, Msg::Resize(120, 24));
    assert_eq!(s.room(1).unwrap().scroll, anchor);
    // The same message is still at the bottom of the view.
    let seq = anchor.unwrap().seq;
    let wide = render(&s, 120, 24).join("\n");
    assert!(wide.contains(&format!("message {seq} ")), "{wide}");
    assert!(!wide.contains(&format!("message {} ", seq + 2)), "{wide}");
}

#[test]
fn the_switcher_filters_rooms_fuzzily() {
    let mut s = busy_state();
    key(&mut s, KeyCode::Char('g'), KeyModifiers::CONTROL);
    for c in "rnd".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let text = render(&s, 80, 24).join("\n");
    assert!(text.contains("switch room"), "{text}");
    assert!(text.contains("│> rnd"), "{text}");
    assert!(text.contains("│#random"), "{text}");
    assert!(!text.contains("│#general"), "{text}");
    key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(render(&s, 80, 24)[0], " #random");
}

#[test]
fn a_large_paste_asks_before_it_lands() {
    let mut s = busy_state();
    update(&mut s, Msg::Paste("1\n2\n3\n4\n5\n6".into()));
    let text = render(&s, 80, 24).join("\n");
    assert!(
        text.contains("paste 6 lines? y: insert · n/Esc: drop"),
        "{text}"
    );
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    assert!(s.editor.is_empty());
    assert!(!render(&s, 80, 24).join("\n").contains("paste 6 lines"));
}

#[test]
fn a_direct_conversation_shows_presence_in_its_title() {
    let mut s = busy_state();
    key(&mut s, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(render(&s, 80, 24)[0], " @bob — online");
}

#[test]
fn the_selected_message_is_highlighted() {
    use ratatui::style::Modifier;
    let mut s = busy_state();
    key(&mut s, KeyCode::Char('s'), KeyModifiers::ALT);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| draw(f, &s)).unwrap();
    let buf = term.backend().buffer().clone();
    let rows = render(&s, 80, 24);
    // The newest message sits at the bottom of the timeline, reversed.
    let y = rows
        .iter()
        .position(|r| r.contains("@bob sure, replying"))
        .unwrap() as u16;
    assert_eq!(y, 21, "{rows:#?}");
    assert!(buf[(30, y)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(30, y - 2)].modifier.contains(Modifier::REVERSED));
    assert!(rows[23].contains("r reply"), "{}", rows[23]);
}
