//! What the domain needs from the outside world. Adapters implement these; callers are generic
//! over them. With the `mocks` feature each has a mockall double (`MockSales`, …) whose
//! expectations return `Box::pin(async { … })`.
//!
//! Ports are cut by consistency boundary, not by table (docs/ARCHITECTURE.md, "Ports"):
//! - [`Sales`] owns every write taken under an event's guard — anything that changes seats,
//!   the waiting line, or a booking's status. Each atomic business step is one method, so the
//!   adapter owns the transaction and calls [`crate::booking::rules`] while it holds the locks;
//!   no transaction or connection type leaks in here.
//! - [`Catalog`] puts events on sale and serves reads of them (availability, and listings).
//! - [`Users`] stores accounts; [`PasswordHasher`] hashes their passwords; [`Sessions`]
//!   keeps the revocations of the tokens issued to them.
//! - [`Idempotency`] keeps the keys of retried writes and what answered them (an effect is
//!   stored by the port that makes it, in its transaction, under the attempt it is handed).
//! - [`StoreHealth`] tells operators whether the store answers and how busy it is.
//! - [`Notifications`] reads the outbox the `Sales` writes fill; [`Webhooks`] keeps organizers'
//!   subscriptions and the queue of their deliveries; [`WebhookSender`] posts them.
//! - [`Rooms`] keeps the waiting rooms in front of drops and their places.
//! - [`Audit`] reads the history every change writes, and what the integrity check replays;
//!   [`RequestScoped`] lets a change say which request made it.
//!
//! [`Store`] names every store port at once: an application and the contract suite are generic
//! over it, so adding a store port is writing its trait, adding it to [`Store`], and
//! implementing it in each adapter.

mod audit;
mod catalog;
mod idempotency;
mod notifications;
mod password_hasher;
mod rooms;
mod sales;
mod sessions;
mod store;
mod store_health;
mod users;
mod webhook_sender;
mod webhooks;

pub use audit::{Audit, RequestScoped};
pub use catalog::Catalog;
pub use idempotency::Idempotency;
pub use notifications::{NewsListener, Notifications};
pub use password_hasher::{PasswordHasher, Verdict};
pub use rooms::{InRoom, Rooms};
pub use sales::Sales;
pub use sessions::{RevocationListener, Sessions};
pub use store::Store;
pub use store_health::{ConnectionStats, StoreHealth};
pub use users::Users;
pub use webhook_sender::WebhookSender;
pub use webhooks::Webhooks;

#[cfg(any(test, feature = "mocks"))]
pub use audit::MockAudit;
#[cfg(any(test, feature = "mocks"))]
pub use catalog::MockCatalog;
#[cfg(any(test, feature = "mocks"))]
pub use idempotency::MockIdempotency;
#[cfg(any(test, feature = "mocks"))]
pub use notifications::{MockNewsListener, MockNotifications};
#[cfg(any(test, feature = "mocks"))]
pub use password_hasher::MockPasswordHasher;
#[cfg(any(test, feature = "mocks"))]
pub use rooms::MockRooms;
#[cfg(any(test, feature = "mocks"))]
pub use sales::MockSales;
#[cfg(any(test, feature = "mocks"))]
pub use sessions::{MockRevocationListener, MockSessions};
#[cfg(any(test, feature = "mocks"))]
pub use store_health::MockStoreHealth;
#[cfg(any(test, feature = "mocks"))]
pub use users::MockUsers;
#[cfg(any(test, feature = "mocks"))]
pub use webhook_sender::MockWebhookSender;
#[cfg(any(test, feature = "mocks"))]
pub use webhooks::MockWebhooks;
