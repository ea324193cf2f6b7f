//! The app as actix-web serves it: the routes of the table over the shared state, wrapped in
//! the middleware in their order. One function builds it for `main` and the tests alike, so
//! the tests exercise what runs in production.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, web};
use domain::ports::{PasswordHasher, Store, WebhookSender};
use domain::service::AccountService;

use crate::http::MetricsAccess;
use crate::http::client_address::TrustedProxies;
use crate::http::draining::Draining;
use crate::http::handlers::operations;
use crate::http::middleware::browser::{self, CorsPolicy, Hsts};
use crate::http::middleware::connections::{self, BodyTimeout, ConnectionCounts};
use crate::http::middleware::rate_limit::{self, InvalidRateLimit, RateLimit, RateLimiting, SignInLimit};
use crate::http::middleware::{idempotency, request_context};
use crate::http::routes::{self, RouteTable, Undocumented};
use crate::http::server::{self, Serving};
use crate::http::state::AppState;

/// What the app runs on: the shared state over the store, the accounts over the store and a
/// password hasher, and the webhook sender.
#[derive(Debug)]
pub struct Inbound<S: Store, H, W> {
    /// The handlers' state.
    pub state: web::Data<AppState<S>>,
    /// Registration, sign-in and password changes.
    pub accounts: AccountService<S, H>,
    /// Checks webhook targets at creation.
    pub sender: W,
}

/// What the app allows its clients.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Which pages on other origins may call.
    pub cors: CorsPolicy,
    /// Whether answers carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// The general budget per user (per address without a token); `None`: off.
    pub rate_limit: Option<RateLimit>,
    /// The sign-in budget.
    pub sign_in_limit: SignInLimit,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How long a body may take after its head.
    pub body_timeout: Duration,
    /// Open connections per client address; 0: no cap.
    pub max_connections_per_ip: usize,
    /// Who may read `/metrics` here.
    pub metrics: MetricsAccess,
}

/// Why the app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A handler and its documentation disagree (a bug caught at start-up).
    #[error("matching handlers to their documentation")]
    Routes(#[from] Undocumented),
    /// The rate limit cannot be built.
    #[error("configuring rate limiting")]
    RateLimit(#[from] InvalidRateLimit),
    /// The listener cannot serve.
    #[error("serving the listener")]
    Listener(#[from] std::io::Error),
}

/// Serves the app on `listener`; it answers 503 on `/ready` once `draining` starts.
///
/// # Errors
/// [`ServiceError`] saying which part cannot be built.
pub fn serve<S, H, W>(
    listener: TcpListener,
    inbound: Inbound<S, H, W>,
    settings: HttpSettings,
    draining: Draining,
    serving: Serving,
) -> Result<Server, ServiceError>
where
    S: Store,
    H: PasswordHasher,
    W: WebhookSender,
{
    let routes = RouteTable::new()?;
    let document = web::Data::new(RouteTable::document());
    let Inbound { state, accounts, sender } = inbound;
    let auth = state.auth.clone();
    let accounts = web::Data::new(accounts);
    let sender = web::Data::new(sender);
    let draining = web::Data::new(draining);
    let rate_limiting = web::Data::new(RateLimiting::new(
        settings.rate_limit,
        settings.sign_in_limit,
        settings.trusted_proxies.clone(),
    )?);
    let metrics_access = web::Data::new(settings.metrics.clone());
    let proxies = settings.trusted_proxies.clone();
    let body_timeout = BodyTimeout(settings.body_timeout);
    let hsts = Hsts(settings.hsts);
    let cors_on = browser::cors_enabled(&settings.cors);
    let cors = settings.cors.clone();
    let (counts, per_ip) = (ConnectionCounts::default(), settings.max_connections_per_ip);
    // Record from the first request on, not from the first scrape.
    let _recorder = crate::telemetry::metrics::handle();
    let server = server::serve(
        listener,
        move || {
            App::new()
                .app_data(state.clone())
                .app_data(accounts.clone())
                .app_data(sender.clone())
                .app_data(auth.clone())
                .app_data(draining.clone())
                .app_data(document.clone())
                .app_data(body_timeout)
                .app_data(metrics_access.clone())
                .app_data(hsts)
                .configure(|cfg| routes.configure::<S, H, W>(cfg))
                .default_service(web::to(routes::not_found))
                .wrap(from_fn(idempotency::keyed_writes::<S>))
                .app_data(rate_limiting.clone())
                .app_data(proxies.clone())
                .wrap(from_fn(rate_limit::limit))
                // Outside the rate limit, so that a browser can read its 429s too.
                .wrap(Condition::new(cors_on, browser::cors(&cors)))
                .wrap(Condition::new(cors_on, from_fn(browser::cors_answers)))
                .wrap(from_fn(connections::enforce))
                .wrap(from_fn(browser::security_headers))
                .wrap(from_fn(request_context::request_context))
        },
        serving,
        move |peer, data| connections::on_connect(&counts, per_ip, peer, data),
    )?;
    Ok(server)
}

/// `/metrics` alone on `listener`, for `METRICS_ADDR`: one worker, no rate limit and no
/// per-address cap (a scraper is trusted by where it can connect from), bodies timed and held
/// as on the service's listener.
///
/// # Errors
/// When the listener cannot serve.
pub fn serve_metrics<S: Store>(
    listener: TcpListener,
    state: web::Data<AppState<S>>,
    access: MetricsAccess,
    shutdown_grace: Duration,
) -> std::io::Result<Server> {
    let access = web::Data::new(access);
    let serving = Serving { workers: 1, connections_per_worker: 256, shutdown_grace };
    server::serve(
        listener,
        move || {
            App::new()
                .app_data(state.clone())
                .app_data(access.clone())
                .route("/metrics", web::get().to(operations::metrics::<S>))
                .default_service(web::to(routes::not_found))
                .wrap(from_fn(connections::enforce))
        },
        serving,
        |_, _| {},
    )
}
