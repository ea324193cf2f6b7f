//! The bounded scenarios. Each provisions what it needs, times only the phase it measures, and
//! returns what the verification needs.

pub mod churn;
pub mod hotdrop;
pub mod list;
pub mod status;

use std::collections::BTreeMap;

use crate::api::Api;
use crate::report::Report;
use crate::{sql, verify};

/// A scenario and its parameters.
#[derive(Debug, Clone, Copy)]
pub enum Scenario {
    Hotdrop(hotdrop::Hotdrop),
    Churn(churn::Churn),
    Status(status::StatusLoad),
    List(list::ListLoad),
}

/// Runs a scenario and verifies what it left behind (by SQL too, given a database URL).
///
/// # Errors
/// When provisioning or the database check fails; broken invariants are in the report.
pub async fn execute(
    api: &Api,
    scenario: Scenario,
    database_url: Option<&str>,
    provision_concurrency: usize,
) -> anyhow::Result<Report> {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match scenario {
        Scenario::Hotdrop(cfg) => {
            let run = hotdrop::run(api, cfg, provision_concurrency).await?;
            let status = api.get(0, &format!("/status/{}", run.event)).await.body;
            let mut violations = verify::hotdrop(cfg.capacity, cfg.buyers, &run.replies, &status);
            if let Some(url) = database_url {
                let confirmed = usize::try_from(cfg.capacity).unwrap_or(usize::MAX).min(cfg.buyers);
                violations.extend(sql::check_event(url, run.event, confirmed, cfg.buyers - confirmed).await?);
            }
            Ok(Report {
                scenario: "hotdrop".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.capacity)),
                    ("buyers".to_owned(), count(cfg.buyers)),
                    ("concurrency".to_owned(), count(cfg.concurrency)),
                ]),
                phases: vec![run.phase],
                client_cpu_percent: None,
                violations,
            })
        }
        Scenario::Churn(cfg) => {
            let run = churn::run(api, cfg, provision_concurrency).await?;
            let mut violations = verify::hotdrop(
                cfg.drop.capacity,
                cfg.drop.buyers,
                &run.drop.replies,
                &run.status_after_drop,
            );
            violations.extend(verify::churn(
                &run.placed,
                &run.cancelled,
                &run.cancel_replies,
                &run.status_after,
                &run.rebook_replies,
            ));
            if let Some(url) = database_url {
                let confirmed = usize::try_from(cfg.drop.capacity).unwrap_or(usize::MAX).min(cfg.drop.buyers);
                let pending = (cfg.drop.buyers - confirmed).saturating_sub(run.cancelled.len());
                let holders = confirmed - run.cancelled.len().saturating_sub(cfg.drop.buyers - confirmed);
                violations.extend(sql::check_event(url, run.drop.event, holders, pending).await?);
            }
            Ok(Report {
                scenario: "churn".to_owned(),
                instances: api.instances(),
                parameters: BTreeMap::from([
                    ("capacity".to_owned(), u64::from(cfg.drop.capacity)),
                    ("buyers".to_owned(), count(cfg.drop.buyers)),
                    ("cancels".to_owned(), count(cfg.cancels)),
                    ("concurrency".to_owned(), count(cfg.drop.concurrency)),
                ]),
                phases: vec![run.drop.phase, run.cancel_phase],
                client_cpu_percent: None,
                violations,
            })
        }
        Scenario::List(cfg) => {
            let run = list::run(api, cfg, provision_concurrency).await?;
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
                violations: Vec::new(),
            })
        }
    }
}
