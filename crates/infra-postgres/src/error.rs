//! How database and pool failures become domain errors.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use domain::RepoError;

/// A failure inside a transaction: a business rule said no (roll back and report it), or the
/// database did. diesel-async needs `From<diesel::result::Error>` on the transaction's error,
/// which the orphan rule forbids on domain types, hence this adapter-local wrapper.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TxError<E> {
    #[error("refused by a business rule")]
    Rule(E),
    #[error(transparent)]
    Db(#[from] DieselError),
}

impl<E: From<RepoError>> TxError<E> {
    /// A stored row that does not parse, met inside a transaction: roll back and report it.
    pub(crate) fn stored(error: RepoError) -> Self {
        Self::Rule(error.into())
    }

    /// The domain error a failed transaction amounts to, once it has rolled back.
    pub(crate) fn settle(self) -> E {
        match self {
            Self::Rule(refused) => refused,
            Self::Db(e) => from_diesel(e).into(),
        }
    }
}

/// A store failure around the transaction's work (a failed `BEGIN` or `COMMIT` of
/// [`crate::PgStore::pinned`]), reported as the work's own error would be.
impl<E: From<RepoError>> From<RepoError> for TxError<E> {
    fn from(error: RepoError) -> Self {
        Self::Rule(error.into())
    }
}

/// Every way of not getting a connection is "try again later": the wait timed out, the server
/// refused or dropped the connection, or the pool is shutting down.
pub(crate) fn from_pool(error: PoolError) -> RepoError {
    match error {
        PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => {
            RepoError::Unavailable(Box::new(error))
        }
        PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => RepoError::Internal(Box::new(error)),
    }
}

/// Lost connections and server-side time limits are outages (503); anything else is a bug.
pub(crate) fn from_diesel(error: DieselError) -> RepoError {
    let unavailable = match &error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | DieselError::BrokenTransactionManager => true,
        // diesel does not expose the SQLSTATE of these; PostgreSQL's messages are stable.
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            [
                "statement timeout",
                "lock timeout",
                "terminating connection",
                "shutting down",
                "starting up",
                "recovery mode",
            ]
            .iter()
            .any(|marker| message.contains(marker))
        }
        _ => false,
    };
    if unavailable { RepoError::Unavailable(Box::new(error)) } else { RepoError::Internal(Box::new(error)) }
}

/// The constraint a statement violated, for the violations that carry business meaning.
pub(crate) fn violated_constraint(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation,
            info,
        ) => info.constraint_name(),
        _ => None,
    }
}

/// A stored row that no longer parses as a domain value: the schema and the code disagree.
pub(crate) fn corrupt_row(error: impl std::error::Error + Send + Sync + 'static) -> RepoError {
    RepoError::Internal(Box::new(error))
}

/// A database answer that breaks an invariant the code relies on.
#[derive(Debug, thiserror::Error)]
#[error("inconsistent database answer: {0}")]
pub(crate) struct Inconsistent(pub &'static str);
