//! The fan-out scenarios: one room, many receivers, a sender at a fixed
//! rate over WebSocket (fan-out) or REST (end to end); each receiver
//! measures send->receive latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::api::{Api, next_text};
use crate::cli::Args;
use crate::measure::{CpuSplit, now_micros, settle};

/// Fan-out with the sender on WebSocket, at rising rates.
pub async fn fanout(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== fan-out: one room, 100 receivers, sender over WebSocket");
    for rate in [100, 240, 500] {
        settle(&args.database_url).await;
        let (per_sec, h, cpu_us) =
            fanout_run(api, api, args.pid, 100, rate, args.seconds, false).await?;
        println!(
            "{rate:>4} msg/s: {per_sec:>7.0} deliveries/s, send->receive p50 {:.2} ms, p99 {:.2} ms, server CPU {cpu_us:.1} us/delivery",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
        );
    }
    println!("   targets: >= 24000 deliveries/s with p99 <= 10 ms; CPU <= 15 us/delivery");
    Ok(())
}

/// REST send -> WebSocket receive, at a low and the target rate.
pub async fn end_to_end(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== end to end: REST send -> WebSocket receive, 100 receivers");
    // The low rate shows the latency floor, the target rate what load adds.
    for rate in [100, 1000] {
        settle(&args.database_url).await;
        let (per_sec, h, _) = fanout_run(api, api, args.pid, 100, rate, args.seconds, true).await?;
        println!(
            "{rate:>4} msg/s: {per_sec:>7.0} deliveries/s, p50 {:.2} ms, p99 {:.2} ms",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
        );
    }
    println!("   targets at 1000 msg/s: p50 <= 2 ms, p99 <= 10 ms");
    Ok(())
}

/// One room with `receivers` sockets; a sender posts at `rate` messages/s
/// over WebSocket; each receiver measures send->receive latency.
pub async fn fanout_run(
    api: &Api,
    receive_on: &Api,
    pid: u32,
    receivers: usize,
    rate: u64,
    seconds: u64,
    via_rest: bool,
) -> anyhow::Result<(f64, Histogram<u64>, f64)> {
    let (owner, _) = api.user().await?;
    let room = api.room(&owner).await?;
    let mut sockets = Vec::new();
    for _ in 0..receivers {
        let (token, _) = api.user().await?;
        api.join(&token, room).await?;
        sockets.push(receive_on.ws(&token).await?);
    }
    let total = rate * seconds;
    let hist = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for mut ws in sockets {
        let (hist, delivered) = (hist.clone(), delivered.clone());
        readers.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut got = 0;
            while got < total {
                let text =
                    match tokio::time::timeout(Duration::from_secs(10), next_text(&mut ws)).await {
                        Ok(t) => t?,
                        Err(_) => break,
                    };
                // Only the fields this needs, borrowed: the clients share
                // the machine with chatd, so they should cost it little.
                let frame: Delivery<'_> = serde_json::from_str(text.as_str())?;
                if frame.kind == "message.created" {
                    if let Some(sent) = frame
                        .message
                        .and_then(|m| m.body)
                        .and_then(|b| b.parse::<u64>().ok())
                    {
                        local.record(now_micros().saturating_sub(sent).max(1))?;
                    }
                    got += 1;
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            hist.lock().unwrap().add(&local)?;
            Ok::<_, anyhow::Error>(())
        }));
    }
    let split = CpuSplit::start(pid);
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut sender_ws = if via_rest {
        None
    } else {
        Some(api.ws(&owner).await?)
    };
    let mut next = Instant::now();
    for i in 0..total {
        next += interval;
        let body = now_micros().to_string();
        match &mut sender_ws {
            Some(ws) => {
                let frame = json!({"type": "send", "room_id": room, "body": body, "client_id": format!("f{i}")});
                ws.send(Message::Text(frame.to_string().into())).await?;
            }
            None => {
                let http = api.http.clone();
                let url = format!("{}/api/v1/rooms/{room}/messages", api.base);
                let token = owner.clone();
                tokio::spawn(async move {
                    let _ = http
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({"body": body}))
                        .send()
                        .await;
                });
            }
        }
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    if let Some(mut ws) = sender_ws {
        // Drain acks so the server never sees us as a slow reader.
        tokio::spawn(async move { while ws.next().await.is_some() {} });
    }
    for r in readers {
        r.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let delivered = delivered.load(Ordering::Relaxed) as f64;
    println!("   {} (per delivery)", split.per(delivered));
    let hist = hist.lock().unwrap().clone();
    Ok((delivered / elapsed, hist, split.chatd_per(delivered)))
}

/// The part of a server frame a fan-out receiver reads.
#[derive(serde::Deserialize)]
struct Delivery<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    message: Option<DeliveredMessage<'a>>,
}

#[derive(serde::Deserialize)]
struct DeliveredMessage<'a> {
    #[serde(borrow)]
    body: Option<&'a str>,
}
