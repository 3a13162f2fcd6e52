//! Soak test against a running server: streams many frames over several WebSocket sessions and
//! prints resident memory after a warm-up and after the run. Guards against memory that grows
//! with the number of frames or sessions (a leak per frame shows as RSS after >> after warm-up).
//!
//! ```sh
//! signbridge serve &                                   # or cargo run --release -- serve
//! cargo run --release -p signbridge-server --example soak -- \
//!     --url http://127.0.0.1:8000 --sessions 4 --frames 10000
//! ```
//!
//! Closed loop (each session sends its next frame when the previous reply arrives), so no frame
//! is skipped. Loopback targets only; bounded by `--frames` and `--max-seconds`. After the run
//! it waits `--rest-seconds` (default 5) and reads RSS again: idle workers give the memory their
//! frames freed back to the kernel, so this should be back near "RSS before".

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

struct Args {
    url: String,
    sessions: usize,
    frames: u64,
    warmup: u64,
    max_seconds: f64,
    rest_seconds: f64,
    image: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        url: "http://127.0.0.1:8000".into(),
        sessions: 4,
        frames: 10_000,
        warmup: 200,
        max_seconds: 900.0,
        rest_seconds: 5.0,
        image: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/images/letters/A/A0.jpg"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--sessions" => args.sessions = value()?.parse()?,
            "--frames" => args.frames = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--max-seconds" => args.max_seconds = value()?.parse()?,
            "--rest-seconds" => args.rest_seconds = value()?.parse()?,
            "--image" => args.image = value()?.into(),
            other => bail!("unknown flag {other}; see the source's header for usage"),
        }
    }
    let host = args
        .url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[") {
        bail!("refusing non-loopback target {}", args.url);
    }
    if !(1..=256).contains(&args.sessions)
        || args.frames > 1_000_000
        || !(0.0..=600.0).contains(&args.rest_seconds)
    {
        bail!("bounds: 1..=256 sessions, at most 1,000,000 frames, 0..=600 rest seconds");
    }
    Ok(args)
}

async fn memory(base: &str) -> anyhow::Result<Value> {
    Ok(reqwest::get(format!("{base}/api/memory"))
        .await?
        .json()
        .await?)
}

fn mib(v: &Value) -> String {
    v.as_u64().map_or("?".into(), |b| {
        format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
    })
}

/// Streams `count` frames on one connection, closed loop; returns (answered, predictions).
async fn stream(
    ws_url: String,
    message: String,
    count: u64,
    deadline: Instant,
) -> anyhow::Result<(u64, u64)> {
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .context("connect")?;
    let (mut answered, mut predictions) = (0, 0);
    for _ in 0..count {
        if Instant::now() > deadline {
            break;
        }
        ws.send(Message::text(message.clone())).await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
                Some(Ok(Message::Text(t))) => {
                    answered += 1;
                    let reply: Value = serde_json::from_str(t.as_str())?;
                    predictions += u64::from(reply["type"] == "prediction");
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => bail!("server closed the connection"),
            }
        }
    }
    ws.close(None).await.ok();
    Ok((answered, predictions))
}

async fn run_phase(
    args: &Args,
    message: &str,
    frames: u64,
) -> anyhow::Result<(u64, u64, Duration)> {
    let ws_url = format!("{}/ws/stream", args.url.replacen("http", "ws", 1));
    let per_session = frames.div_ceil(args.sessions as u64);
    let deadline = Instant::now() + Duration::from_secs_f64(args.max_seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.sessions)
        .map(|_| {
            tokio::spawn(stream(
                ws_url.clone(),
                message.to_string(),
                per_session,
                deadline,
            ))
        })
        .collect();
    let (mut answered, mut predictions) = (0, 0);
    for t in tasks {
        let (a, p) = t.await??;
        answered += a;
        predictions += p;
    }
    Ok((answered, predictions, started.elapsed()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let base = args.url.trim_end_matches('/').to_string();
    let jpeg = std::fs::read(&args.image).with_context(|| format!("{}", args.image.display()))?;
    let data = format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&jpeg)
    );
    let message = json!({"type": "frame", "data": data}).to_string();

    let before = memory(&base).await?;
    run_phase(&args, &message, args.warmup).await?;
    let warm = memory(&base).await?;
    let (answered, predictions, elapsed) = run_phase(&args, &message, args.frames).await?;
    let after = memory(&base).await?;
    println!("sessions {}, frames answered {answered} ({predictions} predictions) in {:.1} s = {:.1} frames/s",
        args.sessions, elapsed.as_secs_f64(), answered as f64 / elapsed.as_secs_f64());
    println!("RSS before       {}", mib(&before["rss_bytes"]));
    println!(
        "RSS after warm-up {} ({} frames)",
        mib(&warm["rss_bytes"]),
        args.warmup
    );
    println!(
        "RSS after run    {}   peak {}",
        mib(&after["rss_bytes"]),
        mib(&after["peak_rss_bytes"])
    );
    if let (Some(w), Some(a)) = (warm["rss_bytes"].as_u64(), after["rss_bytes"].as_u64()) {
        println!(
            "growth per 1000 frames: {:.3} MiB",
            (a as f64 - w as f64) / (1024.0 * 1024.0) / (answered.max(1) as f64 / 1000.0)
        );
    }
    tokio::time::sleep(Duration::from_secs_f64(args.rest_seconds)).await;
    let rested = memory(&base).await?;
    println!(
        "RSS {:.0} s after the run {}",
        args.rest_seconds,
        mib(&rested["rss_bytes"])
    );
    Ok(())
}
