//! The outbox read back. Notifications are numbered when their change is applied, in the same
//! step, so ids become visible in order and no writer is ever running unseen: a watermark here
//! moves over everything written at once.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use domain::listing::Limit;
use domain::notice::{Notification, Settlement, Watermark};
use domain::ports::{NewsListener, Notifications};
use domain::{NotificationId, RepoError, UserId};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::MemoryStore;
use crate::tables::Tables;

impl Tables {
    /// The next writer's number: one past the newest notification. No writer ever runs unseen,
    /// so this is also the oldest running one's.
    fn next_writer(&self) -> u64 {
        self.notifications.last().map_or(1, |n| n.id.get().unsigned_abs() + 1)
    }

    fn between(&self, after: i64, through: i64) -> impl Iterator<Item = &Notification> {
        let start = self.notifications.partition_point(|n| n.id.get() <= after);
        self.notifications[start..].iter().take_while(move |n| n.id.get() <= through)
    }
}

impl Notifications for MemoryStore {
    type Listener = MemoryNewsListener;

    async fn forget_notifications(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let mut tables = self.tables();
        let before = Utc::now() - TimeDelta::from_std(kept).unwrap_or(TimeDelta::MAX);
        let relayed = tables.hooks.relayed;
        let referred: HashSet<NotificationId> =
            tables.hooks.deliveries.keys().map(|&(_, notification)| notification).collect();
        let mut left = batch;
        let before_count = tables.notifications.len();
        tables.notifications.retain(|n| {
            let forget =
                left > 0 && n.created_at < before && n.id.get() <= relayed && !referred.contains(&n.id);
            if forget {
                left -= 1;
            }
            !forget
        });
        Ok(u64::try_from(before_count - tables.notifications.len()).unwrap_or(u64::MAX))
    }

    async fn feed(
        &self,
        user: UserId,
        after: Option<NotificationId>,
        through: i64,
        limit: Limit,
    ) -> Result<Vec<Notification>, RepoError> {
        let tables = self.tables();
        let after = after.map_or(0, NotificationId::get);
        Ok(tables
            .between(after, through)
            .filter(|n| n.recipient() == Some(user))
            .take(usize::from(limit.get()))
            .cloned()
            .collect())
    }

    async fn for_recipients(
        &self,
        after: i64,
        through: i64,
        users: &[UserId],
    ) -> Result<Vec<Notification>, RepoError> {
        let tables = self.tables();
        Ok(tables
            .between(after, through)
            .filter(|n| n.recipient().is_some_and(|user| users.contains(&user)))
            .cloned()
            .collect())
    }

    async fn watermark(&self) -> Result<Watermark, RepoError> {
        let tables = self.tables();
        let newest = tables.notifications.last().map_or(0, |n| n.id.get());
        Ok(Watermark::starting_after(newest, tables.next_writer()))
    }

    async fn settlement(&self, walked: i64, batch: usize) -> Result<Settlement, RepoError> {
        let tables = self.tables();
        let ids = tables.between(walked, i64::MAX).take(batch).map(|n| n.id.get()).collect();
        let next_writer = tables.next_writer();
        Ok(Settlement { ids, oldest_running: next_writer, next_writer })
    }

    async fn listen(&self) -> Result<MemoryNewsListener, RepoError> {
        Ok(MemoryNewsListener(self.inner.news.subscribe()))
    }
}

/// Wakes when any clone of the store commits notifications.
#[derive(Debug)]
pub struct MemoryNewsListener(broadcast::Receiver<()>);

/// The store was dropped.
#[derive(Debug, thiserror::Error)]
#[error("the store is gone")]
struct Gone;

impl NewsListener for MemoryNewsListener {
    async fn wake(&mut self) -> Result<(), RepoError> {
        match self.0.recv().await {
            // Missed wakes are still a wake: the reader reads what is there.
            Ok(()) | Err(RecvError::Lagged(_)) => Ok(()),
            Err(RecvError::Closed) => Err(RepoError::Unavailable(Box::new(Gone))),
        }
    }
}
