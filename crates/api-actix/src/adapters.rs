//! The ports the HTTP layer runs on. Handlers and [`crate::state::AppState`] are generic over
//! one [`Adapters`] type rather than over each port: a handler names one parameter however
//! many ports it touches, and the composition root ([`crate::wiring`]) picks every adapter in
//! one place. The same handlers therefore serve the PostgreSQL adapter in production and any
//! other adapter (an in-memory one, a mix) in tests.

use std::future::Future;
use std::sync::Arc;

use domain::idempotency::IdempotencyScope;
use domain::ports::{
    Catalog, Idempotency, Notifications, PasswordHasher, Sales, Sessions, StoreHealth, Users, Webhooks,
};

/// One choice of adapter per port.
pub trait Adapters: 'static {
    type Sales: Sales;
    type Catalog: Catalog;
    /// `Clone`: authentication looks users up beside the account service.
    type Users: Users + Clone;
    type Hasher: PasswordHasher;
    /// `Clone`: authentication and the revocation follower each hold one.
    type Sessions: Sessions + Clone;
    type Health: StoreHealth;
    /// `Clone`: the listener and every stream read through their own handle.
    type Notifications: Notifications + Clone;
    /// `Clone`: the delivery worker holds one beside the handlers'.
    type Webhooks: Webhooks + Clone;
    /// `Clone`: the housekeeping worker sweeps old keys with its own.
    type Idempotency: Idempotency + Clone;

    /// Runs `work` — a keyed request — with `scope` in force: every effect it makes through
    /// these adapters stores its answer under the scope's attempt, in the effect's own
    /// transaction (the adapters carry the scope with the request's task).
    fn within<F: Future>(scope: Arc<IdempotencyScope>, work: F) -> impl Future<Output = F::Output>;
}
