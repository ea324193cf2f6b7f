//! A private PostgreSQL server run from the machine's own binaries: for the test harness, and
//! for `ticketing serve` when no `DATABASE_URL` is given, so neither needs a database set up
//! by hand. It listens on 127.0.0.1 only, on a free port. A throw-away test cluster trusts
//! every connection; one that keeps data ([`Access::Password`]) demands a password (SCRAM) for
//! every role, since any local user can reach 127.0.0.1.
//!
//! The data directory must be a real directory owned by the account the server runs as: a
//! symbolic link, or a directory of another user, is refused before anything is written or
//! re-owned, so the cluster can never be pointed at someone else's files.
//!
//! Rust never runs destructors of statics at exit, so a cluster cannot be stopped by `Drop`
//! when its owner is a test binary. [`Cluster::stop_when_process_exits`] leaves a small
//! watchdog shell behind that stops the server (and removes its files) once this process is
//! gone, however it ends.

use std::ffi::OsString;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
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

/// Who may connect.
#[derive(Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone on the machine, as any role, without a password: only for throw-away clusters.
    Trust,
    /// Every connection needs its role's password; the superuser `postgres` gets this one.
    Password(String),
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Trust => f.write_str("Trust"),
            Self::Password(_) => f.write_str("Password(<redacted>)"),
        }
    }
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
    #[error("refusing the data directory {}: {reason}", path.display())]
    UnsafeDataDir { path: PathBuf, reason: &'static str },
    #[error("no `postgres` account in /etc/passwd to run the server as (PostgreSQL refuses to run as root)")]
    NoServerAccount,
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
    /// PostgreSQL refuses to run as root; as root, every server command runs as the `postgres`
    /// account (user and group ids here).
    server_account: Option<(u32, u32)>,
    access: Access,
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
    pub fn start(data_dir: &Path, durability: Durability, access: Access) -> Result<Self, ClusterError> {
        let bin_dir = find_bin_dir().ok_or(ClusterError::BinariesNotFound)?;
        let server_account = if running_as_root() { Some(postgres_account()?) } else { None };
        prepare_data_dir(data_dir, server_account)?;
        let data_dir = data_dir.canonicalize().map_err(io_error(data_dir))?;
        let mut cluster = Self { bin_dir, data_dir, port: 0, server_account, access };
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
                Ok(()) => {
                    cluster.end_trust()?;
                    return Ok(cluster);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or(ClusterError::BinariesNotFound))
    }

    /// A cluster made by an earlier version trusted every local connection: when it is to
    /// demand passwords now, give the superuser its password, switch every `trust` rule of
    /// `pg_hba.conf` to SCRAM and reload.
    fn end_trust(&self) -> Result<(), ClusterError> {
        let Access::Password(password) = &self.access else { return Ok(()) };
        let hba = self.data_dir.join("pg_hba.conf");
        let rules = std::fs::read_to_string(&hba).map_err(io_error(&hba))?;
        let trusting =
            |line: &str| !line.trim_start().starts_with('#') && line.split_whitespace().any(|w| w == "trust");
        if !rules.lines().any(trusting) {
            return Ok(());
        }
        self.execute(
            "postgres",
            &format!("ALTER ROLE postgres PASSWORD '{}';", password.replace('\'', "''")),
        )?;
        let rewritten: Vec<String> = rules
            .lines()
            .map(|line| if trusting(line) { line.replace("trust", "scram-sha-256") } else { line.to_owned() })
            .collect();
        std::fs::write(&hba, rewritten.join("\n") + "\n").map_err(io_error(&hba))?;
        let mut reload = self.command("pg_ctl");
        reload.arg("-D").arg(&self.data_dir).arg("reload");
        run(reload)
    }

    /// The TCP port the server listens on (127.0.0.1).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for one of the server's databases, as the `postgres` superuser.
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        self.url_as("postgres", self.superuser_password(), database)
    }

    /// A connection URL for one of the server's databases as `role`, with its password.
    /// Passwords this crate's callers make are URL-safe (hex); others are percent-encoded.
    #[must_use]
    pub fn url_as(&self, role: &str, password: Option<&str>, database: &str) -> String {
        let credentials = match password {
            Some(password) => format!("{}:{}", encoded(role), encoded(password)),
            None => encoded(role),
        };
        format!("postgres://{credentials}@127.0.0.1:{}/{database}", self.port)
    }

    fn superuser_password(&self) -> Option<&str> {
        match &self.access {
            Access::Trust => None,
            Access::Password(password) => Some(password),
        }
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

    /// Runs `sql` (any number of statements) in `database` as the superuser, stopping at the
    /// first error. The text goes through a pipe, so secrets in it stay off command lines.
    ///
    /// # Errors
    /// [`ClusterError`] when `psql` fails; its message has the server's error.
    pub fn execute(&self, database: &str, sql: &str) -> Result<(), ClusterError> {
        let mut psql = self.command("psql");
        psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", database, "-f", "-"]);
        run_with_input(psql, sql)
    }

    /// Copies the cluster into `data_dir` as a streaming replica of it (`pg_basebackup -R`):
    /// [`Cluster::start`] on that directory then runs a standby that follows this server.
    ///
    /// # Errors
    /// [`ClusterError`] when the directory cannot be prepared or `pg_basebackup` fails.
    pub fn replicate_into(&self, data_dir: &Path) -> Result<(), ClusterError> {
        prepare_data_dir(data_dir, self.server_account)?;
        let mut backup = self.command("pg_basebackup");
        backup
            .arg("-D")
            .arg(data_dir)
            .args(["-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres"]);
        run(backup)
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
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        ]);
        match &self.access {
            Access::Trust => {
                initdb.args(["-A", "trust", "--no-sync"]);
                run(initdb)?;
            }
            // Never on a command line, where every local user can read it: in a file only the
            // server's account can read, removed right after.
            Access::Password(password) => {
                let file = PrivateFile::write(password, self.server_account)?;
                initdb.args(["-A", "scram-sha-256"]).arg(format!("--pwfile={}", file.path.display()));
                run(initdb)?;
            }
        }
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
        if self.server_account.is_some() {
            vec!["runuser".into(), "-u".into(), "postgres".into(), "--".into(), program]
        } else {
            vec![program]
        }
    }

    fn command(&self, tool: &str) -> Command {
        let mut words = self.invocation(tool).into_iter();
        let mut command = Command::new(words.next().unwrap_or_default());
        command.args(words);
        // Read by the client tools (createdb), from their environment, which only this
        // account can read.
        if let Some(password) = self.superuser_password() {
            command.env("PGPASSWORD", password);
        }
        command
    }
}

/// Makes `dir` ready to hold a cluster: created (`0700`) if missing; refused if it is a
/// symbolic link, not a directory, or owned by anyone but the server's account (or, while it
/// holds no cluster yet, this process's). Only the directory itself is re-owned, never
/// through a link and never recursively: initdb, running as the server's account, creates
/// everything inside.
fn prepare_data_dir(dir: &Path, server: Option<(u32, u32)>) -> Result<(), ClusterError> {
    let refuse = |reason| ClusterError::UnsafeDataDir { path: dir.to_owned(), reason };
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io_error(parent))?;
            }
            std::fs::create_dir(dir).map_err(io_error(dir))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io_error(dir))?;
            std::fs::symlink_metadata(dir).map_err(io_error(dir))?
        }
        Err(e) => return Err(io_error(dir)(e)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(refuse("it is not a directory"));
    }
    let me = own_uid();
    let (server_uid, server_gid) = server.unwrap_or((me, meta.gid()));
    let fresh = !dir.join("PG_VERSION").exists();
    if meta.uid() == server_uid {
        return Ok(());
    }
    if meta.uid() != me || !fresh {
        return Err(refuse("it is owned by another user"));
    }
    std::os::unix::fs::lchown(dir, Some(server_uid), Some(server_gid)).map_err(io_error(dir))
}

/// A secret in a file of its own directory (both owned by `owner`, readable by nobody else),
/// removed when dropped.
struct PrivateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl PrivateFile {
    fn write(secret: &str, owner: Option<(u32, u32)>) -> Result<Self, ClusterError> {
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let dir = std::env::temp_dir().join(format!("pg-cluster-{}-{nanos}", std::process::id()));
        // `create`, not `create_all`: fails rather than reuse a directory someone else made.
        std::fs::DirBuilder::new().mode(0o700).create(&dir).map_err(io_error(&dir))?;
        let file = Self { path: dir.join("password"), dir };
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file.path)
            .and_then(|mut out| out.write_all(secret.as_bytes()))
            .map_err(io_error(&file.path))?;
        if let Some((uid, gid)) = owner {
            for path in [&file.path, &file.dir] {
                std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(io_error(path))?;
            }
        }
        Ok(file)
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ignored = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `postgres` account's user and group ids.
fn postgres_account() -> Result<(u32, u32), ClusterError> {
    let path = Path::new("/etc/passwd");
    let passwd = std::fs::read_to_string(path).map_err(io_error(path))?;
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != "postgres" {
                return None;
            }
            let _password = fields.next()?;
            Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
        })
        .ok_or(ClusterError::NoServerAccount)
}

/// Percent-encodes what a URL's user-info part cannot hold as it is.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn run(mut command: Command) -> Result<(), ClusterError> {
    let described = describe(&command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ClusterError::Spawn { command: described.clone(), source })?;
    finish(described, &output)
}

/// Runs `command` with `input` on its standard input (a secret: not in the command line).
fn run_with_input(mut command: Command, input: &str) -> Result<(), ClusterError> {
    let described = describe(&command);
    let spawn_error = |source| ClusterError::Spawn { command: described.clone(), source };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(format!("{input}\n").as_bytes()).map_err(spawn_error)?;
    }
    let output = child.wait_with_output().map_err(spawn_error)?;
    finish(described, &output)
}

/// The program and its arguments; the environment (which may hold a password) is left out.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| word.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

fn finish(described: String, output: &std::process::Output) -> Result<(), ClusterError> {
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
fn own_uid() -> u32 {
    std::fs::metadata("/proc/self").map_or(u32::MAX, |meta| meta.uid())
}

fn running_as_root() -> bool {
    own_uid() == 0
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
