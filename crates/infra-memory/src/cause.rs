//! Who makes a change, and in which request: what each history entry of the change records.

use domain::history::{Actor, RequestId};

/// The actor and the request of one change.
#[derive(Debug, Clone)]
pub(crate) struct Cause {
    pub actor: Actor,
    pub request: Option<RequestId>,
}
