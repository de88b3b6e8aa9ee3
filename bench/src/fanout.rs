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

use crate::api::{Api, Ws, next_text};
use crate::cli::Args;
use crate::measure::{CpuSplit, now_micros, settle};
use crate::outside;

/// Fan-out with the sender on WebSocket, at rising rates.
pub async fn fanout(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== fan-out: one room, 100 receivers, sender over WebSocket");
    for rate in [100, 240, 500] {
        settle(&args.database_url).await;
        let load = Load::hundred(rate, args.seconds);
        let Some(o) = fanout_run(api, api, args.pid, &load).await? else {
            continue;
        };
        println!(
            "{rate:>4} msg/s: {:>7.0} deliveries/s, send->receive p50 {:.2} ms, p99 {:.2} ms, server CPU {:.1} us/delivery",
            o.per_sec, o.p50_ms, o.p99_ms, o.chatd_us
        );
    }
    println!("   targets: >= 24000 deliveries/s with p99 <= 10 ms; CPU <= 15 us/delivery");
    Ok(())
}

/// REST send -> WebSocket receive, at a low and the target rate, taken
/// by our receivers and then by the outside one (Node.js).
pub async fn end_to_end(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== end to end: REST send -> WebSocket receive, 100 receivers");
    // The low rate shows the latency floor, the target rate what load adds.
    for rate in [100, 1000] {
        for (outside, who) in [(false, "ours"), (true, "Node.js")] {
            settle(&args.database_url).await;
            let load = Load {
                via_rest: true,
                outside,
                ..Load::hundred(rate, args.seconds)
            };
            match fanout_run(api, api, args.pid, &load).await? {
                Some(o) => println!(
                    "{rate:>4} msg/s, {who:<7} receivers: {:>7.0} deliveries/s, p50 {:.2} ms, p99 {:.2} ms",
                    o.per_sec, o.p50_ms, o.p99_ms
                ),
                None => {
                    println!(
                        "{rate:>4} msg/s, {who} receivers: skipped (needs Node.js 20.10 or later)"
                    )
                }
            }
        }
    }
    println!("   targets at 1000 msg/s: p50 <= 2 ms, p99 <= 10 ms");
    Ok(())
}

/// What one fan-out run loads chatd with.
pub struct Load {
    /// Receiving sockets, all in one room.
    pub receivers: usize,
    /// Messages per second from one sender.
    pub rate: u64,
    pub seconds: u64,
    /// The sender posts over REST (else over its WebSocket).
    pub via_rest: bool,
    /// The receivers are `bench/outside/receiver.mjs` (else our own).
    pub outside: bool,
}

impl Load {
    /// 100 of our receivers, the sender on its WebSocket.
    pub fn hundred(rate: u64, seconds: u64) -> Self {
        Self {
            receivers: 100,
            rate,
            seconds,
            via_rest: false,
            outside: false,
        }
    }
}

/// What one fan-out run measured.
pub struct Outcome {
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// chatd's CPU microseconds per delivery.
    pub chatd_us: f64,
}

/// One room with `load.receivers` receivers; a sender posts at
/// `load.rate` messages/s; each receiver measures send->receive latency.
/// `None` when the outside receiver was asked for and Node.js is missing or too old.
pub async fn fanout_run(
    api: &Api,
    receive_on: &Api,
    pid: u32,
    load: &Load,
) -> anyhow::Result<Option<Outcome>> {
    let (owner, _) = api.user().await?;
    let room = api.room(&owner).await?;
    let mut tokens = Vec::new();
    for _ in 0..load.receivers {
        let (token, _) = api.user().await?;
        api.join(&token, room).await?;
        tokens.push(token);
    }
    let total = load.rate * load.seconds;
    let receivers = if load.outside {
        match outside::Receivers::start(&receive_on.base, &tokens, total).await? {
            Some(r) => Receivers::Outside(Box::new(r)),
            None => return Ok(None),
        }
    } else {
        let mut sockets = Vec::new();
        for token in &tokens {
            sockets.push(receive_on.ws(token).await?);
        }
        Receivers::Ours(OurReceivers::start(sockets, total))
    };
    let split = CpuSplit::start(pid);
    let start = Instant::now();
    send_at_rate(api, &owner, room, load).await?;
    let (delivered, p50_us, p99_us) = match receivers {
        Receivers::Ours(r) => r.finish().await?,
        Receivers::Outside(r) => {
            let report = r.finish().await?;
            let per = report.cpu_us as f64 / (report.delivered.max(1)) as f64;
            println!("   the outside receiver's own CPU: {per:.0} us per delivery");
            (report.delivered, report.p50_us, report.p99_us)
        }
    };
    let elapsed = start.elapsed().as_secs_f64();
    let delivered = delivered as f64;
    println!("   {} (per delivery)", split.per(delivered));
    Ok(Some(Outcome {
        per_sec: delivered / elapsed,
        p50_ms: p50_us as f64 / 1000.0,
        p99_ms: p99_us as f64 / 1000.0,
        chatd_us: split.chatd_per(delivered),
    }))
}

enum Receivers {
    Ours(OurReceivers),
    Outside(Box<outside::Receivers>),
}

/// The sender: `load.rate` messages a second, each body the wall-clock
/// microseconds it was sent at.
async fn send_at_rate(api: &Api, owner: &str, room: i64, load: &Load) -> anyhow::Result<()> {
    let interval = Duration::from_secs_f64(1.0 / load.rate as f64);
    let mut sender_ws = if load.via_rest {
        None
    } else {
        Some(api.ws(owner).await?)
    };
    let mut next = Instant::now();
    for i in 0..load.rate * load.seconds {
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
                let token = owner.to_owned();
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
    Ok(())
}

/// Our own receivers: a task per socket on this process's runtime.
struct OurReceivers {
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    hist: Arc<std::sync::Mutex<Histogram<u64>>>,
    delivered: Arc<AtomicU64>,
}

impl OurReceivers {
    fn start(sockets: Vec<Ws>, total: u64) -> Self {
        let hist = Arc::new(std::sync::Mutex::new(
            Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
        ));
        let delivered = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for mut ws in sockets {
            let (hist, delivered) = (hist.clone(), delivered.clone());
            tasks.push(tokio::spawn(async move {
                let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
                let mut got = 0;
                while got < total {
                    let text =
                        match tokio::time::timeout(Duration::from_secs(10), next_text(&mut ws))
                            .await
                        {
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
        Self {
            tasks,
            hist,
            delivered,
        }
    }

    /// Waits for every receiver; (deliveries, p50 us, p99 us).
    async fn finish(self) -> anyhow::Result<(u64, u64, u64)> {
        for t in self.tasks {
            t.await??;
        }
        let h = self.hist.lock().unwrap();
        Ok((
            self.delivered.load(Ordering::Relaxed),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
        ))
    }
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
