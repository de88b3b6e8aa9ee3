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
use futures_util::StreamExt as _;
use tokio::sync::{Notify, mpsc};
use tokio_postgres::{AsyncMessage, Notification};
use tokio_util::sync::CancellationToken;

use super::hub::Hub;
use crate::session_cache::SessionCache;

/// A random name for this process, so it ignores its own notifications.
pub fn instance_id() -> String {
    match chat_store::sessions::new_token() {
        Ok((random, _)) => random[..12].to_owned(),
        Err(_) => format!("pid{}", std::process::id()),
    }
}

/// Sends coalesced hints to the other instances.
pub(super) async fn announce(
    pool: Pool,
    instance: String,
    mut hints: mpsc::UnboundedReceiver<Hint>,
    shutdown: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            hint = hints.recv() => match hint { Some(h) => h, None => return },
            () = shutdown.cancelled() => return,
        };
        // Everything that piled up while the last notify ran goes in one.
        let mut pending = vec![first];
        while let Ok(h) = hints.try_recv() {
            pending.push(h);
        }
        let sent = match pool.get().await {
            Ok(db) => notify::announce(&db, &instance, &pending)
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
    /// Other instances' events.
    pub hub: Hub,
    /// Changes to anyone's logins, from the database's triggers.
    pub sessions: Arc<SessionCache>,
    /// Wakes the session checker, which closes sockets that stop counting.
    pub session_changed: Arc<Notify>,
}

/// Listens for other instances' hints and the database's session notices on
/// a dedicated connection, and reconnects when it drops. Whatever was
/// missed meanwhile is made good: every followed room is re-read, and the
/// session cache serves nothing while it cannot hear changes.
pub(super) async fn listen(
    database_url: String,
    instance: String,
    to: Listeners,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(250);
    let mut listened_before = false;
    loop {
        match tokio_postgres::connect(&database_url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listening = async {
                    client
                        .batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {SESSIONS_CHANNEL}"))
                        .await
                };
                // The connection must be polled for LISTEN to complete.
                let ok = tokio::select! {
                    r = listening => r.is_ok(),
                    _ = messages.next() => false,
                };
                if ok {
                    backoff = Duration::from_millis(250);
                    to.sessions.set_listening(true);
                    if listened_before {
                        tracing::info!("listening for other instances again; catching up");
                        to.hub.catch_up_all();
                        to.session_changed.notify_one();
                    }
                    listened_before = true;
                    loop {
                        tokio::select! {
                            msg = messages.next() => match msg {
                                Some(Ok(AsyncMessage::Notification(n))) => to.heard(&instance, &n),
                                Some(Ok(_)) => {}
                                Some(Err(e)) => {
                                    tracing::warn!(error = %e, "lost the notification connection");
                                    break;
                                }
                                None => break,
                            },
                            () = shutdown.cancelled() => return,
                        }
                    }
                    to.sessions.set_listening(false);
                    drop(client);
                }
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
    fn heard(&self, instance: &str, notice: &Notification) {
        if notice.channel() == SESSIONS_CHANNEL {
            self.sessions.forget(SessionChange::parse(notice.payload()));
            self.session_changed.notify_one();
        } else if let Some(hints) = notify::parse(instance, notice.payload()) {
            for h in hints {
                self.hub.hint(h.room_id, h.seq, h.joined);
            }
        }
    }
}
