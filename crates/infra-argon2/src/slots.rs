use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use domain::HashError;
use tokio::sync::Semaphore;

/// How much password hashing an instance does at once, and how long a request may wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes computed at once (each holds ~19 MiB and one core for tens of milliseconds).
    pub slots: usize,
    /// Requests that may wait for a slot; one more is refused at once.
    pub queue: usize,
    /// The longest a request waits for a slot before it is refused.
    pub wait: Duration,
}

/// Admission to password hashing: at most [`HashingLimits::slots`] hashes at once, in arrival
/// order, behind a bounded queue with a deadline. A login storm then costs a fixed amount of
/// memory and leaves the cores to the rest of the service, and each request gets an answer in
/// bounded time — its hash, or [`HashError::Busy`] (a 503 with `Retry-After`) — instead of a
/// timeout after the whole storm has queued on the blocking pool.
#[derive(Debug)]
pub struct HashingSlots {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    limits: HashingLimits,
}

/// A place in the queue, given back however the wait ends (a client that disconnects drops it).
struct InQueue(Arc<AtomicUsize>);

impl Drop for InQueue {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashingSlots {
    /// Admission within `limits` (at least one slot).
    #[must_use]
    pub fn new(limits: HashingLimits) -> Self {
        let slots = limits.slots.max(1);
        Self {
            permits: Arc::new(Semaphore::new(slots)),
            waiting: Arc::new(AtomicUsize::new(0)),
            limits: HashingLimits { slots, ..limits },
        }
    }

    /// Runs `work` on the blocking pool once a slot is free.
    ///
    /// # Errors
    /// [`HashError::Busy`] when the queue is full or the wait runs out; `work`'s own error, or
    /// [`HashError::Failed`] if it panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    refused("queue_full");
                    return Err(HashError::Busy);
                }
                let _place = InQueue(Arc::clone(&self.waiting));
                match tokio::time::timeout(self.limits.wait, Arc::clone(&self.permits).acquire_owned()).await
                {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_closed)) => return Err(HashError::Busy),
                    Err(_elapsed) => {
                        refused("wait_expired");
                        return Err(HashError::Busy);
                    }
                }
            }
        };
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            work()
        })
        .await
        .map_err(|e| HashError::Failed(Box::new(e)))?
    }
}

/// A hash refused for want of a slot: `queue_full` or `wait_expired`. Through the `metrics`
/// facade: whichever exporter the process installs renders it.
fn refused(reason: &'static str) {
    metrics::counter!("password_hashing_refused_total", "reason" => reason).increment(1);
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn slots(slots: usize, queue: usize, wait_ms: u64) -> Arc<HashingSlots> {
        Arc::new(HashingSlots::new(HashingLimits { slots, queue, wait: Duration::from_millis(wait_ms) }))
    }

    /// Takes every slot (one) with work that holds it until told to finish; returns the
    /// running work and its finishing switch once the slot is taken.
    async fn occupied(
        gate: &Arc<HashingSlots>,
    ) -> (tokio::task::JoinHandle<Result<(), HashError>>, mpsc::Sender<()>) {
        let (finish, release) = mpsc::channel::<()>();
        let running = tokio::spawn({
            let gate = Arc::clone(gate);
            async move {
                gate.run(move || {
                    let _ = release.recv();
                    Ok(())
                })
                .await
            }
        });
        while gate.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        (running, finish)
    }

    #[tokio::test]
    async fn beyond_the_slots_and_the_queue_a_request_is_refused_at_once() {
        let gate = slots(1, 1, 10_000);
        let (running, finish) = occupied(&gate).await;
        let queued = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.run(|| Ok(())).await }
        });
        while gate.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }

        let refused = gate.run(|| Ok(())).await;

        assert!(matches!(refused, Err(HashError::Busy)), "{refused:?}");
        finish.send(()).unwrap();
        assert!(running.await.unwrap().is_ok());
        assert!(queued.await.unwrap().is_ok(), "the queued request got the freed slot");
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_request_waits_no_longer_than_the_deadline() {
        let gate = slots(1, 8, 50);
        let (running, finish) = occupied(&gate).await;

        let started = std::time::Instant::now();
        let refused = gate.run(|| Ok(())).await;

        assert!(matches!(refused, Err(HashError::Busy)), "{refused:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0, "its place in the queue was given back");
        finish.send(()).unwrap();
        assert!(running.await.unwrap().is_ok());
    }
}
