//! chat-bench: drives real WebSocket and HTTP clients against a running
//! chatd and reports throughput, latency and memory, each beside the
//! baseline measured in the same run. `scripts/bench` starts a fresh chatd
//! and runs every scenario.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Debug, Parser)]
#[command(name = "chat-bench")]
struct Args {
    /// chatd's base URL.
    #[arg(long, default_value = "http://127.0.0.1:18100")]
    server: String,
    /// chatd's process id, for CPU and memory readings.
    #[arg(long)]
    pid: u32,
    /// A second chatd on the same database, for the cross-instance run.
    #[arg(long)]
    server_b: Option<String>,
    /// The database chatd uses (for the raw PostgreSQL baseline).
    #[arg(long)]
    database_url: String,
    /// Seconds each throughput run lasts.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Idle connection counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    idle: Vec<usize>,
    /// Only these scenarios (send, fanout, e2e, notify, idle).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let run = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let http = reqwest::Client::new();
    let api = Api {
        http,
        base: args.server.clone(),
    };
    if run("send") {
        send_throughput(&api, &args).await?;
    }
    if run("fanout") {
        fanout(&api, &args).await?;
    }
    if run("e2e") {
        end_to_end(&api, &args).await?;
    }
    if run("notify") {
        settle(&args.database_url).await;
        notify_cost(&args).await?;
        if let Some(b) = &args.server_b {
            let other = Api {
                http: api.http.clone(),
                base: b.clone(),
            };
            cross_instance(&api, &other, &args).await?;
        }
    }
    if run("idle") {
        idle(&api, &args).await?;
    }
    Ok(())
}

/// Lets the database catch up on what the previous scenario left (dead
/// rows to vacuum, dirty pages to write), so autovacuum and a checkpoint
/// do not land in the middle of the next one.
async fn settle(url: &str) {
    let Ok((db, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return;
    };
    tokio::spawn(conn);
    // CHECKPOINT needs a superuser (or pg_checkpoint); without it, vacuum only.
    let _ = db
        .batch_execute("VACUUM (ANALYZE) messages, room_events, rooms")
        .await;
    let _ = db.batch_execute("CHECKPOINT").await;
}

struct Api {
    http: reqwest::Client,
    base: String,
}

static USER_SEQ: AtomicU64 = AtomicU64::new(0);

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// A fresh user; returns (token, user id).
    async fn user(&self) -> anyhow::Result<(String, i64)> {
        let name = format!(
            "b{}_{}",
            std::process::id(),
            USER_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let creds = json!({"username": name, "password": "benchmark password"});
        self.call(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(creds.clone()),
        )
        .await?;
        let login = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(creds),
            )
            .await?;
        Ok((
            login["token"].as_str().context("token")?.to_owned(),
            login["user"]["id"].as_i64().context("id")?,
        ))
    }

    async fn room(&self, token: &str) -> anyhow::Result<i64> {
        let room = self
            .call(
                reqwest::Method::POST,
                "/api/v1/rooms",
                Some(token),
                Some(json!({"name": "bench", "visibility": "public"})),
            )
            .await?;
        room["room"]["id"].as_i64().context("room id")
    }

    /// `n` fresh public rooms owned by `token`'s user.
    async fn rooms(&self, token: &str, n: usize) -> anyhow::Result<Vec<i64>> {
        let mut rooms = Vec::with_capacity(n);
        for _ in 0..n {
            rooms.push(self.room(token).await?);
        }
        Ok(rooms)
    }

    async fn join(&self, token: &str, room: i64) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/rooms/{room}/join"),
            Some(token),
            None,
        )
        .await?;
        Ok(())
    }

    /// An authenticated socket past `ready` and an empty `resume`.
    async fn ws(&self, token: &str) -> anyhow::Result<Ws> {
        let url = format!("{}/api/v1/ws", self.base.replacen("http://", "ws://", 1));
        let mut req = url.into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        // tungstenite's default 128 KiB read buffer is zeroed on every read:
        // at 100 receivers that memset alone took a tenth of the machine.
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        let ready = next_json(&mut ws).await?;
        anyhow::ensure!(ready["type"] == "ready", "expected ready, got {ready}");
        ws.send(Message::Text(
            json!({"type": "resume", "rooms": {}}).to_string().into(),
        ))
        .await?;
        Ok(ws)
    }
}

async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(next_text(ws).await?.as_str())?)
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<tokio_tungstenite::tungstenite::Utf8Bytes> {
    loop {
        match ws.next().await.context("socket closed")?? {
            Message::Text(t) => return Ok(t),
            Message::Close(c) => bail!("closed: {c:?}"),
            _ => {}
        }
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

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// CPU seconds used by every PostgreSQL server process on this machine.
fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| stat_cpu_seconds(&stat))
        .sum()
}

/// Where the CPU went during a run: chatd, PostgreSQL, and these clients.
struct CpuSplit {
    pid: u32,
    chatd: f64,
    postgres: f64,
    clients: f64,
    machine: f64,
}

impl CpuSplit {
    fn start(pid: u32) -> Self {
        Self {
            pid,
            chatd: cpu_seconds(pid),
            postgres: postgres_cpu_seconds(),
            clients: cpu_seconds(std::process::id()),
            machine: machine_busy_seconds(),
        }
    }

    /// chatd's CPU microseconds per unit of work.
    fn chatd_per(&self, units: f64) -> f64 {
        (cpu_seconds(self.pid) - self.chatd) / units.max(1.0) * 1e6
    }

    /// CPU microseconds per unit of work (a send, a delivery), by process.
    fn per(&self, units: f64) -> String {
        let per = |s: f64| s / units.max(1.0) * 1e6;
        format!(
            "CPU: chatd {:.0} us, PostgreSQL {:.0} us, clients {:.0} us; whole machine {:.0} us",
            per(cpu_seconds(self.pid) - self.chatd),
            per(postgres_cpu_seconds() - self.postgres),
            per(cpu_seconds(std::process::id()) - self.clients),
            per(machine_busy_seconds() - self.machine),
        )
    }
}

/// CPU seconds every core of the machine has spent busy (not idle or
/// waiting for I/O).
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next() else {
        return 0.0;
    };
    let ticks: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: f64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy / 100.0
}

fn stat_cpu_seconds(stat: &str) -> f64 {
    // Fields after the parenthesised name; utime and stime are 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Acked sends per second from `senders` sockets spread over `rooms` rooms.
async fn ws_sends(
    api: &Api,
    pid: u32,
    senders: usize,
    rooms: usize,
    seconds: u64,
) -> anyhow::Result<(f64, String)> {
    let (owner, _) = api.user().await?;
    let room_ids = api.rooms(&owner, rooms).await?;
    let mut sockets = Vec::new();
    for i in 0..senders {
        let (token, _) = api.user().await?;
        let room = room_ids[i % rooms];
        api.join(&token, room).await?;
        sockets.push((api.ws(&token).await?, room));
    }
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (n, (mut ws, room)) in sockets.into_iter().enumerate() {
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < stop {
                let cid = format!("{n}-{i}");
                let frame = json!({"type": "send", "room_id": room, "body": "benchmark message", "client_id": cid});
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

/// How the raw baseline tells other instances about its inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notify {
    /// It does not.
    Never,
    /// A `pg_notify` in each insert's own transaction.
    InTransaction,
    /// chatd's way: after commit, hints go to one task that sends whatever
    /// piled up as one `pg_notify` on its own connection.
    AfterCommit,
}

/// The same shape of work straight through tokio-postgres: single-row
/// insert + commit from `clients` connections, with one listener connected
/// when it notifies.
async fn raw_postgres(
    url: &str,
    pid: u32,
    clients: usize,
    seconds: u64,
    notify: Notify,
) -> anyhow::Result<(f64, String)> {
    let (setup, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    setup
        .batch_execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, body text NOT NULL); TRUNCATE bench_raw")
        .await?;
    // A logged table, like messages: UNLOGGED would skip the WAL flush.
    setup
        .batch_execute("ALTER TABLE bench_raw SET LOGGED")
        .await?;
    let _listener = if notify == Notify::Never {
        None
    } else {
        Some(listen(url, "chat_bench").await?)
    };
    let announcer = if notify == Notify::AfterCommit {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<i64>();
        let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut last = first;
                while let Ok(id) = rx.try_recv() {
                    last = last.max(id);
                }
                db.execute("SELECT pg_notify('chat_bench', $1)", &[&last.to_string()])
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        });
        Some(tx)
    } else {
        None
    };
    let sql = match notify {
        Notify::InTransaction => {
            "WITH i AS (INSERT INTO bench_raw (body) VALUES ($1) RETURNING id) \
             SELECT id, pg_notify('chat_bench', id::text) FROM i"
        }
        _ => "INSERT INTO bench_raw (body) VALUES ($1) RETURNING id",
    };
    let result = insert_loop(
        url,
        pid,
        clients,
        seconds,
        sql,
        |_| vec![Box::new("benchmark message")],
        announcer,
    )
    .await?;
    setup.batch_execute("DROP TABLE bench_raw").await?;
    Ok(result)
}

/// Parameters of one client's statement.
type Params = Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>;

/// `clients` connections, each running `sql` (one row in, `RETURNING id`)
/// with `params(client)` and committing, until `seconds` pass; each id goes
/// to `announcer` when there is one. Returns the rate and the CPU split.
async fn insert_loop(
    url: &str,
    pid: u32,
    clients: usize,
    seconds: u64,
    sql: &'static str,
    params: impl Fn(usize) -> Params,
    announcer: Option<tokio::sync::mpsc::UnboundedSender<i64>>,
) -> anyhow::Result<(f64, String)> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let (done, announcer, params) = (done.clone(), announcer.clone(), params(i));
        tasks.push(tokio::spawn(async move {
            let stmt = client.prepare(sql).await?;
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as _).collect();
            while Instant::now() < stop {
                let row = client.query_one(&stmt, &params).await?;
                if let Some(a) = &announcer {
                    let _ = a.send(row.get(0));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    finish(pid, tasks, &done).await
}

/// The message row on its own: the single-row insert + commit of a chat
/// message into the real `messages` table (its indexes, word search and
/// trigram GIN indexes, foreign keys) straight through tokio-postgres, from
/// `clients` connections over 50 rooms. What chatd adds on top (the seq,
/// the event-log row, checks, the WebSocket round trip) is the difference.
async fn raw_message_rows(
    api: &Api,
    url: &str,
    pid: u32,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<(f64, String)> {
    let (owner, author) = api.user().await?;
    let rooms = api.rooms(&owner, 50).await?;
    let (setup, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    // Seqs far above anything these fresh rooms log through chatd.
    setup
        .batch_execute("CREATE SEQUENCE IF NOT EXISTS bench_raw_seq START 1000000000")
        .await?;
    let result = insert_loop(
        url,
        pid,
        clients,
        seconds,
        "INSERT INTO messages (room_id, seq, author_id, body) \
         VALUES ($1, nextval('bench_raw_seq'), $2, $3) RETURNING id",
        |i| {
            vec![
                Box::new(rooms[i % rooms.len()]),
                Box::new(author),
                Box::new("benchmark message"),
            ]
        },
        None,
    )
    .await?;
    setup.batch_execute("DROP SEQUENCE bench_raw_seq").await?;
    Ok(result)
}

/// A connection that listens on `channel` and drains what arrives.
async fn listen(url: &str, channel: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, mut conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    tokio::spawn(async move { while let Some(Ok(_)) = messages.next().await {} });
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    Ok(client)
}

/// Sender on one instance, 100 receivers on another: the events travel
/// through PostgreSQL (a hint, then a read of the log).
async fn cross_instance(a: &Api, b: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== across instances: sender on A, 100 receivers on B, 240 msg/s");
    let (per_sec, h, _) = fanout_run(a, b, args.pid, 100, 240, args.seconds, false).await?;
    println!(
        "{per_sec:.0} deliveries/s, send->receive p50 {:.2} ms, p99 {:.2} ms",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
    );
    Ok(())
}

/// Why chatd never notifies inside the message transaction: commits/s
/// with no notification, with one inside each transaction, and with
/// chatd's coalesced notification after commit.
async fn notify_cost(args: &Args) -> anyhow::Result<()> {
    println!("== cross-instance notification: insert+commit/s at 32 clients");
    let mut plain = 0.0;
    for (label, mode) in [
        ("no NOTIFY", Notify::Never),
        ("NOTIFY inside each transaction", Notify::InTransaction),
        ("coalesced NOTIFY after commit (chatd)", Notify::AfterCommit),
    ] {
        let (rate, _) = raw_postgres(&args.database_url, args.pid, 32, args.seconds, mode).await?;
        if mode == Notify::Never {
            plain = rate;
        }
        println!(
            "{label:<38} {rate:>7.0}/s = {:.2} x no NOTIFY",
            rate / plain
        );
    }
    Ok(())
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
                        Draft {
                            room_id,
                            author_id,
                            body: "benchmark message".into(),
                            client_id: None,
                            reply_to: None,
                        }
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

/// Waits for a run's load tasks; the units they counted in `done` per
/// second, and where the CPU went per unit.
async fn finish(
    pid: u32,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    done: &AtomicU64,
) -> anyhow::Result<(f64, String)> {
    let cpu = CpuSplit::start(pid);
    let start = Instant::now();
    for t in tasks {
        t.await??;
    }
    let done = done.load(Ordering::Relaxed) as f64;
    Ok((done / start.elapsed().as_secs_f64(), cpu.per(done)))
}

async fn send_throughput(api: &Api, args: &Args) -> anyhow::Result<()> {
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
    let (spread, cpu) = ws_sends(api, args.pid, 32, 50, args.seconds).await?;
    println!(
        "chatd, 50 rooms:   {spread:.0} sends/s = {:.2} x raw narrow row, {:.2} x raw message row (target >= 0.70)",
        spread / raw32,
        spread / rows32
    );
    println!("   {cpu} per send");
    let (hot, cpu) = ws_sends(api, args.pid, 32, 1, args.seconds).await?;
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

/// One room with `receivers` sockets; a sender posts at `rate` messages/s
/// over WebSocket; each receiver measures send->receive latency.
async fn fanout_run(
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

async fn fanout(api: &Api, args: &Args) -> anyhow::Result<()> {
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

async fn end_to_end(api: &Api, args: &Args) -> anyhow::Result<()> {
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

async fn idle(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== idle authenticated WebSockets");
    let (token, _) = api.user().await?;
    let room = api.room(&token).await?;
    let _ = room;
    let base = rss_kib(args.pid);
    let mut sockets = Vec::new();
    for &n in &args.idle {
        while sockets.len() < n {
            match api.ws(&token).await {
                Ok(ws) => sockets.push(ws),
                Err(e) => {
                    println!("stopped at {} sockets: {e:#}", sockets.len());
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss = rss_kib(args.pid);
        let (db, conn) = tokio_postgres::connect(&args.database_url, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let held: i64 = db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await?
            .get(0);
        println!(
            "{:>6} sockets: RSS {rss} KiB, {:.1} KiB per socket over the {base} KiB baseline (target <= 16); PostgreSQL connections (both chatd instances, all sockets): {held}",
            sockets.len(),
            (rss.saturating_sub(base)) as f64 / sockets.len() as f64
        );
        if sockets.len() < n {
            break;
        }
    }
    Ok(())
}
