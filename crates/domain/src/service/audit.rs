//! Reads of the audit trail that carry a rule: who may see a booking's history, and who may
//! read and check an event's.

use crate::booking::rules::may_read;
use crate::history::integrity::{self, IntegrityReport};
use crate::history::{Actor, HistoryEntry, HistoryError, HistoryQuery};
use crate::ids::{BookingId, EventId, HistoryId, UserId};
use crate::listing::Page;
use crate::ports::{Audit, Catalog};

/// A booking's history, oldest first, for its holder or its event's organizer. The holder
/// does not learn who else changed it, nor in which request: another user's doing reads as
/// [`Actor::AnotherUser`], and only the holder's own entries keep their request ids (the
/// organizer reads everything).
///
/// # Errors
/// [`HistoryError::BookingNotFound`] for an unknown booking and for one the caller may not see
/// alike; [`HistoryError::Repo`] when the store fails.
pub async fn booking_history(
    audit: &impl Audit,
    caller: UserId,
    booking: BookingId,
) -> Result<Vec<HistoryEntry>, HistoryError> {
    match audit.booking_history(booking).await? {
        Some((entries, _, organizer)) if caller == organizer => Ok(entries),
        Some((entries, holder, organizer)) if may_read(caller, holder, organizer) => {
            Ok(entries.into_iter().map(|entry| as_seen_by(caller, entry)).collect())
        }
        _ => Err(HistoryError::BookingNotFound(booking)),
    }
}

/// `entry` as `reader`, who is not the organizer, may read it.
fn as_seen_by(reader: UserId, mut entry: HistoryEntry) -> HistoryEntry {
    if entry.actor.id() != Some(reader) {
        entry.request = None;
        if matches!(entry.actor, Actor::User(_)) {
            entry.actor = Actor::AnotherUser;
        }
    }
    entry
}

/// A page of an event's history, newest first, for its organizer.
///
/// # Errors
/// [`HistoryError::EventNotFound`], [`HistoryError::NotOrganizer`], or [`HistoryError::Repo`]
/// when the store fails.
pub async fn event_history<S: Audit + Catalog>(
    store: &S,
    caller: UserId,
    event: EventId,
    query: HistoryQuery,
) -> Result<Page<HistoryEntry, HistoryId>, HistoryError> {
    if caller != super::organizer_of(store, event).await? {
        return Err(HistoryError::NotOrganizer { caller, event });
    }
    Ok(store.event_history(event, query).await?)
}

/// The integrity check of an event, for its organizer: every check over one snapshot of its
/// counters, bookings and history ([`integrity::check`]).
///
/// # Errors
/// [`HistoryError::EventNotFound`], [`HistoryError::NotOrganizer`], or [`HistoryError::Repo`]
/// when the store fails.
pub async fn integrity(
    audit: &impl Audit,
    caller: UserId,
    event: EventId,
) -> Result<IntegrityReport, HistoryError> {
    let trail = audit.audit_trail(event).await?.ok_or(HistoryError::EventNotFound(event))?;
    if caller != trail.organizer {
        return Err(HistoryError::NotOrganizer { caller, event });
    }
    Ok(integrity::check(&trail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Counted;
    use crate::history::integrity::AuditTrail;
    use crate::ports::MockAudit;

    fn user(n: i64) -> UserId {
        UserId::new(n).unwrap()
    }

    #[tokio::test]
    async fn a_booking_history_is_its_holders_and_organizers_only() {
        let booking = BookingId::new(7).unwrap();
        let mut audit = MockAudit::new();
        audit
            .expect_booking_history()
            .returning(|_| Box::pin(async { Ok(Some((Vec::new(), user(1), user(2)))) }));
        assert!(booking_history(&audit, user(1), booking).await.is_ok());
        assert!(booking_history(&audit, user(2), booking).await.is_ok());
        let stranger = booking_history(&audit, user(3), booking).await;
        assert!(matches!(stranger, Err(HistoryError::BookingNotFound(b)) if b == booking));
    }

    #[tokio::test]
    async fn only_the_organizer_checks_an_event_and_an_unknown_one_is_not_found() {
        let event = EventId::new(4).unwrap();
        let mut audit = MockAudit::new();
        audit.expect_audit_trail().returning(move |_| {
            Box::pin(async move {
                Ok(Some(AuditTrail {
                    event,
                    organizer: user(2),
                    ticket_limit: 10,
                    cancelled: false,
                    counters: Counted::default(),
                    bookings: Vec::new(),
                    entries: Vec::new(),
                }))
            })
        });
        assert!(integrity(&audit, user(2), event).await.is_ok_and(|r| r.ok()));
        assert!(matches!(integrity(&audit, user(1), event).await, Err(HistoryError::NotOrganizer { .. })));

        let mut empty = MockAudit::new();
        empty.expect_audit_trail().returning(|_| Box::pin(async { Ok(None) }));
        assert!(matches!(integrity(&empty, user(2), event).await, Err(HistoryError::EventNotFound(_))));
    }
}
