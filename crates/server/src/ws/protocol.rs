//! WebSocket transport: a client message (binary frame, or text as `wire::ClientMessage`) read
//! and checked into a [`Request`], so that any malformed message becomes an error reply; and
//! server messages (`wire::ServerMessage`) written as text.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use base64::Engine as _;
use signbridge_interpreter::Edit;

use crate::error::ApiError;
use crate::landmarks::{self, DeviceFrame};
use crate::wire::{ClientMessage, ServerMessage};

/// What a client message asks for.
#[derive(Debug, PartialEq)]
pub enum Request {
    /// An image to read.
    Frame(Vec<u8>),
    /// The hands found on the device (on-device mode), checked.
    Landmarks(DeviceFrame),
    Edit(Edit),
    /// A keep-alive from a page whose camera is off.
    Ping,
}

#[derive(Debug)]
pub enum ParseOutcome {
    Close,
    Bad(ApiError),
}

pub fn message(body: &ServerMessage) -> Message {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialise a websocket reply; this is a bug");
        r#"{"type":"error","error":"internal error","error_type":"internal"}"#.to_string()
    });
    Message::Text(Utf8Bytes::from(text))
}

pub fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// What a client message may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest image, in bytes.
    pub max_image: usize,
    /// The most hands in an on-device frame.
    pub max_hands: usize,
}

/// Reads one client message. `Ok(None)`: nothing to answer (protocol ping, pong).
pub fn parse(message: Message, limits: Limits) -> Result<Option<Request>, ParseOutcome> {
    let max_image = limits.max_image;
    match message {
        Message::Binary(bytes) => {
            if bytes.len() > max_image {
                return Err(too_large(max_image));
            }
            Ok(Some(Request::Frame(bytes.to_vec())))
        }
        Message::Text(text) => parse_text(text.as_str(), limits).map(Some),
        Message::Ping(_) | Message::Pong(_) => Ok(None),
        Message::Close(_) => Err(ParseOutcome::Close),
    }
}

fn too_large(max_image: usize) -> ParseOutcome {
    ParseOutcome::Bad(ApiError::PayloadTooLarge(format!(
        "frame over the limit of {max_image} bytes"
    )))
}

/// Only a frame (an image as base64) may be longer than a landmarks message.
#[derive(serde::Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
}

fn parse_text(text: &str, limits: Limits) -> Result<Request, ParseOutcome> {
    let max_image = limits.max_image;
    let bad = |m: String| ParseOutcome::Bad(ApiError::BadRequest(m));
    if text.len() > landmarks::MAX_MESSAGE_BYTES
        && serde_json::from_str::<Kind>(text).is_ok_and(|k| k.kind != Some("frame"))
    {
        return Err(ParseOutcome::Bad(ApiError::PayloadTooLarge(format!(
            "a message other than a frame may be at most {} bytes",
            landmarks::MAX_MESSAGE_BYTES
        ))));
    }
    let message: ClientMessage = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "expected a JSON object with a \"type\" of frame, landmarks, clear, space, backspace \
             or ping ({e})"
        ))
    })?;
    Ok(match message {
        ClientMessage::Landmarks(frame) => Request::Landmarks(
            landmarks::check(frame, limits.max_hands).map_err(ParseOutcome::Bad)?,
        ),
        ClientMessage::Frame { data } => {
            // "data:image/jpeg;base64,...." or bare base64.
            let payload = data.split_once(',').map_or(data.as_str(), |(_, b64)| b64);
            if payload.len() / 4 * 3 > max_image + 3 {
                return Err(too_large(max_image));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload.trim())
                .map_err(|e| bad(format!("\"data\" is not valid base64: {e}")))?;
            Request::Frame(bytes)
        }
        ClientMessage::Clear => Request::Edit(Edit::Clear),
        ClientMessage::Space => Request::Edit(Edit::Space),
        ClientMessage::Backspace => Request::Edit(Edit::Backspace),
        ClientMessage::Ping => Request::Ping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ErrorType;

    const LIMITS: Limits = Limits {
        max_image: 100,
        max_hands: 2,
    };

    fn kind(r: Result<Request, ParseOutcome>) -> Option<ErrorType> {
        match r {
            Err(ParseOutcome::Bad(e)) => Some(e.kind()),
            _ => None,
        }
    }

    #[test]
    fn data_url_frame_is_decoded() {
        let r = parse_text(
            r#"{"type":"frame","data":"data:image/jpeg;base64,AAEC"}"#,
            LIMITS,
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
            assert_eq!(
                kind(parse_text(text, LIMITS)),
                Some(ErrorType::BadRequest),
                "{text}"
            );
        }
    }

    #[test]
    fn oversized_frame_is_refused_before_decoding() {
        let text = format!(r#"{{"type":"frame","data":"{}"}}"#, "A".repeat(400));
        assert_eq!(
            kind(parse_text(&text, LIMITS)),
            Some(ErrorType::PayloadTooLarge)
        );
    }

    #[test]
    fn sentence_commands_are_recognised() {
        for (text, request) in [
            (r#"{"type":"space"}"#, Request::Edit(Edit::Space)),
            (r#"{"type":"clear"}"#, Request::Edit(Edit::Clear)),
            (r#"{"type":"backspace"}"#, Request::Edit(Edit::Backspace)),
            (r#"{"type":"ping"}"#, Request::Ping),
        ] {
            assert_eq!(parse_text(text, LIMITS).ok(), Some(request), "{text}");
        }
    }

    fn landmarks_json(hands: usize) -> String {
        let hand = format!(
            r#"{{"handedness":"Left","score":0.9,"landmarks":[{}]}}"#,
            vec!["[0.5,0.5,-0.01]"; 21].join(",")
        );
        format!(
            r#"{{"type":"landmarks","t":12.5,"width":448,"height":448,"hands":[{}]}}"#,
            vec![hand; hands].join(",")
        )
    }

    #[test]
    fn a_landmarks_message_is_read_into_hands_in_pixels() {
        match parse_text(&landmarks_json(1), LIMITS) {
            Ok(Request::Landmarks(f)) => {
                assert_eq!((f.t_ms, f.width, f.hands.len()), (12, 448, 1));
                let [x, y, z] = f.hands[0].landmarks[3];
                assert!(
                    (x - 224.0).abs() < 1e-3 && (y - 224.0).abs() < 1e-3,
                    "{x} {y}"
                );
                assert!((z + 4.48).abs() < 1e-3, "{z}");
            }
            other => panic!("{:?}", other.err().map(|_| "refused")),
        }
    }

    #[test]
    fn malformed_landmarks_messages_are_refused() {
        let huge = format!(
            r#"{{"type":"landmarks","t":1,"width":4,"height":4,"hands":[],"pad":"{}"}}"#,
            "x".repeat(10_000_000)
        );
        for (text, expected) in [
            (landmarks_json(1000), ErrorType::PayloadTooLarge),
            (landmarks_json(3), ErrorType::BadRequest),
            (huge, ErrorType::PayloadTooLarge),
            (
                landmarks_json(1).replace("[0.5,0.5,-0.01]]", "[0.5,0.5]]"),
                ErrorType::BadRequest,
            ),
            (
                landmarks_json(1).replace("-0.01]]", "1e39]]"),
                ErrorType::BadRequest,
            ),
            (
                landmarks_json(1).replace("\"t\":12.5", "\"t\":\"soon\""),
                ErrorType::BadRequest,
            ),
            (
                landmarks_json(1).replace("\"score\":0.9", "\"score\":0.9,\"extra\":1"),
                ErrorType::BadRequest,
            ),
            (
                r#"{"type":"landmarks","t":1,"width":4,"height":4,"hands":"none"}"#.into(),
                ErrorType::BadRequest,
            ),
        ] {
            assert_eq!(
                kind(parse_text(&text, LIMITS)),
                Some(expected),
                "{text:.120}"
            );
        }
    }
}
