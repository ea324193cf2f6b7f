//! `ticketing-load`: drives the ticketing service through its public HTTP API only, with
//! bounded scenarios, and checks afterwards that nothing was oversold, duplicated or promoted
//! out of order — through the API and, when given a database URL, by SQL.

pub mod api;
pub mod concurrency;
pub mod provision;
pub mod receiver;
pub mod report;
pub mod scenarios;
pub mod sql;
pub mod stats;
pub mod verify;
