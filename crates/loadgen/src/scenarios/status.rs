use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{Api, Reply};
use crate::concurrency;
use crate::provision::{self, Provisioning};
use crate::stats::PhaseReport;

/// `GET /status/{id}` from `concurrency` clients for `duration`.
#[derive(Debug, Clone, Copy)]
pub struct StatusLoad {
    pub concurrency: usize,
    pub duration: Duration,
}

#[derive(Debug)]
pub struct StatusRun {
    pub phase: PhaseReport,
    /// CPU the load generator itself used, in percent of one core, over the phase.
    pub client_cpu_percent: Option<f64>,
}

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: StatusLoad) -> anyhow::Result<StatusRun> {
    let run = provision::run_id();
    let organizer =
        provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one()).await?.remove(0);
    let event = provision::event(api, &organizer, 100).await?;
    let path: Arc<str> = format!("/status/{event}").into();
    // Anonymous reads may come from a replica a moment behind the primary that created it.
    let visible_by = Instant::now() + std::time::Duration::from_secs(5);
    while !api.get(0, &path).await.is(200) {
        anyhow::ensure!(Instant::now() < visible_by, "event {event} is not readable at {path}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + cfg.duration;
    let client = api.clone();
    let per_worker = concurrency::run(cfg.concurrency, cfg.concurrency, move |worker| {
        let (client, path) = (client.clone(), path.clone());
        async move {
            let mut replies: Vec<Reply> = Vec::new();
            let mut n = worker;
            while Instant::now() < deadline {
                replies.push(client.get(n, &path).await);
                n += 1;
            }
            replies
        }
    })
    .await?;
    let elapsed = started.elapsed();
    let client_cpu_percent = cpu_before
        .zip(process_cpu_seconds())
        .map(|(before, after)| (after - before) / elapsed.as_secs_f64() * 100.0);
    let phase = PhaseReport::from_replies("status", per_worker.iter().flatten(), elapsed);
    Ok(StatusRun { phase, client_cpu_percent })
}

/// User plus system CPU of this process, from `/proc/self/stat` (Linux; 100 ticks a second).
pub(crate) fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file; 12 and 13 once the pid and name are cut off.
    let ticks: u32 = fields.get(11)?.parse::<u32>().ok()? + fields.get(12)?.parse::<u32>().ok()?;
    Some(f64::from(ticks) / 100.0)
}
