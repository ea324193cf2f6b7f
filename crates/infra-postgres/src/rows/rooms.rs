//! A waiting room's rows, re-parsed into the domain's values.

use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Timestamptz};
use domain::room::{AdmissionRate, Place, Room, RoomSettings, Serving};
use domain::{EventId, RepoError, UserId};

use crate::error::corrupt_row;

#[derive(Debug, QueryableByName)]
pub(crate) struct RoomRow {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Timestamptz)]
    opens_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    sale_starts_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    shuffle: bool,
    #[diesel(sql_type = Integer)]
    token_ttl_seconds: i32,
    #[diesel(sql_type = Integer)]
    place_validity_seconds: i32,
    #[diesel(sql_type = BigInt)]
    base_pos: i64,
    #[diesel(sql_type = Timestamptz)]
    base_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    rate: i32,
    #[diesel(sql_type = Bool)]
    paused: bool,
    #[diesel(sql_type = BigInt)]
    numbered: i64,
    #[diesel(sql_type = BigInt)]
    joined: i64,
    #[diesel(sql_type = Bool)]
    drawn: bool,
    /// The database's clock.
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// A place's own columns.
#[derive(Debug, QueryableByName)]
pub(crate) struct PlaceColumns {
    #[diesel(sql_type = Nullable<BigInt>)]
    position: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    reached_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    token_at: Option<DateTime<Utc>>,
}

/// A user's existing place, among others'.
#[derive(Debug, QueryableByName)]
pub(crate) struct PlacedRow {
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(embed)]
    place: PlaceColumns,
}

/// A room with one of the places asked about (`user_id` null: none).
#[derive(Debug, QueryableByName)]
pub(crate) struct RoomPlaceRow {
    #[diesel(embed)]
    pub room: RoomRow,
    #[diesel(sql_type = Nullable<BigInt>)]
    user_id: Option<i64>,
    #[diesel(embed)]
    place: PlaceColumns,
}

impl RoomPlaceRow {
    /// The room's columns, and the place this row holds, if any.
    pub(crate) fn split(self) -> (RoomRow, Result<Option<(UserId, Place)>, RepoError>) {
        let placed = match self.user_id {
            None => Ok(None),
            Some(user) => UserId::new(user)
                .map_err(corrupt_row)
                .and_then(|user| Ok(Some((user, Place::try_from(self.place)?)))),
        };
        (self.room, placed)
    }
}

fn count(n: i64) -> Result<u64, RepoError> {
    u64::try_from(n).map_err(corrupt_row)
}

impl TryFrom<RoomRow> for Room {
    type Error = RepoError;

    fn try_from(row: RoomRow) -> Result<Self, RepoError> {
        let rate = AdmissionRate::new(i64::from(row.rate)).map_err(corrupt_row)?;
        let settings = RoomSettings {
            opens_at: row.opens_at,
            sale_starts_at: row.sale_starts_at,
            rate,
            shuffle: row.shuffle,
            token_ttl: Duration::seconds(i64::from(row.token_ttl_seconds)),
            place_validity: Duration::seconds(i64::from(row.place_validity_seconds)),
        }
        .check()
        .map_err(corrupt_row)?;
        Ok(Self {
            event: EventId::new(row.event_id).map_err(corrupt_row)?,
            settings,
            serving: Serving {
                base_pos: count(row.base_pos)?,
                base_at: row.base_at,
                rate,
                paused: row.paused,
            },
            numbered: count(row.numbered)?,
            joined: count(row.joined)?,
            drawn: row.drawn,
            now: row.now,
        })
    }
}

impl TryFrom<PlaceColumns> for Place {
    type Error = RepoError;

    fn try_from(row: PlaceColumns) -> Result<Self, RepoError> {
        Ok(Self {
            position: row.position.map(count).transpose()?,
            reached_at: row.reached_at,
            token_issued_at: row.token_at,
        })
    }
}

impl PlacedRow {
    pub(crate) fn parse(self) -> Result<(UserId, Place), RepoError> {
        Ok((UserId::new(self.user_id).map_err(corrupt_row)?, Place::try_from(self.place)?))
    }
}
