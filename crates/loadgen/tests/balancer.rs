//! HAProxy with `docker/haproxy.cfg` in front of two instances: one told to stop (SIGTERM) in
//! the middle of a load turns `/ready` to 503, is taken out of the balancer during its drain
//! delay, finishes what it was doing and exits — and not one request fails.
//!
//! Needs `haproxy` (Debian's package; `.ci/run` installs it). Without it the tests are reported
//! as ignored, saying so (the build script sees it missing), and under CI (`CI` set), where it
//! must be present, they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::status::StatusLoad;
use loadgen::scenarios::{Scenario, execute};

mod support;

use support::{Instance, free_port};

fn haproxy_binary() -> PathBuf {
    ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("haproxy is not installed (apt-get install haproxy; .ci/run installs it)")
}

/// HAProxy running `docker/haproxy.cfg`, listening on `port`, balancing `servers`.
struct Balancer {
    child: Child,
    config: PathBuf,
}

impl Balancer {
    fn start(binary: &PathBuf, port: u16, servers: [&str; 2]) -> Self {
        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docker/haproxy.cfg"))
                .unwrap();
        let config = shipped
            .replace("bind :8080", &format!("bind 127.0.0.1:{port}"))
            .replace("server app1 app1:3000 check", &format!("server app1 {} check", servers[0]))
            .replace("server app2 app2:3000 check", &format!("server app2 {} check", servers[1]));
        assert_ne!(config, shipped, "the shipped configuration no longer has the lines this test replaces");
        let path = std::env::temp_dir().join(format!("ticketing-haproxy-{}-{port}.cfg", std::process::id()));
        std::fs::write(&path, config).unwrap();
        let child = Command::new(binary)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, config: path }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// How the test ends one instance mid-load.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// SIGTERM: the instance drains, then exits 0.
    Stop,
    /// SIGKILL: whatever it was doing is cut off.
    Kill,
}

/// Two instances with `env` behind HAProxy, both in service; returns them, the balancer and
/// its base URL.
async fn behind_haproxy(haproxy: &PathBuf, env: &[(&str, &str)]) -> ([Instance; 2], Balancer, String) {
    let mut instances = [Instance::spawn(env), Instance::spawn(env)];
    for instance in &mut instances {
        let ready = instance.ready().await;
        assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    }
    let port = free_port();
    let servers =
        [instances[0].base.trim_start_matches("http://"), instances[1].base.trim_start_matches("http://")];
    let balancer = Balancer::start(haproxy, port, servers);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    // Both servers in: HAProxy needs `rise` (2) good checks of each.
    while !client.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success())
        || started.elapsed() < Duration::from_secs(3)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "haproxy never served");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (instances, balancer, base)
}

/// Two instances behind HAProxy, a read load through it, and one instance ended 2.5 s in.
/// Returns the load's report and the ended instance.
async fn end_one_mid_load(haproxy: &PathBuf, end: End) -> (loadgen::report::Report, Instance) {
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url()), ("DRAIN_DELAY_MS", "2500")];
    let (mut instances, _balancer, base) = behind_haproxy(haproxy, &env).await;

    // Every failure counts: the load tool does not retry here.
    let api = Api::new(vec![base], 16).unwrap().with_retries(false);
    let reads = Scenario::Status(StatusLoad { concurrency: 16, duration: Duration::from_secs(6) });
    let provisioning = Provisioning { concurrency: 2, database_url: None };
    let end_one = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        match end {
            End::Stop => instances[0].terminate(),
            End::Kill => instances[0].child.kill().unwrap(),
        }
    };
    let (report, ()) = tokio::join!(execute(&api, reads, Some(db.url()), provisioning), end_one);
    let [ended, _] = instances;
    (report.unwrap(), ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_haproxy, ignore = "haproxy is not installed: apt-get install haproxy")]
async fn an_instance_stopped_mid_load_behind_haproxy_fails_no_request() {
    let haproxy = haproxy_binary();
    let (report, mut stopped) = end_one_mid_load(&haproxy, End::Stop).await;

    assert!(report.ok(), "{}", report.table());
    assert!(report.phases.iter().all(|p| p.requests > 100), "{}", report.table());
    let exit = stopped.child.wait().unwrap();
    assert!(exit.success(), "the stopped instance exited {exit}: {}", stopped.stderr());
}

/// Killed, the instance answers nothing more; HAProxy sends what it had in flight, and what
/// reaches it before the next failed check, to the other instance (reads are safe to repeat).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_haproxy, ignore = "haproxy is not installed: apt-get install haproxy")]
async fn an_instance_killed_mid_load_behind_haproxy_fails_no_read() {
    let haproxy = haproxy_binary();
    let (report, _killed) = end_one_mid_load(&haproxy, End::Kill).await;

    assert!(report.ok(), "{}", report.table());
    assert!(report.phases.iter().all(|p| p.requests > 100), "{}", report.table());
}

/// HAProxy adds the client's address as an `X-Forwarded-For` line of its own (`option
/// forwardfor`) and the instances trust it (`TRUSTED_PROXIES`): a client that sends a new
/// made-up `X-Forwarded-For` with every request still draws on its own address's budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(missing_haproxy, ignore = "haproxy is not installed: apt-get install haproxy")]
async fn a_forged_forwarded_for_does_not_escape_the_rate_limit_behind_haproxy() {
    let haproxy = haproxy_binary();
    let db = TestDatabase::new().await;
    let env = [
        ("DATABASE_URL", db.url()),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMIT_PER_SECOND", "2"),
        ("RATE_LIMIT_BURST", "4"),
    ];
    let (_instances, _balancer, base) = behind_haproxy(&haproxy, &env).await;
    // HAProxy reaches the instances from 127.0.0.1; this client comes from 127.0.0.2.
    let client = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();

    // A machine busy enough to fail HAProxy's health checks takes both instances out for a
    // moment (its 503s), and the burst then never meets the limit: try again once they are back,
    // at most three times, judging the run that reached a server throughout.
    let (mut statuses, mut elapsed) = (Vec::new(), 0.0);
    for _ in 0..3 {
        let started = Instant::now();
        statuses.clear();
        for forged in 0..30 {
            let answer = client
                .get(format!("{base}/health"))
                .header("X-Forwarded-For", format!("203.0.113.{forged}"))
                .send()
                .await
                .unwrap();
            statuses.push(answer.status().as_u16());
        }
        elapsed = started.elapsed().as_secs_f64();
        if statuses.contains(&429) || !statuses.contains(&503) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    // Each instance allows its burst and two a second; round robin shares the requests. On a
    // busy machine a `/ready` check may miss HAProxy's one-second deadline, and with `fall 1`
    // that instance is out for a moment (HAProxy's 503): no answer the limit let through.
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    let budget = 2.0 * (4.0 + 2.0 * elapsed.ceil());
    assert!(statuses.iter().all(|s| matches!(s, 200 | 429 | 503)), "{statuses:?}");
    assert!(statuses.contains(&429), "the limit was reached: {statuses:?}");
    assert!(
        f64::from(u32::try_from(allowed).unwrap()) <= budget,
        "{allowed} allowed in {elapsed:.1} s: {statuses:?}"
    );
}
