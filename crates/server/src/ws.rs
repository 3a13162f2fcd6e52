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

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::analysis::{Analysis, PredictionBody, TimingsMs};
use crate::error::ApiError;
use crate::metrics::Source;
use crate::recognition::SentenceState;
use crate::sessions::{lock, WsSession};
use crate::state::{AppState, SharedTracker};

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const TRY_AGAIN_LATER: u16 = 1013;

pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let max = state.config.ws_max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run(state, socket))
}

/// What a client message asks for.
#[derive(Debug, PartialEq)]
enum Request {
    Frame(Vec<u8>),
    Clear,
    Space,
    Backspace,
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
        received: 0,
        dropped: 0,
    };
    let mut shutdown = state.shutdown.clone();
    let mut in_flight: Option<InFlight> = None;
    let mut waiting: Option<Pending> = None;
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
                    Ok(Some(Request::Frame(bytes))) => {
                        stream.received += 1;
                        lock(&stream.session.state).frames += 1;
                        let frame = Pending { bytes, number: stream.received };
                        if in_flight.is_some() {
                            if waiting.replace(frame).is_some() {
                                stream.drop_frame();
                            }
                            vec![]
                        } else {
                            match stream.start(frame) {
                                Ok(job) => {
                                    in_flight = Some(job);
                                    vec![]
                                }
                                Err(e) => vec![error_message(&state, &e)],
                            }
                        }
                    }
                    Ok(Some(command)) => vec![stream.command(command)],
                    Err(ParseOutcome::Close) => break,
                    Err(ParseOutcome::Bad(e)) => vec![error_message(&state, &e)],
                }
            }
            (number, result) = async { in_flight.as_mut().expect("guarded by the select condition; this is a bug").await },
                if in_flight.is_some() =>
            {
                in_flight = None;
                let mut out = vec![match result {
                    Ok(analysis) => stream.prediction(number, &analysis),
                    Err(e) => error_message(&state, &e),
                }];
                if let Some(frame) = waiting.take() {
                    match stream.start(frame) {
                        Ok(job) => in_flight = Some(job),
                        Err(e) => out.push(error_message(&state, &e)),
                    }
                }
                out
            }
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
    received: u64,
    dropped: u64,
}

impl Stream {
    /// Offers a frame to the worker pool (refused at once if the queue is full).
    fn start(&mut self, frame: Pending) -> Result<InFlight, ApiError> {
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
                Request::Frame(_) => {}
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

#[derive(Serialize)]
struct PredictionMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    prediction: PredictionBody,
    #[serde(flatten)]
    sentence: SentenceState,
    committed: Option<String>,
    frame: u64,
    dropped: u64,
    timings_ms: TimingsMs,
}

#[derive(Serialize)]
struct SentenceMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    sentence: SentenceState,
}

fn json_message(body: &impl Serialize) -> Message {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialise a websocket reply; this is a bug");
        r#"{"type":"error","error":"internal error","error_type":"internal"}"#.to_string()
    });
    Message::Text(Utf8Bytes::from(text))
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

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

#[derive(Debug)]
enum ParseOutcome {
    Close,
    Bad(ApiError),
}

/// Reads one client message. `Ok(None)`: nothing to answer (ping, pong).
fn parse(message: Message, max_image: usize) -> Result<Option<Request>, ParseOutcome> {
    let too_large = || {
        ParseOutcome::Bad(ApiError::PayloadTooLarge(format!(
            "frame over the limit of {max_image} bytes"
        )))
    };
    match message {
        Message::Binary(bytes) => {
            if bytes.len() > max_image {
                return Err(too_large());
            }
            Ok(Some(Request::Frame(bytes.to_vec())))
        }
        Message::Text(text) => parse_text(text.as_str(), max_image).map(Some),
        Message::Ping(_) | Message::Pong(_) => Ok(None),
        Message::Close(_) => Err(ParseOutcome::Close),
    }
}

fn parse_text(text: &str, max_image: usize) -> Result<Request, ParseOutcome> {
    let bad = |m: &str| ParseOutcome::Bad(ApiError::BadRequest(m.to_string()));
    let value: Value = serde_json::from_str(text).map_err(|_| bad("invalid JSON"))?;
    let Value::Object(map) = value else {
        return Err(bad("expected a JSON object with a \"type\""));
    };
    match map.get("type").and_then(Value::as_str) {
        Some("frame") => {
            let data = map
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("a frame needs \"data\": a base64 image or data URL"))?;
            // "data:image/jpeg;base64,...." or bare base64.
            let payload = data.split_once(',').map_or(data, |(_, b64)| b64);
            if payload.len() / 4 * 3 > max_image + 3 {
                return Err(ParseOutcome::Bad(ApiError::PayloadTooLarge(format!(
                    "frame over the limit of {max_image} bytes"
                ))));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload.trim())
                .map_err(|e| bad(&format!("\"data\" is not valid base64: {e}")))?;
            Ok(Request::Frame(bytes))
        }
        Some("clear") => Ok(Request::Clear),
        Some("space") => Ok(Request::Space),
        Some("backspace") => Ok(Request::Backspace),
        Some(other) => Err(bad(&format!(
            "unknown message type {other:?}; expected frame, clear, space or backspace"
        ))),
        None => Err(bad("missing \"type\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: Result<Request, ParseOutcome>) -> &'static str {
        match r {
            Err(ParseOutcome::Bad(e)) => e.kind(),
            Err(ParseOutcome::Close) => "close",
            Ok(_) => "ok",
        }
    }

    #[test]
    fn data_url_frame_is_decoded() {
        let r = parse_text(
            r#"{"type":"frame","data":"data:image/jpeg;base64,AAEC"}"#,
            100,
        );
        assert!(matches!(r, Ok(Request::Frame(b)) if b == [0, 1, 2]));
    }

    #[test]
    fn malformed_messages_are_bad_requests() {
        for text in [
            "not json {",
            "[1,2,3]",
            "null",
            r#"{"type":"bogus"}"#,
            r#"{"type":"frame"}"#,
            r#"{"type":"frame","data":12345}"#,
            r#"{"type":"frame","data":"data:image/jpeg;base64,@@@@"}"#,
        ] {
            assert_eq!(kind(parse_text(text, 100)), "bad_request", "{text}");
        }
    }

    #[test]
    fn oversized_frame_is_refused_before_decoding() {
        let text = format!(r#"{{"type":"frame","data":"{}"}}"#, "A".repeat(400));
        assert_eq!(kind(parse_text(&text, 100)), "payload_too_large");
    }

    #[test]
    fn sentence_commands_are_recognised() {
        assert_eq!(
            parse_text(r#"{"type":"space"}"#, 1).ok(),
            Some(Request::Space)
        );
        assert_eq!(
            parse_text(r#"{"type":"clear"}"#, 1).ok(),
            Some(Request::Clear)
        );
        assert_eq!(
            parse_text(r#"{"type":"backspace"}"#, 1).ok(),
            Some(Request::Backspace)
        );
    }
}
