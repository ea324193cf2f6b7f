//! The churn in offer mode: an event whose freed seats are offered to the head of the line for
//! a window instead of given to it. A hot drop sells it out and fills the line; `cancels` seat
//! holders cancel at once, so the first `cancels` in line are offered a seat; those offered
//! accept, except every second one of the first `2 × lapses` in line, who lets the offer lapse
//! so that its seat is offered to the next in line once the deadline has passed
//! ([`OfferPlan`]). What is measured besides the cancels is how long a lapsed offer's seats
//! wait for their next offer, which the database alone can tell (see `sql::offers`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::hotdrop::{self, Hotdrop, HotdropRun};
use crate::api::{Api, Reply};
use crate::concurrency;
use crate::provision::{self, Provisioning};
use crate::stats::PhaseReport;
use crate::verify::offers::{self, OfferPlan};
use crate::verify::{self, Placed};

/// An offer churn's parameters; every buyer asks for one seat.
#[derive(Debug, Clone, Copy)]
pub struct OfferChurn {
    pub drop: Hotdrop,
    pub cancels: usize,
    /// Offers let lapse (fewer than `cancels`, or none).
    pub lapses: usize,
    /// How long an offer stands (the service accepts 10 s to a week).
    pub window_seconds: u32,
}

#[derive(Debug)]
pub struct OfferChurnRun {
    pub drop: HotdropRun,
    /// `/status` after the drop, before any cancel.
    pub status_after_drop: Value,
    /// The seat holders who cancelled, in the order of `cancel_replies`.
    pub cancelled: Vec<Placed>,
    pub cancel_replies: Vec<Reply>,
    pub cancel_phase: PhaseReport,
    pub plan: OfferPlan,
    /// The line after the drop, head first.
    pub line: Vec<Placed>,
    /// By place in line: the accept sent once the offer was seen, `None` where none was.
    pub accepts: Vec<Option<Reply>>,
    /// The accepts, timed from the first cancel to the last accept.
    pub accept_phase: PhaseReport,
    /// By place in line: the booking as its holder reads it once every offer has played out.
    pub finals: Vec<Reply>,
    /// `/status` at the end.
    pub status_after: Value,
}

/// How often someone who expects an offer reads their booking: the service notifies them too,
/// but a read is what the load generator can time without a stream per user. Well inside the
/// shortest window, so an accept is never late for want of a look.
const POLL: Duration = Duration::from_millis(250);

/// How many moments within [`POLL`] the watchers' reads are spread over.
const SLOTS: u32 = 25;

/// How long past the planned deadlines the watchers keep looking before giving up.
const SLACK: Duration = Duration::from_secs(30);

/// # Errors
/// When provisioning fails, or the drop leaves too few holders or too short a line for the plan.
pub async fn run(
    api: &Api,
    cfg: OfferChurn,
    provisioning: Provisioning<'_>,
) -> anyhow::Result<OfferChurnRun> {
    let run = provision::run_id();
    let organizer =
        provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one()).await?.remove(0);
    let buyers = Arc::new(provision::buyers(api, &run, cfg.drop.buyers, provisioning).await?);
    let event = provision::offer_event(api, &organizer, cfg.drop.capacity, cfg.window_seconds).await?;
    let (replies, phase) = hotdrop::book(api, cfg.drop, event, &buyers).await?;
    let drop = HotdropRun { event, organizer, buyers, replies, phase };
    let status_after_drop = api.get(0, &format!("/status/{event}")).await.body;

    let (placed, _) = verify::placed(&drop.replies);
    let line = offers::line(&placed);
    let plan = OfferPlan::new(cfg.cancels, cfg.lapses, line.len())?;
    let mut holders: Vec<Placed> = placed.iter().filter(|p| p.confirmed).cloned().collect();
    holders.sort_by_key(|p| p.booking);
    holders.truncate(cfg.cancels);
    anyhow::ensure!(
        holders.len() == cfg.cancels,
        "{} seat holders for {} cancels",
        holders.len(),
        cfg.cancels
    );

    // Those the seats will reach start looking before the first cancel, as people waiting do.
    let started = Instant::now();
    let patience = Duration::from_secs(u64::from(cfg.window_seconds))
        * u32::try_from(plan.rounds()).unwrap_or(u32::MAX)
        + SLACK;
    let watching = Arc::new(line.iter().take(plan.offered()).cloned().collect::<Vec<_>>());
    let (client, buyers, who) = (api.clone(), drop.buyers.clone(), watching.clone());
    let watchers = tokio::spawn(concurrency::run(watching.len(), watching.len(), move |place| {
        let (client, buyers, who) = (client.clone(), buyers.clone(), who.clone());
        async move {
            let booking = who.get(place)?;
            let token = buyers.get(booking.buyer)?.token.clone();
            let give_up = started + patience;
            watch(&client, place, booking.booking, &token, plan.lapses_at(place), give_up).await
        }
    }));

    let (client, buyers, targets) = (api.clone(), drop.buyers.clone(), Arc::new(holders.clone()));
    let cancel_replies = concurrency::run(targets.len(), cfg.drop.concurrency, move |i| {
        let (client, buyers, targets) = (client.clone(), buyers.clone(), targets.clone());
        async move {
            let target = targets.get(i);
            let token = target.and_then(|t| buyers.get(t.buyer)).map(|b| b.token.as_str());
            client.write(i, "/cancel", &json!({"id": target.map(|t| t.booking)}), token).await
        }
    })
    .await?;
    let cancel_phase = PhaseReport::from_replies("cancel", &cancel_replies, started.elapsed());
    let mut accepts = watchers.await??;
    let accept_phase = PhaseReport::from_replies("accept", accepts.iter().flatten(), started.elapsed());
    accepts.resize(line.len(), None);

    let (client, buyers, rows) = (api.clone(), drop.buyers.clone(), Arc::new(line.clone()));
    let finals = concurrency::run(line.len(), cfg.drop.concurrency, move |place| {
        let (client, buyers, rows) = (client.clone(), buyers.clone(), rows.clone());
        async move {
            let booking = rows.get(place).map_or(0, |p| p.booking);
            let token = rows.get(place).and_then(|p| buyers.get(p.buyer)).map_or("", |b| b.token.as_str());
            client.get_as(place, &format!("/bookings/{booking}"), token).await
        }
    })
    .await?;
    let status_after = api.get(0, &format!("/status/{event}")).await.body;
    Ok(OfferChurnRun {
        drop,
        status_after_drop,
        cancelled: holders,
        cancel_replies,
        cancel_phase,
        plan,
        line,
        accepts,
        accept_phase,
        finals,
        status_after,
    })
}

/// One waiting holder of `booking` reading it every [`POLL`] until it is offered, then
/// accepting — or, when `lapses`, leaving the offer to run out. `None` when no accept was sent:
/// a lapse, a booking that became something else, or no offer by `give_up`.
async fn watch(
    api: &Api,
    place: usize,
    booking: i64,
    token: &str,
    lapses: bool,
    give_up: Instant,
) -> Option<Reply> {
    let path = format!("/bookings/{booking}");
    // Spread over the interval, so that the watchers do not all ask (and hold a connection
    // each) at the same moment.
    tokio::time::sleep(POLL * (u32::try_from(place).unwrap_or(0) % SLOTS) / SLOTS).await;
    for n in place.. {
        let read = api.get_as(n, &path, token).await;
        match read.body["booking"]["status"].as_str() {
            Some("OFFERED") if lapses => return None,
            Some("OFFERED") => return Some(accept(api, n + 1, booking, token).await),
            Some("PENDING") | None if Instant::now() < give_up => tokio::time::sleep(POLL).await,
            _ => return None,
        }
    }
    None
}

/// `POST /bookings/{id}/accept`, sent as every write of the scenarios is.
async fn accept(api: &Api, n: usize, booking: i64, token: &str) -> Reply {
    api.write(n, &format!("/bookings/{booking}/accept"), &json!({}), Some(token)).await
}
