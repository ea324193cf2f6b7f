//! Group commit inside one instance: jobs for one key that arrive while another job of that
//! key is in flight wait for it, then run together as one batch.
//!
//! Why: every booking of a hot event takes the event's row lock and waits for its own WAL
//! flush while holding it, so one event books at most one transaction per flush. Run together,
//! a batch pays one lock hold and one flush for all its bookings. A job that finds nothing in
//! flight for its key runs at once by itself, so nothing ever waits on a timer and a lone
//! booking is exactly as fast as before. Nothing here is needed for correctness: a batch is an
//! ordinary transaction under the same rules as a single booking, and instances batch
//! independently.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// What runs the batches of one kind of job.
pub(crate) trait BatchRunner: Clone + Send + Sync + 'static {
    type Key: Eq + Hash + Copy + Send + Sync + 'static;
    type Job: Send + 'static;
    type Answer: Send + 'static;

    /// Runs `jobs` (in arrival order) as one batch; one answer per job, in the same order.
    fn run_batch(
        &self,
        key: Self::Key,
        jobs: Vec<Self::Job>,
    ) -> impl Future<Output = Vec<Self::Answer>> + Send;
}

/// How much one key may gather.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// The most jobs one batch takes; the rest wait for the next.
    pub max_batch: usize,
    /// The most jobs that may wait for one key; beyond that a job runs by itself.
    pub max_waiting: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self { max_batch: 256, max_waiting: 4096 }
    }
}

type Waiting<R> = VecDeque<(<R as BatchRunner>::Job, oneshot::Sender<<R as BatchRunner>::Answer>)>;

/// The keys with work in flight, each with the jobs waiting behind it. A key is present
/// exactly while something of it runs: a lone job ([`Lead`]) or a driver working through the
/// waiting jobs.
pub(crate) struct Lanes<R: BatchRunner> {
    busy: Mutex<HashMap<R::Key, Waiting<R>>>,
    limits: BatchLimits,
    batches: AtomicU64,
    batched: AtomicU64,
}

/// How much group commit has gathered since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchCounts {
    /// Batches run.
    pub batches: u64,
    /// Jobs that went in them (the rest ran alone).
    pub jobs: u64,
    /// Jobs queued now behind work in flight, not yet in a batch: what a test gathering a
    /// batch on purpose waits for, instead of a guess at how long queueing takes.
    pub waiting: u64,
}

/// What a job is to do.
pub(crate) enum Turn<R: BatchRunner> {
    /// Nothing of its key is in flight: run it by itself now, holding the lead until it is
    /// done; whatever queued behind it then runs as a batch.
    Alone(Lead<R>),
    /// Queued behind the key's work in flight; the answer comes from its batch. A closed
    /// channel means the batch was abandoned (the runtime shutting down).
    Queued(oneshot::Receiver<R::Answer>),
    /// Too many already wait for this key: run it by itself, outside the lane.
    Overflow(R::Job),
}

impl<R: BatchRunner> Lanes<R> {
    pub(crate) fn new(limits: BatchLimits) -> Self {
        Self {
            busy: Mutex::new(HashMap::new()),
            limits,
            batches: AtomicU64::new(0),
            batched: AtomicU64::new(0),
        }
    }

    pub(crate) fn counts(&self) -> BatchCounts {
        let waiting = self.lock().values().map(VecDeque::len).sum::<usize>();
        BatchCounts {
            batches: self.batches.load(Ordering::Relaxed),
            jobs: self.batched.load(Ordering::Relaxed),
            waiting: u64::try_from(waiting).unwrap_or(u64::MAX),
        }
    }

    /// The map holds queues and senders only; every critical section leaves it consistent.
    fn lock(&self) -> MutexGuard<'_, HashMap<R::Key, Waiting<R>>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Places `job` for `key`: alone if nothing of `key` is in flight, else behind it.
    pub(crate) fn join(self: &Arc<Self>, runner: &R, key: R::Key, job: R::Job) -> Turn<R> {
        let mut busy = self.lock();
        match busy.entry(key) {
            Entry::Vacant(free) => {
                free.insert(VecDeque::new());
                Turn::Alone(Lead { lanes: Arc::clone(self), runner: runner.clone(), key })
            }
            Entry::Occupied(waiting) if waiting.get().len() >= self.limits.max_waiting => Turn::Overflow(job),
            Entry::Occupied(mut waiting) => {
                let (answer, answered) = oneshot::channel();
                waiting.get_mut().push_back((job, answer));
                Turn::Queued(answered)
            }
        }
    }

    /// Hands the key on when its current work is done: to a driver if jobs wait, else free.
    fn hand_on(self: &Arc<Self>, runner: &R, key: R::Key) {
        let mut busy = self.lock();
        if busy.get(&key).is_none_or(VecDeque::is_empty) {
            busy.remove(&key);
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                drop(runtime.spawn(drive(Arc::clone(self), runner.clone(), key)));
            }
            // No runtime left to run them: the waiting jobs' channels close.
            Err(_) => {
                busy.remove(&key);
            }
        }
    }

    /// The next batch of `key`, or `None` (and the key freed) when nothing waits.
    fn next_batch(&self, key: R::Key) -> Option<Waiting<R>> {
        let mut busy = self.lock();
        let waiting = busy.get_mut(&key)?;
        if waiting.is_empty() {
            busy.remove(&key);
            return None;
        }
        let take = waiting.len().min(self.limits.max_batch);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batched.fetch_add(u64::try_from(take).unwrap_or(u64::MAX), Ordering::Relaxed);
        Some(waiting.drain(..take).collect())
    }
}

/// The right to run a job alone while the others of its key queue; dropping it (the job done,
/// or its future abandoned) hands the key on.
pub(crate) struct Lead<R: BatchRunner> {
    lanes: Arc<Lanes<R>>,
    runner: R,
    key: R::Key,
}

impl<R: BatchRunner> Drop for Lead<R> {
    fn drop(&mut self) {
        self.lanes.hand_on(&self.runner, self.key);
    }
}

/// Works through the jobs waiting for `key`, a batch at a time, until none wait.
async fn drive<R: BatchRunner>(lanes: Arc<Lanes<R>>, runner: R, key: R::Key) {
    let mut abandoned = Abandoned { lanes: &lanes, key, done: false };
    while let Some(batch) = lanes.next_batch(key) {
        let (jobs, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let (size, started) = (jobs.len(), std::time::Instant::now());
        let results = runner.run_batch(key, jobs).await;
        tracing::debug!(size, elapsed_us = started.elapsed().as_micros(), "batch");
        for (answer, result) in answers.into_iter().zip(results) {
            // A job whose caller has gone away still ran; nobody is left to tell.
            drop(answer.send(result));
        }
    }
    abandoned.done = true;
}

/// Frees the key if a driver stops before its lane is empty (its task cancelled): the jobs
/// still waiting learn it from their closed channels, and later jobs start afresh.
struct Abandoned<'a, R: BatchRunner> {
    lanes: &'a Lanes<R>,
    key: R::Key,
    done: bool,
}

impl<R: BatchRunner> Drop for Abandoned<'_, R> {
    fn drop(&mut self) {
        if !self.done {
            self.lanes.lock().remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Records each batch and answers ten times each job.
    #[derive(Clone, Default)]
    struct Recorder {
        batches: Arc<Mutex<Vec<Vec<u32>>>>,
    }

    impl BatchRunner for Recorder {
        type Key = u8;
        type Job = u32;
        type Answer = u32;

        async fn run_batch(&self, _key: u8, jobs: Vec<u32>) -> Vec<u32> {
            self.batches.lock().unwrap().push(jobs.clone());
            jobs.into_iter().map(|j| j * 10).collect()
        }
    }

    async fn answer(turn: Turn<Recorder>) -> Option<u32> {
        match turn {
            Turn::Queued(answer) => answer.await.ok(),
            Turn::Alone(_) | Turn::Overflow(_) => None,
        }
    }

    #[tokio::test]
    async fn a_lone_job_runs_alone_and_frees_its_key() {
        let (lanes, runner) = (Arc::new(Lanes::new(BatchLimits::default())), Recorder::default());
        let Turn::Alone(lead) = lanes.join(&runner, 1, 7) else { panic!("nothing was in flight") };
        drop(lead);
        assert!(lanes.lock().is_empty());
        assert!(matches!(lanes.join(&runner, 1, 8), Turn::Alone(_)));
        assert!(runner.batches.lock().unwrap().is_empty(), "a lone job is never batched");
    }

    #[tokio::test]
    async fn jobs_behind_a_lead_run_as_one_batch_in_arrival_order_when_it_is_done() {
        let (lanes, runner) = (Arc::new(Lanes::new(BatchLimits::default())), Recorder::default());
        let Turn::Alone(lead) = lanes.join(&runner, 1, 1) else { panic!("nothing was in flight") };
        let queued: Vec<_> = (2..=5).map(|job| lanes.join(&runner, 1, job)).collect();
        assert!(matches!(lanes.join(&runner, 2, 9), Turn::Alone(_)), "another key is not held up");
        assert!(runner.batches.lock().unwrap().is_empty(), "nothing runs before the lead is done");
        drop(lead);
        let mut answers = Vec::new();
        for turn in queued {
            answers.push(answer(turn).await);
        }
        assert_eq!(answers, [Some(20), Some(30), Some(40), Some(50)]);
        assert_eq!(*runner.batches.lock().unwrap(), [vec![2, 3, 4, 5]]);
        tokio::time::timeout(Duration::from_secs(1), async {
            while !lanes.lock().is_empty() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the key is freed once its lane is empty");
    }

    #[tokio::test]
    async fn batches_are_cut_at_the_limit_and_an_overfull_lane_turns_jobs_away() {
        let lanes = Arc::new(Lanes::new(BatchLimits { max_batch: 2, max_waiting: 3 }));
        let runner = Recorder::default();
        let Turn::Alone(lead) = lanes.join(&runner, 1, 0) else { panic!("nothing was in flight") };
        let queued: Vec<_> = (1..=3).map(|job| lanes.join(&runner, 1, job)).collect();
        assert!(matches!(lanes.join(&runner, 1, 4), Turn::Overflow(4)));
        assert_eq!(lanes.counts().waiting, 3, "the overflow does not wait");
        drop(lead);
        for turn in queued {
            assert!(answer(turn).await.is_some());
        }
        assert_eq!(*runner.batches.lock().unwrap(), [vec![1, 2], vec![3]]);
        assert_eq!(lanes.counts(), BatchCounts { batches: 2, jobs: 3, waiting: 0 });
    }

    #[test]
    fn without_a_runtime_the_waiting_learn_that_their_batch_was_abandoned() {
        let (lanes, runner) = (Arc::new(Lanes::new(BatchLimits::default())), Recorder::default());
        let Turn::Alone(lead) = lanes.join(&runner, 1, 1) else { panic!("nothing was in flight") };
        let Turn::Queued(mut answer) = lanes.join(&runner, 1, 2) else { panic!("the key is held") };
        drop(lead);
        assert!(answer.try_recv().is_err());
        assert!(lanes.lock().is_empty());
    }
}
