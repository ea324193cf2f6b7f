use chrono::{DateTime, Utc};

use crate::ids::{EventId, UserId};

/// What an admission token says, once its signature is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionClaims {
    /// The event it admits to.
    pub event: EventId,
    /// Whom it admits.
    pub user: UserId,
    /// The place it was issued for.
    pub position: u64,
    /// When it stops admitting.
    pub expires_at: DateTime<Utc>,
}

/// A token issued for a reached place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// What it says.
    pub claims: AdmissionClaims,
    /// When it was first issued: a repeat request gets the same times.
    pub issued_at: DateTime<Utc>,
    /// When the place was reached (the token is not valid before).
    pub reached_at: DateTime<Utc>,
    /// Whether this request is the one that first used the place.
    pub first: bool,
}

/// Why a booking on an event with a room was turned away.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// No admission token was sent.
    #[error("this event sells through its waiting room: an admission token is required")]
    Required,
    /// A token was sent that does not admit this user to this event now.
    #[error("the admission token is not valid for this user and event, or has expired")]
    Invalid,
    /// The store could not say whether the event has a room.
    #[error(transparent)]
    Repo(#[from] crate::RepoError),
}

/// Whether `user` may book `event` now, by the store's clock: always when the event has no
/// room; with one, only with a token for this user and event that has not expired. `token` is
/// `None` when none was sent and `Some(None)` when one was sent whose signature does not hold.
///
/// # Errors
/// [`AdmissionError`].
pub fn check_admission(
    has_room: bool,
    token: Option<Option<AdmissionClaims>>,
    event: EventId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), AdmissionError> {
    if !has_room {
        return Ok(());
    }
    match token {
        None => Err(AdmissionError::Required),
        Some(Some(claims)) if claims.event == event && claims.user == user && now < claims.expires_at => {
            Ok(())
        }
        Some(_) => Err(AdmissionError::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn a_room_needs_a_token_for_this_user_and_event_that_has_not_expired() {
        let (event, user, now) = (EventId::new(1).unwrap(), UserId::new(2).unwrap(), DateTime::UNIX_EPOCH);
        let good = AdmissionClaims { event, user, position: 3, expires_at: now + Duration::seconds(1) };
        assert!(check_admission(false, None, event, user, now).is_ok());
        assert!(check_admission(true, Some(Some(good)), event, user, now).is_ok());
        assert!(matches!(check_admission(true, None, event, user, now), Err(AdmissionError::Required)));
        let other_event = AdmissionClaims { event: EventId::new(9).unwrap(), ..good };
        let other_user = AdmissionClaims { user: UserId::new(9).unwrap(), ..good };
        let expired = AdmissionClaims { expires_at: now, ..good };
        for bad in [None, Some(other_event), Some(other_user), Some(expired)] {
            assert!(matches!(
                check_admission(true, Some(bad), event, user, now),
                Err(AdmissionError::Invalid)
            ));
        }
    }
}
