//! Messages on their way out. Each keeps its `client_id` for life, so a
//! resend after a reconnect (or a retry after a failure) can never produce
//! a second copy: the server acknowledges a known id with the original.

use chat_wire::files::FileInfo;
use chat_wire::ws::ClientFrame;
use chat_wire::{MessageId, RoomId};

/// Where an outgoing message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendStatus {
    /// Sent (or waiting for the link); no ack yet.
    Pending,
    /// The server refused it; the user may retry or discard.
    Failed(String),
}

/// One outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub client_id: String,
    pub room: RoomId,
    pub body: String,
    pub reply_to: Option<MessageId>,
    /// A reply in this message's thread.
    pub thread_root: Option<MessageId>,
    /// Uploaded files it carries.
    pub attachments: Vec<FileInfo>,
    pub status: SendStatus,
}

impl Outgoing {
    /// The `send` frame for this message.
    pub fn frame(&self) -> ClientFrame {
        ClientFrame::Send {
            room_id: self.room,
            body: self.body.clone(),
            client_id: self.client_id.clone(),
            reply_to: self.reply_to,
            thread_root: self.thread_root,
            attachments: self.attachments.iter().map(|f| f.id).collect(),
        }
    }
}

/// The queue, in the order the user sent.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    items: Vec<Outgoing>,
}

impl Outbox {
    /// Queues a message behind the others.
    pub fn push(&mut self, item: Outgoing) {
        self.items.push(item);
    }

    /// Removes an acknowledged message; None if it was not ours (or
    /// already acknowledged).
    pub fn ack(&mut self, client_id: &str) -> Option<Outgoing> {
        let i = self.items.iter().position(|o| o.client_id == client_id)?;
        Some(self.items.remove(i))
    }

    /// Marks a message failed.
    pub fn fail(&mut self, client_id: &str, reason: &str) {
        if let Some(o) = self.items.iter_mut().find(|o| o.client_id == client_id) {
            o.status = SendStatus::Failed(reason.to_owned());
        }
    }

    /// Frames to (re)send after a reconnect: every pending message, in order.
    pub fn pending_frames(&self) -> Vec<ClientFrame> {
        self.items
            .iter()
            .filter(|o| o.status == SendStatus::Pending)
            .map(Outgoing::frame)
            .collect()
    }

    /// Makes the room's failed messages pending again; returns their frames.
    pub fn retry(&mut self, room: RoomId) -> Vec<ClientFrame> {
        self.items
            .iter_mut()
            .filter(|o| o.room == room && matches!(o.status, SendStatus::Failed(_)))
            .map(|o| {
                o.status = SendStatus::Pending;
                o.frame()
            })
            .collect()
    }

    /// Drops the room's failed messages.
    pub fn discard_failed(&mut self, room: RoomId) {
        self.items
            .retain(|o| !(o.room == room && matches!(o.status, SendStatus::Failed(_))));
    }

    /// The room's outgoing messages, in order.
    pub fn in_room(&self, room: RoomId) -> impl Iterator<Item = &Outgoing> {
        self.items.iter().filter(move |o| o.room == room)
    }

    /// How many messages are pending or failed.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
