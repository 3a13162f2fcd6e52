//! WebSocket transport: a client message (binary frame, or text as `wire::ClientMessage`) read
//! and checked into a [`Request`], so that any malformed message becomes an error reply; and
//! server messages (`wire::ServerMessage`) written as text.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use base64::Engine as _;
use signbridge_interpreter::Edit;

use crate::error::ApiError;
use crate::wire::{ClientMessage, ServerMessage};

/// What a client message asks for.
#[derive(Debug, PartialEq)]
pub enum Request {
    /// An image to read.
    Frame(Vec<u8>),
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

/// Reads one client message. `Ok(None)`: nothing to answer (protocol ping, pong).
pub fn parse(message: Message, max_image: usize) -> Result<Option<Request>, ParseOutcome> {
    match message {
        Message::Binary(bytes) => {
            if bytes.len() > max_image {
                return Err(too_large(max_image));
            }
            Ok(Some(Request::Frame(bytes.to_vec())))
        }
        Message::Text(text) => parse_text(text.as_str(), max_image).map(Some),
        Message::Ping(_) | Message::Pong(_) => Ok(None),
        Message::Close(_) => Err(ParseOutcome::Close),
    }
}

fn too_large(max_image: usize) -> ParseOutcome {
    ParseOutcome::Bad(ApiError::PayloadTooLarge(format!(
        "frame over the limit of {max_image} bytes"
    )))
}

fn parse_text(text: &str, max_image: usize) -> Result<Request, ParseOutcome> {
    let bad = |m: String| ParseOutcome::Bad(ApiError::BadRequest(m));
    let message: ClientMessage = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "expected a JSON object with a \"type\" of frame, clear, space, backspace or ping ({e})"
        ))
    })?;
    Ok(match message {
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
            assert_eq!(
                kind(parse_text(text, 100)),
                Some(ErrorType::BadRequest),
                "{text}"
            );
        }
    }

    #[test]
    fn oversized_frame_is_refused_before_decoding() {
        let text = format!(r#"{{"type":"frame","data":"{}"}}"#, "A".repeat(400));
        assert_eq!(
            kind(parse_text(&text, 100)),
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
            assert_eq!(parse_text(text, 1).ok(), Some(request), "{text}");
        }
    }
}
