//! chatd: chat's daemon. A REST API and a WebSocket gateway over
//! PostgreSQL, served by warp on hyper.
//!
//! `main.rs` only parses the command line; everything else lives here so
//! tests can build and run the same server in-process.

mod browser;
pub mod config;
pub mod error;
pub mod gateway;
pub mod healthcheck;
pub mod http;
mod metrics;
pub mod proxy;
pub mod ratelimit;
mod sends;
pub mod server;
mod service;
pub mod session_cache;
mod state;
mod systemd;
pub mod telemetry;

pub use config::Config;
pub use server::Server;
