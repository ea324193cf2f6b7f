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
    Attempted, Backlog, BreakerPolicy, BreakerState, ClaimBounds, CreateWebhookError, Delivery,
    DeliveryAttempt, DeliveryOutcome, NewWebhook, Webhook, WebhookCap, WebhookError, WebhookSecret,
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
    /// Moves `webhook`'s breaker over one recorded attempt; returns the end of the pause it
    /// starts, if it does.
    fn move_breaker(
        &mut self,
        webhook: WebhookId,
        outcome: &DeliveryOutcome,
        policy: BreakerPolicy,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let pauses = self.hooks.pauses.get(&webhook).copied().unwrap_or(0);
        let (hook, _) = self.hooks.webhooks.get_mut(&webhook)?;
        let state = BreakerState {
            failures: hook.failures,
            pauses,
            paused: hook.paused_until.is_some_and(|until| until > now),
        };
        let (moved, pause) = policy.after(state, outcome);
        hook.failures = moved.failures;
        let until = pause.map(|pause| now + TimeDelta::from_std(pause).unwrap_or(TimeDelta::MAX));
        if let Some(until) = until {
            hook.paused_until = Some(until);
        } else if !moved.paused {
            hook.paused_until = None;
        }
        self.hooks.pauses.insert(webhook, moved.pauses);
        until
    }

    /// A pause that starts: `webhook`'s waiting deliveries wait for its end (and so do the log
    /// entries of `logged`, this batch's), those older than `give_up_after` are given up.
    fn hold_back(
        &mut self,
        webhook: WebhookId,
        until: DateTime<Utc>,
        give_up_after: Duration,
        now: DateTime<Utc>,
        logged: &[(WebhookId, NotificationId)],
    ) {
        let oldest_kept = now - TimeDelta::from_std(give_up_after).unwrap_or(TimeDelta::MAX);
        let mut held = Vec::new();
        for (&(of, notification), row) in &mut self.hooks.deliveries {
            let waiting =
                row.due_at.is_some_and(|at| at < until) && row.leased_until.is_none_or(|lease| lease <= now);
            if of == webhook && waiting {
                row.due_at = (row.created_at > oldest_kept).then_some(until);
                held.push((notification, row.due_at));
            }
        }
        let log = self.hooks.log.entry(webhook).or_default();
        for (notification, due_at) in held {
            if !logged.contains(&(webhook, notification)) {
                continue;
            }
            if let Some(entry) = log.iter_mut().rev().find(|a| a.notification == notification) {
                entry.next_attempt_at = due_at;
            }
        }
    }

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
            failures: 0,
            paused_until: None,
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
        // Each webhook's due deliveries, oldest first, numbered after its leases; none of a
        // paused webhook's, and one at a time of one whose last attempt failed.
        let mut due: Vec<(DateTime<Utc>, NotificationId, WebhookId, UserId, u32)> = tables
            .hooks
            .deliveries
            .iter()
            .filter_map(|(&(webhook, notification), row)| {
                let at = row.due_at.filter(|at| *at <= now)?;
                let (hook, _) = tables.hooks.webhooks.get(&webhook)?;
                if hook.paused_until.is_some_and(|until| until > now) {
                    return None;
                }
                let most = if hook.failures > 0 { 1 } else { bounds.per_webhook };
                Some((at, notification, webhook, hook.organizer, most))
            })
            .collect();
        due.sort();
        let mut ranked = Vec::new();
        for (at, notification, webhook, organizer, most) in due {
            let nth = of_webhook.entry(webhook).or_insert(0);
            *nth += 1;
            if *nth <= most {
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

    async fn record_attempts(&self, attempts: &[Attempted], breaker: BreakerPolicy) -> Result<(), RepoError> {
        let mut tables = self.tables();
        let now = Utc::now();
        // This batch's log entries, to show a pause that starts in it.
        let mut logged = Vec::new();
        let mut paused = Vec::new();
        for attempted in attempts {
            let delivery = &attempted.delivery;
            let key = (delivery.webhook, delivery.notification.id);
            // A retry of a paused webhook's waits for the pause's end.
            let pause_end = tables
                .hooks
                .webhooks
                .get(&delivery.webhook)
                .and_then(|(webhook, _)| webhook.paused_until)
                .filter(|until| *until > now);
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
            row.due_at = retry_in.map(|retry| after(retry).max(pause_end.unwrap_or(now)));
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
            logged.push(key);
            if let Some(pause) = tables.move_breaker(delivery.webhook, &attempted.outcome, breaker, now) {
                paused.push((delivery.webhook, pause));
            }
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
        for (webhook, until) in paused {
            tables.hold_back(webhook, until, breaker.give_up_after, now, &logged);
        }
        Ok(())
    }

    async fn queue_deliveries(&self, batch: usize) -> Result<Option<usize>, RepoError> {
        let mut tables = self.tables();
        let now = Utc::now();
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
                    // A paused webhook's deliveries wait for the pause's end.
                    let due = webhook.paused_until.filter(|until| *until > now).unwrap_or(now);
                    queued.push(((webhook.id, notification.id), notification.created_at, due));
                }
            }
        }
        if let Some(last) = tables.notifications[start..end].last() {
            tables.hooks.relayed = last.id.get();
        }
        let mut count = 0;
        for (key, created_at, due) in queued {
            if let std::collections::btree_map::Entry::Vacant(slot) = tables.hooks.deliveries.entry(key) {
                slot.insert(DeliveryRow { attempts: 0, due_at: Some(due), leased_until: None, created_at });
                count += 1;
            }
        }
        Ok(Some(count))
    }

    async fn forget_attempts(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let mut tables = self.tables();
        let before = Utc::now() - TimeDelta::from_std(kept).unwrap_or(TimeDelta::MAX);
        let mut left = batch;
        for log in tables.hooks.log.values_mut() {
            // Oldest first: each log is in the order it was written.
            let old = log.iter().take_while(|a| a.attempted_at < before).count().min(left);
            log.drain(..old);
            left -= old;
        }
        Ok(u64::try_from(batch - left).unwrap_or(u64::MAX))
    }

    async fn forget_deliveries(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let mut tables = self.tables();
        let before = Utc::now() - TimeDelta::from_std(kept).unwrap_or(TimeDelta::MAX);
        let relayed = tables.hooks.relayed;
        let old: Vec<(WebhookId, NotificationId)> = tables
            .hooks
            .deliveries
            .iter()
            .filter(|((_, notification), row)| {
                row.due_at.is_none() && row.created_at < before && notification.get() <= relayed
            })
            .map(|(key, _)| *key)
            .take(batch)
            .collect();
        for key in &old {
            tables.hooks.deliveries.remove(key);
        }
        Ok(u64::try_from(old.len()).unwrap_or(u64::MAX))
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
