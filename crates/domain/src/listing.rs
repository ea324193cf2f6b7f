//! What a list read asks for and gets: validated limits, filters and cursors, and pages.
//!
//! Lists are read with keyset pagination: a page ends with the sort key of its last item, and
//! the next page starts strictly after it, so a page costs the same however deep it is and an
//! item inserted meanwhile is neither skipped nor shown twice. The cursor's wire encoding is
//! the inbound adapter's business; here it is the typed sort key.

use std::fmt;

use crate::booking::BookingStatus;
use crate::event::{EventDate, EventStatus};
use crate::ids::{BookingId, EventId};

/// How many items a page may hold: 1 to [`Limit::MAX`], [`Limit::DEFAULT`] when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Limit(u8);

/// A limit outside `1..=100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a page holds 1 to {max} items, got {0}", max = Limit::MAX)]
pub struct LimitError(pub i64);

impl Limit {
    /// The largest page.
    pub const MAX: u8 = 100;
    /// The page size when none is asked for.
    pub const DEFAULT: Self = Self(20);
    /// The largest page, for readers that page through everything.
    pub const LARGEST: Self = Self(Self::MAX);

    /// # Errors
    /// [`LimitError`] outside `1..=100`.
    pub fn new(raw: i64) -> Result<Self, LimitError> {
        match u8::try_from(raw) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(LimitError(raw)),
        }
    }

    #[must_use]
    /// The number of items.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One page of a list, and where the next one starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// This page's items, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// The page from `limit + 1` items read in order: the extra one, if there, only says that
    /// another page follows, which starts after the last item kept.
    #[must_use]
    pub fn from_overfetch(mut items: Vec<T>, limit: Limit, cursor_of: impl Fn(&T) -> C) -> Self {
        let keep = usize::from(limit.get());
        let more = items.len() > keep;
        items.truncate(keep);
        let next = if more { items.last().map(cursor_of) } else { None };
        Self { items, next }
    }
}

/// Where a page of events, ordered by date then id, starts: strictly after this key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventCursor {
    /// The last event's date.
    pub date: EventDate,
    /// The last event's id.
    pub id: EventId,
}

/// Event dates to list, both ends inclusive; either end may be open. A range that ends before
/// it starts holds no day, as SQL's `BETWEEN` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    from: Option<EventDate>,
    to: Option<EventDate>,
}

impl DateRange {
    #[must_use]
    /// Events from `from` to `to`, both inclusive; either may be open.
    pub const fn new(from: Option<EventDate>, to: Option<EventDate>) -> Self {
        Self { from, to }
    }

    #[must_use]
    /// The first day, if bounded.
    pub const fn from(&self) -> Option<EventDate> {
        self.from
    }

    #[must_use]
    /// The last day, if bounded.
    pub const fn to(&self) -> Option<EventDate> {
        self.to
    }
}

/// Text to look for in events' names and locations, case-insensitively: trimmed, 1 to
/// [`SearchText::MAX_CHARS`] characters, printable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchText(String);

/// Why search text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SearchTextError {
    #[error("must not be empty")]
    /// Nothing but spaces.
    Empty,
    #[error("must be at least {} characters", SearchText::MIN_CHARS)]
    /// Fewer than [`SearchText::MIN_CHARS`] characters: such text matches too much to say
    /// anything, and no index of text pieces can serve it (a store would read every event).
    TooShort,
    #[error("must be at most {} characters", SearchText::MAX_CHARS)]
    /// More than [`SearchText::MAX_CHARS`] characters.
    TooLong,
    #[error("must not contain control characters")]
    /// A control character.
    Control,
}

impl SearchText {
    /// The longest search text.
    pub const MAX_CHARS: usize = 100;

    /// The shortest search text.
    pub const MIN_CHARS: usize = 3;

    /// # Errors
    /// [`SearchTextError`] for blank, overlong or control-character text.
    pub fn parse(raw: &str) -> Result<Self, SearchTextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Err(SearchTextError::Empty)
        } else if trimmed.chars().count() < Self::MIN_CHARS {
            Err(SearchTextError::TooShort)
        } else if trimmed.chars().count() > Self::MAX_CHARS {
            Err(SearchTextError::TooLong)
        } else if trimmed.chars().any(char::is_control) {
            Err(SearchTextError::Control)
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    #[must_use]
    /// The text, as matched.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SearchText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A page of events, by date then id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventQuery {
    /// Only events on these days.
    pub dates: DateRange,
    /// Only events whose name or location holds this, in any case.
    pub search: Option<SearchText>,
    /// Only events with this status.
    pub status: Option<EventStatus>,
    /// At most this many events.
    pub limit: Limit,
    /// Start strictly after this event (the previous page's cursor).
    pub after: Option<EventCursor>,
}

/// A page of bookings, by id (the order of each list is the port method's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookingQuery {
    /// Only bookings with this status.
    pub status: Option<BookingStatus>,
    /// At most this many bookings.
    pub limit: Limit,
    /// Start strictly after this booking (the previous page's cursor).
    pub after: Option<BookingId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_one_to_a_hundred() {
        assert_eq!(Limit::new(1).map(Limit::get), Ok(1));
        assert_eq!(Limit::new(100).map(Limit::get), Ok(100));
        for bad in [0, -1, 101, 1000, i64::MAX] {
            assert_eq!(Limit::new(bad), Err(LimitError(bad)));
        }
        assert_eq!(Limit::default().get(), 20);
    }

    #[test]
    fn an_overfetched_page_keeps_the_limit_and_points_after_its_last_item() {
        let limit = Limit::new(2).unwrap();
        let full = Page::from_overfetch(vec![1, 2, 3], limit, |n| *n);
        assert_eq!((full.items, full.next), (vec![1, 2], Some(2)));
        let last = Page::from_overfetch(vec![1, 2], limit, |n| *n);
        assert_eq!((last.items, last.next), (vec![1, 2], None));
        let empty = Page::from_overfetch(Vec::<i32>::new(), limit, |n| *n);
        assert_eq!(empty.next, None);
    }

    #[test]
    fn search_text_is_trimmed_bounded_and_printable() {
        assert_eq!(SearchText::parse("  rock ").map(|s| s.to_string()), Ok("rock".to_owned()));
        assert_eq!(SearchText::parse("   "), Err(SearchTextError::Empty));
        assert_eq!(SearchText::parse(" ny "), Err(SearchTextError::TooShort));
        assert!(SearchText::parse("nyc").is_ok());
        assert_eq!(SearchText::parse(&"x".repeat(101)), Err(SearchTextError::TooLong));
        assert_eq!(SearchText::parse("a\u{0}b"), Err(SearchTextError::Control));
    }
}
