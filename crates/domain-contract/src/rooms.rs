//! Waiting rooms: places dense and unique across instances, one per account; a shuffled
//! room's early arrivals numbered once by the draw; tokens claimed only for reached places;
//! settings fixed once the sale starts, and the count moved on, never back, by a change.

use chrono::{Duration, Utc};

use domain::ports::{InRoom, Rooms as _};
use domain::room::{AdmissionRate, RoomChange, RoomError, RoomSettings, Standing};
use domain::{EventId, UserId};

use crate::fixtures::{event, user, users};
use crate::guard::{parked, second_comes_then_open};
use crate::{Adapter, Gate as _};

/// A room on a new event whose sale started `started` seconds ago (negative: starts later),
/// reaching `rate` places a second.
async fn room<S: domain::ports::Store>(store: &S, started: i64, rate: i64, shuffle: bool) -> EventId {
    let organizer = user(store, &format!("organizer{}", Utc::now().timestamp_micros())).await;
    let ev = event(store, organizer, 10).await;
    let start = Utc::now() - Duration::seconds(started);
    let settings =
        RoomSettings::new(start - Duration::hours(1), start, AdmissionRate::new(rate).unwrap()).unwrap();
    let (_, created) = store.set_room(ev, RoomSettings { shuffle, ..settings }).await.unwrap();
    assert!(created);
    ev
}

/// Runs `tasks` at once, each on its own task, and their results in order.
async fn join_all<T: Send + 'static>(
    tasks: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

fn position(found: &InRoom) -> u64 {
    found.place.position.expect("a numbered place")
}

pub async fn joins_from_several_instances_take_places_one_to_n_once_each<A: Adapter>() {
    const USERS: usize = 200;
    let (store, keep) = A::setup().await;
    let instances: Vec<A::Store> =
        std::iter::once(store.clone()).chain((0..3).map(|_| A::another(&store, &keep))).collect();
    let ev = room(&store, 10, 1, false).await;
    let buyers = users(&store, "buyer", USERS).await;
    // Every buyer joins once from each instance, all at once: a refresh, a second tab, another
    // device, each answered by another server.
    let joins = buyers
        .iter()
        .flat_map(|&u| instances.iter().map(move |instance| (instance.clone(), u)))
        .map(|(instance, u)| async move { instance.join(ev, u).await.unwrap() });
    let joined = join_all(joins).await;
    let mut firsts = Vec::new();
    for (buyer, theirs) in buyers.iter().zip(joined.chunks(instances.len())) {
        let places: Vec<u64> = theirs.iter().map(|(found, _)| position(found)).collect();
        assert!(places.iter().all(|&p| p == places[0]), "{buyer} got {places:?}");
        assert_eq!(theirs.iter().filter(|(_, new)| *new).count(), 1, "one new place for {buyer}");
        firsts.push(places[0]);
    }
    firsts.sort_unstable();
    assert_eq!(firsts, (1..=USERS as u64).collect::<Vec<_>>(), "dense and unique");
    let again = store.place(ev, buyers[0]).await.unwrap();
    assert_eq!((again.room.numbered, again.room.joined), (USERS as u64, USERS as u64));
}

/// A join held after numbering its place, before writing it: a join of another user, through
/// another instance, must wait for the room's lock rather than number the same place.
pub async fn a_join_held_between_numbering_and_writing_keeps_other_joins_out<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let ev = room(&store, 10, 1, false).await;
    let [a, b]: [UserId; 2] = users(&store, "buyer", 2).await.try_into().unwrap();
    let gate = A::gate(&store, &keep);

    gate.close();
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.join(ev, a).await }
    });
    parked(&gate, 1).await;
    let second = tokio::spawn({
        let store = A::another(&store, &keep);
        async move { store.join(ev, b).await }
    });
    second_comes_then_open(&gate, 2).await;
    let first = position(&first.await.unwrap().unwrap().0);
    let second = position(&second.await.unwrap().unwrap().0);
    assert_eq!((first, second), (1, 2), "one number each, in the order the lock was taken");
}

pub async fn a_join_answered_before_another_is_sent_has_the_lower_place<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let other = A::another(&store, &keep);
    let ev = room(&store, 10, 1, false).await;
    let mut last = 0;
    for (i, buyer) in users(&store, "buyer", 6).await.into_iter().enumerate() {
        let instance = if i % 2 == 0 { &store } else { &other };
        let (found, _) = instance.join(ev, buyer).await.unwrap();
        assert!(position(&found) > last);
        last = position(&found);
    }
}

pub async fn a_shuffled_rooms_early_arrivals_are_numbered_once_by_a_draw_at_the_start<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let other = A::another(&store, &keep);
    let ev = room(&store, -2, 1000, true).await;
    let early = users(&store, "early", 20).await;
    for &buyer in &early {
        let (found, new) = store.join(ev, buyer).await.unwrap();
        assert!(new);
        assert!(matches!(found.room.standing(&found.place), Standing::Drawing { .. }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // Both instances ask at once after the start: one draw between them.
    let reads = early.iter().enumerate().map(|(i, &u)| {
        let instance = if i % 2 == 0 { store.clone() } else { other.clone() };
        async move { position(&instance.place(ev, u).await.unwrap()) }
    });
    let drawn: Vec<u64> = join_all(reads).await;
    let mut sorted = drawn.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=20).collect::<Vec<_>>());
    assert_ne!(drawn, sorted, "a draw, not the order of arrival (1 chance in 20! to fail)");
    let late = user(&store, "late").await;
    assert_eq!(position(&store.join(ev, late).await.unwrap().0), 21);
    assert_eq!(position(&store.place(ev, early[0]).await.unwrap()), drawn[0], "drawn once");
}

pub async fn joins_are_refused_before_the_room_opens_and_where_there_is_none<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let ev = event(&store, organizer, 10).await;
    let buyer = user(&store, "buyer").await;
    assert!(matches!(store.join(ev, buyer).await, Err(RoomError::NoRoom(e)) if e == ev));
    let opens = Utc::now() + Duration::hours(1);
    let settings = RoomSettings::new(opens, opens, AdmissionRate::new(5).unwrap()).unwrap();
    store.set_room(ev, settings).await.unwrap();
    let refused = store.join(ev, buyer).await;
    assert!(matches!(refused, Err(RoomError::NotOpen(at)) if (at - opens).abs() < Duration::milliseconds(1)));
    assert!(matches!(store.place(ev, buyer).await, Err(RoomError::NotInQueue(e)) if e == ev));
    assert!(store.remove_room(ev).await.unwrap());
    assert!(store.room(ev).await.unwrap().is_none());
    assert!(!store.remove_room(ev).await.unwrap());
}

pub async fn a_token_is_claimed_only_for_a_reached_place_and_its_mark_holds<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ev = room(&store, 0, 1, false).await;
    let [a, b, c]: [UserId; 3] = users(&store, "buyer", 3).await.try_into().unwrap();
    for buyer in [a, b, c] {
        store.join(ev, buyer).await.unwrap();
    }
    let far = store.claim_admission(ev, c).await.unwrap();
    assert!(matches!(far.room.standing(&far.place), Standing::Waiting { position: 3, .. }));
    assert_eq!(far.place.token_issued_at, None, "no mark before the place is reached");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let first = store.claim_admission(ev, a).await.unwrap();
    assert!(matches!(first.room.standing(&first.place), Standing::Admitted { position: 1, .. }));
    let marked = first.place.token_issued_at.expect("marked");
    let again = store.claim_admission(ev, a).await.unwrap();
    assert_eq!(again.place.token_issued_at, Some(marked), "a repeat finds the first mark");
}

pub async fn settings_change_before_the_start_and_a_change_moves_the_count_on<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ev = room(&store, -60, 1, false).await;
    let room_now = store.room(ev).await.unwrap().unwrap();
    let faster = RoomSettings { rate: AdmissionRate::new(50).unwrap(), ..room_now.settings };
    let (replaced, created) = store.set_room(ev, faster).await.unwrap();
    assert!(!created);
    assert_eq!(replaced.serving.rate.get(), 50);

    let started = room(&store, 5, 1, false).await;
    let buyers = users(&store, "buyer", 40).await;
    for &buyer in &buyers {
        store.join(started, buyer).await.unwrap();
    }
    let settings = store.room(started).await.unwrap().unwrap().settings;
    assert!(matches!(store.set_room(started, settings).await, Err(RoomError::Started)));
    // The first join restarted the idle count at the back of the line: place 1 a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let paused =
        store.change_room(started, RoomChange { paused: Some(true), ..RoomChange::default() }).await.unwrap();
    let held = paused.serving_number();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(store.room(started).await.unwrap().unwrap().serving_number(), held, "a pause holds the count");
    let bumped = store.change_room(started, RoomChange { admit: 10, ..RoomChange::default() }).await.unwrap();
    assert_eq!(bumped.serving_number(), held + 10, "a batch let in at once");
    let first = store.place(started, buyers[0]).await.unwrap();
    assert!(
        matches!(first.room.standing(&first.place), Standing::Admitted { at, .. } if at < paused.now),
        "a place reached before the pause keeps the time it was reached"
    );
}
