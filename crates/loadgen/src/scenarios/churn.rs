use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::hotdrop::{self, Hotdrop, HotdropRun};
use crate::api::{Api, Reply};
use crate::concurrency;
use crate::provision::Provisioning;
use crate::receiver::{Arrival, Receiver};
use crate::stats::PhaseReport;
use crate::verify::{self, Placed};

/// A hot drop with more buyers than seats, then `cancels` seat holders cancel at once.
#[derive(Debug, Clone, Copy)]
pub struct Churn {
    pub drop: Hotdrop,
    pub cancels: usize,
    /// Receive the event's notifications by webhook and report the delivery lag.
    pub webhooks: bool,
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
    /// The notifications the webhook received, when it was asked for.
    pub arrivals: Option<Vec<Arrival>>,
}

/// How long to wait for the webhook's last deliveries once nothing new has arrived.
const QUIET: Duration = Duration::from_secs(2);

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: Churn, provisioning: Provisioning<'_>) -> anyhow::Result<ChurnRun> {
    let receiver = if cfg.webhooks { Some(Receiver::start().await?) } else { None };
    let drop =
        hotdrop::run_watched(api, cfg.drop, provisioning, receiver.as_ref().map(|r| r.url.as_str())).await?;
    let status_after_drop = api.get(0, &format!("/status/{}", drop.event)).await.body;
    let (placed, _) = verify::placed(&drop.replies);
    let mut holders: Vec<Placed> = placed.iter().filter(|p| p.confirmed).cloned().collect();
    holders.sort_by_key(|p| p.booking);
    holders.truncate(cfg.cancels);
    let event = drop.event;

    let started = Instant::now();
    let (client, buyers, targets) = (api.clone(), drop.buyers.clone(), Arc::new(holders.clone()));
    let cancel_replies = concurrency::run(targets.len(), cfg.drop.concurrency, move |i| {
        let (client, buyers, targets) = (client.clone(), buyers.clone(), targets.clone());
        async move {
            let target = targets.get(i);
            let token = target.and_then(|t| buyers.get(t.buyer)).map(|b| b.token.as_str());
            let body = json!({"id": target.map(|t| t.booking)});
            client.write(i, "/cancel", &body, token).await
        }
    })
    .await?;
    let cancel_phase = PhaseReport::from_replies("cancel", &cancel_replies, started.elapsed());

    // Promotion happens inside each cancel's transaction; this only waits for the answers to
    // be visible through whichever instance answers.
    let limit = usize::try_from(cfg.drop.capacity).unwrap_or(usize::MAX);
    let seated: usize = placed.iter().filter(|p| p.confirmed).map(|p| p.quantity as usize).sum();
    let free = limit.saturating_sub(seated) + holders.iter().map(|p| p.quantity as usize).sum::<usize>();
    let promoted = verify::expected_promotions(&placed, free);
    let expected_waiting: usize = placed
        .iter()
        .filter(|p| !p.confirmed && !promoted.contains(&p.booking))
        .map(|p| p.quantity as usize)
        .sum();
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
            (index, client.write(i, "/book", &json!({"eventId": event}), token).await)
        }
    })
    .await?;

    let arrivals = match receiver {
        Some(receiver) => Some(settled_arrivals(&receiver).await),
        None => None,
    };
    Ok(ChurnRun {
        arrivals,
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

/// Everything the webhook receives until it has been quiet for [`QUIET`] (at most a minute).
async fn settled_arrivals(receiver: &Receiver) -> Vec<Arrival> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = receiver.arrivals().len();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline && quiet_since.elapsed() < QUIET {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = receiver.arrivals().len();
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }
    receiver.arrivals()
}
