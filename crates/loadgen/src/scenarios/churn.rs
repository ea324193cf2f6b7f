use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::hotdrop::{self, Hotdrop, HotdropRun};
use crate::api::{Api, Reply};
use crate::concurrency;
use crate::stats::PhaseReport;
use crate::verify::{self, Placed};

/// A hot drop with more buyers than seats, then `cancels` seat holders cancel at once.
#[derive(Debug, Clone, Copy)]
pub struct Churn {
    pub drop: Hotdrop,
    pub cancels: usize,
}

#[derive(Debug)]
pub struct ChurnRun {
    pub drop: HotdropRun,
    pub placed: Vec<Placed>,
    /// `/status` after the drop, before any cancel.
    pub status_after_drop: Value,
    /// The seat holders who cancelled, in the order of `cancel_replies`.
    pub cancelled: Vec<Placed>,
    pub cancel_replies: Vec<Reply>,
    pub cancel_phase: PhaseReport,
    /// `/status` once the line has moved.
    pub status_after: Value,
    /// Every waiting buyer booking again, after the cancels: the answer says whether they now
    /// hold a seat or still wait. By index into `placed`.
    pub rebook_replies: Vec<(usize, Reply)>,
}

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: Churn, provision_concurrency: usize) -> anyhow::Result<ChurnRun> {
    let drop = hotdrop::run(api, cfg.drop, provision_concurrency).await?;
    let status_after_drop = api.get(0, &format!("/status/{}", drop.event)).await.body;
    let (placed, _) = verify::placed(&drop.replies);
    let mut holders: Vec<Placed> = placed.iter().filter(|p| p.confirmed).cloned().collect();
    holders.sort_by_key(|p| p.booking);
    holders.truncate(cfg.cancels);
    let event = drop.event;
    let waiting_before = placed.iter().filter(|p| !p.confirmed).count();

    let started = Instant::now();
    let (client, buyers, targets) = (api.clone(), drop.buyers.clone(), Arc::new(holders.clone()));
    let cancel_replies = concurrency::run(targets.len(), cfg.drop.concurrency, move |i| {
        let (client, buyers, targets) = (client.clone(), buyers.clone(), targets.clone());
        async move {
            let target = targets.get(i);
            let token = target.and_then(|t| buyers.get(t.buyer)).map(|b| b.token.as_str());
            let body = json!({"id": target.map(|t| t.booking)});
            client.post(i, "/cancel", &body, token).await
        }
    })
    .await?;
    let cancel_phase = PhaseReport::from_replies("cancel", &cancel_replies, started.elapsed());

    // Promotion happens inside each cancel's transaction; this only waits for the answers to
    // be visible through whichever instance answers.
    let expected_waiting = waiting_before.saturating_sub(holders.len());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status_after = loop {
        let status = api.get(0, &format!("/status/{event}")).await.body;
        let waiting = status["waitingListCount"].as_u64().and_then(|n| usize::try_from(n).ok());
        if waiting == Some(expected_waiting) || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let waiting: Arc<Vec<usize>> =
        Arc::new((0..placed.len()).filter(|&i| placed.get(i).is_some_and(|p| !p.confirmed)).collect());
    let (client, buyers, who, rows) =
        (api.clone(), drop.buyers.clone(), waiting.clone(), Arc::new(placed.clone()));
    let rebooks = concurrency::run(waiting.len(), cfg.drop.concurrency, move |i| {
        let (client, buyers, who, rows) = (client.clone(), buyers.clone(), who.clone(), rows.clone());
        async move {
            let index = who.get(i).copied().unwrap_or_default();
            let token = rows.get(index).and_then(|p| buyers.get(p.buyer)).map(|b| b.token.as_str());
            (index, client.post(i, "/book", &json!({"eventId": event}), token).await)
        }
    })
    .await?;

    Ok(ChurnRun {
        drop,
        placed,
        status_after_drop,
        cancelled: holders,
        cancel_replies,
        cancel_phase,
        status_after,
        rebook_replies: rebooks,
    })
}
