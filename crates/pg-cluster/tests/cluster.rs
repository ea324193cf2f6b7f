//! A private cluster from the machine's binaries: started, answering, stopped and started again
//! on its kept data; stopped and removed by its watchdog when the process that owns it is
//! killed; and never started on a data directory that is a symbolic link or another user's.
//! Without PostgreSQL's server binaries these tests fail (`BinariesNotFound`), like every test
//! that needs a database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pg_cluster::{Access, Cluster, ClusterError, Durability};

/// A directory of its own under the system's temporary directory, removed when dropped; the
/// cluster goes in `data` inside it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pg-cluster-test-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Polls `done` for at most `limit`; whether it came true.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn a_cluster_starts_answers_stops_and_starts_again_on_its_data() {
    let scratch = Scratch::new("restart");
    let cluster = Cluster::start(&scratch.data(), Durability::Disposable, Access::Trust).unwrap();
    assert!(listening(cluster.port()));
    cluster.create_database("kept").unwrap();
    cluster.create_database("kept").unwrap(); // already there: not an error
    cluster.execute("kept", "CREATE TABLE marker (id int); INSERT INTO marker VALUES (7);").unwrap();
    let refused = cluster.execute("kept", "SELECT * FROM no_such_table;");
    assert!(
        matches!(refused, Err(ClusterError::Failed { ref output, .. }) if output.contains("no_such_table"))
    );

    cluster.stop().unwrap();
    assert!(!listening(cluster.port()), "still listening on {} after stop", cluster.port());
    assert!(!scratch.data().join("postmaster.pid").exists());

    let again = Cluster::start(&scratch.data(), Durability::Disposable, Access::Trust).unwrap();
    again.execute("kept", "DO $$ BEGIN ASSERT (SELECT id FROM marker) = 7; END $$;").unwrap();
    again.stop().unwrap();
}

/// The variable that makes this test's own binary play the owning process, with the
/// directory it is to keep its cluster in.
const OWNER: &str = "PG_CLUSTER_TEST_OWNER_DIR";

#[test]
fn the_watchdog_stops_the_server_and_removes_its_files_when_the_owner_is_killed() {
    if let Some(dir) = std::env::var_os(OWNER) {
        // The owner: start a cluster, leave the watchdog, say where it listens, and wait to be
        // killed.
        let data = Path::new(&dir).join("data");
        let cluster = Cluster::start(&data, Durability::Disposable, Access::Trust).unwrap();
        cluster.stop_when_process_exits(Some(&data)).unwrap();
        println!("listening on {}", cluster.port());
        loop {
            std::thread::park();
        }
    }

    let scratch = Scratch::new("owner");
    let mut owner = Command::new(std::env::current_exe().unwrap())
        .args([
            "the_watchdog_stops_the_server_and_removes_its_files_when_the_owner_is_killed",
            "--exact",
            "--nocapture",
        ])
        .env(OWNER, &scratch.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port: u16 = BufReader::new(owner.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("listening on ").map(|p| p.parse().unwrap()))
        .expect("the owner never said where its cluster listens");
    assert!(listening(port));
    assert!(scratch.data().join("PG_VERSION").exists());

    owner.kill().unwrap(); // SIGKILL: no destructor, no exit handler runs
    owner.wait().unwrap();

    let gone = eventually(Duration::from_secs(30), || !listening(port) && !scratch.data().exists());
    assert!(
        gone,
        "the server outlived its owner (listening: {}, files: {})",
        listening(port),
        scratch.data().exists()
    );
}

#[test]
fn a_data_directory_that_is_a_symbolic_link_is_refused_and_left_alone() {
    let scratch = Scratch::new("link");
    let real = scratch.0.join("real");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, scratch.data()).unwrap();
    let owner_before = std::fs::metadata(&real).unwrap().uid();

    let refused = Cluster::start(&scratch.data(), Durability::Disposable, Access::Trust);

    assert!(
        matches!(refused, Err(ClusterError::UnsafeDataDir { reason: "it is a symbolic link", .. })),
        "{refused:?}"
    );
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0, "something was written through the link");
    assert_eq!(std::fs::metadata(&real).unwrap().uid(), owner_before, "the link's target was re-owned");
}

#[test]
fn a_data_directory_of_another_user_is_refused_and_left_alone() {
    let scratch = Scratch::new("foreign");
    let is_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    // As root, a directory given to `nobody`; as anyone else, the root directory, which is
    // root's (refused before anything is read or written in it).
    let foreign = if is_root {
        std::fs::create_dir(scratch.data()).unwrap();
        std::os::unix::fs::lchown(scratch.data(), Some(65_534), Some(65_534)).unwrap();
        scratch.data()
    } else {
        PathBuf::from("/")
    };
    let owner_before = std::fs::metadata(&foreign).unwrap().uid();

    let refused = Cluster::start(&foreign, Durability::Disposable, Access::Trust);

    assert!(
        matches!(refused, Err(ClusterError::UnsafeDataDir { reason: "it is owned by another user", .. })),
        "{refused:?}"
    );
    assert_eq!(std::fs::metadata(&foreign).unwrap().uid(), owner_before, "the directory was re-owned");
    if is_root {
        assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 0, "something was written in it");
    }
}
