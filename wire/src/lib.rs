//! Wire types shared by chatd and its clients.
//!
//! Everything that crosses the network is defined here once: the resources
//! (`User`, `Room`, `Message`, `Event`), the request and response bodies of the
//! REST API, the error body and its stable codes, and the validated newtypes
//! that turn raw client input into values the server can trust.
//!
//! The crate depends on serde and small Unicode tables (plus `utoipa`
//! behind the `openapi` feature, which only chatd enables), so a client
//! never links a database driver or a password hasher.

pub mod api;
pub mod emoji;
pub mod error;
pub mod files;
pub mod limits;
pub mod mentions;
pub mod model;
pub mod moderation;
pub mod validate;
pub mod ws;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use model::*;
