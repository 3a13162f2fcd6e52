//! `WS /ws/stream`: one session per connection, with its own [`Interpreter`] (hand tracker and
//! sentence), owned by the connection's task: it goes to a worker with each frame and comes
//! back with the answer.
//!
//! A frame is an image (read on a worker) or, in on-device mode, the hands the page found
//! itself (`landmarks`: only the classifier and the sentence builder run, at once, on this
//! task; the page's timestamps drive the sentence builder).
//!
//! Frame skipping: at most one frame per session is being read; a frame that arrives
//! meanwhile waits, and a newer one replaces it (the replaced frame is counted as dropped). A
//! live stream thus always gets the newest frame read and never queues without bound.
//! Sentence edits that arrive while a frame is away are applied, in order, when it returns.
//! Bad messages get an error message and the connection stays usable.
//!
//! The first message names the session (`session`); `?session=ID` resumes one, on any
//! replica: the sentence continues from storage, the tracker starts fresh (`resumed`).
//! `?profile=ID` reads the letters with that learner's calibration; the `session` message says
//! how many examples it has.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use signbridge_interpreter::{Edit, Interpreter, Outcome};
use signbridge_signs::Calibrated;

use crate::error::ApiError;
use crate::frames::{job_failed, Answer, Mode};
use crate::landmarks::DeviceFrame;
use crate::metrics::{Source, StageTimes};
use crate::sessions::WsSession;
use crate::state::AppState;
use crate::wire::{
    unix_seconds, CalibrationStatus, PredictionBody, PredictionMessage, ServerMessage, TimingsMs,
};

mod protocol;
mod resumed;

use protocol::{close, message, parse, Limits, ParseOutcome, Request};

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const MESSAGE_TOO_BIG: u16 = 1009;
const TRY_AGAIN_LATER: u16 = 1013;

/// Edits held while a frame is away; a client sending more than this meanwhile is refused.
const MAX_HELD_EDITS: usize = 32;

/// `?session=ID`: the session to resume (its id from an earlier `session` message), or
/// `?session=new` for a new one; `?profile=ID`: read with that learner's calibration.
///
/// A client that sends either is told its session in a `session` message before anything else.
/// A client that sends neither speaks the original's protocol, in which every message the server
/// sends answers one the client sent (its clients pair replies with frames), so it gets none.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Resume {
    session: Option<String>,
    profile: Option<String>,
}

impl Resume {
    /// Whether the connection opens with a `session` message.
    fn announced(&self) -> bool {
        self.session.is_some() || self.profile.is_some()
    }

    /// The session to resume, if any.
    fn resumed(&self) -> Option<String> {
        self.session.clone().filter(|s| s != "new")
    }
}

pub async fn upgrade(
    State(state): State<AppState>,
    resume: Result<Query<Resume>, QueryRejection>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // A handshake that is not one is a JSON error like any other.
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            let message = format!(
                "a WebSocket handshake is required: {}",
                rejection.body_text()
            );
            return match rejection.status() {
                StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed("this".into()),
                StatusCode::UPGRADE_REQUIRED => ApiError::UpgradeRequired(message),
                _ => ApiError::BadRequest(message),
            }
            .into_response();
        }
    };
    let max = state.config.ws_max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run(state, socket, resume.map(|q| q.0).unwrap_or_default()))
}

/// The learner's calibration for this connection, and what the opening message says of it. A
/// database that cannot be read costs the calibration (logged), not the connection.
async fn calibration(
    state: &AppState,
    profile: String,
) -> Result<(Option<Arc<Calibrated>>, CalibrationStatus), ApiError> {
    let profile = crate::routes::check_profile(profile)?;
    let fitted = match state
        .calibrations
        .for_profile(&state.storage, &profile)
        .await
    {
        Ok(fitted) => fitted,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a calibration; reading without it");
            None
        }
    };
    let status = CalibrationStatus {
        profile,
        examples: fitted.as_ref().map_or(0, |f| f.examples),
        labels: fitted.as_ref().map_or(0, |f| f.labels),
    };
    Ok((fitted.map(|f| f.reader), status))
}

/// Whether a receive error is a message or frame over the size limit.
fn is_too_big(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tungstenite::Error::Capacity(_)) = err.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// What a frame brings.
enum Input {
    /// An image's bytes.
    Image(Vec<u8>),
    /// The hands found on the device.
    Landmarks(DeviceFrame),
}

/// A frame, numbered in order of arrival on the connection.
struct Pending {
    input: Input,
    number: u64,
}

/// What comes back from a worker: the interpreter and the frame's answer (`None`: both lost
/// to a bug), with the frame's number.
type Returned = (
    u64,
    Option<(Box<Interpreter>, Result<Answer<Outcome>, ApiError>)>,
);

/// The frame being read.
type InFlight = Pin<Box<dyn Future<Output = Returned> + Send>>;

async fn run(state: AppState, socket: WebSocket, asked: Resume) {
    let (mut tx, mut rx) = socket.split();
    if let Err(e) = state.admit_heavy() {
        let _ = tx.send(error_message(&state, &e)).await;
        let _ = tx.send(close(TRY_AGAIN_LATER, "short of memory")).await;
        return;
    }
    let session = match state.sessions.open_ws(Instant::now()) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(error_message(&state, &e)).await;
            let _ = tx.send(close(TRY_AGAIN_LATER, "too many sessions")).await;
            return;
        }
    };
    let announced = asked.announced();
    let (mut sentence, mut opening) = resumed::open(&state, asked.resumed()).await;
    let mut refused = None;
    if let Some(profile) = asked.profile {
        match calibration(&state, profile).await {
            Ok((reader, status)) => {
                sentence.interpreter.calibrate(reader);
                opening.calibration = Some(status);
            }
            Err(e) => refused = Some(error_message(&state, &e)),
        }
    }
    if announced
        && tx
            .send(message(&ServerMessage::Session(opening)))
            .await
            .is_err()
    {
        return;
    }
    // A malformed profile id is told, and the connection reads without calibration.
    if let Some(refused) = refused {
        if tx.send(refused).await.is_err() {
            return;
        }
    }
    tracing::debug!("websocket session opened");
    let mut stream = Stream {
        interpreter: Some(sentence.interpreter),
        saver: sentence.saver,
        state: state.clone(),
        session,
        in_flight: None,
        waiting: None,
        held_edits: Vec::new(),
        received: 0,
        dropped: 0,
        device_clock: None,
    };
    let limits = Limits {
        max_image: state.config.max_body_bytes,
        max_hands: state.config.pipeline.pipeline.max_hands,
    };
    let mut shutdown = state.shutdown.clone();
    let mut last_message = Instant::now();
    loop {
        let idle_deadline = tokio::time::Instant::from_std(last_message + state.config.ws_idle);
        let outgoing: Vec<Message> = tokio::select! {
            message = rx.next() => {
                last_message = Instant::now();
                stream.session.touch(last_message);
                let message = match message {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        // Oversized or malformed at the protocol level: the connection is
                        // unusable. An oversized message is told so (1009), as RFC 6455 says.
                        tracing::debug!(error = %e, "websocket receive failed");
                        if is_too_big(&e) {
                            let _ = tx.send(close(MESSAGE_TOO_BIG, "message too big")).await;
                        }
                        break;
                    }
                    None => break,
                };
                match parse(message, limits) {
                    Ok(None) => vec![],
                    Ok(Some(Request::Frame(bytes))) => stream.on_frame(Input::Image(bytes)),
                    Ok(Some(Request::Landmarks(frame))) => stream.on_frame(Input::Landmarks(frame)),
                    Ok(Some(Request::Edit(edit))) => stream.on_edit(edit),
                    Ok(Some(Request::Ping)) => vec![protocol::message(&ServerMessage::Pong)],
                    Err(ParseOutcome::Close) => break,
                    Err(ParseOutcome::Bad(e)) => vec![error_message(&state, &e)],
                }
            }
            returned = async {
                stream.in_flight.as_mut().expect("guarded by the select condition; this is a bug").await
            }, if stream.in_flight.is_some() => stream.on_return(returned),
            _ = tokio::time::sleep_until(idle_deadline) => {
                let _ = tx.send(close(GOING_AWAY, "idle timeout")).await;
                break;
            }
            _ = shutdown.changed() => {
                let _ = tx.send(close(GOING_AWAY, "server shutting down")).await;
                break;
            }
        };
        for message in outgoing {
            // A client that stops reading must not hold the session (and its frames) forever.
            let sent = tokio::time::timeout(state.config.request_timeout, tx.send(message)).await;
            if !matches!(sent, Ok(Ok(()))) {
                tracing::debug!("websocket client too slow or gone; closing");
                return;
            }
        }
    }
    tracing::debug!(
        frames = stream.received,
        dropped = stream.dropped,
        "websocket session closed"
    );
}

/// One connection's session, as seen from its task.
struct Stream {
    state: AppState,
    session: WsSession,
    /// The session's interpreter between frames; `None` while it is away with `in_flight`.
    interpreter: Option<Box<Interpreter>>,
    /// Hands the committed text to the task that stores it.
    saver: resumed::Saver,
    /// The frame being read (at most one); it brings the interpreter back.
    in_flight: Option<InFlight>,
    /// The newest frame that arrived while one was in flight.
    waiting: Option<Pending>,
    /// Edits that arrived while the interpreter was away, oldest first.
    held_edits: Vec<Edit>,
    received: u64,
    dropped: u64,
    /// On-device frames: (the page's time, the server's) at the first one, and the last time
    /// given to the sentence builder.
    device_clock: Option<((u64, u64), u64)>,
}

impl Stream {
    /// A new frame: read at once if the interpreter is here, else it waits, replacing (and
    /// dropping) a frame already waiting.
    fn on_frame(&mut self, input: Input) -> Vec<Message> {
        self.received += 1;
        self.session.stats.frame();
        let frame = Pending {
            input,
            number: self.received,
        };
        match self.interpreter.take() {
            Some(interpreter) => self.start(interpreter, frame),
            None => {
                if self.waiting.replace(frame).is_some() {
                    self.dropped += 1;
                    self.session.stats.dropped();
                    self.state.metrics.frame_dropped();
                }
                vec![]
            }
        }
    }

    /// Reads `frame`: hands from the device at once, here; an image on a worker, where the
    /// interpreter goes with it (kept, with an error answered, if the frame cannot be queued).
    fn start(&mut self, interpreter: Box<Interpreter>, frame: Pending) -> Vec<Message> {
        let bytes = match frame.input {
            Input::Image(bytes) => bytes,
            Input::Landmarks(device) => {
                return vec![self.read_device_frame(interpreter, frame.number, device)]
            }
        };
        // A frame's answer is worth nothing after the request timeout; its decode stops then.
        let deadline = Instant::now() + self.state.config.request_timeout;
        match self.state.submit(interpreter, bytes, Mode::Video, deadline) {
            Ok(job) => {
                let state = self.state.clone();
                let number = frame.number;
                self.in_flight = Some(Box::pin(async move {
                    (number, state.finish(job, Source::Ws).await)
                }));
                vec![]
            }
            Err((e, interpreter)) => {
                self.interpreter = Some(interpreter);
                vec![error_message(&self.state, &e)]
            }
        }
    }

    /// The interpreter is back: the frame's answer, the edits held meanwhile, then the waiting
    /// frame is started.
    fn on_return(&mut self, (number, returned): Returned) -> Vec<Message> {
        self.in_flight = None;
        let (mut interpreter, answer) = returned.unwrap_or_else(|| {
            tracing::error!("a websocket frame's job died; the session starts a new sentence");
            (
                Box::new(self.state.sessions.interpreter()),
                Err(job_failed()),
            )
        });
        let mut out = vec![match answer {
            Ok(answer) => self.prediction(number, answer),
            Err(e) => error_message(&self.state, &e),
        }];
        for edit in std::mem::take(&mut self.held_edits) {
            out.push(sentence_message(interpreter.edit(edit)));
        }
        self.saver.keep(&interpreter);
        self.session.stats.set_words(&interpreter);
        match self.waiting.take() {
            Some(frame) => out.extend(self.start(interpreter, frame)),
            None => self.interpreter = Some(interpreter),
        }
        out
    }

    /// An on-device frame: the classifier and the sentence builder, on this task (microseconds).
    fn read_device_frame(
        &mut self,
        mut interpreter: Box<Interpreter>,
        number: u64,
        frame: DeviceFrame,
    ) -> Message {
        let started = Instant::now();
        let t_ms = self.device_time(frame.t_ms);
        let outcome = interpreter.landmarks(t_ms, frame.hands, frame.width, frame.height);
        self.saver.keep(&interpreter);
        self.session.stats.set_words(&interpreter);
        self.interpreter = Some(interpreter);
        let times = StageTimes {
            classify: outcome.reading.timings.classify,
            total: started.elapsed(),
            ..StageTimes::default()
        };
        self.state.metrics.observe_landmarks(&times);
        let answer = Answer {
            value: outcome,
            times,
            timestamp: unix_seconds(),
        };
        self.prediction(number, answer)
    }

    /// The sentence builder's time for an on-device frame seen at `page_ms` on the page's
    /// clock: the page's own spacing of frames (so network jitter does not shorten a held
    /// letter), on the server's clock (so image frames on the same connection agree), and
    /// never going back.
    fn device_time(&mut self, page_ms: u64) -> u64 {
        let now = self.state.clock_ms();
        let ((page0, server0), last) = *self.device_clock.get_or_insert(((page_ms, now), now));
        let t = (server0 + page_ms.saturating_sub(page0)).max(last);
        self.device_clock = Some(((page0, server0), t));
        t
    }

    fn on_edit(&mut self, edit: Edit) -> Vec<Message> {
        match self.interpreter.as_mut() {
            Some(interpreter) => {
                let sentence = interpreter.edit(edit);
                self.saver.keep(interpreter);
                self.session.stats.set_words(interpreter);
                vec![sentence_message(sentence)]
            }
            None if self.held_edits.len() < MAX_HELD_EDITS => {
                self.held_edits.push(edit);
                vec![]
            }
            None => vec![error_message(&self.state, &ApiError::Overloaded)],
        }
    }

    fn prediction(&self, number: u64, answer: Answer<Outcome>) -> Message {
        let outcome = answer.value;
        message(&ServerMessage::Prediction(PredictionMessage {
            prediction: PredictionBody::new(&outcome.reading, answer.timestamp),
            sentence: outcome.sentence.into(),
            committed: outcome.committed,
            frame: number,
            dropped: self.dropped,
            timings_ms: TimingsMs::from(&answer.times),
        }))
    }
}

fn sentence_message(sentence: signbridge_signs::SentenceState) -> Message {
    message(&ServerMessage::Sentence(sentence.into()))
}

/// An error reply, counted in the failure metrics.
fn error_message(state: &crate::state::State, e: &ApiError) -> Message {
    state.metrics.failure(e.kind().as_str());
    if let ApiError::Internal(detail) = e {
        tracing::error!(detail = %detail, "websocket frame failed");
    }
    message(&ServerMessage::Error(e.body()))
}
