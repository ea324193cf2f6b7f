use chrono::{DateTime, Utc};

use super::{Action, Actor, Counted, RequestId};
use crate::booking::BookingStatus;
use crate::error::RepoError;
use crate::ids::{BookingId, EventId, HistoryId, UserId};
use crate::listing::Limit;

/// One change, as recorded in the transaction that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Within its event, ids increase in commit order.
    pub id: HistoryId,
    /// The event the change is about.
    pub event: EventId,
    /// The event's version the change's transaction wrote: its commit order.
    pub event_version: i64,
    /// The booking changed; `None` for a change to the event itself.
    pub booking: Option<BookingId>,
    /// Who made the change.
    pub actor: Actor,
    /// What the change was.
    pub action: Action,
    /// The booking's status before (none for a new booking or the event's own entries).
    pub from: Option<BookingStatus>,
    /// The booking's status after.
    pub to: Option<BookingStatus>,
    /// The booking's seats after.
    pub quantity: Option<u32>,
    /// What the change did to the event's counters.
    pub deltas: Counted,
    /// The event's ticket limit in force after the change.
    pub ticket_limit: u32,
    /// The event's overtake limit in force after the change.
    pub overtake_limit: u32,
    /// The offer's deadline, on entries that make, answer, end or move an offer.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The request that made the change, when one did and said its id.
    pub request: Option<RequestId>,
    /// When, by the store's clock.
    pub at: DateTime<Utc>,
}

/// A page of an event's history, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryQuery {
    /// Only entries of this action.
    pub action: Option<Action>,
    /// At most this many entries.
    pub limit: Limit,
    /// Start strictly before this entry (the previous page's cursor).
    pub before: Option<HistoryId>,
}

/// Why a history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No such booking, or not the caller's nor their event's: one answer, so ids are not
    /// revealed.
    #[error("booking {0} not found")]
    BookingNotFound(BookingId),
    /// No such event.
    #[error("event {0} not found")]
    EventNotFound(EventId),
    /// Only the event's organizer reads its history and checks it.
    #[error("user {caller} does not organise event {event}")]
    NotOrganizer {
        /// Who asked.
        caller: UserId,
        /// The event.
        event: EventId,
    },
    /// The store failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<crate::event::FindEventError> for HistoryError {
    fn from(error: crate::event::FindEventError) -> Self {
        match error {
            crate::event::FindEventError::NotFound(id) => Self::EventNotFound(id),
            crate::event::FindEventError::Repo(e) => Self::Repo(e),
        }
    }
}
