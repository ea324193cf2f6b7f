//! Builds the HTTP server from a configuration and a pool. `main` and the tests both start the
//! service through [`Application::build`], so the tests exercise what runs in production.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use infra_postgres::PgPool;

use crate::auth::{Argon2Hasher, TokenService};
use crate::config::{Config, Secret};
use crate::rate_limit::RateLimiting;
use crate::routes;
use crate::state::AppState;
use crate::telemetry;

/// How long a stopping server lets in-flight requests finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `HOST:PORT` (port 0 picks a free one) and prepares the server on `pool`.
    ///
    /// # Errors
    /// When the address cannot be bound or the password hasher cannot start.
    pub fn build(config: &Config, pool: &PgPool, jwt_secret: &Secret) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.host, config.port))
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let hasher = Argon2Hasher::new().context("starting the password hasher")?;
        let tokens = TokenService::new(jwt_secret.expose().as_bytes(), config.jwt_ttl);
        let state = web::Data::new(AppState::new(pool, hasher, tokens));
        // Record from the first request on, not from the first scrape.
        let _recorder = crate::metrics::handle();
        let rate_limiting = RateLimiting::new(config.rate_limit).context("configuring rate limiting")?;

        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
                .wrap(rate_limiting.middleware())
                .wrap(from_fn(telemetry::request_context))
        })
        .listen(listener)?
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs());
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self { port, server: server.run() })
    }

    /// The port the server listens on.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
