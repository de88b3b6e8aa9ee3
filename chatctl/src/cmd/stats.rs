//! `chatctl stats`: how big the service is and who is connected.

use chat_store::stats;

use crate::db;
use crate::error::CliResult;
use crate::output::{Output, Table};

pub async fn run(url: &str, out: Output) -> CliResult {
    let client = db::connect_current(url).await?;
    let s = stats::collect(&client).await?;
    out.data(&s, |s| {
        let mut table = Table::new(&["WHAT", "COUNT"]);
        for (what, n) in [
            ("users", s.users),
            ("  active", s.users_active),
            ("  disabled", s.users_disabled),
            ("  admins", s.admins),
            ("rooms", s.rooms),
            ("  archived", s.archived_rooms),
            ("direct conversations", s.direct_rooms),
            ("messages", s.messages),
            ("  deleted", s.messages_deleted),
            ("room events", s.events),
            ("live sessions", s.live_sessions),
        ] {
            table.row(vec![what.into(), n.to_string()]);
        }
        table.row(vec![
            "database size".into(),
            format!("{:.1} MiB", s.database_bytes as f64 / (1024.0 * 1024.0)),
        ]);
        table.print()?;
        crate::output::line("")?;
        if s.connections.is_empty() {
            return crate::output::line("no other connections to the database");
        }
        let mut conns = Table::new(&["CONNECTIONS", "PROGRAM", "CLIENT ADDRESS"]);
        for c in &s.connections {
            conns.row(vec![
                c.count.to_string(),
                c.application.clone(),
                c.client_addr
                    .clone()
                    .unwrap_or_else(|| "local socket".into()),
            ]);
        }
        conns.print()
    })
}
