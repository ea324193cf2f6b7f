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
