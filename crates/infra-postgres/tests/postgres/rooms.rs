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

/// Spearman's ρ of two rankings of the same n items (no ties).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "a few thousand items")]
    let n = a.len() as f64;
    let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shuffled_rooms_early_arrivals_are_drawn_with_no_tie_to_their_order_of_arrival() {
    const EARLY: usize = 2_000;
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    // The sale far off while they arrive, however slow the machine; brought forward after.
    let settings = RoomSettings {
        shuffle: true,
        ..RoomSettings::new(Utc::now(), Utc::now() + Duration::hours(1), AdmissionRate::new(500).unwrap())
            .unwrap()
    };
    fx.store.set_room(event, settings).await.unwrap();
    let users = fx.users(i32::try_from(EARLY).unwrap() + 1).await;
    // Arrival order: one join after another, each answered before the next is sent.
    for &user in &users[..EARLY] {
        let (found, new) = fx.store.join(event, user).await.unwrap();
        assert!(new && found.place.position.is_none(), "no number before the draw");
    }
    let start = Utc::now() + Duration::milliseconds(200);
    fx.store.set_room(event, RoomSettings { sale_starts_at: start, ..settings }).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let late = fx.store.join(event, users[EARLY]).await.unwrap().0;
    assert_eq!(late.place.position, Some(2_001), "later arrivals come after the draw");
    let mut drawn = Vec::with_capacity(EARLY);
    for &user in &users[..EARLY] {
        drawn.push(fx.store.place(event, user).await.unwrap().place.position.unwrap());
    }
    let mut sorted = drawn.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=2_000).collect::<Vec<u64>>(), "places 1..2000, once each");
    #[expect(clippy::cast_precision_loss, reason = "a few thousand items")]
    let (arrival, place): (Vec<f64>, Vec<f64>) =
        drawn.iter().enumerate().map(|(i, &p)| (i as f64 + 1.0, p as f64)).unzip();
    let rho = spearman(&arrival, &place);
    assert!(rho.abs() < 0.1, "Spearman's rho against arrival order: {rho}");
}
