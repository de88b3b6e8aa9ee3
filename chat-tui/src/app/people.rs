//! People and moderation: `/people` (the directory), `/sessions`, and the
//! room and personal moderation commands (`/kick`, `/ban`, `/unban`,
//! `/role`, `/block`, `/unblock`). The server decides who may do what;
//! its refusals land in the status line like every failed call.

use chat_wire::api::Session;
use chat_wire::{MemberRole, User};
use crossterm::event::{KeyCode, KeyEvent};

use super::{Effect, Overlay, State, compose};
use crate::net::RestCall;
use crate::strings;

/// Runs `cmd` if it is one of these commands.
pub fn run(state: &mut State, cmd: &str, arg: &str) -> Option<Vec<Effect>> {
    let (user, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let username = user.trim_start_matches('@').to_owned();
    let rest = rest.trim();
    let room = state.active;
    let fx = match (cmd, room, username.is_empty()) {
        ("/people", _, _) if arg.is_empty() => usage(state, "/people PREFIX"),
        ("/people", _, _) => vec![Effect::Rest(RestCall::Users {
            q: arg.trim_start_matches('@').to_owned(),
            complete: false,
        })],
        ("/sessions", _, _) => vec![Effect::Rest(RestCall::Sessions)],
        ("/block" | "/unblock", _, true) => usage(state, &format!("{cmd} USER")),
        ("/block" | "/unblock", _, false) => vec![Effect::Rest(RestCall::Block {
            username,
            block: cmd == "/block",
        })],
        ("/kick" | "/ban" | "/unban" | "/role", None, _) => {
            state.notice = Some(strings::NO_ROOMS.into());
            Vec::new()
        }
        ("/kick", _, true) => usage(state, "/kick USER"),
        ("/kick", Some(room), false) => vec![Effect::Rest(RestCall::Kick { room, username })],
        ("/ban", _, true) => usage(state, "/ban USER [REASON]"),
        ("/ban", Some(room), false) => vec![Effect::Rest(RestCall::Ban {
            room,
            username,
            reason: (!rest.is_empty()).then(|| rest.to_owned()),
        })],
        ("/unban", _, true) => usage(state, "/unban USER"),
        ("/unban", Some(room), false) => vec![Effect::Rest(RestCall::Unban { room, username })],
        ("/role", Some(room), false) => match parse_role(rest) {
            Some(role) => vec![Effect::Rest(RestCall::Role {
                room,
                username,
                role,
            })],
            None => usage(state, "/role USER admin|member"),
        },
        ("/role", _, true) => usage(state, "/role USER admin|member"),
        _ => return None,
    };
    Some(fx)
}

fn usage(state: &mut State, what: &str) -> Vec<Effect> {
    state.notice = Some(format!("usage: {what}"));
    Vec::new()
}

fn parse_role(word: &str) -> Option<MemberRole> {
    match word.to_lowercase().as_str() {
        "admin" => Some(MemberRole::Admin),
        "member" => Some(MemberRole::Member),
        // Handing a room over is explicit: the server checks it.
        "owner" => Some(MemberRole::Owner),
        _ => None,
    }
}

/// Directory results: a list to pick from, or names for Tab completion.
pub fn on_users(state: &mut State, q: String, complete: bool, users: Vec<User>) -> Vec<Effect> {
    for u in &users {
        if !state.directory.contains(&u.username) {
            state.directory.push(u.username.clone());
        }
    }
    if complete {
        // Only if the user is still on the word that asked.
        let (_, word) = state.editor.current_word();
        if word
            .strip_prefix('@')
            .is_some_and(|w| w.eq_ignore_ascii_case(&q))
        {
            compose::complete_locally(state);
        }
    } else {
        state.overlay = Overlay::People {
            q,
            users,
            selected: 0,
        };
    }
    Vec::new()
}

/// My sessions arrived.
pub fn on_sessions(state: &mut State, sessions: Vec<Session>) {
    state.overlay = Overlay::Sessions {
        sessions,
        selected: 0,
    };
}

/// A session was ended: it leaves the list.
pub fn on_session_ended(state: &mut State, id: i64) {
    if let Overlay::Sessions { sessions, selected } = &mut state.overlay {
        sessions.retain(|s| s.id != id);
        *selected = (*selected).min(sessions.len().saturating_sub(1));
    }
    state.notice = Some(strings::SESSION_CLOSED.into());
}

/// A key while the people or sessions list is shown.
pub fn on_overlay_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    let (len, selected) = match &mut state.overlay {
        Overlay::People {
            users, selected, ..
        } => (users.len(), selected),
        Overlay::Sessions { sessions, selected } => (sessions.len(), selected),
        _ => return Vec::new(),
    };
    match key.code {
        KeyCode::Down => *selected = (*selected + 1).min(len.saturating_sub(1)),
        KeyCode::Up => *selected = selected.saturating_sub(1),
        _ => {}
    }
    match (&state.overlay, key.code) {
        (
            Overlay::People {
                users, selected, ..
            },
            KeyCode::Enter,
        ) => {
            let Some(username) = users.get(*selected).map(|u| u.username.clone()) else {
                return Vec::new();
            };
            state.overlay = Overlay::None;
            state.expect_focus(&username);
            vec![Effect::Rest(RestCall::Dm {
                username,
                then_send: None,
            })]
        }
        (Overlay::Sessions { sessions, selected }, KeyCode::Char('d') | KeyCode::Delete) => {
            match sessions.get(*selected) {
                Some(s) => vec![Effect::Rest(RestCall::EndSession(s.id))],
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}
