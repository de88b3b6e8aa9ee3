//! The command line: where chatd runs, which database it uses, how long
//! each run lasts and which scenarios to run.

use clap::Parser;

// What to measure, and where. (Not a doc comment: clap would print that
// as the help's first line.)
#[derive(Debug, Parser)]
#[command(name = "chat-bench")]
pub struct Args {
    /// chatd's base URL.
    #[arg(long, default_value = "http://127.0.0.1:18100")]
    pub server: String,
    /// chatd's process id, for CPU and memory readings.
    #[arg(long)]
    pub pid: u32,
    /// A second chatd on the same database, for the cross-instance run.
    #[arg(long)]
    pub server_b: Option<String>,
    /// The database chatd uses (for the raw PostgreSQL baseline).
    #[arg(long)]
    pub database_url: String,
    /// Seconds each throughput run lasts.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Idle connection counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub idle: Vec<usize>,
    /// Only these scenarios (send, rest, features, pipeline, fanout, e2e, notify, memory, idle; `store`, the store alone,
    /// runs only when named).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}
