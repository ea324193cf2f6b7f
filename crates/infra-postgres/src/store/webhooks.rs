use std::time::Duration;

use diesel_async::AsyncConnection;
use domain::idempotency::{Attempt, Effect};
use domain::notice::{Settlement, Watermark};
use domain::ports::Webhooks;
use domain::webhook::{
    Attempted, Backlog, BreakerPolicy, BreakerState, ClaimBounds, CreateWebhookError, Delivery,
    DeliveryAttempt, DeliveryOutcome, NewWebhook, Webhook, WebhookCap, WebhookError, WebhookSecret,
};
use domain::{Limit, RepoError, UserId, WebhookId};

use super::PgStore;
use super::idempotency::answered_transaction;
use crate::error::{TxError, corrupt_row, from_diesel};
use crate::queries::notices;
use crate::queries::webhooks::{self, BreakerMoves, Settlements};

/// Where the recorded ones of `attempts` leave their webhooks' breakers (`states`, as locked),
/// by the domain's rule, in the batch's order.
fn breaker_moves(
    attempts: &[Attempted],
    states: &[webhooks::BreakerRow],
    logged: &[webhooks::LoggedRow],
    policy: BreakerPolicy,
) -> Result<BreakerMoves, RepoError> {
    let mut moved: Vec<(i64, BreakerState, Option<Duration>)> = Vec::with_capacity(states.len());
    for row in states {
        let state = BreakerState {
            failures: u32::try_from(row.consecutive_failures).map_err(corrupt_row)?,
            pauses: u32::try_from(row.breaker_pauses).map_err(corrupt_row)?,
            paused: row.paused,
        };
        moved.push((row.id, state, None));
    }
    for attempted in attempts {
        let (webhook, notification) =
            (attempted.delivery.webhook.get(), attempted.delivery.notification.id.get());
        let recorded =
            logged.iter().any(|row| row.webhook_id == webhook && row.notification_id == notification);
        let Some((_, state, pause)) = moved.iter_mut().find(|(id, ..)| *id == webhook) else { continue };
        if recorded {
            let (next, started) = policy.after(*state, &attempted.outcome);
            *state = next;
            *pause = started.or(*pause).filter(|_| next.paused);
        }
    }
    let mut moves = BreakerMoves::default();
    for (webhook, state, pause) in moved {
        moves.webhooks.push(webhook);
        moves.failures.push(i32::try_from(state.failures).unwrap_or(i32::MAX));
        moves.pauses.push(i32::try_from(state.pauses).unwrap_or(i32::MAX));
        moves.paused.push(state.paused);
        moves.pause_ms.push(pause.map(crate::queries::millis));
    }
    Ok(moves)
}

impl Webhooks for PgStore {
    async fn create_webhook(
        &self,
        webhook: NewWebhook,
        secret: WebhookSecret,
        cap: WebhookCap,
        key: Option<Attempt>,
    ) -> Result<Webhook, CreateWebhookError> {
        let mut conn = self.writer().await?;
        if let Some(event) = webhook.event {
            // Events are never deleted and never change organizer, so this check cannot go
            // stale before the insert.
            let organizer = self
                .pinned(&mut conn, async |conn| {
                    webhooks::event_organizer(conn, event).await.map_err(from_diesel)
                })
                .await?;
            match organizer {
                None => return Err(CreateWebhookError::EventNotFound(event)),
                Some(organizer) if organizer != webhook.organizer.get() => {
                    return Err(CreateWebhookError::NotOrganizer(event));
                }
                Some(_) => {}
            }
        }
        answered_transaction!(
            conn,
            CreateWebhookError,
            key.as_ref(),
            |conn| {
                webhooks::lock_organizer(conn, webhook.organizer).await?;
                let Some(row) = webhooks::insert(conn, &webhook, &secret, cap).await? else {
                    return Err(TxError::Rule(CreateWebhookError::CapReached(cap)));
                };
                Webhook::try_from(row).map_err(TxError::stored)?
            },
            |created| Effect::WebhookCreated(created, None)
        )
    }

    async fn webhooks(&self, organizer: UserId) -> Result<Vec<Webhook>, RepoError> {
        let rows = self
            .write(async |conn| webhooks::of_organizer(conn, organizer).await.map_err(from_diesel))
            .await?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    async fn delete_webhook(&self, organizer: UserId, webhook: WebhookId) -> Result<(), WebhookError> {
        if self
            .write(async |conn| webhooks::delete(conn, organizer, webhook).await.map_err(from_diesel))
            .await?
        {
            Ok(())
        } else {
            Err(WebhookError::NotFound(webhook))
        }
    }

    async fn attempts(
        &self,
        organizer: UserId,
        webhook: WebhookId,
        before: Option<i64>,
        limit: Limit,
    ) -> Result<Vec<DeliveryAttempt>, WebhookError> {
        let rows = self
            .write(async |conn| {
                if !webhooks::owned(conn, organizer, webhook).await.map_err(from_diesel)? {
                    return Err(WebhookError::NotFound(webhook));
                }
                webhooks::attempts(conn, webhook, before, i64::from(limit.get()))
                    .await
                    .map_err(|e| from_diesel(e).into())
            })
            .await?;
        Ok(rows.into_iter().map(DeliveryAttempt::try_from).collect::<Result<_, _>>()?)
    }

    async fn claim_deliveries(
        &self,
        limit: usize,
        bounds: ClaimBounds,
        lease: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut conn = self.writer().await?;
        let rows = conn
            .transaction(async |conn| {
                webhooks::lock_claims(conn).await?;
                webhooks::claim(conn, limit, lease, bounds).await
            })
            .await
            .map_err(from_diesel)?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn record_attempts(&self, attempts: &[Attempted], breaker: BreakerPolicy) -> Result<(), RepoError> {
        let mut batch = Settlements::default();
        for attempted in attempts {
            batch.push(attempted).map_err(corrupt_row)?;
        }
        let gone: Vec<i64> = attempts
            .iter()
            .filter(|a| a.outcome == DeliveryOutcome::Gone)
            .map(|a| a.delivery.webhook.get())
            .collect();
        let mut ids: Vec<i64> = attempts.iter().map(|a| a.delivery.webhook.get()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| {
            // The webhooks first, then their deliveries: the order every writer of both keeps.
            let states = webhooks::lock_breakers(conn, &ids).await?;
            let logged = webhooks::settle(conn, batch).await?;
            let moves = breaker_moves(attempts, &states, &logged, breaker).map_err(TxError::stored)?;
            let logged: Vec<i64> = logged.iter().map(|row| row.id).collect();
            webhooks::move_breakers(conn, moves, breaker.give_up_after, &logged).await?;
            if !gone.is_empty() {
                webhooks::disable(conn, &gone).await?;
            }
            Ok::<_, TxError<RepoError>>(())
        })
        .await
        .map_err(TxError::settle)
    }

    async fn queue_deliveries(&self, batch: usize) -> Result<Option<usize>, RepoError> {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| {
            let Some(relay) = webhooks::lock_relay(conn).await? else { return Ok(None) };
            let saved = match (relay.gap_start, relay.gap_seen) {
                (Some(start), Some(seen)) => {
                    Some((start, u64::try_from(seen).map_err(|e| TxError::stored(corrupt_row(e)))?))
                }
                _ => None,
            };
            let mut mark = Watermark::resume(relay.walked, saved);
            let settlement: Settlement =
                notices::settlement(conn, mark.walked(), batch).await?.try_into().map_err(TxError::stored)?;
            // Queue everything visible now, not only what is settled: a notice is queued as soon
            // as it commits, whatever commits late below it. The saved place moves only over
            // settled ids, so the window above it is read again next time (its deliveries
            // already queued are skipped by ON CONFLICT), and a late commit is queued then.
            let before = mark.settled_through();
            let newest_visible = settlement.ids.last().copied().unwrap_or(before);
            mark.advance(&settlement);
            let through = newest_visible.max(mark.settled_through());
            let queued = if through > before { webhooks::queue(conn, before, through).await? } else { 0 };
            if mark.walked() != relay.walked || mark.gap() != saved {
                let gap = mark.gap().map(|(start, seen)| (start, i64::try_from(seen).unwrap_or(i64::MAX)));
                webhooks::save_relay(conn, mark.walked(), gap).await?;
            }
            Ok::<_, TxError<RepoError>>(Some(queued))
        })
        .await
        .map_err(TxError::settle)
    }

    async fn forget_attempts(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        let forgotten = self
            .write(async |conn| webhooks::forget_attempts(conn, kept, batch).await.map_err(from_diesel))
            .await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }

    async fn forget_deliveries(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        let forgotten = self
            .write(async |conn| webhooks::forget_deliveries(conn, kept, batch).await.map_err(from_diesel))
            .await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let row = self.write(async |conn| webhooks::backlog(conn).await.map_err(from_diesel)).await?;
        Ok(Backlog {
            undelivered: u64::try_from(row.undelivered).map_err(corrupt_row)?,
            oldest_age_seconds: u64::try_from(row.oldest_age_seconds).unwrap_or(0),
        })
    }
}
