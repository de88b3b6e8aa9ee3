//! Slash commands: `/join`, `/msg`, `/edit` and friends.

use super::{Compose, Effect, Overlay, State, actions, browse, compose, files, people};
use crate::net::RestCall;
use crate::strings;

/// Runs a command line (it starts with `/`).
pub fn run(state: &mut State, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let arg = arg.trim();
    // A command started on a selected message acts on it, once.
    let target = match state.compose {
        Compose::Acting { room, id } => {
            state.compose = Compose::Plain;
            Some((room, id))
        }
        _ => None,
    };
    if let Some(fx) = actions::run(state, cmd, arg, target) {
        return fx;
    }
    if let Some(fx) = people::run(state, cmd, arg) {
        return fx;
    }
    if let Some(fx) = files::run(state, cmd, arg, target) {
        return fx;
    }
    let room = state.active;
    let me = state.my_name().to_owned();
    let need = |state: &mut State, what: &str| {
        state.notice = Some(format!("usage: {what}"));
        Vec::new()
    };
    match (cmd, room) {
        ("/quit", _) => {
            state.request_quit();
            Vec::new()
        }
        ("/help", _) => {
            state.overlay = Overlay::Help(0);
            Vec::new()
        }
        ("/logout", _) => {
            // Forget the session here and now, even offline; revoking it on
            // the server follows in the background.
            let token = state.token.clone();
            let mut fx = state.end_session(None);
            if let Some(token) = token {
                fx.insert(0, Effect::Rest(RestCall::Logout { token }));
            }
            fx
        }
        ("/join", _) if !arg.is_empty() => {
            state.expect_focus(arg);
            vec![Effect::Rest(RestCall::JoinByName(arg.into()))]
        }
        ("/join", _) => need(state, "/join NAME"),
        ("/list", _) => browse::list(),
        ("/create", _) if !arg.is_empty() => {
            let mut words = arg.split_whitespace();
            let name = words.next().unwrap_or_default().to_owned();
            let private = words.next() == Some("private");
            state.expect_focus(&name);
            vec![Effect::Rest(RestCall::Create { name, private })]
        }
        ("/create", _) => need(state, "/create NAME [private]"),
        ("/msg", _) if !arg.is_empty() => {
            let (user, text) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
            let then_send = (!text.trim().is_empty()).then(|| text.trim().to_owned());
            let username = user.trim_start_matches('@').to_owned();
            state.expect_focus(&username);
            vec![Effect::Rest(RestCall::Dm {
                username,
                then_send,
            })]
        }
        ("/msg", _) => need(state, "/msg USER [TEXT]"),
        ("/nick", _) if !arg.is_empty() => vec![Effect::Rest(RestCall::Nick(arg.into()))],
        ("/nick", _) => need(state, "/nick NAME"),
        ("/search", _) if !arg.is_empty() => vec![Effect::Rest(RestCall::Search { q: arg.into() })],
        ("/search", _) => need(state, "/search WORDS"),
        (_, None) => {
            state.notice = Some(strings::NO_ROOMS.into());
            Vec::new()
        }
        ("/leave", Some(r)) => vec![Effect::Rest(RestCall::Leave(r))],
        ("/invite", Some(r)) if !arg.is_empty() => {
            let username = arg.trim_start_matches('@').to_owned();
            vec![Effect::Rest(RestCall::Invite { room: r, username })]
        }
        ("/invite", _) => need(state, "/invite USER"),
        ("/me", Some(r)) if !arg.is_empty() => {
            compose::send_message(state, r, format!("/me {arg}"), None, None)
        }
        ("/me", _) => need(state, "/me ACTION"),
        ("/topic", Some(r)) if arg.is_empty() => {
            let topic = state
                .room(r)
                .map(|rs| rs.room.topic.clone())
                .unwrap_or_default();
            state.notice = Some(format!("topic: {topic}"));
            Vec::new()
        }
        ("/topic", Some(r)) => vec![Effect::Rest(RestCall::Topic {
            room: r,
            topic: arg.into(),
        })],
        ("/edit", Some(r)) => {
            let last = state
                .room(r)
                .and_then(|rs| rs.last_where(|m| m.author.username == me))
                .map(|m| m.id);
            match (last, arg.is_empty()) {
                (Some(id), false) => vec![Effect::Rest(RestCall::Edit {
                    room: r,
                    id,
                    body: arg.into(),
                })],
                (Some(_), true) => {
                    compose::edit_last(state);
                    Vec::new()
                }
                (None, _) => {
                    state.notice = Some("nothing of yours to edit here".into());
                    Vec::new()
                }
            }
        }
        ("/delete", Some(r)) => {
            let last = state
                .room(r)
                .and_then(|rs| rs.last_where(|m| m.author.username == me))
                .map(|m| m.id);
            match last {
                Some(id) => vec![Effect::Rest(RestCall::Delete { room: r, id })],
                None => {
                    state.notice = Some("nothing of yours to delete here".into());
                    Vec::new()
                }
            }
        }
        ("/reply", Some(r)) => {
            // `/reply @bob ...` answers bob's last message; plain `/reply`
            // the last message of anyone else.
            let (who, text) = match arg.strip_prefix('@') {
                Some(rest) => {
                    let (name, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                    (Some(name.to_lowercase()), text.trim())
                }
                None => (None, arg),
            };
            let target = state
                .room(r)
                .and_then(|rs| {
                    rs.last_where(|m| match &who {
                        Some(name) => m.author.username == *name,
                        None => m.author.username != me,
                    })
                })
                .map(|m| m.id);
            let Some(id) = target else {
                state.notice = Some("nothing to reply to here".into());
                return Vec::new();
            };
            if text.is_empty() {
                state.compose = Compose::Replying { room: r, id };
                Vec::new()
            } else {
                compose::send_message(state, r, text.into(), Some(id), None)
            }
        }
        _ => {
            state.notice = Some(format!("unknown command {cmd}; F1 for help"));
            Vec::new()
        }
    }
}
