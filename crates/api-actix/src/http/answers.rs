//! The answer to each effect a write can have: what its handler sends, and what is stored with
//! the effect for a keyed request's replays. One function renders both, so a replay is the
//! first answer byte for byte.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, web};
use domain::BoxError;
use domain::idempotency::{Answerer, Effect, StoredAnswer};
use serde::Serialize;

use crate::http::auth::Authenticator;
use crate::http::dto::{
    BookingResponse, CancelEventResponse, ChangeEventResponse, CreateWebhookResponse, InitializeResponse,
    LoginResponse, RegisterResponse, WebhookBody, presented_secret,
};
use crate::http::error::ApiError;

/// Renders effects; issues the token a password change answers with.
#[derive(Debug)]
pub struct Answers {
    auth: web::Data<Authenticator>,
}

impl Answers {
    #[must_use]
    pub const fn new(auth: web::Data<Authenticator>) -> Self {
        Self { auth }
    }

    /// The handler's answer to `effect`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the effect cannot be rendered.
    pub fn respond(&self, effect: Effect<'_>) -> Result<HttpResponse, ApiError> {
        self.answer(effect).map(|answer| response(&answer)).map_err(ApiError::Internal)
    }
}

fn json(status: StatusCode, body: &impl Serialize) -> Result<StoredAnswer, BoxError> {
    Ok(StoredAnswer { status: status.as_u16(), body: serde_json::to_vec(body)? })
}

fn boxed(error: ApiError) -> BoxError {
    Box::new(error)
}

impl Answerer for Answers {
    fn answer(&self, effect: Effect<'_>) -> Result<StoredAnswer, BoxError> {
        match effect {
            Effect::Booked(outcome) => json(StatusCode::CREATED, &BookingResponse::from(outcome.clone())),
            Effect::Cancelled(cancellation) => {
                json(StatusCode::OK, &BookingResponse::from(cancellation.clone()))
            }
            Effect::EventCreated(event) => json(
                StatusCode::CREATED,
                &InitializeResponse {
                    message: "Event created successfully",
                    event: event.clone().try_into().map_err(boxed)?,
                },
            ),
            Effect::EventChanged(change) => {
                json(StatusCode::OK, &ChangeEventResponse::try_from(change.clone()).map_err(boxed)?)
            }
            Effect::EventCalledOff(cancellation) => {
                json(StatusCode::OK, &CancelEventResponse::try_from(cancellation.clone()).map_err(boxed)?)
            }
            Effect::Registered(user) => {
                json(StatusCode::CREATED, &RegisterResponse { user: user.clone().into() })
            }
            Effect::PasswordChanged(signed_in) => {
                json(StatusCode::OK, &LoginResponse { token: self.auth.issue(signed_in).map_err(boxed)? })
            }
            Effect::LoggedOut => {
                Ok(StoredAnswer { status: StatusCode::NO_CONTENT.as_u16(), body: Vec::new() })
            }
            Effect::WebhookCreated(webhook, secret) => json(
                StatusCode::CREATED,
                &CreateWebhookResponse {
                    webhook: WebhookBody::from(webhook.clone()),
                    secret: presented_secret(secret),
                },
            ),
        }
    }
}

/// An answer as an HTTP response: its status, and its body as JSON when it has one.
#[must_use]
pub fn response(answer: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, answer.body.clone()).map_into_boxed_body();
    if !answer.body.is_empty() {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}
