//! Every setting, for every subcommand: one flag and one environment variable each, read here
//! (the edge) and checked once, before any I/O, into typed values the libraries take.
//!
//! - [`PipelineArgs`] -> [`PipelineSettings`]: which models, where they are cached, the
//!   detection thresholds and the image limits. Shared by `serve`, `detect`, `classify`,
//!   `transcribe`, `train` and `bench`, so a setting has the same name everywhere.
//! - [`ServeArgs`] -> [`Config`]: the pipeline settings plus the server's own (address,
//!   workers, queue, sessions, timeouts, database).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::storage::Location;
use signbridge_vision::{
    EngineChoice, HandPipeline, ImageLimits, ModelStore, ModelVariant, PipelineConfig, Precision,
    VisionError,
};

/// Where the models live, how the hand pipeline runs, and how large an image may be.
#[derive(Clone, Debug, clap::Args)]
pub struct PipelineArgs {
    /// Model cache directory (default: $XDG_CACHE_HOME/signbridge/models, else
    /// ~/.cache/signbridge/models). Models are fetched there with `npm pack` on first use and
    /// verified by sha256 on every load.
    #[arg(long, env = "SIGNBRIDGE_MODELS")]
    pub models_dir: Option<PathBuf>,

    /// Hand model size: `full` is more accurate, `lite` is faster.
    #[arg(
        long,
        env = "SIGNBRIDGE_MODEL",
        default_value = "full",
        value_parser = parse_variant
    )]
    pub model: ModelVariant,

    /// Inference engine: `litert` (Google's LiteRT with XNNPACK, what MediaPipe runs; its
    /// library is fetched with `pip download` into the model cache on first use), `tract` (pure
    /// Rust, about 2.5 times slower), or `auto`: LiteRT when it can be had, else tract.
    #[arg(
        long,
        env = "SIGNBRIDGE_ENGINE",
        default_value = "auto",
        value_parser = parse_engine
    )]
    pub engine: EngineChoice,

    /// How the landmark model runs on LiteRT: `exact` (its shipped weights: the same landmarks
    /// as MediaPipe, bit for bit) or `int8` (its convolutions on int8 weights: about a quarter
    /// faster, landmarks within a fraction of a pixel). tract always runs `exact`.
    #[arg(
        long,
        env = "SIGNBRIDGE_PRECISION",
        default_value = "exact",
        value_parser = parse_precision
    )]
    pub precision: Precision,

    /// Most hands reported per image or frame. Each extra hand costs one landmark-model run.
    #[arg(long, env = "SIGNBRIDGE_MAX_HANDS", default_value_t = 2)]
    pub max_hands: usize,

    /// Palm detections scoring below this are ignored (lower finds more hands, and more
    /// mistakes).
    #[arg(long, env = "SIGNBRIDGE_MIN_DETECTION", default_value_t = 0.5)]
    pub min_detection_confidence: f32,

    /// Hands whose presence score is below this are dropped.
    #[arg(long, env = "SIGNBRIDGE_MIN_PRESENCE", default_value_t = 0.5)]
    pub min_presence: f32,

    /// Video mode: look for missing hands every n-th frame (1 = every frame: finds a second hand
    /// sooner, and pays for palm detection on every frame).
    #[arg(long, env = "SIGNBRIDGE_REDETECT_INTERVAL", default_value_t = 5)]
    pub redetect_interval: u32,

    /// Frames are downscaled so that their long side is at most this before inference.
    /// Smaller is faster and finds fewer small hands.
    #[arg(long, env = "SIGNBRIDGE_MAX_LONG_SIDE", default_value_t = 640)]
    pub max_long_side: u32,

    /// Frames are downscaled so that their short side is at most this before inference.
    #[arg(long, env = "SIGNBRIDGE_MAX_SHORT_SIDE", default_value_t = 480)]
    pub max_short_side: u32,

    /// Images whose header declares more pixels than this are refused without decoding: the
    /// guard against decompression bombs. 16 MP takes a 12 MP phone photo; the models see at
    /// most 0.3 MP. It also sets the memory one decode may use (3 bytes a pixel plus 8 MiB: 54
    /// MiB by default), so raising it raises peak memory per image.
    #[arg(
        long,
        env = "SIGNBRIDGE_MAX_IMAGE_PIXELS",
        default_value_t = signbridge_vision::image_input::DEFAULT_MAX_PIXELS
    )]
    pub max_image_pixels: u64,
}

fn parse_variant(s: &str) -> Result<ModelVariant, String> {
    s.parse()
}

fn parse_engine(s: &str) -> Result<EngineChoice, String> {
    s.parse()
}

fn parse_precision(s: &str) -> Result<Precision, String> {
    s.parse()
}

/// Checked pipeline settings.
#[derive(Clone, Debug)]
pub struct PipelineSettings {
    pub models_dir: PathBuf,
    pub pipeline: PipelineConfig,
    pub limits: ImageLimits,
}

impl PipelineSettings {
    /// The model cache these settings name.
    pub fn store(&self) -> ModelStore {
        ModelStore::new(self.models_dir.clone())
    }

    /// Fetches (first use only), verifies and loads the hand models. Blocking.
    pub fn load(&self) -> Result<HandPipeline, VisionError> {
        HandPipeline::load(&self.store(), self.pipeline.clone())
    }
}

impl TryFrom<&PipelineArgs> for PipelineSettings {
    type Error = ConfigError;

    fn try_from(a: &PipelineArgs) -> Result<PipelineSettings, ConfigError> {
        check(
            (1..=8).contains(&a.max_hands),
            "max-hands",
            "between 1 and 8",
        )?;
        check(
            (0.0..=1.0).contains(&a.min_detection_confidence),
            "min-detection-confidence",
            "between 0 and 1",
        )?;
        check(
            (0.0..=1.0).contains(&a.min_presence),
            "min-presence",
            "between 0 and 1",
        )?;
        check(a.redetect_interval >= 1, "redetect-interval", "at least 1")?;
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
            a.max_image_pixels >= 64 * 64,
            "max-image-pixels",
            "at least 4096",
        )?;
        Ok(PipelineSettings {
            models_dir: a.models_dir.clone().unwrap_or_else(ModelStore::default_dir),
            pipeline: PipelineConfig {
                variant: a.model,
                engine: a.engine,
                precision: a.precision,
                max_hands: a.max_hands,
                min_detection_confidence: a.min_detection_confidence,
                min_presence: a.min_presence,
                redetect_interval: a.redetect_interval,
            },
            limits: ImageLimits {
                max_long_side: a.max_long_side,
                max_short_side: a.max_short_side,
                max_pixels: a.max_image_pixels,
            },
        })
    }
}

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

    #[command(flatten)]
    pub pipeline: PipelineArgs,

    /// Most live WebSocket sessions (each holds a hand tracker); over the cap a new one gets an
    /// error message and close 1013. HTTP sessions have caps of their own.
    #[arg(long, env = "SIGNBRIDGE_MAX_SESSIONS", default_value_t = 128)]
    pub max_sessions: usize,

    /// Most established HTTP sessions (ones a client came back to with its id); beyond it a
    /// session stays new (short-lived). Each holds a sentence and an interpreter.
    #[arg(long, env = "SIGNBRIDGE_MAX_HTTP_SESSIONS", default_value_t = 256)]
    pub max_http_sessions: usize,

    /// Most new HTTP sessions (created by a request, not yet used again). When full, the one
    /// idle longest is forgotten: a flood of requests without a session id only churns these.
    #[arg(long, env = "SIGNBRIDGE_MAX_NEW_SESSIONS", default_value_t = 128)]
    pub max_new_sessions: usize,

    /// Seconds an established HTTP session's sentence is kept after its last request. Longer
    /// keeps a sentence across pauses; shorter frees memory sooner.
    #[arg(long, env = "SIGNBRIDGE_SESSION_TTL_SECS", default_value_t = 1800.0)]
    pub session_ttl_secs: f64,

    /// Seconds a new HTTP session is kept idle before a request comes back to it (at most
    /// --session-ttl-secs).
    #[arg(long, env = "SIGNBRIDGE_NEW_SESSION_TTL_SECS", default_value_t = 60.0)]
    pub new_session_ttl_secs: f64,

    /// Seconds a WebSocket may stay silent before the server closes it.
    #[arg(long, env = "SIGNBRIDGE_WS_IDLE_SECS", default_value_t = 120.0)]
    pub ws_idle_secs: f64,

    /// Seconds an HTTP request may take, upload and queueing included, before it is answered
    /// 408. Protects workers and memory from slow clients; too short fails slow uploads.
    #[arg(long, env = "SIGNBRIDGE_REQUEST_TIMEOUT_SECS", default_value_t = 30.0)]
    pub request_timeout_secs: f64,

    /// Seconds a client may take to send a request's headers (the slow-loris guard), and a new
    /// connection to send its first request (silent sockets, HTTP/2 prefaces alone). Too short
    /// drops clients on slow links.
    #[arg(long, env = "SIGNBRIDGE_HEADER_TIMEOUT_SECS", default_value_t = 10.0)]
    pub header_timeout_secs: f64,

    /// Seconds an idle connection (no request in flight: HTTP/1 keep-alive, HTTP/2) is kept
    /// after its last request. Longer saves browsers a reconnect; shorter frees sockets sooner.
    #[arg(long, env = "SIGNBRIDGE_KEEP_ALIVE_SECS", default_value_t = 30.0)]
    pub keep_alive_secs: f64,

    /// Most open connections (WebSockets, once upgraded, are counted by --max-sessions
    /// instead). At the cap new connections wait in the kernel's backlog. Keep it well under
    /// the process's file descriptor limit (ulimit -n).
    #[arg(long, env = "SIGNBRIDGE_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,

    /// Resident memory (MiB) above which the server refuses new sessions and heavy requests
    /// (503 `memory_pressure`, WebSocket close 1013), trims what it can and reports
    /// `degraded` in /health and /metrics, until it is back under 90% of it. Default: half the
    /// memory of the machine or cgroup, between 256 and 1024 MiB. 0 turns the guard off.
    #[arg(long, env = "SIGNBRIDGE_MAX_RSS_MB")]
    pub max_rss_mb: Option<u64>,

    /// Origins (scheme://host[:port], comma-separated) whose pages may call the API and open
    /// the WebSocket besides the server's own. Default: none, same-origin only; a request from
    /// any other page gets 403 `forbidden_origin`.
    #[arg(long, env = "SIGNBRIDGE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Offer on-device mode: pages may run the hand landmarker in the browser and send only
    /// landmarks. Its files (MediaPipe's browser build, about 42 MB, from npm and PyPI) are
    /// fetched in the background at start and cached beside the models; `false` neither
    /// fetches nor serves them (landmark messages are still read).
    #[arg(long, env = "SIGNBRIDGE_ON_DEVICE", default_value_t = true, action = clap::ArgAction::Set)]
    pub on_device: bool,

    /// SQLite database holding learners' progress and sessions' sentences (created if
    /// missing), for a server on its own. Ignored with --database-url.
    #[arg(long, env = "SIGNBRIDGE_DB", default_value = "signbridge.sqlite3")]
    pub db: PathBuf,

    /// PostgreSQL instead of the SQLite file (postgres://user:password@host:port/database):
    /// replicas behind a load balancer share progress and sentences through it, so a session
    /// comes back on any replica. Unreachable at start, the server does not start. No TLS:
    /// keep the database on the same host or a private network.
    #[arg(long, env = "SIGNBRIDGE_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Validated server settings. Built only through `TryFrom<ServeArgs>`, so every value here is
/// usable.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub workers: usize,
    pub queue_depth: usize,
    pub max_body_bytes: usize,
    pub ws_max_message_bytes: usize,
    pub pipeline: PipelineSettings,
    pub max_sessions: usize,
    pub max_http_sessions: usize,
    pub max_new_sessions: usize,
    pub session_ttl: Duration,
    pub new_session_ttl: Duration,
    pub ws_idle: Duration,
    pub request_timeout: Duration,
    pub header_timeout: Duration,
    pub keep_alive: Duration,
    pub max_connections: usize,
    pub allowed_origins: Vec<String>,
    pub on_device: bool,
    /// Bytes of RSS above which the memory guard trips; `None`: off.
    pub max_rss_bytes: Option<u64>,
    /// Where progress and sentences are kept: `--db` or `--database-url`.
    pub storage: Location,
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
        for (value, flag) in [
            (a.max_connections, "max-connections"),
            (a.max_sessions, "max-sessions"),
            (a.max_http_sessions, "max-http-sessions"),
            (a.max_new_sessions, "max-new-sessions"),
        ] {
            check((1..=100_000).contains(&value), flag, "between 1 and 100000")?;
        }
        Ok(Config {
            addr: SocketAddr::new(a.host, a.port),
            workers,
            queue_depth: a.queue_depth,
            max_body_bytes: a.max_body_bytes,
            ws_max_message_bytes: a.ws_max_message_bytes,
            pipeline: PipelineSettings::try_from(&a.pipeline)?,
            max_sessions: a.max_sessions,
            max_http_sessions: a.max_http_sessions,
            max_new_sessions: a.max_new_sessions,
            session_ttl: seconds(a.session_ttl_secs, "session-ttl-secs")?,
            new_session_ttl: seconds(a.new_session_ttl_secs, "new-session-ttl-secs")?,
            ws_idle: seconds(a.ws_idle_secs, "ws-idle-secs")?,
            request_timeout: seconds(a.request_timeout_secs, "request-timeout-secs")?,
            header_timeout: seconds(a.header_timeout_secs, "header-timeout-secs")?,
            keep_alive: seconds(a.keep_alive_secs, "keep-alive-secs")?,
            max_connections: a.max_connections,
            on_device: a.on_device,
            allowed_origins: a
                .allowed_origins
                .iter()
                .filter(|o| !o.trim().is_empty())
                .map(|o| crate::security::parse_origin(o))
                .collect::<Result<_, _>>()
                .map_err(|reason| ConfigError {
                    flag: "allowed-origins",
                    reason,
                })?,
            max_rss_bytes: match a
                .max_rss_mb
                .unwrap_or_else(crate::memory::default_max_rss_mb)
            {
                0 => None,
                mb => Some(mb.saturating_mul(1 << 20)),
            },
            storage: match a.database_url.as_deref().map(str::trim) {
                Some(url) if !url.is_empty() => {
                    Location::Postgres(Box::new(url.parse().map_err(|reason| ConfigError {
                        flag: "database-url",
                        reason,
                    })?))
                }
                _ => Location::Sqlite(a.db),
            },
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
        assert_eq!(c.pipeline.pipeline.variant, ModelVariant::Full);
        assert_eq!(c.pipeline.pipeline.precision, Precision::Exact);
        assert_eq!(c.pipeline.limits.max_pixels, 16_000_000);
    }

    #[test]
    fn zero_queue_depth_is_refused_by_name() {
        let err = Config::from_flags(["--queue-depth", "0"]).unwrap_err();
        assert!(err.to_string().contains("--queue-depth"), "{err}");
    }

    #[test]
    fn serve_takes_the_pipeline_settings_every_subcommand_takes() {
        let c = Config::from_flags([
            "--model",
            "lite",
            "--min-detection-confidence",
            "0.6",
            "--min-presence",
            "0.4",
            "--redetect-interval",
            "3",
            "--max-image-pixels",
            "1000000",
            "--models-dir",
            "/tmp/m",
            "--precision",
            "int8",
        ])
        .unwrap();
        assert_eq!(c.pipeline.pipeline.precision, Precision::Int8);
        assert_eq!(c.pipeline.pipeline.variant, ModelVariant::Lite);
        assert_eq!(c.pipeline.pipeline.min_detection_confidence, 0.6);
        assert_eq!(c.pipeline.pipeline.min_presence, 0.4);
        assert_eq!(c.pipeline.pipeline.redetect_interval, 3);
        assert_eq!(c.pipeline.limits.max_pixels, 1_000_000);
        assert_eq!(c.pipeline.models_dir, PathBuf::from("/tmp/m"));
    }

    #[test]
    fn out_of_range_pipeline_settings_are_refused_by_name() {
        for (flags, name) in [
            (["--model", "huge"], "huge"),
            (["--precision", "f16"], "f16"),
            (["--min-presence", "1.5"], "--min-presence"),
            (["--redetect-interval", "0"], "--redetect-interval"),
            (["--max-hands", "0"], "--max-hands"),
            (["--max-image-pixels", "10"], "--max-image-pixels"),
        ] {
            let err = Config::from_flags(flags).unwrap_err();
            assert!(err.to_string().contains(name), "{flags:?}: {err}");
        }
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
    fn a_database_url_chooses_postgres_and_hides_its_password() {
        let c = Config::from_flags([]).unwrap();
        assert!(
            matches!(c.storage, Location::Sqlite(ref p) if p == &PathBuf::from("signbridge.sqlite3"))
        );
        let c =
            Config::from_flags(["--database-url", "postgres://app:pw9@127.0.0.1:5433/sb"]).unwrap();
        let Location::Postgres(url) = &c.storage else {
            panic!("expected PostgreSQL: {:?}", c.storage);
        };
        assert_eq!(url.to_string(), "postgres://app:***@127.0.0.1:5433/sb");
        assert!(!format!("{c:?}").contains("pw9"));
        let err = Config::from_flags(["--database-url", "mysql://app:pw9@h/db"]).unwrap_err();
        assert!(err.to_string().contains("--database-url"), "{err}");
    }

    #[test]
    fn negative_ttl_is_refused() {
        assert!(Config::from_flags(["--session-ttl-secs=-1"]).is_err());
    }
}
