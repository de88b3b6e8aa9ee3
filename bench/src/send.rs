//! The send scenario: acked WebSocket sends from 32 senders, spread over
//! 50 rooms and in one hot room, beside the raw PostgreSQL baselines and
//! what the store alone can write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::SinkExt as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::api::{Api, next_json};
use crate::cli::Args;
use crate::measure::finish;
use crate::raw::{Notify, raw_message_rows, raw_postgres};

/// Runs the send scenario and prints each rate beside its baseline.
pub async fn send_throughput(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== send throughput (acked WebSocket sends, 32 concurrent senders)");
    let (raw32, cpu32) = raw_postgres(
        &args.database_url,
        args.pid,
        32,
        args.seconds,
        Notify::Never,
    )
    .await?;
    let (raw1, _) =
        raw_postgres(&args.database_url, args.pid, 1, args.seconds, Notify::Never).await?;
    println!("raw PostgreSQL insert+commit: {raw32:.0}/s at 32 clients, {raw1:.0}/s at 1");
    println!("   {cpu32} per insert");
    let (rows32, cpu) =
        raw_message_rows(api, &args.database_url, args.pid, 32, args.seconds).await?;
    println!("raw message-row insert+commit: {rows32:.0}/s at 32 clients");
    println!("   {cpu} per insert");
    let (spread, cpu) = ws_sends(api, args.pid, 32, 50, args.seconds, Shape::Plain).await?;
    println!(
        "chatd, 50 rooms:   {spread:.0} sends/s = {:.2} x raw narrow row, {:.2} x raw message row (target >= 0.70)",
        spread / raw32,
        spread / rows32
    );
    println!("   {cpu} per send");
    let (hot, cpu) = ws_sends(api, args.pid, 32, 1, args.seconds, Shape::Plain).await?;
    println!(
        "chatd, 1 hot room: {hot:.0} sends/s = {:.2} x raw (target >= 3000/s)",
        hot / raw32
    );
    println!("   {cpu} per send");
    let (ceiling, cpu) = store_ceiling(&args.database_url, args.pid, args.seconds).await?;
    println!(
        "store alone (send_batch, 4 x 32 per statement): {ceiling:.0} messages/s = {:.2} x raw",
        ceiling / raw32
    );
    println!("   {cpu} per message");
    Ok(())
}

/// REST sends from 8 clients, each waiting for its answer, over 50 rooms
/// and in one hot room, beside the raw message row.
pub async fn rest_throughput(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== REST sends (8 clients, each posting when its previous send is answered)");
    let (rows32, cpu) =
        raw_message_rows(api, &args.database_url, args.pid, 32, args.seconds).await?;
    println!("raw message-row insert+commit: {rows32:.0}/s at 32 clients");
    println!("   {cpu} per insert");
    let (spread, cpu) = rest_sends(api, args.pid, 8, 50, args.seconds).await?;
    println!(
        "50 rooms: {spread:.0} sends/s = {:.2} x raw message row",
        spread / rows32
    );
    println!("   {cpu} per send");
    let (hot, cpu) = rest_sends(api, args.pid, 8, 1, args.seconds).await?;
    println!(
        "1 hot room: {hot:.0} sends/s = {:.2} x the 50 rooms (target >= 6000/s)",
        hot / spread
    );
    println!("   {cpu} per send");
    Ok(())
}

/// The store alone beside the raw message row, without the WebSocket
/// runs: a quick, quieter measure of the send statement's own cost
/// (`--only store`).
pub async fn store_alone(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== the store alone (send_batch beside the raw message row)");
    let (owner, _) = api.user().await?;
    let rooms = api.rooms(&owner, 50).await?;
    for i in 0..32 {
        let (token, _) = api.user().await?;
        api.join(&token, rooms[i % rooms.len()]).await?;
    }
    let (rows32, cpu) =
        raw_message_rows(api, &args.database_url, args.pid, 32, args.seconds).await?;
    println!("raw message-row insert+commit: {rows32:.0}/s at 32 clients");
    println!("   {cpu} per insert");
    let (ceiling, cpu) = store_ceiling(&args.database_url, args.pid, args.seconds).await?;
    println!(
        "store alone (send_batch, 4 x 32 per statement): {ceiling:.0} messages/s = {:.2} x raw message row",
        ceiling / rows32
    );
    println!("   {cpu} per message");
    Ok(())
}

/// What each benchmark message carries, for the cost of each feature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Text only.
    Plain,
    /// Text that mentions the room's owner by name.
    Mention,
    /// A reply in the thread of a message the owner posted first.
    ThreadReply,
    /// Text with one attached file (uploaded once per sender, before the
    /// clock starts: this is the send's cost, not the upload's).
    Attachment,
}

/// What each conversation feature costs a send: acked WebSocket sends,
/// 32 senders over 50 rooms, plain and then with the feature, one after
/// the other in the same run (`--only features`).
pub async fn feature_costs(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== what each feature costs a send (acked WebSocket sends, 32 senders over 50 rooms)");
    let (plain, cpu) = ws_sends(api, args.pid, 32, 50, args.seconds, Shape::Plain).await?;
    println!("plain text:      {plain:.0} sends/s");
    println!("   {cpu} per send");
    for (shape, label) in [
        (Shape::Mention, "with a mention:"),
        (Shape::ThreadReply, "thread replies:"),
        (Shape::Attachment, "with a file:"),
    ] {
        let (rate, cpu) = ws_sends(api, args.pid, 32, 50, args.seconds, shape).await?;
        println!(
            "{label:<16} {rate:.0} sends/s = {:+.0} % against plain text (target: within -10 %)",
            (rate / plain - 1.0) * 100.0
        );
        println!("   {cpu} per send");
    }
    Ok(())
}

/// Acked sends per second from `senders` sockets spread over `rooms` rooms.
async fn ws_sends(
    api: &Api,
    pid: u32,
    senders: usize,
    rooms: usize,
    seconds: u64,
    shape: Shape,
) -> anyhow::Result<(f64, String)> {
    let (owner, _, owner_name) = api.user_named().await?;
    let room_ids = api.rooms(&owner, rooms).await?;
    let mut roots = Vec::new();
    if shape == Shape::ThreadReply {
        for &room in &room_ids {
            roots.push(api.post(&owner, room, "a thread to reply in").await?);
        }
    }
    let mut sockets = Vec::new();
    for (i, (token, room)) in members(api, senders, &room_ids)
        .await?
        .into_iter()
        .enumerate()
    {
        let mut frame = json!({"type": "send", "room_id": room, "body": "benchmark message"});
        match shape {
            Shape::Plain => {}
            Shape::Mention => frame["body"] = json!(format!("benchmark message for @{owner_name}")),
            Shape::ThreadReply => frame["thread_root"] = json!(roots[i % rooms]),
            Shape::Attachment => {
                let file = api
                    .upload(&token, "notes.txt", b"benchmark attachment\n")
                    .await?;
                frame["attachments"] = json!([file]);
            }
        }
        sockets.push((api.ws(&token).await?, frame));
    }
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (n, (mut ws, mut frame)) in sockets.into_iter().enumerate() {
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < stop {
                let cid = format!("{n}-{i}");
                frame["client_id"] = json!(cid);
                ws.send(Message::Text(frame.to_string().into())).await?;
                loop {
                    let v = next_json(&mut ws).await?;
                    match v["type"].as_str() {
                        Some("ack") if v["client_id"] == cid.as_str() => break,
                        Some("error") => bail!("send failed: {v}"),
                        _ => {}
                    }
                }
                acked.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    finish(pid, tasks, &acked).await
}

/// `count` fresh users, the i-th a member of `rooms[i % rooms.len()]`;
/// (token, room) each.
async fn members(api: &Api, count: usize, rooms: &[i64]) -> anyhow::Result<Vec<(String, i64)>> {
    let mut members = Vec::with_capacity(count);
    for i in 0..count {
        let (token, _) = api.user().await?;
        let room = rooms[i % rooms.len()];
        api.join(&token, room).await?;
        members.push((token, room));
    }
    Ok(members)
}

/// Sends per second over REST from `clients` users, each posting its next
/// message as soon as the previous one is answered, spread over `rooms`.
async fn rest_sends(
    api: &Api,
    pid: u32,
    clients: usize,
    rooms: usize,
    seconds: u64,
) -> anyhow::Result<(f64, String)> {
    let (owner, _) = api.user().await?;
    let room_ids = api.rooms(&owner, rooms).await?;
    let senders = members(api, clients, &room_ids).await?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (token, room) in senders {
        let (http, sent) = (api.http.clone(), sent.clone());
        let url = format!("{}/api/v1/rooms/{room}/messages", api.base);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let res = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": "benchmark message"}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("send failed: {} {}", res.status(), res.text().await?);
                }
                res.bytes().await?;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    finish(pid, tasks, &sent).await
}

/// What PostgreSQL alone can store with chatd's own batch statement
/// (`chat_store::messages::send_batch`), batches of 32 over the rooms and
/// members the send runs created, from 4 connections: the ceiling for
/// sends on this machine, with nothing of chatd or the clients running.
async fn store_ceiling(url: &str, pid: u32, seconds: u64) -> anyhow::Result<(f64, String)> {
    use chat_store::messages::{Draft, send_batch};
    let options = chat_store::PoolOptions {
        max_size: 4,
        ..Default::default()
    };
    let pool = chat_store::create_pool(url, &options)?;
    let pairs: Vec<(i64, i64)> = pool
        .get()
        .await?
        .query(
            "SELECT m.room_id, m.user_id FROM memberships m JOIN rooms r ON r.id = m.room_id \
             WHERE r.archived_at IS NULL ORDER BY random() LIMIT 1000",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    anyhow::ensure!(!pairs.is_empty(), "no members to send as");
    let pairs = Arc::new(pairs);
    let stored = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for n in 0..4 {
        let (pool, pairs, stored) = (pool.clone(), pairs.clone(), stored.clone());
        tasks.push(tokio::spawn(async move {
            let db = pool.get().await?;
            let mut next = n * 250;
            while Instant::now() < stop {
                let drafts: Vec<Draft> = (0..32)
                    .map(|i| {
                        let (room_id, author_id) = pairs[(next + i) % pairs.len()];
                        Draft::new(room_id, author_id, "benchmark message")
                    })
                    .collect();
                next += 32;
                let rows = send_batch(&db, &drafts).await?;
                stored.fetch_add(rows.iter().flatten().count() as u64, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    finish(pid, tasks, &stored).await
}
