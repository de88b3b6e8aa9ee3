//! chatd's entry point: parse the configuration, start, serve, stop.

use std::process::ExitCode;

use chatd::config::{Args, Config};
use chatd::{Server, server, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    let config = match Config::load(Args::parse()) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&e.into()),
    };
    runtime.block_on(async {
        match Server::bind(config).await {
            Ok(server) => {
                server.run(server::shutdown_signal()).await;
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        }
    })
}

fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("chatd: {error:#}");
    ExitCode::FAILURE
}
