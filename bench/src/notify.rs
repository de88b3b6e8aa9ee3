//! The cross-instance scenario: what notifying other chatd instances
//! costs PostgreSQL, and fan-out with sender and receivers on different
//! instances.

use crate::api::Api;
use crate::cli::Args;
use crate::fanout::{Load, fanout_run};
use crate::raw::{Notify, raw_postgres};

/// Sender on one instance, 100 receivers on another: the events travel
/// through PostgreSQL (a hint, then a read of the log).
pub async fn cross_instance(a: &Api, b: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== across instances: sender on A, 100 receivers on B, 240 msg/s");
    let load = Load::hundred(240, args.seconds);
    if let Some(o) = fanout_run(a, b, args.pid, &load).await? {
        println!(
            "{:.0} deliveries/s, send->receive p50 {:.2} ms, p99 {:.2} ms",
            o.per_sec, o.p50_ms, o.p99_ms
        );
    }
    Ok(())
}

/// Why chatd never notifies inside the message transaction: commits/s
/// with no notification, with one inside each transaction, and with
/// chatd's coalesced notification after commit.
pub async fn notify_cost(args: &Args) -> anyhow::Result<()> {
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
