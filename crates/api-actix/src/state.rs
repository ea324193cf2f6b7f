//! What the handlers share: the ports, the account service over them, authentication, and
//! this instance's notification streams.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, web};
use domain::service::AccountService;

use crate::adapters::Adapters;
use crate::answers::Answers;
use crate::auth::{Authenticator, RevocationRegistry, TokenService};
use crate::feed::FeedHub;
use crate::webhooks::TargetPolicy;

/// The ports of an [`AppState`], one adapter each.
#[derive(Debug)]
pub struct Ports<A: Adapters> {
    pub sales: A::Sales,
    pub catalog: A::Catalog,
    /// The catalog that serves anonymous public reads: may read a replica that keeps up.
    pub public_reads: A::Catalog,
    pub users: A::Users,
    pub hasher: A::Hasher,
    pub sessions: A::Sessions,
    pub idempotency: A::Idempotency,
    pub health: A::Health,
    pub notifications: A::Notifications,
    pub webhooks: A::Webhooks,
}

/// How this instance serves notifications and webhooks.
#[derive(Debug, Clone, Copy)]
pub struct NotificationSettings {
    /// A comment line on every stream this often, so that proxies keep it open.
    pub heartbeat: Duration,
    /// Items a slow stream may have queued before it is closed.
    pub stream_buffer: usize,
    /// Which webhook targets are allowed.
    pub targets: TargetPolicy,
}

/// The application's ports, for the handlers. Built by the composition root
/// ([`crate::wiring`]); nothing here knows which store is behind the ports.
pub struct AppState<A: Adapters> {
    /// Booking and cancelling: each one atomic step of the port, called directly.
    pub sales: A::Sales,
    /// Every read that must see the latest writes (the primary).
    pub catalog: A::Catalog,
    /// The anonymous public reads ([`AppState::public_catalog`]).
    pub public_reads: A::Catalog,
    pub accounts: AccountService<A::Users, A::Hasher>,
    /// Revoking tokens (logout).
    pub sessions: A::Sessions,
    /// This instance's copy of the revocations; the follower worker keeps it current.
    pub revocations: Arc<RevocationRegistry>,
    pub health: A::Health,
    pub notifications: A::Notifications,
    pub webhooks: A::Webhooks,
    /// The streams this instance holds; fed by the listener worker.
    pub feed: Arc<FeedHub>,
    pub settings: NotificationSettings,
    /// Also registered on its own, so the [`crate::auth::Caller`] extractor needs no `A`.
    pub auth: web::Data<Authenticator>,
    /// How each effect is answered, by its handler and for replays of keyed requests.
    pub answers: Arc<Answers>,
    pub idempotency: A::Idempotency,
}

impl<A: Adapters> AppState<A> {
    #[must_use]
    pub fn new(ports: Ports<A>, tokens: TokenService, settings: NotificationSettings) -> Self {
        let Ports {
            sales,
            catalog,
            public_reads,
            users,
            hasher,
            sessions,
            idempotency,
            health,
            notifications,
            webhooks,
        } = ports;
        let revocations = Arc::new(RevocationRegistry::default());
        let auth = web::Data::new(Authenticator::new(
            tokens,
            Arc::clone(&revocations),
            users.clone(),
            sessions.clone(),
        ));
        Self {
            sales,
            catalog,
            public_reads,
            accounts: AccountService::new(users, hasher),
            sessions,
            revocations,
            health,
            notifications,
            webhooks,
            feed: FeedHub::new(settings.stream_buffer),
            settings,
            answers: Arc::new(Answers::new(auth.clone())),
            auth,
            idempotency,
        }
    }

    /// Where a public read (`/status`, `/events`, an event) goes. A caller who sends a token
    /// reads the primary: whatever they wrote a moment ago is there. Anyone else reads
    /// [`AppState::public_reads`], which may be a replica a bounded time behind.
    pub fn public_catalog(&self, req: &HttpRequest) -> &A::Catalog {
        if req.headers().contains_key(AUTHORIZATION) { &self.catalog } else { &self.public_reads }
    }
}

impl<A: Adapters> std::fmt::Debug for AppState<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
