//! Running `count` jobs with at most `concurrency` in flight.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `job(0..count)` on `concurrency` workers that each take the next index as soon as they
/// are free (closed-loop clients), and returns the outputs in index order.
///
/// # Errors
/// When a worker task panics.
pub async fn run<T, F, Fut>(count: usize, concurrency: usize, job: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send,
    T: Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let workers: Vec<_> = (0..concurrency.clamp(1, count.max(1)))
        .map(|_| {
            let (next, job) = (next.clone(), job.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break done;
                    }
                    done.push((i, job(i).await));
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for worker in workers {
        all.extend(worker.await?);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, output)| output).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_job_runs_once_and_outputs_keep_their_order() {
        let outputs = run(100, 7, |i| async move { i * 2 }).await.unwrap();
        assert_eq!(outputs, (0..100).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn no_more_than_the_concurrency_run_at_once() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (f, p) = (in_flight.clone(), peak.clone());
        run(50, 4, move |_| {
            let (f, p) = (f.clone(), p.clone());
            async move {
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                f.fetch_sub(1, Ordering::SeqCst);
            }
        })
        .await
        .unwrap();
        assert!(peak.load(Ordering::SeqCst) <= 4);
    }
}
