//! The audit trail's answers: history entries, and the integrity check's report.

use chrono::SecondsFormat;
use domain::UserId;
use domain::history::HistoryEntry;
use domain::history::integrity::{CheckResult, IntegrityReport};
use serde::Serialize;
use utoipa::ToSchema;

/// One change, as recorded in its transaction. Ids only: who acted, on which booking, in which
/// request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntryBody {
    /// Within an event, entries' ids increase in commit order.
    pub id: i64,
    pub event_id: i64,
    /// The event's commit order: the version its change's transaction wrote.
    pub event_version: i64,
    /// `null` for a change to the event itself.
    pub booking_id: Option<i64>,
    /// `user`, `organizer` or `system` (an offer's deadline passing).
    #[schema(pattern = "^(user|organizer|system)$")]
    pub actor: &'static str,
    /// The acting user; `null` for the system, and in a holder's view of their booking for a
    /// user other than them (whose cancel promoted it, say).
    pub actor_id: Option<i64>,
    /// `booked`, `waitlisted`, `promoted`, `offered`, `accepted`, `declined`, `expired`,
    /// `cancelled`, `quantity_changed`, `deadline_moved`, `limit_changed`, `event_cancelled`,
    /// `created`, or `imported` (a booking as it stood when history began to be kept).
    pub action: &'static str,
    /// The booking's status before (`null` for a new booking and the event's own entries).
    pub from_status: Option<&'static str>,
    /// The booking's status after.
    pub to_status: Option<&'static str>,
    /// The booking's seats after.
    pub quantity: Option<u32>,
    /// What the change did to the event's seats taken.
    pub seats_change: i64,
    /// What it did to the number of bookings waiting.
    pub waiting_change: i64,
    /// What it did to the seats waited for.
    pub waiting_seats_change: i64,
    /// The ticket limit in force after the change.
    pub ticket_limit: u32,
    /// The overtake limit in force after the change.
    pub overtake_limit: u32,
    /// The offer's deadline (RFC 3339), on entries that make, answer, end or move an offer.
    pub offer_expires_at: Option<String>,
    /// The `x-request-id` of the request that made the change; `null` for the system's, and in a
    /// holder's view for every change not theirs.
    pub request_id: Option<String>,
    /// When, by the database's clock (RFC 3339).
    pub at: String,
}

impl From<HistoryEntry> for HistoryEntryBody {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            id: entry.id.get(),
            event_id: entry.event.get(),
            event_version: entry.event_version,
            booking_id: entry.booking.map(|b| b.get()),
            actor: entry.actor.kind(),
            actor_id: entry.actor.id().map(UserId::get),
            action: entry.action.as_str(),
            from_status: entry.from.map(|s| s.as_str()),
            to_status: entry.to.map(|s| s.as_str()),
            quantity: entry.quantity,
            seats_change: entry.deltas.seats,
            waiting_change: entry.deltas.waiting,
            waiting_seats_change: entry.deltas.waiting_seats,
            ticket_limit: entry.ticket_limit,
            overtake_limit: entry.overtake_limit,
            offer_expires_at: entry
                .offer_expires_at
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            request_id: entry.request.map(|r| r.to_string()),
            at: entry.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        }
    }
}

/// `GET /bookings/{id}/history`: the booking's entries, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingHistoryResponse {
    pub entries: Vec<HistoryEntryBody>,
}

/// `GET /events/{id}/history`: a page of the event's entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventHistoryResponse {
    pub entries: Vec<HistoryEntryBody>,
    /// Give it as `after` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One check of `GET /events/{id}/integrity`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityCheckBody {
    /// `seats_taken`, `seats_held`, `waiting`, `waiting_seats`, `ticket_limit`, `sale_status`,
    /// `within_limit`, `state_machine`, `serving_order` or `offer_deadlines`.
    pub name: &'static str,
    pub ok: bool,
    /// What the history says (for the checks over bookings' paths: 0 offending bookings).
    pub expected: i64,
    /// What the store holds (for those checks: how many bookings offend).
    pub actual: i64,
    /// The bookings that break the check.
    pub booking_ids: Vec<i64>,
}

impl From<CheckResult> for IntegrityCheckBody {
    fn from(check: CheckResult) -> Self {
        Self {
            name: check.name,
            ok: check.ok,
            expected: check.expected,
            actual: check.actual,
            booking_ids: check.bookings.into_iter().map(|b| b.get()).collect(),
        }
    }
}

/// `GET /events/{id}/integrity`: every check over one snapshot of the event's counters,
/// bookings and history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityResponse {
    pub event_id: i64,
    /// Whether every check held.
    pub ok: bool,
    pub checks: Vec<IntegrityCheckBody>,
}

impl From<IntegrityReport> for IntegrityResponse {
    fn from(report: IntegrityReport) -> Self {
        Self {
            event_id: report.event.get(),
            ok: report.ok(),
            checks: report.checks.into_iter().map(IntegrityCheckBody::from).collect(),
        }
    }
}
