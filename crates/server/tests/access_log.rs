//! The access log, in a test binary of its own: it installs a log subscriber for its thread,
//! which tracing's per-callsite cache does not see reliably while other tests log on other
//! threads of the same process.

#[allow(dead_code)]
#[path = "server/common.rs"]
mod common;

/// The access log (debug level, one span per request) records paths, not query strings: a
/// learner's `?profile=<id>` is the only key to their progress.
#[tokio::test]
async fn the_access_log_does_not_record_profile_ids() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test's runtime is single-threaded: the server's tasks log on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let s = common::TestServer::start(&[]).await.ready().await;
    let r = reqwest::get(s.url("/api/progress?profile=secret-learner-42"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await.unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("/api/progress"),
        "the request is logged:\n{log}"
    );
    assert!(!log.contains("secret-learner-42"), "{log}");
}
