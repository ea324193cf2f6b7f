//! The embedded database as a local attacker meets it: passwords on every role, a serving role
//! that is no superuser, and a data directory that cannot be pointed at someone else's files.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use diesel::sql_types::Bool;
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pg_cluster::{Access, Cluster, Durability};
use reqwest::StatusCode;
use serde_json::json;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ticketing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn ticketing(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketing"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_OWNER_URL")
        .env_remove("JWT_SECRET")
        .env_remove("ENV_FILE")
        .env("TICKETING_DATA_DIR", data_dir)
        .env("RUST_BACKTRACE", "0")
        .current_dir(std::env::temp_dir());
    command
}

/// `serve` on a free port; returns the process and its address once it listens.
fn serve(data_dir: &Path) -> (Child, String) {
    let mut child = ticketing(data_dir)
        .args(["serve"])
        .env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read to the end on a thread of its own: a closed pipe would fail the service's next print.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("ticketing is serving on ") {
                let _ = tx.send(base.to_owned());
            }
        }
    });
    let base = rx.recv().expect("the service never said where it serves");
    (child, base)
}

fn stop(mut child: Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
}

/// The embedded server's port, from its pid file (line 4).
fn database_port(data_dir: &Path) -> u16 {
    let pid_file = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).unwrap();
    pid_file.lines().nth(3).unwrap().trim().parse().unwrap()
}

fn secret(data_dir: &Path, name: &str) -> String {
    std::fs::read_to_string(data_dir.join(name)).unwrap().trim().to_owned()
}

/// The server refused the password given, or demanded one the client did not have (which
/// tokio-postgres reports, through diesel, only as "invalid configuration").
fn asked_for_a_password(error: &diesel::ConnectionError) -> bool {
    let text = format!("{error:?}");
    text.contains("password authentication failed") || text.contains("invalid configuration")
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

#[actix_web::test]
async fn the_embedded_database_demands_passwords_and_serves_through_a_role_that_is_no_superuser() {
    let dir = scratch("embedded-roles");
    let (child, base) = serve(&dir);
    let port = database_port(&dir);
    let url = |role: &str, password: &str| format!("postgres://{role}:{password}@127.0.0.1:{port}/ticketing");

    // The service works through its roles: the demo user logs in and books.
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/login"))
        .json(&json!({"email": "kaneeldias@gmail.com", "password": ticketing::app::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let booked = http
        .post(format!("{base}/book"))
        .header("authorization", token)
        .json(&json!({"eventId": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), StatusCode::CREATED);

    for (role, file) in [("ticketing_app", "db-app-password"), ("ticketing_owner", "db-owner-password")] {
        let mut conn = AsyncPgConnection::establish(&url(role, &secret(&dir, file))).await.unwrap();
        let row: Flag = sql_query("SELECT rolsuper OR rolcreaterole OR rolcreatedb AS flag FROM pg_roles WHERE rolname = current_user")
            .get_result(&mut conn)
            .await
            .unwrap();
        assert!(!row.flag, "{role} may act as a superuser or make roles or databases");
        let program = sql_query("COPY (SELECT 1) TO PROGRAM 'id'").execute(&mut conn).await;
        let refused = program.expect_err("ran a program").to_string();
        assert!(refused.contains("pg_execute_server_program"), "{role}: {refused}");
        let file =
            sql_query("SELECT pg_read_file('postgresql.conf') IS NOT NULL AS flag").execute(&mut conn).await;
        let refused = file.expect_err("read a server file").to_string();
        assert!(refused.contains("permission denied"), "{role}: {refused}");
    }
    let mut app =
        AsyncPgConnection::establish(&url("ticketing_app", &secret(&dir, "db-app-password"))).await.unwrap();
    let ddl = sql_query("DROP TABLE bookings").execute(&mut app).await;
    assert!(ddl.unwrap_err().to_string().contains("must be owner"), "the serving role changed the schema");

    // No way in without the password, for the superuser or anyone.
    for attempt in [format!("postgres://postgres@127.0.0.1:{port}/ticketing"), url("postgres", "guess")] {
        let refused =
            AsyncPgConnection::establish(&attempt).await.err().expect("connected without the password");
        assert!(asked_for_a_password(&refused), "{refused:?}");
    }
    stop(child);

    for name in ["jwt-secret", "postgres-password", "db-owner-password", "db-app-password"] {
        let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o077;
    assert!(mode & 0o066 == 0, "others may read or write the data directory: {mode:o}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn a_cluster_an_earlier_version_left_trusting_everyone_demands_passwords_now() {
    let dir = scratch("embedded-legacy");
    std::fs::create_dir_all(&dir).unwrap();
    let legacy = Cluster::start(&dir.join("postgres"), Durability::Disposable, Access::Trust).unwrap();
    legacy.create_database("ticketing").unwrap();
    legacy.stop().unwrap();

    let (child, _) = serve(&dir);
    let port = database_port(&dir);
    let anyone =
        AsyncPgConnection::establish(&format!("postgres://postgres@127.0.0.1:{port}/ticketing")).await;
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
    let refused = anyone.err().expect("the old cluster still trusts every local connection");
    assert!(asked_for_a_password(&refused), "{refused:?}");
}

#[test]
fn a_data_directory_that_is_a_symlink_or_holds_one_is_refused_and_its_target_left_alone() {
    let root = scratch("embedded-links");
    let target = root.join("someone-elses");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("precious"), "keep me").unwrap();
    let before = std::fs::metadata(&target).unwrap();

    let linked = root.join("linked");
    std::os::unix::fs::symlink(&target, &linked).unwrap();
    let holding = root.join("holding");
    std::fs::create_dir_all(&holding).unwrap();
    std::os::unix::fs::symlink(&target, holding.join("postgres")).unwrap();

    for data_dir in [&linked, &holding] {
        let output = ticketing(data_dir).arg("migrate").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains("symbolic link"), "{stderr}");
    }
    let after = std::fs::metadata(&target).unwrap();
    assert_eq!((after.uid(), after.gid(), after.mode()), (before.uid(), before.gid(), before.mode()));
    let names: Vec<_> = std::fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["precious"], "something was written into the link's target");
    assert_eq!(std::fs::metadata(target.join("precious")).unwrap().uid(), before.uid());
    let _ = std::fs::remove_dir_all(&root);
}
