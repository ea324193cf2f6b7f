//! One Server-Sent Events stream: first what the client missed (read from the table), then
//! what the hub sends, a comment line every heartbeat so that proxies keep it open. It lives no
//! longer than the session that opened it: it ends, after a `session.ended` event saying why,
//! when its token expires, is logged out or is superseded by a password change (the instance's
//! revocations, kept current by its follower, are watched, so this happens on every instance
//! within the announcement's delay), or when its user opens too many others.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use chrono::Utc;
use domain::notice::Notification;
use domain::ports::{Notifications, Sessions};
use domain::session::IssuedToken;
use domain::{Limit, NotificationId, UserId};
use futures_util::Stream;
use tokio::sync::watch;

use super::{FeedItem, Subscription};
use crate::http::auth::RevocationRegistry;
use crate::http::dto::NotificationBody;
use crate::http::error::ApiError;

/// Notifications read from the table per catch-up query.
const CATCH_UP_PAGE: Limit = Limit::LARGEST;

/// How long a client waits before reconnecting (the `retry:` field).
const RECONNECT_MS: u32 = 2000;

/// The session a stream belongs to, and how to tell it has ended.
#[derive(Debug)]
pub struct Session {
    /// The token that opened the stream.
    pub token: IssuedToken,
    /// This instance's revocations.
    pub revocations: Arc<RevocationRegistry>,
}

/// Why a stream ended before its client left.
#[derive(Debug, Clone, Copy)]
enum Ended {
    Expired,
    Revoked,
    Superseded,
}

impl Ended {
    const fn reason(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Superseded => "superseded",
        }
    }
}

struct State<N> {
    store: N,
    user: UserId,
    subscription: Subscription,
    token: IssuedToken,
    revocations: Arc<RevocationRegistry>,
    changes: watch::Receiver<u64>,
    expires: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// Set once the closing event is queued: the stream ends after it is sent.
    ending: bool,
    /// The last id sent (or known to hold nothing for this user).
    cursor: i64,
    /// Read the table up to here before anything else.
    catch_up: Option<i64>,
    heartbeat: tokio::time::Interval,
    out: VecDeque<Bytes>,
}

/// The stream's body for `session`'s user, resuming after `last_seen` (`None`: only what is
/// new).
pub fn events<N: Notifications + Sessions + Clone>(
    store: N,
    session: Session,
    subscription: Subscription,
    last_seen: Option<NotificationId>,
    heartbeat: Duration,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    let Session { token, revocations } = session;
    let lifetime = (token.expires_at - Utc::now()).to_std().unwrap_or_default();
    let start = subscription.start;
    let (cursor, catch_up) = match last_seen {
        Some(id) => (id.get(), Some(start)),
        None => (start, None),
    };
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        store,
        user: token.user,
        subscription,
        token,
        changes: revocations.changes(),
        revocations,
        expires: Box::pin(tokio::time::sleep(lifetime)),
        ending: false,
        cursor,
        catch_up,
        heartbeat,
        out: VecDeque::from([Bytes::from(format!("retry: {RECONNECT_MS}\n: connected\n\n"))]),
    };
    futures_util::stream::unfold(state, next_chunk)
}

async fn next_chunk<N: Notifications + Sessions>(
    mut state: State<N>,
) -> Option<(Result<Bytes, ApiError>, State<N>)> {
    loop {
        if let Some(chunk) = state.out.pop_front() {
            return Some((Ok(chunk), state));
        }
        if state.ending {
            return None;
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
                FeedItem::Superseded => state.end(Ended::Superseded),
            },
            _ = state.heartbeat.tick() => state.out.push_back(Bytes::from_static(b": keep-alive\n\n")),
            () = &mut state.expires => state.end(Ended::Expired),
            changed = state.changes.changed() => {
                if changed.is_err() || !state.still_admitted().await {
                    state.end(Ended::Revoked);
                }
            }
        }
    }
}

impl<N: Sessions> State<N> {
    /// Whether the session may still act: this instance's copy of the revocations says, or,
    /// while that copy is not current, the store. A store that cannot answer ends the stream:
    /// its client reconnects, and is let in only if the session still stands.
    async fn still_admitted(&self) -> bool {
        match self.revocations.allows(&self.token) {
            Some(allowed) => allowed,
            None => self.store.admits(self.token).await.unwrap_or(false),
        }
    }
}

impl<N> State<N> {
    /// Queues the closing event; the stream ends once it is sent.
    fn end(&mut self, why: Ended) {
        let reason = why.reason();
        self.out
            .push_back(Bytes::from(format!("event: session.ended\ndata: {{\"reason\":\"{reason}\"}}\n\n")));
        self.ending = true;
    }

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
