//! The ticketing service: the original Node service's API on actix-web over the `domain`'s
//! ports, and the `ticketing` binary that wires the adapters into it.
//!
//! Two halves, one import direction (`app` → `http`, never back):
//! - [`http`] is the inbound adapter: routes, handlers, request and response bodies, the one
//!   table of HTTP errors, middleware, authentication and notification streams. It is generic
//!   over the domain's [`domain::ports::Store`] and names no adapter.
//! - [`app`] is the composition root and runtime: configuration, the wiring of PostgreSQL,
//!   Argon2 and the webhook sender into the HTTP layer, the embedded database, start-up and
//!   orderly stopping, and the supervised background workers.
//!
//! [`telemetry`] (logs, metrics) and [`secret`] serve both. `docs/ARCHITECTURE.md` has the
//! map.

pub mod app;
pub mod http;
pub mod secret;
pub mod telemetry;
