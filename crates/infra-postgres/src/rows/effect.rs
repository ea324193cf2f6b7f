//! The effects kept with idempotency keys, as JSON: the rows the effect's values were read
//! from (or would be), tagged by kind, so that a replay decodes through the same conversions —
//! and the same domain checks — as any read.

use domain::idempotency::Effect;
use domain::session::TokenGeneration;
use domain::webhook::Webhook;
use domain::{
    Availability, Booking, BookingOutcome, BookingView, Cancellation, Declination, Event, EventCancellation,
    EventChange, QuantityChange, RepoError, SignedIn, User, WaitlistPosition,
};
use serde::{Deserialize, Serialize};

use super::{AvailabilityRow, BookingRow, EventRow, UserRow, WebhookRow};
use crate::error::{Inconsistent, corrupt_row};

/// One effect, as stored.
#[derive(Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
enum StoredEffect {
    Booked {
        booking: BookingRow,
        place: Option<(u64, u64)>,
    },
    Cancelled {
        cancelled: BookingRow,
        promoted: Vec<BookingRow>,
    },
    QuantityChanged {
        booking: BookingRow,
        place: Option<(u64, u64)>,
        replaced: Option<BookingRow>,
        promoted: Vec<BookingRow>,
    },
    OfferAccepted {
        booking: BookingRow,
    },
    OfferDeclined {
        declined: BookingRow,
        promoted: Vec<BookingRow>,
    },
    EventCreated {
        event: EventRow,
    },
    EventChanged {
        event: AvailabilityRow,
        promoted: Vec<BookingRow>,
    },
    EventCalledOff {
        event: AvailabilityRow,
        cancelled_bookings: u64,
    },
    Registered {
        user: UserRow,
    },
    PasswordChanged {
        user: UserRow,
        token_generation: u32,
    },
    LoggedOut,
    /// No secret: a replay reads it from the webhook (`store::idempotency`). Keys written
    /// before kept one; migration 21 took it out.
    WebhookCreated {
        webhook: WebhookRow,
    },
}

/// `effect` as the JSON the key's row keeps.
///
/// # Errors
/// [`RepoError::Internal`] if it cannot be written (it always can: every part is plain data).
pub(crate) fn encode_effect(effect: &Effect) -> Result<String, RepoError> {
    let stored = match effect {
        Effect::Booked(outcome) => StoredEffect::Booked {
            booking: booking_row(outcome.booking()),
            place: match outcome {
                BookingOutcome::Confirmed(_) => None,
                BookingOutcome::Waitlisted { position, seats_ahead, .. } => {
                    Some((position.get(), *seats_ahead))
                }
            },
        },
        Effect::Cancelled(c) => StoredEffect::Cancelled {
            cancelled: booking_row(&c.cancelled),
            promoted: c.promoted.iter().map(booking_row).collect(),
        },
        Effect::QuantityChanged(change) => StoredEffect::QuantityChanged {
            booking: booking_row(&change.booking.booking),
            place: change.booking.position.map(WaitlistPosition::get).zip(change.booking.seats_ahead),
            replaced: change.replaced.as_ref().map(booking_row),
            promoted: change.promoted.iter().map(booking_row).collect(),
        },
        Effect::OfferAccepted(booking) => StoredEffect::OfferAccepted { booking: booking_row(booking) },
        Effect::OfferDeclined(d) => StoredEffect::OfferDeclined {
            declined: booking_row(&d.declined),
            promoted: d.promoted.iter().map(booking_row).collect(),
        },
        Effect::EventCreated(event) => StoredEffect::EventCreated { event: event_row(event, 0) },
        Effect::EventChanged(change) => StoredEffect::EventChanged {
            event: availability_row(&change.event),
            promoted: change.promoted.iter().map(booking_row).collect(),
        },
        Effect::EventCalledOff(c) => StoredEffect::EventCalledOff {
            event: availability_row(&c.event),
            cancelled_bookings: c.cancelled_bookings,
        },
        Effect::Registered(user) => StoredEffect::Registered { user: user_row(user) },
        Effect::PasswordChanged(signed_in) => StoredEffect::PasswordChanged {
            user: user_row(&signed_in.user),
            token_generation: signed_in.token_generation.get(),
        },
        Effect::LoggedOut => StoredEffect::LoggedOut,
        Effect::WebhookCreated(webhook, _) => StoredEffect::WebhookCreated { webhook: webhook_row(webhook) },
    };
    serde_json::to_string(&stored).map_err(|e| RepoError::Internal(Box::new(e)))
}

/// The effect a key's row keeps (a webhook creation without its secret, which the caller reads
/// from the webhook).
///
/// # Errors
/// [`RepoError::Internal`] for JSON that is not an effect, or values the domain refuses.
pub(crate) fn decode_effect(json: &str) -> Result<Effect, RepoError> {
    let stored: StoredEffect = serde_json::from_str(json).map_err(corrupt_row)?;
    Ok(match stored {
        StoredEffect::Booked { booking, place } => {
            let booking = Booking::try_from(booking)?;
            match place {
                None => Effect::Booked(BookingOutcome::Confirmed(booking)),
                Some((position, seats_ahead)) => {
                    let position = kept_position(position)?;
                    Effect::Booked(BookingOutcome::Waitlisted { booking, position, seats_ahead })
                }
            }
        }
        StoredEffect::Cancelled { cancelled, promoted } => Effect::Cancelled(Cancellation {
            cancelled: cancelled.try_into()?,
            promoted: bookings(promoted)?,
        }),
        StoredEffect::QuantityChanged { booking, place, replaced, promoted } => {
            let position = place.map(|(position, _)| kept_position(position)).transpose()?;
            Effect::QuantityChanged(QuantityChange {
                booking: BookingView {
                    booking: booking.try_into()?,
                    position,
                    seats_ahead: place.map(|(_, seats)| seats),
                },
                replaced: replaced.map(Booking::try_from).transpose()?,
                promoted: bookings(promoted)?,
            })
        }
        StoredEffect::OfferAccepted { booking } => Effect::OfferAccepted(booking.try_into()?),
        StoredEffect::OfferDeclined { declined, promoted } => Effect::OfferDeclined(Declination {
            declined: declined.try_into()?,
            promoted: bookings(promoted)?,
        }),
        StoredEffect::EventCreated { event } => Effect::EventCreated(event.try_into()?),
        StoredEffect::EventChanged { event, promoted } => {
            Effect::EventChanged(EventChange { event: event.try_into()?, promoted: bookings(promoted)? })
        }
        StoredEffect::EventCalledOff { event, cancelled_bookings } => {
            Effect::EventCalledOff(EventCancellation { event: event.try_into()?, cancelled_bookings })
        }
        StoredEffect::Registered { user } => Effect::Registered(user.try_into()?),
        StoredEffect::PasswordChanged { user, token_generation } => Effect::PasswordChanged(SignedIn {
            user: User::try_from(user)?,
            token_generation: TokenGeneration::new(token_generation),
        }),
        StoredEffect::LoggedOut => Effect::LoggedOut,
        StoredEffect::WebhookCreated { webhook } => Effect::WebhookCreated(Webhook::try_from(webhook)?, None),
    })
}

fn kept_position(position: u64) -> Result<WaitlistPosition, RepoError> {
    WaitlistPosition::new(position).ok_or_else(|| corrupt_row(Inconsistent("a kept place in line below 1")))
}

fn bookings(rows: Vec<BookingRow>) -> Result<Vec<Booking>, RepoError> {
    rows.into_iter().map(Booking::try_from).collect()
}

fn booking_row(booking: &Booking) -> BookingRow {
    BookingRow {
        id: booking.id.get(),
        event_id: booking.event.get(),
        user_id: booking.user.get(),
        status: booking.status.as_str().to_owned(),
        quantity: i32::try_from(booking.quantity.get()).unwrap_or(i32::MAX),
        created_at: booking.created_at,
        offer_expires_at: booking.offer_expires_at,
    }
}

fn event_row(event: &Event, seats_taken: i32) -> EventRow {
    EventRow {
        id: event.id.get(),
        organizer_id: event.organizer.get(),
        name: event.name.as_str().to_owned(),
        description: event.description.as_str().to_owned(),
        date: event.date.naive(),
        location: event.location.as_str().to_owned(),
        ticket_limit: event.ticket_limit.get(),
        price_cents: event.price.cents(),
        seats_taken,
        status: event.status.as_str().to_owned(),
        max_per_booking: i32::try_from(event.seating.max_per_booking.get()).unwrap_or(i32::MAX),
        overtake_limit: i32::try_from(event.seating.overtake_limit.get()).unwrap_or(i32::MAX),
        offer_window_seconds: super::offer_window_column(event.seating.promotion),
    }
}

fn availability_row(availability: &Availability) -> AvailabilityRow {
    let limit = availability.event.ticket_limit.get();
    let free = i32::try_from(availability.tickets_available).unwrap_or(limit);
    AvailabilityRow {
        event: event_row(&availability.event, limit.saturating_sub(free)),
        waiting: i64::try_from(availability.waiting_list_count).unwrap_or(i64::MAX),
        seats_on_offer: i64::from(availability.seats_on_offer),
    }
}

fn user_row(user: &User) -> UserRow {
    UserRow {
        id: user.id.get(),
        email: user.email.as_str().to_owned(),
        first_name: user.first_name.as_str().to_owned(),
        last_name: user.last_name.as_str().to_owned(),
    }
}

fn webhook_row(webhook: &Webhook) -> WebhookRow {
    WebhookRow {
        id: webhook.id.get(),
        organizer_id: webhook.organizer.get(),
        url: webhook.url.as_str().to_owned(),
        kinds: webhook.kinds.as_ref().map(|kinds| kinds.iter().map(|k| k.as_str().to_owned()).collect()),
        event_id: webhook.event.map(domain::EventId::get),
        created_at: webhook.created_at,
        disabled_at: webhook.disabled_at,
        consecutive_failures: i32::try_from(webhook.failures).unwrap_or(i32::MAX),
        paused_until: webhook.paused_until,
    }
}
