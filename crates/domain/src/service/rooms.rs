//! Waiting-room use cases that are more than one port call: who may set a room, what a
//! request for an admission token gets, and whether a booking is admitted.

use crate::ids::{EventId, UserId};
use crate::ports::{Catalog, Rooms};
use crate::room::{
    Admission, AdmissionClaims, AdmissionError, Room, RoomChange, RoomError, RoomSettings, Standing,
    check_admission,
};

/// Fails unless `caller` organizes `event`.
async fn organizer(catalog: &impl Catalog, caller: UserId, event: EventId) -> Result<(), RoomError> {
    if caller == super::organizer_of(catalog, event).await? {
        Ok(())
    } else {
        Err(RoomError::NotOrganizer { caller, event })
    }
}

/// Sets `event`'s room, for its organizer; `true` when it is new.
///
/// # Errors
/// [`RoomError::EventNotFound`], [`RoomError::NotOrganizer`], or what [`Rooms::set_room`] refuses.
pub async fn set_room<S: Rooms + Catalog>(
    store: &S,
    caller: UserId,
    event: EventId,
    settings: RoomSettings,
) -> Result<(Room, bool), RoomError> {
    organizer(store, caller, event).await?;
    store.set_room(event, settings).await
}

/// Changes `event`'s room's count, for its organizer.
///
/// # Errors
/// [`RoomError::EventNotFound`], [`RoomError::NotOrganizer`], or what [`Rooms::change_room`]
/// refuses.
pub async fn change_room<S: Rooms + Catalog>(
    store: &S,
    caller: UserId,
    event: EventId,
    change: RoomChange,
) -> Result<Room, RoomError> {
    organizer(store, caller, event).await?;
    store.change_room(event, change).await
}

/// Takes `event`'s room away, for its organizer: bookings no longer need a token.
///
/// # Errors
/// [`RoomError::EventNotFound`], [`RoomError::NotOrganizer`], [`RoomError::NoRoom`], or
/// [`RoomError::Repo`].
pub async fn remove_room<S: Rooms + Catalog>(
    store: &S,
    caller: UserId,
    event: EventId,
) -> Result<(), RoomError> {
    organizer(store, caller, event).await?;
    if store.remove_room(event).await? { Ok(()) } else { Err(RoomError::NoRoom(event)) }
}

/// An admission token's claims for `user`'s place once it is reached (the same times on every
/// repeat), or the room and where the place stands in it until then.
///
/// # Errors
/// [`RoomError::PlaceExpired`] once the place (or its token) expired unused, or what
/// [`Rooms::claim_admission`] refuses.
pub async fn admission(
    rooms: &impl Rooms,
    event: EventId,
    user: UserId,
) -> Result<Result<Admission, (Room, Standing)>, RoomError> {
    let found = rooms.claim_admission(event, user).await?;
    match found.room.standing(&found.place) {
        Standing::Admitted { position, at, until } => Ok(Ok(Admission {
            claims: AdmissionClaims { event, user, position, expires_at: until },
            issued_at: found.place.token_issued_at.unwrap_or(found.room.now),
            reached_at: at,
            first: found.place.token_issued_at == Some(found.room.now),
        })),
        Standing::Expired { .. } => Err(RoomError::PlaceExpired),
        waiting => Ok(Err((found.room, waiting))),
    }
}

/// Why a booking may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// The event has no waiting room.
    NoRoom,
    /// It has one, and the token admits this user to it now.
    ByToken,
}

/// Whether `user` may book `event` now ([`check_admission`], by the store's clock).
///
/// # Errors
/// [`AdmissionError`].
pub async fn admitted(
    rooms: &impl Rooms,
    event: EventId,
    user: UserId,
    token: Option<Option<AdmissionClaims>>,
) -> Result<Admitted, AdmissionError> {
    match rooms.room(event).await? {
        None => Ok(Admitted::NoRoom),
        Some(room) => check_admission(true, token, event, user, room.now).map(|()| Admitted::ByToken),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};

    use super::*;
    use crate::ports::{InRoom, MockRooms};
    use crate::room::{AdmissionRate, Place, Serving};

    fn room(now_seconds: i64) -> Room {
        let start = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let rate = AdmissionRate::new(1).unwrap();
        Room {
            event: EventId::new(1).unwrap(),
            settings: RoomSettings::new(start, start, rate).unwrap(),
            serving: Serving::starting(start, rate),
            numbered: 5,
            joined: 5,
            drawn: false,
            now: start + Duration::seconds(now_seconds),
        }
    }

    fn claimed(now_seconds: i64, issued: bool) -> MockRooms {
        let mut rooms = MockRooms::new();
        rooms.expect_claim_admission().returning(move |_, _| {
            let room = room(now_seconds);
            let token_issued_at = issued.then_some(room.now);
            let place = Place { position: Some(3), reached_at: None, token_issued_at };
            Box::pin(async move { Ok(InRoom { room, place }) })
        });
        rooms
    }

    #[tokio::test]
    async fn a_token_is_for_a_reached_place_only_and_lives_the_rooms_token_life() {
        let (event, user) = (EventId::new(1).unwrap(), UserId::new(2).unwrap());
        let early = admission(&claimed(1, false), event, user).await.unwrap();
        assert!(matches!(early, Err((_, Standing::Waiting { position: 3, ahead: 1, .. }))));
        let issued = admission(&claimed(4, true), event, user).await.unwrap().unwrap();
        assert_eq!(issued.claims.position, 3);
        assert_eq!(issued.claims.expires_at - issued.issued_at, Duration::seconds(600));
        let lapsed = admission(&claimed(3 + 900, false), event, user).await;
        assert!(matches!(lapsed, Err(RoomError::PlaceExpired)));
    }

    #[tokio::test]
    async fn a_booking_needs_a_token_only_while_the_event_has_a_room() {
        let (event, user) = (EventId::new(1).unwrap(), UserId::new(2).unwrap());
        let mut none = MockRooms::new();
        none.expect_room().returning(|_| Box::pin(async { Ok(None) }));
        assert_eq!(admitted(&none, event, user, None).await.ok(), Some(Admitted::NoRoom));
        let mut some = MockRooms::new();
        some.expect_room().returning(|_| Box::pin(async { Ok(Some(room(0))) }));
        assert!(matches!(admitted(&some, event, user, None).await, Err(AdmissionError::Required)));
    }
}
