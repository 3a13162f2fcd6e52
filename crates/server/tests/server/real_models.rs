//! The real hand models end to end: fetched on first use into the model cache
//! (`SIGNBRIDGE_MODELS` or ~/.cache/signbridge/models), run on real photos from shared/data.

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use signbridge_server::{Config, Models};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{image, letter_a, upload, TestServer};

async fn start_real() -> TestServer {
    let config = Config::from_flags(["--workers", "1"]).expect("flags");
    TestServer::start_with(&["--workers", "1"], move || Models::load(&config.pipeline))
        .await
        .ready()
        .await
}

#[tokio::test]
async fn real_models_read_a_from_a_photo_of_a_and_no_hand_in_a_banana() {
    let s = start_real().await;
    let client = reqwest::Client::new();
    // `--engine auto`: LiteRT wherever it can be had, which CI makes sure of.
    let health: Value = client
        .get(s.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let engine = health["engine"].as_str().unwrap_or_default().to_string();
    assert!(["litert", "tract"].contains(&engine.as_str()), "{health}");
    if std::env::var_os("CI").is_some() {
        assert_eq!(engine, "litert", "CI runs the default engine");
    }
    assert_eq!(
        health["precision"], "exact",
        "the default: MediaPipe's weights"
    );
    let metrics = client.get(s.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains(&format!("signbridge_engine{{engine=\"{engine}\"}} 1")),
        "{metrics}"
    );
    let r =
        client
            .post(s.url("/predict-image"))
            .multipart(upload(letter_a(), "a.jpg", "image/jpeg"));
    let body: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["landmarks_detected"], true, "{body}");
    assert_eq!(body["hands"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["label"], "A", "{body}");
    let wrist = &body["hands"][0]["landmarks"][0];
    assert!(
        (0.0..224.0).contains(&wrist[0].as_f64().unwrap()),
        "landmarks in image pixels: {wrist}"
    );

    let r = client.post(s.url("/predict-image")).multipart(upload(
        image("negatives/banana.jpg"),
        "b.jpg",
        "image/jpeg",
    ));
    let body: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["landmarks_detected"], false, "{body}");
    assert_eq!(body["label"], Value::Null, "no hand, no label: {body}");

    // The WebSocket path uses the tracker.
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    let data = format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(letter_a())
    );
    for frame in 1..=3u64 {
        ws.send(Message::text(
            json!({"type": "frame", "data": data}).to_string(),
        ))
        .await
        .unwrap();
        let reply = loop {
            match ws.next().await.unwrap().unwrap() {
                Message::Text(t) if !t.as_str().contains(r#""type":"session""#) => {
                    break serde_json::from_str::<Value>(t.as_str()).unwrap()
                }
                _ => continue,
            }
        };
        assert_eq!(
            (reply["type"].as_str(), reply["frame"].as_u64()),
            (Some("prediction"), Some(frame)),
            "{reply}"
        );
        assert_eq!(reply["landmarks_detected"], true, "{reply}");
        assert_eq!(reply["label"], "A", "{reply}");
    }
    s.stop().await.unwrap();
}
