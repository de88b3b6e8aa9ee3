//! chatd's entry point: parse the configuration, start, serve, stop — or,
//! as `chatd healthcheck`, ask a running chatd whether it is ready.

use std::process::ExitCode;
use std::time::Duration;

use chatd::config::{Args, Command, Config};
use chatd::{Server, healthcheck, server, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    let mut args = Args::parse();
    let command = args.command.take();
    let config = match Config::load(args) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    if let Some(Command::Healthcheck(check)) = command {
        let addr = check
            .addr
            .unwrap_or_else(|| healthcheck::target(config.listen));
        return match healthcheck::check(addr, Duration::from_secs(check.timeout)) {
            Ok(()) => {
                println!("chatd at {addr} is ready");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    }
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
