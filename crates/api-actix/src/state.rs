//! What every handler shares: the domain services wired to their adapters, and the token
//! service. This is where the concrete adapters are named, once.

use domain::service::{AccountService, BookingService, EventService};
use infra_postgres::{PgBookingRepository, PgEventRepository, PgPool, PgUserRepository};

use crate::auth::{Argon2Hasher, TokenService};

pub type Accounts = AccountService<PgUserRepository, Argon2Hasher>;
pub type Events = EventService<PgEventRepository>;
pub type Bookings = BookingService<PgBookingRepository>;

#[derive(Debug)]
pub struct AppState {
    pub accounts: Accounts,
    pub events: Events,
    pub bookings: Bookings,
    pub tokens: TokenService,
}

impl AppState {
    #[must_use]
    pub fn new(pool: &PgPool, hasher: Argon2Hasher, tokens: TokenService) -> Self {
        Self {
            accounts: AccountService::new(PgUserRepository::new(pool.clone()), hasher),
            events: EventService::new(PgEventRepository::new(pool.clone())),
            bookings: BookingService::new(PgBookingRepository::new(pool.clone())),
            tokens,
        }
    }
}
