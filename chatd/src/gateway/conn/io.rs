//! Writing to a socket: frames, flushes with a deadline, close codes, and
//! error frames.

use std::time::Duration;

use chat_wire::ws::close;
use chat_wire::{ErrorCode, ErrorDetail};
use futures_util::SinkExt as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Socket;
use crate::error::ApiError;

/// A write that takes longer than this means the peer stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection's loop ended.
pub(super) enum End {
    Close(u16, &'static str),
    /// The peer went away; nothing more to send.
    Gone,
}

pub(super) async fn send_json<T: serde::Serialize>(
    socket: &mut Socket,
    value: &T,
) -> Result<(), End> {
    let text = serde_json::to_string(value).map_err(|_| End::Close(1011, "internal error"))?;
    send(socket, Message::Text(text.into())).await
}

pub(super) async fn send(socket: &mut Socket, message: Message) -> Result<(), End> {
    timed(socket.send(message)).await
}

/// A socket write that must finish within [`WRITE_TIMEOUT`].
pub(super) async fn timed(
    write: impl Future<Output = Result<(), tokio_tungstenite::tungstenite::Error>>,
) -> Result<(), End> {
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        // The peer stopped reading: give up on it.
        Err(_) => Err(End::Close(close::TOO_SLOW, reason_for(close::TOO_SLOW))),
    }
}

pub(super) async fn close_with(socket: &mut Socket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.close(Some(frame))).await;
}

pub(super) fn reason_for(code: u16) -> &'static str {
    match code {
        close::UNAUTHORIZED => "session ended; log in again",
        close::TOO_SLOW => "too slow to read events; reconnect and resume",
        close::GOING_AWAY => "server shutting down; reconnect and resume",
        close::TRY_AGAIN_LATER => "server unavailable; reconnect later and resume",
        _ => "closing",
    }
}

pub(super) fn end_for_error(error: &tokio_tungstenite::tungstenite::Error) -> End {
    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    match error {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            End::Close(close::TOO_BIG, "message too big")
        }
        Error::Utf8(_) => End::Close(close::INVALID_PAYLOAD, "text frames must be UTF-8"),
        Error::Protocol(_) => End::Close(close::PROTOCOL, "protocol error"),
        _ => End::Gone,
    }
}

pub(super) fn detail(code: ErrorCode, message: &str) -> ErrorDetail {
    ErrorDetail {
        code,
        message: message.to_owned(),
    }
}

pub(super) fn api_detail(error: ApiError) -> ErrorDetail {
    ErrorDetail {
        code: error.code,
        message: error.message.into_owned(),
    }
}
