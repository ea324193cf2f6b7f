//! A database the service cannot use stops it at start with PostgreSQL's own reason and the
//! setting to change: an unknown database, a wrong password, nothing listening, no free slot.

use std::path::PathBuf;
use std::process::Command;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use pg_cluster::{Access, Cluster, Durability};

const PASSWORD: &str = "the-superusers-password";

/// What `ticketing migrate` printed on `url`, which must fail.
fn migrate_on(url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ticketing"))
        .arg("migrate")
        .env("DATABASE_URL", url)
        .env_remove("DATABASE_OWNER_URL")
        .env_remove("ENV_FILE")
        .env("RUST_BACKTRACE", "0")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A server of its own that demands passwords, in a scratch directory.
fn cluster(name: &str) -> (Cluster, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ticketing-startup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cluster =
        Cluster::start(&dir, Durability::Disposable, Access::Password(PASSWORD.to_owned())).unwrap();
    (cluster, dir)
}

fn stop(cluster: &Cluster, dir: &PathBuf) {
    cluster.stop().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_database_or_a_wrong_password_is_said_with_postgresqls_reason_and_the_setting() {
    let (cluster, dir) = cluster("refusals");

    let no_database = migrate_on(&cluster.url_as("postgres", Some(PASSWORD), "no_such_database"));
    let wrong_password = migrate_on(&cluster.url_as("postgres", Some("not-the-password"), "postgres"));
    stop(&cluster, &dir);

    assert!(no_database.contains("database \"no_such_database\" does not exist"), "{no_database}");
    assert!(no_database.contains("the database named in DATABASE_URL"), "{no_database}");
    assert!(
        wrong_password.contains("password authentication failed for user \"postgres\""),
        "{wrong_password}"
    );
    assert!(wrong_password.contains("the user or password of DATABASE_URL"), "{wrong_password}");
    for printed in [&no_database, &wrong_password] {
        assert!(!printed.contains(PASSWORD) && !printed.contains("not-the-password"), "{printed}");
    }
}

#[test]
fn nothing_listening_is_said_with_the_drivers_reason_and_the_setting() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let printed = migrate_on(&format!("postgres://someone:secret@127.0.0.1:{port}/shop"));

    assert!(printed.contains("Connection refused"), "{printed}");
    assert!(printed.contains("nothing answered at the host and port of DATABASE_URL"), "{printed}");
    assert!(!printed.contains("secret"), "{printed}");
}

#[actix_web::test]
async fn no_free_connection_slot_is_said_with_the_budget_that_must_fit() {
    let (cluster, dir) = cluster("slots");
    cluster
        .execute(
            "postgres",
            "ALTER SYSTEM SET max_connections = 5; ALTER SYSTEM SET superuser_reserved_connections = 3;
             CREATE ROLE crowd LOGIN PASSWORD 'crowd-password';",
        )
        .unwrap();
    cluster.stop().unwrap();
    let cluster =
        Cluster::start(&dir, Durability::Disposable, Access::Password(PASSWORD.to_owned())).unwrap();
    let url = cluster.url_as("crowd", Some("crowd-password"), "postgres");
    let mut held = Vec::new();
    while let Ok(conn) = AsyncPgConnection::establish(&url).await {
        held.push(conn);
        assert!(held.len() <= 5, "the server takes more than max_connections");
    }

    let printed = tokio::task::spawn_blocking(move || migrate_on(&url)).await.unwrap();
    drop(held);
    stop(&cluster, &dir);

    assert!(printed.contains("remaining connection slots are reserved"), "{printed}");
    assert!(printed.contains("(SQLSTATE 53300)"), "{printed}");
    assert!(printed.contains("PostgreSQL has no free connection slot (max_connections)"), "{printed}");
    assert!(printed.contains("DATABASE_POOL_SIZE (16) + DATABASE_READ_POOL_SIZE (4)"), "{printed}");
}
