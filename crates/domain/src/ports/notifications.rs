use std::future::Future;
use std::time::Duration;

use crate::error::RepoError;
use crate::ids::{NotificationId, UserId};
use crate::listing::Limit;
use crate::notice::{Notification, Settlement, Watermark};

/// Reading the outbox the [`crate::ports::Sales`] writes fill: a user's feed, and what a
/// server instance needs to push new notifications to the streams it holds.
///
/// Every read takes a `through` bound, a [`Watermark`]'s `settled_through`: implementations
/// MUST return nothing above it, so that a reader never moves past a notification that is still
/// to commit.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock(type Listener = MockNewsListener;))]
pub trait Notifications: Send + Sync + 'static {
    /// Wakes its holder when notifications may have been committed.
    type Listener: NewsListener;

    /// The user's notifications with ids in `(after, through]`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn feed(
        &self,
        user: UserId,
        after: Option<NotificationId>,
        through: i64,
        limit: Limit,
    ) -> impl Future<Output = Result<Vec<Notification>, RepoError>> + Send;

    /// Every notification in `(after, through]` for any of `users`, oldest first: one read
    /// for all the streams an instance holds.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn for_recipients(
        &self,
        after: i64,
        through: i64,
        users: &[UserId],
    ) -> impl Future<Output = Result<Vec<Notification>, RepoError>> + Send;

    /// A watermark starting at the newest notification now.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn watermark(&self) -> impl Future<Output = Result<Watermark, RepoError>> + Send;

    /// What a watermark at `walked` may move over: up to `batch` visible ids above it, and the
    /// writers' clock, from one snapshot.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn settlement(
        &self,
        walked: i64,
        batch: usize,
    ) -> impl Future<Output = Result<Settlement, RepoError>> + Send;

    /// Deletes at most `batch` notifications older than `kept`; returns how many.
    /// Implementations MUST keep every notification the delivery relay has not passed (above
    /// its place: it may still queue deliveries for it) and every one a delivery still refers
    /// to. Readers of the feed and streams resuming from an older id simply find it gone; the
    /// caller keeps notifications at least as long as deliveries are retried. Any number of
    /// instances may run it at once.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn forget_notifications(
        &self,
        kept: Duration,
        batch: usize,
    ) -> impl Future<Output = Result<u64, RepoError>> + Send;

    /// Opens a listener: from when this returns, later commits of notifications wake it. Not
    /// every writer wakes listeners (the PostgreSQL adapter's booking statements do not, to
    /// keep their commits unserialised), so a caller also polls.
    ///
    /// # Errors
    /// [`RepoError`] when the store cannot be reached.
    fn listen(&self) -> impl Future<Output = Result<Self::Listener, RepoError>> + Send;
}

/// A wake-up call for new notifications (a held connection, for PostgreSQL). A hint, not a
/// record: what was committed is read from the store.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait NewsListener: Send + 'static {
    /// Returns when notifications may have been committed since the last return.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when the listener lost its store: wakes may have been missed,
    /// so the caller reads what it missed from the table after listening again.
    fn wake(&mut self) -> impl Future<Output = Result<(), RepoError>> + Send;
}
