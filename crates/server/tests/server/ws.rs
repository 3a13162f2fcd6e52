//! The WebSocket stream over real sockets, with stub hand models.

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use signbridge_server::Models;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{next_json, plain_jpeg, TestServer, Ws};

/// A new session: connects and reads the `session` message that opens it.
async fn connect(s: &TestServer) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url)
        .await
        .expect("websocket connects");
    let opening = next_json(&mut ws).await.expect("a session message");
    assert_eq!(
        (opening["type"].as_str(), opening["status"].as_str()),
        (Some("session"), Some("new")),
        "{opening}"
    );
    ws
}

fn frame_text(jpeg: &[u8]) -> Message {
    let data = format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    );
    Message::text(json!({"type": "frame", "data": data}).to_string())
}

async fn send(ws: &mut Ws, msg: Message) {
    ws.send(msg).await.expect("send");
}

/// Sends the stub's letter A every 50 ms until the session commits it; returns that reply.
async fn hold_a_until_committed(ws: &mut Ws) -> Value {
    for _ in 0..60 {
        send(ws, frame_text(&plain_jpeg())).await;
        let reply = next_json(ws).await.unwrap();
        assert_eq!(reply["type"], "prediction", "{reply}");
        if reply["committed"].is_string() {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("holding A for 60 frames never committed it");
}

#[tokio::test]
async fn frames_get_predictions_with_sentence_and_timings() {
    let s = TestServer::start(&[]).await.ready().await;
    let mut ws = connect(&s).await;
    send(&mut ws, frame_text(&plain_jpeg())).await;
    let reply = next_json(&mut ws).await.unwrap();
    assert_eq!(reply["type"], "prediction", "{reply}");
    assert_eq!(reply["label"], "A");
    assert_eq!(reply["frame"], 1);
    assert_eq!(reply["dropped"], 0);
    assert!(
        reply["full_sentence"].is_string() && reply.get("committed").is_some(),
        "{reply}"
    );
    for stage in ["decode", "palm", "landmark", "classify", "total"] {
        assert!(reply["timings_ms"][stage].is_number(), "{stage}: {reply}");
    }
    // A binary frame works too.
    send(&mut ws, Message::binary(plain_jpeg())).await;
    let reply = next_json(&mut ws).await.unwrap();
    assert_eq!(
        (reply["type"].as_str(), reply["frame"].as_u64()),
        (Some("prediction"), Some(2))
    );
    s.stop().await.unwrap();
}

/// The original's clients connect with no query and pair each reply with the frame they sent:
/// the connection opens with nothing, and every frame gets exactly one prediction.
#[tokio::test]
async fn a_client_of_the_original_protocol_gets_one_prediction_per_frame_and_nothing_else() {
    let s = TestServer::start(&[]).await.ready().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_base)
        .await
        .expect("websocket connects");
    // Nothing comes before the first frame.
    let early = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(early.is_err(), "an unasked message: {early:?}");
    for frame in 1..=3u64 {
        send(&mut ws, frame_text(&plain_jpeg())).await;
        let reply = next_json(&mut ws).await.unwrap();
        assert_eq!(
            (reply["type"].as_str(), reply["frame"].as_u64()),
            (Some("prediction"), Some(frame)),
            "{reply}"
        );
    }
    let after = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(after.is_err(), "a message no frame asked for: {after:?}");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn two_sessions_keep_separate_sentences() {
    let s = TestServer::start(&[]).await.ready().await;
    let (mut a, mut b) = (connect(&s).await, connect(&s).await);
    let reply = hold_a_until_committed(&mut a).await;
    assert_eq!(reply["current_word"], "A");
    send(&mut b, Message::text(r#"{"type":"space"}"#)).await;
    let reply = next_json(&mut b).await.unwrap();
    assert_eq!(
        reply,
        json!({"type": "sentence", "current_word": "", "words": [], "full_sentence": "", "last_prediction": null})
    );
    send(&mut a, Message::text(r#"{"type":"space"}"#)).await;
    let reply = next_json(&mut a).await.unwrap();
    assert_eq!(reply["words"], json!(["A"]));
    send(&mut a, Message::text(r#"{"type":"clear"}"#)).await;
    assert_eq!(next_json(&mut a).await.unwrap()["full_sentence"], "");
    let mem: Value = reqwest::get(s.url("/api/memory"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mem["sessions"], 2);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_messages_get_errors_and_the_connection_stays_usable() {
    let s = TestServer::start(&[]).await.ready().await;
    let jpeg = plain_jpeg();
    let b64 = |b: &[u8]| {
        format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        )
    };
    let cases = vec![
        ("invalid JSON", Message::text("not json {"), "bad_request"),
        ("JSON array", Message::text("[1, 2, 3]"), "bad_request"),
        ("JSON null", Message::text("null"), "bad_request"),
        (
            "unknown type",
            Message::text(r#"{"type":"bogus"}"#),
            "bad_request",
        ),
        (
            "bad base64",
            Message::text(r#"{"type":"frame","data":"data:image/jpeg;base64,@@@@not-base64"}"#),
            "bad_request",
        ),
        (
            "missing data",
            Message::text(r#"{"type":"frame"}"#),
            "bad_request",
        ),
        (
            "data not a string",
            Message::text(r#"{"type":"frame","data":12345}"#),
            "bad_request",
        ),
        (
            "not an image",
            Message::text(json!({"type":"frame","data": b64(b"this is not an image")}).to_string()),
            "unsupported_type",
        ),
        (
            "truncated JPEG",
            Message::text(json!({"type":"frame","data": b64(&jpeg[..300])}).to_string()),
            "undecodable_image",
        ),
        (
            "binary garbage",
            Message::binary(b"\x00\x01\x02binary".to_vec()),
            "unsupported_type",
        ),
        (
            "6 MiB binary frame",
            Message::binary(vec![0u8; 6 * 1024 * 1024]),
            "payload_too_large",
        ),
    ];
    let mut ws = connect(&s).await;
    for (name, message, want) in cases {
        send(&mut ws, message).await;
        let reply = next_json(&mut ws)
            .await
            .unwrap_or_else(|| panic!("{name}: connection closed"));
        assert_eq!(
            (reply["type"].as_str(), reply["error_type"].as_str()),
            (Some("error"), Some(want)),
            "{name}: {reply}"
        );
        send(&mut ws, frame_text(&jpeg)).await;
        let reply = next_json(&mut ws)
            .await
            .unwrap_or_else(|| panic!("{name}: closed after the error"));
        assert_eq!(reply["type"], "prediction", "{name}: usable after: {reply}");
    }
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("signbridge_failures_total{kind=\"bad_request\"} 7"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_newer_frame_replaces_a_waiting_one_and_is_counted_as_dropped() {
    let s = TestServer::start_with(&[], || Ok(Models::stub("A", Duration::from_millis(300))))
        .await
        .ready()
        .await;
    let mut ws = connect(&s).await;
    for _ in 0..5 {
        send(&mut ws, Message::binary(plain_jpeg())).await;
    }
    let first = next_json(&mut ws).await.unwrap();
    let last = next_json(&mut ws).await.unwrap();
    assert_eq!(
        (first["frame"].as_u64(), first["dropped"].as_u64()),
        (Some(1), Some(3)),
        "{first}"
    );
    assert_eq!(
        (last["frame"].as_u64(), last["dropped"].as_u64()),
        (Some(5), Some(3)),
        "{last}"
    );
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("signbridge_frames_dropped_total 3"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_over_the_cap_get_an_error_then_a_close() {
    let s = TestServer::start(&["--max-sessions", "1"])
        .await
        .ready()
        .await;
    let mut first = connect(&s).await;
    // Refused: no session is opened, so no `session` message comes.
    let (mut second, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    let reply = next_json(&mut second)
        .await
        .expect("an error before the close");
    assert_eq!(
        (reply["type"].as_str(), reply["error_type"].as_str()),
        (Some("error"), Some("too_many_sessions"))
    );
    assert!(
        next_json(&mut second).await.is_none(),
        "then the server closes"
    );
    send(&mut first, Message::binary(plain_jpeg())).await;
    assert_eq!(next_json(&mut first).await.unwrap()["type"], "prediction");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn idle_websocket_is_closed() {
    let s = TestServer::start(&["--ws-idle-secs", "0.3"])
        .await
        .ready()
        .await;
    let mut ws = connect(&s).await;
    let started = std::time::Instant::now();
    assert!(next_json(&mut ws).await.is_none(), "closed by the server");
    assert!(started.elapsed() < Duration::from_secs(5));
    s.stop().await.unwrap();
}

#[tokio::test]
async fn pings_keep_an_idle_session_and_its_sentence() {
    let s = TestServer::start(&["--ws-idle-secs", "0.5"])
        .await
        .ready()
        .await;
    let mut ws = connect(&s).await;
    hold_a_until_committed(&mut ws).await;
    // Three times the idle limit with no frames, only keep-alives.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        send(&mut ws, Message::text(r#"{"type":"ping"}"#)).await;
        assert_eq!(next_json(&mut ws).await, Some(json!({"type": "pong"})));
    }
    send(&mut ws, Message::text(r#"{"type":"space"}"#)).await;
    let reply = next_json(&mut ws).await.expect("still open");
    assert_eq!(reply["words"], json!(["A"]), "{reply}");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_open_websockets() {
    let s = TestServer::start(&[]).await.ready().await;
    let mut ws = connect(&s).await;
    send(&mut ws, Message::binary(plain_jpeg())).await;
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "prediction");
    let stopping = tokio::spawn(s.stop());
    assert!(
        next_json(&mut ws).await.is_none(),
        "the server closes the socket"
    );
    stopping.await.unwrap().expect("clean stop");
}

#[tokio::test]
async fn an_edit_sent_while_a_frame_is_read_is_applied_after_it_in_order() {
    let s = TestServer::start_with(&[], || Ok(Models::stub("A", Duration::from_millis(200))))
        .await
        .ready()
        .await;
    let mut ws = connect(&s).await;
    let committed = hold_a_until_committed(&mut ws).await;
    assert_eq!(committed["current_word"], "A");
    // The frame goes to a worker with the session's interpreter; the space and the backspace
    // arrive while it is away, and are answered after the frame, in the order sent.
    send(&mut ws, Message::binary(plain_jpeg())).await;
    send(&mut ws, Message::text(r#"{"type":"space"}"#)).await;
    send(&mut ws, Message::text(r#"{"type":"backspace"}"#)).await;
    let first = next_json(&mut ws).await.unwrap();
    assert_eq!(first["type"], "prediction", "{first}");
    let after_space = next_json(&mut ws).await.unwrap();
    assert_eq!(
        (after_space["type"].as_str(), &after_space["words"]),
        (Some("sentence"), &json!(["A"])),
        "{after_space}"
    );
    let after_backspace = next_json(&mut ws).await.unwrap();
    assert_eq!(after_backspace["full_sentence"], "", "{after_backspace}");
    s.stop().await.unwrap();
}

/// Whether `/metrics` shows a job waiting for the inference worker within `within`.
async fn a_job_waits(client: &reqwest::Client, s: &TestServer, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        let metrics = client
            .get(s.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.lines().any(|l| l == "signbridge_queue_depth 1") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test]
async fn a_frame_refused_for_a_full_queue_leaves_the_sentence_intact() {
    // One worker, one queue slot, a slow model. Each attempt sends one HTTP request, gives the
    // worker time to take it, sends a second that waits in the queue's only slot, and sends the
    // frame only once `/metrics` shows it waiting. On a loaded machine the worker can be slow to
    // take the first job (the second is then refused instead of queued): that attempt is
    // repeated.
    let s = TestServer::start_with(&["--workers", "1", "--queue-depth", "1"], || {
        Ok(Models::stub("A", Duration::from_millis(500)))
    })
    .await
    .ready()
    .await;
    let mut ws = connect(&s).await;
    hold_a_until_committed(&mut ws).await;
    let client = reqwest::Client::new();
    let post = || {
        let form = crate::common::upload(plain_jpeg(), "a.jpg", "image/jpeg");
        tokio::spawn(client.post(s.url("/predict-image")).multipart(form).send())
    };
    let mut refused = false;
    for _ in 0..10 {
        let running = post();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waiting = post();
        let full = a_job_waits(&client, &s, Duration::from_millis(300)).await;
        let reply = if full {
            send(&mut ws, Message::binary(plain_jpeg())).await;
            Some(next_json(&mut ws).await.unwrap())
        } else {
            None
        };
        let _ = running.await;
        let _ = waiting.await;
        if let Some(reply) = reply {
            if reply["type"] == "error" {
                assert_eq!(reply["error_type"], "overloaded", "{reply}");
                refused = true;
                break;
            }
        }
    }
    assert!(
        refused,
        "a websocket frame was refused while the pool was full"
    );
    send(&mut ws, Message::text(r#"{"type":"space"}"#)).await;
    let reply = next_json(&mut ws).await.unwrap();
    assert_eq!(
        reply["words"],
        json!(["A"]),
        "the sentence survived: {reply}"
    );
    s.stop().await.unwrap();
}
