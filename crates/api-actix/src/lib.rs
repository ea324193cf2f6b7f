//! The ticketing HTTP service: the original Node service's API on actix-web, over the
//! `domain` services and the PostgreSQL adapter.
//!
//! [`startup::Application`] builds the server that both `main` and the tests run;
//! [`error`] is the one place an HTTP status is chosen.

pub mod auth;
pub mod config;
pub mod database;
pub mod dto;
pub mod error;
mod handlers;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
