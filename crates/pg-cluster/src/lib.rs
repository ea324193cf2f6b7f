//! A private PostgreSQL server run from the machine's own binaries: for the test harness, and
//! for `ticketing serve` when no `DATABASE_URL` is given, so neither needs a database set up
//! by hand. It listens on 127.0.0.1 only, on a free port, with trust authentication.
//!
//! Rust never runs destructors of statics at exit, so a cluster cannot be stopped by `Drop`
//! when its owner is a test binary. [`Cluster::stop_when_process_exits`] leaves a small
//! watchdog shell behind that stops the server (and removes its files) once this process is
//! gone, however it ends.

use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether the server may trade crash safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit reaches the disk before it is acknowledged (what the service runs with).
    Durable,
    /// No fsync: for throw-away test clusters, where losing everything in a power cut is fine.
    Disposable,
}

/// Why a cluster could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb and pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; \
         install PostgreSQL (Debian: apt-get install postgresql) or give a database URL"
    )]
    BinariesNotFound,
    #[error("could not run `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed: {output}")]
    Failed { command: String, output: String },
    #[error("could not prepare {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A running PostgreSQL server that this process started.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    /// PostgreSQL refuses to run as root; as root, every server command runs as `postgres`.
    as_postgres_user: bool,
}

/// Settings written once into a new cluster's `postgresql.conf`.
const BASE_CONFIG: &str = "
# Written by ticketing: a private server reached over TCP on loopback only.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
";

impl Cluster {
    /// Starts a server on `data_dir`, creating the cluster first if the directory holds none.
    /// An existing cluster (kept between runs) is reused with its data.
    ///
    /// # Errors
    /// [`ClusterError`] when no binaries are found or a server command fails; its message
    /// includes the server's own output.
    pub fn start(data_dir: &Path, durability: Durability) -> Result<Self, ClusterError> {
        let bin_dir = find_bin_dir().ok_or(ClusterError::BinariesNotFound)?;
        std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(io_error(data_dir))?;
        let mut cluster = Self { bin_dir, data_dir, port: 0, as_postgres_user: running_as_root() };
        if cluster.as_postgres_user {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&cluster.data_dir);
            run(chown)?;
        }
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        cluster.stop_leftover_server();

        // Another process may take the free port between our probe and the server's bind:
        // try a few.
        let mut last_error = None;
        for _ in 0..3 {
            cluster.port = free_port(&cluster.data_dir)?;
            match cluster.pg_ctl_start(durability) {
                Ok(()) => return Ok(cluster),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or(ClusterError::BinariesNotFound))
    }

    /// The TCP port the server listens on (127.0.0.1).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for one of the server's databases, as the `postgres` superuser.
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database unless it exists already.
    ///
    /// # Errors
    /// [`ClusterError`] when `createdb` fails for another reason.
    pub fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let mut createdb = self.command("createdb");
        createdb.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name]);
        match run(createdb) {
            Err(ClusterError::Failed { output, .. }) if output.contains("already exists") => Ok(()),
            other => other,
        }
    }

    /// Stops the server, letting running transactions finish and writing a checkpoint.
    ///
    /// # Errors
    /// [`ClusterError`] when `pg_ctl stop` fails.
    pub fn stop(&self) -> Result<(), ClusterError> {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D").arg(&self.data_dir).args(["stop", "-m", "fast", "-w"]);
        run(stop)
    }

    /// Leaves a watchdog that stops the server once this process has exited, and then removes
    /// `remove` (the cluster's directory, for a throw-away cluster) if given.
    ///
    /// # Errors
    /// [`ClusterError::Spawn`] when no shell can be started.
    pub fn stop_when_process_exits(&self, remove: Option<&Path>) -> Result<(), ClusterError> {
        // Ignores the terminal's Ctrl-C, which reaches the whole process group: the watchdog
        // must outlive the process it watches.
        const WATCHDOG: &str = r#"trap '' INT TERM HUP
pid=$1; remove=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
"$@" >/dev/null 2>&1
if [ -n "$remove" ]; then rm -rf "$remove"; fi"#;
        let mode = if remove.is_some() { "immediate" } else { "fast" };
        let mut stop = self.invocation("pg_ctl");
        stop.extend([
            "-D".into(),
            self.data_dir.clone().into_os_string(),
            "stop".into(),
            "-m".into(),
            mode.into(),
        ]);
        let mut watchdog = Command::new("sh");
        watchdog
            .arg("-c")
            .arg(WATCHDOG)
            .arg("ticketing-postgres-watchdog")
            .arg(std::process::id().to_string())
            .arg(remove.map(Path::as_os_str).unwrap_or_default())
            .args(stop)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        watchdog
            .spawn()
            .map(drop)
            .map_err(|source| ClusterError::Spawn { command: "sh -c <watchdog>".to_owned(), source })
    }

    fn init(&self) -> Result<(), ClusterError> {
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(&self.data_dir).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]);
        run(initdb)?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(io_error(&conf))?;
        text.push_str(BASE_CONFIG);
        std::fs::write(&conf, text).map_err(io_error(&conf))
    }

    /// A server left running by a run that was killed would hold the data directory.
    fn stop_leftover_server(&self) {
        if self.data_dir.join("postmaster.pid").exists() {
            let mut stop = self.command("pg_ctl");
            stop.arg("-D").arg(&self.data_dir).args(["stop", "-m", "fast", "-w"]);
            // Fails harmlessly when the pid file is stale; the server then starts normally.
            let _ignored = run(stop);
        }
    }

    fn pg_ctl_start(&self, durability: Durability) -> Result<(), ClusterError> {
        let mut options = format!("-p {}", self.port);
        if durability == Durability::Disposable {
            options.push_str(" -c fsync=off -c full_page_writes=off");
        }
        let log = self.data_dir.join("server.log");
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        run(start).map_err(|e| match e {
            ClusterError::Failed { command, output } => {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                ClusterError::Failed {
                    command,
                    output: format!("{output}; server log: {}", tail.join(" | ")),
                }
            }
            other => other,
        })
    }

    fn invocation(&self, tool: &str) -> Vec<OsString> {
        let program = self.bin_dir.join(tool).into_os_string();
        if self.as_postgres_user {
            vec!["runuser".into(), "-u".into(), "postgres".into(), "--".into(), program]
        } else {
            vec![program]
        }
    }

    fn command(&self, tool: &str) -> Command {
        let mut words = self.invocation(tool).into_iter();
        let mut command = Command::new(words.next().unwrap_or_default());
        command.args(words);
        command
    }
}

fn run(mut command: Command) -> Result<(), ClusterError> {
    let described = format!("{command:?}");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ClusterError::Spawn { command: described.clone(), source })?;
    if output.status.success() {
        Ok(())
    } else {
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stderr), String::from_utf8_lossy(&output.stdout));
        Err(ClusterError::Failed { command: described, output: text.trim().to_owned() })
    }
}

/// `initdb` and `pg_ctl` side by side: on `PATH` first, else the newest Debian-style install.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &PathBuf| ["initdb", "pg_ctl"].iter().all(|tool| dir.join(tool).is_file());
    let on_path: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.split('.').next()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    installed.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    let found = on_path.into_iter().chain(installed.into_iter().map(|(_, dir)| dir)).find(has_tools)?;
    // PATH often holds only symlinks to a few tools (Debian's wrappers); the real directory
    // has all of them (createdb too).
    found
        .join("pg_ctl")
        .canonicalize()
        .ok()
        .and_then(|real| real.parent().map(Path::to_path_buf))
        .or(Some(found))
}

/// The owner of `/proc/self` is this process's effective user: no `unsafe` `geteuid` needed.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn free_port(context: &Path) -> Result<u16, ClusterError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io_error(context))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io { path: path.to_owned(), source }
}
