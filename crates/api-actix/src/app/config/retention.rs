//! How long what the service writes as it runs is kept: the webhooks' deliveries log, settled
//! deliveries, and notifications. Without limits they grow with every booking and every
//! attempt for as long as the service runs.

use std::time::Duration;

use domain::webhook::RetryPolicy;

use super::ConfigError;
use super::vars::{Vars, invalid};

/// The retention settings; the `Housekeeping` worker deletes what is older.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// `WEBHOOK_ATTEMPT_RETENTION`: how long a delivery attempt stays in its webhook's log;
    /// default 7 days.
    pub webhook_attempts: Duration,
    /// `WEBHOOK_DELIVERY_RETENTION`: how long a settled delivery (delivered or given up) is kept,
    /// from its notification; default 7 days.
    pub webhook_deliveries: Duration,
    /// `NOTIFICATION_RETENTION`: how long a notification stays in the feed (and reachable by a
    /// stream resuming with `Last-Event-ID`); default 30 days, and never less than the delivery
    /// retry window (24 h), so that no delivery outlives its notification. Notifications the
    /// delivery relay has not passed, and those a delivery still refers to, are kept whatever
    /// their age.
    pub notifications: Duration,
    /// `HISTORY_ARCHIVE_AFTER`: how long after its date an event's history moves to the
    /// archive table (out of the way of the table every booking writes to; every read and the
    /// integrity check still find it); default 90 days, in whole days.
    pub history_archive_after_days: u32,
}

/// A day.
const DAY: Duration = Duration::from_secs(86_400);

/// The longest `HISTORY_ARCHIVE_AFTER`, in days: beyond it the database's dates would overflow.
const MAX_ARCHIVE_DAYS: u32 = 36_500;

impl RetentionConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let notifications = vars.duration("NOTIFICATION_RETENTION", 30 * DAY)?;
        let window = RetryPolicy::with_base(Duration::from_secs(1)).keep_trying_for;
        if notifications < window {
            let reason = format!(
                "must be at least {}h, the window in which deliveries are retried",
                window.as_secs() / 3600
            );
            return Err(invalid("NOTIFICATION_RETENTION", &format!("{}s", notifications.as_secs()), &reason));
        }
        let archive_after = vars.duration("HISTORY_ARCHIVE_AFTER", 90 * DAY)?;
        let history_archive_after_days = u32::try_from(archive_after.as_secs() / DAY.as_secs())
            .ok()
            .filter(|&days| days <= MAX_ARCHIVE_DAYS)
            .ok_or_else(|| {
                let given = format!("{}s", archive_after.as_secs());
                invalid("HISTORY_ARCHIVE_AFTER", &given, "must be at most 100 years (36500d)")
            })?;
        Ok(Self {
            webhook_attempts: vars.duration("WEBHOOK_ATTEMPT_RETENTION", 7 * DAY)?,
            webhook_deliveries: vars.duration("WEBHOOK_DELIVERY_RETENTION", 7 * DAY)?,
            notifications,
            history_archive_after_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::app::config::tests::config;

    #[test]
    fn the_log_and_settled_deliveries_are_kept_a_week_and_notifications_a_month() {
        let retention = config(&[]).unwrap().retention;
        let days = |d: std::time::Duration| d.as_secs() / 86_400;
        assert_eq!(
            (
                days(retention.webhook_attempts),
                days(retention.webhook_deliveries),
                days(retention.notifications)
            ),
            (7, 7, 30)
        );
        assert_eq!(retention.history_archive_after_days, 90);
        let set = config(&[
            ("WEBHOOK_ATTEMPT_RETENTION", "2d"),
            ("NOTIFICATION_RETENTION", "36h"),
            ("HISTORY_ARCHIVE_AFTER", "30d"),
        ])
        .unwrap();
        assert_eq!(set.retention.history_archive_after_days, 30);
        let err = config(&[("HISTORY_ARCHIVE_AFTER", "36501d")]).unwrap_err();
        assert!(err.to_string().starts_with("HISTORY_ARCHIVE_AFTER is invalid"), "{err}");
        assert_eq!(set.retention.webhook_attempts.as_secs(), 2 * 86_400);
        assert_eq!(set.retention.notifications.as_secs(), 36 * 3600);
    }

    #[test]
    fn notifications_are_kept_at_least_as_long_as_deliveries_are_retried() {
        let err = config(&[("NOTIFICATION_RETENTION", "23h")]).unwrap_err();
        assert!(err.to_string().starts_with("NOTIFICATION_RETENTION is invalid"), "{err}");
        assert!(config(&[("NOTIFICATION_RETENTION", "24h")]).is_ok());
    }
}
