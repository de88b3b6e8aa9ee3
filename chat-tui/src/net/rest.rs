//! The REST client: one method per call of the pinned API, each turned
//! into a [`RestResult`] so errors become messages for the user.

use chat_wire::api::{
    CreateRoomRequest, EditMessageRequest, LoginRequest, LoginResponse, MembersResponse,
    MessagesResponse, ReadMarkerRequest, RegisterRequest, Registration, RoomResponse,
    RoomsResponse, ServerInfo, UpdateProfileRequest, UpdateRoomRequest, UserResponse,
    UsernameRequest,
};
use chat_wire::{ErrorBody, Visibility};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use super::{RestCall, RestResult};

/// Why a call failed.
pub(super) enum Failure {
    Unauthorized,
    Other(String),
}

pub(super) type Res<T> = Result<T, Failure>;

/// A REST client for one server.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
}

impl Rest {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`), trusting the
    /// roots in `tls` for an `https://` one.
    pub fn new(base: &str, tls: &std::sync::Arc<rustls::ClientConfig>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            // Names this client in the user's list of sessions.
            .user_agent(concat!("chat-tui/", env!("CARGO_PKG_VERSION")))
            .use_preconfigured_tls(rustls::ClientConfig::clone(tls))
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub(super) fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let r = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub(super) async fn send(&self, r: RequestBuilder) -> Res<reqwest::Response> {
        let res = r.send().await.map_err(|e| Failure::Other(describe(&e)))?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Failure::Unauthorized);
        }
        let text = match res.json::<ErrorBody>().await {
            Ok(body) => body.error.message,
            Err(_) => status.to_string(),
        };
        Err(Failure::Other(text))
    }

    pub(super) async fn json<T: DeserializeOwned>(&self, r: RequestBuilder) -> Res<T> {
        self.send(r)
            .await?
            .json()
            .await
            .map_err(|e| Failure::Other(e.to_string()))
    }

    /// Runs one call. Never panics; every failure is a result.
    pub async fn call(&self, token: Option<String>, call: RestCall) -> RestResult {
        let what = name(&call);
        match self.run(token.as_deref(), call).await {
            Ok(r) => r,
            Err(Failure::Unauthorized) if what == "login" => RestResult::Failed {
                what,
                message: "wrong username or password".into(),
            },
            Err(Failure::Unauthorized) => RestResult::Unauthorized,
            Err(Failure::Other(message)) => RestResult::Failed { what, message },
        }
    }

    async fn run(&self, t: Option<&str>, call: RestCall) -> Res<RestResult> {
        use Method as M;
        Ok(match call {
            RestCall::Login { username, password } => self.login(username, password).await?,
            RestCall::Register { username, password } => {
                let body = RegisterRequest {
                    username: username.clone(),
                    password: password.clone(),
                    display_name: None,
                };
                self.send(self.req(M::POST, "/auth/register", None).json(&body))
                    .await?;
                self.login(username, password).await?
            }
            RestCall::Server => {
                let info: ServerInfo = self.json(self.req(M::GET, "/server", None)).await?;
                RestResult::Server {
                    registration_open: info.registration == Registration::Open,
                }
            }
            RestCall::Me => RestResult::Me(
                self.json::<UserResponse>(self.req(M::GET, "/me", t))
                    .await?
                    .user,
            ),
            RestCall::Rooms => RestResult::Rooms(
                self.json::<RoomsResponse>(self.req(M::GET, "/rooms", t))
                    .await?
                    .rooms,
            ),
            RestCall::Room(id) => {
                let r: RoomResponse = self
                    .json(self.req(M::GET, &format!("/rooms/{id}"), t))
                    .await?;
                room(r, false, None)
            }
            RestCall::Page { room, before } => {
                let mut q = vec![("limit", "50".to_owned())];
                if let Some(b) = before {
                    q.push(("before", b.to_string()));
                }
                let path = format!("/rooms/{room}/messages");
                let r: MessagesResponse = self.json(self.req(M::GET, &path, t).query(&q)).await?;
                RestResult::Page {
                    room,
                    before,
                    messages: r.messages,
                }
            }
            RestCall::Read { room, seq } => {
                let path = format!("/rooms/{room}/read");
                self.send(self.req(M::POST, &path, t).json(&ReadMarkerRequest { seq }))
                    .await?;
                RestResult::Done
            }
            RestCall::JoinByName(name) => {
                let wanted = name.trim_start_matches('#');
                let list: RoomsResponse = self.json(self.req(M::GET, "/rooms/public", t)).await?;
                let Some(found) = list.rooms.iter().find(|r| r.name == wanted) else {
                    return Ok(RestResult::Info(format!("no public room named {wanted}")));
                };
                let path = format!("/rooms/{}/join", found.id);
                room(self.json(self.req(M::POST, &path, t)).await?, true, None)
            }
            RestCall::Join(id) => {
                let path = format!("/rooms/{id}/join");
                room(self.json(self.req(M::POST, &path, t)).await?, true, None)
            }
            RestCall::PublicRooms { complete } => {
                let list: RoomsResponse = self.json(self.req(M::GET, "/rooms/public", t)).await?;
                RestResult::PublicRooms {
                    complete,
                    rooms: list.rooms,
                }
            }
            RestCall::Create { name, private } => {
                let body = CreateRoomRequest {
                    name: name.trim_start_matches('#').to_owned(),
                    visibility: if private {
                        Visibility::Private
                    } else {
                        Visibility::Public
                    },
                    topic: None,
                };
                room(
                    self.json(self.req(M::POST, "/rooms", t).json(&body))
                        .await?,
                    true,
                    None,
                )
            }
            RestCall::Leave(id) => {
                self.send(self.req(M::POST, &format!("/rooms/{id}/leave"), t))
                    .await?;
                RestResult::Left(id)
            }
            RestCall::Invite { room, username } => {
                let path = format!("/rooms/{room}/members");
                let body = UsernameRequest {
                    username: username.clone(),
                };
                self.send(self.req(M::POST, &path, t).json(&body)).await?;
                RestResult::Info(format!("added {username}"))
            }
            RestCall::Dm {
                username,
                then_send,
            } => {
                let body = UsernameRequest { username };
                let r = self.json(self.req(M::POST, "/dms", t).json(&body)).await?;
                room(r, true, then_send)
            }
            RestCall::Edit { room, id, body } => {
                let path = format!("/rooms/{room}/messages/{id}");
                self.send(
                    self.req(M::PATCH, &path, t)
                        .json(&EditMessageRequest { body }),
                )
                .await?;
                RestResult::Done
            }
            RestCall::Delete { room, id } => {
                let path = format!("/rooms/{room}/messages/{id}");
                self.send(self.req(M::DELETE, &path, t)).await?;
                RestResult::Done
            }
            RestCall::Search { q } => {
                let r: MessagesResponse = self
                    .json(self.req(M::GET, "/search", t).query(&[("q", &q)]))
                    .await?;
                RestResult::Searched {
                    q,
                    messages: r.messages,
                }
            }
            RestCall::Nick(name) => {
                let body = UpdateProfileRequest {
                    display_name: Some(name),
                    bio: None,
                };
                let r: UserResponse = self.json(self.req(M::PATCH, "/me", t).json(&body)).await?;
                RestResult::Renamed(r.user)
            }
            RestCall::Topic { room: id, topic } => {
                let body = UpdateRoomRequest {
                    name: None,
                    topic: Some(topic),
                };
                let r = self.json(self.req(M::PATCH, &format!("/rooms/{id}"), t).json(&body));
                room(r.await?, false, None)
            }
            RestCall::Members(room) => {
                let path = format!("/rooms/{room}/members");
                let r: MembersResponse = self.json(self.req(M::GET, &path, t)).await?;
                let members = r.members.into_iter().map(|m| m.user).collect();
                RestResult::Members { room, members }
            }
            RestCall::Logout { token } => {
                self.send(self.req(M::POST, "/auth/logout", Some(&token)))
                    .await?;
                RestResult::LoggedOut
            }
            other => self.run_more(t, other).await?,
        })
    }

    async fn login(&self, username: String, password: String) -> Res<RestResult> {
        let body = LoginRequest { username, password };
        let r: LoginResponse = self
            .json(self.req(Method::POST, "/auth/login", None).json(&body))
            .await?;
        Ok(RestResult::LoggedIn {
            token: r.token,
            user: r.user,
        })
    }
}

fn room(r: RoomResponse, focus: bool, then_send: Option<String>) -> RestResult {
    RestResult::Room {
        room: r.room,
        focus,
        then_send,
    }
}

/// A short name for the call, used in error messages.
pub(super) fn name(call: &RestCall) -> &'static str {
    match call {
        RestCall::Login { .. } => "login",
        RestCall::Register { .. } => "register",
        RestCall::Server => "server",
        RestCall::Me => "profile",
        RestCall::Rooms | RestCall::Room(_) => "rooms",
        RestCall::Page { .. } => "history",
        RestCall::Read { .. } => "read marker",
        RestCall::JoinByName(_) | RestCall::Join(_) => "join",
        RestCall::PublicRooms { .. } => "public rooms",
        RestCall::Create { .. } => "create",
        RestCall::Leave(_) => "leave",
        RestCall::Invite { .. } => "invite",
        RestCall::Dm { .. } => "msg",
        RestCall::Edit { .. } => "edit",
        RestCall::Delete { .. } => "delete",
        RestCall::Search { .. } => "search",
        RestCall::Nick(_) => "nick",
        RestCall::Topic { .. } => "topic",
        RestCall::Members(_) => "members",
        RestCall::Logout { .. } => "logout",
        other => super::more::name(other),
    }
}

/// A network error in words a user understands, with the innermost cause
/// (a refused connection, an untrusted certificate) when there is one.
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        format!("cannot reach the server ({cause})")
    } else if e.is_timeout() {
        "the server did not answer in time".into()
    } else {
        e.to_string()
    }
}
