//! The WebSocket messages: what a client may send (parsed and checked here, so that any
//! malformed message becomes an error reply) and the bodies the server sends back.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::analysis::{PredictionBody, TimingsMs};
use crate::error::ApiError;
use crate::recognition::SentenceState;

/// What a client message asks for.
#[derive(Debug, PartialEq)]
pub enum Request {
    Frame(Vec<u8>),
    Clear,
    Space,
    Backspace,
    /// A keep-alive from a page whose camera is off: answered with `{"type":"pong"}`.
    Ping,
}

#[derive(Serialize)]
pub struct PredictionMessage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(flatten)]
    pub prediction: PredictionBody,
    #[serde(flatten)]
    pub sentence: SentenceState,
    pub committed: Option<String>,
    pub frame: u64,
    pub dropped: u64,
    pub timings_ms: TimingsMs,
}

#[derive(Serialize)]
pub struct SentenceMessage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(flatten)]
    pub sentence: SentenceState,
}

pub fn json_message(body: &impl Serialize) -> Message {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialise a websocket reply; this is a bug");
        r#"{"type":"error","error":"internal error","error_type":"internal"}"#.to_string()
    });
    Message::Text(Utf8Bytes::from(text))
}

/// The answer to a client's `{"type":"ping"}`.
pub fn pong() -> Message {
    Message::Text(Utf8Bytes::from_static(r#"{"type":"pong"}"#))
}

pub fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

#[derive(Debug)]
pub enum ParseOutcome {
    Close,
    Bad(ApiError),
}

/// Reads one client message. `Ok(None)`: nothing to answer (ping, pong).
pub fn parse(message: Message, max_image: usize) -> Result<Option<Request>, ParseOutcome> {
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
        Some("ping") => Ok(Request::Ping),
        Some(other) => Err(bad(&format!(
            "unknown message type {other:?}; expected frame, clear, space, backspace or ping"
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
        assert_eq!(
            parse_text(r#"{"type":"ping"}"#, 1).ok(),
            Some(Request::Ping)
        );
    }
}
