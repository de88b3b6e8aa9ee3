//! Group commit for sends: one writer task per busy room.
//!
//! Every send to a room takes that room's seq row lock until its commit,
//! so one room can commit only about 1 / (commit latency) messages a second
//! one by one. Here each room with traffic gets a task that takes whatever
//! sends are waiting and stores them with one statement and one commit.
//! Under light load a batch is a single send and costs nothing extra; under
//! load the batch grows and the room keeps up. The task also publishes the
//! events, in seq order, right after its commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_store::messages::{self, Draft, Sent};
use chat_store::{Pool, StoreError, StoreResult};
use chat_wire::{Event, EventType, Message, RoomId};
use tokio::sync::{mpsc, oneshot};

use crate::gateway::Gateway;
use crate::metrics::Metrics;

/// Most sends stored in one statement.
const MAX_BATCH: usize = 128;
/// Sends that may wait for a room's writer before callers wait too.
const QUEUE: usize = 1024;
/// A room's writer stops after this long without sends.
const IDLE: Duration = Duration::from_secs(10);

struct Job {
    draft: Draft,
    reply: oneshot::Sender<StoreResult<Sent>>,
}

/// Hands sends to per-room writers.
pub struct SendQueue {
    rooms: Mutex<HashMap<RoomId, mpsc::Sender<Job>>>,
    pool: Pool,
    gateway: Arc<Gateway>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for SendQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendQueue")
    }
}

impl SendQueue {
    pub fn new(pool: Pool, gateway: Arc<Gateway>, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self {
            rooms: Mutex::default(),
            pool,
            gateway,
            metrics,
        })
    }

    /// Stores a validated message (or finds the original of a retried
    /// client_id). `NotFound` when the author is not a member.
    pub async fn send(self: &Arc<Self>, room_id: RoomId, draft: Draft) -> StoreResult<Sent> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { draft, reply };
        // A writer that just went idle may have closed its queue: start a
        // fresh one and try again.
        for _ in 0..2 {
            let queue = self.writer(room_id);
            match queue.send(job).await {
                Ok(()) => {
                    return answer.await.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable("send writer stopped".into()))
                    });
                }
                Err(mpsc::error::SendError(returned)) => {
                    job = returned;
                    let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
                    if rooms.get(&room_id).is_some_and(|q| q.same_channel(&queue)) {
                        rooms.remove(&room_id);
                    }
                }
            }
        }
        Err(StoreError::Unavailable("no send writer".into()))
    }

    fn writer(self: &Arc<Self>, room_id: RoomId) -> mpsc::Sender<Job> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(queue) = rooms.get(&room_id)
            && !queue.is_closed()
        {
            return queue.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        rooms.insert(room_id, tx.clone());
        tokio::spawn(self.clone().write_room(room_id, rx));
        tx
    }

    async fn write_room(self: Arc<Self>, room_id: RoomId, mut rx: mpsc::Receiver<Job>) {
        loop {
            let first = match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) => return,
                Err(_) => {
                    // Idle: close the queue, then finish whatever raced in.
                    rx.close();
                    while let Some(job) = rx.recv().await {
                        self.write_batch(room_id, vec![job]).await;
                    }
                    return;
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.write_batch(room_id, batch).await;
        }
    }

    async fn write_batch(&self, room_id: RoomId, batch: Vec<Job>) {
        let db = match self.pool.get().await {
            Ok(db) => db,
            Err(e) => {
                let e = StoreError::from(e);
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
                }
                return;
            }
        };
        let stored: Vec<Option<Message>> = if batch.len() == 1 {
            vec![None]
        } else {
            let drafts: Vec<Draft> = batch.iter().map(|j| j.draft.clone()).collect();
            match messages::send_batch(&db, room_id, &drafts).await {
                Ok(stored) => stored,
                Err(e) => {
                    tracing::debug!(error = %e, "batch refused; sending one by one");
                    vec![None; batch.len()]
                }
            }
        };
        // Publish the batch's events in seq order, then answer; drafts the
        // batch left out go one by one to get their own answer.
        for (job, stored) in batch.into_iter().zip(stored) {
            let result = match stored {
                Some(message) => Ok(Sent {
                    message,
                    created: true,
                }),
                None => {
                    let d = &job.draft;
                    messages::send(
                        &db,
                        room_id,
                        d.author_id,
                        &d.body,
                        d.client_id.as_deref(),
                        d.reply_to,
                    )
                    .await
                }
            };
            if let Ok(sent) = &result
                && sent.created
            {
                self.metrics.messages_sent.inc();
                self.gateway.publish(Event {
                    kind: EventType::MessageCreated,
                    room_id,
                    seq: sent.message.seq,
                    created_at: sent.message.created_at,
                    message: Some(sent.message.clone()),
                    user: None,
                    room: None,
                });
            }
            let _ = job.reply.send(result);
        }
    }
}
