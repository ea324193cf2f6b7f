//! The domain's repository ports, implemented on a [`PgPool`](crate::PgPool).

mod booking_repository;
mod event_repository;
mod user_repository;

pub use booking_repository::PgBookingRepository;
pub use event_repository::PgEventRepository;
pub use user_repository::PgUserRepository;
