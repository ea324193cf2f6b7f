//! The ticketing domain: what may be sold, to whom, and what happens to a waiting list when a
//! seat frees up.
//!
//! Everything here is pure. Values can only be built valid (`TicketLimit`, `Price`,
//! `EmailAddress`, …), commands are made of such values, and the rules that must run while a
//! database lock is held ([`booking::rules`]) are plain functions the adapter calls. Storage and
//! hashing are reached through the [`ports`], cut by what must change together (see
//! `docs/ARCHITECTURE.md`); the [`service`]s are generic over them, so this crate can be reused
//! with another adapter or with the `mocks` feature's mockall doubles.
//!
//! # Adapters
//!
//! Three implement the store ports: `infra-postgres` (production: any number of server
//! processes on one database), `infra-memory` (one process; for tests and examples), and the
//! mockall doubles of the `mocks` feature (expectations, no behaviour). The promises written on
//! the ports — every `MUST` and `# Errors` clause — are checked by the `domain-contract` suite,
//! which both real adapters run under the same test names; a new adapter runs it too.
//!
//! # Selling a seat twice is impossible, waiting is fair
//!
//! Over the in-memory adapter: an event with one seat, a buyer who gets it, one who waits, and
//! the seat passed on in the same step as the cancellation.
//!
//! ```
//! use domain::ports::{Catalog as _, PasswordHasher, Sales as _, Verdict};
//! use domain::service::{AccountService, reading};
//! use domain::*;
//! use infra_memory::MemoryStore;
//!
//! /// Stands in for Argon2id in this example only: it does not hash at all.
//! struct Plain;
//!
//! impl PasswordHasher for Plain {
//!     async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
//!         Ok(PasswordHash::new(password.expose().to_owned()))
//!     }
//!     async fn verify(&self, attempt: PasswordAttempt, hash: Option<PasswordHash>) -> Result<Verdict, HashError> {
//!         let right = hash.is_some_and(|h| h.as_str() == attempt.expose());
//!         Ok(if right { Verdict::Accepted } else { Verdict::Refused })
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let accounts = AccountService::new(store.clone(), Plain);
//! let text = |s: &str| NonEmptyText::parse(s).unwrap();
//! let mut people = Vec::new();
//! for name in ["ada", "bob", "cy"] {
//!     let email = EmailAddress::parse(&format!("{name}@example.com")).unwrap();
//!     let password = Password::new("a long passphrase".to_owned(), &email).unwrap();
//!     let registration = Registration { email, password, first_name: text(name), last_name: text("Doe") };
//!     people.push(accounts.register(registration, None).await.unwrap().id);
//! }
//! let [organizer, bob, cy] = people[..] else { unreachable!() };
//! let concert = NewEvent::new(
//!     organizer,
//!     text("Concert"),
//!     text("Live"),
//!     EventDate::parse("2027-05-20").unwrap(),
//!     text("Colombo"),
//!     TicketLimit::new(1).unwrap(),
//!     Price::from_cents(2500).unwrap(),
//! );
//! let event = store.create_event(concert, None).await.unwrap().id;
//!
//! let seat = store.book(BookTicket::new(bob, event, None).unwrap(), None).await.unwrap();
//! let line = store.book(BookTicket::new(cy, event, None).unwrap(), None).await.unwrap();
//! assert!(matches!(seat, BookingOutcome::Confirmed(_)));
//! assert!(matches!(line, BookingOutcome::Waitlisted { position, .. } if position.get() == 1));
//!
//! let cancel = CancelBooking { caller: bob, target: CancelTarget::LiveBookingFor(event) };
//! let cancellation = store.cancel(cancel, None).await.unwrap();
//! assert_eq!(cancellation.promoted.iter().map(|b| b.user).collect::<Vec<_>>(), [cy], "the seat went to the head of the line");
//!
//! // Cy reads the booking; Bob may not.
//! let cys = line.booking().id;
//! assert_eq!(reading::booking(&store, cy, cys).await.unwrap().booking.status, BookingStatus::Confirmed);
//! assert!(matches!(reading::booking(&store, bob, cys).await, Err(FindBookingError::NotFound(_))));
//! # });
//! ```
//!
//! # A service tested with mockall doubles
//!
//! With the `mocks` feature every port has a double; an expectation returns its future with
//! `Box::pin(async { … })`. Here: an unknown address costs a password check all the same, and
//! is refused like a wrong password.
//!
//! ```
//! use domain::ports::{MockPasswordHasher, MockUsers, Verdict};
//! use domain::service::AccountService;
//! use domain::{EmailAddress, LoginError, PasswordAttempt};
//!
//! let mut users = MockUsers::new();
//! users.expect_credentials().returning(|_| Box::pin(async { Ok(None) }));
//! let mut hasher = MockPasswordHasher::new();
//! hasher.expect_verify().times(1).returning(|_, stored| {
//!     assert!(stored.is_none(), "checked against no hash, at the same cost");
//!     Box::pin(async { Ok(Verdict::Refused) })
//! });
//! let accounts = AccountService::new(users, hasher);
//!
//! let email = EmailAddress::parse("nobody@example.com").unwrap();
//! let attempt = PasswordAttempt::new("guess".to_owned()).unwrap();
//! let refused = futures_executor(accounts.login(email, attempt));
//! assert!(matches!(refused, Err(LoginError::InvalidCredentials)));
//! # fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

#![warn(missing_docs)]

pub mod booking;
pub mod error;
pub mod event;
pub mod history;
pub mod idempotency;
pub mod ids;
pub mod line;
pub mod listing;
pub mod notice;
pub mod ports;
pub mod room;
pub mod service;
pub mod session;
pub mod text;
pub mod user;
pub mod webhook;
mod words;

pub use booking::{
    AnswerOffer, AnswerOfferError, Attendee, BookError, BookTicket, Booking, BookingOutcome, BookingStatus,
    BookingView, CancelBooking, CancelError, CancelTarget, Cancellation, ChangeQuantity, ChangeQuantityError,
    Declination, FindBookingError, ListAttendeesError, Quantity, QuantityChange, QuantityError,
    UnknownStatus, WaitlistPosition,
};
pub use error::{BoxError, Overloaded, RepoError};
pub use event::{
    Availability, CancelEvent, CancelEventError, ChangeEvent, ChangeEventError, CreateEventError, Event,
    EventCancellation, EventChange, EventChanges, EventDate, EventDateError, EventStatus, FindEventError,
    MaxPerBooking, MaxPerBookingError, NewEvent, NoChanges, OfferWindow, OfferWindowError, OvertakeLimit,
    OvertakeLimitError, Price, PriceError, Promotion, Seating, SeatsOverLimit, TicketLimit, TicketLimitError,
    UnknownEventStatus,
};
pub use ids::{BookingId, EventId, HistoryId, InvalidId, NotificationId, UserId, WebhookId};
pub use listing::{
    BookingQuery, DateRange, EventCursor, EventQuery, Limit, LimitError, Page, SearchText, SearchTextError,
};
pub use text::{NonEmptyText, TextError};
pub use user::{
    EmailAddress, EmailError, HashError, LoginError, NewUser, Password, PasswordAttempt, PasswordChangeError,
    PasswordError, PasswordHash, RegisterError, Registration, SignedIn, User, UserCredentials,
};
