//! Frames on the worker pool: the one path from an image's bytes to an answer, for HTTP and
//! the WebSocket alike. Admission first (refused at once with `Overloaded` when the queue is
//! full, so latency stays bounded), then on a worker thread: decode, the interpreter, timings.
//!
//! A session's [`Interpreter`] travels with its frame: it is moved into the job and comes back
//! with the answer, so no lock is taken on the way (an HTTP session's lock guard is what
//! travels, and it is released by the worker even if the client has gone).

use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Instant;

use signbridge_interpreter::{read, Interpreter, Outcome, Reading};
use signbridge_signs::{Calibrated, LetterReader};
use signbridge_vision::{decode_image_until, Frame, ImageLimits, VisionError};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::metrics::{Source, StageTimes};
use crate::state::State;
use crate::wire::unix_seconds;
use crate::workers::Refused;

/// How a session's frame is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The next frame of a live stream: hands are tracked from the previous frame.
    Video,
    /// A photo on its own (HTTP uploads): hands are found from scratch.
    Still,
}

/// What a frame showed (a [`Reading`] or a session's [`Outcome`]), what it cost and when.
#[derive(Clone, Debug)]
pub struct Answer<T> {
    pub value: T,
    pub times: StageTimes,
    /// Unix seconds when the frame was read.
    pub timestamp: f64,
}

/// A session's frame on its way: the interpreter and the answer come back together.
pub type FrameJob<I> = oneshot::Receiver<(I, Result<Answer<Outcome>, VisionError>)>;

impl State {
    /// Image mode (`/predict-image`): the hands and letter of one photo, no session. The work
    /// stops when `deadline` (the request's) passes.
    pub async fn read(
        &self,
        bytes: Vec<u8>,
        calibration: Option<Arc<Calibrated>>,
        deadline: Instant,
    ) -> Result<Answer<Reading>, ApiError> {
        let models = self.models()?.clone();
        let classifier = self.classifier.clone();
        let limits = self.config.pipeline.limits.clone();
        let queued_at = Instant::now();
        let job = self
            .workers
            .try_run(bytes, move |bytes| {
                timed(queued_at, || {
                    let frame = decode(&bytes, &limits, deadline)?;
                    let letters: &dyn LetterReader = match &calibration {
                        Some(c) => c.as_ref(),
                        None => classifier.as_ref(),
                    };
                    read(&*models.hands, letters, &frame)
                })
            })
            .map_err(|_| ApiError::Overloaded)?;
        let answer = job.await.map_err(|_| job_failed())??;
        self.metrics.observe_frame(Source::Http, &answer.times);
        Ok(answer)
    }

    /// A session's frame: `interpreter` goes to a worker with it. Refused at once, with the
    /// interpreter handed back, when the models are not loaded yet or the queue is full. The
    /// frame's time for the sentence builder is its arrival, not when a worker gets to it.
    /// A frame still waiting or decoding when `deadline` passes is given up (`timeout`).
    pub fn submit<I>(
        &self,
        interpreter: I,
        bytes: Vec<u8>,
        mode: Mode,
        deadline: Instant,
    ) -> Result<FrameJob<I>, (ApiError, I)>
    where
        I: DerefMut<Target = Interpreter> + Send + 'static,
    {
        let models = match self.models() {
            Ok(models) => models.clone(),
            Err(e) => return Err((e, interpreter)),
        };
        let limits = self.config.pipeline.limits.clone();
        let t_ms = self.clock_ms();
        let queued_at = Instant::now();
        self.workers
            .try_run(interpreter, move |mut interpreter| {
                let answer = timed(queued_at, || {
                    let frame = decode(&bytes, &limits, deadline)?;
                    match mode {
                        Mode::Video => interpreter.frame(&*models.hands, t_ms, &frame),
                        Mode::Still => interpreter.still(&*models.hands, t_ms, &frame),
                    }
                });
                (interpreter, answer)
            })
            .map_err(|Refused(interpreter)| (ApiError::Overloaded, interpreter))
    }

    /// Waits for a session's frame and records its timings. `None`: the job died with the
    /// interpreter (a panic in the pipeline, or the pool shut down); this is a bug.
    pub async fn finish<I>(
        &self,
        job: FrameJob<I>,
        source: Source,
    ) -> Option<(I, Result<Answer<Outcome>, ApiError>)> {
        let (interpreter, answer) = job.await.ok()?;
        if let Ok(answer) = &answer {
            self.metrics.observe_frame(source, &answer.times);
        }
        Some((interpreter, answer.map_err(ApiError::from)))
    }
}

/// Decodes on a worker: nothing at all if the deadline passed while the job waited, and a
/// decode that stops when it passes (a scan bomb or a huge image cannot hold the worker).
fn decode(bytes: &[u8], limits: &ImageLimits, deadline: Instant) -> Result<Frame, VisionError> {
    if Instant::now() >= deadline {
        return Err(VisionError::Cancelled);
    }
    decode_image_until(bytes, limits, Some(deadline))
}

pub fn job_failed() -> ApiError {
    ApiError::Internal("the inference job failed".into())
}

/// What a worker's result reads its stage timings from.
trait Timed {
    fn reading(&self) -> &Reading;
}

impl Timed for Reading {
    fn reading(&self) -> &Reading {
        self
    }
}

impl Timed for Outcome {
    fn reading(&self) -> &Reading {
        &self.reading
    }
}

/// Runs `work` on this (worker) thread and times it; `queued_at` is when the job was offered
/// to the pool, so the queue wait is measured too.
fn timed<T: Timed>(
    queued_at: Instant,
    work: impl FnOnce() -> Result<T, VisionError>,
) -> Result<Answer<T>, VisionError> {
    let started = Instant::now();
    let value = work()?;
    let t = value.reading().timings;
    let times = StageTimes {
        queue: started.saturating_duration_since(queued_at),
        decode: t.decode,
        resize: t.resize,
        palm: t.palm,
        landmark: t.landmark,
        classify: t.classify,
        total: started.elapsed(),
    };
    Ok(Answer {
        value,
        times,
        timestamp: unix_seconds(),
    })
}
