//! Closes sockets whose session stopped counting.

use std::sync::Arc;
use std::time::Duration;

use chat_store::{Pool, sessions};
use chat_wire::ws::close;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::hub::Hub;

/// Closes connections whose session stopped counting: logged out on any
/// instance, revoked by an admin, expired, or the user disabled. Runs at
/// once when the database announces a change, and every `every` besides
/// (expiry announces nothing, and a notice may be lost).
pub(super) async fn check_sessions(
    pool: Pool,
    hub: Hub,
    every: Duration,
    idle: Duration,
    changed: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = changed.notified() => {}
            () = shutdown.cancelled() => return,
        }
        let ids = hub.sessions();
        if ids.is_empty() {
            continue;
        }
        let invalid = match pool.get().await {
            Ok(db) => sessions::invalid_among(&db, &ids, idle).await,
            Err(e) => Err(e.into()),
        };
        match invalid {
            Ok(invalid) => {
                for session in invalid {
                    hub.kill_where(close::UNAUTHORIZED, None, Some(session));
                }
            }
            Err(e) => tracing::debug!(error = %e, "session check skipped"),
        }
    }
}
