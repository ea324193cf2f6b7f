//! Request and response bodies. Requests are parsed field by field into domain values, so
//! every bad field gets a message naming it, in the style of the original service's Joi
//! validator (`"eventId" is required`); responses are the original's shapes.

mod auth;
mod booking;
mod event;
mod fields;

pub use auth::{LoginRequest, LoginResponse, RegisterRequest, RegisterResponse};
pub use booking::{BookRequest, BookingResponse, CancelRequest};
pub use event::{InitializeRequest, InitializeResponse, StatusResponse};
pub use fields::parse_path_id;
