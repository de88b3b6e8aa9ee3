//! Fan-out across chatd instances through PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! A `NOTIFY` inside a message transaction would take PostgreSQL's global
//! notify lock across the commit and serialise every commit on the server.
//! So writers never notify: after commit they hand `room:seq` to the
//! announcer, which coalesces what piles up (the highest seq per room) into
//! one `pg_notify` of its own, off the message path. Listeners treat a
//! notification as a hint and read the durable log, so a lost notification
//! costs latency, never data: after the listening connection drops, the
//! instance re-reads every room it follows.

use std::time::Duration;

use chat_store::Pool;
use chat_store::notify::{self, CHANNEL, Hint};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use super::hub::Hub;

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

/// Listens for other instances' hints on a dedicated connection, and
/// reconnects (then re-reads every followed room) when it drops.
pub(super) async fn listen(
    database_url: String,
    instance: String,
    hub: Hub,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(250);
    let mut listened_before = false;
    loop {
        match tokio_postgres::connect(&database_url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listening = async { client.batch_execute(&format!("LISTEN {CHANNEL}")).await };
                // The connection must be polled for LISTEN to complete.
                let ok = tokio::select! {
                    r = listening => r.is_ok(),
                    _ = messages.next() => false,
                };
                if ok {
                    backoff = Duration::from_millis(250);
                    if listened_before {
                        tracing::info!("listening for other instances again; catching up");
                        hub.catch_up_all();
                    }
                    listened_before = true;
                    loop {
                        tokio::select! {
                            msg = messages.next() => match msg {
                                Some(Ok(AsyncMessage::Notification(n))) => {
                                    if let Some(hints) = notify::parse(&instance, n.payload()) {
                                        for h in hints {
                                            hub.hint(h.room_id, h.seq, h.joined);
                                        }
                                    }
                                }
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
