//! Offers at their deadline, on two `ticketing serve` processes sharing one database, each with
//! its sweeper running every 200 ms: a raised ticket limit offers 100 waiting bookings in one
//! transaction, so all with one deadline T, and their holders accept from T − 50 ms to T + 50 ms
//! by this machine's clock (the database's machine too), alternating the instances. Each accept
//! either confirms its booking before T by the database clock, or is refused `offer_expired`
//! and the offer is expired — never both, whichever of the accept, the other instance's accept
//! path or a sweeper gets there first — and the expired offers' seats go on to those who joined
//! the line after, in line order, each offered once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use infra_postgres::test_support::TestDatabase;
use loadgen::api::{Api, Reply};
use loadgen::concurrency;
use loadgen::provision::{self, Buyer, Provisioning};
use loadgen::sql;
use serde_json::json;

mod support;

use support::Instance;

/// Waiting bookings the raised limit offers at once.
const OFFERED: usize = 100;

/// Bookings that join the line after them, for the seats of the offers that lapse.
const LATECOMERS: usize = 20;

/// Half the span the accepts are spread over, either side of the deadline.
const SPREAD: Duration = Duration::from_millis(50);

/// Books `event` for each of `who`, `OFFERED` at a time, and returns the booking ids in the
/// order of `who`; every one must have joined the line.
async fn join_line(api: &Api, event: i64, who: &[Buyer]) -> Vec<i64> {
    let (client, who) = (api.clone(), Arc::new(who.to_vec()));
    let replies = concurrency::run(who.len(), OFFERED, move |i| {
        let (client, who) = (client.clone(), who.clone());
        async move { client.write(i, "/book", &json!({"eventId": event}), Some(&who[i].token)).await }
    })
    .await
    .unwrap();
    replies
        .iter()
        .map(|reply| {
            assert!(reply.is(201) && reply.body["booking"]["status"] == "PENDING", "{reply:?}");
            reply.body["booking"]["id"].as_i64().unwrap()
        })
        .collect()
}

/// Sends the accept of each of `offers` (booking id, holder) once, the `i`-th at `from` plus
/// `i / (n − 1)` of `2 × SPREAD` by this machine's clock, alternating the instances.
async fn accept_spread(api: &Api, offers: Vec<(i64, Buyer)>, from: SystemTime) -> Vec<Reply> {
    let (now, clock) = (Instant::now(), SystemTime::now());
    let start = now + from.duration_since(clock).expect("the accepts start in the future");
    // The client's idle connections closed during the wait: open them again just before, so
    // that the first accepts do not also pay for a connection each.
    tokio::time::sleep_until((start - Duration::from_millis(500)).into()).await;
    let client = api.clone();
    concurrency::run(32, 32, move |n| {
        let client = client.clone();
        async move { client.get(n, "/health").await }
    })
    .await
    .unwrap();
    let last = u32::try_from(offers.len() - 1).unwrap();
    let tasks: Vec<_> = offers
        .into_iter()
        .enumerate()
        .map(|(i, (booking, holder))| {
            let api = api.clone();
            let at = start + 2 * SPREAD * u32::try_from(i).unwrap() / last;
            tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                api.post(i, &format!("/bookings/{booking}/accept"), &json!({}), Some(&holder.token)).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepts_around_one_deadline_confirm_or_find_it_expired_never_both() {
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url()), ("OFFER_SWEEP_INTERVAL_MS", "200")];
    let mut instances = [Instance::spawn(&env), Instance::spawn(&env)];
    for instance in &mut instances {
        let ready = instance.ready().await;
        assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    }
    let api = Api::new(instances.iter().map(|i| i.base.clone()).collect(), 16).unwrap();
    let run = provision::run_id();
    let organizer =
        provision::buyers(&api, &format!("{run}-organizer"), 1, Provisioning::one()).await.unwrap().remove(0);
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };
    let users = provision::buyers(&api, &run, 1 + OFFERED + LATECOMERS, by_sql).await.unwrap();
    let (x, waiting) = users.split_first().unwrap();
    let (first, latecomers) = waiting.split_at(OFFERED);

    // One seat, X's; 100 in line, then 20 more behind them.
    let event = provision::offer_event(&api, &organizer, 1, 10).await.unwrap();
    let seated = api.write(0, "/book", &json!({"eventId": event}), Some(&x.token)).await;
    assert!(seated.is(201) && seated.body["booking"]["status"] == "CONFIRMED", "{seated:?}");
    let offered_ids = join_line(&api, event, first).await;
    let latecomer_ids = join_line(&api, event, latecomers).await;

    // 100 seats more: the first 100 in line are offered them in the PATCH's transaction.
    let limit = u32::try_from(1 + OFFERED).unwrap();
    let raised =
        api.patch(1, &format!("/events/{event}"), &json!({"ticketLimit": limit}), &organizer.token).await;
    assert!(raised.is(200), "{raised:?}");
    let served = raised.body["promoted"].as_array().unwrap();
    assert_eq!(served.len(), OFFERED, "{}", raised.body);
    assert!(served.iter().all(|b| b["status"] == "OFFERED"), "{}", raised.body);
    let read = api.get_as(0, &format!("/bookings/{}", offered_ids[0]), &first[0].token).await;
    let deadline = read.body["booking"]["offerExpiresAt"].as_str().unwrap();
    let deadline: SystemTime = chrono::DateTime::parse_from_rfc3339(deadline).unwrap().into();

    let offers = offered_ids.iter().copied().zip(first.iter().cloned()).collect();
    let answers = accept_spread(&api, offers, deadline - SPREAD).await;

    // Every answer is one of the two, and the booking reads as it said.
    let mut accepted = Vec::new();
    for ((booking, holder), answer) in offered_ids.iter().zip(first).zip(&answers) {
        let expected = match (&answer.status, answer.body["code"].as_str()) {
            (Ok(200), _) if answer.body["booking"]["status"] == "CONFIRMED" => "CONFIRMED",
            (Ok(409), Some("offer_expired")) => "EXPIRED",
            _ => panic!("accept of booking {booking}: {answer:?}"),
        };
        let now = api.get_as(1, &format!("/bookings/{booking}"), &holder.token).await;
        assert_eq!(now.body["booking"]["status"], expected, "booking {booking} after {answer:?}: {now:?}");
        if expected == "CONFIRMED" {
            accepted.push(*booking);
        }
    }
    let expired = OFFERED - accepted.len();
    assert!(!accepted.is_empty() && expired > 0, "the deadline fell among the accepts: {answers:?}");
    println!("{} accepts confirmed before the deadline, {expired} refused offer_expired", accepted.len());

    // The sweepers pass the expired offers' seats on to the latecomers, first in line first.
    let passed_on = expired.min(LATECOMERS);
    let waited = Instant::now();
    let ledger = loop {
        let ledger = sql::offers::ledger(db.url(), event).await.unwrap().unwrap();
        let on_offer = ledger.bookings.iter().filter(|b| b.status == "OFFERED").count();
        if on_offer == passed_on && ledger.count("EXPIRED") == expired {
            break ledger;
        }
        assert!(waited.elapsed() < Duration::from_secs(5), "the seats were not passed on: {ledger:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let by_id = |id: i64| ledger.bookings.iter().find(|b| b.id == id).unwrap();
    let deadline_us = by_id(offered_ids[0]).deadline_us.unwrap();
    for &id in &offered_ids {
        let b = by_id(id);
        assert_eq!(b.deadline_us, Some(deadline_us), "one transaction, one deadline: {b:?}");
        assert_eq!(b.offers, 1, "{b:?}");
        let confirmed = accepted.contains(&id);
        assert_eq!(b.status, if confirmed { "CONFIRMED" } else { "EXPIRED" }, "{b:?}");
        if confirmed {
            assert!(b.updated_us < deadline_us, "accepted at or after the deadline: {b:?}");
        } else {
            assert!(b.updated_us >= deadline_us, "expired before the deadline: {b:?}");
        }
    }
    for (place, &id) in latecomer_ids.iter().enumerate() {
        let b = by_id(id);
        let (status, offers) = if place < passed_on { ("OFFERED", 1) } else { ("PENDING", 0) };
        assert_eq!((b.status.as_str(), b.offers), (status, offers), "latecomer {place}: {b:?}");
    }
    assert_eq!(ledger.violations(), Vec::<String>::new());
    assert_eq!(sql::check_invariants(db.url(), event).await.unwrap(), Vec::<String>::new());
    let taken = 1 + accepted.len() + passed_on;
    assert_eq!(ledger.counters.seats_taken, i32::try_from(taken).unwrap(), "{ledger:?}");
    assert_eq!(ledger.counters.waiting, i32::try_from(LATECOMERS - passed_on).unwrap(), "{ledger:?}");
}
