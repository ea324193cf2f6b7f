use std::future::Future;

use crate::error::RepoError;
use crate::history::integrity::AuditTrail;
use crate::history::{HistoryEntry, HistoryQuery, RequestId};
use crate::ids::{BookingId, EventId, HistoryId, UserId};
use crate::listing::Page;

/// Reads the audit trail the [`crate::ports::Sales`] and [`crate::ports::Catalog`] writes fill
/// (one entry per booking a change touches, and one per change to an event's capacity or sale
/// status, each written in the change's own transaction), and keeps it.
///
/// Implementations MUST make history append-only (no entry is ever changed or removed but to
/// move it to the archive, after which every read here still finds it) and MUST give each
/// entry its event's commit order: entries of one event sorted by `(event_version, id)` are in
/// the order their changes committed, and `id` alone orders them the same way.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Audit: Send + Sync + 'static {
    /// A booking's entries, oldest first, with its holder and its event's organizer, whoever
    /// asks: deciding who may see them is [`crate::service::audit::booking_history`]'s.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown booking is `Ok(None)`.
    fn booking_history(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = Result<Option<(Vec<HistoryEntry>, UserId, UserId)>, RepoError>> + Send;

    /// A page of an event's entries, newest first. An unknown event has none.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn event_history(
        &self,
        event: EventId,
        query: HistoryQuery,
    ) -> impl Future<Output = Result<Page<HistoryEntry, HistoryId>, RepoError>> + Send;

    /// What the integrity check reads of an event — its counters, its bookings and its whole
    /// history, archived or not — MUST be read from one snapshot.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown event is `Ok(None)`.
    fn audit_trail(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Option<AuditTrail>, RepoError>> + Send;

    /// Every event's id, in order, for a check of them all.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn audited_events(&self) -> impl Future<Output = Result<Vec<EventId>, RepoError>> + Send;

    /// Moves at most `batch` entries of events whose date is more than `days` days past to the
    /// archive; returns how many moved.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn archive_history(
        &self,
        days: u32,
        batch: usize,
    ) -> impl Future<Output = Result<usize, RepoError>> + Send;
}

/// A store whose writes can say which request made them: the copy `for_request` returns records
/// `request` in the history of every change made through it.
pub trait RequestScoped: Sized {
    /// This store, recording `request` with its changes.
    #[must_use]
    fn for_request(&self, request: RequestId) -> Self;
}
