//! The integrity check across a crash, as an operator runs it: two `ticketing serve` processes
//! under a mixed load (groups, cancels, offers answered and lapsing, limit changes); one is
//! killed with SIGKILL mid-load and started again, the load goes on, the event is called off.
//! `ticketing check` then exits 0: every acknowledged change committed with its history, and
//! nothing half-written survived the kill. With a counter changed by hand it exits 1, naming
//! the event, the check, and what it expected and found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::process::Command;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::mixed::Mixed;
use loadgen::scenarios::{Scenario, execute};

mod support;

use support::{Instance, JWT_SECRET, ticketing_binary};

async fn started(env: &[(&str, &str)]) -> Instance {
    let mut instance = Instance::spawn(env);
    let ready = instance.ready().await;
    assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    instance
}

fn mixed(seconds: u64, seed: u64, cancel_at_end: bool) -> Scenario {
    Scenario::Mixed(Mixed {
        users: 40,
        capacity: 15,
        max_quantity: 3,
        overtake_limit: 1,
        concurrency: 8,
        duration: Duration::from_secs(seconds),
        seed,
        offer_window_seconds: Some(10),
        cancel_at_end,
    })
}

/// `ticketing check` on the database: its exit code and what it printed.
fn check(url: &str) -> (Option<i32>, String) {
    let output = Command::new(ticketing_binary())
        .arg("check")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs([("DATABASE_URL", url), ("JWT_SECRET", JWT_SECRET), ("RUST_LOG", "warn")])
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_mid_load_and_a_restart_the_check_holds_and_a_forged_counter_fails_it() {
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url()), ("OFFER_SWEEP_INTERVAL_MS", "200")];
    let mut one = started(&env).await;
    let two = started(&env).await;
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };

    let api = Api::new(vec![one.base.clone(), two.base.clone()], 8).unwrap();
    let url = db.url().to_owned();
    let load = tokio::spawn(async move {
        let by_sql = Provisioning { concurrency: 8, database_url: Some(&url) };
        execute(&api, mixed(6, 1, false), Some(&url), by_sql).await
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    one.child.kill().unwrap();
    one.child.wait().unwrap();
    // Requests to the killed instance fail; what matters is what the database kept.
    let first = load.await.unwrap().unwrap();
    let history = first.history.as_ref().expect("the integrity check ran");
    assert!(history.failures.is_empty(), "{}", first.table());

    let three = started(&env).await;
    let api = Api::new(vec![three.base.clone(), two.base.clone()], 8).unwrap();
    let second = execute(&api, mixed(12, 2, true), Some(db.url()), by_sql).await.unwrap();
    assert!(second.ok(), "{}", second.table());

    let (code, text) = check(db.url());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("every check held"), "{text}");

    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    // One seat more or less than its bookings hold, whether or not the load left any taken.
    conn.batch_execute(
        "UPDATE events SET seats_taken = CASE WHEN seats_taken > 0 THEN seats_taken - 1 ELSE 1 END
         WHERE id = (SELECT min(id) FROM events)",
    )
    .await
    .unwrap();
    let (code, text) = check(db.url());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(": seats_taken: expected "), "{text}");
    assert!(text.contains("failed the integrity check"), "{text}");
}
