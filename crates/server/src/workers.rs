//! The inference pool: a fixed set of OS threads pulling jobs from one bounded queue, so that
//! CPU-heavy work (decoding, the models, the classifier) never runs on the async runtime.
//!
//! Admission is decided when a job is offered: a full queue is refused at once (the caller
//! answers 429) rather than waited on, so latency stays bounded under overload. Each job
//! answers on its own oneshot channel.
//!
//! A worker that has run jobs and then waits [`Workers::start`]'s `release_after_idle` for the
//! next one hands the memory freed by those jobs back to the kernel
//! ([`crate::memory::release_free_memory`]): under load the allocator keeps it for reuse (giving
//! it back after every frame halves throughput, docs/server.md), at rest it goes.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The queue was full: the caller should shed the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

pub struct Workers {
    queue: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    capacity: usize,
    count: usize,
    releases: Arc<AtomicU64>,
}

impl Workers {
    /// Starts `count` threads (at least one) behind a queue holding up to `queue_depth` jobs.
    /// A worker idle for `release_after_idle` after running jobs releases freed memory.
    pub fn start(
        count: usize,
        queue_depth: usize,
        release_after_idle: Duration,
    ) -> std::io::Result<Workers> {
        let count = count.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<Job>(queue_depth.max(1));
        let releases = Arc::new(AtomicU64::new(0));
        let threads = (0..count)
            .map(|i| {
                let rx = rx.clone();
                let releases = Arc::clone(&releases);
                std::thread::Builder::new()
                    .name(format!("signbridge-worker-{i}"))
                    .spawn(move || work(rx, release_after_idle, &releases))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Workers {
            queue: Mutex::new(Some(tx)),
            threads: Mutex::new(threads),
            capacity: queue_depth,
            count,
            releases,
        })
    }

    /// How many times an idle worker has released freed memory.
    pub fn idle_releases(&self) -> u64 {
        self.releases.load(Ordering::Relaxed)
    }

    /// Queues `f` if there is room; the receiver yields its result. If `f` panics the receiver
    /// reports a closed channel (and the worker thread lives on).
    pub fn try_run<T, F>(&self, f: F) -> Result<oneshot::Receiver<T>, Overloaded>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The receiver may be gone (client disconnected); the result is then dropped.
            let _ = reply.send(f());
        });
        let guard = self.queue.lock().map_err(|_| Overloaded)?;
        let Some(tx) = guard.as_ref() else {
            return Err(Overloaded);
        };
        match tx.try_send(job) {
            Ok(()) => Ok(answer),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Overloaded),
        }
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.queue
            .lock()
            .ok()
            .and_then(|q| q.as_ref().map(Sender::len))
            .unwrap_or(0)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn threads(&self) -> usize {
        self.count
    }

    /// Refuses new jobs, lets the queued ones finish and joins the threads. Blocking.
    pub fn shutdown(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        let threads = self
            .threads
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
    }
}

fn work(jobs: Receiver<Job>, release_after_idle: Duration, releases: &AtomicU64) {
    let mut ran_since_release = false;
    loop {
        match jobs.recv_timeout(release_after_idle) {
            Ok(job) => {
                if std::panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                    tracing::error!("an inference job panicked; this is a bug");
                }
                ran_since_release = true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if std::mem::take(&mut ran_since_release) {
                    crate::memory::release_free_memory();
                    releases.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn full_queue_is_refused_at_once() {
        let workers = Workers::start(1, 1, Duration::from_secs(60)).unwrap();
        let (release, gate) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<()>();
        let _busy = workers
            .try_run(move || {
                started_tx.send(()).unwrap();
                gate.recv().unwrap();
            })
            .unwrap();
        started.recv_timeout(Duration::from_secs(5)).unwrap();
        let _waiting = workers.try_run(|| ()).expect("one slot in the queue");
        assert_eq!(workers.queued(), 1);
        assert_eq!(workers.try_run(|| ()).unwrap_err(), Overloaded);
        release.send(()).unwrap();
        workers.shutdown();
    }

    #[test]
    fn a_panicking_job_closes_its_reply_and_the_worker_survives() {
        let workers = Workers::start(1, 4, Duration::from_secs(60)).unwrap();
        let failed = workers.try_run(|| -> u32 { panic!("boom") }).unwrap();
        assert!(failed.blocking_recv().is_err());
        let ok = workers.try_run(|| 7).unwrap();
        assert_eq!(ok.blocking_recv().unwrap(), 7);
        workers.shutdown();
    }

    #[test]
    fn an_idle_worker_releases_memory_once_after_work() {
        let workers = Workers::start(1, 4, Duration::from_millis(50)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            workers.idle_releases(),
            0,
            "no work yet, nothing to release"
        );
        let done = workers.try_run(|| vec![1u8; 1 << 20].len()).unwrap();
        assert_eq!(done.blocking_recv().unwrap(), 1 << 20);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while workers.idle_releases() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(workers.idle_releases(), 1);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            workers.idle_releases(),
            1,
            "idle without new work: no second release"
        );
        workers.shutdown();
    }
}
