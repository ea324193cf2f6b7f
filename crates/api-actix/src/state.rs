//! What every handler shares: the domain services wired to their adapters, and the token
//! service. This is where the concrete adapters are named, once.

use domain::service::{AccountService, BookingService, EventService};
use infra_postgres::{PgBookingRepository, PgEventRepository, PgPool, PgUserRepository};

use std::time::Duration;

use crate::auth::{Argon2Hasher, KnownUsers, TokenService};

/// How long a user confirmed to exist is trusted without asking the database again.
const KNOWN_USER_TTL: Duration = Duration::from_secs(60);

pub type Accounts = AccountService<PgUserRepository, Argon2Hasher>;
pub type Events = EventService<PgEventRepository>;
pub type Bookings = BookingService<PgBookingRepository>;

pub struct AppState {
    pub accounts: Accounts,
    pub events: Events,
    pub bookings: Bookings,
    pub tokens: TokenService,
    pub known_users: KnownUsers,
    /// For readiness checks and pool metrics only; the services own the data access.
    pub pool: PgPool,
}

/// The account service on `pool`; also what `ticketing seed` uses.
#[must_use]
pub fn accounts(pool: &PgPool, hasher: Argon2Hasher) -> Accounts {
    AccountService::new(PgUserRepository::new(pool.clone()), hasher)
}

/// The event service on `pool`; also what `ticketing seed` uses.
#[must_use]
pub fn events(pool: &PgPool) -> Events {
    EventService::new(PgEventRepository::new(pool.clone()))
}

impl AppState {
    #[must_use]
    pub fn new(pool: &PgPool, hasher: Argon2Hasher, tokens: TokenService) -> Self {
        Self {
            accounts: accounts(pool, hasher),
            events: events(pool),
            bookings: BookingService::new(PgBookingRepository::new(pool.clone())),
            tokens,
            known_users: KnownUsers::new(KNOWN_USER_TTL),
            pool: pool.clone(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("pool", &self.pool.status()).finish_non_exhaustive()
    }
}
