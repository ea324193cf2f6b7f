//! The composition root and the runtime: what the service is told ([`config`]), which adapters
//! it runs on ([`wiring`], the one module that names them; [`embedded_db`] for the zero-setup
//! database), how it starts and stops ([`startup`]), and the background work beside the HTTP
//! server ([`supervisor`], [`workers`]). [`cli`] is the command line over all of it.

pub mod check;
pub mod cli;
pub mod config;
pub mod embedded_db;
pub mod seed;
pub mod startup;
pub mod supervisor;
pub mod wiring;
pub mod workers;
