use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use domain::ports::Catalog;

use crate::helpers::Fixture;

/// Bookings name their event without a foreign key (the booking statements read the event
/// themselves); that an event with bookings cannot vanish rests on this.
#[tokio::test]
async fn an_event_is_never_deleted_not_even_one_without_bookings() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let booked = fx.event(organizer, 3).await;
    let empty = fx.event(organizer, 3).await;
    fx.book(booked, fx.user("buyer").await).await;
    let mut conn = fx.raw().await;

    for event in [booked, empty] {
        let deleted = diesel::sql_query("DELETE FROM events WHERE id = $1")
            .bind::<BigInt, _>(event.get())
            .execute(&mut conn)
            .await;
        let refused = deleted.expect_err("an event was deleted").to_string();
        assert!(refused.contains("never deleted"), "{refused}");
    }
    let truncated = diesel::sql_query("TRUNCATE events CASCADE").execute(&mut conn).await;
    assert!(truncated.is_err(), "the events were truncated");
    assert!(fx.store.availability(booked).await.is_ok());
}
