//! The ticketing HTTP service: the original Node service's API on actix-web, over the
//! `domain`'s ports.
//!
//! [`startup::Application`] builds the service that both `main` and the tests run, over an
//! [`state::AppState`] generic over the [`adapters::Adapters`] it runs on; [`wiring`] is the
//! one module that names the PostgreSQL adapter, and `error` the one place an HTTP status is
//! chosen. `docs/ARCHITECTURE.md` has the map.

pub mod adapters;
mod answers;
pub mod auth;
mod bare_answers;
mod browser;
pub mod client_address;
pub mod config;
mod connections;
mod dto;
pub mod embedded_db;
mod error;
pub mod feed;
mod handlers;
mod housekeeping;
mod http_server;
pub mod idempotency;
mod metrics;
mod openapi;
mod rate_limit;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod supervisor;
pub mod telemetry;
pub mod webhooks;
pub mod wiring;
