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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use chat_store::Pool;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use super::Hint;
use super::hub::Hub;

const CHANNEL: &str = "chat_events";
/// PostgreSQL's payload limit is 8000 bytes; stay well below.
const MAX_PAYLOAD: usize = 7000;

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
        let mut latest: HashMap<i64, i64> = HashMap::new();
        let mut joins: Vec<Hint> = Vec::new();
        let mut add = |h: Hint| {
            if h.joined.is_some() {
                joins.push(h);
            }
            let seq = latest.entry(h.room_id).or_insert(h.seq);
            *seq = (*seq).max(h.seq);
        };
        add(first);
        while let Ok(h) = hints.try_recv() {
            add(h);
        }
        for payload in payloads(&instance, &latest, &joins) {
            let sent = match pool.get().await {
                Ok(db) => db
                    .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = sent {
                // The others catch up at their next hint or reconnect.
                tracing::warn!(error = %e, "cannot notify other instances");
            }
        }
    }
}

/// `instance;room:seq,room:seq:+user,...`, split to fit the payload limit.
fn payloads(instance: &str, latest: &HashMap<i64, i64>, joins: &[Hint]) -> Vec<String> {
    let mut items: Vec<String> = latest.iter().map(|(r, s)| format!("{r}:{s}")).collect();
    items.extend(
        joins
            .iter()
            .filter_map(|h| h.joined.map(|u| format!("{}:{}:{u}", h.room_id, h.seq))),
    );
    let mut out = Vec::new();
    let mut current = format!("{instance};");
    for item in items {
        if current.len() + item.len() + 1 > MAX_PAYLOAD {
            out.push(std::mem::replace(&mut current, format!("{instance};")));
        }
        if !current.ends_with(';') {
            current.push(',');
        }
        let _ = write!(current, "{item}");
    }
    if !current.ends_with(';') {
        out.push(current);
    }
    out
}

/// Parses a payload into hints; `None` if it is this instance's own.
fn parse(instance: &str, payload: &str) -> Option<Vec<(i64, i64, Option<i64>)>> {
    let (from, items) = payload.split_once(';')?;
    if from == instance {
        return None;
    }
    Some(
        items
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(':');
                let room = parts.next()?.parse().ok()?;
                let seq = parts.next()?.parse().ok()?;
                let joined = parts.next().and_then(|u| u.parse().ok());
                Some((room, seq, joined))
            })
            .collect(),
    )
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
                                    if let Some(hints) = parse(&instance, n.payload()) {
                                        for (room, seq, joined) in hints {
                                            hub.hint(room, seq, joined);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_skip_their_own() {
        let latest = HashMap::from([(7, 42)]);
        let joins = [Hint {
            room_id: 7,
            seq: 40,
            joined: Some(3),
        }];
        let payloads = payloads("abc", &latest, &joins);
        assert_eq!(payloads.len(), 1);
        let mut parsed = parse("other", &payloads[0]).unwrap();
        parsed.sort();
        assert_eq!(parsed, vec![(7, 40, Some(3)), (7, 42, None)]);
        assert!(parse("abc", &payloads[0]).is_none());
    }

    #[test]
    fn big_batches_are_split_under_the_limit() {
        let latest: HashMap<i64, i64> = (0..2000).map(|r| (r, r * 1000)).collect();
        let payloads = payloads("abc", &latest, &[]);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let total: usize = payloads.iter().map(|p| parse("x", p).unwrap().len()).sum();
        assert_eq!(total, 2000);
    }
}
