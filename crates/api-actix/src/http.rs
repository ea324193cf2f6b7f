//! The inbound adapter: the HTTP API on actix-web, generic over the domain's
//! [`domain::ports::Store`] (and, where a handler needs them, a password hasher and a webhook
//! sender). Handlers parse a body into a domain command, call one port or service method and
//! map the result; [`error`] is the one place an HTTP status is chosen; [`answers`] renders
//! what a write did, for its first answer and for a keyed request's replays.
//!
//! [`service`] assembles the app — routes, middleware in their order, the shared state — and
//! [`server`] serves it; the composition root (`crate::app`) decides what it runs on.

pub mod answers;
pub mod auth;
pub mod client_address;
pub mod draining;
mod dto;
pub mod endpoints;
pub mod error;
pub mod feed;
mod handlers;
pub mod limits;
pub mod middleware;
pub mod openapi;
mod page;
pub mod roomless;
pub mod routes;
pub mod server;
pub mod service;
pub mod state;

pub use dto::notification_json;
pub use handlers::operations::MetricsAccess;
