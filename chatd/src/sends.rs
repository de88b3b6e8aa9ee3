//! Group commit for sends: one writer task stores every send of this
//! instance.
//!
//! Every send takes its room's seq row lock until commit, and every commit
//! costs PostgreSQL a WAL flush and a statement's fixed work, which on a
//! small machine outweighs the rows themselves. So sends do not commit one
//! by one: the writer takes whatever sends are waiting, whichever rooms
//! they are for, and stores them with one statement and one commit. Under
//! light load a batch is a single send and costs nothing extra; under load
//! the batches grow while the previous one commits, and the server keeps
//! up. The writer publishes each batch's events, in seq order per room,
//! right after its commit.
//!
//! Measured on 2 cores (docs/benchmarks.md): one writer beat two or four
//! (each with a share of the rooms), because smaller batches cost more CPU
//! per send than the overlap gained. The price: a transaction elsewhere
//! that holds a room's seq row for long (an administrator erasing a large
//! history) holds up the batch that touches that room, and with it the
//! instance's other sends until it commits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_store::messages::{self, Draft, Sent};
use chat_store::{Pool, StoreError, StoreResult, events, rooms};
use chat_wire::Message;
use tokio::sync::{mpsc, oneshot};

use crate::gateway::Gateway;
use crate::metrics::Metrics;

/// Most sends stored in one statement.
const MAX_BATCH: usize = 128;
/// Sends that may wait for the writer before callers wait too.
const QUEUE: usize = 1024;
/// The writer stops after this long without sends (and starts again on
/// the next one).
const IDLE: Duration = Duration::from_secs(10);
/// How long the writer waits for one statement (and its commit) before it
/// gives the connection up: a primary that froze or vanished without
/// closing its connections would otherwise hold every send of this
/// instance until the machine comes back (docs/ha.md).
const STATEMENT_LIMIT: Duration = Duration::from_secs(10);
/// Attempts at storing a send whose first attempt's outcome is unknown,
/// and the pause between them (a failover takes seconds).
const UNKNOWN_RETRIES: u32 = 3;
const UNKNOWN_PAUSE: Duration = Duration::from_millis(500);

struct Job {
    draft: Draft,
    reply: oneshot::Sender<StoreResult<Stored>>,
}

/// A stored send, its event already published.
#[derive(Debug)]
pub struct Stored {
    pub message: Message,
    /// False when a retry found the message its client_id already sent.
    pub created: bool,
}

/// Hands sends to the writer.
pub struct SendQueue {
    /// The running writer's queue.
    writer: Mutex<Option<mpsc::Sender<Job>>>,
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
            writer: Mutex::default(),
            pool,
            gateway,
            metrics,
        })
    }

    /// Stores a validated message (or finds the original of a retried
    /// client_id) and publishes its event; refusals say why.
    pub async fn send(self: &Arc<Self>, draft: Draft) -> StoreResult<Stored> {
        self.enqueue(draft).await?.await
    }

    /// Hands a validated message to the writer and returns the answer to
    /// come. Messages enqueued one after the other are stored in that
    /// order, so a connection can have many in flight (waiting here only
    /// while the writer's queue is full).
    pub async fn enqueue(
        self: &Arc<Self>,
        draft: Draft,
    ) -> StoreResult<impl Future<Output = StoreResult<Stored>> + Send + 'static> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { draft, reply };
        // A writer that just went idle may have closed its queue: start a
        // fresh one and try again.
        for _ in 0..2 {
            let queue = self.writer();
            match queue.send(job).await {
                Ok(()) => {
                    return Ok(async move {
                        answer.await.unwrap_or_else(|_| {
                            Err(StoreError::Unavailable("send writer stopped".into()))
                        })
                    });
                }
                Err(mpsc::error::SendError(returned)) => {
                    job = returned;
                    let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
                    if writer.as_ref().is_some_and(|q| q.same_channel(&queue)) {
                        *writer = None;
                    }
                }
            }
        }
        Err(StoreError::Unavailable("no send writer".into()))
    }

    fn writer(self: &Arc<Self>) -> mpsc::Sender<Job> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(queue) = writer.as_ref()
            && !queue.is_closed()
        {
            return queue.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        *writer = Some(tx.clone());
        tokio::spawn(self.clone().write(rx));
        tx
    }

    async fn write(self: Arc<Self>, mut rx: mpsc::Receiver<Job>) {
        loop {
            let first = match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) => return,
                Err(_) => {
                    // Idle: close the queue, then finish whatever raced in.
                    rx.close();
                    while let Some(job) = rx.recv().await {
                        self.write_batch(vec![job]).await;
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
            self.write_batch(batch).await;
        }
    }

    async fn write_batch(&self, batch: Vec<Job>) {
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
        // A lone message goes through `send_batch` too (a plain one takes
        // its leanest statement): cheaper than the single send's, which
        // also works out why it stored nothing; a refusal, which is rare,
        // then costs a second statement to name its reason.
        let drafts: Vec<Draft> = batch.iter().map(|j| j.draft.clone()).collect();
        let stored: Vec<Option<Sent>> = match limited(messages::send_batch(&db, &drafts)).await {
            Ok(stored) => stored,
            Err(e) if e.is_unavailable() => {
                // Lost during the statement or its commit: whether the
                // batch is stored is unknown.
                discard(db);
                for job in batch {
                    let answer = self.settle_unknown(&job.draft).await;
                    let answer = self.answer(None, answer).await;
                    let _ = job.reply.send(answer);
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "batch refused; sending one by one");
                batch.iter().map(|_| None).collect()
            }
        };
        // Publish the batch's events (in seq order within each room), then
        // answer; drafts the batch left out go one by one to get their own
        // answer.
        let mut db = Some(db);
        for (job, stored) in batch.into_iter().zip(stored) {
            let sent = match stored {
                Some(sent) => Ok(sent),
                None => match db.as_ref() {
                    Some(conn) => {
                        let sent = limited(messages::send_draft(conn, &job.draft)).await;
                        if matches!(&sent, Err(e) if e.is_unavailable()) {
                            // Lost mid-send: outcome unknown. The rest of
                            // the batch goes the same careful way.
                            if let Some(lost) = db.take() {
                                discard(lost);
                            }
                            self.settle_unknown(&job.draft).await
                        } else {
                            sent
                        }
                    }
                    None => self.settle_unknown(&job.draft).await,
                },
            };
            let answer = self.answer(db.as_mut(), sent).await;
            let _ = job.reply.send(answer);
        }
    }

    /// Publishes a stored send's event and makes its answer.
    async fn answer(
        &self,
        db: Option<&mut chat_store::Client>,
        sent: StoreResult<Sent>,
    ) -> StoreResult<Stored> {
        match sent? {
            Sent::New {
                message,
                event,
                rejoin,
            } => {
                self.metrics.messages_sent.inc();
                self.gateway.publish(event);
                if !rejoin.is_empty() {
                    match db {
                        Some(db) => self.rejoin(db, message.room_id, &rejoin).await,
                        None => {
                            if let Ok(mut db) = self.pool.get().await {
                                self.rejoin(&mut db, message.room_id, &rejoin).await;
                            }
                        }
                    }
                }
                Ok(Stored {
                    message,
                    created: true,
                })
            }
            Sent::Retry(message) => {
                self.publish_original(db, &message).await;
                Ok(Stored {
                    message,
                    created: false,
                })
            }
        }
    }

    /// Publishes the event of a message a retry found already stored. Its
    /// first attempt may have committed with nobody publishing it: this
    /// writer lost the answer (a connection that broke during the commit,
    /// see [`Self::settle_unknown`]) or the instance that stored it died
    /// first. Without this, live clients would hear of it only with the
    /// room's next event. Publishing an event twice is harmless: the hub
    /// skips seqs it has delivered, here and on the other instances.
    async fn publish_original(&self, db: Option<&mut chat_store::Client>, message: &Message) {
        let original = match db {
            Some(db) => events::message_created(&*db, message).await,
            None => match self.pool.get().await {
                Ok(db) => events::message_created(&db, message).await,
                Err(e) => Err(e.into()),
            },
        };
        match original {
            Ok(event) => self.gateway.publish(event),
            Err(e) => tracing::warn!(
                error = %e,
                message_id = message.id,
                "cannot read a retried message's event; clients get it with the room's next one"
            ),
        }
    }

    /// A send whose connection broke or stopped answering during its
    /// statement or commit: it may or may not be stored. With a client_id
    /// it is sent again on a fresh connection (to the new primary after a
    /// failover), and the store finds the original if the first attempt
    /// committed: stored once either way. Without one, a second attempt
    /// could store it twice, so the sender hears `unavailable` instead;
    /// it is never acknowledged unless stored.
    async fn settle_unknown(&self, draft: &Draft) -> StoreResult<Sent> {
        let unknown = || {
            StoreError::Unavailable(
                "the database connection was lost during the send; it may or may not be stored"
                    .into(),
            )
        };
        if draft.client_id.is_none() {
            return Err(unknown());
        }
        for _ in 0..UNKNOWN_RETRIES {
            tokio::time::sleep(UNKNOWN_PAUSE).await;
            let Ok(db) = self.pool.get().await else {
                continue;
            };
            match limited(messages::send_draft(&db, draft)).await {
                Err(e) if e.is_unavailable() => discard(db),
                sent => return sent,
            }
        }
        Err(unknown())
    }

    /// Brings back the other participant of a direct room who had left it,
    /// after a message there (the message is stored either way).
    async fn rejoin(&self, db: &mut chat_store::Client, room_id: i64, users: &[i64]) {
        match rooms::rejoin_direct(db, room_id, users).await {
            Ok(joined) => self.gateway.publish(joined),
            Err(e) => {
                tracing::warn!(error = %e, room_id, "cannot bring a direct room's participant back")
            }
        }
    }
}

/// `work` within [`STATEMENT_LIMIT`]; past it, the database is unavailable.
async fn limited<T>(work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    tokio::time::timeout(STATEMENT_LIMIT, work)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the database did not answer in time".into(),
            ))
        })
}

/// Closes a connection that broke or hangs instead of returning it to the
/// pool: a transaction still open on it ends with it.
fn discard(db: chat_store::Client) {
    drop(chat_store::Client::take(db));
}
