use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

/// The calendar day an event takes place, shown as `YYYY-MM-DD`.
///
/// It may be given as that day, or as an instant — a date-time, or milliseconds since the Unix
/// epoch — of which it is the UTC calendar day (what clients that send `new Date()` mean, and
/// how the original service stored it). Past dates are allowed: the original accepted them and
/// its clients create them. Years run from 1 to 9999, so that every date is storable and shows
/// as four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventDate(NaiveDate);

/// Text or a number that is not a date this type takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a calendar date (YYYY-MM-DD), a date-time, or milliseconds since 1970 from year 1 to 9999: {0:?}"
)]
pub struct EventDateError(pub String);

impl EventDate {
    /// The earliest and latest days taken.
    const FIRST: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
        Some(day) => day,
        None => NaiveDate::MIN,
    };
    const LAST: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
        Some(day) => day,
        None => NaiveDate::MAX,
    };

    /// Parses `YYYY-MM-DD`, or an ISO 8601 date-time `YYYY-MM-DDTHH:MM[:SS[.fraction]]`
    /// followed by `Z`, an offset `±HH:MM`, or nothing (read as UTC), of which it takes the UTC
    /// day.
    ///
    /// # Errors
    /// [`EventDateError`] for any other shape, a day that does not exist (`2023-02-29`), or a
    /// year outside 1 to 9999.
    pub fn parse(raw: &str) -> Result<Self, EventDateError> {
        let refused = || EventDateError(raw.to_owned());
        let (day, time) = match raw.split_once('T') {
            Some((day, time)) => (day, Some(time)),
            None => (raw, None),
        };
        let shape_ok = day.len() == 10
            && day
                .bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(refused());
        }
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| refused())?;
        let date = match time {
            None => day,
            Some(time) => utc_day(day, time).ok_or_else(refused)?,
        };
        Self::within_range(date).ok_or_else(refused)
    }

    /// The UTC day of an instant given in milliseconds since 1970-01-01T00:00:00Z (negative:
    /// before it).
    ///
    /// # Errors
    /// [`EventDateError`] when that day's year is outside 1 to 9999.
    pub fn from_unix_millis(millis: i64) -> Result<Self, EventDateError> {
        DateTime::from_timestamp_millis(millis)
            .and_then(|instant| Self::within_range(instant.date_naive()))
            .ok_or_else(|| EventDateError(millis.to_string()))
    }

    /// A stored day; `None` outside the years taken.
    #[must_use]
    pub fn from_naive(date: NaiveDate) -> Option<Self> {
        Self::within_range(date)
    }

    #[must_use]
    /// The calendar day, for adapters that store dates.
    pub const fn naive(self) -> NaiveDate {
        self.0
    }

    fn within_range(date: NaiveDate) -> Option<Self> {
        (Self::FIRST..=Self::LAST).contains(&date).then_some(Self(date))
    }
}

/// The UTC day of `day` at `time`, where `time` is `HH:MM[:SS[.fraction]]` and an optional
/// `Z` or `±HH:MM`.
fn utc_day(day: NaiveDate, time: &str) -> Option<NaiveDate> {
    let (clock, offset) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, FixedOffset::east_opt(0)?)
    } else {
        match time.len().checked_sub(6).and_then(|at| time.get(at..).map(|tail| (at, tail))) {
            Some((at, tail)) if tail.starts_with(['+', '-']) && tail.as_bytes().get(3) == Some(&b':') => {
                let hours: i32 = tail.get(1..3)?.parse().ok()?;
                let minutes: i32 = tail.get(4..6)?.parse().ok()?;
                let seconds = (hours * 60 + minutes) * 60;
                let offset = if tail.starts_with('-') {
                    FixedOffset::west_opt(seconds)?
                } else {
                    FixedOffset::east_opt(seconds)?
                };
                (time.get(..at)?, offset)
            }
            _ => (time, FixedOffset::east_opt(0)?),
        }
    };
    let digits_ok = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    let mut parts = clock.splitn(3, ':');
    let (hours, minutes) = (parts.next()?, parts.next()?);
    let seconds = parts.next();
    let seconds_ok = seconds.is_none_or(|s| {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
        digits_ok(whole) && !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit())
    });
    if !digits_ok(hours) || !digits_ok(minutes) || !seconds_ok {
        return None;
    }
    let time = match seconds {
        None => NaiveTime::parse_from_str(clock, "%H:%M").ok()?,
        Some(_) => NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").ok()?,
    };
    let local = NaiveDateTime::new(day, time);
    let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    Some(utc.date())
}

impl fmt::Display for EventDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: &str) -> Result<String, EventDateError> {
        EventDate::parse(raw).map(|d| d.to_string())
    }

    #[test]
    fn a_calendar_date_round_trips_through_text() {
        assert_eq!(shown("2021-12-31"), Ok("2021-12-31".to_owned()));
        assert_eq!(shown("0001-01-01"), Ok("0001-01-01".to_owned()));
    }

    #[test]
    fn a_day_that_does_not_exist_is_rejected() {
        assert!(EventDate::parse("2023-02-29").is_err());
        assert!(EventDate::parse("2024-02-29").is_ok());
    }

    #[test]
    fn a_date_time_gives_its_utc_day() {
        assert_eq!(shown("2027-05-20T00:00:00.000Z"), Ok("2027-05-20".to_owned()));
        assert_eq!(shown("2027-05-20T23:30:00-05:00"), Ok("2027-05-21".to_owned()));
        assert_eq!(shown("2027-05-20T01:00+05:30"), Ok("2027-05-19".to_owned()));
        assert_eq!(shown("2027-05-20T10:00"), Ok("2027-05-20".to_owned()), "no offset: UTC");
        assert_eq!(shown("2027-05-20T10:00:59.123456Z"), Ok("2027-05-20".to_owned()));
    }

    #[test]
    fn milliseconds_since_the_epoch_give_their_utc_day() {
        assert_eq!(EventDate::from_unix_millis(0).map(|d| d.to_string()), Ok("1970-01-01".to_owned()));
        assert_eq!(
            EventDate::from_unix_millis(1_779_235_200_000).map(|d| d.to_string()),
            Ok("2026-05-20".to_owned())
        );
        assert_eq!(EventDate::from_unix_millis(-1).map(|d| d.to_string()), Ok("1969-12-31".to_owned()));
        assert!(EventDate::from_unix_millis(i64::MAX).is_err());
        assert!(EventDate::from_unix_millis(253_402_300_800_000).is_err(), "year 10000");
    }

    #[test]
    fn other_shapes_and_years_outside_one_to_9999_are_rejected() {
        for raw in [
            "2021-1-5",
            "31-12-2021",
            "",
            "abcd-ef-gh",
            "0000-01-01",
            "2027-05-20T",
            "2027-05-20T25:00Z",
            "2027-05-20T10Z",
            "2027-05-20T10:00:00.Z",
            "2027-05-20T10:00+5:00",
            "2027-05-20 10:00:00",
            "2027-05-20t10:00z",
            "9999-12-31T23:00:00-05:00",
            "May 20, 2027",
        ] {
            assert!(EventDate::parse(raw).is_err(), "{raw} was accepted");
        }
    }
}
