//! HTTP endpoints over real sockets, with stub hand models.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signbridge_server::Models;

use crate::common::{plain_jpeg, png_bomb_header, upload, TestServer};

async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

async fn assert_alive(s: &TestServer) {
    let r = reqwest::get(s.url("/health"))
        .await
        .expect("health answers");
    assert_eq!(r.status(), 200, "server still healthy");
}

#[tokio::test]
async fn health_is_503_while_models_load_then_200() {
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let s = TestServer::start_with(&[], move || {
        let _ = gate.recv_timeout(Duration::from_secs(20));
        Ok(Models::stub("A", Duration::ZERO))
    })
    .await;
    let (status, body) = json(reqwest::get(s.url("/health")).await.unwrap()).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "loading");
    assert_eq!(body["models_loaded"], false);
    assert_eq!(
        body["engine"],
        serde_json::Value::Null,
        "no engine before the models"
    );
    assert_eq!(body["precision"], serde_json::Value::Null);
    let r = reqwest::Client::new()
        .post(s.url("/predict-image"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"));
    let (status, body) = json(r.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("models_not_ready"))
    );
    release.send(()).unwrap();
    let s = s.ready().await;
    let (status, body) = json(reqwest::get(s.url("/health")).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["models_loaded"], true);
    assert_eq!(body["engine"], "stub");
    assert_eq!(body["precision"], "exact");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn api_describes_limits_and_endpoints() {
    let s = TestServer::start(&["--max-body-bytes", "100000"])
        .await
        .ready()
        .await;
    let (status, body) = json(reqwest::get(s.url("/api")).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["limits"]["max_body_bytes"], 100000);
    assert_eq!(body["sentence"]["hold_ms"], 600, "{body}");
    assert_eq!(body["engine"], "stub", "{body}");
    assert_eq!(body["precision"], "exact", "{body}");
    let endpoints = body["endpoints"].as_array().unwrap();
    for endpoint in [
        "WS /ws/stream",
        "POST /predict-image",
        "GET /",
        "GET /practice",
    ] {
        assert!(
            endpoints.iter().any(|e| e == endpoint),
            "{endpoint}: {body}"
        );
    }
    s.stop().await.unwrap();
}

/// The stub models "find" a hand making A in any decodable image: this checks the answer's
/// shape, not that a photo is read (`real_models.rs` reads real photos).
#[tokio::test]
async fn predict_image_answers_with_the_models_hand_and_the_classifiers_letter() {
    let s = TestServer::start(&[]).await.ready().await;
    let r = reqwest::Client::new()
        .post(s.url("/predict-image"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"));
    let (status, body) = json(r.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["label"], "A", "{body}");
    assert_eq!(body["language"], "ASL");
    assert_eq!(body["landmarks_detected"], true);
    assert_eq!(body["image_width"], 224);
    assert_eq!(body["image_height"], 224);
    assert_eq!(body["top"].as_array().unwrap().len(), 3);
    let hand = &body["hands"][0];
    assert_eq!(hand["handedness"], "Right");
    assert_eq!(hand["landmarks"].as_array().unwrap().len(), 21);
    assert_eq!(hand["world_landmarks"].as_array().unwrap().len(), 21);
    assert!(body["timestamp"].as_f64().unwrap() > 1.7e9);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn bad_uploads_get_json_errors_and_the_server_keeps_serving() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let jpeg = plain_jpeg();
    let mut oversize = jpeg.clone();
    oversize.resize(6 * 1024 * 1024, 0);
    let cases: Vec<(&str, reqwest::multipart::Form, StatusCode, &str)> = vec![
        (
            "6 MiB upload",
            upload(oversize, "big.jpg", "image/jpeg"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "JPEG cut in its headers",
            upload(jpeg[..300].to_vec(), "t.jpg", "image/jpeg"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "undecodable_image",
        ),
        (
            "first half of a JPEG",
            upload(jpeg[..jpeg.len() / 2].to_vec(), "half.jpg", "image/jpeg"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "undecodable_image",
        ),
        (
            "text file",
            upload(
                b"this is not an image\n".repeat(50),
                "notes.txt",
                "text/plain",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "empty file",
            upload(Vec::new(), "e.jpg", "image/jpeg"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "undecodable_image",
        ),
        (
            "PNG header claiming 20000x20000",
            upload(png_bomb_header(20000, 20000), "bomb.png", "image/png"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "image_too_large",
        ),
        (
            "no file field",
            reqwest::multipart::Form::new().text("language", "ASL"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "unsupported language",
            upload(jpeg.clone(), "a.jpg", "image/jpeg").text("language", "Klingon"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (name, form, want_status, want_type) in cases {
        let r = client
            .post(s.url("/predict-image"))
            .multipart(form)
            .send()
            .await;
        let (status, body) = json(r.unwrap_or_else(|e| panic!("{name}: {e}"))).await;
        assert_eq!(
            (status, body["error_type"].as_str()),
            (want_status, Some(want_type)),
            "{name}: {body}"
        );
        assert!(body["error"].is_string(), "{name}: {body}");
        assert_alive(&s).await;
    }
    let r = client
        .post(s.url("/predict-image"))
        .body("plain body")
        .send()
        .await
        .unwrap();
    let (status, body) = json(r).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_type"))
    );
    let r = client
        .post(s.url("/predict-image"))
        .multipart(upload(jpeg, "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a good request after the bad ones");
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("signbridge_failures_total{kind=\"image_too_large\"} 1"),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn overload_is_answered_429_at_once() {
    let s = TestServer::start_with(&["--workers", "1", "--queue-depth", "1"], || {
        Ok(Models::stub("A", Duration::from_millis(300)))
    })
    .await
    .ready()
    .await;
    let client = reqwest::Client::new();
    let requests = (0..6).map(|_| {
        let r = client.post(s.url("/predict-image")).multipart(upload(
            plain_jpeg(),
            "a.jpg",
            "image/jpeg",
        ));
        async move {
            let started = std::time::Instant::now();
            let response = r.send().await.unwrap();
            let retry_after = response.headers().get("retry-after").cloned();
            let (status, body) = json(response).await;
            assert_eq!(
                status == 429,
                retry_after.is_some(),
                "Retry-After on 429 only"
            );
            (status, body, started.elapsed())
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
    let refused: Vec<_> = results.iter().filter(|(s, _, _)| *s == 429).collect();
    assert!(
        ok >= 1 && !refused.is_empty(),
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(ok + refused.len(), 6);
    for (_, body, elapsed) in refused {
        assert_eq!(body["error_type"], "overloaded");
        assert!(
            *elapsed < Duration::from_millis(250),
            "refused without waiting: {elapsed:?}"
        );
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn slow_request_times_out_with_408() {
    let s = TestServer::start_with(&["--request-timeout-secs", "0.2"], || {
        Ok(Models::stub("A", Duration::from_millis(1000)))
    })
    .await
    .ready()
    .await;
    let r = reqwest::Client::new()
        .post(s.url("/predict-image"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"));
    let (status, body) = json(r.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::REQUEST_TIMEOUT, Some("timeout"))
    );
    s.stop().await.unwrap();
}

/// `POST /predict-and-build` of session `id`, one upload of a plain JPEG.
async fn build(s: &TestServer, id: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/predict-and-build"))
        .header("X-Session-Id", id)
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"));
    json(r.send().await.unwrap()).await
}

/// Uploads to session `id` until the stub's A is committed; returns that answer.
async fn build_until_committed(s: &TestServer, id: &str) -> Value {
    for _ in 0..40 {
        let (status, body) = build(s, id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["label"], "A");
        assert!(
            body["words"].is_array() && body.get("committed").is_some(),
            "{body}"
        );
        if body["committed"].is_string() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("holding A for 40 uploads never committed it");
}

/// `GET /sentence` (`op` = `None`) or `POST <op>` of session `id`.
async fn sentence(s: &TestServer, id: &str, op: Option<&str>) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let request = match op {
        None => client.get(s.url("/sentence")),
        Some(path) => client.post(s.url(path)),
    };
    json(request.header("X-Session-Id", id).send().await.unwrap()).await
}

#[tokio::test]
async fn sentences_are_per_session_by_header_and_cookie() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let a = "session-a-0001";
    let committed = build_until_committed(&s, a).await;
    assert_eq!(committed["current_word"], "A");
    let (_, other) = sentence(&s, "session-b-0002", None).await;
    assert_eq!(
        other["full_sentence"], "",
        "another session's sentence stays empty"
    );
    let (_, mine) = sentence(&s, a, Some("/sentence/space")).await;
    assert_eq!(mine["words"], serde_json::json!(["A"]));
    let (_, mine) = sentence(&s, a, Some("/sentence/backspace")).await;
    assert_eq!(mine["full_sentence"], "");
    let (_, mine) = sentence(&s, a, Some("/clear-sentence")).await;
    assert_eq!(mine["words"], serde_json::json!([]));
    // Without a header the server hands out a cookie, and honours it.
    let r = client.post(s.url("/sentence/clear")).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("signbridge_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = client
        .get(s.url("/sentence"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("set-cookie").is_none(),
        "a known cookie is not replaced"
    );
    let r = client
        .get(s.url("/sentence"))
        .header("X-Session-Id", "bad id!")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn idle_http_sessions_expire() {
    let s = TestServer::start(&["--session-ttl-secs", "0.2"])
        .await
        .ready()
        .await;
    let client = reqwest::Client::new();
    client
        .get(s.url("/sentence"))
        .header("X-Session-Id", "expiring-01")
        .send()
        .await
        .unwrap();
    let (_, mem) = json(reqwest::get(s.url("/api/memory")).await.unwrap()).await;
    assert_eq!(mem["sessions"], 1, "{mem}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, mem) = json(reqwest::get(s.url("/api/memory")).await.unwrap()).await;
    assert_eq!(mem["sessions"], 0, "{mem}");
    s.stop().await.unwrap();
}

/// New HTTP sessions make room for each other; an established one (used twice) stays.
#[tokio::test]
async fn http_sessions_over_the_caps_push_out_new_ones_not_established_ones() {
    let s = TestServer::start(&["--max-http-sessions", "1", "--max-new-sessions", "1"])
        .await
        .ready()
        .await;
    let (status, _) = sentence(&s, "first-session", Some("/sentence/space")).await;
    assert_eq!(status, 200);
    let (status, _) = build(&s, "first-session").await;
    assert_eq!(status, 200, "the second request establishes it");
    for id in ["second-session", "third-session"] {
        let (status, _) = sentence(&s, id, Some("/sentence/space")).await;
        assert_eq!(status, 200, "{id}: new sessions are never refused");
    }
    let (_, mem) = json(reqwest::get(s.url("/api/memory")).await.unwrap()).await;
    assert_eq!(mem["sessions"], 2, "one established, one new: {mem}");
    let (status, body) = sentence(&s, "first-session", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["last_prediction"], "A",
        "the established session kept its sentence"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_and_memory_report_stages_sessions_and_rss() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let r = client
        .post(s.url("/predict-and-build"))
        .header("X-Session-Id", "metrics-test");
    r.multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    let r = reqwest::get(s.url("/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    for stage in [
        "queue", "decode", "resize", "palm", "landmark", "classify", "total",
    ] {
        assert!(
            text.contains(&format!(
                "signbridge_stage_seconds_count{{stage=\"{stage}\"}} 1"
            )),
            "{stage}: {text}"
        );
    }
    for needle in [
        "signbridge_frames_processed_total{source=\"http\"} 1",
        "signbridge_frames_dropped_total 0",
        "signbridge_queue_depth 0",
        "signbridge_sessions_live{kind=\"http\"} 1",
        "signbridge_models_ready 1",
    ] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
    let (status, mem) = json(reqwest::get(s.url("/api/memory")).await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        mem["rss_bytes"].as_u64().unwrap() > 0
            && mem["peak_rss_bytes"].as_u64() >= mem["rss_bytes"].as_u64()
    );
    assert_eq!(mem["per_session"][0]["kind"], "http");
    assert_eq!(mem["per_session"][0]["frames"], 1);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let s = TestServer::start(&[]).await.ready().await;
    let (status, body) = json(reqwest::get(s.url("/no/such/page")).await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = json(reqwest::get(s.url("/predict-image")).await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    // Counted like every other error answer.
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"signbridge_failures_total{kind="method_not_allowed"} 1"#),
        "{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_returns_ok_and_releases_the_port() {
    let s = TestServer::start(&[]).await.ready().await;
    let addr = s.base.trim_start_matches("http://").to_string();
    s.stop().await.expect("clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn failed_model_load_stops_the_server_with_the_error() {
    let s = TestServer::start_with(&[], || {
        Err(signbridge_server::VisionError::Models(
            "no models here".into(),
        ))
    })
    .await;
    // Not `stop()`: a stop sent before the loader has failed would be a clean shutdown.
    let err = s.exit().await.expect_err("serve reports the load failure");
    assert!(format!("{err:#}").contains("no models here"), "{err:#}");
}

#[tokio::test]
async fn text_to_sign_spells_a_text_from_a_form_field() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let r = client
        .post(s.url("/text-to-sign"))
        .form(&[("text", "Hi yo")])
        .send()
        .await
        .unwrap();
    let (status, body) = json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], "Hi yo");
    let letters = body["letters"].as_array().unwrap();
    let chars: Vec<&str> = letters
        .iter()
        .map(|l| l["char"].as_str().unwrap())
        .collect();
    assert_eq!(chars, ["H", "I", " ", "Y", "O"], "{body}");
    assert_eq!(letters[0]["label"], "H");
    assert_eq!(letters[0]["landmarks"].as_array().unwrap().len(), 21);
    assert!(letters[0]["tip"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(letters[4]["word_index"], 1);
    let form = reqwest::multipart::Form::new().text("text", "J");
    let (status, body) = json(
        client
            .post(s.url("/text-to-sign"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["letters"][0]["motion"].is_string(), "J moves: {body}");
    let (status, body) = json(
        client
            .post(s.url("/text-to-sign"))
            .form(&[("other", "x")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start(&["--header-timeout-secs", "0.3"])
        .await
        .ready()
        .await;
    let mut stream = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "closed by the server, not left hanging");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_alive(&s).await;
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_session_whose_request_timed_out_keeps_its_sentence_and_serves_the_next() {
    let s = TestServer::start_with(&["--request-timeout-secs", "0.5"], || {
        Ok(Models::stub("A", Duration::from_millis(150)))
    })
    .await
    .ready()
    .await;
    let id = "session-timeouts-01";
    // Hold A until it is committed (each frame takes 150 ms: well within the deadline).
    let committed = build_until_committed(&s, id).await;
    assert_eq!(committed["current_word"], "A");
    // Four requests of the same session at once: each waits for the one before it, so the
    // last ones run out of time (408) while their frames are still queued or read.
    let statuses: Vec<StatusCode> = futures_util::future::join_all((0..4).map(|_| build(&s, id)))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert!(
        statuses.contains(&StatusCode::REQUEST_TIMEOUT),
        "{statuses:?}"
    );
    // The session is released by the worker and still holds its word.
    let (status, body) = sentence(&s, id, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current_word"], "A", "{body}");
    s.stop().await.unwrap();
}
