//! Telling whether connections reach PostgreSQL through a pooler that lends server connections
//! per transaction (PgBouncer's `pool_mode = transaction`, or per statement).
//!
//! It matters because tokio-postgres names prepared statements from a counter of its own
//! process: behind such a pooler a statement one instance prepared stays on a server connection
//! that the pooler then lends to another instance, whose statement of the same name then runs
//! as the first one's — with its parameters, on its tables. The service refuses to start that
//! way unless its statements are not kept prepared (`PoolSettings::prepared_statements`).
//!
//! PostgreSQL gives each session one backend for its whole life; a transaction pooler does
//! not. So two client connections are opened: the first asks for its backend's pid, the second
//! opens a transaction and asks for its own, and the first asks again while that transaction
//! holds its server connection. Connected directly (or through a session pooler) the first gets
//! its pid twice and the second another; a transaction pooler either lends the second the
//! server connection the first just gave back (PgBouncer's default reuses the most recently
//! freed one first) or gives the first another one the second time. A pooler that chose
//! otherwise three times running would go unnoticed: a heuristic, which is why the docs say to
//! set the option behind any transaction pooler rather than rely on it.

use diesel::QueryableByName;
use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Rounds of the check; any one of them that sees a backend change proves the pooler.
const ROUNDS: usize = 3;

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PoolerCheckError {
    #[error("could not connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    #[error("could not ask the database for its backend")]
    Query(#[source] diesel::result::Error),
}

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// Whether `database_url` reaches PostgreSQL through a pooler that lends server connections
/// per transaction (see the module's documentation for how, and its limits).
///
/// # Errors
/// [`PoolerCheckError`] when the database cannot be reached or asked.
pub async fn lends_per_transaction(database_url: &str) -> Result<bool, PoolerCheckError> {
    for _ in 0..ROUNDS {
        let mut first = connect(database_url).await?;
        let mut second = connect(database_url).await?;
        let before =
            first.transaction(async |conn| backend(conn).await).await.map_err(PoolerCheckError::Query)?;
        let (holder, after) = second
            .transaction(async |conn| {
                let holder = backend(conn).await?;
                let after = first.transaction(async |conn| backend(conn).await).await?;
                Ok::<_, diesel::result::Error>((holder, after))
            })
            .await
            .map_err(PoolerCheckError::Query)?;
        if holder == before || after != before {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A connection that leaves no statement prepared behind it, and asks only inside transactions.
async fn connect(database_url: &str) -> Result<AsyncPgConnection, PoolerCheckError> {
    crate::pool::establish_pinned(database_url).await.map_err(PoolerCheckError::Connect)
}

/// The pid of the backend serving `conn`; asked inside a transaction, so that even a transaction
/// pooler prepares and executes it on one server connection.
async fn backend(conn: &mut AsyncPgConnection) -> Result<i32, diesel::result::Error> {
    let row: Backend = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(conn).await?;
    Ok(row.pid)
}
