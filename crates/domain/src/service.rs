//! The use cases, generic over the ports. Inbound adapters (HTTP, CLI) call these and nothing
//! else; the concrete port types are named once, where the application is wired.

mod account_service;
mod booking_service;
mod event_service;

pub use account_service::AccountService;
pub use booking_service::BookingService;
pub use event_service::EventService;
