//! The HTTP API through a real server and a real database. One test binary: it links once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod accounts;
mod bookings;
mod browser;
mod compatibility;
mod embedded;
mod events;
mod groups;
mod helpers;
mod history;
mod idempotency;
mod lifecycle;
mod login_storm;
mod managing;
mod notifications;
mod offers;
mod operations;
mod protocol;
mod proxy;
mod race;
mod rate_limits;
mod reading;
mod receiver;
mod rooms;
mod sessions;
mod settings_file;
mod slow_clients;
mod sse;
mod startup_failures;
mod streams;
mod tokens;
mod webhooks;
