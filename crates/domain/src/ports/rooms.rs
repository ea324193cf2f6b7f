use std::future::Future;

use crate::error::RepoError;
use crate::ids::{EventId, UserId};
use crate::room::{Place, Room, RoomChange, RoomError, RoomSettings};

/// A place with the room it is in, both as one read saw them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InRoom {
    /// The room, with the store's clock.
    pub room: Room,
    /// The place.
    pub place: Place,
}

/// Keeps the waiting rooms and their places ([`crate::room`]). Every answer carries the
/// store's clock ([`Room::now`]): what is reached and what has expired is decided by it alone,
/// never by an instance's.
///
/// Implementations MUST number places densely and uniquely, one per account and room (a
/// repeat join, from any instance, finds the same place and numbers nothing), in the order
/// joins commit, so that a join answered before another was sent has the lower number; MUST
/// number a shuffled room's early arrivals once, by a random draw, before any place after the
/// start is numbered; and MUST change a room's count only under a lock that its joins take too.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Rooms: Send + Sync + 'static {
    /// Gives `event` a room with `settings`, or replaces its settings as
    /// [`Room::resettle`] allows; `true` when the room is new. The caller checks who asks.
    ///
    /// # Errors
    /// What [`Room::resettle`] refuses, or [`RoomError::Repo`].
    fn set_room(
        &self,
        event: EventId,
        settings: RoomSettings,
    ) -> impl Future<Output = Result<(Room, bool), RoomError>> + Send;

    /// Applies `change` to the room's count ([`RoomChange::apply`]) at the store's clock.
    ///
    /// # Errors
    /// [`RoomError::NoRoom`] or [`RoomError::Repo`].
    fn change_room(
        &self,
        event: EventId,
        change: RoomChange,
    ) -> impl Future<Output = Result<Room, RoomError>> + Send;

    /// Takes the room and its places away; `false` when there was none.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn remove_room(&self, event: EventId) -> impl Future<Output = Result<bool, RepoError>> + Send;

    /// The room as it is now, if the event has one.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn room(&self, event: EventId) -> impl Future<Output = Result<Option<Room>, RepoError>> + Send;

    /// `user`'s place: a new one (`true`), or the one an earlier join gave them. Makes a draw
    /// that is due first ([`Room::needs_draw`]), and restarts an idle room's count at the back
    /// of its line ([`Room::caught_up`]).
    ///
    /// # Errors
    /// [`RoomError::NoRoom`], [`RoomError::NotOpen`], or [`RoomError::Repo`].
    fn join(
        &self,
        event: EventId,
        user: UserId,
    ) -> impl Future<Output = Result<(InRoom, bool), RoomError>> + Send;

    /// `user`'s place, making a draw that is due first.
    ///
    /// # Errors
    /// [`RoomError::NoRoom`], [`RoomError::NotInQueue`], or [`RoomError::Repo`].
    fn place(&self, event: EventId, user: UserId) -> impl Future<Output = Result<InRoom, RoomError>> + Send;

    /// `user`'s place, marked used at the store's clock if it is reached and valid now
    /// ([`Room::standing`]) and was not already; a repeat finds the first mark.
    ///
    /// # Errors
    /// [`RoomError::NoRoom`], [`RoomError::NotInQueue`], or [`RoomError::Repo`].
    fn claim_admission(
        &self,
        event: EventId,
        user: UserId,
    ) -> impl Future<Output = Result<InRoom, RoomError>> + Send;
}
