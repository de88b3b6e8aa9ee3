//! The raw PostgreSQL baselines: the same shape of work as a chat send
//! straight through tokio-postgres, with nothing of chatd in the way, so
//! each chatd figure has a ceiling measured on the same machine and run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use crate::api::Api;
use crate::measure::finish;

/// How the raw baseline tells other instances about its inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
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
pub async fn raw_postgres(
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
pub async fn raw_message_rows(
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
