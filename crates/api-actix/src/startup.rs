//! Builds the application — the HTTP server and the background workers — from a configuration
//! and the adapters' state, and stops it in order. `main` and the tests both start the service
//! through [`Application::build`], so the tests exercise what runs in production.
//!
//! On SIGTERM or SIGINT (or [`ShutdownHandle::shut_down`]) the order is:
//! 1. `/ready` answers 503, so a balancer stops sending new requests;
//! 2. after `DRAIN_DELAY_MS`, the listener closes and in-flight requests finish (at most
//!    [`SHUTDOWN_GRACE`]);
//!    (notification streams, which never finish, are ended as draining starts: their
//!    clients reconnect elsewhere with `Last-Event-ID`);
//! 3. the workers are told to stop claiming new work, and are waited for;
//! 4. [`Application::run_until_stopped`] returns.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, web};
use anyhow::Context;
use tokio::sync::{Notify, watch};

use crate::adapters::Adapters;
use crate::auth::RevocationFollower;
use crate::browser;
use crate::config::Config;
use crate::config::Secret;
use crate::connections::{self, BodyTimeout, ConnectionCounts};
use crate::feed::{FeedHub, FeedListener};
use crate::handlers::operations::{self, MetricsAccess};
use crate::housekeeping::Housekeeping;
use crate::http_server::{self, Serving};
use crate::idempotency;
use crate::openapi;
use crate::rate_limit::{self, RateLimiting};
use crate::routes;
use crate::state::AppState;
use crate::supervisor::{Supervisor, Worker};
use crate::telemetry;
use crate::webhooks::DeliveryWorker;

/// How often the notification listener looks at the outbox when nothing wakes it: bookings
/// do not wake it (only the guarded transactions send a wake-up), so this bounds how late their
/// notices reach streams and webhooks.
const LISTENER_POLL: Duration = Duration::from_millis(200);

/// How long a stopping server lets in-flight requests finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Whether this instance is draining: read by `/ready`, set once on shutdown.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// `/metrics` alone on `addr`, for `METRICS_ADDR`: one worker, no rate limit (a scraper is
/// trusted by where it can connect from).
fn metrics_server<A: Adapters>(
    addr: std::net::SocketAddr,
    state: web::Data<AppState<A>>,
    token: Option<Secret>,
) -> anyhow::Result<(Server, u16)> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    let port = listener.local_addr()?.port();
    let access = web::Data::new(MetricsAccess::new(token));
    let serving = Serving { workers: 1, connections_per_worker: 256, shutdown_grace: SHUTDOWN_GRACE };
    let server = http_server::serve(
        listener,
        move || {
            App::new()
                .app_data(state.clone())
                .app_data(access.clone())
                .route("/metrics", web::get().to(operations::metrics::<A>))
                .default_service(web::to(routes::not_found))
        },
        serving,
        |_, _| {},
    )?;
    Ok((server, port))
}

/// Starts the shutdown sequence from code, as a signal would (tests use it: a real signal
/// would reach every server in the test process).
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    pub fn shut_down(&self) {
        self.0.send_replace(true);
    }
}

/// A bound, not yet running, application.
pub struct Application {
    port: u16,
    server: Server,
    /// `METRICS_ADDR`'s server and port.
    metrics: Option<(Server, u16)>,
    draining: Draining,
    feed: Arc<FeedHub>,
    drain_delay: Duration,
    shutdown: watch::Sender<bool>,
    workers: Supervisor,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `HOST:PORT` (port 0 picks a free one) and prepares the server over `state`.
    ///
    /// # Errors
    /// When the address cannot be bound, the rate limit is unusable, or the route table and
    /// its documentation disagree.
    pub fn build<A: Adapters>(config: &Config, state: AppState<A>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.host, config.port))
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let routes = routes::RouteTable::new().context("matching handlers to their documentation")?;
        let document = web::Data::new(openapi::Document::new());
        let auth = state.auth.clone();
        let feed = Arc::clone(&state.feed);
        let mut workers = Supervisor::default();
        let deliveries = Arc::new(Notify::new());
        workers.add(FeedListener::new(
            state.notifications.clone(),
            Arc::clone(&feed),
            Arc::clone(&deliveries),
            LISTENER_POLL,
        ));
        workers.add(Housekeeping::new(state.sessions.clone(), state.idempotency.clone()));
        workers.add(RevocationFollower::new(
            state.sessions.clone(),
            Arc::clone(&state.revocations),
            config.jwt_ttl,
        ));
        workers.add(
            DeliveryWorker::new(state.webhooks.clone(), config.delivery_settings(), deliveries)
                .context("building the webhook client")?,
        );
        let state = web::Data::new(state);
        let draining = Draining::default();
        let ready_state = web::Data::new(draining.clone());
        // Record from the first request on, not from the first scrape.
        let _recorder = crate::metrics::handle();
        let rate_limiting = web::Data::new(
            RateLimiting::new(config.rate_limit, config.sign_in_limit, config.trusted_proxies.clone())
                .context("configuring rate limiting")?,
        );
        let proxies = config.trusted_proxies.clone();
        let body_timeout = BodyTimeout(config.body_timeout);
        let metrics = match config.metrics_addr {
            Some(addr) => Some(metrics_server::<A>(addr, state.clone(), config.metrics_token.clone())?),
            None => None,
        };
        let metrics_access = web::Data::new(if metrics.is_some() {
            MetricsAccess::Elsewhere
        } else {
            MetricsAccess::new(config.metrics_token.clone())
        });
        let (counts, per_ip) = (ConnectionCounts::default(), config.max_connections_per_ip);
        let (cors_on, hsts, browser_config) =
            (browser::cors_enabled(config), browser::Hsts(config.hsts), config.clone());
        let workers_count = config
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let serving = Serving {
            workers: workers_count,
            // actix counts per worker thread.
            connections_per_worker: config.max_connections.div_ceil(workers_count),
            shutdown_grace: SHUTDOWN_GRACE,
        };
        let server = http_server::serve(
            listener,
            move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(auth.clone())
                    .app_data(ready_state.clone())
                    .app_data(document.clone())
                    .app_data(body_timeout)
                    .app_data(metrics_access.clone())
                    .app_data(hsts)
                    .configure(|cfg| routes.configure::<A>(cfg))
                    .default_service(web::to(routes::not_found))
                    .wrap(from_fn(idempotency::keyed_writes::<A>))
                    .app_data(rate_limiting.clone())
                    .app_data(proxies.clone())
                    .wrap(from_fn(rate_limit::limit))
                    // Outside the rate limit, so that a browser can read its 429s too.
                    .wrap(Condition::new(cors_on, browser::cors(&browser_config)))
                    .wrap(Condition::new(cors_on, from_fn(browser::cors_refusals_as_json)))
                    .wrap(from_fn(connections::enforce))
                    .wrap(from_fn(browser::security_headers))
                    .wrap(from_fn(telemetry::request_context))
            },
            serving,
            move |peer, data| connections::on_connect(&counts, per_ip, peer, data),
        )?;
        let (shutdown, _) = watch::channel(false);
        Ok(Self { port, server, metrics, draining, feed, drain_delay: config.drain_delay, shutdown, workers })
    }

    /// Adds a background worker, started with the server and stopped after it.
    #[must_use]
    pub fn with_worker(mut self, worker: impl Worker) -> Self {
        self.workers.add(worker);
        self
    }

    /// The port the server listens on.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The port of `METRICS_ADDR`'s listener, when there is one.
    #[must_use]
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Starts the shutdown sequence from code.
    #[must_use]
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves until SIGTERM, SIGINT or the shutdown handle, then stops in the order the module
    /// documentation gives.
    ///
    /// # Errors
    /// When the server fails or the signal handlers cannot be installed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, metrics, draining, feed, drain_delay, shutdown, workers, .. } = self;
        let mut requested = shutdown.subscribe();
        let handle = server.handle();
        // Scraped until the end: it stops with the process.
        let metrics = metrics.map(|(server, _)| {
            let handle = server.handle();
            actix_web::rt::spawn(server);
            handle
        });
        let mut server = actix_web::rt::spawn(server);
        let workers = workers.start();
        let mut terminate =
            actix_web::rt::signal::unix::signal(actix_web::rt::signal::unix::SignalKind::terminate())?;

        tokio::select! {
            served = &mut server => {
                workers.stop().await;
                return served.map_err(std::io::Error::other)?;
            }
            _ = terminate.recv() => tracing::info!("SIGTERM: draining"),
            _ = actix_web::rt::signal::ctrl_c() => tracing::info!("SIGINT: draining"),
            _ = requested.wait_for(|stop| *stop) => tracing::info!("shutdown requested: draining"),
        }
        draining.start();
        feed.close();
        tokio::time::sleep(drain_delay).await;
        handle.stop(true).await;
        let served = server.await.map_err(std::io::Error::other)?;
        workers.stop().await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        tracing::info!("stopped");
        served
    }
}
