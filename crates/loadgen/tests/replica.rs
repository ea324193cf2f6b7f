//! The public reads from a streaming replica (`DATABASE_READ_URL`), as operators run it: a
//! primary and a `pg_basebackup -R` standby of it, each its own server, and the service as a
//! separate process. Reads go to the replica while it keeps up, to the primary once replay is
//! paused past `READ_MAX_LAG_MS` or the replica is down; a caller with a token always reads the
//! primary. Which server answered shows in the data: an event created while replay is paused
//! is on the primary only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loadgen::api::Api;
use loadgen::provision::{self, Buyer, Provisioning};
use pg_cluster::{Access, Cluster, Durability};

mod support;

use support::Instance;

/// The bound the service runs with here.
const MAX_LAG: Duration = Duration::from_millis(1500);

/// A primary and its standby in a directory of their own, removed with the test process.
struct Pair {
    primary: Cluster,
    replica: Cluster,
    dir: PathBuf,
}

impl Pair {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("ticketing-replica-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let primary = Cluster::start(&dir.join("primary"), Durability::Disposable, Access::Trust).unwrap();
        primary.stop_when_process_exits(None).unwrap();
        primary.create_database("ticketing").unwrap();
        primary.replicate_into(&dir.join("replica")).unwrap();
        let replica = Cluster::start(&dir.join("replica"), Durability::Disposable, Access::Trust).unwrap();
        replica.stop_when_process_exits(Some(&dir)).unwrap();
        Self { primary, replica, dir }
    }

    fn replay(&self, on: bool) {
        let call = if on { "pg_wal_replay_resume" } else { "pg_wal_replay_pause" };
        self.replica.execute("ticketing", &format!("SELECT {call}();")).unwrap();
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.replica.stop();
        let _ = self.primary.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The status of an anonymous `GET /events/{id}`.
async fn anonymous_read(api: &Api, event: i64) -> u16 {
    api.get(0, &format!("/events/{event}")).await.status.unwrap()
}

/// Polls anonymous reads of `event` until one is 200; every answer before must be a 404 (the
/// replica not having it), never a failure. Returns how long it took.
async fn until_found(api: &Api, event: i64, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        match anonymous_read(api, event).await {
            200 => return started.elapsed(),
            404 => {}
            other => panic!("an anonymous read of event {event} answered {other}"),
        }
        assert!(started.elapsed() < within, "event {event} still not readable after {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn create_event(api: &Api, organizer: &Buyer) -> i64 {
    provision::event(api, organizer, 10).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_reads_come_from_the_replica_while_it_keeps_up_and_from_the_primary_when_it_does_not() {
    let pair = Pair::start();
    let (primary_url, replica_url) = (pair.primary.url("ticketing"), pair.replica.url("ticketing"));
    let max_lag = MAX_LAG.as_millis().to_string();
    let mut instance = Instance::spawn(&[
        ("DATABASE_URL", primary_url.as_str()),
        ("DATABASE_READ_URL", replica_url.as_str()),
        ("READ_MAX_LAG_MS", max_lag.as_str()),
    ]);
    let ready = instance.ready().await;
    assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    let api = Api::new(vec![instance.base.clone()], 4).unwrap();
    let organizer = provision::buyers(&api, &provision::run_id(), 1, Provisioning::one()).await.unwrap();
    let organizer = &organizer[0];

    // Healthy: a new event reaches the replica within the bound (the service was not migrated
    // there: the replica has the schema only by replaying the primary).
    let first = create_event(&api, organizer).await;
    until_found(&api, first, MAX_LAG + Duration::from_secs(5)).await;

    // Replay paused: the next event is on the primary only. Anonymous reads still go to the
    // replica — a 404 — until the replica is measured past the bound, then to the primary.
    // A caller with a token reads the primary from the start.
    pair.replay(false);
    let paused = create_event(&api, organizer).await;
    assert_eq!(anonymous_read(&api, paused).await, 404, "read from the paused replica");
    let as_organizer = api.get_as(0, &format!("/events/{paused}"), &organizer.token).await;
    assert!(as_organizer.is(200), "a signed-in read goes to the primary: {:?}", as_organizer.status);
    let took = until_found(&api, paused, MAX_LAG + Duration::from_secs(5)).await;
    assert!(
        took >= MAX_LAG - Duration::from_millis(400),
        "left the replica after {took:?}, before the bound"
    );
    let status = api.get(0, &format!("/status/{paused}")).await;
    assert!(status.is(200), "/status from the primary: {:?}", status.status);

    // Replay resumed: the replica catches up and serves again — shown by pausing it once more.
    pair.replay(true);
    tokio::time::sleep(MAX_LAG).await;
    pair.replay(false);
    let again = create_event(&api, organizer).await;
    assert_eq!(anonymous_read(&api, again).await, 404, "back on the replica once it caught up");
    pair.replay(true);
    until_found(&api, again, MAX_LAG + Duration::from_secs(5)).await;

    // The replica down: public reads go to the primary, and none fails.
    pair.replica.stop().unwrap();
    let down = create_event(&api, organizer).await;
    let took = until_found(&api, down, Duration::from_secs(3)).await;
    for _ in 0..20 {
        let listed = api.get(0, "/events?limit=5").await;
        assert!(listed.is(200), "listing with the replica down: {:?}", listed.status);
    }
    eprintln!("with the replica down, a new event was readable after {took:?}");
    assert!(instance.child.try_wait().unwrap().is_none(), "{}", instance.stderr());
}
