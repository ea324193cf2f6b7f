use std::future::Future;

use crate::error::RepoError;

/// How the store's connections are used right now, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectionStats {
    /// Connections open, busy or idle.
    pub open: usize,
    /// Open connections nobody is using.
    pub idle: usize,
    /// The most the adapter will open.
    pub max: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

/// Whether the store answers, and how busy it is: what an operator's readiness probe and
/// dashboards need, without knowing which store it is.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait StoreHealth: Send + Sync + 'static {
    /// Asks the store a trivial question. Callers bound the wait themselves; implementations
    /// MUST NOT open a transaction here, so that abandoning the call leaves nothing behind.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when the store cannot be reached.
    fn ping(&self) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// The current use of connections; no I/O.
    fn connections(&self) -> ConnectionStats;
}
