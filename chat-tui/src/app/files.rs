//! Files: `/upload PATH` uploads a file (its progress in the status line)
//! and then sends it as a message of its own, in the open room or the
//! open thread; `/open [N]` saves a message's attachment (the selected
//! message's, else the newest with one) to the download directory.

use chat_wire::files::FileInfo;
use chat_wire::{Message, MessageId, RoomId};

use super::outbox::{Outgoing, SendStatus};
use super::{Effect, State, compose};
use crate::strings;

/// An upload on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub job: u64,
    pub room: RoomId,
    /// The thread it goes to, if one was open.
    pub thread_root: Option<MessageId>,
    /// The file's name, for the status line.
    pub name: String,
    pub sent: u64,
    pub total: u64,
}

impl Upload {
    /// How much has gone out, in whole percent.
    pub fn percent(&self) -> u64 {
        (self.sent * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// Runs `cmd` if it is `/upload` or `/open`; `target` is the selected
/// message, if the command was started on one.
pub fn run(
    state: &mut State,
    cmd: &str,
    arg: &str,
    target: Option<(RoomId, MessageId)>,
) -> Option<Vec<Effect>> {
    let fx = match cmd {
        "/upload" if arg.is_empty() => notice(state, strings::usage("/upload PATH")),
        "/upload" => upload(state, arg),
        "/open" => {
            let n = match arg {
                "" => Some(1),
                n => n.parse::<usize>().ok().filter(|n| *n > 0),
            };
            let picked = target.and_then(|(room, id)| state.room(room)?.find(id).cloned());
            let newest = || {
                state
                    .active_room()?
                    .last_where(|m| !m.attachments.is_empty())
                    .cloned()
            };
            match (n, picked.or_else(newest)) {
                (None, _) => notice(state, strings::usage("/open [N]")),
                (_, None) => notice(state, strings::NO_ATTACHMENTS.into()),
                (Some(n), Some(m)) => open(state, &m, n),
            }
        }
        _ => return None,
    };
    Some(fx)
}

fn notice(state: &mut State, text: String) -> Vec<Effect> {
    state.notice = Some(text);
    Vec::new()
}

/// Starts uploading `path` for the open room (or thread).
fn upload(state: &mut State, path: &str) -> Vec<Effect> {
    let Some(room) = state.active else {
        return notice(state, strings::NO_ROOMS.into());
    };
    let thread_root = state
        .thread
        .as_ref()
        .filter(|t| t.room == room)
        .map(|t| t.root);
    state.next_job += 1;
    let job = state.next_job;
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_owned();
    state.uploads.push(Upload {
        job,
        room,
        thread_root,
        name,
        sent: 0,
        total: 0,
    });
    vec![Effect::Upload {
        job,
        path: path.to_owned(),
    }]
}

/// Saves the `n`th (from 1) attachment of `m`.
pub fn open(state: &mut State, m: &Message, n: usize) -> Vec<Effect> {
    match m.attachments.get(n - 1) {
        Some(file) => {
            state.notice = Some(strings::saving(&file.name));
            vec![Effect::Download(Box::new(file.clone()))]
        }
        None if m.attachments.is_empty() => notice(state, strings::NO_ATTACHMENTS.into()),
        None => notice(state, strings::only_attachments(m.attachments.len())),
    }
}

/// More of an upload went out.
pub fn on_progress(state: &mut State, job: u64, sent: u64, total: u64) {
    if let Some(u) = state.uploads.iter_mut().find(|u| u.job == job) {
        u.sent = sent;
        u.total = total;
    }
}

/// An upload is stored: it goes out as a message carrying it.
pub fn on_uploaded(state: &mut State, job: u64, file: FileInfo) -> Vec<Effect> {
    let Some(i) = state.uploads.iter().position(|u| u.job == job) else {
        return Vec::new();
    };
    let up = state.uploads.remove(i);
    // The room may have gone meanwhile (left, removed): nothing to send to.
    if state.room(up.room).is_none() {
        return Vec::new();
    }
    let item = Outgoing {
        client_id: state.client_id(),
        room: up.room,
        body: String::new(),
        reply_to: None,
        thread_root: up.thread_root,
        attachments: vec![file],
        status: SendStatus::Pending,
    };
    compose::queue(state, item)
}

/// An upload was refused or could not be read.
pub fn on_failed(state: &mut State, job: u64, message: &str) {
    let name = match state.uploads.iter().position(|u| u.job == job) {
        Some(i) => state.uploads.remove(i).name,
        None => return,
    };
    state.notice = Some(strings::upload_failed(&name, message));
}
