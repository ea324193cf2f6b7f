use crate::ids::UserId;

/// Who made a change: a user (a booking's holder, or anyone acting on their own booking), the
/// event's organizer, or the system (an offer's deadline passing, and what the line then does
/// with its seats when no request made the change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A user acting as a customer.
    User(UserId),
    /// The event's organizer.
    Organizer(UserId),
    /// Nobody: the clock, through a sweeper or the next write.
    System,
    /// A user other than the one reading, who is not theirs to know: what a holder reads of
    /// another user's change to their booking (a cancel that promoted it). Never stored.
    AnotherUser,
}

impl Actor {
    /// `caller` as the organizer when they organise the event, else as a user.
    #[must_use]
    pub fn of(caller: UserId, organizer: UserId) -> Self {
        if caller == organizer { Self::Organizer(caller) } else { Self::User(caller) }
    }

    /// The stored word for the kind of actor.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::User(_) | Self::AnotherUser => "user",
            Self::Organizer(_) => "organizer",
            Self::System => "system",
        }
    }

    /// The acting user, if a user acted.
    #[must_use]
    pub const fn id(self) -> Option<UserId> {
        match self {
            Self::User(id) | Self::Organizer(id) => Some(id),
            Self::System | Self::AnotherUser => None,
        }
    }

    /// The actor stored as `kind` and `id`; `None` when they do not make one.
    #[must_use]
    pub fn parse(kind: &str, id: Option<UserId>) -> Option<Self> {
        match (kind, id) {
            ("user", Some(id)) => Some(Self::User(id)),
            ("organizer", Some(id)) => Some(Self::Organizer(id)),
            ("system", None) => Some(Self::System),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_round_trips_through_its_kind_and_id() {
        let user = UserId::new(3).unwrap();
        for actor in [Actor::User(user), Actor::Organizer(user), Actor::System] {
            assert_eq!(Actor::parse(actor.kind(), actor.id()), Some(actor));
        }
        assert_eq!(Actor::parse("system", Some(user)), None);
        assert_eq!(Actor::parse("user", None), None);
        assert_eq!(Actor::of(user, user), Actor::Organizer(user));
        assert_eq!(Actor::of(user, UserId::new(4).unwrap()), Actor::User(user));
    }
}
