use std::time::Duration;

use diesel_async::AsyncConnection;
use domain::ports::Webhooks;
use domain::webhook::{
    Backlog, CreateWebhookError, Delivery, DeliveryAttempt, DeliveryOutcome, NewWebhook, Webhook,
    WebhookError, WebhookSecret,
};
use domain::{Limit, RepoError, UserId, WebhookId};

use super::PgStore;
use crate::error::{TxError, corrupt_row, from_diesel, from_pool};
use crate::queries::webhooks::{self, Settle};

/// Longest error text kept in the deliveries log (the column's CHECK allows 500).
const MAX_ERROR_CHARS: usize = 300;

impl Webhooks for PgStore {
    async fn create_webhook(
        &self,
        webhook: NewWebhook,
        secret: WebhookSecret,
    ) -> Result<Webhook, CreateWebhookError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        if let Some(event) = webhook.event {
            // Events are never deleted and never change organizer, so this check cannot go
            // stale before the insert.
            match webhooks::event_organizer(&mut conn, event).await.map_err(from_diesel)? {
                None => return Err(CreateWebhookError::EventNotFound(event)),
                Some(organizer) if organizer != webhook.organizer.get() => {
                    return Err(CreateWebhookError::NotOrganizer(event));
                }
                Some(_) => {}
            }
        }
        let row = webhooks::insert(&mut conn, &webhook, &secret).await.map_err(from_diesel)?;
        Ok(row.try_into()?)
    }

    async fn webhooks(&self, organizer: UserId) -> Result<Vec<Webhook>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let rows = webhooks::of_organizer(&mut conn, organizer).await.map_err(from_diesel)?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    async fn delete_webhook(&self, organizer: UserId, webhook: WebhookId) -> Result<(), WebhookError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        if webhooks::delete(&mut conn, organizer, webhook).await.map_err(from_diesel)? {
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
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        if !webhooks::owned(&mut conn, organizer, webhook).await.map_err(from_diesel)? {
            return Err(WebhookError::NotFound(webhook));
        }
        let rows = webhooks::attempts(&mut conn, webhook, before, i64::from(limit.get()))
            .await
            .map_err(from_diesel)?;
        Ok(rows.into_iter().map(DeliveryAttempt::try_from).collect::<Result<_, _>>()?)
    }

    async fn claim_deliveries(&self, limit: usize, lease: Duration) -> Result<Vec<Delivery>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = webhooks::claim(&mut conn, limit, lease).await.map_err(from_diesel)?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: &DeliveryOutcome,
        retry_in: Option<Duration>,
    ) -> Result<(), RepoError> {
        let attempt = i32::try_from(delivery.attempt).map_err(corrupt_row)?;
        let (delivered, status_code, error) = match outcome {
            DeliveryOutcome::Delivered { status } => (true, Some(*status), None),
            DeliveryOutcome::Gone => (false, Some(410), Some("410 Gone: webhook disabled")),
            DeliveryOutcome::Failed { status, error } => (false, *status, Some(error.as_str())),
        };
        let error: Option<String> = error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
        let settle = Settle {
            webhook: delivery.webhook,
            notification: delivery.notification.id.get(),
            attempt,
            delivered,
            retry_in: if matches!(outcome, DeliveryOutcome::Failed { .. }) { retry_in } else { None },
            status_code: status_code.map(i32::from),
            error: error.as_deref(),
        };
        let gone = matches!(outcome, DeliveryOutcome::Gone);
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        conn.transaction(async |conn| {
            let current = webhooks::settle(conn, &settle).await?;
            if current && gone {
                webhooks::disable(conn, delivery.webhook).await?;
            }
            Ok::<_, TxError<RepoError>>(())
        })
        .await
        .map_err(TxError::settle)
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row = webhooks::backlog(&mut conn).await.map_err(from_diesel)?;
        Ok(Backlog {
            undelivered: u64::try_from(row.undelivered).map_err(corrupt_row)?,
            oldest_age_seconds: u64::try_from(row.oldest_age_seconds).unwrap_or(0),
        })
    }
}
