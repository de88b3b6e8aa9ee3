//! Talking to systemd (`Type=notify` units): READY when serving, STOPPING
//! when shutting down, and watchdog keep-alives tied to real health.
//!
//! Everything here does nothing when chatd does not run under a service
//! manager (`NOTIFY_SOCKET` unset), so it is safe in tests and containers.

use std::time::Duration;

use sd_notify::NotifyState;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

/// Tells the service manager that chatd serves now.
pub fn ready() {
    send(&[NotifyState::Ready, NotifyState::Status("serving")]);
}

/// Tells the service manager that chatd is shutting down.
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: closing WebSockets, finishing requests"),
    ]);
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot notify the service manager");
    }
}

/// Starts the watchdog task if the service manager asked for one
/// (`WatchdogSec=` sets `WATCHDOG_USEC`). It sends `WATCHDOG=1` only after
/// the database answered a query, from a task on the same runtime as
/// everything else: a wedged runtime or an unreachable database both stop
/// the keep-alives, and systemd restarts chatd. Ends with `stop`.
///
/// The probe keeps a connection of its own rather than taking one from the
/// pool: a pool busy with a burst of requests is not a dead database and
/// must not get chatd restarted.
pub fn spawn_watchdog(database_url: String, stop: CancellationToken) {
    let Some(timeout) = sd_notify::watchdog_enabled() else {
        return;
    };
    // Three chances per watchdog period (sd_watchdog_enabled(3) advises at
    // least two); the probe must finish well within one.
    let every = (timeout / 3).max(Duration::from_millis(100));
    let probe_timeout = every.min(Duration::from_secs(5));
    tracing::info!(
        watchdog_ms = timeout.as_millis() as u64,
        "systemd watchdog enabled"
    );
    tokio::spawn(async move {
        let mut db = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {},
                () = stop.cancelled() => return,
            }
            match tokio::time::timeout(probe_timeout, probe(&database_url, &mut db)).await {
                Ok(Ok(())) => send(&[NotifyState::Watchdog]),
                Ok(Err(e)) => {
                    db = None;
                    tracing::warn!(error = %e, "watchdog: the database does not answer");
                }
                Err(_) => {
                    db = None;
                    tracing::warn!("watchdog: the database did not answer in time");
                }
            }
        }
    });
}

/// `SELECT 1` on the probe's connection, (re)connecting first if needed.
async fn probe(url: &str, db: &mut Option<Client>) -> Result<(), chat_store::StoreError> {
    let client = match db {
        Some(client) if !client.is_closed() => client,
        _ => db.insert(chat_store::connect_once(url).await?),
    };
    client.query_one("SELECT 1", &[]).await?;
    Ok(())
}
