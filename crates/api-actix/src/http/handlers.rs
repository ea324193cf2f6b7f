//! One module per endpoint. A handler parses its body into a domain command, calls one
//! service method and maps the result: no SQL, no transaction, no business rule here. Each
//! carries its OpenAPI description (`utoipa::path`).

pub(crate) mod accept_offer;
pub(crate) mod admission_keys;
pub(crate) mod book;
pub(crate) mod booking;
pub(crate) mod booking_history;
pub(crate) mod cancel;
pub(crate) mod cancel_event;
pub(crate) mod change_event;
pub(crate) mod change_password;
pub(crate) mod change_quantity;
pub(crate) mod change_waiting_room;
pub(crate) mod create_webhook;
pub(crate) mod decline_offer;
pub(crate) mod delete_webhook;
pub(crate) mod event;
pub(crate) mod event_bookings;
pub(crate) mod event_history;
pub(crate) mod event_integrity;
pub(crate) mod initialize;
pub(crate) mod join_queue;
pub(crate) mod list_events;
pub(crate) mod list_webhooks;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod my_bookings;
pub(crate) mod notification_stream;
pub(crate) mod notifications;
pub(crate) mod operations;
pub(crate) mod queue_assets;
pub(crate) mod queue_place;
pub(crate) mod queue_status;
pub(crate) mod queue_token;
pub(crate) mod register;
pub(crate) mod remove_waiting_room;
pub(crate) mod set_waiting_room;
pub(crate) mod status;
pub(crate) mod webhook_deliveries;
