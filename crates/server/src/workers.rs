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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The queue was full (or the pool is shutting down): the caller should shed the work. Holds
/// the job's input, handed back.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused<S>(pub S);

pub struct Workers {
    queue: Mutex<Option<Sender<Job>>>,
    /// Jobs queued and not yet taken by a worker (at most `capacity`).
    waiting: Arc<AtomicUsize>,
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
        // Unbounded: `try_run` admits at most `queue_depth` waiting jobs itself.
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let waiting = Arc::new(AtomicUsize::new(0));
        let releases = Arc::new(AtomicU64::new(0));
        let threads = (0..count)
            .map(|i| {
                let rx = rx.clone();
                let waiting = Arc::clone(&waiting);
                let releases = Arc::clone(&releases);
                std::thread::Builder::new()
                    .name(format!("signbridge-worker-{i}"))
                    .spawn(move || work(rx, &waiting, release_after_idle, &releases))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Workers {
            queue: Mutex::new(Some(tx)),
            waiting,
            threads: Mutex::new(threads),
            capacity: queue_depth.max(1),
            count,
            releases,
        })
    }

    /// How many times an idle worker has released freed memory.
    pub fn idle_releases(&self) -> u64 {
        self.releases.load(Ordering::Relaxed)
    }

    /// Queues `f(input)` if there is room; the receiver yields its result. A refusal hands
    /// `input` back, so a caller can send what it owns (a session's interpreter) with the job
    /// and keep it when the pool is full. If `f` panics the receiver reports a closed channel
    /// (and the worker thread lives on).
    pub fn try_run<S, T, F>(&self, input: S, f: F) -> Result<oneshot::Receiver<T>, Refused<S>>
    where
        S: Send + 'static,
        T: Send + 'static,
        F: FnOnce(S) -> T + Send + 'static,
    {
        let Ok(guard) = self.queue.lock() else {
            return Err(Refused(input));
        };
        let Some(tx) = guard.as_ref() else {
            return Err(Refused(input));
        };
        // Admission is counted here rather than by a bounded channel, so that a refused job
        // has not been built yet and its input can be handed back.
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refused(input));
        }
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The receiver may be gone (client disconnected); the result is then dropped.
            let _ = reply.send(f(input));
        });
        if tx.send(job).is_err() {
            // Every worker thread has exited although the queue is open; this is a bug.
            tracing::error!("no worker thread is running; this is a bug");
        }
        Ok(answer)
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
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

fn work(
    jobs: Receiver<Job>,
    waiting: &AtomicUsize,
    release_after_idle: Duration,
    releases: &AtomicU64,
) {
    let mut ran_since_release = false;
    loop {
        match jobs.recv_timeout(release_after_idle) {
            Ok(job) => {
                waiting.fetch_sub(1, Ordering::SeqCst);
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
            .try_run((), move |()| {
                started_tx.send(()).unwrap();
                gate.recv().unwrap();
            })
            .unwrap();
        started.recv_timeout(Duration::from_secs(5)).unwrap();
        let _waiting = workers.try_run((), |()| ()).expect("one slot in the queue");
        assert_eq!(workers.queued(), 1);
        assert_eq!(
            workers.try_run(String::from("mine"), |s| s).unwrap_err(),
            Refused(String::from("mine")),
            "a refused job's input comes back"
        );
        release.send(()).unwrap();
        workers.shutdown();
    }

    #[test]
    fn a_panicking_job_closes_its_reply_and_the_worker_survives() {
        let workers = Workers::start(1, 4, Duration::from_secs(60)).unwrap();
        let failed = workers.try_run((), |()| -> u32 { panic!("boom") }).unwrap();
        assert!(failed.blocking_recv().is_err());
        let ok = workers.try_run((), |()| 7).unwrap();
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
        let done = workers.try_run((), |()| vec![1u8; 1 << 20].len()).unwrap();
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
