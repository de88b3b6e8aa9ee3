//! Presence: who is online comes whole with `ready`, then changes by
//! `presence` frames.

use std::time::Duration;

use chat_wire::ws::{Incoming, PresenceStatus, ServerFrame};

use crate::app::*;
use crate::net::{NetEvent, WsStatus};
use crate::testutil::*;

fn presence(state: &mut State, name: &str, status: PresenceStatus) {
    let frame = ServerFrame::Presence {
        user: user_ref(3, name),
        status,
    };
    net(state, NetEvent::Frame(Incoming::Control(frame)));
}

/// The usernames marked online, sorted.
fn online(state: &State) -> Vec<&str> {
    let mut names: Vec<&str> = state
        .online
        .iter()
        .filter(|(_, on)| **on)
        .map(|(name, _)| name.as_str())
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn ready_marks_who_is_online_and_forgets_what_it_knew_before_a_reconnect() {
    let mut s = logged_in();
    assert!(online(&s).is_empty());
    presence(&mut s, "carol", PresenceStatus::Online);
    presence(&mut s, "dave", PresenceStatus::Online);
    assert_eq!(online(&s), ["carol", "dave"]);
    // The link drops; carol leaves and bob arrives while we are away, and
    // neither presence frame reaches us.
    net(
        &mut s,
        NetEvent::Ws(WsStatus::Down {
            retry_in: Duration::from_secs(1),
            reason: "gone".into(),
        }),
    );
    ready_with_online(&mut s, vec![user_ref(2, "bob"), user_ref(4, "dave")]);
    assert_eq!(s.conn, Conn::Connected);
    assert_eq!(
        online(&s),
        ["bob", "dave"],
        "carol's stale presence is gone"
    );
    // Later changes still come as presence frames.
    presence(&mut s, "bob", PresenceStatus::Offline);
    assert_eq!(online(&s), ["dave"]);
}
