//! Use cases that are more than one port call, generic over the ports. Inbound adapters call
//! these, or a port directly where the port method is the whole use case (booking and
//! cancelling are each one atomic step of [`crate::ports::Sales`]); the concrete adapters are
//! named once, where the application is wired.

mod account_service;
pub mod audit;
pub mod reading;
pub mod rooms;
pub mod webhooks;

pub use account_service::AccountService;

use crate::event::FindEventError;
use crate::ids::{EventId, UserId};
use crate::ports::Catalog;

/// Who organizes `event`: what every organizer-only use case checks its caller against.
async fn organizer_of(catalog: &impl Catalog, event: EventId) -> Result<UserId, FindEventError> {
    Ok(catalog.availability(event).await?.event.organizer)
}
pub use webhooks::{Deliveries, DeliveryPolicy, Round};
