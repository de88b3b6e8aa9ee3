//! chatd's API tests: the real server in-process on port 0, against the real
//! PostgreSQL, with a fresh database per test.
//!
//! One test binary for the whole API keeps link times down.

mod helpers;

mod accounts;
mod apache;
mod audit;
mod authz;
mod blocks;
mod conversations;
mod daemon;
mod deploy;
mod distributable;
mod errors;
mod faults;
mod files;
mod first_hour;
mod forwarded;
mod graceful;
mod ha;
mod hardening;
mod instances;
mod messages;
mod moderation;
mod notify;
mod ops;
mod ordering;
mod pipelining;
mod packaging;
mod process;
mod proxy;
mod ratelimits;
mod reports;
mod rooms;
mod secrets;
mod sessions;
mod slow;
mod storm;
mod threads;
mod web;
mod ws;
