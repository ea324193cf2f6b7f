//! Many buyers at once, on several pool connections and on two independent pools (as two
//! server processes would be). The database alone must keep the invariants.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use domain::ports::{Catalog, Sales};
use domain::{
    BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, CancelBooking, CancelError,
    CancelEvent, CancelTarget, ChangeEvent, ChangeEventError, EventChanges, TicketLimit, UserId,
};
use infra_postgres::PgStore;

use crate::helpers::{Fixture, Rng, assert_invariants_on, positions, test_seed, wide_pool};

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
            tokio::spawn(async move { repo.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
        })
        .collect();
    let mut confirmed: Vec<Booking> = Vec::new();
    let mut reported: HashMap<BookingId, u64> = HashMap::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            BookingOutcome::Confirmed(booking) => confirmed.push(booking),
            BookingOutcome::Waitlisted { booking, position, .. } => {
                reported.insert(booking.id, position.get());
            }
        }
    }

    assert_eq!((confirmed.len(), reported.len()), (20, 180));
    let line = positions(&fx, event).await;
    assert_eq!(line.len(), 180);
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
            tokio::spawn(async move { repo.cancel(cmd, None).await })
        })
        .collect();
    let mut promoted = Vec::new();
    for task in tasks {
        let cancellation = task.await.unwrap().unwrap();
        let [lucky] = &cancellation.promoted[..] else { panic!("every cancel of a seat promotes someone") };
        let lucky = lucky.clone();
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
/// invariants in fresh snapshots the whole time. The workers' choices come from a printed seed
/// (`TEST_SEED` replays them; the interleaving is the machine's).
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
    let seed = test_seed("a_churn_of_books_and_cancels_from_two_processes_never_breaks_an_invariant");
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
            let mut rng = Rng((seed ^ (u64::try_from(w).unwrap() << 32)) | 1);
            tokio::spawn(async move {
                let mut done = 0_u32;
                while !AtomicBool::load(&stop, Ordering::Relaxed) {
                    let user: UserId = buyers[rng.below(buyers.len())];
                    let event = events[rng.below(events.len())];
                    if rng.below(2) == 0 {
                        match repo.book(BookTicket::new(user, event, None).unwrap(), None).await {
                            Ok(_) | Err(BookError::AlreadyBooked | BookError::AlreadyWaitlisted) => {}
                            Err(e) => panic!("booking failed: {e:?}"),
                        }
                    } else {
                        let cmd = CancelBooking { caller: user, target: CancelTarget::LiveBookingFor(event) };
                        match repo.cancel(cmd, None).await {
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

/// 200 bookers, 20 cancels and 10 capacity changes (raises of a few seats, and lowerings that
/// are refused once too many seats are taken) on one event from two pools, while a checker
/// recounts the invariants and replays the line's history. The raises stop at 56 seats, so
/// more than a hundred still wait at the end: every promotion must have gone to someone ahead
/// of all of them, and some while bookers were still arriving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookers_cancels_and_capacity_changes_at_once_keep_every_invariant_and_the_line_order() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 20).await;
    let buyers = fx.users(200).await;
    let pools = [PgStore::new(fx.pool.clone()), PgStore::new(fx.db.pool_with(&wide_pool()))];
    let stop = Arc::new(AtomicBool::new(false));
    let checker = {
        let (stop, mut conn) = (stop.clone(), fx.raw().await);
        tokio::spawn(async move {
            while !AtomicBool::load(&stop, Ordering::Relaxed) {
                assert_invariants_on(&mut conn).await;
            }
        })
    };

    // The cancels and changes start once 40 bookings are in (the 20 seats taken, a line
    // formed), while the other 160 are still coming, however slowly this machine runs them;
    // the last 50 come only once something was promoted, so promotions and later arrivals
    // meet on any machine (the gate opens after half a minute regardless, and the test then
    // fails below).
    let booked = Arc::new(AtomicUsize::new(0));
    let (promoted_once, gate) = tokio::sync::watch::channel(false);
    let promoted_once = Arc::new(promoted_once);
    let line_formed = |booked: Arc<AtomicUsize>| async move {
        while booked.load(Ordering::Relaxed) < 40 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    let books: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, &buyer)| {
            let (store, booked, mut gate) = (pools[i % 2].clone(), booked.clone(), gate.clone());
            tokio::spawn(async move {
                if i >= 150 {
                    let _ = tokio::time::timeout(Duration::from_secs(30), gate.wait_for(|open| *open)).await;
                }
                let outcome = store.book(BookTicket::new(buyer, event, None).unwrap(), None).await;
                booked.fetch_add(1, Ordering::Relaxed);
                outcome
            })
        })
        .collect();
    let cancels: Vec<_> = (0..20)
        .map(|i| {
            let (store, buyer, booked) = (pools[i % 2].clone(), buyers[i * 7], booked.clone());
            let (formed, promoted_once) = (line_formed(booked.clone()), promoted_once.clone());
            tokio::spawn(async move {
                formed.await;
                tokio::time::sleep(Duration::from_millis(u64::try_from(i).unwrap() * 3)).await;
                let cancel = CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) };
                let cancellation = store.cancel(cancel, None).await;
                let answered = booked.load(Ordering::Relaxed);
                if cancellation.as_ref().is_ok_and(|c| !c.promoted.is_empty()) {
                    promoted_once.send_replace(true);
                }
                (cancellation, answered)
            })
        })
        .collect();
    let changes: Vec<_> = (0..10_i64)
        .map(|i| {
            let (store, booked) = (pools[usize::try_from(i).unwrap() % 2].clone(), booked.clone());
            // Even: raise to 24, 32, … 56 seats, so the line (200 buyers) never runs out; odd:
            // lower to 10, refused once more than 10 seats are taken.
            let seats = if i % 2 == 0 { 24 + 4 * i } else { 10 };
            let (formed, promoted_once) = (line_formed(booked.clone()), promoted_once.clone());
            tokio::spawn(async move {
                formed.await;
                tokio::time::sleep(Duration::from_millis(u64::try_from(i).unwrap() * 5)).await;
                let changes =
                    EventChanges { ticket_limit: TicketLimit::new(seats).ok(), ..EventChanges::default() };
                let change =
                    store.change_event(ChangeEvent { caller: organizer, event, changes }, None).await;
                let answered = booked.load(Ordering::Relaxed);
                if change.as_ref().is_ok_and(|c| !c.promoted.is_empty()) {
                    promoted_once.send_replace(true);
                }
                (change, answered)
            })
        })
        .collect();

    let mut promoted: Vec<BookingId> = Vec::new();
    // How many bookings had been answered when each promotion was: fewer than all of them
    // means the promotion ran while bookers were still joining the line.
    let mut promoted_with_bookers_arriving = 0;
    for task in books {
        match task.await.unwrap() {
            Ok(_) => {}
            Err(e) => panic!("booking failed: {e:?}"),
        }
    }
    for task in cancels {
        match task.await.unwrap() {
            (Ok(cancellation), answered) => {
                if !cancellation.promoted.is_empty() && answered < buyers.len() {
                    promoted_with_bookers_arriving += 1;
                }
                promoted.extend(cancellation.promoted.iter().map(|b| b.id));
            }
            (Err(CancelError::NoLiveBooking(_)), _) => {}
            (Err(e), _) => panic!("cancel failed: {e:?}"),
        }
    }
    let mut refused = 0;
    for task in changes {
        match task.await.unwrap() {
            (Ok(change), answered) => {
                if !change.promoted.is_empty() && answered < buyers.len() {
                    promoted_with_bookers_arriving += 1;
                }
                promoted.extend(change.promoted.iter().map(|b| b.id));
            }
            (Err(ChangeEventError::LimitBelowTaken { .. }), _) => refused += 1,
            (Err(e), _) => panic!("change failed: {e:?}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    checker.await.unwrap();

    fx.assert_invariants().await;
    let still_waiting = positions(&fx, event).await;
    eprintln!(
        "promoted {} ({promoted_with_bookers_arriving} changes while bookers arrived), refused lowerings \
         {refused}, still waiting {}",
        promoted.len(),
        still_waiting.len()
    );
    let first_waiting = still_waiting.iter().map(|(id, _)| *id).min().expect("the line never runs out");
    let last_promoted = promoted.iter().max().expect("the raises and cancels promoted someone");
    assert!(*last_promoted < first_waiting, "{last_promoted:?} was promoted past {first_waiting:?}");
    assert!(promoted_with_bookers_arriving > 0, "every promotion came after the last booker: nothing raced");
}

/// An event called off while 100 buyers arrive: afterwards nobody holds a live booking, and
/// every buyer either got a booking that is now cancelled or was told the event is cancelled.
/// The call-off starts once 20 bookings are answered, and the last 20 buyers come only once it
/// is answered, so both outcomes happen on any machine; the 60 between arrive as it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_an_event_while_buyers_arrive_leaves_no_live_booking() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 30).await;
    let buyers = fx.users(100).await;
    let pools = [PgStore::new(fx.pool.clone()), PgStore::new(fx.db.pool_with(&wide_pool()))];
    let answered = Arc::new(AtomicUsize::new(0));
    let (called_off_once, gate) = tokio::sync::watch::channel(false);

    let books: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, &buyer)| {
            let (store, answered, mut gate) = (pools[i % 2].clone(), answered.clone(), gate.clone());
            // Spread over 10 ms, so that the cancellation lands among them.
            let arrival = Duration::from_micros(100 * u64::try_from(i).unwrap());
            tokio::spawn(async move {
                if i >= 80 {
                    let _ = tokio::time::timeout(Duration::from_secs(30), gate.wait_for(|done| *done)).await;
                }
                tokio::time::sleep(arrival).await;
                let outcome = store.book(BookTicket::new(buyer, event, None).unwrap(), None).await;
                answered.fetch_add(1, Ordering::Relaxed);
                outcome
            })
        })
        .collect();
    let called_off = {
        let (store, answered) = (pools[1].clone(), answered.clone());
        tokio::spawn(async move {
            while answered.load(Ordering::Relaxed) < 20 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let cancellation = store.cancel_event(CancelEvent { caller: organizer, event }, None).await;
            called_off_once.send_replace(true);
            cancellation
        })
    };

    let ended = called_off.await.unwrap().unwrap().cancelled_bookings;
    let (mut booked, mut turned_away) = (Vec::new(), 0);
    for task in books {
        match task.await.unwrap() {
            Ok(outcome) => booked.push(outcome.booking().id),
            Err(BookError::EventCancelled(e)) if e == event => turned_away += 1,
            Err(e) => panic!("booking failed: {e:?}"),
        }
    }

    let counts = infra_postgres::invariants::recount(&mut fx.raw().await, Some(event.get())).await.unwrap();
    assert_eq!((counts[0].confirmed, counts[0].pending, counts[0].seats_taken), (0, 0, 0));
    for id in &booked {
        let (view, _) = fx.store.booking(*id).await.unwrap().unwrap();
        assert_eq!(view.booking.status, BookingStatus::Cancelled, "booking {id} survived the cancellation");
    }
    assert_eq!(booked.len() + turned_away, 100);
    assert_eq!(
        u64::try_from(booked.len()).unwrap(),
        ended,
        "the cancellation ended exactly the bookings made"
    );
    eprintln!("booked then cancelled {}, turned away {turned_away}", booked.len());
    assert!(booked.len() >= 20 && turned_away >= 20, "the call-off did not land among the buyers");
}
