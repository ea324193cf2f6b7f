use chrono::{DateTime, Utc};

use crate::RepoError;
use crate::ids::{EventId, UserId};

/// Why a waiting-room request was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// No such event.
    #[error("event {0} not found")]
    EventNotFound(EventId),
    /// Only the event's organizer sets its room.
    #[error("user {caller} is not the organizer of event {event}")]
    NotOrganizer {
        /// Who asked.
        caller: UserId,
        /// Whose room.
        event: EventId,
    },
    /// The event has no waiting room.
    #[error("event {0} has no waiting room")]
    NoRoom(EventId),
    /// The room does not take joins yet.
    #[error("the waiting room opens at {0}")]
    NotOpen(DateTime<Utc>),
    /// The caller has no place in the room.
    #[error("no place in the waiting room of event {0}")]
    NotInQueue(EventId),
    /// The sale has started: the room's settings are fixed but for what a change may do.
    #[error("the sale has started: change the rate, pause or admit instead")]
    Started,
    /// People joined already, in the order the room promised them.
    #[error("people have joined: whether early arrivals are shuffled can no longer change")]
    ShuffleFixed,
    /// The place was reached and left unused past its validity.
    #[error("the place expired unused")]
    PlaceExpired,
    /// The store failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<crate::event::FindEventError> for RoomError {
    fn from(error: crate::event::FindEventError) -> Self {
        match error {
            crate::event::FindEventError::NotFound(id) => Self::EventNotFound(id),
            crate::event::FindEventError::Repo(e) => Self::Repo(e),
        }
    }
}
