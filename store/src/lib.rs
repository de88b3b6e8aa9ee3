//! chat's PostgreSQL store: the connection pool, the embedded migrations,
//! every SQL statement, and password hashing.
//!
//! One module per table. Functions take `&impl GenericClient` so they work
//! on a pooled connection and inside a transaction alike; the few operations
//! that must be atomic across tables take a `&mut Client` and open their own
//! transaction.

pub mod accounts;
pub mod audit;
pub mod blocks;
mod committed;
pub mod database;
mod error;
pub mod events;
pub mod files;
pub mod members;
pub mod messages;
pub mod migrate;
pub mod moderation;
pub mod notify;
pub mod password;
pub mod pins;
mod pool;
pub mod reactions;
pub mod reports;
pub mod roles;
pub mod rooms;
mod rows;
pub mod sessions;
pub mod stats;
pub mod users;

pub use committed::Committed;
pub use deadpool_postgres::{Client, GenericClient, Pool};
pub use error::{Refusal, StoreError, StoreResult};
pub use pool::{
    Connected, PoolOptions, connect_once, connect_primary, create_pool, listener_config, redact_url,
};
