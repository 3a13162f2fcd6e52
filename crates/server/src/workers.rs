//! The inference pool: a fixed set of OS threads pulling jobs from one bounded queue, so that
//! CPU-heavy work (decoding, the models, the classifier) never runs on the async runtime.
//!
//! Admission is decided when a job is offered: a full queue is refused at once (the caller
//! answers 429) rather than waited on, so latency stays bounded under overload. Each job
//! answers on its own oneshot channel.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};
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
}

impl Workers {
    /// Starts `count` threads (at least one) behind a queue holding up to `queue_depth` jobs.
    pub fn start(count: usize, queue_depth: usize) -> std::io::Result<Workers> {
        let count = count.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<Job>(queue_depth.max(1));
        let threads = (0..count)
            .map(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("signbridge-worker-{i}"))
                    .spawn(move || work(rx))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Workers {
            queue: Mutex::new(Some(tx)),
            threads: Mutex::new(threads),
            capacity: queue_depth,
            count,
        })
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

fn work(jobs: Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        if std::panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
            tracing::error!("an inference job panicked; this is a bug");
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
        let workers = Workers::start(1, 1).unwrap();
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
        let workers = Workers::start(1, 4).unwrap();
        let failed = workers.try_run(|| -> u32 { panic!("boom") }).unwrap();
        assert!(failed.blocking_recv().is_err());
        let ok = workers.try_run(|| 7).unwrap();
        assert_eq!(ok.blocking_recv().unwrap(), 7);
        workers.shutdown();
    }
}
