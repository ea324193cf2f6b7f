//! What the handlers share: the ports, the account service over them, and authentication.

use actix_web::web;
use domain::service::AccountService;

use crate::adapters::Adapters;
use crate::auth::{Authenticator, TokenService};

/// The application's ports, for the handlers. Built by the composition root
/// ([`crate::wiring`]); nothing here knows which store is behind the ports.
pub struct AppState<A: Adapters> {
    /// Booking and cancelling: each one atomic step of the port, called directly.
    pub sales: A::Sales,
    pub catalog: A::Catalog,
    pub accounts: AccountService<A::Users, A::Hasher>,
    pub health: A::Health,
    /// Also registered on its own, so the [`crate::auth::Caller`] extractor needs no `A`.
    pub auth: web::Data<Authenticator>,
}

impl<A: Adapters> AppState<A> {
    #[must_use]
    pub fn new(
        sales: A::Sales,
        catalog: A::Catalog,
        users: A::Users,
        hasher: A::Hasher,
        health: A::Health,
        tokens: TokenService,
    ) -> Self {
        let auth = web::Data::new(Authenticator::new(tokens, users.clone()));
        Self { sales, catalog, accounts: AccountService::new(users, hasher), health, auth }
    }
}

impl<A: Adapters> std::fmt::Debug for AppState<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
