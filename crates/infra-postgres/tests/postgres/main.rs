//! The adapter against a real PostgreSQL: one test binary (links once), a database per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod admission;
mod contract;
mod dates;
mod events;
mod group_commit;
mod helpers;
mod history;
mod idempotency;
mod listing;
mod migrations;
mod notifications;
mod pooled;
mod races;
mod rooms;
mod stampede;
mod text_storage;
mod users;
mod webhooks;
