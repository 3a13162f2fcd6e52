//! Load driver for on-device mode: many WebSocket sessions each sending `landmarks` messages at a
//! fixed rate, as the page does (at most one in flight: the next goes at its tick, or when the
//! reply to the previous one comes if that is later). Prints the round-trip times, the sessions
//! that stayed up, and the server's resident memory before and while they are all open.
//!
//! ```sh
//! taskset -c 0 target/release/signbridge serve --port 8000 --max-sessions 1000 &
//! taskset -c 1 cargo run --release -p signbridge-server --example landmark_load -- \
//!     --url http://127.0.0.1:8000 --sessions 500 --fps 10 --seconds 30
//! ```
//! (`scripts/bench-landmarks.sh` does both, one core each.)
//!
//! The hands are the classifier's own examples of H, E, L, O, held for a second each, so every
//! session also builds a sentence. Loopback targets only; bounded by `--seconds`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

struct Args {
    url: String,
    sessions: usize,
    fps: f64,
    seconds: f64,
    /// New connections opened per second while ramping up.
    ramp_per_second: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        url: "http://127.0.0.1:8000".into(),
        sessions: 500,
        fps: 10.0,
        seconds: 30.0,
        ramp_per_second: 250,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--sessions" => args.sessions = value()?.parse()?,
            "--fps" => args.fps = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--ramp-per-second" => args.ramp_per_second = value()?.parse()?,
            other => bail!(
                "unknown flag {other} (--url, --sessions, --fps, --seconds, --ramp-per-second)"
            ),
        }
    }
    let host = args
        .url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        bail!("loopback targets only, not {}", args.url);
    }
    if !(1..=5000).contains(&args.sessions) || !(0.1..=60.0).contains(&args.fps) {
        bail!("--sessions 1..=5000 and --fps 0.1..=60");
    }
    if !(1.0..=600.0).contains(&args.seconds) || args.ramp_per_second == 0 {
        bail!("--seconds 1..=600, --ramp-per-second at least 1");
    }
    Ok(args)
}

/// The `landmarks` message for one hand making `letter`, at `t` ms.
fn message(letter: &str, t: u64) -> String {
    let classifier = signbridge_signs::Classifier::default_model();
    let shape = classifier
        .handshape(letter)
        .expect("a letter the classifier knows");
    let landmarks: Vec<[f32; 3]> = shape
        .iter()
        .map(|&[x, y, z]| [0.5 + 0.3 * x, 0.6 + 0.3 * y, 0.3 * z])
        .collect();
    json!({
        "type": "landmarks", "t": t, "width": 640, "height": 480,
        "hands": [{"handedness": "Left", "score": 0.97, "landmarks": landmarks}],
    })
    .to_string()
}

#[derive(Default)]
struct SessionResult {
    /// Round trips in microseconds, after the warm-up second.
    rtts: Vec<u32>,
    sent: u64,
    answered: u64,
    errors: u64,
    committed: u64,
    /// Why the session ended early, if it did.
    failed: Option<String>,
}

async fn session(
    ws_url: String,
    fps: f64,
    start_at: Instant,
    measure_from: Instant,
    until: Instant,
    templates: std::sync::Arc<Vec<(String, String)>>,
) -> SessionResult {
    let mut result = SessionResult::default();
    tokio::time::sleep_until(start_at.into()).await;
    let (mut ws, _) = match tokio_tungstenite::connect_async(&ws_url).await {
        Ok(c) => c,
        Err(e) => {
            result.failed = Some(format!("connect: {e}"));
            return result;
        }
    };
    // The server opens the session with a `session` message (asked for with ?session=new).
    match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"session\"") => {}
        other => {
            result.failed = Some(format!("no session message: {other:?}"));
            return result;
        }
    }
    let period = Duration::from_secs_f64(1.0 / fps);
    let mut next = Instant::now();
    let begun = Instant::now();
    while next < until {
        tokio::time::sleep_until(next.into()).await;
        let t = begun.elapsed().as_millis() as u64;
        // a letter a second: H E L O H E L O ...
        let (_, template) = &templates[(t / 1000) as usize % templates.len()];
        let text = template.replace("\"t\":0", &format!("\"t\":{t}"));
        let sent_at = Instant::now();
        if let Err(e) = ws.send(Message::text(text)).await {
            result.failed = Some(format!("send: {e}"));
            break;
        }
        result.sent += 1;
        let reply = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => break Ok(text),
                Ok(Some(Ok(Message::Close(frame)))) => break Err(format!("closed: {frame:?}")),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => break Err(format!("receive: {e}")),
                Ok(None) => break Err("closed".into()),
                Err(_) => break Err("no reply in 10 s".into()),
            }
        };
        let rtt = sent_at.elapsed();
        match reply {
            Ok(text) => {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                match v["type"].as_str() {
                    Some("prediction") => {
                        result.answered += 1;
                        if !v["committed"].is_null() {
                            result.committed += 1;
                        }
                        if sent_at >= measure_from {
                            result
                                .rtts
                                .push(rtt.as_micros().min(u32::MAX as u128) as u32);
                        }
                    }
                    _ => result.errors += 1,
                }
            }
            Err(e) => {
                result.failed = Some(e);
                break;
            }
        }
        next += period;
        if next < Instant::now() {
            next = Instant::now();
        }
    }
    let _ = ws.close(None).await;
    result
}

async fn rss_mib(base: &str) -> Option<f64> {
    let v: Value = reqwest::get(format!("{base}/api/memory"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v["rss_bytes"].as_f64().map(|b| b / 1048576.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let base = args.url.trim_end_matches('/').to_string();
    // As the page connects: asking for a session, which the server names first.
    let ws_url = format!(
        "{}/ws/stream?session=new",
        base.replacen("http://", "ws://", 1)
    );
    let templates = std::sync::Arc::new(
        ["H", "E", "L", "O"]
            .iter()
            .map(|l| (l.to_string(), message(l, 0)))
            .collect::<Vec<_>>(),
    );
    let rest = rss_mib(&base).await.context("the server's /api/memory")?;
    let now = Instant::now();
    let ramp = Duration::from_secs_f64(args.sessions as f64 / args.ramp_per_second as f64);
    // Measured once every session is up and has had a second to warm up.
    let measure_from = now + ramp + Duration::from_secs(1);
    let until = measure_from + Duration::from_secs_f64(args.seconds);
    let tasks: Vec<_> = (0..args.sessions)
        .map(|i| {
            let start_at = now + ramp.mul_f64(i as f64 / args.sessions as f64);
            tokio::spawn(session(
                ws_url.clone(),
                args.fps,
                start_at,
                measure_from,
                until,
                templates.clone(),
            ))
        })
        .collect();
    tokio::time::sleep_until((measure_from + Duration::from_secs_f64(args.seconds / 2.0)).into())
        .await;
    let loaded = rss_mib(&base).await;
    let mut all = Vec::new();
    let (mut sent, mut answered, mut errors, mut committed, mut failed) = (0, 0, 0, 0, 0);
    let mut first_failure = None;
    for t in tasks {
        let r = t.await?;
        sent += r.sent;
        answered += r.answered;
        errors += r.errors;
        committed += r.committed;
        if let Some(why) = r.failed {
            failed += 1;
            first_failure.get_or_insert(why);
        }
        all.extend(r.rtts);
    }
    all.sort_unstable();
    println!(
        "sessions {} at {} fps for {} s (after a {:.1} s ramp and 1 s warm-up)",
        args.sessions,
        args.fps,
        args.seconds,
        ramp.as_secs_f64()
    );
    println!(
        "sessions that ended early {failed}{}",
        first_failure.map_or(String::new(), |w| format!(" (first: {w})"))
    );
    println!(
        "messages sent {sent}, answered {answered}, error replies {errors}, letters committed {committed}"
    );
    println!(
        "answered per second while measured {:.0}",
        all.len() as f64 / args.seconds
    );
    println!(
        "round trip ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  (n={})",
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        all.len()
    );
    if let Some(loaded) = loaded {
        println!(
            "server RSS MiB: at rest {rest:.1}, with the sessions open {loaded:.1}, per session {:.1} KiB",
            (loaded - rest) * 1024.0 / args.sessions as f64
        );
    }
    Ok(())
}
