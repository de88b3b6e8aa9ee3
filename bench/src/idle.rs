//! The idle scenario: chatd's memory and PostgreSQL connections as idle
//! authenticated WebSockets pile up.

use std::time::Duration;

use crate::api::Api;
use crate::cli::Args;
use crate::measure::rss_kib;

/// Opens sockets up to each of `--idle`'s counts and reports memory per
/// socket over the baseline.
pub async fn idle(api: &Api, args: &Args) -> anyhow::Result<()> {
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
            "{:>6} sockets: RSS {rss} KiB, {:.1} KiB per socket over the {base} KiB baseline (target <= 8); PostgreSQL connections (both chatd instances, all sockets): {held}",
            sockets.len(),
            (rss.saturating_sub(base)) as f64 / sockets.len() as f64
        );
        if sockets.len() < n {
            break;
        }
    }
    Ok(())
}
