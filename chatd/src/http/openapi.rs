//! The OpenAPI document, generated from the handlers' annotations and the
//! wire types, so it cannot drift from the code. A test walks it and calls
//! every path it lists.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{accounts, messages, ops, rooms, ws};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chat",
        description = "chatd's REST API. Every error is `{\"error\": {\"code\", \"message\"}}` \
                       with a fitting HTTP status; authenticated calls carry `Authorization: Bearer <token>`."
    ),
    paths(
        accounts::register, accounts::login, accounts::logout, accounts::get_me,
        accounts::update_me, accounts::get_user,
        rooms::create_room, rooms::list_rooms, rooms::list_public_rooms, rooms::get_room,
        rooms::update_room, rooms::join_room, rooms::leave_room, rooms::add_member,
        rooms::list_members, rooms::open_direct,
        messages::send_message, messages::list_messages, messages::edit_message,
        messages::delete_message, messages::list_events, messages::mark_read, messages::search,
        ws::upgrade,
        ops::healthz, ops::readyz, ops::metrics, ops::openapi,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, sessions and profiles"),
        (name = "rooms", description = "Rooms, members and direct conversations"),
        (name = "messages", description = "Messages, the room event log, read markers, search"),
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
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
