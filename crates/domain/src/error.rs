//! The storage failure every operation can meet, whatever the adapter.

/// A boxed cause, kept for the log; never shown to a client.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a repository could not answer, independent of the operation.
///
/// The split matters to callers: `Unavailable` is worth retrying later (the HTTP layer answers
/// 503 with `Retry-After`), `Internal` is a bug or a broken invariant (500).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The store could not be reached in time: pool exhausted, connection refused or lost,
    /// statement or lock timeout.
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// The store answered something this code did not expect.
    #[error("the database answered unexpectedly")]
    Internal(#[source] BoxError),
}

/// The store turned a request away rather than queue it: `waiting` requests already wait for
/// it. Adapters answer [`RepoError::Unavailable`] with this as its cause. It is load — the
/// clients asked for more than the store was given to serve — not a fault of the store, and
/// callers may tell the two apart (the HTTP layer logs it as a warning, a fault as an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{waiting} requests already wait for the store")]
pub struct Overloaded {
    /// How many requests were waiting when this one was turned away.
    pub waiting: usize,
}
