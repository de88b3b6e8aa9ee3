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
/// (expiry announces nothing, and a notice may be lost). The sessions that
/// still count are in use through their sockets, so they are marked as
/// seen, as a REST request would: a client that only uses its WebSocket
/// is never logged out as idle.
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
        let checked = async {
            let db = pool.get().await?;
            let invalid = sessions::invalid_among(&db, &ids, idle).await?;
            let live: Vec<i64> = ids.into_iter().filter(|id| !invalid.contains(id)).collect();
            if !live.is_empty() {
                sessions::touch_many(&db, &live, idle).await?;
            }
            Ok::<_, chat_store::StoreError>(invalid)
        };
        match checked.await {
            Ok(invalid) => {
                for session in invalid {
                    hub.kill_where(close::UNAUTHORIZED, None, Some(session));
                }
            }
            Err(e) => tracing::debug!(error = %e, "session check skipped"),
        }
    }
}
