//! The progress API and its SQLite storage, including failed writes.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;

async fn attempt(s: &TestServer, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/api/progress/attempt"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn progress(s: &TestServer, query: &str) -> (StatusCode, Value) {
    let r = reqwest::get(s.url(&format!("/api/progress{query}")))
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn attempts_add_up_to_progress_with_streaks() {
    let s = TestServer::start(&[]).await.ready().await;
    let (status, empty) = progress(&s, "?profile=learner-0001").await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({"profile": "learner-0001", "letters": {}, "total_attempts": 0, "total_correct": 0, "accuracy": 0.0,
            "daily": {"goal": 20, "today": 0, "streak_days": 0}, "activities": []})
    );
    for correct in [true, true, false, true] {
        let (status, _) = attempt(
            &s,
            json!({"profile": "learner-0001", "target": "A", "correct": correct, "score": 0.8}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, p) = attempt(
        &s,
        json!({"profile": "learner-0001", "target": "b", "correct": true, "score": 1.0}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(p["letters"]["A"]["attempts"], 4);
    assert_eq!(p["letters"]["A"]["correct"], 3);
    assert_eq!(p["letters"]["A"]["streak"], 1);
    assert_eq!(p["letters"]["A"]["best_streak"], 2);
    assert!(p["letters"]["A"]["last_practised"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(p["letters"]["B"]["attempts"], 1);
    assert_eq!(
        (p["total_attempts"].as_u64(), p["total_correct"].as_u64()),
        (Some(5), Some(4))
    );
    assert!((p["accuracy"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    let (_, again) = progress(&s, "?profile=learner-0001").await;
    assert_eq!(again, p, "GET reads what POST wrote");
    let (_, other) = progress(&s, "?profile=learner-0002").await;
    assert_eq!(other["total_attempts"], 0, "profiles are separate");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn bad_progress_input_is_400() {
    let s = TestServer::start(&[]).await.ready().await;
    for query in [
        "",
        "?profile=short",
        "?profile=has%20space%20inside",
        "?other=1",
    ] {
        let (status, body) = progress(&s, query).await;
        assert_eq!(
            (status, body["error_type"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{query}"
        );
    }
    for body in [
        json!({"profile": "learner-0001", "target": "AB", "correct": true, "score": 0.5}),
        json!({"profile": "learner-0001", "target": "7", "correct": true, "score": 0.5}),
        json!({"profile": "learner-0001", "target": "A", "correct": true, "score": 1.5}),
        json!({"profile": "learner-0001", "target": "A", "correct": "yes", "score": 0.5}),
        json!({"profile": "learner-0001", "target": "A"}),
        json!({"profile": "x", "target": "A", "correct": true, "score": 0.5}),
        json!([1, 2]),
    ] {
        let (status, reply) = attempt(&s, body.clone()).await;
        assert_eq!(
            (status, reply["error_type"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{body}"
        );
    }
    let r = reqwest::Client::new()
        .post(s.url("/api/progress/attempt"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (_, p) = progress(&s, "?profile=learner-0001").await;
    assert_eq!(p["total_attempts"], 0, "nothing was written");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_failed_write_is_a_json_503_and_reads_still_work() {
    let s = TestServer::start(&[]).await.ready().await;
    let ok = json!({"profile": "learner-0001", "target": "A", "correct": true, "score": 0.9});
    assert_eq!(attempt(&s, ok.clone()).await.0, 200);
    // Make every further write fail, as a full or read-only disk would.
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON attempts BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let (status, body) = attempt(&s, ok).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("storage_unavailable"))
    );
    assert!(
        !body["error"].as_str().unwrap().contains("disk full"),
        "details stay in the log: {body}"
    );
    let (status, p) = progress(&s, "?profile=learner-0001").await;
    assert_eq!(
        (status, p["total_attempts"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the failed write left no trace"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn an_unopenable_database_disables_progress_only() {
    let s = TestServer::start(&["--db", "/nonexistent-dir/for/signbridge.sqlite3"])
        .await
        .ready()
        .await;
    let (status, body) = progress(&s, "?profile=learner-0001").await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("storage_unavailable"))
    );
    let (status, _) = attempt(
        &s,
        json!({"profile": "learner-0001", "target": "A", "correct": true, "score": 0.9}),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reqwest::get(s.url("/health")).await.unwrap().status(), 200);
    s.stop().await.unwrap();
}

/// The practice page retries an attempt whose reply was lost; with the same `attempt_id` it is
/// stored once. Without an id each POST counts (older clients); a malformed id is 400.
#[tokio::test]
async fn a_retried_attempt_is_stored_once() {
    let s = TestServer::start(&[]).await.ready().await;
    let body = json!({
        "profile": "learner-retry", "target": "C", "correct": true, "score": 0.9,
        "attempt_id": "attempt-000001"
    });
    for _ in 0..3 {
        let (status, p) = attempt(&s, body.clone()).await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(p["total_attempts"], 1, "{p}");
        assert_eq!(p["letters"]["C"]["streak"], 1, "{p}");
    }
    let mut other = body.clone();
    other["attempt_id"] = json!("attempt-000002");
    let (_, p) = attempt(&s, other).await;
    assert_eq!(p["total_attempts"], 2, "{p}");
    let mut bad = body.clone();
    bad["attempt_id"] = json!("bad id");
    let (status, p) = attempt(&s, bad).await;
    assert_eq!(
        (status, p["error_type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn lessons_reviews_and_drills_are_recorded_once_with_the_daily_goal() {
    let s = TestServer::start(&[]).await.ready().await;
    let post = |path: &'static str, body: Value| {
        let url = s.url(path);
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    for letter in ["A", "B", "C"] {
        post(
            "/api/progress/attempt",
            json!({"profile": "learner-0001", "target": letter, "correct": true, "score": 0.9}),
        )
        .await;
    }
    let drill = json!({"profile": "learner-0001", "kind": "drill", "name": "words",
        "letters": 12, "correct": 10, "duration_ms": 60000, "activity_id": "activity-0001"});
    let (status, p) = post("/api/progress/activity", drill.clone()).await;
    assert_eq!(status, 200, "{p}");
    let (_, p) = post("/api/progress/activity", drill).await;
    assert_eq!(
        p["activities"].as_array().unwrap().len(),
        1,
        "a retry is stored once"
    );
    let a = &p["activities"][0];
    assert_eq!(
        (a["kind"].as_str(), a["correct"].as_u64()),
        (Some("drill"), Some(10))
    );
    assert!((a["letters_per_minute"].as_f64().unwrap() - 10.0).abs() < 1e-9);
    for (kind, name) in [("lesson", "lesson-1"), ("review", "weak letters")] {
        let (status, _) = post(
            "/api/progress/activity",
            json!({"profile": "learner-0001", "kind": kind, "name": name,
                "letters": 3, "correct": 2, "duration_ms": 20000}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (_, p) = progress(&s, "?profile=learner-0001&tz_offset_min=60").await;
    let kinds: Vec<&str> = p["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["review", "lesson", "drill"], "newest first");
    assert_eq!(
        p["daily"],
        json!({"goal": 20, "today": 3, "streak_days": 1})
    );
    // Another learner sees none of it.
    let (_, other) = progress(&s, "?profile=learner-0002").await;
    assert_eq!(
        (
            other["activities"].clone(),
            other["daily"]["today"].as_u64()
        ),
        (json!([]), Some(0))
    );

    for bad in [
        json!({"profile": "learner-0001", "kind": "game", "name": "x", "letters": 1, "correct": 1, "duration_ms": 1}),
        json!({"profile": "learner-0001", "kind": "drill", "name": "", "letters": 1, "correct": 1, "duration_ms": 1}),
        json!({"profile": "learner-0001", "kind": "drill", "name": "x", "letters": 1, "correct": 2, "duration_ms": 1}),
        json!({"profile": "learner-0001", "kind": "drill", "name": "x", "letters": 1, "correct": 1, "duration_ms": 0}),
        json!({"profile": "learner-0001", "kind": "drill", "name": "x", "letters": 1, "correct": 1, "duration_ms": 1, "tz_offset_min": 5000}),
        json!({"profile": "no", "kind": "drill", "name": "x", "letters": 1, "correct": 1, "duration_ms": 1}),
        json!({"profile": "learner-0001", "kind": "drill"}),
    ] {
        let (status, body) = post("/api/progress/activity", bad.clone()).await;
        assert_eq!(status, 400, "{bad} -> {body}");
    }
    let (status, _) = progress(&s, "?profile=learner-0001&tz_offset_min=abc").await;
    assert_eq!(status, 400);
}
