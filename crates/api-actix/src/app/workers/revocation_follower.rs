use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use domain::ports::{RevocationListener, Sessions};
use domain::session::Revocations;

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};
use crate::http::auth::RevocationRegistry;

/// How often settled revocations are dropped from this instance's copy.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Keeps a [`RevocationRegistry`] current: listens, loads what the store holds, then applies
/// each announcement as it arrives. A lost listener suspends the registry (the store is asked
/// instead) and ends the run; the supervisor starts the next, which listens and loads again.
pub struct RevocationFollower<S> {
    sessions: S,
    registry: Arc<RevocationRegistry>,
    /// The longest a token lives, and a margin for clocks: revocations older than this can
    /// refuse nothing.
    longest_life: TimeDelta,
}

impl<S> std::fmt::Debug for RevocationFollower<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationFollower").field("longest_life", &self.longest_life).finish_non_exhaustive()
    }
}

impl<S: Sessions + Clone> RevocationFollower<S> {
    #[must_use]
    pub fn new(sessions: S, registry: Arc<RevocationRegistry>, token_ttl: Duration) -> Self {
        let longest_life = TimeDelta::from_std(token_ttl).unwrap_or(TimeDelta::MAX) + TimeDelta::minutes(1);
        Self { sessions, registry, longest_life }
    }
}

impl<S: Sessions + Clone> Worker for RevocationFollower<S> {
    fn name(&self) -> &'static str {
        "revocation-follower"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let (sessions, registry, longest_life) =
            (self.sessions.clone(), Arc::clone(&self.registry), self.longest_life);
        Box::pin(async move {
            registry.suspend();
            // Listen first: a revocation committed after this reaches the listener; one before
            // it is in the load (one in between is in both, which is harmless).
            let mut listener = sessions.listen().await?;
            let loaded = sessions.revocations(Utc::now() - longest_life).await?;
            registry.replace(Revocations::from_facts(loaded));
            let mut prune = tokio::time::interval(PRUNE_EVERY);
            loop {
                tokio::select! {
                    heard = listener.next() => match heard {
                        Ok(fact) => registry.record(fact),
                        Err(lost) => {
                            registry.suspend();
                            return Err(lost.into());
                        }
                    },
                    _ = prune.tick() => registry.forget_settled(Utc::now(), longest_life),
                    () = stop.requested() => return Ok(()),
                }
            }
        })
    }
}
