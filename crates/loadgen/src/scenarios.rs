//! The bounded scenarios. Each provisions what it needs, times only the phase it measures, and
//! returns what the verification needs.

pub mod churn;
pub mod hotdrop;
pub mod list;
pub mod login;
pub mod mixed;
pub mod offer_churn;
pub mod room;
pub mod status;

use std::collections::BTreeMap;

use crate::api::Api;
use crate::provision::Provisioning;
use crate::receiver::Arrival;
use crate::report::{OfferReport, Report, WebhookReport};
use crate::stats::{micros_to_ms, percentile};
use crate::{sql, verify};

/// A scenario and its parameters.
#[derive(Debug, Clone, Copy)]
pub enum Scenario {
    Hotdrop(hotdrop::Hotdrop),
    Churn(churn::Churn),
    OfferChurn(offer_churn::OfferChurn),
    Status(status::StatusLoad),
    List(list::ListLoad),
    Login(login::LoginLoad),
    Mixed(mixed::Mixed),
    Room(room::Room),
}

/// Runs a scenario and verifies what it left behind (by SQL too, given a database URL: then
/// the service's integrity check of every event the scenario created as well, whose failures
/// are violations).
///
/// # Errors
/// When provisioning or the database check fails; broken invariants are in the report.
pub async fn execute(
    api: &Api,
    scenario: Scenario,
    database_url: Option<&str>,
    provisioning: Provisioning<'_>,
) -> anyhow::Result<Report> {
    let before = match database_url {
        Some(url) => Some(sql::history::last_event(url).await?),
        None => None,
    };
    let mut report = run(api, scenario, database_url, provisioning).await?;
    if let (Some(url), Some(before)) = (database_url, before) {
        let history = sql::history::check_since(url, before).await?;
        report.violations.extend(history.failures.iter().cloned());
        report.history = Some(history);
    }
    Ok(report)
}

async fn run(
    api: &Api,
    scenario: Scenario,
    database_url: Option<&str>,
    provisioning: Provisioning<'_>,
) -> anyhow::Result<Report> {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match scenario {
        Scenario::Hotdrop(cfg) => {
            let run = hotdrop::run(api, cfg, provisioning).await?;
            let status = api.get(0, &format!("/status/{}", run.event)).await.body;
            let mut violations = verify::hotdrop(cfg.capacity, cfg.buyers, &run.replies, &status);
            if let Some(url) = database_url {
                let (placed, _) = verify::placed(&run.replies);
                let seated = placed.iter().filter(|p| p.confirmed).map(|p| p.quantity as usize).sum();
                let waiting = placed.iter().filter(|p| !p.confirmed).count();
                violations.extend(sql::check_event(url, run.event, seated, waiting).await?);
                let acknowledged = placed.iter().map(|p| p.booking).collect();
                violations.extend(sql::check_acknowledged(url, run.event, &acknowledged).await?);
            }
            Ok(Report {
                scenario: "hotdrop".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.capacity)),
                    ("buyers".to_owned(), count(cfg.buyers)),
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                    ("max_quantity".to_owned(), u64::from(cfg.max_quantity)),
                ]),
                phases: vec![run.phase],
                client_cpu_percent: None,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers: None,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::Room(cfg) => {
            let run = room::run(api, cfg, provisioning).await?;
            let (joins, admissions) = (run.joins(), run.admissions());
            let mut violations = verify::room::positions(&joins);
            violations.extend(verify::room::join_order(&joins));
            violations.extend(verify::room::tokens_match_places(&joins, &admissions));
            violations.extend(verify::room::admissions(&run.schedule, &admissions));
            violations.extend(run.unbooked());
            let (placed, malformed) = verify::placed_by(run.bookings());
            violations.extend(malformed);
            violations.extend(verify::seating(cfg.capacity, cfg.buyers, &placed, &run.status));
            if let Some(url) = database_url {
                let seated = placed.iter().filter(|p| p.confirmed).map(|p| p.quantity as usize).sum();
                let waiting = placed.iter().filter(|p| !p.confirmed).count();
                violations.extend(sql::check_event(url, run.event, seated, waiting).await?);
                let acknowledged = placed.iter().map(|p| p.booking).collect();
                violations.extend(sql::check_acknowledged(url, run.event, &acknowledged).await?);
            }
            Ok(Report {
                scenario: "room".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.capacity)),
                    ("buyers".to_owned(), count(cfg.buyers)),
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                    ("rate".to_owned(), u64::from(cfg.rate)),
                    ("start_in_ms".to_owned(), u64::try_from(cfg.start_in.as_millis()).unwrap_or(u64::MAX)),
                    ("max_poll_ms".to_owned(), u64::try_from(cfg.max_poll.as_millis()).unwrap_or(u64::MAX)),
                    // 0: every buyer at once, as fast as the clients are answered.
                    ("arrivals_per_second".to_owned(), cfg.arrivals.map_or(0, u64::from)),
                ]),
                room: Some(run.report(&placed)),
                phases: vec![run.join_phase, run.poll_phase, run.book_phase],
                client_cpu_percent: run.client_cpu_percent,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers: None,
                history: None,
                violations,
            })
        }
        Scenario::Churn(cfg) => {
            let run = churn::run(api, cfg, provisioning).await?;
            let mut violations = verify::hotdrop(
                cfg.drop.capacity,
                cfg.drop.buyers,
                &run.drop.replies,
                &run.status_after_drop,
            );
            violations.extend(verify::churn(
                cfg.drop.capacity,
                &run.placed,
                &run.cancelled,
                &run.cancel_replies,
                &run.status_after,
                &run.rebook_replies,
            ));
            let limit = usize::try_from(cfg.drop.capacity).unwrap_or(usize::MAX);
            let seats = |p: &[verify::Placed]| {
                p.iter().filter(|p| p.confirmed).map(|p| p.quantity as usize).sum::<usize>()
            };
            let free = limit.saturating_sub(seats(&run.placed)) + seats(&run.cancelled);
            let promoted = verify::expected_promotions(&run.placed, free);
            if let Some(url) = database_url {
                let promoted_seats: usize = run
                    .placed
                    .iter()
                    .filter(|p| promoted.contains(&p.booking))
                    .map(|p| p.quantity as usize)
                    .sum();
                let holders = seats(&run.placed) - seats(&run.cancelled) + promoted_seats;
                let pending = run.placed.iter().filter(|p| !p.confirmed).count() - promoted.len();
                violations.extend(sql::check_event(url, run.drop.event, holders, pending).await?);
                let acknowledged = run.placed.iter().map(|p| p.booking).collect();
                violations.extend(sql::check_acknowledged(url, run.drop.event, &acknowledged).await?);
            }
            let webhooks = run.arrivals.as_deref().map(|arrivals| webhook_report(arrivals, promoted.len()));
            if let Some(w) = &webhooks
                && w.promotions_received < w.promotions_expected
            {
                violations.push(format!(
                    "the webhook received {} of {} promotions",
                    w.promotions_received, w.promotions_expected
                ));
            }
            Ok(Report {
                scenario: "churn".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.drop.capacity)),
                    ("buyers".to_owned(), count(cfg.drop.buyers)),
                    ("cancels".to_owned(), count(cfg.cancels)),
                    ("concurrency".to_owned(), count(cfg.drop.concurrency)),
                    ("max_quantity".to_owned(), u64::from(cfg.drop.max_quantity)),
                ]),
                phases: vec![run.drop.phase.clone(), run.cancel_phase.clone()],
                client_cpu_percent: None,
                hashing_ceiling_per_s: None,
                webhooks,
                offers: None,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::OfferChurn(cfg) => {
            let run = offer_churn::run(api, cfg, provisioning).await?;
            let mut violations = verify::hotdrop(
                cfg.drop.capacity,
                cfg.drop.buyers,
                &run.drop.replies,
                &run.status_after_drop,
            );
            violations.extend(verify::cancels(&run.cancelled, &run.cancel_replies));
            violations.extend(verify::offers::offer_churn(
                &run.plan,
                &run.line,
                &run.accepts,
                &run.finals,
                &run.status_after,
            ));
            let mut offers = None;
            if let Some(url) = database_url {
                match sql::offers::ledger(url, run.drop.event).await? {
                    Some(ledger) => {
                        violations.extend(ledger.violations());
                        violations.extend(offer_totals(&ledger, &cfg, &run.plan, run.line.len()));
                        offers = Some(offer_report(&ledger));
                    }
                    None => violations.push(format!("database: event {} does not exist", run.drop.event)),
                }
                // The recount's I2–I4 too: one live booking per user, no seat left free that
                // the line would take, the line served (offered) in order.
                violations.extend(sql::check_invariants(url, run.drop.event).await?);
                let (placed, _) = verify::placed(&run.drop.replies);
                let acknowledged = placed.iter().map(|p| p.booking).collect();
                violations.extend(sql::check_acknowledged(url, run.drop.event, &acknowledged).await?);
            }
            Ok(Report {
                scenario: "offer-churn".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.drop.capacity)),
                    ("buyers".to_owned(), count(cfg.drop.buyers)),
                    ("cancels".to_owned(), count(cfg.cancels)),
                    ("lapses".to_owned(), count(cfg.lapses)),
                    ("window_seconds".to_owned(), u64::from(cfg.window_seconds)),
                    ("concurrency".to_owned(), count(cfg.drop.concurrency)),
                ]),
                phases: vec![run.drop.phase.clone(), run.cancel_phase.clone(), run.accept_phase.clone()],
                client_cpu_percent: None,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::List(cfg) => {
            let run = list::run(api, cfg, provisioning).await?;
            let violations = [&run.events_phase, &run.bookings_phase]
                .iter()
                .filter(|phase| phase.failures > 0 || phase.answers.keys().any(|status| status != "200"))
                .map(|phase| format!("{}: answers other than 200: {:?}", phase.name, phase.answers))
                .collect();
            Ok(Report {
                scenario: "list".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                    ("seconds".to_owned(), cfg.duration.as_secs()),
                    ("events".to_owned(), count(cfg.events)),
                ]),
                phases: vec![run.events_phase, run.bookings_phase],
                client_cpu_percent: None,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers: None,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::Login(cfg) => {
            let mut run = login::run(api, cfg, provisioning).await?;
            // A 503 with Retry-After is how a sign-in storm is meant to be answered beyond the
            // hashing slots: not a failure here; anything but 200 and 503 is.
            run.phase.failures = run
                .phase
                .answers
                .iter()
                .filter(|(s, _)| !matches!(s.as_str(), "200" | "503"))
                .map(|(_, n)| n)
                .sum();
            let violations = run
                .phase
                .answers
                .iter()
                .filter(|(status, _)| !matches!(status.as_str(), "200" | "503"))
                .map(|(status, n)| format!("login: {n} answer(s) {status}; only 200 and 503 may come"))
                .collect();
            Ok(Report {
                scenario: "login".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("users".to_owned(), count(cfg.users)),
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                ]),
                phases: vec![run.phase],
                client_cpu_percent: None,
                hashing_ceiling_per_s: Some(run.hashing_ceiling_per_s),
                webhooks: None,
                offers: None,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::Mixed(cfg) => {
            let run = mixed::run(api, cfg, provisioning).await?;
            let mut violations = run.unexpected.clone();
            violations.truncate(20);
            if run.unexpected.len() > violations.len() {
                violations.push(format!("… {} unexpected answers in all", run.unexpected.len()));
            }
            if let Some(url) = database_url {
                violations.extend(sql::check_invariants(url, run.event).await?);
            }
            Ok(Report {
                scenario: "mixed".to_owned(),
                instances: api.instances(),
                parameters: mixed::parameters(&cfg),
                phases: vec![run.phase],
                client_cpu_percent: None,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers: None,
                room: None,
                history: None,
                violations,
            })
        }
        Scenario::Status(cfg) => {
            let run = status::run(api, cfg).await?;
            Ok(Report {
                scenario: "status".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                    ("seconds".to_owned(), cfg.duration.as_secs()),
                ]),
                phases: vec![run.phase],
                client_cpu_percent: run.client_cpu_percent,
                hashing_ceiling_per_s: None,
                webhooks: None,
                offers: None,
                room: None,
                history: None,
                violations: Vec::new(),
            })
        }
    }
}

/// The totals the plan makes certain once every offer has played out: every seat confirmed
/// (the cancels' seats each reached someone who accepted), none left on offer, the planned
/// lapses expired, and the rest of the line still waiting.
fn offer_totals(
    ledger: &sql::offers::OfferLedger,
    cfg: &offer_churn::OfferChurn,
    plan: &verify::offers::OfferPlan,
    line: usize,
) -> Vec<String> {
    let expected = [
        ("seats confirmed", "CONFIRMED", i64::from(cfg.drop.capacity)),
        ("seats on offer", "OFFERED", 0),
        ("offers expired", "EXPIRED", i64::try_from(plan.lapses).unwrap_or(i64::MAX)),
        ("seats waiting", "PENDING", i64::try_from(line - plan.offered()).unwrap_or(i64::MAX)),
    ];
    expected
        .into_iter()
        .filter(|(_, status, n)| ledger.seats(status) != *n)
        .map(|(what, status, n)| format!("database: {n} {what} expected, {} found", ledger.seats(status)))
        .collect()
}

/// The offers of the ledger, and the deadline-to-next-offer percentiles.
fn offer_report(ledger: &sql::offers::OfferLedger) -> OfferReport {
    let (lags_us, without_next_offer) = ledger.deadline_to_next_offer_us();
    let ms = |p: f64| percentile(&lags_us, p).map_or(0.0, micros_to_ms);
    let offered = ledger.bookings.iter().map(|b| usize::try_from(b.offers).unwrap_or(0)).sum();
    let accepted =
        ledger.bookings.iter().filter(|b| b.status == "CONFIRMED" && b.deadline_us.is_some()).count();
    OfferReport {
        offered,
        accepted,
        expired: ledger.count("EXPIRED"),
        measured: lags_us.len(),
        without_next_offer,
        deadline_to_next_offer_p50_ms: ms(50.0),
        deadline_to_next_offer_p99_ms: ms(99.0),
        deadline_to_next_offer_max_ms: ms(100.0),
    }
}

/// Lags from each notification's `createdAt` to its first arrival.
fn webhook_report(arrivals: &[Arrival], promotions_expected: usize) -> WebhookReport {
    let mut first: BTreeMap<i64, (&Arrival, &str)> = BTreeMap::new();
    for arrival in arrivals {
        if let (Some(id), Some(kind)) = (arrival.body["id"].as_i64(), arrival.body["type"].as_str()) {
            first.entry(id).or_insert((arrival, kind));
        }
    }
    let mut lags_us: Vec<u128> = first
        .values()
        .filter_map(|(arrival, _)| {
            let created = arrival.body["createdAt"].as_str()?;
            let created = chrono::DateTime::parse_from_rfc3339(created).ok()?;
            let arrived = chrono::DateTime::<chrono::Utc>::from(arrival.at);
            u128::try_from((arrived - created.to_utc()).num_microseconds()?).ok()
        })
        .collect();
    lags_us.sort_unstable();
    let ms = |p: f64| percentile(&lags_us, p).map_or(0.0, micros_to_ms);
    WebhookReport {
        received: arrivals.len(),
        notifications: first.len(),
        promotions_received: first.values().filter(|(_, kind)| *kind == "booking.promoted").count(),
        promotions_expected,
        lag_p50_ms: ms(50.0),
        lag_p99_ms: ms(99.0),
        lag_max_ms: ms(100.0),
    }
}
