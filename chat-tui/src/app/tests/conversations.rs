//! Reactions, pins, edit history and mentions.

use chat_wire::Reaction;
use chat_wire::api::Revision;
use chat_wire::ws::ClientFrame;
use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::*;
use crate::net::{NetEvent, RestCall, RestResult};
use crate::strings;
use crate::testutil::*;

const NONE: KeyModifiers = KeyModifiers::NONE;

fn select_newest(s: &mut State) {
    key(s, KeyCode::Char('s'), KeyModifiers::ALT);
    assert!(matches!(s.overlay, Overlay::Select(_)));
}

#[test]
fn a_reaction_goes_to_the_selected_message_and_a_second_one_takes_it_back() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "bob", "first")));
    net(&mut s, created(msg(1, 12, "bob", "second")));
    select_newest(&mut s);
    key(&mut s, KeyCode::Up, NONE);
    // `+` starts the command with the selection as its target.
    key(&mut s, KeyCode::Char('+'), KeyModifiers::SHIFT);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.editor.text(), "/react ");
    assert_eq!(s.compose, Compose::Acting { room: 1, id: 1101 });
    let fx = type_line(&mut s, "👍");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::React {
            room: 1,
            id: 1101,
            emoji: "👍".into(),
            add: true,
        })]
    );
    assert_eq!(s.compose, Compose::Plain, "the target is used once");
    // Without a selection: the newest message; mine already, so removed.
    let mut now = msg(1, 12, "bob", "second");
    now.reactions = vec![Reaction {
        emoji: ":tada:".into(),
        count: 1,
        user_ids: vec![1],
    }];
    s.room_mut(1).unwrap().replace(now);
    let fx = type_line(&mut s, "/react :tada:");
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::React {
            room: 1,
            id: 1201,
            emoji: ":tada:".into(),
            add: false,
        })]
    );
    assert!(type_line(&mut s, "/react").is_empty());
    assert_eq!(s.notice.as_deref(), Some("usage: /react EMOJI"));
    // A plain line after starting a command on a message is just sent.
    select_newest(&mut s);
    key(&mut s, KeyCode::Char('/'), NONE);
    key(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    let fx = type_line(&mut s, "never mind");
    assert!(matches!(
        fx.as_slice(),
        [Effect::Ws(ClientFrame::Send { body, .. })] if body == "never mind"
    ));
}

#[test]
fn pins_toggle_from_the_selection_and_list_in_an_overlay() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "bob", "the rules")));
    select_newest(&mut s);
    let fx = key(&mut s, KeyCode::Char('p'), NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::Pin {
            room: 1,
            id: 1101,
            pin: true
        })]
    );
    assert_eq!(s.overlay, Overlay::Select(11), "the selection stays");
    let mut pinned = msg(1, 11, "bob", "the rules");
    pinned.pinned = true;
    s.room_mut(1).unwrap().replace(pinned.clone());
    let fx = key(&mut s, KeyCode::Char('p'), NONE);
    assert!(matches!(
        fx[..],
        [Effect::Rest(RestCall::Pin { pin: false, .. })]
    ));
    key(&mut s, KeyCode::Esc, NONE);
    assert!(matches!(
        type_line(&mut s, "/unpin")[..],
        [Effect::Rest(RestCall::Pin {
            id: 1101,
            pin: false,
            ..
        })]
    ));

    assert_eq!(
        type_line(&mut s, "/pins"),
        vec![Effect::Rest(RestCall::Pins(1))]
    );
    let older = msg(1, 3, "bob", "not loaded");
    net(
        &mut s,
        NetEvent::Rest(RestResult::Pins {
            room: 1,
            messages: vec![pinned, older],
        }),
    );
    assert!(matches!(s.overlay, Overlay::Pins { selected: 0, .. }));
    // Enter selects a pinned message that is loaded.
    key(&mut s, KeyCode::Enter, NONE);
    assert_eq!(s.overlay, Overlay::Select(11));
    key(&mut s, KeyCode::Esc, NONE);
    type_line(&mut s, "/pins");
    net(
        &mut s,
        NetEvent::Rest(RestResult::Pins {
            room: 1,
            messages: vec![msg(1, 11, "bob", "the rules")],
        }),
    );
    // `u` unpins the selected one and drops it from the list.
    let fx = key(&mut s, KeyCode::Char('u'), NONE);
    assert!(matches!(
        fx[..],
        [Effect::Rest(RestCall::Pin {
            id: 1101,
            pin: false,
            ..
        })]
    ));
    assert!(matches!(&s.overlay, Overlay::Pins { messages, .. } if messages.is_empty()));
    key(&mut s, KeyCode::Esc, NONE);
    assert_eq!(s.overlay, Overlay::None);
    // Pins of a room we left meanwhile are not shown.
    net(
        &mut s,
        NetEvent::Rest(RestResult::Pins {
            room: 2,
            messages: Vec::new(),
        }),
    );
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn history_shows_the_earlier_texts_of_an_edited_message() {
    let mut s = logged_in();
    net(&mut s, created(msg(1, 11, "bob", "plain")));
    assert!(type_line(&mut s, "/history").is_empty());
    assert_eq!(s.notice.as_deref(), Some(strings::NOT_EDITED));
    let mut edited = msg(1, 12, "bob", "fixed");
    edited.edited_at = Some(edited.created_at);
    net(&mut s, created(edited.clone()));
    select_newest(&mut s);
    key(&mut s, KeyCode::Up, NONE);
    assert!(
        key(&mut s, KeyCode::Char('h'), NONE).is_empty(),
        "not edited"
    );
    key(&mut s, KeyCode::Down, NONE);
    let fx = key(&mut s, KeyCode::Char('h'), NONE);
    assert_eq!(
        fx,
        vec![Effect::Rest(RestCall::History { room: 1, id: 1201 })]
    );
    let revisions = vec![Revision {
        body: "fxied".into(),
        edited_at: edited.created_at,
    }];
    net(
        &mut s,
        NetEvent::Rest(RestResult::History {
            room: 1,
            id: 1201,
            revisions: revisions.clone(),
        }),
    );
    assert_eq!(
        s.overlay,
        Overlay::History {
            room: 1,
            id: 1201,
            revisions
        }
    );
    key(&mut s, KeyCode::Esc, NONE);
    assert_eq!(s.overlay, Overlay::None);
    // Without a selection, /history takes the newest edited message.
    net(&mut s, created(msg(1, 13, "bob", "later")));
    assert_eq!(
        type_line(&mut s, "/history"),
        vec![Effect::Rest(RestCall::History { room: 1, id: 1201 })]
    );
}

#[test]
fn mentions_follow_the_server_and_room_mentions_count() {
    let mut s = logged_in();
    // The server counted 3 mentions in #random: a page counts no more.
    let mut random = room(2, "random", 5, 2);
    random.mention_count = Some(3);
    net(&mut s, NetEvent::Rest(RestResult::Rooms(vec![random])));
    assert_eq!(s.room(2).unwrap().mentions, 3);
    newest_page(&mut s, 2, vec![msg(2, 4, "bob", "@alice look")]);
    assert_eq!(s.room(2).unwrap().mentions, 3);
    // Live: the server's mention list, or @room.
    assert_eq!(
        net(&mut s, created(msg(2, 6, "bob", "@room hi"))),
        vec![Effect::Bell]
    );
    let mut named = msg(2, 7, "bob", "hey you");
    named.mentions = vec![1];
    net(&mut s, created(named));
    // A name in text the server did not count (not a member) is nothing.
    let mut stranger = msg(2, 8, "bob", "hi @alice");
    stranger.mentions.clear();
    net(&mut s, created(stranger));
    assert_eq!(s.room(2).unwrap().mentions, 5);
    // Opening the room reads them.
    key(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert_eq!(s.room(2).unwrap().mentions, 0);
}
