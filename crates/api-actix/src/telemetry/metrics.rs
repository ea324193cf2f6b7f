//! Prometheus metrics: requests by route pattern and status, booking outcomes, promotions and
//! the connection pool. The `metrics` facade records; the exporter renders the text format.

use std::sync::OnceLock;

use domain::ports::ConnectionStats;
use domain::room::{Admission, Room, RoomError, Standing};
use domain::webhook::Backlog;
use domain::{
    AnswerOfferError, BookError, Booking, BookingOutcome, CancelError, Cancellation, ChangeEventError,
    ChangeQuantityError, EventChange, QuantityChange,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: fine below 50 ms, where a healthy booking lands.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Delivery lag buckets in seconds: a healthy delivery lands well under a second.
const LAG_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0];

/// The process-wide recorder (a process has one, however many servers it starts).
#[must_use]
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".to_owned()),
                &LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("webhook_delivery_lag_seconds".to_owned()),
                    &LAG_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        // Install fails only if another recorder got there first; then this one still renders.
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        drop(metrics::set_global_recorder(recorder));
        handle
    })
}

/// One served request. Every label comes from a closed set: the method's label, the matched
/// route pattern (never the raw path), the status.
pub fn record_request(method: &'static str, route: &str, status: u16, seconds: f64) {
    let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
}

/// What a booking attempt came to.
pub fn record_booking(result: &Result<BookingOutcome, BookError>) {
    let outcome = match result {
        Ok(BookingOutcome::Confirmed(_)) => "confirmed",
        Ok(BookingOutcome::Waitlisted { .. }) => "waitlisted",
        Err(BookError::AlreadyBooked | BookError::AlreadyWaitlisted) => "duplicate",
        Err(BookError::EventNotFound(_) | BookError::UserNotFound(_)) => "not_found",
        Err(BookError::ForAnotherUser { .. }) => "forbidden",
        Err(BookError::EventCancelled(_)) => "event_cancelled",
        Err(BookError::QuantityOverMax { .. }) => "quantity_over_max",
        Err(BookError::QuantityOverLimit { .. }) => "quantity_over_limit",
        Err(BookError::Repo(_)) => "error",
    };
    metrics::counter!("bookings_total", "outcome" => outcome).increment(1);
}

/// A join of a waiting room: a new place or a repeat, and the room's numbers as it saw them.
pub fn record_join(room: &Room, new: bool) {
    metrics::counter!("queue_joins_total", "outcome" => if new { "new" } else { "repeat" }).increment(1);
    record_serving(room);
}

/// A room's serving number and how many joined it, as last seen by this instance.
pub fn record_serving(room: &Room) {
    let event = room.event.to_string();
    metrics::gauge!("queue_serving", "event" => event.clone()).set(u64_to_f64(room.serving_number()));
    metrics::gauge!("queue_joined", "event" => event).set(u64_to_f64(room.joined));
}

/// A request for an admission token: issued (the first for its place counts as an admission),
/// not yet, or too late.
pub fn record_admission(result: &Result<Result<Admission, (Room, Standing)>, RoomError>) {
    let outcome = match result {
        Ok(Ok(admission)) => {
            if admission.first {
                metrics::counter!("queue_admitted_total").increment(1);
            }
            "issued"
        }
        Ok(Err((room, _))) => {
            record_serving(room);
            "not_yet"
        }
        Err(RoomError::PlaceExpired) => {
            metrics::counter!("queue_places_expired_total").increment(1);
            "expired"
        }
        Err(RoomError::Repo(_)) => "error",
        Err(_) => "refused",
    };
    metrics::counter!("queue_token_requests_total", "outcome" => outcome).increment(1);
}

/// A cancellation, and the bookings it promoted from the line.
pub fn record_cancellation(result: &Result<Cancellation, CancelError>) {
    let outcome = match result {
        Ok(_) => "cancelled",
        Err(CancelError::AlreadyCancelled(_)) => "already_cancelled",
        Err(CancelError::BookingNotFound(_) | CancelError::NoLiveBooking(_)) => "not_found",
        Err(CancelError::NotAllowed(_)) => "forbidden",
        Err(CancelError::Repo(_)) => "error",
    };
    metrics::counter!("cancellations_total", "outcome" => outcome).increment(1);
    if let Ok(cancellation) = result {
        record_promotions(&cancellation.promoted);
    }
}

/// A waiting booking's quantity change, and the bookings the line was served with it.
pub fn record_quantity_change(result: &Result<QuantityChange, ChangeQuantityError>) {
    let outcome = match result {
        Ok(QuantityChange { replaced: Some(_), .. }) => "raised",
        Ok(_) => "lowered",
        Err(ChangeQuantityError::NotFound(_)) => "not_found",
        Err(ChangeQuantityError::NotWaiting(_)) => "not_waiting",
        Err(ChangeQuantityError::OverMax { .. }) => "quantity_over_max",
        Err(ChangeQuantityError::OverLimit { .. }) => "quantity_over_limit",
        Err(ChangeQuantityError::Repo(_)) => "error",
    };
    metrics::counter!("quantity_changes_total", "outcome" => outcome).increment(1);
    if let Ok(change) = result {
        record_promotions(&change.promoted);
    }
}

/// An answer to an offer (`answer`: accepted or declined), and whom a decline's seats served.
pub fn record_offer_answer<T>(
    answer: &'static str,
    result: &Result<T, AnswerOfferError>,
    promoted: &[Booking],
) {
    let outcome = match result {
        Ok(_) => answer,
        Err(AnswerOfferError::NotFound(_)) => "not_found",
        Err(AnswerOfferError::NotOffered(_)) => "not_offered",
        Err(AnswerOfferError::OfferExpired(_)) => "offer_expired",
        Err(AnswerOfferError::Repo(_)) => "error",
    };
    metrics::counter!("offer_answers_total", "outcome" => outcome).increment(1);
    record_promotions(promoted);
}

/// Offers the sweeper found lapsed and expired.
pub fn record_offers_expired(expired: u64) {
    metrics::counter!("offers_expired_total").increment(expired);
}

/// An event change, and the bookings a raised limit promoted from the line.
pub fn record_event_change(result: &Result<EventChange, ChangeEventError>) {
    if let Ok(change) = result {
        record_promotions(&change.promoted);
    }
}

/// Bookings the line was served: one promotion each.
fn record_promotions<T>(promoted: &[T]) {
    if !promoted.is_empty() {
        metrics::counter!("promotions_total").increment(u64::try_from(promoted.len()).unwrap_or(u64::MAX));
    }
}

/// A webhook delivery attempt's outcome: `delivered`, `failed` (to be retried), `given_up` or
/// `gone`.
pub fn webhook_delivery(outcome: &'static str) {
    metrics::counter!("webhook_deliveries_total", "outcome" => outcome).increment(1);
}

/// From a notification's commit to its receiver's 2xx.
pub fn webhook_lag(lag: std::time::Duration) {
    metrics::histogram!("webhook_delivery_lag_seconds").record(lag.as_secs_f64());
}

/// What waits to be delivered, as last sampled by a delivery worker.
pub fn webhook_backlog(backlog: Backlog) {
    metrics::gauge!("webhook_undelivered").set(u64_to_f64(backlog.undelivered));
    metrics::gauge!("webhook_oldest_undelivered_seconds").set(u64_to_f64(backlog.oldest_age_seconds));
}

/// A password hash refused for want of a slot: `queue_full` or `wait_expired`.
pub fn hashing_refused(reason: &'static str) {
    metrics::counter!("password_hashing_refused_total", "reason" => reason).increment(1);
}

/// A request refused with a 503 because `resource` (`password_hashing`, `database_pool`) had as
/// many waiting as it may: load, logged as a warning, counted here.
pub fn overload_refused(resource: &'static str) {
    metrics::counter!("overload_refusals_total", "resource" => resource).increment(1);
}

/// Streams of notifications this instance holds open.
pub fn notification_streams(open: usize) {
    metrics::gauge!("notification_streams_open").set(usize_to_f64(open));
}

/// A stream cut off because its reader fell too far behind.
pub fn notification_stream_dropped() {
    metrics::counter!("notification_streams_dropped_total").increment(1);
}

/// The text exposition, with the store's connections as they are now.
#[must_use]
pub fn render(connections: ConnectionStats) -> String {
    metrics::gauge!("db_pool_connections", "state" => "open").set(usize_to_f64(connections.open));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(usize_to_f64(connections.idle));
    metrics::gauge!("db_pool_connections", "state" => "max").set(usize_to_f64(connections.max));
    metrics::gauge!("db_pool_waiting_requests").set(usize_to_f64(connections.waiting));
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

fn u64_to_f64(n: u64) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

fn usize_to_f64(n: usize) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::{Booking, BookingId, BookingStatus, BookingView, EventId, Quantity, UserId};
    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::*;

    fn booking(id: i64, status: BookingStatus) -> Booking {
        Booking {
            id: BookingId::new(id).unwrap(),
            event: EventId::new(1).unwrap(),
            user: UserId::new(id).unwrap(),
            status,
            quantity: Quantity::new(2).unwrap(),
            created_at: Utc::now(),
            offer_expires_at: None,
        }
    }

    /// What `record` leaves in a recorder of its own (the process-wide one is shared by
    /// every test).
    fn recorded(record: impl FnOnce()) -> String {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, record);
        handle.render()
    }

    #[test]
    fn every_booking_the_line_serves_is_a_promotion() {
        let served = vec![booking(2, BookingStatus::Confirmed), booking(3, BookingStatus::Confirmed)];
        let text = recorded(|| {
            let cancellation =
                Cancellation { cancelled: booking(1, BookingStatus::Cancelled), promoted: served.clone() };
            record_cancellation(&Ok(cancellation));
            let view = BookingView {
                booking: booking(4, BookingStatus::Confirmed),
                position: None,
                seats_ahead: None,
            };
            let change = QuantityChange { booking: view, replaced: None, promoted: served[..1].to_vec() };
            record_quantity_change(&Ok(change));
            record_cancellation(&Ok(Cancellation {
                cancelled: booking(5, BookingStatus::Cancelled),
                promoted: vec![],
            }));
        });
        assert!(text.contains("promotions_total 3\n"), "{text}");
        assert!(text.contains("cancellations_total{outcome=\"cancelled\"} 2\n"), "{text}");
        assert!(text.contains("quantity_changes_total{outcome=\"lowered\"} 1\n"), "{text}");
    }

    #[test]
    fn refused_quantities_are_booking_outcomes_of_their_own() {
        let text = recorded(|| {
            record_booking(&Err(BookError::QuantityOverMax { max: 10 }));
            record_booking(&Err(BookError::QuantityOverLimit { limit: 5 }));
            record_booking(&Err(BookError::QuantityOverLimit { limit: 5 }));
        });
        assert!(text.contains("bookings_total{outcome=\"quantity_over_max\"} 1\n"), "{text}");
        assert!(text.contains("bookings_total{outcome=\"quantity_over_limit\"} 2\n"), "{text}");
    }
}
