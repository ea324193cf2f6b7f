//! The public reads from a streaming replica, while it keeps up.
//!
//! How far behind a replica is must be measured, not asked: with replay paused,
//! `pg_stat_replication.replay_lag` still reads a fraction of a millisecond, and
//! `now() - pg_last_xact_replay_timestamp()` reads minutes on an idle primary. So a
//! [`ReplicaWatch`] samples the primary's WAL position (`pg_current_wal_lsn()`) and the replica's
//! replayed position (`pg_last_wal_replay_lsn()`) a few times per bound: the replica's lag is
//! the time since the primary first wrote something the replica has not replayed yet
//! ([`Behind`]), zero when it has replayed everything the primary wrote. Past the bound, or
//! when the replica cannot be asked, or is no longer in recovery (promoted, or not a replica at
//! all), the public reads go to the primary until a measurement says otherwise; a read that
//! fails on the replica is run again on the primary at once.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Int8, Nullable};
use diesel_async::AsyncPgConnection;
use domain::RepoError;

use super::{PgStore, admit};
use crate::error::from_diesel;
use crate::pool::PgPool;

/// The longest a probe of either server may take before the replica counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Primary positions remembered while the replica has not replayed them (a paused replica
/// under writes): at the fastest sampling, over ten minutes' worth; the oldest are dropped
/// past that, when the lag is far over any bound anyway.
const MAX_SAMPLES: usize = 32_768;

/// A replica of the store's database and whether reads may go to it now.
pub(crate) struct Replica {
    pool: PgPool,
    max_lag: Duration,
    /// Set by the watch after each measurement; cleared by a read that failed there.
    usable: AtomicBool,
}

impl Replica {
    pub(crate) fn new(pool: PgPool, max_lag: Duration) -> Self {
        // Unusable until measured: a replica that was never asked may be hours behind.
        Self { pool, max_lag, usable: AtomicBool::new(false) }
    }

    /// A few measurements per bound, within reason.
    fn interval(&self) -> Duration {
        (self.max_lag / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    fn usable(&self) -> bool {
        self.usable.load(Ordering::Relaxed)
    }

    /// Records a verdict, logging when it changes.
    fn judge(&self, verdict: &Result<Duration, String>) {
        let usable = verdict.as_ref().is_ok_and(|lag| *lag <= self.max_lag);
        if self.usable.swap(usable, Ordering::Relaxed) == usable {
            return;
        }
        match verdict {
            Ok(lag) if usable => tracing::info!(lag_ms = lag.as_millis(), "public reads from the replica"),
            Ok(lag) => tracing::warn!(
                lag_ms = lag.as_millis(),
                max_lag_ms = self.max_lag.as_millis(),
                "the replica fell behind: public reads from the primary"
            ),
            Err(why) => {
                tracing::warn!(reason = %why, "the replica is unusable: public reads from the primary")
            }
        }
    }
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica").field("max_lag", &self.max_lag).field("usable", &self.usable()).finish()
    }
}

impl PgStore {
    /// The public reads (an event, its status, the event pages) from `replica`'s pool while a
    /// [`ReplicaWatch`] measures it no more than `max_lag` behind, else from the store's own
    /// read pool. Nothing else reads there; nothing ever writes or migrates there. Start the
    /// watch ([`PgStore::replica_watch`]): until it has measured, reads stay on the primary.
    #[must_use]
    pub fn reading_from_replica(mut self, replica: PgPool, max_lag: Duration) -> Self {
        self.replica = Some(Arc::new(Replica::new(replica, max_lag)));
        self
    }

    /// This store with every read on the primary: for callers who must see their own writes.
    #[must_use]
    pub fn on_primary(&self) -> Self {
        Self { replica: None, ..self.clone() }
    }

    /// What keeps the replica's lag measured, when the store has one.
    #[must_use]
    pub fn replica_watch(&self) -> Option<ReplicaWatch> {
        let replica = Arc::clone(self.replica.as_ref()?);
        Some(ReplicaWatch { primary: self.on_primary(), replica })
    }

    /// A public read: on the replica while it is usable (again on the primary if it fails
    /// there), else on the read pool.
    pub(super) async fn read<R>(
        &self,
        work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R, RepoError> + Clone,
    ) -> Result<R, RepoError> {
        if let Some(replica) = self.replica.as_ref().filter(|r| r.usable()) {
            let tried = async {
                let mut conn = admit(&replica.pool, self.max_waiting).await?;
                self.pinned(&mut conn, work.clone()).await
            };
            match tried.await {
                Ok(found) => return Ok(found),
                Err(e) => replica.judge(&Err(format!("a read failed there: {e}"))),
            }
        }
        let mut conn = self.reader().await?;
        self.pinned(&mut conn, work).await
    }
}

/// Measures the replica's lag and tells the store whether to read there.
#[derive(Debug, Clone)]
pub struct ReplicaWatch {
    primary: PgStore,
    replica: Arc<Replica>,
}

impl ReplicaWatch {
    /// Measures a few times per bound, forever.
    pub async fn follow(&self) {
        let mut behind = Behind::default();
        let mut ticks = tokio::time::interval(self.replica.interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let verdict = self.measure(&mut behind).await;
            self.replica.judge(&verdict);
        }
    }

    /// The replica's lag now, or why it cannot serve. A primary that cannot be asked adds no
    /// sample: the replica is then judged against what the primary was last seen to write (no
    /// write commits while it is down), so the public reads survive an outage of the primary.
    async fn measure(&self, behind: &mut Behind) -> Result<Duration, String> {
        let written = self.primary.write(async |conn| written_position(conn).await);
        if let Ok(Ok(position)) = tokio::time::timeout(PROBE_TIMEOUT, written).await {
            behind.written(Instant::now(), position);
        }
        let replayed = async {
            let mut conn = admit(&self.replica.pool, self.primary.max_waiting).await?;
            self.primary.pinned(&mut conn, async |conn| replay_state(conn).await).await
        };
        let state = match tokio::time::timeout(PROBE_TIMEOUT, replayed).await {
            Ok(Ok(state)) => state,
            Ok(Err(e)) => return Err(format!("it cannot be asked: {e}")),
            Err(_) => return Err(format!("it did not answer within {PROBE_TIMEOUT:?}")),
        };
        match (state.recovering, state.replayed) {
            (true, Some(replayed)) => Ok(behind.replayed(Instant::now(), replayed)),
            _ => {
                Err("it is not a replica in recovery (promoted, or DATABASE_READ_URL names a primary)"
                    .to_owned())
            }
        }
    }
}

async fn written_position(conn: &mut AsyncPgConnection) -> Result<i64, RepoError> {
    use diesel_async::RunQueryDsl as _;
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = Int8)]
        position: i64,
    }
    let row: Written = diesel::sql_query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS position")
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    Ok(row.position)
}

#[derive(QueryableByName)]
struct ReplayState {
    #[diesel(sql_type = Bool)]
    recovering: bool,
    #[diesel(sql_type = Nullable<Int8>)]
    replayed: Option<i64>,
}

async fn replay_state(conn: &mut AsyncPgConnection) -> Result<ReplayState, RepoError> {
    use diesel_async::RunQueryDsl as _;
    diesel::sql_query(
        "SELECT pg_is_in_recovery() AS recovering, \
                (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS replayed",
    )
    .get_result(conn)
    .await
    .map_err(from_diesel)
}

/// The primary's WAL positions the replica has not replayed yet, each with when it was first
/// seen written.
#[derive(Debug, Default)]
struct Behind {
    unreplayed: VecDeque<(Instant, i64)>,
    last_written: Option<i64>,
}

impl Behind {
    /// The primary had written up to `position` at `at`.
    fn written(&mut self, at: Instant, position: i64) {
        if self.last_written.is_some_and(|last| position <= last) {
            return;
        }
        self.last_written = Some(position);
        if self.unreplayed.len() == MAX_SAMPLES {
            self.unreplayed.pop_front();
        }
        self.unreplayed.push_back((at, position));
    }

    /// The replica has replayed up to `position`: how long the oldest write it lacks has
    /// existed on the primary.
    fn replayed(&mut self, now: Instant, position: i64) -> Duration {
        while self.unreplayed.front().is_some_and(|&(_, written)| written <= position) {
            self.unreplayed.pop_front();
        }
        self.unreplayed.front().map_or(Duration::ZERO, |&(at, _)| now.saturating_duration_since(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_that_replayed_everything_written_has_no_lag() {
        let start = Instant::now();
        let mut behind = Behind::default();
        behind.written(start, 100);
        behind.written(start + Duration::from_millis(50), 200);

        assert_eq!(behind.replayed(start + Duration::from_secs(9), 200), Duration::ZERO);
        assert_eq!(
            behind.replayed(start + Duration::from_secs(10), 250),
            Duration::ZERO,
            "ahead of a sample"
        );
    }

    #[test]
    fn the_lag_is_the_age_of_the_oldest_write_not_replayed() {
        let start = Instant::now();
        let mut behind = Behind::default();
        behind.written(start, 100);
        behind.written(start + Duration::from_millis(300), 200);
        behind.written(start + Duration::from_millis(600), 300);

        assert_eq!(behind.replayed(start + Duration::from_millis(700), 99), Duration::from_millis(700));
        assert_eq!(behind.replayed(start + Duration::from_millis(800), 150), Duration::from_millis(500));
        assert_eq!(behind.replayed(start + Duration::from_millis(900), 299), Duration::from_millis(300));
    }

    #[test]
    fn an_idle_primary_does_not_age_a_paused_replica() {
        let start = Instant::now();
        let mut behind = Behind::default();
        behind.written(start, 100);
        assert_eq!(behind.replayed(start, 100), Duration::ZERO);
        for second in 1..5 {
            behind.written(start + Duration::from_secs(second), 100);
        }

        assert_eq!(behind.replayed(start + Duration::from_secs(5), 100), Duration::ZERO);
    }

    #[test]
    fn samples_are_bounded_and_the_lag_stays_over_any_bound() {
        let start = Instant::now();
        let mut behind = Behind::default();
        for n in 0..=i64::try_from(MAX_SAMPLES).unwrap() {
            behind.written(start + Duration::from_millis(n.unsigned_abs()), n + 1);
        }

        assert_eq!(behind.unreplayed.len(), MAX_SAMPLES);
        assert!(behind.replayed(start + Duration::from_secs(60), 0) > Duration::from_secs(20));
    }
}
