//! Many buyers at once, on several pool connections and on two independent pools (as two
//! server processes would be). The database alone must keep the invariants.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use domain::ports::Sales;
use domain::{
    BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, CancelBooking, CancelError,
    CancelTarget, EventId, UserId,
};
use infra_postgres::{PgStore, PoolSettings};

use crate::helpers::{Fixture, Rng, assert_invariants_on, rand_seed};

fn wide_pool() -> PoolSettings {
    PoolSettings { max_size: 16, wait_timeout: Duration::from_secs(10), ..PoolSettings::default() }
}

#[derive(diesel::QueryableByName)]
struct PendingPosition {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// Each pending booking's place in line, read back after the dust settles.
async fn positions(fx: &Fixture, event: EventId) -> Vec<(BookingId, u64)> {
    let rows: Vec<PendingPosition> = diesel::sql_query(
        "SELECT id, (SELECT count(*) + 1 FROM bookings a
                     WHERE a.event_id = b.event_id AND a.status = 'PENDING' AND a.id < b.id) AS position
         FROM bookings b WHERE event_id = $1 AND status = 'PENDING' ORDER BY id",
    )
    .bind::<BigInt, _>(event.get())
    .load(&mut fx.raw().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| (BookingId::new(r.id).unwrap(), u64::try_from(r.position).unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_for_twenty_seats_then_ten_cancels_promote_the_first_ten_in_line() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 20).await;
    let buyers = fx.users(200).await;

    let tasks: Vec<_> = buyers
        .iter()
        .map(|&buyer| {
            let repo = fx.store.clone();
            tokio::spawn(async move { repo.book(BookTicket::new(buyer, event, None).unwrap()).await })
        })
        .collect();
    let mut confirmed: Vec<Booking> = Vec::new();
    let mut reported: HashMap<BookingId, u64> = HashMap::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            BookingOutcome::Confirmed(booking) => confirmed.push(booking),
            BookingOutcome::Waitlisted { booking, position } => {
                reported.insert(booking.id, position.get());
            }
        }
    }

    assert_eq!((confirmed.len(), reported.len()), (20, 180));
    let line = positions(&fx, event).await;
    assert_eq!(line.iter().map(|(_, p)| *p).collect::<Vec<_>>(), (1..=180).collect::<Vec<u64>>());
    for (id, exact) in &line {
        // A position counts the earlier bookings visible when it was made, so it may be low
        // while others are still committing, but never high.
        let told = reported[id];
        assert!((1..=*exact).contains(&told), "booking {id} was told {told}, is {exact}");
    }
    fx.assert_invariants().await;

    // Ten holders cancel at once: each seat goes to the next in line, the ten first, in order.
    let tasks: Vec<_> = confirmed[..10]
        .iter()
        .map(|held| {
            let (repo, cmd) = (
                fx.store.clone(),
                CancelBooking { caller: held.user, target: CancelTarget::Booking(held.id) },
            );
            tokio::spawn(async move { repo.cancel(cmd).await })
        })
        .collect();
    let mut promoted = Vec::new();
    for task in tasks {
        let cancellation = task.await.unwrap().unwrap();
        let lucky = cancellation.promoted.expect("every cancel of a seat promotes someone");
        assert_eq!(lucky.status, BookingStatus::Confirmed);
        promoted.push(lucky.id);
    }
    promoted.sort();
    let first_ten: Vec<BookingId> = line[..10].iter().map(|(id, _)| *id).collect();
    assert_eq!(promoted, first_ten);
    assert_eq!(positions(&fx, event).await.len(), 170);
    fx.assert_invariants().await;
}

/// Random books and cancels from two pools for a few seconds, while a checker recounts the
/// invariants in fresh snapshots the whole time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_churn_of_books_and_cancels_from_two_processes_never_breaks_an_invariant() {
    const BUYERS: i32 = 48;
    const WORKERS: usize = 24;
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    // Booking and cancelling equally often keeps about half the buyers live per event: these
    // capacities keep each event near sold-out with a short line, where a free seat and a
    // waiting buyer are likeliest to meet.
    let events =
        [fx.event(organizer, 20).await, fx.event(organizer, 24).await, fx.event(organizer, 28).await];
    let buyers = Arc::new(fx.users(BUYERS).await);
    let pools = [PgStore::new(fx.pool.clone()), PgStore::new(fx.db.pool_with(&wide_pool()))];
    let stop = Arc::new(AtomicBool::new(false));

    let checker = {
        let (stop, mut conn) = (stop.clone(), fx.raw().await);
        tokio::spawn(async move {
            let mut checks = 0_u32;
            while !AtomicBool::load(&stop, Ordering::Relaxed) {
                assert_invariants_on(&mut conn).await;
                checks += 1;
            }
            checks
        })
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (repo, buyers, stop) = (pools[w % 2].clone(), buyers.clone(), stop.clone());
            let mut rng = Rng(rand_seed() ^ (u64::try_from(w).unwrap() << 32));
            tokio::spawn(async move {
                let mut done = 0_u32;
                while !AtomicBool::load(&stop, Ordering::Relaxed) {
                    let user: UserId = buyers[rng.below(buyers.len())];
                    let event = events[rng.below(events.len())];
                    if rng.below(2) == 0 {
                        match repo.book(BookTicket::new(user, event, None).unwrap()).await {
                            Ok(_) | Err(BookError::AlreadyBooked | BookError::AlreadyWaitlisted) => {}
                            Err(e) => panic!("booking failed: {e:?}"),
                        }
                    } else {
                        let cmd = CancelBooking { caller: user, target: CancelTarget::LiveBookingFor(event) };
                        match repo.cancel(cmd).await {
                            Ok(_) | Err(CancelError::NoLiveBooking(_)) => {}
                            Err(e) => panic!("cancel failed: {e:?}"),
                        }
                    }
                    done += 1;
                }
                done
            })
        })
        .collect();

    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let mut operations = 0;
    for worker in workers {
        operations += worker.await.unwrap();
    }
    let checks = checker.await.unwrap();

    assert!(operations > 500, "too little churn to mean anything: {operations} in {:?}", started.elapsed());
    assert!(checks > 10, "the checker barely ran: {checks}");
    fx.assert_invariants().await;
}
