//! Fan-out across chatd instances through PostgreSQL `LISTEN`/`NOTIFY`,
//! and the database's notices of changed logins on the same connection.
//!
//! A `NOTIFY` inside a message transaction would take PostgreSQL's global
//! notify lock across the commit and serialise every commit on the server.
//! So writers never notify: after commit they hand `room:seq` to the
//! announcer, which coalesces what piles up (the highest seq per room) into
//! one `pg_notify` of its own, off the message path. Listeners treat a
//! notification as a hint and read the durable log, so a lost notification
//! costs latency, never data: after the listening connection drops, the
//! instance re-reads every room it follows.

use std::sync::Arc;
use std::time::Duration;

use chat_store::Pool;
use chat_store::notify::{self, CHANNEL, Hint, SESSIONS_CHANNEL, SessionChange};
use chat_wire::ws::ServerFrame;
use futures_util::StreamExt as _;
use tokio::sync::{Notify, mpsc};
use tokio_postgres::{AsyncMessage, Notification};
use tokio_util::sync::CancellationToken;

use super::ephemeral::{self, Notice, TypingThrottle};
use super::hub::Hub;
use super::presence::Presence;
use crate::session_cache::SessionCache;

/// What this instance tells the others.
#[derive(Debug)]
pub enum Outgoing {
    /// A committed event.
    Hint(Hint),
    /// Typing or presence.
    Notice(Notice),
}

/// A random name for this process, so it ignores its own notifications.
pub fn instance_id() -> String {
    match chat_store::sessions::new_token() {
        Ok((random, _)) => random[..12].to_owned(),
        Err(_) => format!("pid{}", std::process::id()),
    }
}

/// Sends coalesced hints and ephemeral notices to the other instances.
pub(super) async fn announce(
    pool: Pool,
    instance: String,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    shutdown: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            next = outgoing.recv() => match next { Some(o) => o, None => return },
            () = shutdown.cancelled() => return,
        };
        // Everything that piled up while the last notify ran goes in one.
        let mut hints = Vec::new();
        let mut payloads = Vec::new();
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Outgoing::Hint(h) => hints.push(h),
                Outgoing::Notice(n) => payloads.extend(ephemeral::payloads(&instance, n)),
            }
            next = outgoing.try_recv().ok();
        }
        payloads.extend(notify::payloads(&instance, &hints));
        let sent = match pool.get().await {
            Ok(db) => notify::announce_payloads(&db, &payloads)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = sent {
            // The others catch up at their next hint or reconnect.
            tracing::warn!(error = %e, "cannot notify other instances");
        }
    }
}

/// Who acts on what the listener hears.
pub(super) struct Listeners {
    /// Other instances' events and typing notices.
    pub hub: Hub,
    /// Other instances' presence notices.
    pub presence: Arc<Presence>,
    pub typing: Arc<TypingThrottle>,
    /// Changes to anyone's logins, from the database's triggers.
    pub sessions: Arc<SessionCache>,
    /// Wakes the session checker, which closes sockets that stop counting.
    pub session_changed: Arc<Notify>,
}

/// How often the listening connection proves it is alive, and how long it
/// may take to answer. A connection that died without a word (a firewall
/// dropping idle flows) would otherwise go unnoticed for hours, with every
/// notice lost and the session cache still trusting what it had.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// Listens for other instances' hints and the database's session notices on
/// a dedicated connection, and reconnects when it drops or stops answering.
/// Whatever was missed meanwhile is made good: every followed room is
/// re-read, and the session cache serves nothing while it cannot hear.
pub(super) async fn listen(
    database_url: String,
    instance: String,
    to: Listeners,
    shutdown: CancellationToken,
) {
    let config = match chat_store::listener_config(&database_url) {
        Ok(config) => config,
        Err(e) => {
            // Cannot happen once the pool has connected with the same URL.
            tracing::error!(error = %e, "cannot listen for other instances");
            return;
        }
    };
    let mut backoff = Duration::from_millis(250);
    let mut listened_before = false;
    loop {
        match chat_store::connect_primary(&config).await {
            Ok((client, mut connection)) => {
                // The connection runs on its own, handing notices over, so
                // this loop can use the client for heartbeats meanwhile.
                let (notices, mut heard) = mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if notices.send(n).is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "lost the notification connection");
                                return;
                            }
                        }
                    }
                });
                let listen = format!("LISTEN {CHANNEL}; LISTEN {SESSIONS_CHANNEL}");
                if client.batch_execute(&listen).await.is_ok() {
                    backoff = Duration::from_millis(250);
                    to.sessions.set_listening(true);
                    if listened_before {
                        tracing::info!("listening for other instances again; catching up");
                        to.session_changed.notify_one();
                    }
                    // Hints sent before this LISTEN took effect are not
                    // heard: at startup a socket may already follow a room
                    // another instance wrote to meanwhile, so every followed
                    // room is re-read (nothing to do when none is followed).
                    to.hub.catch_up_all();
                    listened_before = true;
                    let mut beat = tokio::time::interval(HEARTBEAT);
                    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tokio::select! {
                            notice = heard.recv() => match notice {
                                Some(first) => {
                                    // Whatever else is already here goes in one pass.
                                    let mut batch = vec![first];
                                    while let Ok(n) = heard.try_recv() {
                                        batch.push(n);
                                    }
                                    to.heard(&instance, &batch);
                                }
                                None => break,
                            },
                            _ = beat.tick() => {
                                let answer = tokio::time::timeout(HEARTBEAT, client.simple_query("")).await;
                                if !matches!(answer, Ok(Ok(_))) {
                                    tracing::warn!("the notification connection stopped answering");
                                    break;
                                }
                            }
                            () = shutdown.cancelled() => {
                                driver.abort();
                                return;
                            }
                        }
                    }
                    to.sessions.set_listening(false);
                }
                drop(client);
                driver.abort();
            }
            Err(e) => tracing::debug!(error = %e, "cannot open the notification connection"),
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl Listeners {
    fn heard(&self, instance: &str, notices: &[Notification]) {
        let (sessions, hints): (Vec<_>, Vec<_>) = notices
            .iter()
            .partition(|n| n.channel() == SESSIONS_CHANNEL);
        if !sessions.is_empty() {
            self.sessions
                .forget(sessions.iter().map(|n| SessionChange::parse(n.payload())));
            self.session_changed.notify_one();
        }
        for notice in hints {
            let payload = notice.payload();
            if ephemeral::is_notice(payload) {
                if let Some((from, notice)) = ephemeral::parse(instance, payload) {
                    self.ephemeral(&from, notice);
                }
                continue;
            }
            for h in notify::parse(instance, payload).unwrap_or_default() {
                self.hub.hint(h.room_id, h.seq, h.joined);
            }
        }
    }

    fn ephemeral(&self, from: &str, notice: Notice) {
        match notice {
            Notice::Typing { room_id, user } => {
                if !self.typing.allow(user.id, room_id) {
                    return;
                }
                let id = user.id;
                let frame = ServerFrame::Typing { room_id, user };
                if let Ok(json) = serde_json::to_string(&frame) {
                    self.hub.broadcast_ephemeral(room_id, id, json.into());
                }
            }
            other => self.presence.heard(from, other),
        }
    }
}
