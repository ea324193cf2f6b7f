use super::{Actor, RequestId};

/// Who made a change, and in which request: what each of its history entries records. A batch
/// of requests changes under one cause per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Who acted.
    pub actor: Actor,
    /// The request that acted, when one did and said its id.
    pub request: Option<RequestId>,
}

impl Cause {
    /// The clock: an offer's deadline passing, and what the line then does with its seats.
    #[must_use]
    pub const fn system() -> Self {
        Self { actor: Actor::System, request: None }
    }

    /// The request's id as text, for storage.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.request.as_ref().map(RequestId::as_str)
    }
}
