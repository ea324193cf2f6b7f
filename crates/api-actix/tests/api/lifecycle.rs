//! Stopping in order: `/ready` turns away first, in-flight requests finish, then the workers
//! stop claiming work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use infra_postgres::test_support::TestDatabase;
use reqwest::StatusCode;
use ticketing::app::supervisor::{StopSignal, Worker, WorkerRun};

use crate::helpers::{TestApp, assert_error, build};

type Log = Arc<Mutex<Vec<String>>>;

/// Records when it starts, and how many bookings the store holds when it is told to stop.
struct Recorder {
    log: Log,
    database_url: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Worker for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (log, url) = (self.log.clone(), self.database_url.clone());
        Box::pin(async move {
            log.lock().unwrap().push("worker running".to_owned());
            stop.requested().await;
            let mut conn = AsyncPgConnection::establish(&url).await?;
            let bookings: Count =
                diesel::sql_query("SELECT count(*) AS n FROM bookings").get_result(&mut conn).await?;
            log.lock().unwrap().push(format!("worker stopped with {} booking(s) stored", bookings.n));
            Ok(())
        })
    }
}

#[actix_web::test]
async fn shutdown_turns_readiness_away_then_finishes_requests_then_stops_workers() {
    let db = TestDatabase::new().await;
    let log: Log = Arc::default();
    let recorder = Recorder { log: log.clone(), database_url: db.url().to_owned() };
    let app = build(db.url(), &[("DRAIN_DELAY_MS", "100")]).with_worker(recorder);
    let (address, shutdown) = (format!("http://127.0.0.1:{}", app.port()), app.shutdown_handle());
    let running = actix_web::rt::spawn(app.run_until_stopped());
    let app = TestApp::running_at(address, db);
    let (_, token) = app.user("late").await;
    let event = app.event(&token, 1).await;

    // A booking that is in flight when the signal comes: it waits on the event's row.
    let mut blocker = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    blocker
        .batch_execute(&format!("BEGIN; SELECT 1 FROM events WHERE id = {event} FOR UPDATE"))
        .await
        .unwrap();
    let in_flight = {
        let (client, url) = (app.client.clone(), app.url("/book"));
        let request =
            client.post(url).header("Authorization", token).json(&serde_json::json!({"eventId": event}));
        actix_web::rt::spawn(async move { request.send().await.map(|r| r.status()) })
    };
    let mut monitor = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0",
        )
        .get_result(&mut monitor)
        .await
        .unwrap();
        if waiting.n > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the booking never waited on the row lock");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!in_flight.is_finished(), "the booking should be waiting on the row lock");

    shutdown.shut_down();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let ready = app.get("/ready").await;
    assert_error(&ready, StatusCode::SERVICE_UNAVAILABLE, "The service is shutting down");
    assert!(ready.headers.contains_key("retry-after"));

    // Past the drain delay: the listener is closed, the booking still in flight, the worker on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert!(fresh.get(app.url("/health")).send().await.is_err(), "no new connections while draining");
    assert!(!in_flight.is_finished());
    assert_eq!(*log.lock().unwrap(), ["worker running"]);

    blocker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(in_flight.await.unwrap().expect("the in-flight booking is answered"), StatusCode::CREATED);
    running.await.unwrap().unwrap();
    assert_eq!(*log.lock().unwrap(), ["worker running", "worker stopped with 1 booking(s) stored"]);
}
