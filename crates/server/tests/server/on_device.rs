//! On-device mode over real sockets, with stub hand models (which the landmarks never reach):
//! `landmarks` messages on the WebSocket build the sentence from the page's own timestamps,
//! malformed ones get an error each and the connection stays usable; `POST /predict-landmarks`;
//! `/api/on-device` when the mode is off.

use futures_util::SinkExt;
use serde_json::{json, Value};
use signbridge_signs::Classifier;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{next_json, TestServer, Ws};

/// One hand making `letter` (the classifier's own example), as MediaPipe's normalised points.
fn hand(letter: &str) -> Value {
    let shape = *Classifier::default_model().handshape(letter).unwrap();
    let points: Vec<[f32; 3]> = shape
        .iter()
        .map(|&[x, y, z]| [0.5 + 0.3 * x, 0.6 + 0.3 * y, 0.3 * z])
        .collect();
    json!({"handedness": "Left", "score": 0.96, "landmarks": points})
}

fn landmarks(t: u64, hands: Vec<Value>) -> Value {
    json!({"type": "landmarks", "t": t, "width": 640, "height": 480, "hands": hands})
}

/// A new session, its opening `session` message read.
async fn connect(s: &TestServer) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    let opening = next_json(&mut ws).await.expect("a session message");
    assert_eq!(opening["type"], "session", "{opening}");
    ws
}

async fn ask(ws: &mut Ws, text: String) -> Value {
    ws.send(Message::text(text)).await.expect("send");
    next_json(ws).await.expect("a reply, not a close")
}

#[tokio::test]
async fn landmarks_build_the_sentence_on_the_pages_clock() {
    let s = TestServer::start(&[]).await.ready().await;
    let mut ws = connect(&s).await;
    // H held for a second, a second without a hand, then I: sent all at once (no real time
    // passes), so only the page's timestamps can make the letters held and the gap a word end.
    let mut committed = Vec::new();
    let frames = (0..10)
        .map(|i| landmarks(i * 100, vec![hand("H")]))
        .chain((10..25).map(|i| landmarks(i * 100, vec![])))
        .chain((25..35).map(|i| landmarks(i * 100, vec![hand("I")])));
    let mut last = Value::Null;
    for frame in frames {
        let reply = ask(&mut ws, frame.to_string()).await;
        assert_eq!(reply["type"], "prediction", "{reply}");
        if let Some(c) = reply["committed"].as_str() {
            committed.push(c.to_string());
        }
        last = reply;
    }
    assert_eq!(committed, ["H", "space", "I"], "{last}");
    assert_eq!(last["full_sentence"], "H I");
    assert_eq!(last["label"], "I");
    // the hand comes back in pixels of the page's frame, for the overlay
    let wrist = &last["hands"][0]["landmarks"][0];
    assert!((wrist[0].as_f64().unwrap() - 320.0).abs() < 1.0, "{wrist}");
    assert_eq!(
        (last["image_width"].as_u64(), last["image_height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(last["timings_ms"]["palm"], 0.0);
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("source=\"landmarks\"} 35"), "{metrics}");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_landmark_messages_each_get_an_error_and_the_connection_stays_usable() {
    let s = TestServer::start(&[]).await.ready().await;
    let mut ws = connect(&s).await;
    let mut short = hand("B");
    short["landmarks"].as_array_mut().unwrap().truncate(20);
    let good = landmarks(0, vec![hand("B")]).to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong count",
            landmarks(0, vec![short]).to_string(),
            "bad_request",
        ),
        ("NaN", good.replacen("0.96", "NaN", 1), "bad_request"),
        (
            "huge number",
            good.replacen("0.96", "1e999", 1),
            "bad_request",
        ),
        (
            "point far outside",
            {
                let mut h = hand("B");
                h["landmarks"][5][1] = json!(1e30);
                landmarks(0, vec![h]).to_string()
            },
            "bad_request",
        ),
        (
            "wrong types",
            json!({"type": "landmarks", "t": "now", "width": "wide", "height": 480, "hands": {}})
                .to_string(),
            "bad_request",
        ),
        (
            "1,000 hands",
            landmarks(0, vec![hand("B"); 1000]).to_string(),
            "payload_too_large",
        ),
        (
            "3 hands of 2",
            landmarks(0, vec![hand("B"); 3]).to_string(),
            "bad_request",
        ),
        (
            "10 MB of JSON",
            format!(
                r#"{{"type":"landmarks","t":0,"width":640,"height":480,"hands":[],"x":"{}"}}"#,
                "y".repeat(10_000_000)
            ),
            "payload_too_large",
        ),
    ];
    for (what, text, expected) in cases {
        let reply = ask(&mut ws, text).await;
        assert_eq!(reply["type"], "error", "{what}: {reply}");
        assert_eq!(reply["error_type"], expected, "{what}: {reply}");
        // and the connection still reads a good message
        let ok = ask(&mut ws, good.clone()).await;
        assert_eq!(ok["type"], "prediction", "after {what}: {ok}");
        assert_eq!(ok["label"], "B", "after {what}");
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn predict_landmarks_reads_a_photos_hands_found_on_the_device() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let body = json!({"t": 0, "width": 224, "height": 224, "hands": [hand("V")]});
    let r = client
        .post(s.url("/predict-landmarks"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["label"], "V", "{v}");
    assert_eq!(v["landmarks_detected"], true);
    let none = json!({"t": 0, "width": 224, "height": 224, "hands": []});
    let v: Value = client
        .post(s.url("/predict-landmarks"))
        .json(&none)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (v["label"].clone(), v["landmarks_detected"].clone()),
        (Value::Null, json!(false))
    );
    for (body, status, kind) in [
        ("{\"t\":0}".to_string(), 400, "bad_request"),
        (
            json!({"t": 0, "width": 224, "height": 224, "hands": vec![hand("V"); 1000]})
                .to_string(),
            413,
            "payload_too_large",
        ),
        ("not json".to_string(), 400, "bad_request"),
    ] {
        let r = client
            .post(s.url("/predict-landmarks"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error_type"], kind, "{v}");
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_server_without_on_device_mode_says_so_and_serves_no_files() {
    let s = TestServer::start(&["--on-device", "false"])
        .await
        .ready()
        .await;
    let r = reqwest::get(s.url("/api/on-device")).await.unwrap();
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error_type"], "on_device_unavailable");
    assert!(
        v["error"].as_str().unwrap().contains("--on-device false"),
        "{v}"
    );
    let r = reqwest::get(s.url("/static/mediapipe/0.10.21/vision_bundle.mjs"))
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let r = reqwest::get(s.url("/static/mediapipe/9.9.9/vision_bundle.mjs"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await.unwrap();
}
