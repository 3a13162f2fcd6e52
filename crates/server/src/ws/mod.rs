//! `WS /ws/stream`: one session per connection, with its own hand tracker and sentence.
//!
//! Frame skipping: at most one frame per session is being processed; a frame that arrives
//! meanwhile waits, and a newer one replaces it (the replaced frame is counted as dropped). A
//! live stream thus always gets the newest frame analysed and never queues without bound.
//! Bad messages get an error message and the connection stays usable.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

use crate::analysis::{Analysis, PredictionBody, TimingsMs};
use crate::error::ApiError;
use crate::metrics::Source;
use crate::sessions::{lock, WsSession};
use crate::state::{AppState, SharedTracker};

mod protocol;

use protocol::{
    close, json_message, parse, pong, ParseOutcome, PredictionMessage, Request, SentenceMessage,
};

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const TRY_AGAIN_LATER: u16 = 1013;

pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let max = state.config.ws_max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run(state, socket))
}

/// A frame waiting for the session's in-flight one to finish.
struct Pending {
    bytes: Vec<u8>,
    number: u64,
}

/// The session's frame being processed, and its number.
type InFlight = Pin<Box<dyn Future<Output = (u64, Result<Analysis, ApiError>)> + Send>>;

async fn run(state: AppState, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let session = match state.sessions.open_ws(Instant::now()) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(error_message(&state, &e)).await;
            let _ = tx.send(close(TRY_AGAIN_LATER, "too many sessions")).await;
            return;
        }
    };
    tracing::debug!("websocket session opened");
    let mut stream = Stream {
        state: state.clone(),
        session,
        tracker: None,
        in_flight: None,
        waiting: None,
        received: 0,
        dropped: 0,
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
                        // Oversized or malformed at the protocol level: the connection is unusable.
                        tracing::debug!(error = %e, "websocket receive failed");
                        break;
                    }
                    None => break,
                };
                match parse(message, state.config.max_body_bytes) {
                    Ok(None) => vec![],
                    Ok(Some(Request::Frame(bytes))) => stream.on_frame(bytes),
                    Ok(Some(Request::Ping)) => vec![pong()],
                    Ok(Some(command)) => vec![stream.command(command)],
                    Err(ParseOutcome::Close) => break,
                    Err(ParseOutcome::Bad(e)) => vec![error_message(&state, &e)],
                }
            }
            (number, result) = async {
                stream.in_flight.as_mut().expect("guarded by the select condition; this is a bug").await
            }, if stream.in_flight.is_some() => stream.on_result(number, result),
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

/// One connection's session state, as seen from its task.
struct Stream {
    state: AppState,
    session: WsSession,
    /// Created on the first frame (the models may still be loading when the socket opens).
    tracker: Option<SharedTracker>,
    /// The frame being processed (at most one).
    in_flight: Option<InFlight>,
    /// The newest frame that arrived while one was in flight.
    waiting: Option<Pending>,
    received: u64,
    dropped: u64,
}

impl Stream {
    /// A new frame: processed at once if none is in flight, else it waits, replacing (and
    /// dropping) a frame already waiting.
    fn on_frame(&mut self, bytes: Vec<u8>) -> Vec<Message> {
        self.received += 1;
        lock(&self.session.state).frames += 1;
        let frame = Pending {
            bytes,
            number: self.received,
        };
        if self.in_flight.is_some() {
            if self.waiting.replace(frame).is_some() {
                self.drop_frame();
            }
            return vec![];
        }
        self.start(frame)
    }

    /// The in-flight frame is done: its reply, then the waiting frame is started.
    fn on_result(&mut self, number: u64, result: Result<Analysis, ApiError>) -> Vec<Message> {
        self.in_flight = None;
        let mut out = vec![match result {
            Ok(analysis) => self.prediction(number, &analysis),
            Err(e) => error_message(&self.state, &e),
        }];
        if let Some(frame) = self.waiting.take() {
            out.extend(self.start(frame));
        }
        out
    }

    /// Starts a frame; an error reply if it cannot be queued.
    fn start(&mut self, frame: Pending) -> Vec<Message> {
        match self.submit(frame) {
            Ok(job) => {
                self.in_flight = Some(job);
                vec![]
            }
            Err(e) => vec![error_message(&self.state, &e)],
        }
    }

    /// Offers a frame to the worker pool (refused at once if the queue is full).
    fn submit(&mut self, frame: Pending) -> Result<InFlight, ApiError> {
        let models = self.state.models()?;
        let tracker = self
            .tracker
            .get_or_insert_with(|| Arc::new(Mutex::new(models.hands.tracker())))
            .clone();
        let job =
            self.state
                .submit(frame.bytes, Some(tracker), Some(self.session.state.clone()))?;
        let state = self.state.clone();
        let number = frame.number;
        Ok(Box::pin(async move {
            (number, state.finish(job, Source::Ws).await)
        }))
    }

    fn drop_frame(&mut self) {
        self.dropped += 1;
        lock(&self.session.state).dropped += 1;
        self.state.metrics.frame_dropped();
    }

    fn command(&mut self, command: Request) -> Message {
        let sentence = {
            let mut s = lock(&self.session.state);
            match command {
                Request::Clear => s.recognizer.clear(),
                Request::Space => s.recognizer.space(),
                Request::Backspace => s.recognizer.backspace(),
                Request::Frame(_) | Request::Ping => {}
            }
            s.recognizer.state()
        };
        json_message(&SentenceMessage {
            kind: "sentence",
            sentence,
        })
    }

    fn prediction(&mut self, number: u64, analysis: &Analysis) -> Message {
        let (committed, sentence) = analysis
            .sentence
            .clone()
            .unwrap_or_else(|| (None, lock(&self.session.state).recognizer.state()));
        json_message(&PredictionMessage {
            kind: "prediction",
            prediction: PredictionBody::from(analysis),
            sentence,
            committed,
            frame: number,
            dropped: self.dropped,
            timings_ms: TimingsMs::from(&analysis.times),
        })
    }
}

/// An error reply, counted in the failure metrics.
fn error_message(state: &crate::state::State, e: &ApiError) -> Message {
    state.metrics.failure(e.kind());
    if let ApiError::Internal(detail) = e {
        tracing::error!(detail = %detail, "websocket frame failed");
    }
    let mut body = e.body();
    if let Value::Object(map) = &mut body {
        map.insert("type".into(), Value::from("error"));
    }
    Message::Text(Utf8Bytes::from(body.to_string()))
}
