//! The delivery worker, one per instance: moves newly committed notifications into the queue
//! (the relay; one instance at a time does it), claims due deliveries (rows no other worker
//! holds), posts them, records the answers in one transaction, and sleeps until woken by the
//! notification listener or its poll interval. Any number of instances share the queue; a
//! delivery whose worker died is claimed again once its lease ends.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::ports::Webhooks;
use domain::webhook::{Attempted, Delivery, DeliveryOutcome, RetryPolicy};
use futures_util::future::join_all;
use tokio::sync::Notify;

use super::signature::sign;
use super::targets::TargetPolicy;
use crate::dto::NotificationBody;
use crate::supervisor::{StopSignal, Worker, WorkerRun};

/// How many deliveries one worker has in flight at most (and records in one transaction).
const BATCH: usize = 64;

/// Notifications the relay moves into the queue per step.
const RELAY_BATCH: usize = 1000;

/// The relay runs at most this often per instance: it is a small write transaction, and during
/// a hot drop the listener wakes this worker ten times a second; four relays a second keep the
/// database's share of it small whatever the booking rate, for a quarter of a second of
/// delivery lag at most. Claiming and posting are not limited: while deliveries are due,
/// rounds follow each other at once.
const RELAY_EVERY: Duration = Duration::from_millis(250);

/// How often the backlog gauges are refreshed.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

/// The delivery worker's knobs (see `Config`).
#[derive(Debug, Clone, Copy)]
pub struct DeliverySettings {
    /// A receiver that has not answered by then has failed this attempt (10 s in the contract).
    pub timeout: Duration,
    /// How long a claim is held; longer than `timeout`, so a live worker never loses one.
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// How often to look for due deliveries when nothing wakes the worker (retries come due
    /// without a notification).
    pub poll: Duration,
    pub targets: TargetPolicy,
}

/// Posts due deliveries.
pub struct DeliveryWorker<W> {
    store: W,
    client: reqwest::Client,
    settings: DeliverySettings,
    wake: Arc<Notify>,
}

impl<W> std::fmt::Debug for DeliveryWorker<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorker").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl<W: Webhooks + Clone> DeliveryWorker<W> {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS roots).
    pub fn new(store: W, settings: DeliverySettings, wake: Arc<Notify>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(settings.targets.resolver())
            .user_agent(concat!("ticketing-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { store, client, settings, wake })
    }
}

impl<W: Webhooks + Clone> Worker for DeliveryWorker<W> {
    fn name(&self) -> &'static str {
        "webhook-delivery"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (store, client, settings, wake) =
            (self.store.clone(), self.client.clone(), self.settings, Arc::clone(&self.wake));
        Box::pin(async move {
            let mut relayed_at = tokio::time::Instant::now()
                .checked_sub(RELAY_EVERY)
                .unwrap_or_else(tokio::time::Instant::now);
            let mut backlog_at = tokio::time::Instant::now()
                .checked_sub(BACKLOG_EVERY)
                .unwrap_or_else(tokio::time::Instant::now);
            // Whether deliveries may be due: at start, on the poll (retries come due without
            // a wake-up), after a round that had some, and after a relay that queued some or
            // that another instance was running. A relay that queued nothing (no webhook
            // wants what committed) needs no claim, so a drop without webhooks costs the
            // database only the relay.
            let mut look = true;
            while !stop.is_requested() {
                if backlog_at.elapsed() >= BACKLOG_EVERY {
                    report_backlog(&store).await;
                    backlog_at = tokio::time::Instant::now();
                }
                if relayed_at.elapsed() >= RELAY_EVERY {
                    relayed_at = tokio::time::Instant::now();
                    look |= store.queue_deliveries(RELAY_BATCH).await? != Some(0);
                }
                let due =
                    if look { store.claim_deliveries(BATCH, settings.lease).await? } else { Vec::new() };
                if due.is_empty() {
                    tokio::select! {
                        () = wake.notified() => {
                            // New notifications: relay them as soon as the relay may run again.
                            tokio::time::sleep(RELAY_EVERY.saturating_sub(relayed_at.elapsed())).await;
                            look = false;
                        }
                        () = tokio::time::sleep(settings.poll) => look = true,
                        () = stop.requested() => {}
                    }
                    continue;
                }
                // Every claimed delivery is settled before the next claim (and before a stop).
                let attempted = join_all(due.into_iter().map(|delivery| async {
                    let outcome = attempt(&client, settings.targets, &delivery).await;
                    judge(settings.retry, delivery, outcome)
                }))
                .await;
                store.record_attempts(&attempted).await?;
                attempted.iter().for_each(count);
            }
            Ok(())
        })
    }
}

async fn report_backlog<W: Webhooks>(store: &W) {
    if let Ok(backlog) = store.backlog().await {
        crate::metrics::webhook_backlog(backlog);
    }
}

/// Posts one delivery and says how it went.
async fn attempt(client: &reqwest::Client, targets: TargetPolicy, delivery: &Delivery) -> DeliveryOutcome {
    let failed = |status: Option<u16>, error: String| DeliveryOutcome::Failed { status, error };
    let url = match reqwest::Url::parse(delivery.url.as_str()) {
        Ok(url) => url,
        Err(e) => return failed(None, format!("invalid URL: {e}")),
    };
    if let Err(e) = targets.check_literal(&url) {
        return failed(None, format!("refused: the URL {e}"));
    }
    let body = match NotificationBody::try_from(delivery.notification.clone())
        .map_err(|e| e.to_string())
        .and_then(|body| serde_json::to_vec(&body).map_err(|e| e.to_string()))
    {
        Ok(body) => body,
        Err(e) => return failed(None, format!("could not render the notification: {e}")),
    };
    let id = format!("msg_{}_{}", delivery.notification.id, delivery.webhook);
    let timestamp = Utc::now().timestamp();
    let signature = match sign(&delivery.secret, &id, timestamp, &body) {
        Ok(signature) => signature,
        Err(e) => return failed(None, e.to_string()),
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(answer) if answer.status().is_success() => {
            DeliveryOutcome::Delivered { status: answer.status().as_u16() }
        }
        Ok(answer) if answer.status() == reqwest::StatusCode::GONE => DeliveryOutcome::Gone,
        Ok(answer) => failed(Some(answer.status().as_u16()), format!("HTTP {}", answer.status())),
        Err(e) if e.is_timeout() => failed(None, "no answer within the timeout".to_owned()),
        Err(e) => failed(None, transport_error(&e)),
    }
}

/// The failure's causes, outermost first (reqwest's own message is only "error sending
/// request").
fn transport_error(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// When a failed attempt is tried again, by the policy and the notification's age.
fn judge(retry: RetryPolicy, delivery: Delivery, outcome: DeliveryOutcome) -> Attempted {
    let age = (Utc::now() - delivery.notification.created_at).to_std().unwrap_or_default();
    let retry_in = match outcome {
        DeliveryOutcome::Failed { .. } => retry.after_failure(delivery.attempt, age),
        DeliveryOutcome::Delivered { .. } | DeliveryOutcome::Gone => None,
    };
    Attempted { delivery, outcome, retry_in }
}

/// Metrics and the log, once an attempt is recorded.
fn count(attempted: &Attempted) {
    let delivery = &attempted.delivery;
    let label = match &attempted.outcome {
        DeliveryOutcome::Delivered { .. } => {
            let lag = (Utc::now() - delivery.notification.created_at).to_std().unwrap_or_default();
            crate::metrics::webhook_lag(lag);
            "delivered"
        }
        DeliveryOutcome::Gone => "gone",
        DeliveryOutcome::Failed { status, error } => {
            tracing::info!(webhook = %delivery.webhook, notification = %delivery.notification.id, attempt = delivery.attempt, ?status, error, "webhook delivery failed");
            if attempted.retry_in.is_none() { "given_up" } else { "failed" }
        }
    };
    crate::metrics::webhook_delivery(label);
}
