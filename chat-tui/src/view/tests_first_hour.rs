//! Frames of issue 17 and 21's additions: attachments under a message and
//! while sending, an upload's progress, the room browser, private rooms
//! marked, the sign-up form, and the help at 120 columns.

use crossterm::event::{KeyCode, KeyModifiers};

use super::tests::render;
use crate::app::State;
use crate::net::{NetEvent, RestResult};
use crate::testutil::*;

fn rest(state: &mut State, r: RestResult) {
    net(state, NetEvent::Rest(r));
}

#[test]
fn attachments_show_under_their_message_and_while_sending() {
    let mut s = logged_in();
    let mut m = msg(1, 9, "bob", "the minutes");
    m.attachments = vec![file(50, "minutes.pdf", 3000), file(51, "agenda.txt", 20)];
    let mut reply = msg(1, 10, "alice", "thanks");
    reply.reply_to = Some(m.id);
    newest_page(&mut s, 1, vec![m, reply]);
    type_line(&mut s, "/upload ~/notes.txt");
    rest(
        &mut s,
        RestResult::UploadProgress {
            job: 1,
            sent: 30,
            total: 100,
        },
    );
    let rows = render(&s, 80, 14);
    let timeline: Vec<&str> = rows
        .iter()
        .map(|r| r.split('│').nth(1).unwrap_or(""))
        .filter(|r| !r.is_empty())
        .collect();
    assert_eq!(
        timeline[timeline.len() - 5..],
        [
            "14:22 bob: the minutes",
            "      📎 minutes.pdf (2.9 KiB)",
            "      📎 agenda.txt (20 B)",
            "        ╭ bob: the minutes",
            "14:23 alice: thanks",
        ],
        "{rows:#?}"
    );
    assert!(
        rows[13].starts_with("[connected] alice · uploading notes.txt 30%"),
        "{rows:#?}"
    );
    // Stored: it goes out with its file, shown while it is on its way.
    rest(
        &mut s,
        RestResult::Uploaded {
            job: 1,
            file: Box::new(file(52, "notes.txt", 100)),
        },
    );
    let rows = render(&s, 80, 14);
    let text = rows.join("\n");
    assert!(text.contains("      📎 notes.txt (100 B)"), "{text}");
    assert!(!text.contains("uploading"), "{text}");
}

#[test]
fn the_room_browser_lists_public_rooms_and_marks_mine() {
    let mut s = logged_in();
    type_line(&mut s, "/list");
    let mut ops = room(7, "ops", 3, 0);
    ops.topic = "on call rota".into();
    rest(
        &mut s,
        RestResult::PublicRooms {
            complete: false,
            rooms: vec![ops, room(1, "general", 10, 0)],
        },
    );
    let rows = render(&s, 80, 12);
    let text = rows.join("\n");
    assert!(
        text.contains("public rooms (↑↓, Enter joins, Esc closes)"),
        "{text}"
    );
    let general = rows.iter().position(|r| r.contains("#general (joined)"));
    let ops = rows.iter().position(|r| r.contains("#ops — on call rota"));
    assert!(general.is_some() && ops.is_some(), "{text}");
    assert_eq!(ops.unwrap(), general.unwrap() + 1, "by name: {text}");
    // Nothing public yet says what to do instead.
    key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    type_line(&mut s, "/list");
    rest(
        &mut s,
        RestResult::PublicRooms {
            complete: false,
            rooms: Vec::new(),
        },
    );
    let text = render(&s, 80, 12).join("\n");
    assert!(
        text.contains("no public rooms yet: /create NAME makes one"),
        "{text}"
    );
}

#[test]
fn a_private_room_is_marked_in_the_list_and_its_title() {
    let mut s = logged_in();
    let mut secret = room(3, "secret", 1, 0);
    secret.visibility = chat_wire::Visibility::Private;
    secret.topic = "shh".into();
    rest(&mut s, RestResult::Rooms(vec![secret]));
    key(&mut s, KeyCode::Char('p'), KeyModifiers::CONTROL);
    let rows = render(&s, 80, 12);
    assert_eq!(rows[0], " #secret (private) — shh", "{rows:#?}");
    assert!(
        rows.iter().any(|r| r.starts_with(" #secret 🔒")),
        "{rows:#?}"
    );
    assert!(
        rows.iter().any(|r| r.starts_with(" #general ")),
        "{rows:#?}"
    );
}

#[test]
fn the_sign_up_form_shows_the_rules_and_a_second_password() {
    let (mut s, _) = State::new("http://chat.example", None, Default::default(), "n");
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    type_line(&mut s, "carol");
    type_line(&mut s, "a long password");
    for c in "a long".chars() {
        key(&mut s, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let text = render(&s, 80, 24).join("\n");
    assert!(text.contains("create an account"), "{text}");
    assert!(text.contains("Password: ***************"), "{text}");
    assert!(text.contains("Again:    ******"), "{text}");
    assert!(
        text.contains("Passwords: at least 8 characters; the most common ones are refused."),
        "{text}"
    );
    // Logging in needs neither.
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    let text = render(&s, 80, 24).join("\n");
    assert!(
        !text.contains("Again:") && !text.contains("Passwords:"),
        "{text}"
    );
}

#[test]
fn help_fits_120_columns_without_cutting_a_line() {
    let mut s = logged_in();
    newest_page(&mut s, 1, Vec::new());
    key(&mut s, KeyCode::F(1), KeyModifiers::NONE);
    let mut seen = String::new();
    for _ in 0..12 {
        let rows = render(&s, 120, 40);
        for r in &rows {
            assert!(!r.contains('…'), "cut: {r}");
        }
        seen.push_str(&rows.join("\n"));
        key(&mut s, KeyCode::PageDown, KeyModifiers::NONE);
    }
    for row in [
        "line up / history; on an empty line: edit your last message",
        "type a command for it (/react, /pin, /history, /report)",
        "/list                     public rooms; Enter joins one",
        "/upload PATH              send a file here",
        "/open [N]                 save an attachment (of the selected or the last message)",
        "  o                       save its first attachment (/open N: another)",
    ] {
        assert!(seen.contains(row), "{row} is missing from the help");
    }
}
