//! Request and response bodies. Requests are parsed field by field into domain values, so
//! every bad field gets a message naming it, in the style of the original service's Joi
//! validator (`"eventId" is required`); responses are the original's shapes.

mod auth;
mod booking;
mod event;
mod fields;
mod history;
mod listing;
mod notification;
mod room;
mod webhook;

pub use fields::{original_path_id, parse_path_id};

pub use auth::{
    ChangePasswordRequest, LoginRequest, LoginResponse, RegisterRequest, RegisterResponse, UserBody,
};
pub use booking::{
    AttendeeBody, AttendeeListResponse, BookRequest, BookingBody, BookingDetailResponse, BookingListResponse,
    BookingResponse, CancelRequest, CancelTargetBody, ChangeQuantityRequest, ChangeQuantityResponse,
    DeclineResponse,
};
pub use event::{
    CancelEventResponse, ChangeEventRequest, ChangeEventResponse, EventBody, EventListResponse,
    InitializeRequest, InitializeResponse, StatusResponse,
};
pub use history::{BookingHistoryResponse, EventHistoryResponse, HistoryEntryBody, IntegrityResponse};
pub use listing::{
    BookingListParams, EventListParams, HistoryListParams, attempt_cursor, booking_cursor, event_cursor,
    history_cursor,
};
pub use notification::{
    NotificationBody, NotificationListParams, NotificationListResponse, after_id, notification_json,
};
pub use room::{
    AdmissionBody, ChangeWaitingRoomRequest, PlaceBody, RoomBody, RoomStatusBody, WaitingRoomRequest,
};
pub use webhook::{
    CreateWebhookRequest, CreateWebhookResponse, DeliveryAttemptBody, DeliveryListParams,
    DeliveryListResponse, WebhookBody, WebhookListResponse, presented_secret,
};
