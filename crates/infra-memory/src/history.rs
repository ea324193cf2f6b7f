//! History in memory: each change's entries worked out from the event's bookings before and
//! after it (one entry per booking whose status, quantity or offer deadline it changed), in
//! the step that makes the change, with the event's version bumped — the same entries the
//! PostgreSQL adapter writes from its statements, as the contract checks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::history::integrity::{AuditTrail, StoredBooking};
use domain::history::{Action, Actor, Cause, Change, Counted, HistoryEntry, HistoryQuery, RequestId};
use domain::ports::{Audit, RequestScoped};
use domain::{BookingId, BookingStatus, EventId, EventStatus, HistoryId, Page, RepoError, UserId};

use crate::MemoryStore;
use crate::tables::{Tables, Vanished, internal};

/// An event and its bookings as a change found them.
#[derive(Debug, Clone)]
pub(crate) struct Before {
    limit: u32,
    status: EventStatus,
    bookings: BTreeMap<BookingId, (BookingStatus, u32, Option<DateTime<Utc>>)>,
}

/// One entry a change writes, before its id and version.
struct Written {
    booking: Option<BookingId>,
    change: Option<Change>,
    action: Action,
    deadline: Option<DateTime<Utc>>,
}

/// A state machine step the adapter took that its rules refuse: a bug.
#[derive(Debug, thiserror::Error)]
#[error("booking {0} changed in a way its state machine does not allow")]
struct IllegalStep(BookingId);

impl Tables {
    /// The event and its bookings, before a change.
    pub(crate) fn before(&self, event: EventId) -> Before {
        let (limit, status) = self.events.get(&event).map_or((0, EventStatus::OnSale), |row| {
            (row.event.ticket_limit.get().unsigned_abs(), row.event.status)
        });
        let bookings =
            self.of_event(event).map(|b| (b.id, (b.status, b.quantity.get(), b.offer_expires_at))).collect();
        Before { limit, status, bookings }
    }

    /// The entries of what changed since `before`, by `cause`, under a new version of the event:
    /// the event's own entries around its bookings' — what gave seats back before what took
    /// them, each in booking order, as the line was served.
    pub(crate) fn record(&mut self, event: EventId, before: &Before, cause: &Cause) -> Result<(), RepoError> {
        let row = self.events.get(&event).ok_or_else(|| internal(Vanished(event)))?;
        let (limit, k, status) = (
            row.event.ticket_limit.get().unsigned_abs(),
            row.event.seating.overtake_limit.get(),
            row.event.status,
        );
        let mut changes: Vec<Written> = Vec::new();
        for booking in self.of_event(event) {
            let now = (booking.status, booking.quantity.get(), booking.offer_expires_at);
            let change = match before.bookings.get(&booking.id) {
                None => Change::new_booking(booking.status, booking.quantity.get()),
                Some(&was) if was == now => continue,
                Some(&(status, quantity, _)) => Change {
                    from: Some(status),
                    to: booking.status,
                    quantity_before: quantity,
                    quantity: now.1,
                },
            };
            let action = change.action().ok_or_else(|| internal(IllegalStep(booking.id)))?;
            let deadline = offer_action(action).then_some(booking.offer_expires_at).flatten();
            changes.push(Written { booking: Some(booking.id), change: Some(change), action, deadline });
        }
        changes.sort_by_key(|w| (w.change.is_some_and(|c| c.deltas().seats > 0), w.booking));
        let event_wide = |action| Written { booking: None, change: None, action, deadline: None };
        let mut entries = Vec::with_capacity(changes.len() + 2);
        if limit != before.limit {
            entries.push(event_wide(Action::LimitChanged));
        }
        entries.extend(changes);
        if status == EventStatus::Cancelled && before.status != EventStatus::Cancelled {
            entries.push(event_wide(Action::EventCancelled));
        }
        if entries.is_empty() {
            return Ok(());
        }
        let version = self.bump_version(event);
        let at = Utc::now();
        for written in entries {
            let id = self.next_history_id()?;
            let change = written.change;
            self.history.push(HistoryEntry {
                id,
                event,
                event_version: version,
                booking: written.booking,
                actor: cause.actor,
                action: written.action,
                from: change.and_then(|c| c.from),
                to: change.map(|c| c.to),
                quantity: change.map(|c| c.quantity),
                deltas: change.map_or_else(Counted::default, |c| c.deltas()),
                ticket_limit: limit,
                overtake_limit: k,
                offer_expires_at: written.deadline,
                request: cause.request.clone(),
                at,
            });
        }
        Ok(())
    }

    /// A new event's first entry, its organizer's.
    pub(crate) fn record_created(&mut self, event: EventId, cause: &Cause) -> Result<(), RepoError> {
        let row = self.events.get(&event).ok_or_else(|| internal(Vanished(event)))?;
        let (limit, k) =
            (row.event.ticket_limit.get().unsigned_abs(), row.event.seating.overtake_limit.get());
        let version = self.bump_version(event);
        let id = self.next_history_id()?;
        self.history.push(HistoryEntry {
            id,
            event,
            event_version: version,
            booking: None,
            actor: cause.actor,
            action: Action::Created,
            from: None,
            to: None,
            quantity: None,
            deltas: Counted::default(),
            ticket_limit: limit,
            overtake_limit: k,
            offer_expires_at: None,
            request: cause.request.clone(),
            at: Utc::now(),
        });
        Ok(())
    }

    fn bump_version(&mut self, event: EventId) -> i64 {
        let version = self.versions.entry(event).or_insert(0);
        *version += 1;
        *version
    }

    /// What the integrity check reads of the event.
    fn trail(&self, event: EventId) -> Option<AuditTrail> {
        let row = self.events.get(&event)?;
        let line = self.line(event);
        let (waiting, waiting_seats) =
            line.fold((0, 0), |(n, seats), b| (n + 1, seats + i64::from(b.quantity.get())));
        Some(AuditTrail {
            event,
            organizer: row.event.organizer,
            ticket_limit: row.event.ticket_limit.get().unsigned_abs(),
            cancelled: row.event.status == EventStatus::Cancelled,
            counters: Counted { seats: i64::from(row.seats_taken), waiting, waiting_seats },
            bookings: self
                .of_event(event)
                .map(|b| StoredBooking { id: b.id, status: b.status, quantity: b.quantity.get() })
                .collect(),
            entries: self.entries().filter(|e| e.event == event).cloned().collect(),
        })
    }

    /// Every entry, archived or not.
    fn entries(&self) -> impl Iterator<Item = &HistoryEntry> {
        self.archive.iter().chain(&self.history)
    }
}

/// The actions whose entry keeps the offer's deadline.
const fn offer_action(action: Action) -> bool {
    matches!(
        action,
        Action::Offered | Action::Accepted | Action::Declined | Action::Expired | Action::DeadlineMoved
    )
}

impl MemoryStore {
    /// Who this copy's changes are by, acting as `actor`.
    pub(crate) fn cause(&self, actor: Actor) -> Cause {
        Cause { actor, request: self.request.clone() }
    }
}

impl Audit for MemoryStore {
    async fn booking_history(
        &self,
        booking: BookingId,
    ) -> Result<Option<(Vec<HistoryEntry>, UserId, UserId)>, RepoError> {
        let tables = self.tables();
        let Some(found) = tables.bookings.get(&booking) else { return Ok(None) };
        let organizer =
            tables.events.get(&found.event).ok_or_else(|| internal(Vanished(found.event)))?.event.organizer;
        let mut entries: Vec<HistoryEntry> =
            tables.entries().filter(|e| e.booking == Some(booking)).cloned().collect();
        entries.sort_by_key(|e| (e.event_version, e.id));
        Ok(Some((entries, found.user, organizer)))
    }

    async fn event_history(
        &self,
        event: EventId,
        query: HistoryQuery,
    ) -> Result<Page<HistoryEntry, HistoryId>, RepoError> {
        let tables = self.tables();
        let mut entries: Vec<HistoryEntry> = tables
            .entries()
            .filter(|e| e.event == event)
            .filter(|e| query.action.is_none_or(|a| e.action == a))
            .filter(|e| query.before.is_none_or(|before| e.id < before))
            .cloned()
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.id));
        entries.truncate(usize::from(query.limit.get()) + 1);
        Ok(Page::from_overfetch(entries, query.limit, |e| e.id))
    }

    async fn audit_trail(&self, event: EventId) -> Result<Option<AuditTrail>, RepoError> {
        Ok(self.tables().trail(event))
    }

    async fn audited_events(&self) -> Result<Vec<EventId>, RepoError> {
        Ok(self.tables().events.keys().copied().collect())
    }

    async fn archive_history(&self, days: u32, batch: usize) -> Result<usize, RepoError> {
        let mut tables = self.tables();
        let today = Utc::now().date_naive();
        let past: Vec<EventId> = tables
            .events
            .values()
            .filter(|row| (today - row.event.date.naive()).num_days() > i64::from(days))
            .map(|row| row.event.id)
            .collect();
        let (mut moving, mut kept) = (Vec::new(), Vec::new());
        for entry in std::mem::take(&mut tables.history) {
            if moving.len() < batch && past.contains(&entry.event) {
                moving.push(entry)
            } else {
                kept.push(entry)
            }
        }
        tables.history = kept;
        let moved = moving.len();
        tables.archive.extend(moving);
        Ok(moved)
    }
}

impl RequestScoped for MemoryStore {
    fn for_request(&self, request: RequestId) -> Self {
        Self { inner: self.inner.clone(), request: Some(request) }
    }
}
