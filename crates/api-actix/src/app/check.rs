//! `ticketing check`: the integrity check of one event or of every one, for an operator
//! (docs/OPERATIONS.md, "The integrity check"). Each event is checked in its own snapshot
//! ([`domain::ports::Audit::audit_trail`]); every check that fails is printed with what was
//! expected, what was found and the bookings that break it.

use std::fmt::Write as _;

use anyhow::Context;
use domain::EventId;
use domain::history::integrity::{self, IntegrityReport};
use domain::ports::Audit;

/// What a check of several events found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Events checked.
    pub events: usize,
    /// Those with a failed check, each with its report's lines.
    pub failed: Vec<String>,
}

/// Checks `event`, or every event, and describes every violation.
///
/// # Errors
/// When the store fails, or `event` does not exist.
pub async fn check(store: &impl Audit, event: Option<EventId>) -> anyhow::Result<Checked> {
    let events = match event {
        Some(id) => vec![id],
        None => store.audited_events().await.context("listing the events")?,
    };
    let mut checked = Checked::default();
    for id in events {
        let trail = store.audit_trail(id).await.with_context(|| format!("reading event {id}"))?;
        let trail = trail.with_context(|| format!("there is no event {id}"))?;
        let report = integrity::check(&trail);
        checked.events += 1;
        if !report.ok() {
            checked.failed.push(describe(&report));
        }
    }
    Ok(checked)
}

/// One line per failed check: `event 4: seats_taken: expected 12, found 11 (bookings 7, 9)`.
fn describe(report: &IntegrityReport) -> String {
    let mut lines = String::new();
    for check in report.violations() {
        let _ = write!(
            lines,
            "event {}: {}: expected {}, found {}",
            report.event, check.name, check.expected, check.actual
        );
        if !check.bookings.is_empty() {
            let ids: Vec<String> = check.bookings.iter().map(ToString::to_string).collect();
            let _ = write!(lines, " (bookings {})", ids.join(", "));
        }
        lines.push('\n');
    }
    lines
}

#[cfg(test)]
mod tests {
    use domain::BookingId;
    use domain::history::integrity::CheckResult;

    use super::*;

    #[test]
    fn a_failed_check_is_one_line_naming_the_event_the_numbers_and_the_bookings() {
        let report = IntegrityReport {
            event: EventId::new(4).unwrap(),
            checks: vec![
                CheckResult {
                    name: "seats_taken",
                    ok: false,
                    expected: 12,
                    actual: 11,
                    bookings: Vec::new(),
                },
                CheckResult { name: "waiting", ok: true, expected: 0, actual: 0, bookings: Vec::new() },
                CheckResult {
                    name: "state_machine",
                    ok: false,
                    expected: 0,
                    actual: 2,
                    bookings: vec![BookingId::new(7).unwrap(), BookingId::new(9).unwrap()],
                },
            ],
        };
        assert_eq!(
            describe(&report),
            "event 4: seats_taken: expected 12, found 11\nevent 4: state_machine: expected 0, found 2 (bookings 7, 9)\n"
        );
    }
}
