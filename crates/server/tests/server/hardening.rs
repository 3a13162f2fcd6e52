//! Issue 15: the ways a stranger could stall, lock out or bloat the server, each over real
//! sockets on 127.0.0.1 with stub hand models.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use signbridge_vision::image_input::progressive_jpeg;

use crate::common::{plain_jpeg, upload, TestServer};

async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

async fn predict(s: &TestServer, bytes: Vec<u8>) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/predict-image"))
        .multipart(upload(bytes, "a.jpg", "image/jpeg"))
        .send()
        .await
        .expect("predict answers");
    json(r).await
}

/// Two scan bombs (16 MP progressive JPEGs of 12,001 nearly empty scans, 0.4 MB each: every
/// scan walks all 250,000 blocks) take both workers; a normal photo sent after them is still
/// answered at once, because a JPEG of more than 100 scans is refused when its 101st starts.
#[tokio::test]
async fn a_photo_is_answered_while_two_scan_bombs_are_in_flight() {
    let s = TestServer::start(&["--workers", "2"]).await.ready().await;
    let bomb = progressive_jpeg(4000, 4000, 1, 12_001);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let bombs: Vec<_> = (0..2)
        .map(|_| {
            let base = s.url("/predict-image");
            let bomb = bomb.clone();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(base)
                    .multipart(upload(bomb, "bomb.jpg", "image/jpeg"))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let (status, body) = predict(&s, plain_jpeg()).await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(
        took < Duration::from_secs(5),
        "photo answered after {took:?}"
    );
    for bomb in bombs {
        let status = tokio::time::timeout(Duration::from_secs(30), bomb)
            .await
            .expect("bomb answered")
            .unwrap()
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    s.stop().await.unwrap();
}

/// A cut-off JPEG with an end marker appended, and a 224x224 JPEG whose header claims
/// 6300x6300, are 422, not a grey frame.
#[tokio::test]
async fn lying_and_truncated_jpegs_are_422() {
    let s = TestServer::start(&["--max-image-pixels", "40000000"])
        .await
        .ready()
        .await;
    let photo = crate::common::letter_a();
    let mut half = photo[..photo.len() / 2].to_vec();
    half.extend_from_slice(&[0xFF, 0xD9]);
    let (status, body) = predict(&s, half).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("undecodable_image")),
        "half a JPEG: {body}"
    );
    let mut liar = photo.clone();
    let sof = liar
        .windows(2)
        .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
        .expect("a start-of-frame marker");
    liar[sof + 5..sof + 7].copy_from_slice(&6300u16.to_be_bytes());
    liar[sof + 7..sof + 9].copy_from_slice(&6300u16.to_be_bytes());
    let (status, body) = predict(&s, liar).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("undecodable_image")),
        "6300x6300 header on 224x224 data: {body}"
    );
    s.stop().await.unwrap();
}

/// 200 `GET /sentence` without a session id (a second of curl), then 200 sentence edits without
/// one (each creates a new session): a WebSocket user and an HTTP user with a session are still
/// served. Before, every such request made a 30-minute session under one cap of 128.
#[tokio::test]
async fn requests_without_a_session_id_do_not_lock_out_new_users() {
    use futures_util::{SinkExt, StreamExt};
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    for path in ["/sentence", "/sentence/space"] {
        for _ in 0..200 {
            let request = if path == "/sentence" {
                client.get(s.url(path))
            } else {
                client.post(s.url(path))
            };
            assert_eq!(request.send().await.unwrap().status(), 200, "{path}");
        }
    }
    let (_, mem) = json(client.get(s.url("/api/memory")).send().await.unwrap()).await;
    assert!(
        mem["sessions"].as_u64().unwrap() <= 128,
        "new sessions are capped: {mem}"
    );
    let r = client
        .post(s.url("/predict-and-build"))
        .header("X-Session-Id", "a-real-learner")
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    let (status, body) = json(r).await;
    assert_eq!(status, 200, "{body}");
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    // The first message names the session.
    let opening = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("a session message")
        .expect("open")
        .unwrap();
    assert!(
        opening.to_text().unwrap().contains(r#""type":"session""#),
        "{opening}"
    );
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        plain_jpeg().into(),
    ))
    .await
    .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("a reply")
        .expect("open")
        .unwrap();
    let reply: Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply["type"], "prediction", "{reply}");
    s.stop().await.unwrap();
}

/// Reads until the server closes the connection; how long that took (`None`: still open after
/// `within`).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

fn addr(s: &TestServer) -> String {
    s.base.trim_start_matches("http://").to_string()
}

/// A connection that sends nothing, one that sends only the HTTP/2 preface, and an idle
/// keep-alive connection after its request are all closed by the server.
#[tokio::test]
async fn silent_preface_only_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::start(&["--header-timeout-secs", "0.5", "--keep-alive-secs", "0.5"])
        .await
        .ready()
        .await;
    let mut silent = tokio::net::TcpStream::connect(addr(&s)).await.unwrap();
    let mut preface = tokio::net::TcpStream::connect(addr(&s)).await.unwrap();
    preface
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let mut keep_alive = tokio::net::TcpStream::connect(addr(&s)).await.unwrap();
    keep_alive
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    // The first message names the session.
    let opening = tokio::time::timeout(Duration::from_secs(10), {
        use futures_util::StreamExt;
        ws.next()
    })
    .await
    .expect("a session message")
    .expect("open")
    .unwrap();
    assert!(
        opening.to_text().unwrap().contains(r#""type":"session""#),
        "{opening}"
    );
    for (name, stream) in [
        ("silent", &mut silent),
        ("HTTP/2 preface only", &mut preface),
        ("idle keep-alive", &mut keep_alive),
    ] {
        let closed = closed_within(stream, Duration::from_secs(5)).await;
        assert!(closed.is_some(), "{name}: still open after 5 s");
    }
    // A WebSocket is not an idle HTTP connection: it is still served, past both timeouts.
    tokio::time::sleep(Duration::from_millis(700)).await;
    {
        use futures_util::{SinkExt, StreamExt};
        ws.send(tokio_tungstenite::tungstenite::Message::Binary(
            plain_jpeg().into(),
        ))
        .await
        .unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a reply")
            .expect("still open")
            .unwrap();
        assert!(reply.to_text().unwrap().contains("prediction"), "{reply}");
    }
    s.stop().await.unwrap();
}

/// At `--max-connections` the server stops accepting; a request on a connection past the cap is
/// served once a slot frees (here, when the silent ones time out).
#[tokio::test]
async fn connections_over_the_cap_wait_for_a_slot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start(&["--max-connections", "2", "--header-timeout-secs", "1"])
        .await
        .ready()
        .await;
    // Let the readiness probe's connection close (keep-alive) before taking the slots.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(addr(&s)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut late = tokio::net::TcpStream::connect(addr(&s)).await.unwrap();
    late.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let early = tokio::time::timeout(Duration::from_millis(400), late.read(&mut buf)).await;
    assert!(early.is_err(), "served while both slots were taken");
    let n = tokio::time::timeout(Duration::from_secs(5), late.read(&mut buf))
        .await
        .expect("served once the silent connections were closed")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    drop(held);
    s.stop().await.unwrap();
}

/// Pages elsewhere cannot drive the API or open the WebSocket: a request with a foreign
/// `Origin` is 403 `forbidden_origin`; the server's own origin, and `--allowed-origins`, pass
/// (and only a listed origin gets CORS headers).
#[tokio::test]
async fn other_origins_are_refused_unless_listed() {
    let s = TestServer::start(&["--allowed-origins", "https://app.example"])
        .await
        .ready()
        .await;
    let client = reqwest::Client::new();
    let attempt = serde_json::json!({
        "profile": "learner-origin", "target": "A", "correct": true, "score": 0.9
    });
    let own = s.base.clone();
    for (origin, want) in [
        ("https://evil.example", StatusCode::FORBIDDEN),
        ("null", StatusCode::FORBIDDEN),
        (own.as_str(), StatusCode::OK),
        ("https://app.example", StatusCode::OK),
    ] {
        let r = client
            .post(s.url("/api/progress/attempt"))
            .header("Origin", origin)
            .json(&attempt)
            .send()
            .await
            .unwrap();
        let cors = r
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string());
        let (status, body) = json(r).await;
        assert_eq!(status, want, "{origin}: {body}");
        if want == StatusCode::FORBIDDEN {
            assert_eq!(body["error_type"], "forbidden_origin", "{body}");
        }
        let listed = origin == "https://app.example";
        assert_eq!(cors.is_some(), listed, "{origin}: CORS only for the listed");
    }
    let r = client
        .get(s.url("/api/progress?profile=learner-origin"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "reading progress from elsewhere");
    // The WebSocket handshake from another origin is refused before the upgrade.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            s.ws_url.as_str(),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("Origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("handshake from evil.example: {:?}", other.map(|_| ())),
    }
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            s.ws_url.as_str(),
        )
        .unwrap();
    request.headers_mut().insert("Origin", own.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .expect("same-origin handshake");
    s.stop().await.unwrap();
}

/// Pages carry a strict Content-Security-Policy (and have no inline script for it to block),
/// nosniff, no framing and no referrer.
#[tokio::test]
async fn pages_carry_security_headers_and_no_inline_script() {
    let s = TestServer::start(&[]).await.ready().await;
    for path in ["/", "/learn", "/practice", "/progress", "/about", "/health"] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        let h = r.headers().clone();
        let html = r.text().await.unwrap();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"))
            .to_str()
            .unwrap();
        for needle in [
            "default-src 'self'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(needle), "{path}: {needle} missing from {csp}");
        }
        // WebAssembly may be compiled (on-device mode), JavaScript may not be eval'd or inlined.
        let without_wasm = csp.replace("'wasm-unsafe-eval'", "");
        assert!(!without_wasm.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        if path != "/health" {
            for (i, _) in html.match_indices("<script") {
                let tag = &html[i..i + html[i..].find('>').unwrap()];
                assert!(tag.contains(" src="), "{path}: inline script {tag}");
            }
            let lower = html.to_ascii_lowercase();
            for attr in [
                " onclick=",
                " onload=",
                " onerror=",
                " style=",
                "javascript:",
            ] {
                assert!(!lower.contains(attr), "{path}: {attr}");
            }
        }
    }
    s.stop().await.unwrap();
}

/// Requests refused before any handler still get JSON: a request target over 8 KiB (414),
/// too many headers (431), a WebSocket route without a handshake.
#[tokio::test]
async fn refusals_before_the_handlers_are_json() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let long = format!("/health?pad={}", "x".repeat(9000));
    let (status, body) = json(client.get(s.url(&long)).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::URI_TOO_LONG, Some("uri_too_long"))
    );
    let mut request = client.get(s.url("/health"));
    for i in 0..80 {
        request = request.header(format!("x-filler-{i}"), "1");
    }
    let (status, body) = json(request.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Some("headers_too_large")
        )
    );
    let (status, body) = json(client.get(s.url("/ws/stream")).send().await.unwrap()).await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        body["error"].as_str().unwrap().contains("WebSocket"),
        "{body}"
    );
    let (status, body) = json(client.post(s.url("/ws/stream")).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    s.stop().await.unwrap();
}

/// A WebSocket message over `--ws-max-message-bytes` ends the connection with close code 1009
/// (message too big), not a dropped socket.
#[tokio::test]
async fn an_oversized_websocket_message_closes_with_1009() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let s = TestServer::start(&["--max-body-bytes", "2048", "--ws-max-message-bytes", "4096"])
        .await
        .ready()
        .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&s.ws_url).await.unwrap();
    ws.send(Message::Binary(vec![0u8; 64 * 1024].into()))
        .await
        .unwrap();
    let mut code = None;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                code = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    }
    assert_eq!(code, Some(1009));
    s.stop().await.unwrap();
}

/// `/text-to-sign` answers 413 to a body over its limit (it was 400) and 400 to text that is not
/// UTF-8, in a url-encoded form, JSON or multipart (a form's bad bytes were read as U+FFFD).
#[tokio::test]
async fn text_to_sign_refuses_big_bodies_and_text_that_is_not_utf8() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>, content_type: &'static str| {
        client
            .post(s.url("/text-to-sign"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";
    let mut big = b"text=".to_vec();
    big.resize(6 * 1024 * 1024, b'a');
    let (status, body) = json(post(big.clone(), form).await.unwrap()).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let (status, _) = json(post(big, "application/json").await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    for (body, content_type) in [
        (b"text=%FF%FEhi".to_vec(), form),
        (b"text=\xff\xfehi".to_vec(), form),
        (b"{\"text\": \"\xff\xfe\"}".to_vec(), "application/json"),
    ] {
        let (status, reply) = json(post(body, content_type).await.unwrap()).await;
        assert_eq!(
            (status, reply["error_type"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{content_type}: {reply}"
        );
        assert!(
            reply["error"].as_str().unwrap().contains("UTF-8"),
            "{reply}"
        );
    }
    let part = reqwest::multipart::Part::bytes(vec![0xFF, 0xFE, b'h']);
    let r = client
        .post(s.url("/text-to-sign"))
        .multipart(reqwest::multipart::Form::new().part("text", part))
        .send()
        .await
        .unwrap();
    let (status, reply) = json(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    let (status, reply) = json(post(b"text=Hi+you".to_vec(), form).await.unwrap()).await;
    assert_eq!(
        (status, reply["text"].as_str()),
        (StatusCode::OK, Some("Hi you"))
    );
    s.stop().await.unwrap();
}
