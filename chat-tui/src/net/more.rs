//! The REST calls of conversations (reactions, pins, edit history,
//! threads) and of people and moderation (directory, sessions, kicks,
//! bans, roles, blocks, reports), kept apart from the core calls.

use chat_wire::api::{
    BanRequest, HistoryResponse, MessagesResponse, PinsResponse, ReadMarkerRequest,
    SessionsResponse, SetRoleRequest, UsersResponse,
};
use reqwest::Method as M;

use super::rest::{Failure, Res, Rest};
use super::{RestCall, RestResult};
use crate::strings;

/// Percent-encodes a path segment: an emoji, a `:short_name:` or a
/// username never changes the path's shape (`/`, `?`, `#`).
pub fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'+') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Rest {
    /// Runs a call [`Rest::call`] does not handle itself.
    pub(super) async fn run_more(&self, t: Option<&str>, call: RestCall) -> Res<RestResult> {
        Ok(match call {
            RestCall::React {
                room,
                id,
                emoji,
                add,
            } => {
                let path = format!("/rooms/{room}/messages/{id}/reactions/{}", segment(&emoji));
                let method = if add { M::PUT } else { M::DELETE };
                self.send(self.req(method, &path, t)).await?;
                RestResult::Done
            }
            RestCall::Pin { room, id, pin } => {
                let method = if pin { M::PUT } else { M::DELETE };
                self.send(self.req(method, &format!("/rooms/{room}/pins/{id}"), t))
                    .await?;
                RestResult::Done
            }
            RestCall::Pins(room) => {
                let path = format!("/rooms/{room}/pins");
                let r: PinsResponse = self.json(self.req(M::GET, &path, t)).await?;
                RestResult::Pins {
                    room,
                    messages: r.messages,
                }
            }
            RestCall::History { room, id } => {
                let path = format!("/rooms/{room}/messages/{id}/history");
                let r: HistoryResponse = self.json(self.req(M::GET, &path, t)).await?;
                RestResult::History {
                    room,
                    id,
                    revisions: r.revisions,
                }
            }
            RestCall::Thread { room, root, before } => {
                let mut q = vec![("limit", "50".to_owned())];
                if let Some(b) = before {
                    q.push(("before", b.to_string()));
                }
                let path = format!("/rooms/{room}/threads/{root}/messages");
                let r: MessagesResponse = self.json(self.req(M::GET, &path, t).query(&q)).await?;
                RestResult::Thread {
                    room,
                    root,
                    before,
                    messages: r.messages,
                    has_more: r.has_more,
                }
            }
            RestCall::ThreadRead { room, root, seq } => {
                let path = format!("/rooms/{room}/threads/{root}/read");
                self.send(self.req(M::POST, &path, t).json(&ReadMarkerRequest { seq }))
                    .await?;
                RestResult::Done
            }
            RestCall::Users { q, complete } => {
                let query = [("q", q.as_str()), ("limit", "20")];
                let r: UsersResponse = self
                    .json(self.req(M::GET, "/users", t).query(&query))
                    .await?;
                RestResult::Users {
                    q,
                    complete,
                    users: r.users,
                }
            }
            RestCall::Sessions => {
                let r: SessionsResponse = self.json(self.req(M::GET, "/me/sessions", t)).await?;
                RestResult::Sessions(r.sessions)
            }
            RestCall::EndSession(id) => {
                self.send(self.req(M::DELETE, &format!("/me/sessions/{id}"), t))
                    .await?;
                RestResult::SessionEnded(id)
            }
            RestCall::Kick { room, username } => {
                let path = format!("/rooms/{room}/members/{}", segment(&username));
                self.send(self.req(M::DELETE, &path, t)).await?;
                RestResult::Info(strings::done_to("removed from the room", &username))
            }
            RestCall::Ban {
                room,
                username,
                reason,
            } => {
                let path = format!("/rooms/{room}/bans/{}", segment(&username));
                let body = BanRequest { reason };
                self.send(self.req(M::PUT, &path, t).json(&body)).await?;
                RestResult::Info(strings::done_to("banned from the room", &username))
            }
            RestCall::Unban { room, username } => {
                let path = format!("/rooms/{room}/bans/{}", segment(&username));
                self.send(self.req(M::DELETE, &path, t)).await?;
                RestResult::Info(strings::done_to("ban lifted", &username))
            }
            RestCall::Role {
                room,
                username,
                role,
            } => {
                let path = format!("/rooms/{room}/members/{}", segment(&username));
                let body = SetRoleRequest { role };
                self.send(self.req(M::PATCH, &path, t).json(&body)).await?;
                // The member.updated event tells the room; this is the echo.
                RestResult::Done
            }
            RestCall::Block { username, block } => {
                let path = format!("/me/blocks/{}", segment(&username));
                let method = if block { M::PUT } else { M::DELETE };
                self.send(self.req(method, &path, t)).await?;
                let what = if block { "blocked" } else { "unblocked" };
                RestResult::Info(strings::done_to(what, &username))
            }
            RestCall::Report { id, reason } => {
                let body = serde_json::json!({"message_id": id, "reason": reason});
                self.send(self.req(M::POST, "/reports", t).json(&body))
                    .await?;
                RestResult::Info(strings::REPORTED.into())
            }
            // Rest::call runs the core calls itself and never sends them here.
            other => {
                let what = super::rest::name(&other);
                return Err(Failure::Other(format!("{what}: not a call of this module")));
            }
        })
    }
}

/// A short name for the call, used in error messages.
pub fn name(call: &RestCall) -> &'static str {
    match call {
        RestCall::React { .. } => "react",
        RestCall::Pin { pin: true, .. } => "pin",
        RestCall::Pin { pin: false, .. } => "unpin",
        RestCall::Pins(_) => "pins",
        RestCall::History { .. } => "edit history",
        RestCall::Thread { .. } | RestCall::ThreadRead { .. } => "thread",
        RestCall::Users { .. } => "people",
        RestCall::Sessions | RestCall::EndSession(_) => "sessions",
        RestCall::Kick { .. } => "kick",
        RestCall::Ban { .. } => "ban",
        RestCall::Unban { .. } => "unban",
        RestCall::Role { .. } => "role",
        RestCall::Block { block: true, .. } => "block",
        RestCall::Block { block: false, .. } => "unblock",
        RestCall::Report { .. } => "report",
        _ => "request",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_keep_the_path_shape() {
        assert_eq!(super::segment(":tada:"), ":tada:");
        assert_eq!(super::segment("👍"), "%F0%9F%91%8D");
        assert_eq!(super::segment("a/b?c#"), "a%2Fb%3Fc%23");
    }
}
