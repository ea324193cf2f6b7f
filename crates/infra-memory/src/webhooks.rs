//! Organizers' webhooks and the queue of their deliveries. Every step is one hold of the
//! tables, so a due delivery is handed to one caller at a time and the relay never runs twice
//! at once.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use domain::idempotency::{Attempt, Effect};
use domain::listing::Limit;
use domain::notice::{Notification, NotificationData};
use domain::ports::Webhooks;
use domain::webhook::{
    Attempted, Backlog, ClaimBounds, CreateWebhookError, Delivery, DeliveryAttempt, DeliveryOutcome,
    NewWebhook, Webhook, WebhookCap, WebhookError, WebhookSecret,
};
use domain::{NotificationId, RepoError, UserId, WebhookId};

use crate::MemoryStore;
use crate::idempotency::hold;
use crate::tables::{DeliveryRow, Tables, internal};

fn after(duration: Duration) -> DateTime<Utc> {
    Utc::now() + TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// Whether `webhook` wants `notification`, of an event `organizer` organises.
fn wants(webhook: &Webhook, notification: &Notification, organizer: UserId) -> bool {
    webhook.disabled_at.is_none()
        && webhook.organizer == organizer
        && webhook.event.is_none_or(|only| only == notification_event(notification))
        && webhook.kinds.as_ref().is_none_or(|kinds| kinds.contains(&notification.kind))
}

fn notification_event(notification: &Notification) -> domain::EventId {
    match &notification.data {
        NotificationData::Booking(view) => view.booking.event,
        NotificationData::Event(availability) => availability.event.id,
    }
}

impl Tables {
    fn owned(&self, organizer: UserId, webhook: WebhookId) -> Result<(), WebhookError> {
        match self.hooks.webhooks.get(&webhook) {
            Some((found, _)) if found.organizer == organizer => Ok(()),
            _ => Err(WebhookError::NotFound(webhook)),
        }
    }
}

impl Webhooks for MemoryStore {
    async fn create_webhook(
        &self,
        new: NewWebhook,
        secret: WebhookSecret,
        cap: WebhookCap,
        key: Option<Attempt>,
    ) -> Result<Webhook, CreateWebhookError> {
        let mut tables = self.tables();
        if let Some(event) = new.event {
            match tables.events.get(&event) {
                None => return Err(CreateWebhookError::EventNotFound(event)),
                Some(row) if row.event.organizer != new.organizer => {
                    return Err(CreateWebhookError::NotOrganizer(event));
                }
                Some(_) => {}
            }
        }
        let theirs = tables.hooks.webhooks.values().filter(|(w, _)| w.organizer == new.organizer).count();
        if theirs >= usize::try_from(cap.get()).unwrap_or(usize::MAX) {
            return Err(CreateWebhookError::CapReached(cap));
        }
        tables.hooks.last_webhook += 1;
        let webhook = Webhook {
            id: WebhookId::new(tables.hooks.last_webhook).map_err(internal)?,
            organizer: new.organizer,
            url: new.url,
            kinds: new.kinds,
            event: new.event,
            created_at: Utc::now(),
            disabled_at: None,
        };
        let held = hold(&tables, key.as_ref())?;
        tables.hooks.webhooks.insert(webhook.id, (webhook.clone(), secret.clone()));
        // The key keeps no secret: a replay reads it from the webhook (`claim`).
        held.store(&mut tables, || Effect::WebhookCreated(webhook.clone(), None));
        Ok(webhook)
    }

    async fn webhooks(&self, organizer: UserId) -> Result<Vec<Webhook>, RepoError> {
        let tables = self.tables();
        Ok(tables
            .hooks
            .webhooks
            .values()
            .filter(|(w, _)| w.organizer == organizer)
            .map(|(w, _)| w.clone())
            .collect())
    }

    async fn delete_webhook(&self, organizer: UserId, webhook: WebhookId) -> Result<(), WebhookError> {
        let mut tables = self.tables();
        tables.owned(organizer, webhook)?;
        tables.hooks.webhooks.remove(&webhook);
        tables.hooks.deliveries.retain(|(of, _), _| *of != webhook);
        tables.hooks.log.remove(&webhook);
        Ok(())
    }

    async fn attempts(
        &self,
        organizer: UserId,
        webhook: WebhookId,
        before: Option<i64>,
        limit: Limit,
    ) -> Result<Vec<DeliveryAttempt>, WebhookError> {
        let tables = self.tables();
        tables.owned(organizer, webhook)?;
        let log = tables.hooks.log.get(&webhook).map(Vec::as_slice).unwrap_or_default();
        Ok(log
            .iter()
            .rev()
            .filter(|a| before.is_none_or(|before| a.seq < before))
            .take(usize::from(limit.get()))
            .cloned()
            .collect())
    }

    async fn claim_deliveries(
        &self,
        limit: usize,
        bounds: ClaimBounds,
        lease: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        let mut tables = self.tables();
        let now = Utc::now();
        let organizer = |webhook: WebhookId| tables.hooks.webhooks.get(&webhook).map(|(w, _)| w.organizer);
        // What every claim before this one still holds.
        let (mut of_webhook, mut of_organizer) = (HashMap::new(), HashMap::new());
        for (&(webhook, _), row) in &tables.hooks.deliveries {
            if row.leased_until.is_some_and(|until| until > now) {
                *of_webhook.entry(webhook).or_insert(0_u32) += 1;
                if let Some(organizer) = organizer(webhook) {
                    *of_organizer.entry(organizer).or_insert(0_u32) += 1;
                }
            }
        }
        // Each webhook's due deliveries, oldest first, numbered after its leases.
        let mut due: Vec<(DateTime<Utc>, NotificationId, WebhookId, UserId)> = tables
            .hooks
            .deliveries
            .iter()
            .filter_map(|(&(webhook, notification), row)| {
                let at = row.due_at.filter(|at| *at <= now)?;
                Some((at, notification, webhook, organizer(webhook)?))
            })
            .collect();
        due.sort();
        let mut ranked = Vec::new();
        for (at, notification, webhook, organizer) in due {
            let nth = of_webhook.entry(webhook).or_insert(0);
            *nth += 1;
            if *nth <= bounds.per_webhook {
                ranked.push((*nth, at, webhook, notification, organizer));
            }
        }
        // Then each organizer's, in that order, numbered after theirs; one organizer after
        // another.
        ranked.sort_by_key(|&(nth, at, webhook, ..)| (nth, at, webhook));
        let mut picked = Vec::new();
        for (_, at, webhook, notification, organizer) in ranked {
            let nth = of_organizer.entry(organizer).or_insert(0);
            *nth += 1;
            if *nth <= bounds.per_organizer {
                picked.push((*nth, at, webhook, notification));
            }
        }
        picked.sort_by_key(|&(nth, at, ..)| (nth, at));
        picked.truncate(limit);
        let until = after(lease);
        let mut claimed = Vec::with_capacity(picked.len());
        for (_, _, webhook, notification) in picked {
            let Some(row) = tables.hooks.deliveries.get_mut(&(webhook, notification)) else { continue };
            row.attempts += 1;
            row.due_at = Some(until);
            row.leased_until = Some(until);
            let attempt = row.attempts;
            let found = tables.notifications.binary_search_by_key(&notification, |n| n.id);
            let (Some((hook, secret)), Ok(index)) = (tables.hooks.webhooks.get(&webhook), found) else {
                continue;
            };
            claimed.push(Delivery {
                webhook,
                url: hook.url.clone(),
                secret: secret.clone(),
                notification: tables.notifications[index].clone(),
                attempt,
            });
        }
        claimed.sort_by_key(|d| d.notification.id);
        Ok(claimed)
    }

    async fn record_attempts(&self, attempts: &[Attempted]) -> Result<(), RepoError> {
        let mut tables = self.tables();
        let now = Utc::now();
        for attempted in attempts {
            let delivery = &attempted.delivery;
            let key = (delivery.webhook, delivery.notification.id);
            let Some(row) =
                tables.hooks.deliveries.get_mut(&key).filter(|row| row.attempts == delivery.attempt)
            else {
                continue;
            };
            let (status_code, error, retry_in) = match &attempted.outcome {
                DeliveryOutcome::Delivered { status } => (Some(*status), None, None),
                DeliveryOutcome::Gone => (Some(410), None, None),
                DeliveryOutcome::Failed { error, status, .. } => (*status, Some(*error), attempted.retry_in),
            };
            row.due_at = retry_in.map(after);
            row.leased_until = None;
            let next_attempt_at = row.due_at;
            tables.hooks.last_attempt += 1;
            let seq = tables.hooks.last_attempt;
            tables.hooks.log.entry(delivery.webhook).or_default().push(DeliveryAttempt {
                seq,
                notification: delivery.notification.id,
                attempted_at: now,
                status_code,
                error,
                next_attempt_at,
            });
            if attempted.outcome == DeliveryOutcome::Gone {
                if let Some((webhook, _)) = tables.hooks.webhooks.get_mut(&delivery.webhook) {
                    webhook.disabled_at.get_or_insert(now);
                }
                for ((of, _), row) in &mut tables.hooks.deliveries {
                    if *of == delivery.webhook {
                        row.due_at = None;
                    }
                }
            }
        }
        Ok(())
    }

    async fn queue_deliveries(&self, batch: usize) -> Result<Option<usize>, RepoError> {
        let mut tables = self.tables();
        let start = tables.notifications.partition_point(|n| n.id.get() <= tables.hooks.relayed);
        let end = tables.notifications.len().min(start.saturating_add(batch));
        let mut queued = Vec::new();
        for notification in &tables.notifications[start..end] {
            let Some(organizer) =
                tables.events.get(&notification_event(notification)).map(|r| r.event.organizer)
            else {
                continue;
            };
            for (webhook, _) in tables.hooks.webhooks.values() {
                if wants(webhook, notification, organizer) {
                    queued.push(((webhook.id, notification.id), notification.created_at));
                }
            }
        }
        if let Some(last) = tables.notifications[start..end].last() {
            tables.hooks.relayed = last.id.get();
        }
        let mut count = 0;
        for (key, created_at) in queued {
            if let std::collections::btree_map::Entry::Vacant(slot) = tables.hooks.deliveries.entry(key) {
                slot.insert(DeliveryRow {
                    attempts: 0,
                    due_at: Some(Utc::now()),
                    leased_until: None,
                    created_at,
                });
                count += 1;
            }
        }
        Ok(Some(count))
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let tables = self.tables();
        let waiting = tables.hooks.deliveries.values().filter(|row| row.due_at.is_some());
        let (mut undelivered, mut oldest) = (0_u64, None::<DateTime<Utc>>);
        for row in waiting {
            undelivered += 1;
            oldest = Some(oldest.map_or(row.created_at, |o| o.min(row.created_at)));
        }
        let age = oldest.map_or(0, |at| (Utc::now() - at).num_seconds().unsigned_abs());
        Ok(Backlog { undelivered, oldest_age_seconds: age })
    }
}
