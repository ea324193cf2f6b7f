//! The ticketing domain's store ports in memory: what a library user reaches for in tests that
//! need behaviour (a booking really taking a seat, a cancel really promoting the head of the
//! line) rather than mockall expectations, and what the domain's examples run on.
//!
//! It keeps the ports' promises — the same contract suite as the PostgreSQL adapter checks
//! them (`domain-contract`) — **inside one process**. Every change of an event's seats, line or
//! bookings holds that event's *guard*, an async mutex per event, from the read that decides
//! to the write that applies, like the PostgreSQL adapter's guard lock; the tables themselves
//! sit behind one short synchronous lock, never held across an `.await`. Between the decision
//! and the write the task yields, as a database round trip would, so that the guard is what
//! keeps concurrent bookers from overselling (remove it and the suite's stampede fails).
//!
//! A lock in process memory is correct here because this process is the only writer: nothing
//! else can change the tables between the read and the write. It is exactly what must never
//! protect a shared database, where other server processes write too and an in-process mutex
//! sees none of them — there the guard is a database lock taken by the transaction.
//!
//! Not durable, not shared: everything is gone with the value.
//!
//! ```
//! use domain::ports::{Catalog as _, Sales as _, Users as _};
//! use domain::{
//!     BookTicket, BookingOutcome, EmailAddress, EventDate, NewEvent, NewUser, NonEmptyText,
//!     PasswordHash, Price, TicketLimit,
//! };
//! use infra_memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let text = |s: &str| NonEmptyText::parse(s).unwrap();
//! let new = NewUser {
//!     email: EmailAddress::parse("ada@example.com").unwrap(),
//!     password_hash: PasswordHash::new("not-a-real-hash".to_owned()),
//!     first_name: text("Ada"),
//!     last_name: text("Lovelace"),
//! };
//! // `None`: no idempotency key; a keyed request passes its claimed attempt here.
//! let ada = store.create_user(new, None).await.unwrap();
//! let concert = NewEvent::new(
//!     ada.id,
//!     text("Concert"),
//!     text("Live"),
//!     EventDate::parse("2027-05-20").unwrap(),
//!     text("Colombo"),
//!     TicketLimit::new(1).unwrap(),
//!     Price::from_cents(0).unwrap(),
//! );
//! let event = store.create_event(concert, None).await.unwrap();
//!
//! let booked = store.book(BookTicket::new(ada.id, event.id, None).unwrap(), None).await.unwrap();
//! assert!(matches!(booked, BookingOutcome::Confirmed(_)));
//! assert_eq!(store.availability(event.id).await.unwrap().tickets_available, 0);
//! # });
//! ```

mod catalog;
#[cfg(feature = "contract-gate")]
mod gate;
mod guards;
mod health;
mod history;
mod idempotency;
mod notifications;
mod rooms;
mod sales;
mod sessions;
mod tables;
mod users;
mod webhooks;

#[cfg(feature = "contract-gate")]
pub use gate::Gate;
pub use notifications::MemoryNewsListener;
pub use sessions::MemoryRevocationListener;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use domain::session::Revocation;

use crate::guards::Guards;
use crate::tables::Tables;

/// Every store port in memory. Cheap to clone: clones share the tables, as the PostgreSQL
/// adapter's clones share the database.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
    /// The request the changes made through this copy record in their history.
    request: Option<domain::history::RequestId>,
}

struct Inner {
    tables: Mutex<Tables>,
    /// The waiting rooms, apart from the tables: nothing else reads them.
    rooms: Mutex<HashMap<domain::EventId, rooms::RoomRow>>,
    guards: Guards,
    /// Revocations as they commit, for the listeners of every clone.
    revocations: broadcast::Sender<Revocation>,
    /// Ticks when notifications commit.
    news: broadcast::Sender<()>,
    #[cfg(feature = "contract-gate")]
    gate: domain_contract::Latch,
}

/// Listeners that fall this far behind miss ticks (they are told, and reload).
const LISTENER_BUFFER: usize = 1024;

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                tables: Mutex::new(Tables::default()),
                rooms: Mutex::default(),
                guards: Guards::default(),
                revocations: broadcast::channel(LISTENER_BUFFER).0,
                news: broadcast::channel(LISTENER_BUFFER).0,
                #[cfg(feature = "contract-gate")]
                gate: domain_contract::Latch::default(),
            }),
            request: None,
        }
    }

    /// The tables, for one atomic step. A panic while they were held cannot leave a step half
    /// done (each step checks everything before it changes anything), so a poisoned lock is
    /// taken over rather than propagated.
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.inner.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The waiting rooms, for one atomic step (poisoning taken over as for the tables).
    fn rooms(&self) -> MutexGuard<'_, HashMap<domain::EventId, rooms::RoomRow>> {
        self.inner.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the notification listeners of every clone.
    fn news_committed(&self) {
        // No listener is not an error: nobody is streaming.
        let _ = self.inner.news.send(());
    }

    /// Tells the revocation listeners of every clone.
    fn announce(&self, revocation: Revocation) {
        let _ = self.inner.revocations.send(revocation);
    }

    /// Where a database would wait for the round trip between reading and writing: other tasks
    /// run here, so only the event's guard keeps them out of a decision being made. With the
    /// contract's gate closed, the change waits here too.
    async fn between_statements(&self) {
        #[cfg(feature = "contract-gate")]
        self.inner.gate.pass().await;
        tokio::task::yield_now().await;
    }

    /// The gate between each change's decision and its write, for the contract checks that
    /// force a second change to come while a first one waits there.
    #[cfg(feature = "contract-gate")]
    #[must_use]
    pub fn gate(&self) -> Gate {
        Gate { store: self.clone() }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}
