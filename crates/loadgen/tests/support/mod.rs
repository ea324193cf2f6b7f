//! What the tests that run the service share: free ports, the service's binary, one
//! `ticketing serve` process, and instances started in the test's own process.
#![allow(dead_code, reason = "each test binary uses its own part of this module")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const JWT_SECRET: &str = "a-secret-for-the-process-tests";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The service's binary, built beside this test by `cargo test --workspace`.
pub fn ticketing_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().and_then(Path::parent).unwrap().join("ticketing");
    assert!(binary.exists(), "{} is missing: cargo build -p api-actix", binary.display());
    binary
}

/// Runs as the `postgres` account when this process is root (PgBouncer refuses root).
pub fn as_server_account(program: &Path) -> Command {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// One `ticketing serve` process.
pub struct Instance {
    pub child: Child,
    pub base: String,
    log: PathBuf,
}

impl Instance {
    pub fn spawn(env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("ticketing-instance-{}-{port}.log", std::process::id()));
        let child = Command::new(ticketing_binary())
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs([
                ("HOST", "127.0.0.1"),
                ("PORT", &port.to_string()),
                ("JWT_SECRET", JWT_SECRET),
                ("RATE_LIMIT_PER_SECOND", "0"),
                ("MAX_CONNECTIONS_PER_IP", "0"),
                ("WORKERS", "2"),
                ("RUST_LOG", "warn"),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self { child, base: format!("http://127.0.0.1:{port}"), log }
    }

    /// Waits until `/ready`, or until the process ends (its exit status then).
    pub async fn ready(&mut self) -> Result<(), std::process::ExitStatus> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(status);
            }
            let ready = client.get(format!("{}/ready", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} never became ready: {}",
                self.base,
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM, as an orchestrator stopping the instance would.
    pub fn terminate(&self) {
        let status =
            std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()));
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// `count` instances of the service on `db`, in this process, sharing the signing `secret`
/// (and so the admission key derived from it) and `vars` beside the defaults: their base URLs.
pub async fn in_process(
    db: &infra_postgres::test_support::TestDatabase,
    count: usize,
    secret: &[u8],
    vars: &[(&str, &str)],
) -> Vec<String> {
    use ticketing::app::config::Config;
    use ticketing::app::startup::Application;
    use ticketing::app::wiring;
    use ticketing::http::auth::TokenService;

    let defaults = [("HOST", "127.0.0.1"), ("PORT", "0"), ("RATE_LIMIT_PER_SECOND", "0"), ("WORKERS", "2")];
    let all: Vec<(&str, &str)> = defaults.iter().chain(vars).copied().collect();
    let config =
        Config::from_lookup(|var| all.iter().rev().find(|(k, _)| *k == var).map(|(_, v)| (*v).to_owned()))
            .unwrap();
    let mut bases = Vec::new();
    for _ in 0..count {
        let store = wiring::store(db.url(), &config.database).unwrap();
        let tokens = TokenService::new(secret, &[], config.auth.jwt_ttl);
        let app = Application::build(&config, wiring::adapters(&store, &config).unwrap(), tokens).unwrap();
        bases.push(format!("http://127.0.0.1:{}", app.port()));
        actix_web::rt::spawn(app.run_until_stopped());
    }
    bases
}
