use std::time::Duration;

use diesel_async::AsyncPgConnection;
use domain::notice::{Notification, Settlement, Watermark};
use domain::ports::{NewsListener, Notifications};
use domain::{Limit, NotificationId, RepoError, UserId};
use futures_util::{FutureExt, StreamExt};

use super::PgStore;
use crate::error::{Inconsistent, from_diesel};
use crate::queries::notices;
use crate::rows::NotificationRow;

impl Notifications for PgStore {
    type Listener = PgListener;

    async fn forget_notifications(&self, kept: Duration, batch: usize) -> Result<u64, RepoError> {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        let forgotten =
            self.write(async |conn| notices::forget(conn, kept, batch).await.map_err(from_diesel)).await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }

    async fn feed(
        &self,
        user: UserId,
        after: Option<NotificationId>,
        through: i64,
        limit: Limit,
    ) -> Result<Vec<Notification>, RepoError> {
        let after = after.map_or(0, NotificationId::get);
        let limit = i64::from(limit.get());
        let rows = self
            .write(async |conn| notices::feed(conn, user, after, through, limit).await.map_err(from_diesel))
            .await?;
        convert(rows)
    }

    async fn for_recipients(
        &self,
        after: i64,
        through: i64,
        users: &[UserId],
    ) -> Result<Vec<Notification>, RepoError> {
        convert(
            self.write(async |conn| {
                notices::for_recipients(conn, after, through, users).await.map_err(from_diesel)
            })
            .await?,
        )
    }

    async fn watermark(&self) -> Result<Watermark, RepoError> {
        self.write(async |conn| notices::newest(conn).await.map_err(from_diesel)).await?.try_into()
    }

    async fn settlement(&self, walked: i64, batch: usize) -> Result<Settlement, RepoError> {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        self.write(async |conn| notices::settlement(conn, walked, batch).await.map_err(from_diesel))
            .await?
            .try_into()
    }

    /// A connection of its own, taken out of the pool for good (so that it never serves a
    /// request while subscribed) and listening on the notifications channel.
    async fn listen(&self) -> Result<PgListener, RepoError> {
        let mut conn = self.listening_connection().await?;
        notices::listen(&mut conn).await.map_err(from_diesel)?;
        Ok(PgListener { conn })
    }
}

fn convert(rows: Vec<NotificationRow>) -> Result<Vec<Notification>, RepoError> {
    rows.into_iter().map(Notification::try_from).collect()
}

/// A connection subscribed to the notifications channel.
pub struct PgListener {
    conn: AsyncPgConnection,
}

impl std::fmt::Debug for PgListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgListener").finish_non_exhaustive()
    }
}

impl NewsListener for PgListener {
    /// Waits for one notification, then takes every one already queued behind it: a burst of
    /// commits is one wake-up.
    async fn wake(&mut self) -> Result<(), RepoError> {
        let mut wakes = std::pin::pin!(self.conn.notifications_stream());
        let lost = || RepoError::Unavailable(Box::new(Inconsistent("the listening connection closed")));
        wakes.next().await.ok_or_else(lost)?.map_err(|e| RepoError::Unavailable(Box::new(e)))?;
        while let Some(queued) = wakes.next().now_or_never() {
            queued.ok_or_else(lost)?.map_err(|e| RepoError::Unavailable(Box::new(e)))?;
        }
        Ok(())
    }
}
