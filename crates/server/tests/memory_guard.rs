//! The memory guard (`--max-rss-mb`), in a test binary of its own: it reads this process's
//! resident memory, which other tests' servers would move if they shared the process.

#[allow(dead_code)]
#[path = "server/common.rs"]
mod common;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use signbridge_server::memory::ProcessMemory;
use tokio_tungstenite::tungstenite::Message;

use common::{plain_jpeg, upload, TestServer};

const MIB: u64 = 1 << 20;

async fn health(s: &TestServer) -> Value {
    reqwest::get(s.url("/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits (bounded) until `/health` reports `degraded == want`.
async fn until_degraded(s: &TestServer, want: bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = health(s).await;
        if h["degraded"] == want {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "degraded never became {want}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn build(s: &TestServer, id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(s.url("/predict-and-build"))
        .header("X-Session-Id", id)
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap()
}

/// With the limit just above the resting RSS: memory pressure (here 96 MiB this process
/// allocates, as any cause would) makes the server refuse a burst of new sessions (503 with
/// Retry-After, WebSocket error then 1013) while existing sessions and acknowledged progress
/// stay; when the memory is gone it serves normally again, without a restart.
#[tokio::test]
async fn over_the_limit_new_sessions_are_refused_until_memory_is_back() {
    // Warm up (allocator arenas, the stub models, the database) so the resting RSS is real.
    let warm = TestServer::start(&[]).await.ready().await;
    assert_eq!(build(&warm, "warm-up-session").await.status(), 200);
    warm.stop().await.unwrap();
    signbridge_server::memory::release_free_memory();
    let rest = ProcessMemory::read().rss_bytes.expect("Linux /proc");
    let limit_mb = rest / MIB + 48;
    let limit = limit_mb.to_string();
    let s = TestServer::start(&["--max-rss-mb", &limit])
        .await
        .ready()
        .await;
    let h = health(&s).await;
    assert_eq!(
        (h["status"].as_str(), h["degraded"].as_bool()),
        (Some("ok"), Some(false)),
        "{h}"
    );
    assert_eq!(h["max_rss_bytes"], limit_mb * MIB);

    // Before the pressure: an acknowledged attempt, and an established HTTP session.
    let client = reqwest::Client::new();
    let attempt = serde_json::json!({
        "profile": "learner-memory", "target": "B", "correct": true, "score": 0.8
    });
    let r = client
        .post(s.url("/api/progress/attempt"))
        .json(&attempt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(build(&s, "established-01").await.status(), 200);
    assert_eq!(build(&s, "established-01").await.status(), 200);

    let ballast = vec![1u8; 96 * MIB as usize];
    let h = until_degraded(&s, true).await;
    assert_eq!(h["status"], "degraded", "{h}");
    let metrics = client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("signbridge_degraded 1"), "{metrics}");

    // A burst of new sessions and heavy requests: refused, not admitted.
    let before_burst = ProcessMemory::read().rss_bytes.unwrap();
    for i in 0..20 {
        let r = build(&s, &format!("burst-session-{i:02}")).await;
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error_type"], "memory_pressure", "{body}");
    }
    let r = client
        .post(s.url("/predict-image"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    for _ in 0..5 {
        let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
        let error = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(
            error.to_text().unwrap().contains("memory_pressure"),
            "{error}"
        );
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1013),
            other => panic!("expected close 1013, got {other:?}"),
        }
    }
    // What exists is still served: the established session's sentence, progress reads.
    let r = client
        .get(s.url("/sentence"))
        .header("X-Session-Id", "established-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rss = ProcessMemory::read().rss_bytes.unwrap();
    assert!(
        rss < before_burst + 16 * MIB,
        "the burst added under 16 MiB: {} MiB before, {} MiB after",
        before_burst / MIB,
        rss / MIB
    );

    drop(ballast);
    let h = until_degraded(&s, false).await;
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(build(&s, "after-the-pressure").await.status(), 200);
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    let opening = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(opening.to_text().unwrap().contains("session"), "{opening}");
    ws.send(Message::Binary(plain_jpeg().into())).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(reply.to_text().unwrap().contains("prediction"), "{reply}");
    let progress: Value = client
        .get(s.url("/api/progress?profile=learner-memory"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        progress["total_attempts"], 1,
        "nothing acknowledged was lost: {progress}"
    );
    s.stop().await.unwrap();
}
