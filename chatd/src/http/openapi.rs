//! The OpenAPI document, generated from the handlers' annotations and the
//! wire types, so it cannot drift from the code. A test walks it and calls
//! every path it lists.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::{
    about, accounts, conversations, files, messages, moderation, ops, people, reports, rooms,
    threads, ws,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chat",
        description = "chatd's REST API. Every error is `{\"error\": {\"code\", \"message\"}}` \
                       with a fitting HTTP status; authenticated calls carry `Authorization: Bearer <token>` \
                       or, from the web client, the `chat_session` cookie (`POST /api/v1/auth/session`), \
                       which only this server's own pages may use (a same-origin `Origin`)."
    ),
    paths(
        accounts::register, accounts::login, accounts::logout, accounts::open_session,
        accounts::end_session, accounts::get_me, about::server_info,
        accounts::update_me, accounts::change_password, accounts::get_user,
        rooms::create_room, rooms::list_rooms, rooms::list_public_rooms, rooms::get_room,
        rooms::update_room, rooms::join_room, rooms::leave_room, rooms::add_member,
        rooms::list_members, rooms::open_direct, rooms::set_room_avatar, rooms::clear_room_avatar,
        messages::send_message, messages::list_messages, messages::get_message,
        messages::edit_message,
        messages::delete_message, messages::list_events, messages::mark_read, messages::search,
        conversations::add_reaction, conversations::remove_reaction,
        conversations::message_history, conversations::pin_message, conversations::unpin_message,
        conversations::list_pins,
        threads::list_thread_messages, threads::mark_thread_read, threads::list_threads,
        threads::list_mentions,
        people::directory, people::list_sessions, people::end_session,
        people::block_user, people::unblock_user, people::list_blocks,
        people::set_my_avatar, people::clear_my_avatar,
        reports::create_report, reports::list_reports, reports::resolve_report,
        moderation::remove_member, moderation::set_role, moderation::ban, moderation::unban,
        moderation::list_bans,
        files::upload, files::download, files::thumbnail,
        ws::upgrade,
        ops::healthz, ops::readyz, ops::metrics, ops::openapi,
    ),
    modifiers(&BearerAuth, &StandardErrors),
    tags(
        (name = "accounts", description = "Registration, sessions and profiles"),
        (name = "rooms", description = "Rooms, members and direct conversations"),
        (name = "messages", description = "Messages, the room event log, read markers, search"),
        (name = "moderation", description = "Reports of messages to the server's admins"),
        (name = "files", description = "Uploads, downloads and thumbnails (attachments and avatars)"),
        (name = "gateway", description = "The WebSocket gateway (frames in docs/protocol.md)"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The web client's session, in place of the header on every call.
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::browser::COOKIE,
                "The web client's HttpOnly session cookie; only requests from this \
                 server's own pages may use it",
            ))),
        );
    }
}

/// The error answers any operation can give besides its own, added to
/// every operation they apply to so clients (and schemathesis) see every
/// status chatd may send: 400 for a malformed body or query, 401 without a
/// valid token, 404 for a path id that names nothing, 413 and 415 for an
/// oversized or non-JSON body, 429 where a rate limit applies, 503 while
/// PostgreSQL is unreachable.
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let uses_database = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
            for (op, method) in [
                (&mut item.get, "get"),
                (&mut item.post, "post"),
                (&mut item.put, "put"),
                (&mut item.patch, "patch"),
                (&mut item.delete, "delete"),
            ] {
                let Some(op) = op else { continue };
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
                let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
                let has_body = op.request_body.is_some();
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let wanted = [
                    ("400", has_body || has_query, "Malformed request"),
                    ("401", secured, "Missing, invalid or expired token"),
                    (
                        "404",
                        has_path,
                        "No such object (or not visible to the caller)",
                    ),
                    ("413", has_body, "Request body too large"),
                    ("415", has_body, "Request body is not application/json"),
                    (
                        "429",
                        rate_limited(path, method),
                        "Rate limited; retry after Retry-After seconds",
                    ),
                    (
                        "503",
                        uses_database,
                        "The database is unavailable; retry later",
                    ),
                ];
                for (status, applies, description) in wanted {
                    if applies && !op.responses.responses.contains_key(status) {
                        op.responses
                            .responses
                            .insert(status.to_owned(), error_response(description));
                    }
                }
            }
        }
    }
}

/// The calls a rate limit guards (see ratelimit.rs): logins, sign-ups,
/// sends, and every change that spends the per-user write budget.
fn rate_limited(path: &str, method: &str) -> bool {
    match method {
        "post" => matches!(
            path,
            "/api/v1/auth/login"
                | "/api/v1/auth/session"
                | "/api/v1/auth/register"
                | "/api/v1/rooms/{room_id}/messages"
                | "/api/v1/rooms"
                | "/api/v1/rooms/{room_id}/join"
                | "/api/v1/rooms/{room_id}/leave"
                | "/api/v1/rooms/{room_id}/members"
                | "/api/v1/dms"
                | "/api/v1/files"
                | "/api/v1/reports/{report_id}/resolve"
        ),
        // Room changes, members, bans, messages, reactions and pins.
        "put" | "patch" | "delete" => path.starts_with("/api/v1/rooms/{room_id}"),
        _ => false,
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
