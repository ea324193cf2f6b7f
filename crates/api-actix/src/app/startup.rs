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
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use domain::ports::{PasswordHasher, Store, WebhookSender};
use domain::service::{AccountService, Deliveries, DeliveryPolicy};
use domain::webhook::{ClaimBounds, RetryPolicy};
use tokio::sync::{Notify, watch};

use crate::app::config::Config;
use crate::app::supervisor::{Supervisor, Worker};
use crate::app::workers::{DeliveryWorker, FeedListener, Housekeeping, OfferSweeper, RevocationFollower};
use crate::http::MetricsAccess;
use crate::http::auth::{AdmissionKeys, TokenService};
use crate::http::draining::Draining;
use crate::http::feed::FeedHub;
use crate::http::server::Serving;
use crate::http::service::{self, HttpSettings, Inbound};
use crate::http::state::{AppState, NotificationSettings};

/// How often the notification listener looks at the outbox when nothing wakes it: bookings
/// do not wake it (only the guarded transactions send a wake-up), so this bounds how late their
/// notices reach streams and webhooks.
const LISTENER_POLL: Duration = Duration::from_millis(200);

/// How often the delivery worker looks for due deliveries when nothing wakes it (retries come
/// due without a notification).
const DELIVERY_POLL: Duration = Duration::from_secs(1);

/// The most deliveries one instance has in flight: concurrent requests cost little (a socket
/// and a few kilobytes each), and a slow receiver holds one of them until its timeout.
const DELIVERIES_IN_FLIGHT: usize = 128;

/// The most deliveries in flight at once, on every instance together, for one webhook and for
/// one organizer: a receiver that answers slowly, or never, takes at most that many of the
/// workers' slots, and an organizer with many such webhooks no more than their share, however
/// many of their deliveries are due. Half an instance's slots: another organizer always finds
/// room, and one organizer's fast receiver is not held to a trickle in a hot drop (16 gave the
/// churn of `bench/run.sh` a webhook lag of p50 2.9 s).
const CLAIM_BOUNDS: ClaimBounds = ClaimBounds { per_webhook: 64, per_organizer: 64 };

/// Notifications a stream may have queued before it counts as too slow and is closed.
const STREAM_BUFFER: usize = 256;

/// How long a stopping server lets in-flight requests finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The adapters the application runs on, chosen by the composition root
/// ([`crate::app::wiring`] for production; the tests choose the in-memory store).
#[derive(Debug)]
pub struct Adapters<S, H, W> {
    /// Every store port, on the primary.
    pub store: S,
    /// The store the anonymous public reads go to (the same one, or one reading a replica).
    pub public_reads: S,
    /// Password hashing.
    pub hasher: H,
    /// Webhook delivery.
    pub sender: W,
}

/// Starts the shutdown sequence from code, as a signal would (tests use it: a real signal
/// would reach every server in the test process).
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    /// Begins the shutdown sequence.
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
    /// Binds `HOST:PORT` (port 0 picks a free one) and prepares the server and the workers over
    /// `adapters`, signing tokens with `tokens`.
    ///
    /// # Errors
    /// When the address cannot be bound, the rate limit is unusable, or the route table and
    /// its documentation disagree.
    pub fn build<S, H, W>(
        config: &Config,
        adapters: Adapters<S, H, W>,
        tokens: TokenService,
    ) -> anyhow::Result<Self>
    where
        S: Store,
        H: PasswordHasher,
        W: WebhookSender + Clone,
    {
        let http = &config.http;
        let listener = TcpListener::bind((http.host, http.port))
            .with_context(|| format!("binding {}:{}", http.host, http.port))?;
        let port = listener.local_addr()?.port();
        let Adapters { store, public_reads, hasher, sender } = adapters;
        let streams = NotificationSettings { heartbeat: http.sse_heartbeat, stream_buffer: STREAM_BUFFER };
        let admission = match &config.auth.admission_key {
            Some(seed) => AdmissionKeys::from_seed(&seed.0),
            None => tokens.admission_keys(),
        }
        .context("the admission tokens' key")?;
        let state = web::Data::new(AppState::new(
            store.clone(),
            public_reads,
            (tokens, admission),
            streams,
            config.webhooks.per_user,
        ));
        let feed = Arc::clone(&state.feed);
        let workers = workers(config, &store, &sender, &state);
        let metrics = match config.telemetry.metrics_addr {
            Some(addr) => {
                let listener =
                    TcpListener::bind(addr).with_context(|| format!("binding METRICS_ADDR {addr}"))?;
                let port = listener.local_addr()?.port();
                let access = MetricsAccess::new(config.telemetry.metrics_token.clone());
                Some((service::serve_metrics(listener, state.clone(), access, SHUTDOWN_GRACE)?, port))
            }
            None => None,
        };
        let settings = HttpSettings {
            cors: http.cors.clone(),
            hsts: http.hsts,
            rate_limit: http.rate_limit,
            sign_in_limit: http.sign_in_limit,
            trusted_proxies: http.trusted_proxies.clone(),
            body_timeout: http.body_timeout,
            max_connections_per_ip: http.max_connections_per_ip,
            metrics: if metrics.is_some() {
                MetricsAccess::Elsewhere
            } else {
                MetricsAccess::new(config.telemetry.metrics_token.clone())
            },
        };
        let threads = http
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let serving = Serving {
            workers: threads,
            // actix counts per worker thread.
            connections_per_worker: http.max_connections.div_ceil(threads),
            shutdown_grace: SHUTDOWN_GRACE,
        };
        let draining = Draining::default();
        let inbound = Inbound { state, accounts: AccountService::new(store, hasher), sender };
        let server = service::serve(listener, inbound, settings, draining.clone(), serving)?;
        let (shutdown, _) = watch::channel(false);
        Ok(Self { port, server, metrics, draining, feed, drain_delay: http.drain_delay, shutdown, workers })
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

/// The workers every instance runs: the notification listener (which also wakes the delivery
/// worker), housekeeping, the offer sweeper (unless turned off), the revocation follower and
/// webhook delivery.
fn workers<S: Store, W: WebhookSender + Clone>(
    config: &Config,
    store: &S,
    sender: &W,
    state: &AppState<S>,
) -> Supervisor {
    let mut workers = Supervisor::default();
    let deliveries = Arc::new(Notify::new());
    workers.add(FeedListener::new(
        store.clone(),
        Arc::clone(&state.feed),
        Arc::clone(&deliveries),
        LISTENER_POLL,
    ));
    workers.add(Housekeeping::new(store.clone(), config.retention));
    if let Some(every) = config.offers.sweep_every {
        workers.add(OfferSweeper::new(store.clone(), every));
    }
    workers.add(RevocationFollower::new(store.clone(), Arc::clone(&state.revocations), config.auth.jwt_ttl));
    let policy = DeliveryPolicy {
        in_flight: DELIVERIES_IN_FLIGHT,
        bounds: CLAIM_BOUNDS,
        lease: config.webhooks.lease,
        retry: RetryPolicy::with_base(config.webhooks.retry_base),
        breaker: config.webhooks.breaker,
    };
    let rounds = Deliveries::new(store.clone(), sender.clone(), policy);
    workers.add(DeliveryWorker::new(rounds, store.clone(), DELIVERY_POLL, deliveries));
    workers
}
