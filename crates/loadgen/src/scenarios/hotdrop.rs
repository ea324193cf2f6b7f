use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::api::{Api, Reply};
use crate::concurrency;
use crate::provision::{self, Buyer, Provisioning};
use crate::stats::PhaseReport;

/// An event of `capacity` seats; `buyers` distinct users each book once, `concurrency` at a time:
/// buyer `i` asks for `1 + i % max_quantity` seats (with `max_quantity` 1, the request names no
/// quantity at all, as the original service's clients sent it).
#[derive(Debug, Clone, Copy)]
pub struct Hotdrop {
    pub capacity: u32,
    pub buyers: usize,
    pub concurrency: usize,
    pub max_quantity: u32,
}

impl Hotdrop {
    /// The `/book` body of buyer `i`.
    #[must_use]
    pub fn booking(&self, event: i64, i: usize) -> serde_json::Value {
        if self.max_quantity <= 1 {
            return json!({"eventId": event});
        }
        let quantity = 1 + i % usize::try_from(self.max_quantity).unwrap_or(1);
        json!({"eventId": event, "quantity": quantity})
    }
}

/// What happened, for reporting and verification.
#[derive(Debug)]
pub struct HotdropRun {
    pub event: i64,
    pub organizer: Buyer,
    pub buyers: Arc<Vec<Buyer>>,
    /// The `/book` answers, by buyer.
    pub replies: Vec<Reply>,
    pub phase: PhaseReport,
}

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: Hotdrop, provisioning: Provisioning<'_>) -> anyhow::Result<HotdropRun> {
    run_watched(api, cfg, provisioning, None).await
}

/// As [`run`], with the event's notifications posted to `webhook` (registered by its
/// organizer before the first booking).
///
/// # Errors
/// When provisioning or the webhook's registration fails.
pub async fn run_watched(
    api: &Api,
    cfg: Hotdrop,
    provisioning: Provisioning<'_>,
    webhook: Option<&str>,
) -> anyhow::Result<HotdropRun> {
    let run = provision::run_id();
    let organizer =
        provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one()).await?.remove(0);
    let buyers = Arc::new(provision::buyers(api, &run, cfg.buyers, provisioning).await?);
    let event = provision::event(api, &organizer, cfg.capacity).await?;
    if let Some(url) = webhook {
        let created =
            api.post(0, "/webhooks", &json!({"url": url, "eventId": event}), Some(&organizer.token)).await;
        anyhow::ensure!(created.is(201), "registering the webhook: {:?}", created.body);
    }

    let (replies, phase) = book(api, cfg, event, &buyers).await?;
    Ok(HotdropRun { event, organizer, buyers, replies, phase })
}

/// The timed part of a drop: every one of `buyers` books `event` once, `cfg.concurrency` at a
/// time. Apart from [`run_watched`] so that a scenario may make the event its own way first
/// (the offer churn's is in offer mode).
///
/// # Errors
/// When a worker task panics.
pub async fn book(
    api: &Api,
    cfg: Hotdrop,
    event: i64,
    buyers: &Arc<Vec<Buyer>>,
) -> anyhow::Result<(Vec<Reply>, PhaseReport)> {
    let started = Instant::now();
    let (client, who) = (api.clone(), buyers.clone());
    let replies = concurrency::run(cfg.buyers, cfg.concurrency, move |i| {
        let (client, who) = (client.clone(), who.clone());
        async move {
            let token = who.get(i).map(|b| b.token.as_str());
            client.write(i, "/book", &cfg.booking(event, i), token).await
        }
    })
    .await?;
    let phase = PhaseReport::from_replies("book", &replies, started.elapsed());
    Ok((replies, phase))
}
