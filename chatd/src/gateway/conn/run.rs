//! A connection's loop: client frames in, queued frames out, pings, and the
//! answers to `send`, `typing`, `resume` and `ping`.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Instant;

use chat_store::events;
use chat_wire::ws::{ClientFrame, ServerFrame, close};
use chat_wire::{ErrorCode, RoomId, Seq};
use futures_util::{SinkExt as _, StreamExt as _};
use governor::{Quota, RateLimiter};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::io::{End, api_detail, detail, end_for_error, reason_for, send, send_json, timed};
use super::{Conn, Pending};
use crate::service::messages::{self as service, NewMessage};

/// Events read per query when replaying.
const REPLAY_PAGE: i64 = 500;
/// Queued frames written per flush: under load, frames that piled up go
/// out in one write instead of one system call each.
const COALESCE: usize = 64;
/// Sends one connection may have in flight; beyond it the connection stops
/// reading frames until an answer goes out (TCP then slows the client).
pub const SENDS_IN_FLIGHT: usize = 256;

impl Conn {
    pub(super) async fn run(&mut self) -> End {
        let config = self.state.gateway.config.clone();
        let per_second = NonZeroU32::new(config.frames_per_second.max(1)).expect("non-zero");
        let limiter = RateLimiter::direct(
            Quota::per_second(per_second)
                .allow_burst(per_second.saturating_mul(NonZeroU32::new(2).expect("2"))),
        );
        let mut ping = tokio::time::interval(config.ping_interval);
        ping.reset();
        let mut heard = Instant::now();
        let grace = tokio::time::sleep(config.resume_grace);
        tokio::pin!(grace);
        let kill = self.kill.clone();
        loop {
            tokio::select! {
                biased;
                // Shutdown arrives this way too (`Hub::kill_all`).
                code = kill.fired() => return End::Close(code, reason_for(code)),
                frame = self.socket.next(), if self.acks.len() < SENDS_IN_FLIGHT => {
                    heard = Instant::now();
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(e)) => return end_for_error(&e),
                        None => return End::Gone,
                    };
                    if limiter.check().is_err() {
                        let err = error_frame(ErrorCode::RateLimited, "too many frames; slow down");
                        if self.write(&err).await.is_err() { return End::Gone; }
                        continue;
                    }
                    match frame {
                        Message::Text(text) => {
                            // Boxed: answering a frame (a send, a replay) needs far
                            // more state than waiting does, and an idle socket
                            // should not carry that room all its life.
                            if let Err(end) = Box::pin(self.handle(text.as_str())).await { return end; }
                            self.holding = false;
                        }
                        Message::Binary(_) => {
                            let err = error_frame(ErrorCode::InvalidRequest, "frames must be JSON text");
                            if self.write(&err).await.is_err() { return End::Gone; }
                        }
                        Message::Close(_) => return End::Gone,
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                Some(answer) = self.acks.next(), if !self.acks.is_empty() => {
                    // The message's own event is usually queued by now: the
                    // ack and the events go out in one write.
                    if let Err(end) = self.feed(&answer).await { return end; }
                    if let Err(end) = self.flush_queued().await { return end; }
                }
                () = &mut grace, if self.holding => self.holding = false,
                frame = self.rx.recv(), if !self.holding => {
                    let Some(frame) = frame else { return End::Close(close::TOO_SLOW, reason_for(close::TOO_SLOW)) };
                    if let Err(end) = self.feed_raw(frame).await { return end; }
                    if let Err(end) = self.flush_queued().await { return end; }
                }
                _ = ping.tick() => {
                    if heard.elapsed() > config.ping_interval * 2 {
                        return End::Close(close::GOING_AWAY, "no answer to pings");
                    }
                    if send(&mut self.socket, Message::Ping(Default::default())).await.is_err() { return End::Gone; }
                }
            }
        }
    }

    /// Answers one client frame.
    async fn handle(&mut self, text: &str) -> Result<(), End> {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(e) => {
                let err = error_frame(ErrorCode::InvalidRequest, &format!("unreadable frame: {e}"));
                return self.write(&err).await;
            }
        };
        match frame {
            ClientFrame::Ping => {
                // Whatever was queued for this socket before the ping goes
                // out before the pong, so a pong proves nothing else is
                // pending (clients and tests use it as a barrier): the
                // answers to earlier sends first, then queued events.
                while let Some(answer) = self.acks.next().await {
                    self.feed(&answer).await?;
                }
                if !self.holding {
                    while let Ok(frame) = self.rx.try_recv() {
                        self.feed_raw(frame).await?;
                    }
                }
                self.feed(&ServerFrame::Pong).await?;
                self.flush_queued().await
            }
            ClientFrame::Auth { .. } => {
                self.write(&error_frame(
                    ErrorCode::InvalidRequest,
                    "already authenticated",
                ))
                .await
            }
            ClientFrame::Send {
                room_id,
                body,
                client_id,
                reply_to,
                thread_root,
                attachments,
            } => {
                let new = NewMessage {
                    body: &body,
                    client_id: Some(&client_id),
                    reply_to,
                    thread_root,
                    attachments: &attachments,
                };
                // Handed to the writer now, in frame order; answered when
                // stored, in the same order.
                let answer: Pending = match service::prepare(&self.state, &self.me, room_id, new) {
                    Ok(draft) => match self.state.sends.enqueue(draft).await {
                        Ok(stored) => Box::pin(async move {
                            match stored.await {
                                Ok(sent) => ServerFrame::Ack {
                                    client_id,
                                    message: Box::new(sent.message),
                                },
                                Err(e) => refused(client_id, e.into()),
                            }
                        }),
                        Err(e) => Box::pin(std::future::ready(refused(client_id, e.into()))),
                    },
                    Err(e) => Box::pin(std::future::ready(refused(client_id, e))),
                };
                self.acks.push_back(answer);
                Ok(())
            }
            ClientFrame::Typing { room_id } => {
                if self.state.gateway.hub.live_from(self.id, room_id).is_none() {
                    return self
                        .write(&error_frame(ErrorCode::NotFound, "no such room"))
                        .await;
                }
                self.state.gateway.typing(room_id, &self.user);
                Ok(())
            }
            ClientFrame::Resume { rooms } => self.resume(rooms).await,
        }
    }

    /// Replays, per room, what was logged after the client's seq and up to
    /// where this connection's live stream starts (later events follow live).
    async fn resume(&mut self, rooms: BTreeMap<RoomId, Seq>) -> Result<(), End> {
        for (room_id, from) in rooms {
            let Some(upto) = self.state.gateway.hub.live_from(self.id, room_id) else {
                let message = format!("not a member of room {room_id}");
                self.write(&error_frame(ErrorCode::NotFound, &message))
                    .await?;
                continue;
            };
            if from < upto {
                self.replay(room_id, from.max(0), upto).await?;
            }
        }
        Ok(())
    }

    /// Sends logged events of a room with `after < seq <= upto`.
    async fn replay(&mut self, room_id: RoomId, mut after: Seq, upto: Seq) -> Result<(), End> {
        loop {
            let page = match self.state.pool.get().await {
                Ok(db) => events::list_after(&db, room_id, after, REPLAY_PAGE).await,
                Err(e) => Err(e.into()),
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "replay failed; closing so the client resumes");
                    let code = close::TRY_AGAIN_LATER;
                    return Err(End::Close(code, reason_for(code)));
                }
            };
            let full = page.len() as i64 == REPLAY_PAGE;
            for event in page {
                if event.seq > upto {
                    return Ok(());
                }
                after = event.seq;
                self.write(&event).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn write<T: serde::Serialize>(&mut self, value: &T) -> Result<(), End> {
        send_json(&mut self.socket, value).await
    }

    /// Queues a frame in the socket's write buffer without flushing it.
    async fn feed<T: serde::Serialize>(&mut self, value: &T) -> Result<(), End> {
        let text = serde_json::to_string(value).map_err(|_| End::Close(1011, "internal error"))?;
        self.feed_raw(text.into()).await
    }

    async fn feed_raw(&mut self, frame: Utf8Bytes) -> Result<(), End> {
        timed(self.socket.feed(Message::Text(frame))).await
    }

    /// Adds what the hub has already queued (unless live frames are held
    /// back), then flushes everything fed so far in one write.
    async fn flush_queued(&mut self) -> Result<(), End> {
        if !self.holding {
            for _ in 0..COALESCE {
                match self.rx.try_recv() {
                    Ok(frame) => self.feed_raw(frame).await?,
                    Err(_) => break,
                }
            }
        }
        timed(self.socket.flush()).await
    }
}

/// The `error` answer to a send.
fn refused(client_id: String, error: crate::error::ApiError) -> ServerFrame {
    ServerFrame::Error {
        client_id: Some(client_id),
        error: api_detail(error),
    }
}

fn error_frame(code: ErrorCode, message: &str) -> ServerFrame {
    ServerFrame::Error {
        client_id: None,
        error: detail(code, message),
    }
}
