//! The ticketing domain: what may be sold, to whom, and what happens to a waiting list when a
//! seat frees up.
//!
//! Everything here is pure. Values can only be built valid (`TicketLimit`, `Price`,
//! `EmailAddress`, …), commands are made of such values, and the rules that must run while a
//! database lock is held ([`booking::rules`]) are plain functions the adapter calls. Storage and
//! hashing are reached through the [`ports`], cut by what must change together (see
//! `docs/ARCHITECTURE.md`); the [`service`]s are generic over them, so this crate can be reused
//! with another adapter or with the `mocks` feature's mockall doubles.

pub mod booking;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod listing;
pub mod notice;
pub mod ports;
pub mod service;
pub mod session;
pub mod text;
pub mod user;
pub mod webhook;
mod words;

pub use booking::{
    Attendee, BookError, BookTicket, Booking, BookingOutcome, BookingStatus, BookingView, CancelBooking,
    CancelError, CancelTarget, Cancellation, FindBookingError, ListAttendeesError, UnknownStatus,
    WaitlistPosition,
};
pub use error::{BoxError, RepoError};
pub use event::{
    Availability, CancelEvent, CancelEventError, ChangeEvent, ChangeEventError, CreateEventError, Event,
    EventCancellation, EventChange, EventChanges, EventDate, EventDateError, EventStatus, FindEventError,
    NewEvent, NoChanges, Price, PriceError, SeatsOverLimit, TicketLimit, TicketLimitError,
    UnknownEventStatus,
};
pub use ids::{BookingId, EventId, InvalidId, NotificationId, UserId, WebhookId};
pub use listing::{
    BookingQuery, DateRange, EventCursor, EventQuery, Limit, LimitError, Page, SearchText, SearchTextError,
};
pub use text::{NonEmptyText, TextError};
pub use user::{
    EmailAddress, EmailError, HashError, LoginError, NewUser, Password, PasswordAttempt, PasswordChangeError,
    PasswordError, PasswordHash, RegisterError, Registration, SignedIn, User, UserCredentials,
};
