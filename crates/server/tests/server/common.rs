//! A server on 127.0.0.1:0 with its own database, and the shared test data.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use signbridge_server::{serve, Config, Models, VisionError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

pub struct TestServer {
    pub base: String,
    /// `/ws/stream?session=new`: a client that is told its session.
    pub ws_url: String,
    /// `/ws/stream` with no query: the original's protocol.
    pub ws_base: String,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Stub models (one fixed hand per frame, instant) and `flags` on top of the defaults.
    pub async fn start(flags: &[&str]) -> TestServer {
        Self::start_with(flags, || Ok(Models::stub("A", Duration::ZERO))).await
    }

    pub async fn start_with<L>(flags: &[&str], load: L) -> TestServer
    where
        L: FnOnce() -> Result<Models, VisionError> + Send + 'static,
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("progress.sqlite3");
        let mut all = vec!["--port", "0"];
        if !flags.contains(&"--db") {
            all.extend(["--db", db.to_str().expect("utf-8 temp path")]);
        }
        if !flags.contains(&"--on-device") {
            // No background fetch of the browser's hand landmarker in tests that do not ask.
            all.extend(["--on-device", "false"]);
        }
        all.extend_from_slice(flags);
        let config = Config::from_flags(all).expect("test flags are valid");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, load, listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            ws_url: format!("ws://{addr}/ws/stream?session=new"),
            ws_base: format!("ws://{addr}/ws/stream"),
            db,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    /// Waits until `/health` says ready.
    pub async fn ready(self) -> TestServer {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/health", self.base)).send().await {
                if r.status() == 200 {
                    return self;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} never became ready", self.base);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits, without asking it to stop, for the server to stop by itself (within 20 s); returns
    /// what `serve` returned.
    pub async fn exit(mut self) -> anyhow::Result<()> {
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("server stops by itself within 20 s")
            .expect("server task did not panic")
    }

    /// Graceful shutdown; returns what `serve` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("server stops within 20 s")
            .expect("server task did not panic")
    }
}

/// `shared/data`: $SIGNBRIDGE_DATA, else next to the repository.
pub fn data_dir() -> PathBuf {
    std::env::var_os("SIGNBRIDGE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

pub fn image(rel: &str) -> Vec<u8> {
    let path = data_dir().join("images").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set SIGNBRIDGE_DATA to shared/data)",
            path.display()
        )
    })
}

/// A real photo of the letter A (224x224 JPEG).
pub fn letter_a() -> Vec<u8> {
    image("letters/A/A0.jpg")
}

/// A plain grey 224x224 JPEG: stub models "find" their hand in any image that decodes.
pub fn plain_jpeg() -> Vec<u8> {
    let grey = image::RgbImage::from_pixel(224, 224, image::Rgb([120, 120, 120]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&grey)
        .expect("encode a JPEG in memory");
    out
}

pub fn upload(bytes: Vec<u8>, file_name: &str, mime: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str(mime)
        .expect("mime");
    reqwest::multipart::Form::new()
        .part("file", part)
        .text("language", "ASL")
}

/// A PNG whose header claims `w` x `h` but which holds a single zero row: a dimension bomb.
pub fn png_bomb_header(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, tag: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(tag);
        out.extend_from_slice(data);
        let mut crc_input = tag.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    // A stored (uncompressed) zlib stream of one tiny row is enough for the header check.
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x00, 0x01,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A throwaway PostgreSQL (`scripts/pg.sh`: Debian's binaries, its own folder and port),
/// stopped when dropped.
pub struct Postgres {
    pub url: String,
    dir: tempfile::TempDir,
    port: u16,
}

impl Postgres {
    /// Starts one. Without PostgreSQL installed: `None` with a message, or a failure under
    /// `CI=true` (CI installs it: a missing one there is a broken set-up, not a skip).
    pub fn start(test: &str) -> Option<Postgres> {
        let installed = std::fs::read_dir("/usr/lib/postgresql")
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: PostgreSQL is not installed (apt-get install -y postgresql)"
            );
            eprintln!(
                "{test}: skipped, PostgreSQL is not installed (apt-get install -y postgresql)"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        // PostgreSQL runs as its own user when the tests run as root: it must reach the folder.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut pg = Postgres {
            url: String::new(),
            dir,
            port,
        };
        pg.url = pg.pg_sh("start");
        Some(pg)
    }

    /// Stops the server (its data stays, for [`Postgres::restart`]).
    pub fn stop(&self) {
        self.pg_sh("stop");
    }

    pub fn restart(&self) {
        self.pg_sh("start");
    }

    fn pg_sh(&self, command: &str) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg.sh");
        let data = self.dir.path().join("pg");
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(script).arg(command).arg(&data);
        if command == "start" {
            cmd.arg(self.port.to_string());
        }
        let out = cmd.output().expect("run scripts/pg.sh");
        assert!(
            out.status.success(),
            "scripts/pg.sh {command} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.stop()));
    }
}

/// A WebSocket client connection to a test server.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message (skipping pings); `None` when the server closed the connection.
pub async fn next_json(ws: &mut Ws) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a reply within 10 s")?;
        match msg.ok()? {
            Message::Text(t) => {
                return Some(serde_json::from_str(t.as_str()).expect("replies are JSON"))
            }
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// The next JSON message of a connection that must stay open.
pub async fn next_reply(ws: &mut Ws) -> Value {
    next_json(ws).await.expect("the connection stays open")
}
