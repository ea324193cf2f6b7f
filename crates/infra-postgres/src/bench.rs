//! What measuring the service takes from the adapter. The service's own statements, for what
//! runs them outside it: the pgbench scripts of the database ceiling
//! (`examples/pgbench_scripts.rs`, `bench/run.sh`), and the tests that hold a booking's
//! transaction open or read a statement's plan; re-exported rather than copied, so that what is
//! measured is what the service runs. And accounts written straight into the database, for a
//! load run's set-up (`ticketing-load --database-url`).

use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub use crate::queries::bookings::{PLACE, TAKE_FREE_SEATS, TARGETS};
pub use crate::queries::events::{LIST_EVENTS, SEARCH_EVENTS};
pub use crate::queries::guard::{LOCK_EVENT, LOCK_EVENT_OF_BOOKING};
pub use crate::queries::line::{READ_LINE, WRITE_CHANGES};
pub use crate::queries::notices::WRITE_NOTICES;

/// One account per address in `$1`, every one with the same password hash `$2` and names `$3`
/// and `$4`: a stampede's accounts then cost one Argon2 hash in all, rather than one each on
/// the servers. Written in the addresses' order, so that their ids come out in it.
const WRITE_ACCOUNTS: &str = "\
INSERT INTO users (email, password_hash, first_name, last_name)
SELECT a.email, $2, $3, $4
FROM unnest($1::text[]) WITH ORDINALITY AS a(email, ord)
ORDER BY a.ord
RETURNING id";

/// Writes an account for each of `emails` (already in their stored form: lower-cased),
/// bypassing registration; returns their ids, the `i`-th for `emails[i]`.
///
/// # Errors
/// When the insert fails: an address already taken, or one the table's checks refuse.
pub async fn write_accounts(
    conn: &mut AsyncPgConnection,
    emails: &[String],
    first_name: &str,
    last_name: &str,
    password_hash: &str,
) -> QueryResult<Vec<i64>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let rows: Vec<Id> = diesel::sql_query(WRITE_ACCOUNTS)
        .bind::<Array<Text>, _>(emails)
        .bind::<Text, _>(password_hash)
        .bind::<Text, _>(first_name)
        .bind::<Text, _>(last_name)
        .load(conn)
        .await?;
    let mut ids: Vec<i64> = rows.into_iter().map(|row| row.id).collect();
    // RETURNING promises no order; the ids were drawn in the addresses' order.
    ids.sort_unstable();
    Ok(ids)
}
