//! Background work beside the HTTP server (the notification listener, webhook delivery,
//! housekeeping, the revocation follower; `super::workers`), run and stopped by one supervisor.
//!
//! A worker that fails or panics is logged, counted (`worker_restarts_total`) and restarted
//! after a back-off, rather than taking the process down: every worker's work is claimed from
//! rows in the store, so a restart loses nothing, and a crash of the whole process would also
//! cut off the HTTP requests in flight — the bookings — for a fault in, say, webhook
//! delivery. A worker that keeps failing keeps backing off (up to [`MAX_BACKOFF`]) and shows
//! in the counter and the log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::BoxError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The longest pause between two restarts of a failing worker.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A run this long counts as healthy: the next failure starts the back-off afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// A boxed future, as a worker's run is.
pub type WorkerRun = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>>;

/// A long-running task the supervisor starts, restarts and stops.
pub trait Worker: Send + Sync + 'static {
    /// For logs and metrics.
    fn name(&self) -> &'static str;

    /// Works until `stop` is requested, then returns `Ok` once it holds no claimed work.
    /// Called again after a failure, so it takes `&self` and returns a future that owns what
    /// it needs.
    fn run(&self, stop: StopSignal) -> WorkerRun;
}

/// Tells workers to stop claiming new work. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// Whether stopping has been requested.
    #[must_use]
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stopping is requested (at once if it already was).
    pub async fn requested(&mut self) {
        // An error means the supervisor is gone, which is a stop too.
        let _stopped = self.0.wait_for(|stop| *stop).await;
    }
}

/// Runs workers until told to stop.
#[derive(Default)]
pub struct Supervisor {
    workers: Vec<Arc<dyn Worker>>,
    first_backoff: Option<Duration>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.workers.iter().map(|w| w.name()).collect();
        f.debug_struct("Supervisor").field("workers", &names).finish()
    }
}

/// The running workers.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// Adds a worker to start with the others.
    pub fn add(&mut self, worker: impl Worker) {
        self.workers.push(Arc::new(worker));
    }

    /// The pause before the first restart of a failed worker (default 100 ms); doubles on each
    /// further failure up to [`MAX_BACKOFF`].
    #[must_use]
    pub const fn with_first_backoff(mut self, backoff: Duration) -> Self {
        self.first_backoff = Some(backoff);
        self
    }

    /// Starts every worker on the current runtime.
    #[must_use]
    pub fn start(self) -> Running {
        let (stop, signal) = watch::channel(false);
        let first_backoff = self.first_backoff.unwrap_or(Duration::from_millis(100));
        let tasks = self
            .workers
            .into_iter()
            .map(|worker| tokio::spawn(keep_running(worker, StopSignal(signal.clone()), first_backoff)))
            .collect();
        Running { stop, tasks }
    }
}

impl Running {
    /// Asks every worker to stop and waits until all have.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a worker's supervisor task failed");
            }
        }
    }
}

async fn keep_running(worker: Arc<dyn Worker>, mut stop: StopSignal, first_backoff: Duration) {
    let name = worker.name();
    let mut backoff = first_backoff;
    loop {
        let started = Instant::now();
        // A task of its own, so a panic is caught here instead of ending the supervisor.
        let outcome = tokio::spawn(worker.run(stop.clone())).await;
        match outcome {
            Ok(Ok(())) if stop.is_requested() => return,
            Ok(Ok(())) => tracing::error!(worker = name, "worker returned without being asked to stop"),
            Ok(Err(e)) => tracing::error!(worker = name, error = %e, "worker failed"),
            Err(e) => tracing::error!(worker = name, error = %e, "worker panicked"),
        }
        if stop.is_requested() {
            return;
        }
        if started.elapsed() >= HEALTHY_RUN {
            backoff = first_backoff;
        }
        metrics::counter!("worker_restarts_total", "worker" => name).increment(1);
        tracing::warn!(worker = name, ?backoff, "restarting worker");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stop.requested() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Fails (or panics) on its first `failures` runs, then works until stopped.
    struct Flaky {
        runs: Arc<AtomicUsize>,
        failures: usize,
        panics: bool,
        stopped: Arc<Mutex<bool>>,
    }

    impl Worker for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }

        fn run(&self, mut stop: StopSignal) -> WorkerRun {
            let run = self.runs.fetch_add(1, Ordering::SeqCst);
            let (failures, panics, stopped) = (self.failures, self.panics, self.stopped.clone());
            Box::pin(async move {
                if run < failures {
                    assert!(!panics, "worker bug on run {run}");
                    return Err(format!("transient failure on run {run}").into());
                }
                stop.requested().await;
                *stopped.lock().unwrap() = true;
                Ok(())
            })
        }
    }

    fn flaky(failures: usize, panics: bool) -> (Flaky, Arc<AtomicUsize>, Arc<Mutex<bool>>) {
        let (runs, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(false)));
        (Flaky { runs: runs.clone(), failures, panics, stopped: stopped.clone() }, runs, stopped)
    }

    async fn wait_for_runs(runs: &AtomicUsize, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "only {} runs", runs.load(Ordering::SeqCst));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_failing_worker_is_restarted_until_it_runs_then_stops_when_asked() {
        let (worker, runs, stopped) = flaky(2, false);
        let mut supervisor = Supervisor::default().with_first_backoff(Duration::from_millis(1));
        supervisor.add(worker);

        let running = supervisor.start();
        wait_for_runs(&runs, 3).await;
        running.stop().await;

        assert_eq!(runs.load(Ordering::SeqCst), 3, "two failures, then one run that lasts");
        assert!(*stopped.lock().unwrap(), "the last run saw the stop request and returned");
    }

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_too() {
        let (worker, runs, stopped) = flaky(1, true);
        let mut supervisor = Supervisor::default().with_first_backoff(Duration::from_millis(1));
        supervisor.add(worker);

        let running = supervisor.start();
        wait_for_runs(&runs, 2).await;
        running.stop().await;

        assert!(*stopped.lock().unwrap());
    }

    #[tokio::test]
    async fn stopping_during_a_back_off_does_not_wait_for_it() {
        let (worker, runs, _) = flaky(usize::MAX, false);
        let mut supervisor = Supervisor::default().with_first_backoff(Duration::from_secs(3600));
        supervisor.add(worker);

        let running = supervisor.start();
        wait_for_runs(&runs, 1).await;
        let asked = Instant::now();
        running.stop().await;

        assert!(asked.elapsed() < Duration::from_secs(1), "took {:?}", asked.elapsed());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
