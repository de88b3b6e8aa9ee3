//! chatd's API tests: the real server in-process on port 0, against the real
//! PostgreSQL, with a fresh database per test.
//!
//! One test binary for the whole API keeps link times down.

mod helpers;

mod accounts;
mod apache;
mod attachments;
mod audit;
mod authz;
mod avatars;
mod batch_steps;
mod batches;
mod blocks;
mod conversations;
mod daemon;
mod deploy;
mod distributable;
mod edit_history;
mod errors;
mod faults;
mod files;
mod files_images;
mod first_hour;
mod forwarded;
mod frozen_host;
mod graceful;
mod ha;
mod hardening;
mod hyper_rejections;
mod instances;
mod log_integrity;
mod lookalikes;
mod lost_reply;
mod messages;
mod moderation;
mod moderation_refusals;
mod notify;
mod ops;
mod ordering;
mod packaging;
mod people;
mod pipelining;
mod process;
mod proxy;
mod ratelimits;
mod reports;
mod rooms;
mod search;
mod secrets;
mod sessions;
mod slow;
mod storm;
mod threads;
mod upload_stops;
mod web;
mod ws;
