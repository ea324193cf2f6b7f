//! What the domain needs from the outside world. Adapters implement these; the services are
//! generic over them. With the `mocks` feature each has a mockall double (`MockEventRepository`,
//! …) whose expectations return `Box::pin(async { … })`.
//!
//! Each operation that must be atomic is one method (book, cancel): the adapter owns the
//! transaction and calls [`crate::booking::rules`] while it holds its locks, so no transaction
//! or connection type leaks in here.

mod booking_repository;
mod event_repository;
mod password_hasher;
mod user_repository;

pub use booking_repository::BookingRepository;
pub use event_repository::EventRepository;
pub use password_hasher::PasswordHasher;
pub use user_repository::UserRepository;

#[cfg(any(test, feature = "mocks"))]
pub use booking_repository::MockBookingRepository;
#[cfg(any(test, feature = "mocks"))]
pub use event_repository::MockEventRepository;
#[cfg(any(test, feature = "mocks"))]
pub use password_hasher::MockPasswordHasher;
#[cfg(any(test, feature = "mocks"))]
pub use user_repository::MockUserRepository;
