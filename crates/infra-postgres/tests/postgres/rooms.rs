//! What the waiting room's statements must agree on with the domain: when a place was reached,
//! fixed by SQL as the count changes course, is exactly what [`Serving::reached_at`] says; and
//! a repeat join numbers nothing, even through a batch.

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use diesel_async::RunQueryDsl;
use domain::ports::Rooms as _;
use domain::room::{AdmissionRate, RoomChange, RoomSettings};

use crate::helpers::Fixture;

#[derive(diesel::QueryableByName)]
struct Fixed {
    #[diesel(sql_type = BigInt)]
    position: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    reached_at: Option<DateTime<Utc>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_fixes_each_reached_place_at_the_time_the_domain_computes() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let start = Utc::now();
    // Seven a second: reaching times that are not whole milliseconds.
    let settings =
        RoomSettings::new(start - Duration::hours(1), start, AdmissionRate::new(7).unwrap()).unwrap();
    fx.store.set_room(event, settings).await.unwrap();
    for user in fx.users(30).await {
        fx.store.join(event, user).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let before = fx.store.room(event).await.unwrap().unwrap().serving;
    let paused = fx
        .store
        .change_room(event, RoomChange { paused: Some(true), ..RoomChange::default() })
        .await
        .unwrap();

    let rows: Vec<Fixed> = diesel::sql_query(
        "SELECT position, reached_at FROM queue_places WHERE event_id = $1 ORDER BY position",
    )
    .bind::<BigInt, _>(event.get())
    .load(&mut fx.raw().await)
    .await
    .unwrap();
    let reached = before.at(paused.now);
    assert!(reached >= 9, "about ten reached in 1.5 s, got {reached}");
    for row in rows {
        let position = u64::try_from(row.position).unwrap();
        let expected = (position <= reached).then(|| before.reached_at(position).unwrap());
        assert_eq!(row.reached_at, expected, "place {position}");
    }
}
