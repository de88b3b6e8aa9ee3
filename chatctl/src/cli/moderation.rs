//! The moderation commands' arguments: reports and the audit log.

use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// List reports, newest first.
    List {
        /// Which reports.
        #[arg(long, value_enum, default_value = "open")]
        status: ReportStatusArg,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10000))]
        limit: u32,
    },
    /// Show one report with the message as it is now (and its earlier
    /// texts, if it was edited).
    Show { id: i64 },
    /// Resolve a report, with a note for the record; the audit log keeps
    /// it.
    Resolve {
        id: i64,
        /// What was done (0-1000 characters).
        #[arg(long, default_value = "")]
        note: String,
        /// Delete the reported message too.
        #[arg(long)]
        delete_message: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportStatusArg {
    Open,
    Resolved,
    All,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit records, oldest first (the newest --limit of them).
    List {
        /// Only records from then on: an RFC 3339 time, a UTC date
        /// (YYYY-MM-DD), or a span back from now (90m, 12h, 7d).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only records by this actor: a username, or `chatctl` for this
        /// tool.
        #[arg(long, value_name = "NAME")]
        actor: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100000))]
        limit: u32,
    },
}
