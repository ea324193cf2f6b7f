//! The service's own integrity check after a scenario: each of its events' history replayed against
//! its counters and its bookings ([`domain::history::integrity`]), each in one snapshot, read
//! through the adapter that wrote it — what `ticketing check` runs.

use domain::ports::Audit as _;
use infra_postgres::{PgStore, PoolSettings, pool};
use serde::Serialize;

/// What the check found over the whole database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryCheck {
    /// Events checked.
    pub events: usize,
    /// Their history entries, archived or not.
    pub entries: usize,
    /// One line per failed check: the event, the check, expected and found, the bookings.
    pub failures: Vec<String>,
}

/// The newest event's id (0 with none): a scenario's events are those after it.
///
/// # Errors
/// When the database cannot be queried.
pub async fn last_event(database_url: &str) -> anyhow::Result<i64> {
    let store = store(database_url)?;
    Ok(store.audited_events().await?.last().map_or(0, |id| id.get()))
}

fn store(database_url: &str) -> anyhow::Result<PgStore> {
    let settings = PoolSettings { max_size: 2, ..PoolSettings::default() };
    Ok(PgStore::new(pool::connect(database_url, &settings)?))
}

/// Checks every event of the database at `database_url` created after event `after` (the
/// scenario's: the ceilings' events, whose rows `bench/run.sh` writes by hand, have no history).
///
/// # Errors
/// When the database cannot be reached or read.
pub async fn check_since(database_url: &str, after: i64) -> anyhow::Result<HistoryCheck> {
    let store = store(database_url)?;
    let mut checked = HistoryCheck::default();
    for event in store.audited_events().await?.into_iter().filter(|id| id.get() > after) {
        let Some(trail) = store.audit_trail(event).await? else { continue };
        checked.events += 1;
        checked.entries += trail.entries.len();
        let report = domain::history::integrity::check(&trail);
        for check in report.violations() {
            let bookings: Vec<String> = check.bookings.iter().map(ToString::to_string).collect();
            checked.failures.push(format!(
                "history: event {event}: {} expected {}, found {} (bookings [{}])",
                check.name,
                check.expected,
                check.actual,
                bookings.join(", ")
            ));
        }
    }
    Ok(checked)
}

/// The actions the database's history holds, each once, for a test that wants to see a run
/// exercised them all.
///
/// # Errors
/// When the database cannot be queried.
pub async fn actions(database_url: &str) -> anyhow::Result<Vec<String>> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct Action {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let rows: Vec<Action> = diesel::sql_query(
        "SELECT DISTINCT action FROM (SELECT action FROM history UNION ALL SELECT action FROM history_archive) h",
    )
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.action).collect())
}
