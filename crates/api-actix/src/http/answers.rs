//! The answer to each effect a write can have: what its handler sends, and what a keyed
//! request's replay sends, rendered from the same stored effect by the same function — so a
//! replay follows today's wording (an upgrade that rewords a message rewords its replays too),
//! and carries no secret the store would have had to keep (a password change's replay is
//! answered with a freshly issued token of the same generation).
//!
//! Answers to requests without an effect (refusals, sign-ins) are stored as the inbound
//! adapter's own bytes ([`verbatim`]) and replayed as they were.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, web};
use domain::idempotency::{Effect, Recorded};
use serde::Serialize;

use crate::http::auth::Authenticator;
use crate::http::dto::{
    BookingResponse, CancelEventResponse, ChangeEventResponse, ChangeQuantityResponse, CreateWebhookResponse,
    DeclineResponse, InitializeResponse, LoginResponse, RegisterResponse, WebhookBody, presented_secret,
};
use crate::http::error::ApiError;

/// Renders effects; issues the token a password change answers with.
#[derive(Debug)]
pub struct Answers {
    auth: web::Data<Authenticator>,
}

impl Answers {
    /// Answers that issue tokens with `auth`.
    #[must_use]
    pub const fn new(auth: web::Data<Authenticator>) -> Self {
        Self { auth }
    }

    /// The answer to `effect`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the effect cannot be rendered (a stored value the API
    /// cannot show) or a token cannot be issued.
    pub fn render(&self, effect: Effect) -> Result<HttpResponse, ApiError> {
        match effect {
            Effect::Booked(outcome) => json(StatusCode::CREATED, &BookingResponse::from(outcome)),
            Effect::Cancelled(cancellation) => json(StatusCode::OK, &BookingResponse::from(cancellation)),
            Effect::QuantityChanged(change) => json(StatusCode::OK, &ChangeQuantityResponse::from(change)),
            Effect::OfferAccepted(booking) => json(StatusCode::OK, &BookingResponse::from(booking)),
            Effect::OfferDeclined(declination) => json(StatusCode::OK, &DeclineResponse::from(declination)),
            Effect::EventCreated(event) => json(
                StatusCode::CREATED,
                &InitializeResponse { message: "Event created successfully", event: event.try_into()? },
            ),
            Effect::EventChanged(change) => json(StatusCode::OK, &ChangeEventResponse::try_from(change)?),
            Effect::EventCalledOff(cancellation) => {
                json(StatusCode::OK, &CancelEventResponse::try_from(cancellation)?)
            }
            Effect::Registered(user) => json(StatusCode::CREATED, &RegisterResponse { user: user.into() }),
            Effect::PasswordChanged(signed_in) => {
                json(StatusCode::OK, &LoginResponse { token: self.auth.issue(&signed_in)? })
            }
            Effect::LoggedOut => Ok(HttpResponse::NoContent().finish()),
            Effect::WebhookCreated(webhook, secret) => json(
                StatusCode::CREATED,
                &CreateWebhookResponse {
                    webhook: WebhookBody::from(webhook),
                    secret: secret.as_ref().map(presented_secret),
                },
            ),
        }
    }

    /// The answer a replay of `recorded` gets.
    ///
    /// # Errors
    /// As [`Answers::render`] for an effect.
    pub fn replay(&self, recorded: Recorded) -> Result<HttpResponse, ApiError> {
        match recorded {
            Recorded::Effect(effect) => self.render(effect),
            Recorded::Verbatim(bytes) => Ok(from_verbatim(&bytes)),
        }
    }
}

fn json(status: StatusCode, body: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(body).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(with_json_body(status, body))
}

fn with_json_body(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let empty = body.is_empty();
    let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
    if !empty {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

/// An answer without an effect, as it is kept: its status as three digits, then its body.
#[must_use]
pub fn verbatim(status: StatusCode, body: &[u8]) -> Vec<u8> {
    let mut kept = status.as_str().as_bytes().to_vec();
    kept.extend_from_slice(body);
    kept
}

/// An answer kept by [`verbatim`] (a body, when there is one, is JSON).
fn from_verbatim(kept: &[u8]) -> HttpResponse {
    let (status, body) = kept.split_at(kept.len().min(3));
    let status = StatusCode::from_bytes(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_json_body(status, body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_kept_answer_comes_back_with_its_status_and_body() {
        for (status, body) in
            [(StatusCode::NOT_FOUND, &br#"{"error":"x"}"#[..]), (StatusCode::NO_CONTENT, b"")]
        {
            let response = from_verbatim(&verbatim(status, body));
            assert_eq!(response.status(), status);
            let bytes = actix_web::body::to_bytes(response.into_body()).await.unwrap();
            assert_eq!(&bytes[..], body);
        }
        assert_eq!(from_verbatim(b"9").status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
