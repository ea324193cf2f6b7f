//! The waiting rooms (docs/ARCHITECTURE.md, "The waiting room"). Joins of one room that arrive
//! while another is in flight go in one transaction ([`batching`]), which takes the room's row
//! lock once for them all: numbering is one transaction at a time either way, and a batch pays
//! one lock hold and one commit for hundreds of joins.

use std::collections::HashMap;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use futures_util::future::join_all;

use domain::ports::{InRoom, Rooms};
use domain::room::{Place, Room, RoomChange, RoomError, RoomSettings, Serving, Standing};
use domain::{EventId, RepoError, UserId};

use super::PgStore;
use super::batching::{BatchRunner, Turn};
use crate::error::{TxError, from_diesel};
use crate::queries::rooms;

/// The joins' lanes, one per room.
#[derive(Clone)]
pub(crate) struct Joins(pub(crate) PgStore);

type Joined = Result<(InRoom, bool), RoomError>;

impl BatchRunner for Joins {
    type Key = EventId;
    type Job = UserId;
    type Answer = Joined;

    async fn run_batch(&self, event: EventId, users: Vec<UserId>) -> Vec<Joined> {
        match join_together(&self.0, event, &users).await {
            Ok(answers) => answers,
            // A batch that failed as a whole: each join alone says what its own failure is.
            Err(e) => {
                tracing::warn!(error = %e, "a batch of joins failed; its joins run alone");
                join_all(users.iter().map(|&user| join_alone(&self.0, event, user))).await
            }
        }
    }
}

async fn join_alone(store: &PgStore, event: EventId, user: UserId) -> Joined {
    join_together(store, event, &[user]).await?.pop().unwrap_or(Err(RoomError::NoRoom(event)))
}

/// The joins of `users`, in order, in one transaction under the room's lock: each a new place
/// numbered after every place numbered before, or the place an earlier join gave them.
async fn join_together(store: &PgStore, event: EventId, users: &[UserId]) -> Result<Vec<Joined>, RoomError> {
    let mut conn = store.writer().await?;
    let mut tries = 0;
    loop {
        tries += 1;
        match join_once(store, &mut conn, event, users).await {
            // A place another instance gave one of these users while this one waited for the
            // lock, unseen by the snapshot the lock's statement read: once more, from a fresh one.
            Err(TxError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)))
                if tries < 3 => {}
            done => return done.map_err(TxError::settle),
        }
    }
}

/// [`join_together`]'s transaction.
async fn join_once(
    store: &PgStore,
    conn: &mut AsyncPgConnection,
    event: EventId,
    users: &[UserId],
) -> Result<Vec<Joined>, TxError<RoomError>> {
    conn.transaction(async |conn| -> Result<Vec<Joined>, TxError<RoomError>> {
        let ids: Vec<i64> = users.iter().map(|u| u.get()).collect();
        let mut room = None;
        let mut places: HashMap<UserId, Place> = HashMap::new();
        for row in rooms::lock_with_places(conn, event, &ids).await? {
            let (room_row, placed) = row.split();
            if room.is_none() {
                room = Some(Room::try_from(room_row).map_err(TxError::stored)?);
            }
            if let Some((user, place)) = placed.map_err(TxError::stored)? {
                places.insert(user, place);
            }
        }
        let Some(mut room) = room else {
            return Ok(users.iter().map(|_| Err(RoomError::NoRoom(event))).collect());
        };
        if !room.is_open() {
            return Ok(users.iter().map(|_| Err(RoomError::NotOpen(room.settings.opens_at))).collect());
        }
        if room.needs_draw() {
            // The draw numbers the early arrivals: their places as they are now.
            draw_if_due(conn, &mut room).await?;
            for row in rooms::places_of(conn, event, &ids).await? {
                let (user, place) = row.parse().map_err(TxError::stored)?;
                places.insert(user, place);
            }
        }
        if users.iter().any(|user| !places.contains_key(user))
            && let Some(restarted) = room.caught_up()
        {
            change_course(conn, &mut room, restarted).await?;
        }
        let draws = room.joins_the_draw();
        let (mut new_users, mut new_positions, mut answers) = (Vec::new(), Vec::new(), Vec::new());
        for &user in users {
            let new = !places.contains_key(&user);
            if new {
                let position = (!draws).then(|| {
                    room.numbered += 1;
                    room.numbered
                });
                room.joined += 1;
                places.insert(user, Place { position, reached_at: None, token_issued_at: None });
                new_users.push(user.get());
                new_positions.push(position.map(|p| i64::try_from(p).unwrap_or(i64::MAX)));
            }
            answers.push((user, new));
        }
        if !new_users.is_empty() {
            store.gate.pass().await;
            rooms::insert_places(conn, &room, &new_users, &new_positions).await?;
        }
        Ok(answers.into_iter().map(|(user, new)| Ok((InRoom { room, place: places[&user] }, new))).collect())
    })
    .await
}

/// Numbers a shuffled room's early arrivals if the draw is due (under the room's lock).
async fn draw_if_due(conn: &mut AsyncPgConnection, room: &mut Room) -> Result<(), TxError<RoomError>> {
    if !room.needs_draw() {
        return Ok(());
    }
    let numbered = rooms::draw(conn, room.event, i64::try_from(room.numbered).unwrap_or(i64::MAX)).await?;
    room.numbered += u64::try_from(numbered).unwrap_or(0);
    room.drawn = true;
    rooms::write_room(conn, room).await?;
    Ok(())
}

/// Moves the room's count to `serving` (under its lock), first fixing when each place the old
/// count reached was reached.
async fn change_course(
    conn: &mut AsyncPgConnection,
    room: &mut Room,
    serving: Serving,
) -> Result<(), TxError<RoomError>> {
    let reached_up_to = room.serving.at(room.now).min(room.numbered);
    rooms::fix_reached(conn, room.event, &room.serving, reached_up_to).await?;
    room.serving = serving;
    rooms::write_room(conn, room).await?;
    Ok(())
}

impl PgStore {
    /// Makes a due draw in a transaction of its own: the first read after the start does it.
    async fn draw_now(&self, event: EventId) -> Result<(), RoomError> {
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| -> Result<(), TxError<RoomError>> {
            if let Some(row) = rooms::lock(conn, event).await? {
                let mut room = Room::try_from(row).map_err(TxError::stored)?;
                draw_if_due(conn, &mut room).await?;
            }
            Ok(())
        })
        .await
        .map_err(TxError::settle)
    }

    /// The room and `user`'s place, after any draw that was due.
    async fn read_place(&self, event: EventId, user: UserId) -> Result<(Room, Option<Place>), RoomError> {
        for _ in 0..2 {
            let mut conn = self.writer().await?;
            let found = self
                .pinned(&mut conn, async |conn| {
                    rooms::read_place(conn, event, user).await.map_err(from_diesel)
                })
                .await?
                .ok_or(RoomError::NoRoom(event))?;
            let (room, placed) = found.split();
            let (room, place) = (Room::try_from(room)?, placed?.map(|(_, place)| place));
            if !room.needs_draw() {
                return Ok((room, place));
            }
            drop(conn);
            self.draw_now(event).await?;
        }
        Err(RoomError::Repo(crate::error::corrupt_row(crate::error::Inconsistent(
            "a draw that did not happen",
        ))))
    }
}

impl Rooms for PgStore {
    async fn set_room(&self, event: EventId, settings: RoomSettings) -> Result<(Room, bool), RoomError> {
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| -> Result<(Room, bool), TxError<RoomError>> {
            loop {
                if let Some(row) = rooms::lock(conn, event).await? {
                    let mut room = Room::try_from(row).map_err(TxError::stored)?;
                    room.resettle(settings).map_err(TxError::Rule)?;
                    rooms::write_room(conn, &room).await?;
                    return Ok((room, false));
                }
                // Its clock is the insert's, which answers with the room as stored.
                let fresh = Room::new(event, settings, settings.opens_at);
                // Another request may give the event its room first: then it is replaced.
                if let Some(row) = rooms::insert_room(conn, &fresh).await? {
                    return Ok((Room::try_from(row).map_err(TxError::stored)?, true));
                }
            }
        })
        .await
        .map_err(TxError::settle)
    }

    async fn change_room(&self, event: EventId, change: RoomChange) -> Result<Room, RoomError> {
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| -> Result<Room, TxError<RoomError>> {
            let row = rooms::lock(conn, event).await?.ok_or(TxError::Rule(RoomError::NoRoom(event)))?;
            let mut room = Room::try_from(row).map_err(TxError::stored)?;
            draw_if_due(conn, &mut room).await?;
            let serving = change.apply(&room.serving, room.now);
            change_course(conn, &mut room, serving).await?;
            Ok(room)
        })
        .await
        .map_err(TxError::settle)
    }

    async fn remove_room(&self, event: EventId) -> Result<bool, RepoError> {
        let mut conn = self.writer().await?;
        let removed = self
            .pinned(&mut conn, async |conn| rooms::delete_room(conn, event).await.map_err(from_diesel))
            .await?;
        Ok(removed > 0)
    }

    async fn room(&self, event: EventId) -> Result<Option<Room>, RepoError> {
        let mut conn = self.writer().await?;
        let row =
            self.pinned(&mut conn, async |conn| rooms::read(conn, event).await.map_err(from_diesel)).await?;
        row.map(Room::try_from).transpose()
    }

    async fn join(&self, event: EventId, user: UserId) -> Result<(InRoom, bool), RoomError> {
        match self.join_lanes.join(&Joins(self.clone()), event, user) {
            Turn::Alone(lead) => {
                let joined = join_alone(self, event, user).await;
                drop(lead);
                joined
            }
            Turn::Queued(answer) => match answer.await {
                Ok(joined) => joined,
                // The batch was abandoned (the runtime shutting down): try once alone.
                Err(_) => join_alone(self, event, user).await,
            },
            Turn::Overflow(user) => join_alone(self, event, user).await,
        }
    }

    async fn place(&self, event: EventId, user: UserId) -> Result<InRoom, RoomError> {
        let (room, place) = self.read_place(event, user).await?;
        Ok(InRoom { room, place: place.ok_or(RoomError::NotInQueue(event))? })
    }

    async fn claim_admission(&self, event: EventId, user: UserId) -> Result<InRoom, RoomError> {
        let InRoom { room, mut place } = self.place(event, user).await?;
        if matches!(room.standing(&place), Standing::Admitted { .. }) && place.token_issued_at.is_none() {
            let mut conn = self.writer().await?;
            let now = room.now;
            place.token_issued_at = self
                .pinned(&mut conn, async |conn| {
                    rooms::mark_used(conn, event, user, now).await.map_err(from_diesel)
                })
                .await?;
        }
        Ok(InRoom { room, place })
    }
}
