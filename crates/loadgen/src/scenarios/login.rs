use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::Argon2;
use serde_json::json;

use crate::api::Api;
use crate::concurrency;
use crate::provision::{self, PASSWORD, Provisioning};
use crate::stats::PhaseReport;

/// How long the hashing ceiling is measured.
const CEILING_WINDOW: Duration = Duration::from_secs(3);

/// `users` accounts log in once each, `concurrency` at a time: a sign-in storm (as minutes
/// before a drop), measured against what the machine can hash.
#[derive(Debug, Clone, Copy)]
pub struct LoginLoad {
    pub users: usize,
    pub concurrency: usize,
}

#[derive(Debug)]
pub struct LoginRun {
    pub phase: PhaseReport,
    /// Argon2id hashes a second this machine computes on all its cores, with the service's
    /// parameters (the crate's defaults, as the service uses): no login storm can go faster.
    pub hashing_ceiling_per_s: f64,
}

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: LoginLoad, provisioning: Provisioning<'_>) -> anyhow::Result<LoginRun> {
    let run = provision::run_id();
    provision::buyers(api, &run, cfg.users, provisioning).await?;
    let hashing_ceiling_per_s = tokio::task::spawn_blocking(|| hashing_ceiling(CEILING_WINDOW)).await?;

    let started = Instant::now();
    let client = api.clone();
    let replies = concurrency::run(cfg.users, cfg.concurrency, move |i| {
        let (client, run) = (client.clone(), run.clone());
        async move {
            let body = json!({"email": format!("load-{run}-{i}@example.com"), "password": PASSWORD});
            client.post(i, "/login", &body, None).await
        }
    })
    .await?;
    let phase = PhaseReport::from_replies("login", &replies, started.elapsed());
    Ok(LoginRun { phase, hashing_ceiling_per_s })
}

/// Hashes a second on every core at once, for `window`.
fn hashing_ceiling(window: Duration) -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut out = [0_u8; 32];
                while started.elapsed() < window {
                    if Argon2::default()
                        .hash_password_into(PASSWORD.as_bytes(), b"a-fixed-salt", &mut out)
                        .is_ok()
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        let _finished = thread.join();
    }
    let hashes = u32::try_from(done.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
    f64::from(hashes) / started.elapsed().as_secs_f64()
}
