//! Learners' calibrations (issue 13): examples stored per profile (landmarks only), counted,
//! redone, deleted; read with on every path (`?profile=` on the predict endpoints and the
//! WebSocket) and never by another profile. The stub models show one fixed hand, the shipped
//! handshape of U: a learner whose R looks like that teaches it as R.

use std::time::Duration;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use signbridge_server::models::Models;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{next_reply, plain_jpeg, upload, TestServer};

const LEARNER: &str = "learner-calib-01";
const OTHER: &str = "learner-calib-02";

async fn server_showing_u() -> TestServer {
    TestServer::start_with(&[], || Ok(Models::stub("U", Duration::ZERO)))
        .await
        .ready()
        .await
}

async fn predict(s: &TestServer, query: &str) -> Value {
    let r = reqwest::Client::new()
        .post(s.url(&format!("/predict-image{query}")))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn post_examples(s: &TestServer, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/api/calibration/examples"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn calibration(s: &TestServer, method: reqwest::Method, query: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .request(method, s.url(&format!("/api/calibration{query}")))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

fn count(body: &Value, label: &str) -> u64 {
    body["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("{label} in {body}"))["examples"]
        .as_u64()
        .unwrap()
}

fn stored_rows(s: &TestServer) -> i64 {
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM calibration_examples", [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// The hand the server sees, as the page would send it back: landmarks in pixels.
async fn seen_hand(s: &TestServer) -> Value {
    let p = predict(s, "").await;
    p["hands"][0]["landmarks"].clone()
}

#[tokio::test]
async fn examples_are_counted_redone_bounded_and_deleted() {
    let s = server_showing_u().await;
    let (status, empty) =
        calibration(&s, reqwest::Method::GET, &format!("?profile={LEARNER}")).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["total"], 0);
    assert_eq!(
        empty["counts"].as_array().unwrap().len(),
        26,
        "A-Y but J, space, delete"
    );
    assert_eq!(empty["max_per_label"], 20);

    let hand = seen_hand(&s).await;
    let (status, body) = post_examples(
        &s,
        json!({"profile": LEARNER, "label": "r", "hands": [hand, hand, hand]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((count(&body, "R"), body["total"].as_u64()), (3, Some(3)));
    let (_, body) = post_examples(
        &s,
        json!({"profile": LEARNER, "label": "space", "hands": [hand], "source": "practice"}),
    )
    .await;
    assert_eq!((count(&body, "space"), count(&body, "R")), (1, 3));
    // Redo one letter: its examples are replaced, the others kept.
    let (_, body) = post_examples(
        &s,
        json!({"profile": LEARNER, "label": "R", "hands": [hand, hand], "replace": true}),
    )
    .await;
    assert_eq!((count(&body, "R"), count(&body, "space")), (2, 1));
    // At most 20 per label, the newest kept.
    for _ in 0..3 {
        let many: Vec<Value> = (0..10).map(|_| hand.clone()).collect();
        post_examples(&s, json!({"profile": LEARNER, "label": "R", "hands": many})).await;
    }
    let (_, body) = calibration(&s, reqwest::Method::GET, &format!("?profile={LEARNER}")).await;
    assert_eq!(count(&body, "R"), 20);
    assert_eq!(stored_rows(&s), 21, "landmark rows only, bounded per label");
    // Another learner's examples are theirs.
    post_examples(&s, json!({"profile": OTHER, "label": "B", "hands": [hand]})).await;

    let (status, body) = calibration(
        &s,
        reqwest::Method::DELETE,
        &format!("?profile={LEARNER}&label=space"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!((body["deleted"].as_u64(), count(&body, "R")), (Some(1), 20));
    let (status, body) =
        calibration(&s, reqwest::Method::DELETE, &format!("?profile={LEARNER}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["deleted"].as_u64(), body["total"].as_u64()),
        (Some(20), Some(0))
    );
    assert_eq!(
        stored_rows(&s),
        1,
        "every example of the learner is gone; the other's stays"
    );
    let (_, other) = calibration(&s, reqwest::Method::GET, &format!("?profile={OTHER}")).await;
    assert_eq!(count(&other, "B"), 1);
}

#[tokio::test]
async fn bad_examples_get_clear_errors_and_store_nothing() {
    let s = server_showing_u().await;
    let hand = seen_hand(&s).await;
    let flat: Vec<Value> = (0..21).map(|_| json!([5.0, 5.0, 0.0])).collect();
    let short: Vec<Value> = (0..20).map(|i| json!([i, i, 0])).collect();
    let cases = [
        (
            json!({"profile": LEARNER, "label": "J", "hands": [hand]}),
            "unknown label",
        ),
        (
            json!({"profile": LEARNER, "label": "nothing", "hands": [hand]}),
            "unknown label",
        ),
        (
            json!({"profile": "bad id!", "label": "A", "hands": [hand]}),
            "profile",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": []}),
            "1 to 20",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": [short]}),
            "21 landmarks",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": [flat]}),
            "one point",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": [[[1e300, 0, 0]]]}),
            "21 landmarks",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": [hand], "source": "x"}),
            "source",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": [hand], "pixels": "..."}),
            "unknown field",
        ),
        (
            json!({"profile": LEARNER, "label": "A", "hands": "no"}),
            "expected JSON",
        ),
    ];
    for (body, says) in cases {
        let (status, answer) = post_examples(&s, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error_type"], "bad_request", "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(says),
            "{body} -> {answer}"
        );
    }
    let huge = "x".repeat(100_000);
    let r = reqwest::Client::new()
        .post(s.url("/api/calibration/examples"))
        .header("content-type", "application/json")
        .body(format!("{{\"profile\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (status, _) = calibration(&s, reqwest::Method::GET, "?profile=no").await;
    assert_eq!(status, 400);
    let (status, _) = calibration(
        &s,
        reqwest::Method::DELETE,
        &format!("?profile={LEARNER}&label=Q9"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(stored_rows(&s), 0);
    // The server goes on reading.
    assert_eq!(predict(&s, "").await["label"], "U");
}

/// Opens `/ws/stream{query}`, sends one frame and returns the opening message, any message
/// before the prediction, and the prediction's label.
async fn ws_reads(s: &TestServer, query: &str) -> (Value, Vec<Value>, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}{query}", s.ws_base))
        .await
        .unwrap();
    let opening = next_reply(&mut ws).await;
    assert_eq!(opening["type"], "session", "{opening}");
    ws.send(Message::Binary(plain_jpeg().into())).await.unwrap();
    let mut before = Vec::new();
    loop {
        let m = next_reply(&mut ws).await;
        if m["type"] == "prediction" {
            return (opening, before, m["label"].as_str().unwrap().to_string());
        }
        before.push(m);
    }
}

#[tokio::test]
async fn a_profile_reads_with_its_own_calibration_and_never_changes_another() {
    let s = server_showing_u().await;
    let hand = seen_hand(&s).await;
    assert_eq!(
        predict(&s, &format!("?profile={LEARNER}")).await["label"],
        "U"
    );
    let (_, stored) = post_examples(
        &s,
        json!({"profile": LEARNER, "label": "R", "hands": [hand, hand, hand]}),
    )
    .await;
    assert_eq!(count(&stored, "R"), 3);

    // The examples themselves, when asked for (the practise page compares with them).
    let (_, full) = calibration(
        &s,
        reqwest::Method::GET,
        &format!("?profile={LEARNER}&landmarks=true"),
    )
    .await;
    assert_eq!(full["examples"]["R"].as_array().unwrap().len(), 3);
    assert_eq!(full["examples"]["R"][0].as_array().unwrap().len(), 21);
    let (_, plain) = calibration(&s, reqwest::Method::GET, &format!("?profile={LEARNER}")).await;
    assert!(plain.get("examples").is_none());

    // HTTP: the learner's upload reads R; anyone else's, and no profile, still U.
    assert_eq!(
        predict(&s, &format!("?profile={LEARNER}")).await["label"],
        "R"
    );
    assert_eq!(
        predict(&s, &format!("?profile={OTHER}")).await["label"],
        "U"
    );
    assert_eq!(predict(&s, "").await["label"], "U");
    let r = reqwest::Client::new()
        .post(s.url("/predict-image?profile=bad!"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Landmarks from the device, too.
    let device = json!({"t": 0, "width": 224, "height": 224, "hands": [{"handedness": "Right", "score": 0.9,
        "landmarks": hand.as_array().unwrap().iter().map(|p| json!([
            p[0].as_f64().unwrap() / 224.0, p[1].as_f64().unwrap() / 224.0, p[2].as_f64().unwrap() / 224.0
        ])).collect::<Vec<_>>()}]});
    for (query, want) in [(format!("?profile={LEARNER}"), "R"), (String::new(), "U")] {
        let r = reqwest::Client::new()
            .post(s.url(&format!("/predict-landmarks{query}")))
            .json(&device)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["label"], want, "{query}: {body}");
    }

    // WebSocket: the opening message says which calibration the connection reads with.
    let (opening, _, label) = ws_reads(&s, &format!("?profile={LEARNER}")).await;
    assert_eq!(
        opening["calibration"],
        json!({"profile": LEARNER, "examples": 3, "labels": 1})
    );
    assert_eq!(label, "R");
    let (opening, _, label) = ws_reads(&s, &format!("?profile={OTHER}")).await;
    assert_eq!(opening["calibration"]["examples"], 0);
    assert_eq!(label, "U");
    let (opening, _, label) = ws_reads(&s, "?session=new").await;
    assert!(opening.get("calibration").is_none(), "{opening}");
    assert_eq!(label, "U");
    let (_, before, label) = ws_reads(&s, "?profile=bad!").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["error_type"], "bad_request", "{before:?}");
    assert_eq!(
        label, "U",
        "a bad profile id costs the calibration, not the connection"
    );

    // Deleted: the learner reads with the shipped model again.
    calibration(&s, reqwest::Method::DELETE, &format!("?profile={LEARNER}")).await;
    assert_eq!(
        predict(&s, &format!("?profile={LEARNER}")).await["label"],
        "U"
    );
    let (opening, _, label) = ws_reads(&s, &format!("?profile={LEARNER}")).await;
    assert_eq!(
        (opening["calibration"]["examples"].as_u64(), label.as_str()),
        (Some(0), "U")
    );
}
