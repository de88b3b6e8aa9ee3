//! Display names as the server last told them. A message carries its
//! author's name as it was when it arrived; when a name is learnt to have
//! changed (my `/nick`, someone's new message, a member list), every
//! message of theirs we hold takes the new one, so old lines, quotes and
//! the typing line all name a person as they are named now.

use chat_wire::{User, UserRef};

use super::State;
use super::room::Item;

/// Learns the name of a message's author, a member, someone typing.
pub fn learn(state: &mut State, u: &UserRef) {
    set(state, &u.username, &u.display_name);
}

/// Learns the name of a full user (me, after `/nick` or at start).
pub fn learn_user(state: &mut State, u: &User) {
    set(state, &u.username, &u.display_name);
}

fn set(state: &mut State, username: &str, display: &str) {
    if state.names.get(username).map(String::as_str) == Some(display) {
        return;
    }
    state.names.insert(username.to_owned(), display.to_owned());
    let rename = |author: &mut UserRef| {
        if author.username == username {
            author.display_name = display.to_owned();
        }
    };
    for room in &mut state.rooms {
        for item in room.items.values_mut() {
            if let Item::Message(m) = item {
                rename(&mut m.author);
            }
        }
    }
    if let Some(t) = &mut state.thread {
        for m in t.replies.values_mut() {
            rename(&mut m.author);
        }
    }
}
