//! Issue 33, work in progress: the join statement the waiting room will use, probed against
//! PostgreSQL before any port or endpoint exists. Places are dense and unique however many
//! times, and from however many connections, each user joins at once.

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::future::join_all;

use crate::helpers::Fixture;

/// The bump of the room's counter and the place, in one statement; a second join of the same
/// user fails on the key and rolls its bump back, so no number is skipped.
const JOIN: &str = "\
WITH room AS (
    UPDATE waiting_rooms SET next_pos = next_pos + 1 WHERE event_id = $1 RETURNING next_pos
)
INSERT INTO queue_places (event_id, user_id, position)
SELECT $1, $2, next_pos FROM room
RETURNING position";

const PLACE: &str = "SELECT position FROM queue_places WHERE event_id = $1 AND user_id = $2";

#[derive(diesel::QueryableByName)]
struct Position {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// The user's place: theirs by this join, or the one an earlier join gave them.
async fn join(url: &str, event: i64, user: i64) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let joined: Result<Position, _> =
        diesel::sql_query(JOIN).bind::<BigInt, _>(event).bind::<BigInt, _>(user).get_result(&mut conn).await;
    match joined {
        Ok(place) => place.position,
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            diesel::sql_query(PLACE)
                .bind::<BigInt, _>(event)
                .bind::<BigInt, _>(user)
                .get_result::<Position>(&mut conn)
                .await
                .unwrap()
                .position
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_user_gets_one_place_and_places_are_exactly_one_to_n() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await.get();
    fx.raw()
        .await
        .batch_execute(&format!(
            "INSERT INTO waiting_rooms (event_id, opens_at, sale_starts_at, base_at, rate)
             VALUES ({event}, now(), now(), now(), 500)"
        ))
        .await
        .unwrap();
    let users: Vec<i64> = fx.users(40).await.into_iter().map(|u| u.get()).collect();
    // Each user joins three times at once (a refresh, a second tab, another instance).
    let joins = users.iter().flat_map(|&user| [user; 3]).map(|user| join(fx.db.url(), event, user));
    let places: Vec<i64> = join_all(joins).await;

    for (user, theirs) in users.iter().zip(places.chunks(3)) {
        assert!(theirs.iter().all(|&p| p == theirs[0]), "user {user} got {theirs:?}");
    }
    let mut firsts: Vec<i64> = places.chunks(3).map(|p| p[0]).collect();
    firsts.sort_unstable();
    assert_eq!(firsts, (1..=40).collect::<Vec<_>>(), "dense and unique");
}
