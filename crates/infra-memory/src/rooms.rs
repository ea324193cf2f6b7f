//! The waiting rooms in memory: one lock over every room, held for each whole step, so that
//! each join, draw and change is atomic as the database's row lock makes it there. The clock is
//! this process's, which is the store's here.

use std::collections::HashMap;
use std::hash::BuildHasher as _;

use chrono::{DateTime, Utc};

use domain::ports::{InRoom, Rooms};
use domain::room::{Place, Room, RoomChange, RoomError, RoomSettings, Serving, Standing};
use domain::{EventId, RepoError, UserId};

use crate::MemoryStore;

/// A room with its places.
#[derive(Debug, Clone)]
pub(crate) struct RoomRow {
    room: Room,
    places: HashMap<UserId, Place>,
    /// The early arrivals of a shuffled room, with their random keys, until the draw.
    drawing: Vec<(u64, UserId)>,
}

impl RoomRow {
    fn at(&self, now: DateTime<Utc>) -> Room {
        Room { now, ..self.room }
    }

    /// Moves the count to `serving`, first fixing when each place it reached was reached (the
    /// new count no longer says).
    fn rebase(&mut self, serving: Serving, now: DateTime<Utc>) {
        let old = self.room.serving;
        let reached_up_to = old.at(now).min(self.room.numbered);
        for place in self.places.values_mut() {
            if let (Some(position), None) = (place.position, place.reached_at) {
                place.reached_at = if position <= old.base_pos {
                    Some(old.base_at)
                } else if position <= reached_up_to {
                    old.reached_at(position)
                } else {
                    None
                };
            }
        }
        self.room.serving = serving;
    }

    /// Numbers the early arrivals in the order of their random keys, if the draw is due.
    fn draw_if_due(&mut self, now: DateTime<Utc>) {
        if !self.at(now).needs_draw() {
            return;
        }
        let mut drawing = std::mem::take(&mut self.drawing);
        drawing.sort_unstable();
        for (_, user) in drawing {
            self.room.numbered += 1;
            if let Some(place) = self.places.get_mut(&user) {
                place.position = Some(self.room.numbered);
            }
        }
        self.room.drawn = true;
    }

    fn in_room(&self, user: UserId, now: DateTime<Utc>) -> Result<InRoom, RoomError> {
        let place = self.places.get(&user).ok_or(RoomError::NotInQueue(self.room.event))?;
        Ok(InRoom { room: self.at(now), place: *place })
    }
}

impl MemoryStore {
    fn with_room<R>(
        &self,
        event: EventId,
        step: impl FnOnce(&mut RoomRow, DateTime<Utc>) -> Result<R, RoomError>,
    ) -> Result<R, RoomError> {
        let mut rooms = self.rooms();
        let row = rooms.get_mut(&event).ok_or(RoomError::NoRoom(event))?;
        step(row, Utc::now())
    }
}

impl Rooms for MemoryStore {
    async fn set_room(&self, event: EventId, settings: RoomSettings) -> Result<(Room, bool), RoomError> {
        let now = Utc::now();
        let mut rooms = self.rooms();
        if let Some(row) = rooms.get_mut(&event) {
            row.room.now = now;
            row.room.resettle(settings)?;
            return Ok((row.room, false));
        }
        let room = Room::new(event, settings, now);
        rooms.insert(event, RoomRow { room, places: HashMap::new(), drawing: Vec::new() });
        Ok((room, true))
    }

    async fn change_room(&self, event: EventId, change: RoomChange) -> Result<Room, RoomError> {
        self.with_room(event, |row, now| {
            let serving = change.apply(&row.room.serving, now);
            row.rebase(serving, now);
            Ok(row.at(now))
        })
    }

    async fn remove_room(&self, event: EventId) -> Result<bool, RepoError> {
        Ok(self.rooms().remove(&event).is_some())
    }

    async fn room(&self, event: EventId) -> Result<Option<Room>, RepoError> {
        Ok(self.rooms().get(&event).map(|row| row.at(Utc::now())))
    }

    async fn join(&self, event: EventId, user: UserId) -> Result<(InRoom, bool), RoomError> {
        // The event's guard, held across the contract's gate as the database's row lock is.
        let _guard = self.inner.guards.hold(event).await;
        self.between_statements().await;
        self.with_room(event, |row, now| {
            let room = row.at(now);
            if !room.is_open() {
                return Err(RoomError::NotOpen(room.settings.opens_at));
            }
            row.draw_if_due(now);
            if row.places.contains_key(&user) {
                return Ok((row.in_room(user, now)?, false));
            }
            if let Some(restarted) = row.at(now).caught_up() {
                row.rebase(restarted, now);
            }
            let position = if room.joins_the_draw() {
                row.drawing.push((std::collections::hash_map::RandomState::new().hash_one(user), user));
                None
            } else {
                row.room.numbered += 1;
                Some(row.room.numbered)
            };
            row.room.joined += 1;
            row.places.insert(user, Place { position, reached_at: None, token_issued_at: None });
            Ok((row.in_room(user, now)?, true))
        })
    }

    async fn place(&self, event: EventId, user: UserId) -> Result<InRoom, RoomError> {
        self.with_room(event, |row, now| {
            row.draw_if_due(now);
            row.in_room(user, now)
        })
    }

    async fn claim_admission(&self, event: EventId, user: UserId) -> Result<InRoom, RoomError> {
        self.with_room(event, |row, now| {
            row.draw_if_due(now);
            let found = row.in_room(user, now)?;
            if matches!(found.room.standing(&found.place), Standing::Admitted { .. })
                && found.place.token_issued_at.is_none()
                && let Some(place) = row.places.get_mut(&user)
            {
                place.token_issued_at = Some(now);
            }
            row.in_room(user, now)
        })
    }
}
