//! Live notifications: the streams this instance holds ([`FeedHub`]), each a Server-Sent
//! Events body ([`stream::events`]). A listener worker (`crate::app::workers`) follows the
//! outbox and fans new notifications out to them.
//!
//! Nothing is lost between the table and a stream: the listener reads from the table (a wake-up
//! only says "look"), a stream that connects or falls behind catches up from the table, and a
//! stream too slow to keep up is closed rather than buffered without end — its client resumes
//! with `Last-Event-ID`.

mod hub;
pub mod stream;

pub use hub::{FeedHub, FeedItem, MAX_STREAMS_PER_USER, SubscribeError, Subscription};
