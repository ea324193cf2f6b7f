use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{Api, Reply};
use crate::concurrency;
use crate::provision::{self, Buyer, Provisioning};
use crate::stats::PhaseReport;

/// Reads of the lists: `GET /events` pages, walked by their cursors, and `GET /me/bookings`,
/// from `concurrency` clients for `duration`, half of them each.
#[derive(Debug, Clone, Copy)]
pub struct ListLoad {
    pub concurrency: usize,
    pub duration: Duration,
    /// Events to create beforehand: enough that walking them takes several pages.
    pub events: usize,
}

#[derive(Debug)]
pub struct ListRun {
    pub events_phase: PhaseReport,
    pub bookings_phase: PhaseReport,
}

/// How many readers of `/me/bookings` get an account (each with a booking for every event).
const READERS: usize = 8;
/// Events each reader books, so that their lists are a few pages long.
const BOOKED_PER_READER: usize = 30;

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: ListLoad, provisioning: Provisioning<'_>) -> anyhow::Result<ListRun> {
    let run = provision::run_id();
    let organizer =
        provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one()).await?.remove(0);
    let readers: Arc<[Buyer]> =
        provision::buyers(api, &format!("{run}-reader"), READERS, provisioning).await?.into();
    let mut events = Vec::with_capacity(cfg.events);
    for _ in 0..cfg.events {
        events.push(provision::event(api, &organizer, 1_000).await?);
    }
    for (i, reader) in readers.iter().enumerate() {
        for event in events.iter().take(BOOKED_PER_READER) {
            let booked =
                api.post(i, "/book", &serde_json::json!({"eventId": event}), Some(&reader.token)).await;
            anyhow::ensure!(booked.is(201), "provisioning a booking: {:?} {}", booked.status, booked.body);
        }
    }

    let started = Instant::now();
    let deadline = started + cfg.duration;
    let client = api.clone();
    let per_worker = concurrency::run(cfg.concurrency, cfg.concurrency, move |worker| {
        let (client, readers) = (client.clone(), readers.clone());
        async move {
            let (mut events_replies, mut bookings_replies): (Vec<Reply>, Vec<Reply>) =
                (Vec::new(), Vec::new());
            let mut cursor: Option<String> = None;
            let mut n = worker;
            while Instant::now() < deadline {
                if worker % 2 == 0 {
                    let path = cursor
                        .as_ref()
                        .map_or_else(|| "/events".to_owned(), |c| format!("/events?after={c}"));
                    let reply = client.get(n, &path).await;
                    cursor = reply.body["nextCursor"].as_str().map(str::to_owned);
                    events_replies.push(reply);
                } else {
                    let reader = &readers[n % readers.len()];
                    let path = cursor
                        .as_ref()
                        .map_or_else(|| "/me/bookings".to_owned(), |c| format!("/me/bookings?after={c}"));
                    let reply = client.get_as(n, &path, &reader.token).await;
                    cursor = reply.body["nextCursor"].as_str().map(str::to_owned);
                    bookings_replies.push(reply);
                }
                n += 1;
            }
            (events_replies, bookings_replies)
        }
    })
    .await?;
    let elapsed = started.elapsed();
    Ok(ListRun {
        events_phase: PhaseReport::from_replies(
            "GET /events",
            per_worker.iter().flat_map(|(e, _)| e),
            elapsed,
        ),
        bookings_phase: PhaseReport::from_replies(
            "GET /me/bookings",
            per_worker.iter().flat_map(|(_, b)| b),
            elapsed,
        ),
    })
}
