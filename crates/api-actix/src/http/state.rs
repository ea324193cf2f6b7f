//! What the handlers share: the store, authentication, and this instance's notification
//! streams. Generic over the domain's [`Store`]: nothing here knows which store it is.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, web};
use domain::ports::Store;
use domain::webhook::WebhookCap;

use crate::http::answers::Answers;
use crate::http::auth::{AdmissionKeys, Authenticator, RevocationRegistry, TokenService};
use crate::http::feed::FeedHub;
use crate::http::roomless::RoomlessEvents;

/// How this instance serves notification streams.
#[derive(Debug, Clone, Copy)]
pub struct NotificationSettings {
    /// A comment line on every stream this often, so that proxies keep it open.
    pub heartbeat: Duration,
    /// Items a slow stream may have queued before it is closed.
    pub stream_buffer: usize,
}

/// The application's shared state, for the handlers. Built by the composition root.
pub struct AppState<S: Store> {
    /// Every write, and every read that must see the latest writes (the primary).
    pub store: S,
    /// The anonymous public reads ([`AppState::public_catalog`]): may be a replica that keeps
    /// up.
    pub public_reads: S,
    /// This instance's copy of the revocations; the follower worker keeps it current.
    pub revocations: Arc<RevocationRegistry>,
    /// The streams this instance holds; fed by the listener worker.
    pub feed: Arc<FeedHub>,
    /// How streams are served.
    pub settings: NotificationSettings,
    /// Also registered on its own, so the [`crate::http::auth::Caller`] extractor needs no `S`.
    pub auth: web::Data<Authenticator>,
    /// How each effect is answered, by its handler and for replays of keyed requests.
    pub answers: Arc<Answers>,
    /// The most webhooks one organizer may have.
    pub webhook_cap: WebhookCap,
    /// Signs and checks the waiting rooms' admission tokens.
    pub admission: AdmissionKeys,
    /// The events this instance saw without a waiting room a moment ago.
    pub roomless: RoomlessEvents,
}

impl<S: Store> AppState<S> {
    /// The state over `store` (and `public_reads`, which may be the same store or one reading
    /// a replica), signing with `tokens` and admitting with `admission`, allowing each organizer
    /// `webhook_cap` webhooks.
    #[must_use]
    pub fn new(
        store: S,
        public_reads: S,
        (tokens, admission): (TokenService, AdmissionKeys),
        settings: NotificationSettings,
        webhook_cap: WebhookCap,
    ) -> Self {
        let revocations = Arc::new(RevocationRegistry::default());
        let auth = web::Data::new(Authenticator::new(
            tokens,
            Arc::clone(&revocations),
            store.clone(),
            store.clone(),
        ));
        Self {
            store,
            public_reads,
            revocations,
            feed: FeedHub::new(settings.stream_buffer),
            settings,
            answers: Arc::new(Answers::new(auth.clone())),
            auth,
            webhook_cap,
            admission,
            roomless: RoomlessEvents::default(),
        }
    }

    /// Where a public read (`/status`, `/events`, an event) goes. A caller who sends a token
    /// reads the primary: whatever they wrote a moment ago is there. Anyone else reads
    /// [`AppState::public_reads`], which may be a replica a bounded time behind.
    pub fn public_catalog(&self, req: &HttpRequest) -> &S {
        if req.headers().contains_key(AUTHORIZATION) { &self.store } else { &self.public_reads }
    }
}

impl<S: Store> std::fmt::Debug for AppState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
