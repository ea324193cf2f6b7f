//! The ticketing domain: what may be sold, to whom, and what happens to a waiting list when a
//! seat frees up.
//!
//! Everything here is pure. Values can only be built valid (`TicketLimit`, `Price`,
//! `EmailAddress`, …), commands are made of such values, and the rules that must run while a
//! database lock is held ([`booking::rules`]) are plain functions the adapter calls. Storage and
//! hashing are reached through the [`ports`]; the [`service`]s are generic over them, so this
//! crate can be reused with another adapter or with the `mocks` feature's mockall doubles.

pub mod booking;
pub mod error;
pub mod event;
pub mod ids;
pub mod ports;
pub mod service;
pub mod text;
pub mod user;

pub use booking::{
    BookError, BookTicket, Booking, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelTarget,
    Cancellation, WaitlistPosition,
};
pub use error::{BoxError, RepoError};
pub use event::{
    CreateEventError, Event, EventDate, EventStatus, FindEventError, NewEvent, Price, TicketLimit,
};
pub use ids::{BookingId, EventId, InvalidId, UserId};
pub use text::NonEmptyText;
pub use user::{
    EmailAddress, HashError, LoginError, NewUser, Password, PasswordAttempt, PasswordHash, RegisterError,
    Registration, User, UserCredentials,
};
