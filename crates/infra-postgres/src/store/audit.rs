//! [`Audit`] for the store: the history the writes record, read back, and the integrity check's
//! snapshot — the event's counters, its bookings and its whole history in one `REPEATABLE READ
//! READ ONLY` transaction, so that what is compared was true at one moment.

use diesel_async::AsyncPgConnection;
use domain::history::integrity::{AuditTrail, StoredBooking};
use domain::history::{Counted, HistoryEntry, HistoryQuery, RequestId};
use domain::ports::{Audit, RequestScoped};
use domain::{BookingId, EventId, HistoryId, Page, RepoError, UserId};

use super::PgStore;
use crate::error::{TxError, corrupt_row, from_diesel};
use crate::queries::history;

impl Audit for PgStore {
    async fn booking_history(
        &self,
        booking: BookingId,
    ) -> Result<Option<(Vec<HistoryEntry>, UserId, UserId)>, RepoError> {
        let (readers, rows) = self
            .write(async |conn| {
                let Some(readers) = history::readers(conn, booking).await.map_err(from_diesel)? else {
                    return Ok::<_, RepoError>((None, Vec::new()));
                };
                Ok((Some(readers), history::of_booking(conn, booking).await.map_err(from_diesel)?))
            })
            .await?;
        let Some(readers) = readers else { return Ok(None) };
        let entries = rows.into_iter().map(HistoryEntry::try_from).collect::<Result<Vec<_>, _>>()?;
        let holder = UserId::new(readers.holder).map_err(corrupt_row)?;
        let organizer = UserId::new(readers.organizer).map_err(corrupt_row)?;
        Ok(Some((entries, holder, organizer)))
    }

    async fn event_history(
        &self,
        event: EventId,
        query: HistoryQuery,
    ) -> Result<Page<HistoryEntry, HistoryId>, RepoError> {
        let rows =
            self.write(async |conn| history::of_event(conn, event, query).await.map_err(from_diesel)).await?;
        let entries = rows.into_iter().map(HistoryEntry::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(entries, query.limit, |e| e.id))
    }

    async fn audit_trail(&self, event: EventId) -> Result<Option<AuditTrail>, RepoError> {
        let mut conn = self.writer().await?;
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run(async |conn| read_trail(conn, event).await.map_err(TxError::<RepoError>::Rule))
            .await
            .map_err(TxError::settle)
    }

    async fn audited_events(&self) -> Result<Vec<EventId>, RepoError> {
        let ids = self.write(async |conn| history::events(conn).await.map_err(from_diesel)).await?;
        ids.into_iter().map(|id| EventId::new(id).map_err(corrupt_row)).collect()
    }

    async fn archive_history(&self, days: u32, batch: usize) -> Result<usize, RepoError> {
        let days = i32::try_from(days).map_err(corrupt_row)?;
        let batch = i32::try_from(batch).map_err(corrupt_row)?;
        let moved =
            self.write(async |conn| history::archive(conn, days, batch).await.map_err(from_diesel)).await?;
        usize::try_from(moved).map_err(corrupt_row)
    }
}

/// Inside the snapshot: the event's counters, bookings and history.
async fn read_trail(conn: &mut AsyncPgConnection, event: EventId) -> Result<Option<AuditTrail>, RepoError> {
    let Some(row) = history::trail_event(conn, event).await.map_err(from_diesel)? else {
        return Ok(None);
    };
    let bookings = history::trail_bookings(conn, event).await.map_err(from_diesel)?;
    let entries = history::trail(conn, event).await.map_err(from_diesel)?;
    Ok(Some(AuditTrail {
        event,
        organizer: UserId::new(row.organizer_id).map_err(corrupt_row)?,
        ticket_limit: u32::try_from(row.ticket_limit).map_err(corrupt_row)?,
        cancelled: row.status == "CANCELLED",
        counters: Counted {
            seats: i64::from(row.seats_taken),
            waiting: i64::from(row.waiting),
            waiting_seats: i64::from(row.seats_waiting),
        },
        bookings: bookings.into_iter().map(StoredBooking::try_from).collect::<Result<_, _>>()?,
        entries: entries.into_iter().map(HistoryEntry::try_from).collect::<Result<_, _>>()?,
    }))
}

impl RequestScoped for PgStore {
    fn for_request(&self, request: RequestId) -> Self {
        Self { request: Some(request), ..self.clone() }
    }
}
