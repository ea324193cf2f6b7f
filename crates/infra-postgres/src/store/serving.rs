//! Serving an event's line in a transaction that holds the event's exclusive guard and row
//! (docs/ARCHITECTURE.md, "Serving the line"): the domain's [`Line`] decides, over the line
//! read a page at a time, and a [`Ledger`] gathers what to write — the bookings as the change
//! leaves them and the event's counters — for one statement. Cancels, changes of an event and
//! of a booking's quantity all serve the line here; a batch of cancels replays each in turn
//! on one `Line`, so it decides as those cancels alone would, in arrival order.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use domain::history::{Cause, Change};
use domain::line::{Line, LineChanges, ReadMore, Waiting};
use domain::{Booking, BookingId, BookingStatus, EventId, Promotion, Quantity, RepoError};

use crate::error::{Inconsistent, corrupt_row, from_diesel};
use crate::queries::history::Steps;
use crate::queries::line::{self, Counters, Rewrite};
use crate::rows::{LineEntryRow, LockedEventRow};

/// How many waiting bookings are read first: a cancel frees a booking's seats, which serve at
/// most that many bookings, and the routine stops at the first that does not fit.
const FIRST_PAGE: i64 = 32;

/// The line's entries read so far, by id, for the values of the bookings it serves.
pub(super) type Read = HashMap<BookingId, LineEntryRow>;

/// How much of the line a decision reads before it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FirstRead {
    /// Nothing: a newcomer is placed without the line unless it may pass it.
    Nothing,
    /// A page of at least [`FIRST_PAGE`] entries, or the number given if more: what frees seats
    /// serves the line, a booking at a time for each seat freed at most, and stops at the first
    /// that does not fit.
    Page(usize),
}

/// Runs `decide` on the event's line: on the entries `first` says, then on four times as many
/// each time it needs more ([`ReadMore`]), each time on a fresh [`Line`] with the event's free
/// seats and overtake limit as locked (`decide` starts over). Reads nothing when nobody waits.
/// Returns what `decide` returned, with the line as it left it and the entries read.
pub(super) async fn settle<T>(
    conn: &mut AsyncPgConnection,
    event: &LockedEventRow,
    overtake_limit: u32,
    first: FirstRead,
    mut decide: impl FnMut(&mut Line, &Read) -> Result<T, DecideError>,
) -> Result<(T, Line, Read), RepoError> {
    let id = EventId::new(event.id).map_err(corrupt_row)?;
    let free = event.free()?;
    let mut page = match first {
        _ if event.waiting == 0 => 0,
        FirstRead::Nothing => 0,
        FirstRead::Page(at_least) => FIRST_PAGE.max(i64::try_from(at_least).unwrap_or(i64::MAX)),
    };
    loop {
        let rows =
            if page == 0 { Vec::new() } else { line::read(conn, id, page).await.map_err(from_diesel)? };
        let complete = if page == 0 {
            event.waiting == 0
        } else {
            i64::try_from(rows.len()).map_err(corrupt_row)? < page
        };
        let entries = rows.iter().cloned().map(Waiting::try_from).collect::<Result<Vec<_>, _>>()?;
        let read: Read = rows
            .into_iter()
            .map(|row| Ok((BookingId::new(row.booking.id).map_err(corrupt_row)?, row)))
            .collect::<Result<_, RepoError>>()?;
        let mut waiting = Line::new(free, overtake_limit, entries, complete);
        match decide(&mut waiting, &read) {
            Ok(decided) => return Ok((decided, waiting, read)),
            Err(DecideError::ReadMore(_)) if !complete => page = page.max(FIRST_PAGE / 4) * 4,
            Err(DecideError::ReadMore(_)) => {
                return Err(corrupt_row(Inconsistent("the whole line was read and more was asked for")));
            }
            Err(DecideError::Repo(e)) => return Err(e),
        }
    }
}

/// Why a decision over the line stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum DecideError {
    #[error(transparent)]
    ReadMore(#[from] ReadMore),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The bookings a transaction has read and what it makes of them, the event's counters'
/// changes, and each step that led there with who caused it (its history): written by
/// [`Ledger::write`] in one statement, which sets the deadlines of the offers it makes.
#[derive(Debug)]
pub(super) struct Ledger {
    /// What the bookings the line serves become: offered, or confirmed.
    served_as: BookingStatus,
    known: HashMap<i64, Rewrite>,
    changed: BTreeMap<i64, Rewrite>,
    counters: Counters,
    deadlines: HashMap<i64, DateTime<Utc>>,
    /// Who causes the steps recorded from now on.
    cause: Cause,
    steps: Steps,
}

impl Ledger {
    /// A ledger for an event promoting the bookings its line serves as `promotion` says, its
    /// steps caused by `cause`.
    pub(super) fn new(promotion: Promotion, cause: Cause) -> Self {
        Self {
            served_as: promotion.served_status(),
            known: HashMap::new(),
            changed: BTreeMap::new(),
            counters: Counters::default(),
            deadlines: HashMap::new(),
            cause,
            steps: Steps::default(),
        }
    }

    /// The steps from now on are `cause`'s (a batch's next request).
    pub(super) fn caused_by(&mut self, cause: Cause) {
        self.cause = cause;
    }

    fn step(&mut self, id: i64, change: Change) -> Result<(), RepoError> {
        self.steps.push(id, change, &self.cause)
    }

    /// A booking as read, before any change.
    pub(super) fn know(&mut self, row: &LineEntryRow) -> Result<(), RepoError> {
        let status = row.booking.status.parse::<BookingStatus>().map_err(corrupt_row)?;
        let rewrite = Rewrite {
            id: row.booking.id,
            status: status.as_str(),
            quantity: row.booking.quantity,
            overtaken: row.overtaken,
        };
        self.known.entry(rewrite.id).or_insert(rewrite);
        Ok(())
    }

    fn current(&self, id: i64) -> Result<Rewrite, RepoError> {
        self.changed
            .get(&id)
            .or_else(|| self.known.get(&id))
            .copied()
            .ok_or_else(|| corrupt_row(Inconsistent("a change to a booking that was not read")))
    }

    fn update(&mut self, id: i64, change: impl FnOnce(&mut Rewrite)) -> Result<(), RepoError> {
        let mut booking = self.current(id)?;
        change(&mut booking);
        self.changed.insert(id, booking);
        Ok(())
    }

    /// A booking cancelled.
    pub(super) fn cancel(&mut self, booking: &Booking) -> Result<(), RepoError> {
        self.end(booking, BookingStatus::Cancelled)
    }

    /// A live booking ended as `status` (cancelled, or an offer declined): one holding seats
    /// gives them back, a waiting one leaves the line.
    pub(super) fn end(&mut self, booking: &Booking, status: BookingStatus) -> Result<(), RepoError> {
        let seats = seats(booking.quantity.get())?;
        if booking.status.holds_seats() {
            self.counters.seats_taken -= seats;
        } else if booking.status == BookingStatus::Pending {
            self.counters.waiting -= 1;
            self.counters.seats_waiting -= seats;
        }
        self.step(booking.id.get(), Change::status(booking.status, status, booking.quantity.get()))?;
        self.update(booking.id.get(), |b| b.status = status.as_str())
    }

    /// A waiting booking now waits for `quantity` seats.
    pub(super) fn lower(&mut self, booking: BookingId, from: u32, to: u32) -> Result<(), RepoError> {
        self.counters.seats_waiting -= seats(from)? - seats(to)?;
        let quantity = seats(to)?;
        let change = Change {
            from: Some(BookingStatus::Pending),
            to: BookingStatus::Pending,
            quantity_before: from,
            quantity: to,
        };
        self.step(booking.get(), change)?;
        self.update(booking.get(), |b| b.quantity = quantity)
    }

    /// What the line's steps changed: the passed bookings' overtake counts, and the served
    /// ones ([`Ledger::served`]).
    pub(super) fn serve(&mut self, changes: &LineChanges) -> Result<(), RepoError> {
        self.passed(changes)?;
        self.served(&changes.served)
    }

    /// The passed bookings' overtake counts, as the line's steps left them.
    pub(super) fn passed(&mut self, changes: &LineChanges) -> Result<(), RepoError> {
        for &(booking, count) in &changes.overtaken {
            let count = i32::try_from(count).map_err(corrupt_row)?;
            self.update(booking.get(), |b| b.overtaken = count)?;
        }
        Ok(())
    }

    /// Waiting bookings served, in the order served: confirmed or offered, their seats taken
    /// from the free ones and out of the line.
    pub(super) fn served(&mut self, served: &[BookingId]) -> Result<(), RepoError> {
        let served_as = self.served_as;
        for booking in served {
            let now = self.current(booking.get())?;
            self.counters.seats_taken += now.quantity;
            self.counters.waiting -= 1;
            self.counters.seats_waiting -= now.quantity;
            let quantity = u32::try_from(now.quantity).map_err(corrupt_row)?;
            self.step(booking.get(), Change::status(BookingStatus::Pending, served_as, quantity))?;
            self.update(booking.get(), |b| b.status = served_as.as_str())?;
        }
        Ok(())
    }

    /// The changes to the event's counters so far.
    pub(super) const fn counters(&self) -> Counters {
        self.counters
    }

    /// The bookings and seats waiting once the changes so far are written, on `event` as locked:
    /// the place a booking joining the line now takes.
    pub(super) fn line_after(&self, event: &LockedEventRow) -> (i64, i64) {
        (
            i64::from(event.waiting + self.counters.waiting),
            i64::from(event.seats_waiting + self.counters.seats_waiting),
        )
    }

    /// The bookings `served`, from the entries read, as [`Ledger::write`] left them: confirmed
    /// or offered with their deadlines, with the seats the ledger has them hold (a booking
    /// served by its lowered quantity holds that, not what was read).
    pub(super) fn promoted(&self, served: &[BookingId], read: &Read) -> Result<Vec<Booking>, RepoError> {
        served
            .iter()
            .map(|id| {
                let row =
                    read.get(id).ok_or_else(|| corrupt_row(Inconsistent("a served booking was not read")))?;
                let now = self.current(id.get())?;
                let mut booking = Booking::try_from(row.booking.clone())?;
                // As served, even if a later cancel of the same batch ended it.
                booking.status = self.served_as;
                booking.quantity = Quantity::new(i64::from(now.quantity)).map_err(corrupt_row)?;
                booking.offer_expires_at = self.deadlines.get(&id.get()).copied();
                Ok(booking)
            })
            .collect()
    }

    /// Writes every booking changed and the counters, in the transaction that read them, and
    /// keeps the deadlines of the offers made ([`Ledger::promoted`] reads them).
    pub(super) async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        event: EventId,
    ) -> Result<(), RepoError> {
        if self.changed.is_empty() && self.counters == Counters::default() {
            return Ok(());
        }
        let bookings: Vec<Rewrite> = self.changed.values().copied().collect();
        let written =
            line::write(conn, event, &bookings, self.counters, &self.steps).await.map_err(from_diesel)?;
        if written.len() != bookings.len() {
            return Err(corrupt_row(Inconsistent("a booking the line's change read was not there to write")));
        }
        self.deadlines.extend(written.into_iter().filter_map(|row| Some((row.id, row.offer_expires_at?))));
        Ok(())
    }
}

fn seats(quantity: u32) -> Result<i32, RepoError> {
    i32::try_from(quantity).map_err(corrupt_row)
}
