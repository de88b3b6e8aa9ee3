//! Tests of the pure update function, driven through `update` with the
//! messages the runtime would send.

mod conversations;
mod files;
mod first_hour;
mod input;
mod outbox;
mod people;
mod presence;
mod rooms;
mod threads;

use chat_wire::ws::ClientFrame;

use super::Effect;

/// The `send` frames among effects, as (client_id, body).
fn sent_frames(fx: &[Effect]) -> Vec<(String, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Ws(ClientFrame::Send {
                client_id, body, ..
            }) => Some((client_id.clone(), body.clone())),
            _ => None,
        })
        .collect()
}
