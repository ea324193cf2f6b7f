//! One Server-Sent Events stream: first what the client missed (read from the table), then
//! what the hub sends, a comment line every heartbeat so that proxies keep it open.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::web::Bytes;
use domain::notice::Notification;
use domain::ports::Notifications;
use domain::{Limit, NotificationId, UserId};
use futures_util::Stream;

use super::{FeedItem, Subscription};
use crate::http::dto::NotificationBody;
use crate::http::error::ApiError;

/// Notifications read from the table per catch-up query.
const CATCH_UP_PAGE: Limit = Limit::LARGEST;

/// How long a client waits before reconnecting (the `retry:` field).
const RECONNECT_MS: u32 = 2000;

struct State<N> {
    store: N,
    user: UserId,
    subscription: Subscription,
    /// The last id sent (or known to hold nothing for this user).
    cursor: i64,
    /// Read the table up to here before anything else.
    catch_up: Option<i64>,
    heartbeat: tokio::time::Interval,
    out: VecDeque<Bytes>,
}

/// The stream's body for `user`, resuming after `last_seen` (`None`: only what is new).
pub fn events<N: Notifications + Clone>(
    store: N,
    user: UserId,
    subscription: Subscription,
    last_seen: Option<NotificationId>,
    heartbeat: Duration,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    let start = subscription.start;
    let (cursor, catch_up) = match last_seen {
        Some(id) => (id.get(), Some(start)),
        None => (start, None),
    };
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        store,
        user,
        subscription,
        cursor,
        catch_up,
        heartbeat,
        out: VecDeque::from([Bytes::from(format!("retry: {RECONNECT_MS}\n: connected\n\n"))]),
    };
    futures_util::stream::unfold(state, next_chunk)
}

async fn next_chunk<N: Notifications>(mut state: State<N>) -> Option<(Result<Bytes, ApiError>, State<N>)> {
    loop {
        if let Some(chunk) = state.out.pop_front() {
            return Some((Ok(chunk), state));
        }
        if let Some(through) = state.catch_up.take() {
            if through > state.cursor {
                let after = NotificationId::new(state.cursor).ok();
                // A store failure ends the stream; the client resumes with Last-Event-ID.
                let page = state.store.feed(state.user, after, through, CATCH_UP_PAGE).await.ok()?;
                let full = page.len() >= usize::from(CATCH_UP_PAGE.get());
                for notification in page {
                    state.push(notification)?;
                }
                if full {
                    state.catch_up = Some(through);
                } else {
                    state.cursor = state.cursor.max(through);
                }
            }
            continue;
        }
        tokio::select! {
            item = state.subscription.items.recv() => match item? {
                FeedItem::Notification(notification) => {
                    if notification.id.get() > state.cursor {
                        state.push((*notification).clone())?;
                    }
                }
                FeedItem::CatchUp(through) => state.catch_up = Some(through),
            },
            _ = state.heartbeat.tick() => state.out.push_back(Bytes::from_static(b": keep-alive\n\n")),
        }
    }
}

impl<N> State<N> {
    /// Queues one event; `None` (ending the stream) if it cannot be rendered.
    fn push(&mut self, notification: Notification) -> Option<()> {
        let id = notification.id.get();
        let body = NotificationBody::try_from(notification).ok()?;
        let json = serde_json::to_string(&body).ok()?;
        self.out.push_back(Bytes::from(format!("id: {id}\nevent: {}\ndata: {json}\n\n", body.kind)));
        self.cursor = id;
        Some(())
    }
}
