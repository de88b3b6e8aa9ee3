//! The pipeline scenario: acked sends from ONE socket (a bot or a bridge),
//! with many sends in flight, beside the same socket waiting for each ack
//! before the next send (the ceiling before sends pipelined).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::api::Api;
use crate::cli::Args;
use crate::measure::finish;

/// Sends kept in flight by the pipelined sender (the server's per-socket
/// bound is 256).
const WINDOW: usize = 200;

/// Runs the scenario and prints both rates.
pub async fn pipeline(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== one socket's acked sends (one room)");
    let (one_by_one, cpu) = one_socket(api, args, 1).await?;
    println!("waiting for each ack: {one_by_one:.0} sends/s");
    println!("   {cpu} per send");
    let (pipelined, cpu) = one_socket(api, args, WINDOW).await?;
    println!(
        "{WINDOW} in flight:       {pipelined:.0} sends/s = {:.1} x one by one (target >= 5000/s)",
        pipelined / one_by_one
    );
    println!("   {cpu} per send");
    Ok(())
}

/// Acked sends per second from one socket keeping `window` sends in flight.
async fn one_socket(api: &Api, args: &Args, window: usize) -> anyhow::Result<(f64, String)> {
    let (token, _) = api.user().await?;
    let room = api.room(&token).await?;
    let ws = api.ws(&token).await?;
    let (mut tx, mut rx) = ws.split();
    let acked = Arc::new(AtomicU64::new(0));
    let slots = Arc::new(Semaphore::new(window));
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let (slots, sent) = (slots.clone(), sent.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < stop {
                slots.acquire().await?.forget();
                let frame = json!({"type": "send", "room_id": room,
                                   "body": "benchmark message", "client_id": format!("p{i}")});
                tx.send(Message::Text(frame.to_string().into())).await?;
                i += 1;
                sent.store(i, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    let reader = {
        let acked = acked.clone();
        tokio::spawn(async move {
            loop {
                let Message::Text(text) = rx.next().await.context("socket closed")?? else {
                    continue;
                };
                let v: serde_json::Value = serde_json::from_str(text.as_str())?;
                match v["type"].as_str() {
                    Some("ack") => {
                        slots.add_permits(1);
                        let n = acked.fetch_add(1, Ordering::Relaxed) + 1;
                        if Instant::now() >= stop && n >= sent.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                    }
                    Some("error") => bail!("send failed: {v}"),
                    _ => {}
                }
            }
        })
    };
    let result = finish(args.pid, vec![reader], &acked).await;
    writer.abort();
    result
}
