//! History in PostgreSQL: what no role may edit, what the service's role may do, corruptions
//! made by hand with database access and how the check names them, the archive, and the
//! bookings the migration found already there.

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::history::{Action, HistoryQuery};
use domain::ports::{Audit, Sales};
use domain::{BookingStatus, CancelBooking, CancelTarget, EventId};
use infra_postgres::roles::{Role, provision};

use crate::helpers::Fixture;

/// An event of `limit` seats with `buyers` bookings in turn: the first `limit` confirmed.
async fn booked(fx: &Fixture, limit: i64, buyers: i32) -> EventId {
    let organizer = fx.user(&format!("organizer-{}", fx.users(1).await[0])).await;
    let event = fx.event(organizer, limit).await;
    for user in fx.users(buyers).await {
        fx.book(event, user).await;
    }
    event
}

async fn run(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), String> {
    conn.batch_execute(sql).await.map_err(|e| e.to_string())
}

fn failed(report: &domain::history::integrity::IntegrityReport) -> Vec<(&'static str, i64, i64, Vec<i64>)> {
    report
        .violations()
        .map(|c| (c.name, c.expected, c.actual, c.bookings.iter().map(|b| b.get()).collect()))
        .collect()
}

#[tokio::test]
async fn history_refuses_update_delete_and_truncate_to_everyone() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 2, 3).await;
    let mut conn = fx.raw().await;
    for edit in [
        "UPDATE history SET seats_delta = 0",
        "DELETE FROM history",
        "TRUNCATE history",
        "TRUNCATE history_archive",
    ] {
        let refused = run(&mut conn, edit).await.expect_err(edit);
        assert!(refused.contains("append-only"), "{edit}: {refused}");
    }
    assert!(fx.integrity(event).await.ok(), "nothing was lost");
}

#[tokio::test]
async fn the_services_role_may_read_and_add_history_and_nothing_else() {
    let fx = Fixture::new().await;
    booked(&fx, 1, 2).await;
    let mut admin = fx.raw().await;
    let database: String = {
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = Text)]
            name: String,
        }
        diesel::sql_query("SELECT current_database() AS name")
            .get_result::<Name>(&mut admin)
            .await
            .unwrap()
            .name
    };
    let suffix = &database[database.len() - 8..];
    let (owner, app) = (format!("owner_{suffix}"), format!("app_{suffix}"));
    let sql =
        provision(&database, &Role { name: &owner, password: "o" }, &Role { name: &app, password: "a" });
    run(&mut admin, &sql).await.unwrap();
    let (scheme, rest) = fx.db.url().split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    let url = format!("{scheme}://{app}:a@{host}");
    let mut as_app = AsyncPgConnection::establish(&url).await.unwrap();
    let count = "SELECT count(*) FROM history";
    run(&mut as_app, count).await.unwrap();
    let forged = "INSERT INTO history_archive SELECT * FROM history LIMIT 1";
    for edit in ["DELETE FROM history", "UPDATE history SET seats_delta = 0", "TRUNCATE history", forged] {
        let refused = run(&mut as_app, edit).await.expect_err(edit);
        assert!(refused.contains("permission denied"), "{edit}: {refused}");
    }
    let everything =
        run(&mut as_app, "SELECT archive_history(-100000, 10)").await.expect_err("negative days");
    assert!(everything.contains("days must be 0 or more"), "{everything}");
    let moved: i64 = {
        #[derive(diesel::QueryableByName)]
        struct Moved {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT archive_history(0, 10) AS n")
            .get_result::<Moved>(&mut as_app)
            .await
            .unwrap()
            .n
    };
    assert_eq!(moved, 0, "the role may run the archiving, which moves only past events' rows");
}

/// Even the owner cannot swap an entry for a forged one by way of the archive: a row leaves
/// `history` only when its exact copy is there.
#[tokio::test]
async fn a_forged_archive_copy_cannot_replace_an_entry() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 1, 1).await;
    let mut conn = fx.raw().await;
    run(&mut conn, &format!("UPDATE events SET date = current_date - 40 WHERE id = {event}")).await.unwrap();
    run(&mut conn, "INSERT INTO history_archive SELECT * FROM history WHERE action = 'booked'")
        .await
        .unwrap();
    run(&mut conn, "ALTER TABLE history_archive DISABLE TRIGGER history_archive_append_only").await.unwrap();
    run(&mut conn, "UPDATE history_archive SET seats_delta = 0").await.unwrap();
    run(&mut conn, "ALTER TABLE history_archive ENABLE TRIGGER history_archive_append_only").await.unwrap();
    let refused = run(&mut conn, "SELECT archive_history(30, 100)").await.expect_err("a forged copy");
    assert!(refused.contains("append-only"), "{refused}");
    let refused =
        run(&mut conn, "DELETE FROM history WHERE action = 'booked'").await.expect_err("a forged copy");
    assert!(refused.contains("append-only"), "{refused}");
}

#[tokio::test]
async fn a_seats_counter_changed_by_hand_fails_the_seats_check_naming_expected_and_actual() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 3, 2).await;
    assert!(fx.integrity(event).await.ok());
    run(&mut fx.raw().await, &format!("UPDATE events SET seats_taken = seats_taken - 1 WHERE id = {event}"))
        .await
        .unwrap();
    let report = fx.integrity(event).await;
    assert_eq!(report.event, event);
    assert_eq!(failed(&report), [("seats_taken", 2, 1, vec![])]);
}

#[tokio::test]
async fn a_booking_status_changed_by_hand_fails_the_state_machine_naming_the_booking() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 1, 2).await;
    let waiting: i64 = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        diesel::sql_query("SELECT id FROM bookings WHERE status = 'PENDING'")
            .get_result::<Id>(&mut fx.raw().await)
            .await
            .unwrap()
            .id
    };
    run(&mut fx.raw().await, &format!("UPDATE bookings SET status = 'CANCELLED' WHERE id = {waiting}"))
        .await
        .unwrap();
    let report = fx.integrity(event).await;
    let names: Vec<_> = failed(&report).into_iter().map(|(name, .., ids)| (name, ids)).collect();
    assert!(names.contains(&("state_machine", vec![waiting])), "{names:?}");
}

#[tokio::test]
async fn a_past_events_history_moves_to_the_archive_and_is_still_read_and_checked() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 1, 2).await;
    let first = fx.store.audit_trail(event).await.unwrap().unwrap();
    let before = first.entries.len();
    let holder = fx.store.booking_history(first.bookings[0].id).await.unwrap().unwrap();
    run(&mut fx.raw().await, &format!("UPDATE events SET date = current_date - 40 WHERE id = {event}"))
        .await
        .unwrap();
    let other = booked(&fx, 1, 1).await;

    let moved = fx.store.archive_history(30, 2).await.unwrap();
    assert_eq!(moved, 2, "a batch at a time");
    let moved = fx.store.archive_history(30, 1000).await.unwrap();
    assert_eq!(moved, before - 2);
    assert_eq!(fx.store.archive_history(30, 1000).await.unwrap(), 0);

    let trail = fx.store.audit_trail(event).await.unwrap().unwrap();
    assert_eq!(trail.entries.len(), before, "no row lost");
    assert!(fx.integrity(event).await.ok());
    assert!(fx.integrity(other).await.ok());
    let again = fx.store.booking_history(first.bookings[0].id).await.unwrap().unwrap();
    assert_eq!(again.0, holder.0);
    let page = fx.store.event_history(event, HistoryQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), before);
    let archived: i64 = {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM history WHERE event_id = $1")
            .bind::<BigInt, _>(event.get())
            .get_result::<N>(&mut fx.raw().await)
            .await
            .unwrap()
            .n
    };
    assert_eq!(archived, 0, "out of the table every booking writes to");
    for edit in ["UPDATE history_archive SET seats_delta = 0", "DELETE FROM history_archive"] {
        let refused = run(&mut fx.raw().await, edit).await.expect_err(edit);
        assert!(refused.contains("append-only"), "{edit}: {refused}");
    }

    // A cancel after archiving (a late refund) is history too, and the check spans both tables.
    let first = trail.bookings[0];
    assert_eq!(first.status, BookingStatus::Confirmed);
    let holder_id = holder.1;
    fx.store
        .cancel(CancelBooking { caller: holder_id, target: CancelTarget::Booking(first.id) }, None)
        .await
        .unwrap();
    assert!(fx.integrity(event).await.ok());
}

/// The migration imports what was there before history was kept: one row per booking as it
/// stood, and the check holds from there on.
#[tokio::test]
async fn bookings_made_before_history_are_imported_as_they_stood() {
    let fx = Fixture::new().await;
    let event = booked(&fx, 2, 4).await;
    let mut conn = fx.raw().await;
    run(&mut conn, include_str!("../../../../migrations/2026-12-07-000002_history/down.sql")).await.unwrap();
    run(&mut conn, include_str!("../../../../migrations/2026-12-07-000002_history/up.sql")).await.unwrap();

    let trail = fx.store.audit_trail(event).await.unwrap().unwrap();
    assert_eq!(trail.entries.len(), 4);
    assert!(trail.entries.iter().all(|e| e.action == Action::Imported));
    assert!(fx.integrity(event).await.ok());
    let buyer = fx.user("late").await;
    fx.book(event, buyer).await;
    assert!(fx.integrity(event).await.ok());
}
