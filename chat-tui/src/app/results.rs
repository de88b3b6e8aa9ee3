//! Answers to REST calls: each updates the state, and some start more.

use super::events::{remove_room, upsert_room};
use super::{
    Effect, Overlay, Screen, State, actions, browse, chat, compose, files, login, names, people,
    select, thread,
};
use crate::net::{RestCall, RestResult};
use crate::strings;

/// Applies the answer to one REST call.
pub fn on_rest(state: &mut State, r: RestResult) -> Vec<Effect> {
    match r {
        RestResult::LoggedIn { token, user } => {
            state.login.busy = false;
            state.login.password.take();
            state.login.confirm.take();
            state.me = Some(user);
            let mut fx = state.start_session(token);
            fx.insert(0, Effect::SaveSession);
            fx
        }
        RestResult::Server { registration_open } => {
            login::on_registration(state, registration_open);
            Vec::new()
        }
        RestResult::Me(user) => {
            names::learn_user(state, &user);
            state.me = Some(user);
            Vec::new()
        }
        RestResult::Rooms(rooms) => {
            for room in rooms {
                upsert_room(state, room);
            }
            // Rooms with unread messages get their newest page now: opening
            // them is instant, and their mentions can be counted.
            let mut fx: Vec<Effect> = state
                .rooms
                .iter_mut()
                .filter(|r| r.unread > 0 && !r.loaded && !r.loading)
                .map(|r| {
                    r.loading = true;
                    Effect::Rest(RestCall::Page {
                        room: r.room.id,
                        before: None,
                    })
                })
                .collect();
            if state.active.is_none()
                && let Some(first) = state.rooms.first().map(|r| r.room.id)
            {
                fx.extend(chat::switch_to(state, first));
                return fx;
            }
            fx.extend(chat::mark_read(state));
            fx
        }
        RestResult::Room {
            room,
            focus,
            then_send,
        } => {
            let id = room.id;
            // A room whose first news was my own member.joined: unless I
            // asked for it, someone added me, and I should hear about it.
            let asked = focus || state.awaits_focus(&room.name);
            let added = state.room(id).is_some_and(|r| r.announce) && !asked;
            // Only the room of the latest /join, /create or /msg takes the
            // focus: answers can arrive out of order.
            let focus = focus && state.take_focus(&room.name);
            upsert_room(state, room);
            if let Some(r) = state.room_mut(id) {
                r.announce = false;
                if added {
                    let label = r.label();
                    let direct = r.is_direct();
                    state.notice = Some(strings::added_to(&label, direct));
                }
            }
            let mut fx = Vec::new();
            if focus || state.active.is_none() {
                fx = chat::switch_to(state, id);
            }
            if let Some(body) = then_send {
                fx.extend(compose::send_message(state, id, body, None, None));
            }
            fx
        }
        RestResult::Page { room, messages, .. } => {
            let (id, me) = (state.my_id(), state.my_name().to_owned());
            if let Some(r) = state.room_mut(room) {
                r.merge_page(messages, id, &me);
            }
            let mut fx = chat::mark_read(state);
            fx.extend(chat::prefetch(state));
            fx.extend(select::continue_jump(state, room));
            fx
        }
        RestResult::Left(id) => {
            remove_room(state, id);
            Vec::new()
        }
        RestResult::Searched { q, messages } => {
            state.overlay = Overlay::Search {
                q,
                results: messages,
                selected: 0,
            };
            Vec::new()
        }
        RestResult::Members { room, members } => {
            for u in &members {
                names::learn(state, u);
            }
            if let Some(r) = state.room_mut(room) {
                r.members = members.into_iter().map(|u| u.username).collect();
            }
            Vec::new()
        }
        RestResult::PublicRooms { complete, rooms } => browse::on_rooms(state, complete, rooms),
        RestResult::Renamed(user) => {
            state.notice = Some(strings::renamed(&user.display_name));
            names::learn_user(state, &user);
            state.me = Some(user);
            Vec::new()
        }
        RestResult::UploadProgress { job, sent, total } => {
            files::on_progress(state, job, sent, total);
            Vec::new()
        }
        RestResult::Uploaded { job, file } => files::on_uploaded(state, job, *file),
        RestResult::UploadFailed { job, message } => {
            files::on_failed(state, job, &message);
            Vec::new()
        }
        RestResult::Saved { path } => {
            state.notice = Some(strings::saved_to(&path.display().to_string()));
            Vec::new()
        }
        RestResult::Pins { room, messages } => {
            actions::on_pins(state, room, messages);
            Vec::new()
        }
        RestResult::History {
            room,
            id,
            revisions,
        } => {
            actions::on_history(state, room, id, revisions);
            Vec::new()
        }
        RestResult::Thread {
            room,
            root,
            messages,
            has_more,
            ..
        } => thread::on_page(state, room, root, messages, has_more),
        RestResult::Users { q, complete, users } => people::on_users(state, q, complete, users),
        RestResult::Sessions(sessions) => {
            people::on_sessions(state, sessions);
            Vec::new()
        }
        RestResult::SessionEnded(id) => {
            people::on_session_ended(state, id);
            Vec::new()
        }
        RestResult::Done => Vec::new(),
        RestResult::Info(text) => {
            state.notice = Some(text);
            Vec::new()
        }
        RestResult::LoggedOut => Vec::new(),
        RestResult::Unauthorized => state.end_session(Some(strings::SESSION_ENDED)),
        // An older server, or none yet: the form keeps offering Ctrl+R and
        // the server's answer to registering says why it cannot.
        RestResult::Failed { what: "server", .. } => Vec::new(),
        RestResult::Failed { what, message } => {
            if state.screen == Screen::Login {
                state.login.busy = false;
                state.login.error = Some(message);
            } else {
                if what == "history" {
                    for r in &mut state.rooms {
                        r.loading = false;
                    }
                }
                state.notice = Some(format!("{what}: {message}"));
            }
            Vec::new()
        }
    }
}
