//! Command-line and environment settings (`ServeArgs`), checked once and turned into a `Config`
//! before any I/O happens. Every limit the server enforces is one of these settings.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// `signbridge serve`: the HTTP and WebSocket server.
#[derive(Clone, Debug, clap::Parser)]
pub struct ServeArgs {
    /// Address to listen on. 127.0.0.1 keeps the server private to this machine; 0.0.0.0 exposes
    /// it to the network (there is no authentication).
    #[arg(long, env = "SIGNBRIDGE_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// TCP port to listen on (0 picks a free one).
    #[arg(long, env = "SIGNBRIDGE_PORT", default_value_t = 8000)]
    pub port: u16,

    /// Inference worker threads; 0 means one per CPU core. More workers than cores adds latency
    /// without adding throughput.
    #[arg(long, env = "SIGNBRIDGE_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Frames that may wait for a worker. A deeper queue absorbs bursts but every waiting frame
    /// adds one inference time of latency; an HTTP request that finds the queue full gets 429.
    #[arg(long, env = "SIGNBRIDGE_QUEUE_DEPTH", default_value_t = 32)]
    pub queue_depth: usize,

    /// Largest request body in bytes (uploads are refused with 413 before they are read whole).
    /// Larger allows bigger photos; every byte of it may be held in memory per request.
    #[arg(long, env = "SIGNBRIDGE_MAX_BODY_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest WebSocket message in bytes. Frames sent as base64 text are 4/3 of the image size,
    /// so this is larger than the body limit; the decoded image must still fit --max-body-bytes.
    #[arg(long, env = "SIGNBRIDGE_WS_MAX_MESSAGE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub ws_max_message_bytes: usize,

    /// Images whose header declares more pixels than this are refused (422) without decoding:
    /// the guard against decompression bombs. Raising it raises peak memory per frame.
    #[arg(
        long,
        env = "SIGNBRIDGE_MAX_IMAGE_PIXELS",
        default_value_t = 40_000_000
    )]
    pub max_image_pixels: u64,

    /// Frames are downscaled so that their long side is at most this before inference.
    /// Smaller is faster and finds fewer small hands.
    #[arg(long, env = "SIGNBRIDGE_MAX_LONG_SIDE", default_value_t = 640)]
    pub max_long_side: u32,

    /// Frames are downscaled so that their short side is at most this before inference.
    #[arg(long, env = "SIGNBRIDGE_MAX_SHORT_SIDE", default_value_t = 480)]
    pub max_short_side: u32,

    /// Most hands reported per frame. Each extra hand costs one landmark-model run.
    #[arg(long, env = "SIGNBRIDGE_MAX_HANDS", default_value_t = 2)]
    pub max_hands: usize,

    /// Hand model size: `full` is more accurate, `lite` is faster.
    #[arg(long, env = "SIGNBRIDGE_MODEL", default_value = "full", value_parser = ["full", "lite"])]
    pub model: String,

    /// Where the hand models are cached (fetched on first start). Default: $SIGNBRIDGE_MODELS,
    /// else ~/.cache/signbridge/models.
    #[arg(long = "models-dir", alias = "models", env = "SIGNBRIDGE_MODELS")]
    pub models_dir: Option<PathBuf>,

    /// Most live sessions (WebSocket connections plus HTTP sentence sessions). Each WebSocket
    /// session holds a hand tracker; over the cap new sessions get 429.
    #[arg(long, env = "SIGNBRIDGE_MAX_SESSIONS", default_value_t = 128)]
    pub max_sessions: usize,

    /// Seconds an HTTP session's sentence is kept after its last request. Longer keeps a
    /// sentence across pauses; shorter frees memory sooner.
    #[arg(long, env = "SIGNBRIDGE_SESSION_TTL_SECS", default_value_t = 1800.0)]
    pub session_ttl_secs: f64,

    /// Seconds a WebSocket may stay silent before the server closes it.
    #[arg(long, env = "SIGNBRIDGE_WS_IDLE_SECS", default_value_t = 120.0)]
    pub ws_idle_secs: f64,

    /// Seconds an HTTP request may take, upload and queueing included, before it is answered
    /// 408. Protects workers and memory from slow clients; too short fails slow uploads.
    #[arg(long, env = "SIGNBRIDGE_REQUEST_TIMEOUT_SECS", default_value_t = 30.0)]
    pub request_timeout_secs: f64,

    /// Seconds a client may take to send a request's headers (the slow-loris guard); an idle
    /// keep-alive connection is closed after this too. Too short drops clients on slow links.
    #[arg(long, env = "SIGNBRIDGE_HEADER_TIMEOUT_SECS", default_value_t = 10.0)]
    pub header_timeout_secs: f64,

    /// SQLite database holding learners' progress (created if missing).
    #[arg(long, env = "SIGNBRIDGE_DB", default_value = "signbridge.sqlite3")]
    pub db: PathBuf,
}

/// Validated settings. Built only through `TryFrom<ServeArgs>`, so every value here is usable.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub workers: usize,
    pub queue_depth: usize,
    pub max_body_bytes: usize,
    pub ws_max_message_bytes: usize,
    pub max_image_pixels: u64,
    pub max_long_side: u32,
    pub max_short_side: u32,
    pub max_hands: usize,
    pub lite_model: bool,
    pub models_dir: Option<PathBuf>,
    pub max_sessions: usize,
    pub session_ttl: Duration,
    pub ws_idle: Duration,
    pub request_timeout: Duration,
    pub header_timeout: Duration,
    pub db: PathBuf,
}

/// A setting that cannot be used, named by its flag.
#[derive(Debug, thiserror::Error)]
#[error("--{flag}: {reason}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub reason: String,
}

fn check(ok: bool, flag: &'static str, reason: impl Into<String>) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            flag,
            reason: reason.into(),
        })
    }
}

fn seconds(value: f64, flag: &'static str) -> Result<Duration, ConfigError> {
    check(
        value.is_finite() && value > 0.0 && value <= 86_400.0 * 365.0,
        flag,
        "must be between 0 and one year",
    )?;
    Ok(Duration::from_secs_f64(value))
}

impl TryFrom<ServeArgs> for Config {
    type Error = ConfigError;

    fn try_from(a: ServeArgs) -> Result<Config, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = if a.workers == 0 { cores } else { a.workers };
        check(workers <= 256, "workers", "at most 256")?;
        check(
            (1..=100_000).contains(&a.queue_depth),
            "queue-depth",
            "between 1 and 100000",
        )?;
        check(a.max_body_bytes >= 1024, "max-body-bytes", "at least 1024")?;
        check(
            a.ws_max_message_bytes >= a.max_body_bytes.min(1 << 30),
            "ws-max-message-bytes",
            "at least --max-body-bytes",
        )?;
        check(
            a.max_image_pixels >= 64 * 64,
            "max-image-pixels",
            "at least 4096",
        )?;
        check(
            a.max_long_side >= 64 && a.max_short_side >= 64,
            "max-long-side",
            "both sides at least 64",
        )?;
        check(
            a.max_long_side >= a.max_short_side,
            "max-long-side",
            "at least --max-short-side",
        )?;
        check(
            (1..=8).contains(&a.max_hands),
            "max-hands",
            "between 1 and 8",
        )?;
        check(
            (1..=100_000).contains(&a.max_sessions),
            "max-sessions",
            "between 1 and 100000",
        )?;
        Ok(Config {
            addr: SocketAddr::new(a.host, a.port),
            workers,
            queue_depth: a.queue_depth,
            max_body_bytes: a.max_body_bytes,
            ws_max_message_bytes: a.ws_max_message_bytes,
            max_image_pixels: a.max_image_pixels,
            max_long_side: a.max_long_side,
            max_short_side: a.max_short_side,
            max_hands: a.max_hands,
            lite_model: a.model == "lite",
            models_dir: a.models_dir,
            max_sessions: a.max_sessions,
            session_ttl: seconds(a.session_ttl_secs, "session-ttl-secs")?,
            ws_idle: seconds(a.ws_idle_secs, "ws-idle-secs")?,
            request_timeout: seconds(a.request_timeout_secs, "request-timeout-secs")?,
            header_timeout: seconds(a.header_timeout_secs, "header-timeout-secs")?,
            db: a.db,
        })
    }
}

impl Config {
    /// The defaults with `extra` flags applied, ignoring the environment: for tests and tools.
    pub fn from_flags<'a>(
        extra: impl IntoIterator<Item = &'a str>,
    ) -> Result<Config, anyhow::Error> {
        let mut cmd = <ServeArgs as clap::CommandFactory>::command();
        // Environment variables are read by clap when parsing; disable them for reproducibility.
        cmd = cmd.mut_args(|arg| arg.env(None::<&str>));
        let matches = cmd.try_get_matches_from(std::iter::once("serve").chain(extra))?;
        let args = <ServeArgs as clap::FromArgMatches>::from_arg_matches(&matches)?;
        Ok(Config::try_from(args)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_local() {
        let c = Config::from_flags([]).expect("defaults parse");
        assert_eq!(c.addr.to_string(), "127.0.0.1:8000");
        assert!(c.workers >= 1);
        assert_eq!(c.max_body_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn zero_queue_depth_is_refused_by_name() {
        let err = Config::from_flags(["--queue-depth", "0"]).unwrap_err();
        assert!(err.to_string().contains("--queue-depth"), "{err}");
    }

    #[test]
    fn serve_args_work_as_a_subcommand() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            command: Command,
        }
        #[derive(clap::Subcommand)]
        enum Command {
            Serve(ServeArgs),
        }
        let cli = Cli::try_parse_from([
            "signbridge",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "1234",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command;
        assert_eq!(Config::try_from(args).unwrap().addr.port(), 1234);
    }

    #[test]
    fn negative_ttl_is_refused() {
        assert!(Config::from_flags(["--session-ttl-secs=-1"]).is_err());
    }
}
