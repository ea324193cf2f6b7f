//! What runs around every handler, outermost first: the request's id, span and metrics
//! ([`request_context`]), security headers and CORS ([`browser`]), the connection and body
//! limits ([`connections`]), rate limits ([`rate_limit`]) and safe retries ([`idempotency`]).
//! [`bare_answers`] sits below them all, on the connection, and turns the answers actix-http
//! gives on its own into JSON.

pub mod bare_answers;
pub mod browser;
pub mod connections;
pub mod idempotency;
pub mod rate_limit;
pub mod request_context;
