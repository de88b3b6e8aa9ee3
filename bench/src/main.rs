//! chat-bench: drives real WebSocket and HTTP clients against a running
//! chatd and reports throughput, latency and memory, each beside the
//! baseline measured in the same run. `scripts/bench` starts a fresh chatd
//! and runs every scenario.

mod api;
mod cli;
mod fanout;
mod idle;
mod measure;
mod memory;
mod notify;
mod outside;
mod pipeline;
mod raw;
mod send;

use clap::Parser;

use crate::api::Api;
use crate::cli::Args;
use crate::measure::settle;

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
        send::send_throughput(&api, &args).await?;
    }
    if run("rest") {
        send::rest_throughput(&api, &args).await?;
    }
    if run("features") {
        send::feature_costs(&api, &args).await?;
    }
    if args.only.iter().any(|o| o == "store") {
        send::store_alone(&api, &args).await?;
    }
    if run("pipeline") {
        pipeline::pipeline(&api, &args).await?;
    }
    if run("fanout") {
        fanout::fanout(&api, &args).await?;
    }
    if run("e2e") {
        fanout::end_to_end(&api, &args).await?;
    }
    if run("notify") {
        settle(&args.database_url).await;
        notify::notify_cost(&args).await?;
        if let Some(b) = &args.server_b {
            let other = Api {
                http: api.http.clone(),
                base: b.clone(),
            };
            notify::cross_instance(&api, &other, &args).await?;
        }
    }
    if run("memory") {
        memory::memory(&api, &args).await?;
    }
    if run("idle") {
        idle::idle(&api, &args).await?;
    }
    Ok(())
}
