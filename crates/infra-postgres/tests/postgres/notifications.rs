//! The outbox: every change writes exactly the notices the domain's rules give, in the same
//! transaction; readers follow it without skipping one that commits late.

use std::time::Duration;

use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::notice::{self, Notice, Subject, Watermark};
use domain::ports::{Notifications, Sales, Webhooks};
use domain::{
    BookTicket, BookingOutcome, BookingStatus, CancelBooking, CancelEvent, CancelTarget, ChangeQuantity,
    Limit, Quantity,
};

use crate::helpers::Fixture;

/// A watermark that trusts its start: every writer running when it was made has finished.
pub async fn settled_mark(fx: &Fixture) -> Watermark {
    let mut mark = fx.store.watermark().await.unwrap();
    settle(fx, &mut mark, |m| !m.waiting()).await;
    mark
}

/// Advances `mark` until `done` holds; other tests' transactions on the shared server may hold
/// the oldest running writer back for a moment.
pub async fn settle(fx: &Fixture, mark: &mut Watermark, done: impl Fn(&Watermark) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        mark.advance(&fx.store.settlement(mark.walked(), 1000).await.unwrap());
        if done(mark) || tokio::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// (kind, event, booking, holder, quantity, position)
type Row = (String, i64, Option<i64>, Option<i64>, Option<i32>, Option<i64>);

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct StoredNotice {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    booking_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    user_id: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    position: Option<i64>,
}

/// Every notice stored after `after`, as (kind, event, booking, holder, quantity, position).
async fn stored_since(fx: &Fixture, after: i64) -> Vec<Row> {
    let rows: Vec<StoredNotice> = diesel::sql_query(
        "SELECT id, kind, event_id, booking_id, user_id, quantity, position FROM notifications
         WHERE id > $1 ORDER BY id",
    )
    .bind::<BigInt, _>(after)
    .load(&mut fx.raw().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.kind, r.event_id, r.booking_id, r.user_id, r.quantity, r.position)).collect()
}

async fn newest(fx: &Fixture) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Max {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let max: Max = diesel::sql_query("SELECT COALESCE(max(id), 0) AS id FROM notifications")
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
    max.id
}

fn expected(notices: &[Notice]) -> Vec<Row> {
    notices
        .iter()
        .map(|n| match n.subject {
            Subject::Booking { booking, holder, quantity, position, .. } => (
                n.kind.as_str().to_owned(),
                n.event.get(),
                Some(booking.get()),
                Some(holder.get()),
                Some(i32::try_from(quantity.get()).unwrap()),
                position.map(|p| i64::try_from(p.get()).unwrap()),
            ),
            Subject::Event => (n.kind.as_str().to_owned(), n.event.get(), None, None, None, None),
        })
        .collect()
}

#[tokio::test]
async fn every_change_stores_exactly_the_notices_of_the_domain_rules_in_order() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [first, second, third] = fx.users(3).await[..] else { unreachable!() };

    let mut seen = newest(&fx).await;
    let mut check = async |notices: Vec<Notice>| {
        let stored = stored_since(&fx, seen).await;
        assert_eq!(stored, expected(&notices));
        seen = newest(&fx).await;
    };

    let seated = fx.book(event, first).await;
    assert!(matches!(seated, BookingOutcome::Confirmed(_)), "the fast path");
    check(vec![notice::rules::of_booking(&seated)]).await;

    let waiting = fx.book(event, second).await;
    assert!(matches!(waiting, BookingOutcome::Waitlisted { .. }), "the slow path");
    check(vec![notice::rules::of_booking(&waiting)]).await;
    let also_waiting = fx.book(event, third).await;
    check(vec![notice::rules::of_booking(&also_waiting)]).await;

    let cancel = CancelBooking { caller: first, target: CancelTarget::Booking(seated.booking().id) };
    let cancellation = fx.store.cancel(cancel, None).await.unwrap();
    assert_eq!(cancellation.promoted.iter().map(|b| b.user).collect::<Vec<_>>(), [second]);
    check(notice::rules::of_cancellation(&cancellation)).await;

    let raise = fx.set_limit(organizer, event, 3).await.unwrap();
    assert_eq!(raise.promoted.len(), 1);
    check(notice::rules::of_change(&raise)).await;

    let live: Vec<_> = [waiting.booking().clone(), also_waiting.booking().clone()]
        .into_iter()
        .map(|b| domain::Booking { status: BookingStatus::Cancelled, ..b })
        .collect();
    let called_off = fx.store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    check(notice::rules::of_event_cancellation(&called_off, &live)).await;

    // Groups: 4 seats, 3 taken; a group of 3 waits, then a single. Lowered to 2 it still waits;
    // lowered to 1 it is served with the one seat; the single, raised to 4, leaves and waits
    // anew at the back.
    let event = fx.event(organizer, 4).await;
    let [holder, group, single] = fx.users(3).await[..] else { unreachable!() };
    let of = |n: i64| Quantity::new(n).unwrap();
    let book = async |user, n| {
        let cmd = BookTicket::new(user, event, None).unwrap().with_quantity(of(n));
        let outcome = fx.store.book(cmd, None).await.unwrap();
        (vec![notice::rules::of_booking(&outcome)], outcome.booking().id)
    };
    let mut ids = Vec::new();
    for (user, n) in [(holder, 3), (group, 3), (single, 1)] {
        let (notices, id) = book(user, n).await;
        check(notices).await;
        ids.push(id);
    }
    let change = async |caller, booking, n| {
        let cmd = ChangeQuantity { caller, booking, quantity: of(n) };
        fx.store.change_quantity(cmd, None).await.unwrap()
    };
    let lowered = change(group, ids[1], 2).await;
    assert!(lowered.promoted.is_empty());
    check(notice::rules::of_quantity_change(&lowered)).await;
    let served = change(group, ids[1], 1).await;
    assert_eq!(served.promoted.iter().map(|b| (b.id, b.quantity)).collect::<Vec<_>>(), [(ids[1], of(1))]);
    check(notice::rules::of_quantity_change(&served)).await;
    let raised = change(single, ids[2], 4).await;
    assert!(raised.replaced.is_some());
    check(notice::rules::of_quantity_change(&raised)).await;
}

/// Installs a check that fails every transaction touching `table` at commit, after all of
/// its statements ran: the notices were written, and must go with the rollback.
async fn fail_commits_touching(conn: &mut AsyncPgConnection, table: &str) {
    conn.batch_execute(&format!(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced'; END $$;
         CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT OR UPDATE ON {table}
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn changes_that_roll_back_leave_no_notice_and_no_delivery() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, waiting, late] = fx.users(3).await[..] else { unreachable!() };
    let seated = fx.book(event, holder).await;
    fx.book(event, waiting).await;
    // Queue what committed so far (for no webhook: there is none yet).
    fx.store.queue_deliveries(1000).await.unwrap();
    diesel::sql_query(
        "INSERT INTO webhooks (organizer_id, url, secret) VALUES ($1, 'http://127.0.0.1:9/', $2)",
    )
    .bind::<BigInt, _>(organizer.get())
    .bind::<diesel::sql_types::Binary, _>(vec![7_u8; 32])
    .execute(&mut fx.raw().await)
    .await
    .unwrap();
    let before = newest(&fx).await;

    fail_commits_touching(&mut fx.raw().await, "bookings").await;
    let cancel = CancelBooking { caller: holder, target: CancelTarget::Booking(seated.booking().id) };
    assert!(fx.store.cancel(cancel, None).await.is_err());
    assert!(fx.store.book(domain::BookTicket::new(late, event, None).unwrap(), None).await.is_err());
    assert!(fx.store.cancel_event(CancelEvent { caller: organizer, event }, None).await.is_err());

    assert_eq!(stored_since(&fx, before).await, []);
    fx.store.queue_deliveries(1000).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let deliveries: Count = diesel::sql_query("SELECT count(*) AS n FROM webhook_deliveries")
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
    assert_eq!(deliveries.n, 0, "the rolled-back changes' notices cannot be queued");
    fx.assert_invariants().await;
}

#[tokio::test]
async fn the_watermark_waits_for_a_notice_that_commits_after_a_later_one() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let [early, late] = fx.users(2).await[..] else { unreachable!() };
    // Another event, so that the booking committing first does not wait on the open one's row.
    let other = fx.event(organizer, 10).await;
    let mut mark = settled_mark(&fx).await;

    // `early` draws the lower id but commits last.
    let mut slow = fx.booking_left_open(event, early).await;
    fx.book(other, late).await;

    mark.advance(&fx.store.settlement(mark.walked(), 100).await.unwrap());
    let shown = fx.store.feed(late, None, mark.settled_through(), Limit::DEFAULT).await.unwrap();
    assert_eq!(shown, [], "the later notice waits behind the uncommitted earlier one");

    slow.batch_execute("COMMIT").await.unwrap();
    settle(&fx, &mut mark, |m| !m.waiting()).await;
    let early_feed = fx.store.feed(early, None, mark.settled_through(), Limit::DEFAULT).await.unwrap();
    let late_feed = fx.store.feed(late, None, mark.settled_through(), Limit::DEFAULT).await.unwrap();
    assert_eq!((early_feed.len(), late_feed.len()), (1, 1));
    assert!(early_feed[0].id < late_feed[0].id);
}

#[tokio::test]
async fn a_rolled_back_notice_is_passed_once_its_writer_has_finished() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let [gone, kept] = fx.users(2).await[..] else { unreachable!() };
    let other = fx.event(organizer, 10).await;
    let mut mark = settled_mark(&fx).await;

    let mut aborted = fx.booking_left_open(event, gone).await;
    fx.book(other, kept).await;
    mark.advance(&fx.store.settlement(mark.walked(), 100).await.unwrap());
    assert!(mark.waiting());
    aborted.batch_execute("ROLLBACK").await.unwrap();

    settle(&fx, &mut mark, |m| !m.waiting()).await;
    let feed = fx.store.feed(kept, None, mark.settled_through(), Limit::DEFAULT).await.unwrap();
    assert_eq!(feed.len(), 1, "the gap was rolled back; the mark moved past it");
}
