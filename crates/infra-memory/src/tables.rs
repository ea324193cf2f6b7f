//! The rows, and the reads every port shares. Each method runs inside one hold of the tables'
//! lock, so what it returns is one snapshot.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use domain::booking::WaitlistPosition;
use domain::history::{Cause, HistoryEntry};
use domain::idempotency::{Fingerprint, IdempotencyKey, Recorded, Requester};
use domain::line::{Line, LineChanges, Waiting};
use domain::notice::{Notice, Notification, NotificationData, Subject};
use domain::session::{TokenGeneration, TokenId};
use domain::webhook::{DeliveryAttempt, Webhook, WebhookSecret};
use domain::{
    Availability, Booking, BookingId, BookingStatus, BookingView, EmailAddress, Event, EventId, HistoryId,
    NotificationId, PasswordHash, RepoError, User, UserId, WebhookId,
};

/// An account as stored.
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub user: User,
    pub hash: PasswordHash,
    pub generation: TokenGeneration,
    pub password_changed_at: Option<DateTime<Utc>>,
}

/// An event with its seat counter (I5: always the seats of its confirmed and offered bookings).
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub event: Event,
    pub seats_taken: u32,
}

/// A claimed key.
#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub fingerprint: Fingerprint,
    pub attempt: u128,
    pub claimed_at: Instant,
    pub lease: Duration,
    pub answer: Option<Recorded>,
}

/// The webhooks' tables.
#[derive(Default)]
pub(crate) struct WebhookTables {
    pub webhooks: BTreeMap<WebhookId, (Webhook, WebhookSecret)>,
    pub deliveries: BTreeMap<(WebhookId, NotificationId), DeliveryRow>,
    /// Each webhook's attempts, oldest first.
    pub log: BTreeMap<WebhookId, Vec<DeliveryAttempt>>,
    /// Each webhook's pauses since its last delivery (its breaker's other half is the
    /// webhook's `failures` and `paused_until`).
    pub pauses: HashMap<WebhookId, u32>,
    /// The relay's place in the outbox: every notification up to here is queued.
    pub relayed: i64,
    pub last_webhook: i64,
    pub last_attempt: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct DeliveryRow {
    pub attempts: u32,
    /// When it is next due (the lease's end while an attempt runs); `None` once settled.
    pub due_at: Option<DateTime<Utc>>,
    /// While an attempt runs, when its lease ends: in flight until then.
    pub leased_until: Option<DateTime<Utc>>,
    /// As old as its notification.
    pub created_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct Tables {
    pub users: BTreeMap<UserId, UserRow>,
    pub emails: HashMap<EmailAddress, UserId>,
    pub events: BTreeMap<EventId, EventRow>,
    pub bookings: BTreeMap<BookingId, Booking>,
    /// Each event's bookings in id order, which is line order.
    pub by_event: HashMap<EventId, Vec<BookingId>>,
    /// How often a waiting booking was passed by a later one (see `domain::line`).
    pub overtaken: HashMap<BookingId, u32>,
    pub notifications: Vec<Notification>,
    pub keys: HashMap<(Requester, IdempotencyKey), KeyRow>,
    pub hooks: WebhookTables,
    /// Logged-out tokens, with when they would have expired.
    pub revoked: HashMap<TokenId, DateTime<Utc>>,
    /// The last idempotency attempt's number.
    pub attempts: u128,
    /// The audit trail, and what was moved out of it to the archive.
    pub history: Vec<HistoryEntry>,
    pub archive: Vec<HistoryEntry>,
    /// Each event's version: bumped by every change that writes history.
    pub versions: HashMap<EventId, i64>,
    last_ids: LastIds,
}

/// One sequence per table, as the database has.
#[derive(Default)]
struct LastIds {
    user: i64,
    event: i64,
    booking: i64,
    notification: i64,
    history: i64,
}

/// An event seen under its guard that is gone at the write: events are never deleted, so this
/// is a bug.
#[derive(Debug, thiserror::Error)]
#[error("event {0} vanished while its guard was held")]
pub(crate) struct Vanished(pub EventId);

/// An id the store made that its type refuses: cannot happen with sequences from 1.
pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> RepoError {
    RepoError::Internal(Box::new(e))
}

fn next(last: &mut i64) -> i64 {
    *last += 1;
    *last
}

/// When an event's day begins: no offer outlasts it.
fn start_of(row: &EventRow) -> DateTime<Utc> {
    row.event.date.naive().and_time(chrono::NaiveTime::MIN).and_utc()
}

impl Tables {
    pub(crate) fn next_user_id(&mut self) -> Result<UserId, RepoError> {
        UserId::new(next(&mut self.last_ids.user)).map_err(internal)
    }

    pub(crate) fn next_event_id(&mut self) -> Result<EventId, RepoError> {
        EventId::new(next(&mut self.last_ids.event)).map_err(internal)
    }

    pub(crate) fn next_history_id(&mut self) -> Result<HistoryId, RepoError> {
        HistoryId::new(next(&mut self.last_ids.history)).map_err(internal)
    }

    pub(crate) fn next_booking_id(&mut self) -> Result<BookingId, RepoError> {
        BookingId::new(next(&mut self.last_ids.booking)).map_err(internal)
    }

    /// The event with how full it is: seats taken, seats waited for, seats on open offers.
    pub(crate) fn availability(&self, id: EventId) -> Result<Option<Availability>, RepoError> {
        let Some(row) = self.events.get(&id) else { return Ok(None) };
        let waiting = self.line(id).map(|b| u64::from(b.quantity.get())).sum();
        let now = Utc::now();
        let on_offer = self
            .of_event(id)
            .filter(|b| b.status == BookingStatus::Offered && b.offer_expires_at.is_some_and(|at| at > now))
            .map(|b| b.quantity.get())
            .sum();
        let availability =
            Availability::new(row.event.clone(), row.seats_taken, waiting).map_err(internal)?;
        Ok(Some(availability.with_seats_on_offer(on_offer)))
    }

    /// The event's line as the serving routine reads it.
    pub(crate) fn waiting(&self, event: EventId) -> Vec<Waiting> {
        self.line(event)
            .map(|b| Waiting {
                booking: b.id,
                quantity: b.quantity.get(),
                overtaken: self.overtaken.get(&b.id).copied().unwrap_or(0),
            })
            .collect()
    }

    /// The event's bookings in id order.
    pub(crate) fn of_event(&self, event: EventId) -> impl DoubleEndedIterator<Item = &Booking> {
        self.by_event.get(&event).into_iter().flatten().filter_map(|id| self.bookings.get(id))
    }

    /// The event's waiting line, head first.
    pub(crate) fn line(&self, event: EventId) -> impl Iterator<Item = &Booking> {
        self.of_event(event).filter(|b| b.status == BookingStatus::Pending)
    }

    /// The user's live booking of the event (confirmed, pending or offered).
    pub(crate) fn live_booking(&self, event: EventId, user: UserId) -> Option<&Booking> {
        self.of_event(event).find(|b| b.user == user && b.status.is_live())
    }

    /// A pending booking's place in line, and the seats the bookings ahead of it wait for.
    pub(crate) fn place(&self, booking: &Booking) -> Option<(WaitlistPosition, u64)> {
        if booking.status != BookingStatus::Pending {
            return None;
        }
        let ahead: Vec<&Booking> = self.line(booking.event).take_while(|b| b.id < booking.id).collect();
        let seats = ahead.iter().map(|b| u64::from(b.quantity.get())).sum();
        Some((NonZeroU64::new(u64::try_from(ahead.len()).ok()? + 1)?, seats))
    }

    /// A booking as a read shows it, with its place in line: an offer past its deadline reads
    /// as expired whether or not a change has expired it yet.
    pub(crate) fn view(&self, booking: &Booking) -> BookingView {
        let place = self.place(booking);
        let lapsed = booking.status == BookingStatus::Offered
            && booking.offer_expires_at.is_some_and(|at| at <= Utc::now());
        let status = if lapsed { BookingStatus::Expired } else { booking.status };
        BookingView {
            booking: Booking { status, ..booking.clone() },
            position: place.map(|(position, _)| position),
            seats_ahead: place.map(|(_, seats)| seats),
        }
    }

    pub(crate) fn insert_booking(&mut self, booking: Booking) {
        self.by_event.entry(booking.event).or_default().push(booking.id);
        self.bookings.insert(booking.id, booking);
    }

    /// The event's line as a change under its guard starts from: its free seats, overtake
    /// limit and every waiting booking.
    pub(crate) fn line_of(&self, event: EventId) -> Result<Line, RepoError> {
        let row = self.events.get(&event).ok_or_else(|| internal(Vanished(event)))?;
        let free = row.event.ticket_limit.get().unsigned_abs().saturating_sub(row.seats_taken);
        Ok(Line::new(free, row.event.seating.overtake_limit.get(), self.waiting(event), true))
    }

    /// Writes what serving the line changed: the served bookings confirmed — or, on an event
    /// that offers seats and has not started, offered until the window's end (capped at the
    /// event's start) — and
    /// their seats taken, the passed ones' overtake counts. Returns the served bookings as they
    /// now are, in the order served.
    pub(crate) fn apply_line(
        &mut self,
        event: EventId,
        changes: &LineChanges,
    ) -> Result<Vec<Booking>, RepoError> {
        let row = self.events.get_mut(&event).ok_or_else(|| internal(Vanished(event)))?;
        row.seats_taken += changes.seats_served;
        let now = Utc::now();
        let start = start_of(row);
        let deadline = row
            .event
            .seating
            .promotion
            .window()
            .filter(|_| start > now)
            .map(|window| (now + chrono::Duration::seconds(i64::from(window.seconds()))).min(start));
        for &(booking, count) in &changes.overtaken {
            self.overtaken.insert(booking, count);
        }
        let mut served = Vec::with_capacity(changes.served.len());
        for id in &changes.served {
            if let Some(booking) = self.bookings.get_mut(id) {
                booking.status =
                    if deadline.is_some() { BookingStatus::Offered } else { BookingStatus::Confirmed };
                booking.offer_expires_at = deadline;
                served.push(booking.clone());
            }
            self.overtaken.remove(id);
        }
        Ok(served)
    }

    /// The event's offers whose deadline has passed, expired with their seats given back, and
    /// the line served with them; the notices written. Returns how many expired.
    pub(crate) fn expire_due(&mut self, event: EventId) -> Result<usize, RepoError> {
        let now = Utc::now();
        let due: Vec<BookingId> = self
            .of_event(event)
            .filter(|b| b.status == BookingStatus::Offered && b.offer_expires_at.is_some_and(|at| at <= now))
            .map(|b| b.id)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let before = self.before(event);
        let mut expired = Vec::with_capacity(due.len());
        for id in &due {
            self.set_status(*id, BookingStatus::Expired);
            expired.extend(self.bookings.get(id).cloned());
        }
        let freed: u32 = expired.iter().map(|b| b.quantity.get()).sum();
        let row = self.events.get_mut(&event).ok_or_else(|| internal(Vanished(event)))?;
        row.seats_taken = row.seats_taken.saturating_sub(freed);
        let mut line = self.line_of(event)?;
        line.serve().map_err(internal)?;
        let promoted = self.apply_line(event, line.changes())?;
        self.record(event, &before, &Cause::system())?;
        self.notify(&domain::notice::rules::of_expiry(&expired, &promoted))?;
        Ok(expired.len())
    }

    /// After the event's date changed: no open offer outlasts the start of its day.
    pub(crate) fn cap_offers_at_start(&mut self, event: EventId) -> Result<(), RepoError> {
        let start = start_of(self.events.get(&event).ok_or_else(|| internal(Vanished(event)))?);
        let ids: Vec<BookingId> =
            self.of_event(event).filter(|b| b.status == BookingStatus::Offered).map(|b| b.id).collect();
        for id in ids {
            if let Some(booking) = self.bookings.get_mut(&id) {
                booking.offer_expires_at = booking.offer_expires_at.map(|at| at.min(start));
            }
        }
        Ok(())
    }

    /// The events with an offer past its deadline.
    pub(crate) fn events_with_lapsed_offers(&self) -> Vec<EventId> {
        let now = Utc::now();
        let mut events: Vec<EventId> = self
            .bookings
            .values()
            .filter(|b| b.status == BookingStatus::Offered && b.offer_expires_at.is_some_and(|at| at <= now))
            .map(|b| b.event)
            .collect();
        events.sort_unstable();
        events.dedup();
        events
    }

    pub(crate) fn set_status(&mut self, id: BookingId, status: BookingStatus) {
        if let Some(booking) = self.bookings.get_mut(&id) {
            booking.status = status;
        }
    }

    /// Writes the notices of a change just applied, numbered in order: a booking's as it now is,
    /// an event's with its availability now.
    pub(crate) fn notify(&mut self, notices: &[Notice]) -> Result<(), RepoError> {
        for notice in notices {
            let data = match notice.subject {
                Subject::Booking { booking, quantity, position, seats_ahead, .. } => {
                    let Some(booking) = self.bookings.get(&booking) else { continue };
                    let booking = Booking { quantity, ..booking.clone() };
                    NotificationData::Booking(BookingView { booking, position, seats_ahead })
                }
                Subject::Event => match self.availability(notice.event)? {
                    Some(availability) => NotificationData::Event(availability),
                    None => continue,
                },
            };
            let id = NotificationId::new(next(&mut self.last_ids.notification)).map_err(internal)?;
            self.notifications.push(Notification { id, kind: notice.kind, created_at: Utc::now(), data });
        }
        Ok(())
    }
}
