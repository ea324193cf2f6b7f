//! Measures the read replica's lag (`DATABASE_READ_URL`), when there is one: until it has, and
//! whenever the replica falls behind or is down, the public reads stay on the primary.

use infra_postgres::ReplicaWatch;

use crate::app::supervisor::{StopSignal, Worker, WorkerRun};

/// Follows the replica until stopped.
pub struct ReplicaLag(pub ReplicaWatch);

impl std::fmt::Debug for ReplicaLag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaLag").finish_non_exhaustive()
    }
}

impl Worker for ReplicaLag {
    fn name(&self) -> &'static str {
        "replica-lag"
    }

    fn run(&self, mut stop: StopSignal) -> WorkerRun {
        let watch = self.0.clone();
        Box::pin(async move {
            tokio::select! {
                () = watch.follow() => {}
                () = stop.requested() => {}
            }
            Ok(())
        })
    }
}
