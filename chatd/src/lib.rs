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

/// What an upload goes through before anything of it is stored, as the
/// pure functions the upload handler calls: the query string, the name in
/// it, the type sniffed from the first [`SNIFF_BYTES`](upload::SNIFF_BYTES)
/// bytes, and for images the decoding (size, thumbnail, a copy without
/// metadata). Public for the `upload_metadata` fuzz target.
pub mod upload {
    pub use crate::http::extract::parse_query;
    pub use crate::service::files::media::{
        MAX_SIDE, MediaError, Processed, THUMB_SIDE, decode, image_format, inline_allowed, sniff,
    };
    pub use crate::service::files::{SNIFF_BYTES, clean_name};
}

pub use config::Config;
pub use server::Server;
