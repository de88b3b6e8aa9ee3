//! The WebSocket worker: connects, forwards frames both ways, notices a
//! dead link by its own heartbeat, and reconnects with exponential backoff
//! and jitter. What to resume and resend is the app's business: the worker
//! only reports `ready` like any other frame.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chat_wire::ws::{ClientFrame, Incoming, close};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval_at, sleep};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{NetEvent, WsStatus};

/// How often we ping; the server pings too, so any frame counts as life.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Silence longer than this means the link is dead (laptop sleep, lost
/// route): well within a minute.
const DEAD_AFTER: Duration = Duration::from_secs(40);

/// How often the link is checked (sleep, silence, ping due).
const CHECK: Duration = Duration::from_secs(5);

/// Did the machine sleep between two checks? The monotonic clock stops
/// during suspend while the wall clock runs on, so a wall-clock gap well
/// beyond the monotonic one means we were asleep. (A clock adjustment can
/// look the same; it costs one reconnect.)
pub fn slept(wall: Duration, monotonic: Duration) -> bool {
    wall > monotonic + Duration::from_secs(10)
}

/// Delay before reconnect attempt `n` (0-based): 0.5 s doubling to 30 s,
/// then ±25 % jitter (`jitter` in 0..1) so clients do not stampede.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let base = 0.5 * 2f64.powi(attempt.min(16) as i32);
    let capped = base.min(30.0);
    Duration::from_secs_f64(capped * (0.75 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// A random number in 0..1 for jitter.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

/// `http://host/` → `ws://host/api/v1/ws`.
pub fn ws_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))
        .unwrap_or_else(|| base.to_owned());
    format!("{rest}/api/v1/ws")
}

/// Why one connection ended.
enum End {
    /// Reconnect after the backoff.
    Retry(String),
    /// The token is refused: stop.
    Auth,
    /// The app dropped its sender: stop.
    Stopped,
}

/// Runs until the app drops `cmds` or the token is refused.
pub async fn worker(
    base: String,
    token: String,
    tls: Arc<rustls::ClientConfig>,
    mut cmds: mpsc::UnboundedReceiver<ClientFrame>,
    events: mpsc::Sender<NetEvent>,
) {
    let url = ws_url(&base);
    let mut attempt = 0u32;
    loop {
        let _ = events.send(NetEvent::Ws(WsStatus::Connecting)).await;
        let started = Instant::now();
        let reason = match session(&url, &token, &tls, &mut cmds, &events).await {
            End::Stopped => return,
            End::Auth => {
                let _ = events.send(NetEvent::Ws(WsStatus::AuthLost)).await;
                return;
            }
            End::Retry(reason) => reason,
        };
        // A connection that lived a while resets the backoff.
        if started.elapsed() > Duration::from_secs(30) {
            attempt = 0;
        }
        let wait = backoff(attempt, jitter());
        attempt = attempt.saturating_add(1);
        tracing::info!(%reason, ?wait, "websocket down");
        let down = WsStatus::Down {
            retry_in: wait,
            reason,
        };
        if events.send(NetEvent::Ws(down)).await.is_err() {
            return;
        }
        // Frames sent while down are dropped: the app resends its outbox
        // after the next `ready`.
        let deadline = sleep(wait);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => break,
                cmd = cmds.recv() => if cmd.is_none() { return },
            }
        }
    }
}

/// One connection, from handshake to close.
async fn session(
    url: &str,
    token: &str,
    tls: &Arc<rustls::ClientConfig>,
    cmds: &mut mpsc::UnboundedReceiver<ClientFrame>,
    events: &mpsc::Sender<NetEvent>,
) -> End {
    let mut req = match url.into_client_request() {
        Ok(r) => r,
        Err(e) => return End::Retry(e.to_string()),
    };
    match HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(v) => req.headers_mut().insert("authorization", v),
        Err(_) => return End::Auth,
    };
    let connect = tokio::time::timeout(
        Duration::from_secs(15),
        tokio_tungstenite::connect_async_tls_with_config(
            req,
            // tungstenite zeroes its whole read buffer (128 KiB by default)
            // before every read; 16 KiB still takes a replay burst in few reads.
            Some(WebSocketConfig::default().read_buffer_size(16 * 1024)),
            false,
            Some(tokio_tungstenite::Connector::Rustls(tls.clone())),
        ),
    );
    let (ws, _) = match connect.await {
        Err(_) => return End::Retry("connect timed out".into()),
        Ok(Err(WsError::Http(res))) if res.status() == 401 => return End::Auth,
        Ok(Err(e)) => return End::Retry(e.to_string()),
        Ok(Ok(pair)) => pair,
    };
    let (mut sink, mut stream) = ws.split();
    // The first ping waits a full period: the first frame the server sees
    // must be the app's `resume`, or live events could overtake the replay.
    let mut check = interval_at(Instant::now() + CHECK, CHECK);
    let mut last_heard = Instant::now();
    let mut last_ping = Instant::now();
    let mut clocks = (SystemTime::now(), Instant::now());
    loop {
        tokio::select! {
            msg = stream.next() => {
                last_heard = Instant::now();
                match msg {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<Incoming>(&text) {
                        Ok(frame) => {
                            if events.send(NetEvent::Frame(frame)).await.is_err() {
                                return End::Stopped;
                            }
                        }
                        Err(e) => tracing::warn!(%e, "unreadable frame"),
                    },
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.as_ref().map(|f| u16::from(f.code));
                        tracing::info!(?code, "websocket closed by the server");
                        return match code {
                            Some(close::UNAUTHORIZED) => End::Auth,
                            _ => End::Retry(format!("closed ({})", code.unwrap_or(1005))),
                        };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return End::Retry(e.to_string()),
                    None => return End::Retry("connection lost".into()),
                }
            }
            cmd = cmds.recv() => {
                let Some(frame) = cmd else {
                    let _ = sink.close().await;
                    return End::Stopped;
                };
                let text = serde_json::to_string(&frame).unwrap_or_default();
                if let Err(e) = sink.send(Message::text(text)).await {
                    return End::Retry(e.to_string());
                }
            }
            _ = check.tick() => {
                let wall = SystemTime::now().duration_since(clocks.0).unwrap_or_default();
                let slept = slept(wall, clocks.1.elapsed());
                clocks = (SystemTime::now(), Instant::now());
                if slept {
                    // The server dropped us long ago; do not wait to find out.
                    return End::Retry("the computer was asleep".into());
                }
                if last_heard.elapsed() > DEAD_AFTER {
                    return End::Retry("no answer from the server".into());
                }
                if last_ping.elapsed() >= HEARTBEAT {
                    last_ping = Instant::now();
                    let ping = serde_json::to_string(&ClientFrame::Ping).unwrap_or_default();
                    if let Err(e) = sink.send(Message::text(ping)).await {
                        return End::Retry(e.to_string());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter() {
        assert_eq!(backoff(0, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(1, 0.5), Duration::from_secs(1));
        assert_eq!(backoff(10, 0.5), Duration::from_secs(30));
        assert!(backoff(3, 0.0) < backoff(3, 1.0));
        assert!(backoff(40, 1.0) <= Duration::from_secs_f64(37.5));
    }

    #[test]
    fn a_wall_clock_jump_means_sleep() {
        assert!(!slept(Duration::from_secs(5), Duration::from_secs(5)));
        assert!(!slept(Duration::from_secs(9), Duration::from_secs(5)));
        assert!(slept(Duration::from_secs(3600), Duration::from_secs(5)));
    }

    #[test]
    fn ws_url_follows_the_scheme() {
        assert_eq!(ws_url("http://h:1/"), "ws://h:1/api/v1/ws");
        assert_eq!(ws_url("https://h"), "wss://h/api/v1/ws");
    }
}
